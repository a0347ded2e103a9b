//! Service-account tokens: decoding, signature checks, and authenticating with them.
//!
//! Every token the harness decodes is verified against the cluster's public keys with
//! `jsonwebtoken`, an implementation independent of kube-sa's own verifier, so a bug in
//! kube-sa's signing and verifying alike cannot go unnoticed.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{DecodingKey, Validation};
use kube_sa::serviceaccount::{JwtAlgorithm, KeyKind, PublicKey};
use serde_json::{json, Value};

use crate::failure::Failure;
use crate::world::ApiFailure;

/// A compact JWS split into its parts, its signature checked.
#[derive(Debug, Clone)]
pub struct DecodedToken {
    pub header: Value,
    pub claims: Value,
}

fn decode_part(part: &str, what: &str) -> Result<Vec<u8>, Failure> {
    URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|e| Failure::new(format!("the token's {what} is not base64url: {e}")))
}

/// The token's header and claims, once one of `keys` verifies its signature with the
/// header's algorithm. With no keys (a kubeconfig backend run without
/// `--service-account-key-file`) the cluster's key is unknown and the signature goes
/// unchecked here; the "is signed by" step then asks the API server instead.
pub fn decode(token: &str, keys: &[PublicKey]) -> Result<DecodedToken, Failure> {
    let (decoded, [header, claims, signature]) = split(token)?;
    if !keys.is_empty() {
        let alg = decoded
            .header
            .get("alg")
            .and_then(Value::as_str)
            .unwrap_or("");
        match JwtAlgorithm::from_name(alg) {
            // jsonwebtoken has no ES512 (P-521): kube-sa's own verifier is all there is.
            Some(JwtAlgorithm::Es512) => {
                let signature = decode_part(signature, "signature")?;
                verify_es512(&format!("{header}.{claims}"), &signature, keys)?
            }
            Some(_) => verify(token, keys)?,
            None => {
                return Err(Failure::new(format!(
                    "the token's alg {alg:?} is not a known signing algorithm"
                )))
            }
        }
    }
    Ok(decoded)
}

/// The header and claims of a token that [`decode`] refused, to show what it carries.
pub fn decode_unverified(token: &str) -> Result<DecodedToken, Failure> {
    split(token).map(|(decoded, _)| decoded)
}

/// Header and claims decoded, and the three encoded parts.
fn split(token: &str) -> Result<(DecodedToken, [&str; 3]), Failure> {
    let parts: Vec<&str> = token.split('.').collect();
    let &[header, claims, signature] = parts.as_slice() else {
        return Err(Failure::new(format!(
            "a token has 3 dot-separated parts, this one has {}",
            parts.len()
        )));
    };
    let json = |part: &str, what: &str| -> Result<Value, Failure> {
        serde_json::from_slice(&decode_part(part, what)?)
            .map_err(|e| Failure::new(format!("the token's {what} is not JSON: {e}")))
    };
    let decoded = DecodedToken {
        header: json(header, "header")?,
        claims: json(claims, "claims")?,
    };
    Ok((decoded, [header, claims, signature]))
}

/// Ok when `jsonwebtoken` verifies the signature with one of `keys`. Only the signature
/// is checked: expiry, audience and the other claims are the scenarios' business.
fn verify(token: &str, keys: &[PublicKey]) -> Result<(), Failure> {
    let header = jsonwebtoken::decode_header(token)
        .map_err(|e| Failure::new(format!("jsonwebtoken cannot read the token's header: {e}")))?;
    let mut validation = Validation::new(header.alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    let mut errors = Vec::new();
    for key in keys {
        let pem = key.to_pem();
        let decoding_key = match key.kind() {
            KeyKind::Rsa => DecodingKey::from_rsa_pem(pem.as_bytes()),
            KeyKind::Ecdsa(_) => DecodingKey::from_ec_pem(pem.as_bytes()),
        };
        let result = decoding_key.and_then(|decoding_key| {
            jsonwebtoken::decode::<Value>(token, &decoding_key, &validation)
        });
        match result {
            Ok(_) => return Ok(()),
            Err(e) => errors.push(e.to_string()),
        }
    }
    Err(not_verified(keys, &errors))
}

fn verify_es512(signing_input: &str, signature: &[u8], keys: &[PublicKey]) -> Result<(), Failure> {
    let mut errors = Vec::new();
    for key in keys {
        match key.verify(JwtAlgorithm::Es512, signing_input.as_bytes(), signature) {
            Ok(()) => return Ok(()),
            Err(e) => errors.push(e.to_string()),
        }
    }
    Err(not_verified(keys, &errors))
}

fn not_verified(keys: &[PublicKey], errors: &[String]) -> Failure {
    Failure::new(format!(
        "no service-account key of the cluster verifies the token ({} key(s): {})",
        keys.len(),
        errors.join("; ")
    ))
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
