//! Service-account tokens: decoding, signature checks, and authenticating with them.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use kube_sa::serviceaccount::{JwtAlgorithm, PublicKey};
use serde_json::{json, Value};

use crate::failure::Failure;
use crate::world::ApiFailure;

/// A compact JWS split into its parts.
#[derive(Debug, Clone)]
pub struct DecodedToken {
    pub header: Value,
    pub claims: Value,
    signing_input: String,
    signature: Vec<u8>,
}

fn decode_part(part: &str, what: &str) -> Result<Vec<u8>, Failure> {
    URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|e| Failure::new(format!("the token's {what} is not base64url: {e}")))
}

pub fn decode(token: &str) -> Result<DecodedToken, Failure> {
    let parts: Vec<&str> = token.split('.').collect();
    let [header, claims, signature] = parts.as_slice() else {
        return Err(Failure::new(format!(
            "a token has 3 dot-separated parts, this one has {}",
            parts.len()
        )));
    };
    let json = |part: &str, what: &str| -> Result<Value, Failure> {
        serde_json::from_slice(&decode_part(part, what)?)
            .map_err(|e| Failure::new(format!("the token's {what} is not JSON: {e}")))
    };
    Ok(DecodedToken {
        header: json(header, "header")?,
        claims: json(claims, "claims")?,
        signing_input: format!("{header}.{claims}"),
        signature: decode_part(signature, "signature")?,
    })
}

impl DecodedToken {
    /// Ok when one of `keys` verifies the signature with the header's algorithm.
    pub fn verify(&self, keys: &[PublicKey]) -> Result<(), Failure> {
        let alg = self.header.get("alg").and_then(Value::as_str).unwrap_or("");
        let algorithm = JwtAlgorithm::from_name(alg).ok_or_else(|| {
            Failure::new(format!(
                "the token's alg {alg:?} is not a known signing algorithm"
            ))
        })?;
        let mut errors = Vec::new();
        for key in keys {
            match key.verify(algorithm, self.signing_input.as_bytes(), &self.signature) {
                Ok(()) => return Ok(()),
                Err(e) => errors.push(e.to_string()),
            }
        }
        Err(Failure::new(format!(
            "no service-account key of the cluster verifies the token ({} key(s): {})",
            keys.len(),
            errors.join("; ")
        )))
    }
}

/// POSTs a SelfSubjectReview with `token` as bearer: the user it authenticates as
/// (`status.userInfo`), or the API's refusal.
pub async fn authenticate(
    config: &kube::Config,
    token: &str,
) -> Result<Result<Value, ApiFailure>, Failure> {
    let mut config = config.clone();
    config.auth_info = kube::config::AuthInfo {
        token: Some(token.to_string().into()),
        ..Default::default()
    };
    let client = kube::Client::try_from(config)
        .map_err(|e| Failure::new(format!("building a client with the token: {e}")))?;
    let body = serde_json::to_vec(
        &json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}),
    )
    .map_err(|e| Failure::new(e.to_string()))?;
    let request = http::Request::post("/apis/authentication.k8s.io/v1/selfsubjectreviews")
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(body)
        .map_err(|e| Failure::new(e.to_string()))?;
    let what = "POST selfsubjectreviews with the token";
    match crate::timing::with_deadline(what, crate::timing::default_deadline(), async {
        Ok(client.request::<Value>(request).await)
    })
    .await?
    {
        Ok(review) => Ok(Ok(review
            .pointer("/status/userInfo")
            .cloned()
            .unwrap_or(Value::Null))),
        Err(error) => Ok(Err(ApiFailure::from_error(error, what)?)),
    }
}
