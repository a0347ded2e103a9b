//! The JWT token generator (§4.1, §4.2): compact JWS, header `{"alg":"…","typ":"JWT"}` in
//! legacy mode; `{"alg":"…","kid":"…"}` for bound tokens and the legacy Secret tokens of
//! modern clusters (upstream's pkg/serviceaccount/jwt.go `JWTTokenGenerator`, spec-modern
//! §2.1).

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Serialize;

use super::claims::BoundClaims;
use super::keys::{JwtAlgorithm, SignError, SigningKey};
use super::{make_username, LEGACY_ISSUER};

// Claim names of a legacy (secret-based) token, as upstream's pkg/serviceaccount/legacy.go.
/// The issuer claim (`kubernetes/serviceaccount` for legacy tokens).
pub const ISSUER_CLAIM: &str = "iss";
/// The subject claim: `system:serviceaccount:NAMESPACE:NAME`.
pub const SUBJECT_CLAIM: &str = "sub";
/// The account's namespace.
pub const NAMESPACE_CLAIM: &str = "kubernetes.io/serviceaccount/namespace";
/// The token Secret's name.
pub const SECRET_NAME_CLAIM: &str = "kubernetes.io/serviceaccount/secret.name";
/// The account's name.
pub const SERVICE_ACCOUNT_NAME_CLAIM: &str = "kubernetes.io/serviceaccount/service-account.name";
/// The account's UID.
pub const SERVICE_ACCOUNT_UID_CLAIM: &str = "kubernetes.io/serviceaccount/service-account.uid";

/// A token could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The claims did not serialize to JSON.
    #[error("failed to encode token claims: {0}")]
    Encode(#[from] serde_json::Error),
    /// The key failed to sign.
    #[error(transparent)]
    Sign(#[from] SignError),
}

/// Signs service-account tokens with one pre-parsed key; share it behind an `Arc`.
#[derive(Debug, Clone)]
pub struct TokenGenerator {
    issuer: String,
    key: Arc<SigningKey>,
    /// base64url of the header, which never changes for a key.
    encoded_header: String,
}

/// The legacy claim set. Fields are in byte order of their names, the order in which
/// upstream's Go map serialises them, so tokens match upstream byte for byte.
#[derive(Serialize)]
struct LegacyClaims<'a> {
    iss: &'a str,
    #[serde(rename = "kubernetes.io/serviceaccount/namespace")]
    namespace: &'a str,
    #[serde(rename = "kubernetes.io/serviceaccount/secret.name")]
    secret_name: &'a str,
    #[serde(rename = "kubernetes.io/serviceaccount/service-account.name")]
    service_account_name: &'a str,
    #[serde(rename = "kubernetes.io/serviceaccount/service-account.uid")]
    service_account_uid: &'a str,
    sub: &'a str,
}

impl TokenGenerator {
    /// A generator whose tokens carry `iss` = `issuer`.
    pub fn new(issuer: impl Into<String>, key: Arc<SigningKey>) -> Self {
        let header = format!(r#"{{"alg":"{}","typ":"JWT"}}"#, key.algorithm());
        Self {
            issuer: issuer.into(),
            encoded_header: URL_SAFE_NO_PAD.encode(header),
            key,
        }
    }

    /// A generator for legacy tokens: issuer `kubernetes/serviceaccount`.
    pub fn legacy(key: Arc<SigningKey>) -> Self {
        Self::new(LEGACY_ISSUER, key)
    }

    /// A modern generator: its header is exactly `{"alg":"<ALG>","kid":"<KID>"}` (no
    /// `typ`), the kid being the key's [`PublicKey::key_id`](super::PublicKey::key_id).
    pub fn with_key_id(issuer: impl Into<String>, key: Arc<SigningKey>) -> Self {
        Self {
            issuer: issuer.into(),
            encoded_header: key.public_key().jws_header().to_string(),
            key,
        }
    }

    /// Legacy Secret tokens as modern clusters make them: issuer
    /// `kubernetes/serviceaccount`, header with `kid` (spec-modern §2.1, last bullet).
    pub fn legacy_with_key_id(key: Arc<SigningKey>) -> Self {
        Self::with_key_id(LEGACY_ISSUER, key)
    }

    /// The generator of the token controller's Secret tokens in `mode`: v1.8's header
    /// `{"alg":"…","typ":"JWT"}` in [`Mode::Legacy`](crate::Mode::Legacy), and in
    /// [`Mode::Bound`](crate::Mode::Bound) the header with `kid` that 1.33's
    /// kube-controller-manager writes (its `JWTTokenGenerator` signs with a go-jose JWK
    /// carrying the key id, spec-modern §2.1 last bullet). The issuer is
    /// `kubernetes/serviceaccount` either way.
    pub fn legacy_for_mode(mode: crate::Mode, key: Arc<SigningKey>) -> Self {
        match mode {
            crate::Mode::Legacy => Self::legacy(key),
            crate::Mode::Bound => Self::legacy_with_key_id(key),
        }
    }

    /// Signs bound-token claims; `iss` is always this generator's issuer.
    pub fn bound_token(&self, claims: &BoundClaims) -> Result<String, TokenError> {
        let mut claims = claims.clone();
        claims.iss = self.issuer.clone();
        self.sign_payload(&serde_json::to_vec(&claims)?)
    }

    /// The `iss` claim of every token.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The JWS `alg` of every token, fixed by the key.
    pub fn algorithm(&self) -> JwtAlgorithm {
        self.key.algorithm()
    }

    /// The key tokens are signed with.
    pub fn signing_key(&self) -> &Arc<SigningKey> {
        &self.key
    }

    /// The token the token controller stores in a service-account token Secret (§4.2):
    /// no `exp`, `iat`, `nbf` or `aud`; it never expires.
    pub fn legacy_token(
        &self,
        namespace: &str,
        sa_name: &str,
        sa_uid: &str,
        secret_name: &str,
    ) -> Result<String, TokenError> {
        let subject = make_username(namespace, sa_name);
        let claims = LegacyClaims {
            iss: &self.issuer,
            namespace,
            secret_name,
            service_account_name: sa_name,
            service_account_uid: sa_uid,
            sub: &subject,
        };
        self.sign_payload(&serde_json::to_vec(&claims)?)
    }

    /// Signs arbitrary claims; `iss` is always this generator's issuer, whatever the caller set.
    pub fn sign_claims(
        &self,
        mut claims: serde_json::Map<String, serde_json::Value>,
    ) -> Result<String, TokenError> {
        claims.insert(
            ISSUER_CLAIM.to_string(),
            serde_json::Value::String(self.issuer.clone()),
        );
        self.sign_payload(&serde_json::to_vec(&claims)?)
    }

    fn sign_payload(&self, payload: &[u8]) -> Result<String, TokenError> {
        let payload_len = payload.len().div_ceil(3) * 4;
        let mut token = String::with_capacity(self.encoded_header.len() + payload_len + 400);
        token.push_str(&self.encoded_header);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(payload, &mut token);
        let signature = self.key.sign(token.as_bytes())?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut token);
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serviceaccount::keys::tests::{ec_fixture, rsa_fixture, signing_key};
    use crate::serviceaccount::keys::EcCurve;

    fn decode(part: &str) -> String {
        String::from_utf8(URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    fn generators() -> Vec<(JwtAlgorithm, TokenGenerator)> {
        vec![
            (
                JwtAlgorithm::Rs256,
                TokenGenerator::legacy(Arc::new(signing_key(rsa_fixture()))),
            ),
            (
                JwtAlgorithm::Es256,
                TokenGenerator::legacy(Arc::new(signing_key(&ec_fixture(EcCurve::P256)))),
            ),
            (
                JwtAlgorithm::Es384,
                TokenGenerator::legacy(Arc::new(signing_key(&ec_fixture(EcCurve::P384)))),
            ),
            (
                JwtAlgorithm::Es512,
                TokenGenerator::legacy(Arc::new(signing_key(&ec_fixture(EcCurve::P521)))),
            ),
        ]
    }

    #[test]
    fn legacy_token_header_claims_and_signature() {
        let expected_claims = concat!(
            r#"{"iss":"kubernetes/serviceaccount","#,
            r#""kubernetes.io/serviceaccount/namespace":"ns","#,
            r#""kubernetes.io/serviceaccount/secret.name":"default-token-abc12","#,
            r#""kubernetes.io/serviceaccount/service-account.name":"default","#,
            r#""kubernetes.io/serviceaccount/service-account.uid":"uid-1","#,
            r#""sub":"system:serviceaccount:ns:default"}"#
        );
        for (algorithm, generator) in generators() {
            assert_eq!(generator.algorithm(), algorithm);
            let token = generator
                .legacy_token("ns", "default", "uid-1", "default-token-abc12")
                .unwrap();
            assert!(!token.contains('='), "{algorithm}: padded");
            let parts: Vec<&str> = token.split('.').collect();
            assert_eq!(parts.len(), 3, "{algorithm}");
            assert_eq!(
                decode(parts[0]),
                format!(r#"{{"alg":"{algorithm}","typ":"JWT"}}"#)
            );
            assert_eq!(decode(parts[1]), expected_claims, "{algorithm}");
            let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
            let signing_input = format!("{}.{}", parts[0], parts[1]);
            let public = generator.signing_key().public_key();
            assert_eq!(
                public.verify(algorithm, signing_input.as_bytes(), &signature),
                Ok(()),
                "{algorithm}"
            );
        }
    }

    #[test]
    fn key_id_header_and_bound_claims() {
        use crate::serviceaccount::claims::{claims, AccountRef, BoundObjects, ClaimsRequest};
        for (algorithm, legacy) in generators() {
            let key = legacy.signing_key().clone();
            let kid = key.public_key().key_id().to_string();
            let generator = TokenGenerator::legacy_with_key_id(key.clone());
            let token = generator
                .legacy_token("ns", "default", "uid-1", "default-token-abc12")
                .unwrap();
            let parts: Vec<&str> = token.split('.').collect();
            assert_eq!(
                decode(parts[0]),
                format!(r#"{{"alg":"{algorithm}","kid":"{kid}"}}"#)
            );
            assert!(decode(parts[1]).starts_with(r#"{"iss":"kubernetes/serviceaccount","#));

            let generator = TokenGenerator::with_key_id("https://issuer.test", key);
            let audiences = vec!["api".to_string()];
            let mut bound = claims(
                AccountRef {
                    namespace: "ns",
                    name: "sa",
                    uid: "uid-1",
                },
                &BoundObjects::default(),
                &ClaimsRequest {
                    audiences: &audiences,
                    now: 1_514_764_800,
                    expiration_seconds: 600,
                    warnafter_seconds: 0,
                    jti: "fixed".into(),
                },
            )
            .unwrap();
            bound.iss = "forged".into();
            let token = generator.bound_token(&bound).unwrap();
            let parts: Vec<&str> = token.split('.').collect();
            assert_eq!(
                decode(parts[0]),
                format!(r#"{{"alg":"{algorithm}","kid":"{kid}"}}"#)
            );
            assert_eq!(
                decode(parts[1]),
                concat!(
                    r#"{"aud":["api"],"exp":1514765400,"iat":1514764800,"iss":"https://issuer.test","#,
                    r#""jti":"fixed","kubernetes.io":{"namespace":"ns","serviceaccount":{"name":"sa","uid":"uid-1"}},"#,
                    r#""nbf":1514764800,"sub":"system:serviceaccount:ns:sa"}"#
                )
            );
            let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
            let signing_input = format!("{}.{}", parts[0], parts[1]);
            assert_eq!(
                generator.signing_key().public_key().verify(
                    algorithm,
                    signing_input.as_bytes(),
                    &signature
                ),
                Ok(())
            );
        }
    }

    #[test]
    fn claims_are_json_escaped() {
        let generator = TokenGenerator::legacy(Arc::new(signing_key(&ec_fixture(EcCurve::P256))));
        let token = generator.legacy_token("ns", "a\"b", "u\\1", "s").unwrap();
        let payload: serde_json::Value =
            serde_json::from_str(&decode(token.split('.').nth(1).unwrap())).unwrap();
        assert_eq!(payload[SERVICE_ACCOUNT_NAME_CLAIM], "a\"b");
        assert_eq!(payload[SERVICE_ACCOUNT_UID_CLAIM], "u\\1");
        assert_eq!(payload[SUBJECT_CLAIM], "system:serviceaccount:ns:a\"b");
    }

    #[test]
    fn issuer_overrides_caller_claims() {
        let generator = TokenGenerator::new(
            "https://issuer.test",
            Arc::new(signing_key(&ec_fixture(EcCurve::P256))),
        );
        let mut claims = serde_json::Map::new();
        claims.insert("iss".into(), "forged".into());
        claims.insert("aud".into(), "api".into());
        let token = generator.sign_claims(claims).unwrap();
        assert_eq!(
            decode(token.split('.').nth(1).unwrap()),
            r#"{"aud":"api","iss":"https://issuer.test"}"#
        );
    }

    #[test]
    fn shared_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<TokenGenerator>();
        let generator = Arc::new(TokenGenerator::legacy(Arc::new(signing_key(&ec_fixture(
            EcCurve::P256,
        )))));
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let generator = Arc::clone(&generator);
                std::thread::spawn(move || {
                    generator
                        .legacy_token("ns", &format!("sa{i}"), "uid", "s")
                        .unwrap()
                })
            })
            .collect();
        for (i, handle) in handles.into_iter().enumerate() {
            let token = handle.join().unwrap();
            assert!(decode(token.split('.').nth(1).unwrap())
                .contains(&format!("system:serviceaccount:ns:sa{i}")));
        }
    }
}
