//! The legacy (Secret-based) service-account token authenticator.
//!
//! It behaves as upstream's `jwtTokenAuthenticator` on dgrijalva/jwt-go did (spec §4.4):
//! tokens that are not JWTs are "not mine" (`Ok(None)`), a signature that fails on every key
//! is an error, and a verified token with another issuer is again "not mine". In bound mode
//! the claim and lookup checks are those of 1.33's pkg/serviceaccount/legacy.go
//! (spec-modern §3.6): the secret name is checked, the subject's names must be valid, a
//! terminating Secret or account refuses the token, and the jwt-go time claims are not read.

use std::sync::Arc;

use aws_lc_rs::constant_time::verify_slices_are_equal;
use futures::future::BoxFuture;
use k8s_openapi::api::core::v1::{Node, Pod, Secret, ServiceAccount};
use serde_json::{Map, Value};

use super::go_base64::decode_segment;
use super::jwt::{
    ISSUER_CLAIM, NAMESPACE_CLAIM, SECRET_NAME_CLAIM, SERVICE_ACCOUNT_NAME_CLAIM,
    SERVICE_ACCOUNT_UID_CLAIM, SUBJECT_CLAIM,
};
use super::keys::{JwtAlgorithm, PublicKey, VerifyError};
use super::{split_username, user_info, LEGACY_ISSUER, TOKEN_DATA_KEY};
use crate::apiserver::validation::names::{is_dns1123_label, is_dns1123_subdomain};
use crate::authn::{
    intersect, AudienceResult, Audiences, AuthError, AuthResult, Authenticated, TokenAuthenticator,
};
use crate::clock::{Clock, SystemClock};
use crate::Mode;

/// Reads the objects a token refers to (lister first, then a live GET, in the apiserver).
pub trait ServiceAccountTokenGetter: Send + Sync {
    /// The ServiceAccount `namespace/name`; a missing one is [`GetterError::NotFound`].
    fn get_service_account<'a>(
        &'a self,
        namespace: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<ServiceAccount, GetterError>>;
    /// The Secret `namespace/name`; a missing one is [`GetterError::NotFound`].
    fn get_secret<'a>(
        &'a self,
        namespace: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Secret, GetterError>>;
    /// The Pod `namespace/name` (bound tokens); by default unsupported, an error.
    fn get_pod<'a>(
        &'a self,
        _namespace: &'a str,
        _name: &'a str,
    ) -> BoxFuture<'a, Result<Pod, GetterError>> {
        Box::pin(async { Err(GetterError::Other("pod lookups are not supported".into())) })
    }
    /// The Node `name` (bound tokens); by default unsupported, an error.
    fn get_node<'a>(&'a self, _name: &'a str) -> BoxFuture<'a, Result<Node, GetterError>> {
        Box::pin(async { Err(GetterError::Other("node lookups are not supported".into())) })
    }
}

/// Why a getter returned nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GetterError {
    /// Displays as the API server's NotFound message, e.g. `serviceaccounts "default" not found`.
    #[error("{resource} \"{name}\" not found")]
    NotFound {
        /// The plural, lower-case resource name (`serviceaccounts`, `secrets`).
        resource: String,
        /// The object's name.
        name: String,
    },
    /// Any other failure; the token is rejected with this text in the log.
    #[error("{0}")]
    Other(String),
}

impl GetterError {
    /// `resource` is the plural, lower-case resource name (`serviceaccounts`, `secrets`).
    pub fn not_found(resource: impl Into<String>, name: impl Into<String>) -> Self {
        Self::NotFound {
            resource: resource.into(),
            name: name.into(),
        }
    }

    /// Whether the object does not exist (as opposed to a failed read).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }
}

/// Algorithms jwt-go knows but the legacy authenticator refuses outright.
const FOREIGN_JWT_GO_ALGORITHMS: &[&str] =
    &["none", "HS256", "HS384", "HS512", "PS256", "PS384", "PS512"];

/// Verifies legacy service-account tokens against `--service-account-key-file` keys.
pub struct LegacyTokenAuthenticator {
    keys: Vec<PublicKey>,
    lookup: bool,
    getter: Arc<dyn ServiceAccountTokenGetter>,
    mode: Mode,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for LegacyTokenAuthenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LegacyTokenAuthenticator")
            .field("keys", &self.keys)
            .field("lookup", &self.lookup)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

type Claims = Map<String, Value>;

/// An authenticator's refusal with upstream's `text`.
pub(crate) fn auth_error(message: impl Into<String>) -> AuthError {
    AuthError(message.into())
}

impl LegacyTokenAuthenticator {
    /// `keys` are tried in order. With `lookup` (`--service-account-lookup`, default true)
    /// the token's Secret and ServiceAccount must still exist and match. The checks are
    /// v1.8's (legacy mode) and time is the system's until [`with_mode`](Self::with_mode)
    /// and [`with_clock`](Self::with_clock) say otherwise.
    pub fn new(
        keys: Vec<PublicKey>,
        lookup: bool,
        getter: Arc<dyn ServiceAccountTokenGetter>,
    ) -> Self {
        Self {
            keys,
            lookup,
            getter,
            mode: Mode::Legacy,
            clock: Arc::new(SystemClock),
        }
    }

    /// Whose claim and lookup checks run: v1.8's ([`Mode::Legacy`], spec §4.4) or 1.33's
    /// ([`Mode::Bound`], spec-modern §3.6).
    pub fn with_mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// The clock the `exp`, `nbf` and `iat` claims are measured against (Kubernetes time,
    /// so that `--clock=fake` governs it).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// `Ok(Some(user))`, `Ok(None)` for a token that is not ours, or `Err` for one that is
    /// ours but invalid.
    pub async fn authenticate_token(&self, token: &str) -> AuthResult {
        Ok(self
            .authenticate_token_for(token, Audiences::default())
            .await?
            .map(|found| found.user))
    }

    /// As [`authenticate_token`](Self::authenticate_token), for `audiences`. A legacy token
    /// is good for the API audiences (upstream's implicit audiences): when audiences are
    /// requested and none of them is an API audience, the token is refused with upstream's
    /// text. As in v1.8, an `aud` claim is not read.
    pub async fn authenticate_token_for(
        &self,
        token: &str,
        audiences: Audiences<'_>,
    ) -> AudienceResult {
        let Some(claims) = self.verify_signature(token, self.clock.now().as_second())? else {
            return Ok(None);
        };
        let claim = |name: &str| claims.get(name).and_then(Value::as_str).unwrap_or("");

        if claim(ISSUER_CLAIM) != LEGACY_ISSUER {
            return Ok(None);
        }
        let granted = intersect(audiences.api, audiences.requested);
        if !audiences.requested.is_empty() && granted.is_empty() && !audiences.api.is_empty() {
            return Err(auth_error(format!(
                "token audiences {} is invalid for the target audiences {}",
                go_quoted_list(audiences.api),
                go_quoted_list(audiences.requested)
            )));
        }
        let subject = claim(SUBJECT_CLAIM);
        if subject.is_empty() {
            return Err(auth_error("sub claim is missing"));
        }
        let namespace = claim(NAMESPACE_CLAIM);
        if namespace.is_empty() {
            return Err(auth_error("namespace claim is missing"));
        }
        // v1.8's "secretName claim is missing" test looks at the namespace, which is known
        // to be set here, so an empty secret name gets through; later releases fixed it.
        let secret_name = claim(SECRET_NAME_CLAIM);
        if self.mode == Mode::Bound && secret_name.is_empty() {
            return Err(auth_error("secretName claim is missing"));
        }
        let service_account_name = claim(SERVICE_ACCOUNT_NAME_CLAIM);
        if service_account_name.is_empty() {
            return Err(auth_error("serviceAccountName claim is missing"));
        }
        let service_account_uid = claim(SERVICE_ACCOUNT_UID_CLAIM);
        if service_account_uid.is_empty() {
            return Err(auth_error("serviceAccountUID claim is missing"));
        }
        match split_username(subject) {
            Ok((ns, name))
                if ns == namespace
                    && name == service_account_name
                    && (self.mode == Mode::Legacy || valid_names(ns, name)) => {}
            _ => return Err(auth_error("sub claim is invalid")),
        }

        if self.lookup {
            self.check_still_valid(
                token,
                namespace,
                secret_name,
                service_account_name,
                service_account_uid,
            )
            .await?;
        }
        crate::metrics::record_token_use(crate::metrics::TokenUse::Legacy);
        Ok(Some(Authenticated {
            user: user_info(namespace, service_account_name, service_account_uid),
            audiences: granted,
        }))
    }

    /// Deleting the Secret, replacing its token, or recreating the account revokes a token.
    async fn check_still_valid(
        &self,
        token: &str,
        namespace: &str,
        secret_name: &str,
        service_account_name: &str,
        service_account_uid: &str,
    ) -> Result<(), AuthError> {
        let secret = match self.getter.get_secret(namespace, secret_name).await {
            Ok(secret) => secret,
            Err(e) => {
                tracing::debug!(
                    "could not retrieve token {namespace}/{secret_name} for service account {namespace}/{service_account_name}: {e}"
                );
                return Err(auth_error("Token has been invalidated"));
            }
        };
        if self.mode == Mode::Bound && secret.metadata.deletion_timestamp.is_some() {
            tracing::debug!(
                "token {namespace}/{secret_name} for service account {namespace}/{service_account_name} is deleted and awaiting removal"
            );
            return Err(auth_error("Token has been invalidated"));
        }
        let stored = secret
            .data
            .as_ref()
            .and_then(|data| data.get(TOKEN_DATA_KEY))
            .map(|token| token.0.as_slice())
            .unwrap_or_default();
        // Constant time, so a forged token does not learn how much of the stored one it matched.
        if verify_slices_are_equal(stored, token.as_bytes()).is_err() {
            tracing::debug!(
                "token contents no longer match {namespace}/{secret_name} for service account {namespace}/{service_account_name}"
            );
            return Err(auth_error("Token does not match server's copy"));
        }

        let service_account = self
            .getter
            .get_service_account(namespace, service_account_name)
            .await
            .map_err(|e| auth_error(e.to_string()))?;
        if self.mode == Mode::Bound && service_account.metadata.deletion_timestamp.is_some() {
            return Err(auth_error(format!(
                "ServiceAccount {namespace}/{service_account_name} has been deleted"
            )));
        }
        let actual_uid = service_account.metadata.uid.as_deref().unwrap_or("");
        if actual_uid != service_account_uid {
            return Err(auth_error(format!(
                "ServiceAccount UID ({actual_uid}) does not match claim ({service_account_uid})"
            )));
        }
        Ok(())
    }

    /// Parses the token and tries each key, as jwt-go's `Parse` inside v1.8's key loop; in
    /// bound mode as 1.33 does, through the JWS check bound tokens get (key by `kid`,
    /// go-jose's errors, time claims not read). `Ok(None)`: not a JWT, or no keys.
    /// `Ok(Some(claims))`: a key verified it.
    fn verify_signature(&self, token: &str, now: i64) -> Result<Option<Claims>, AuthError> {
        if self.keys.is_empty() {
            return Ok(None);
        }
        if self.mode == Mode::Bound {
            return Ok(super::jws::verify_jws(&self.keys, token)?
                .and_then(|payload| first_json_object(&payload)));
        }
        let mut parts = token.split('.');
        let (Some(header_part), Some(payload_part), Some(signature_part), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Ok(None);
        };
        // Malformed header or payload: not a JWT, let the next authenticator try.
        let Some(header) = decode_segment(header_part)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Option<Claims>>(&bytes).ok())
        else {
            return Ok(None);
        };
        let Some(claims) = decode_segment(payload_part)
            .ok()
            .and_then(|bytes| first_json_object(&bytes))
        else {
            return Ok(None);
        };

        let algorithm = match header.as_ref().and_then(|h| h.get("alg")) {
            Some(Value::String(name)) => match JwtAlgorithm::from_name(name) {
                Some(algorithm) => algorithm,
                None if FOREIGN_JWT_GO_ALGORITHMS.contains(&name.as_str()) => {
                    return Err(auth_error(format!("Unexpected signing method: {name}")))
                }
                None => return Err(auth_error("signing method (alg) is unavailable.")),
            },
            _ => return Err(auth_error("signing method (alg) is unspecified.")),
        };

        let time_error = time_claims_error(&claims, now);
        let signature = decode_segment(signature_part);
        let signing_input = &token[..header_part.len() + 1 + payload_part.len()];

        let mut last_error = VerifyError::KeyTypeMismatch.to_string();
        for (index, key) in self.keys.iter().enumerate() {
            let verified = match &signature {
                Ok(signature) => key
                    .verify(algorithm, signing_input.as_bytes(), signature)
                    .map_err(|e| e.to_string()),
                // jwt-go's key function refuses a key of the other type before `Verify`
                // decodes the signature; a key that gets that far fails on the decode.
                Err(corrupt) => match key.verify(algorithm, signing_input.as_bytes(), &[]) {
                    Err(mismatch @ VerifyError::KeyTypeMismatch) => Err(mismatch.to_string()),
                    _ => Err(corrupt.to_string()),
                },
            };
            match verified {
                Ok(()) => {
                    if let Some(message) = time_error {
                        return Err(auth_error(message));
                    }
                    return Ok(Some(claims));
                }
                Err(e) => {
                    tracing::trace!("service account token not verified by key {index}: {e}");
                    last_error = e;
                }
            }
        }
        Err(auth_error(last_error))
    }
}

impl TokenAuthenticator for LegacyTokenAuthenticator {
    fn authenticate<'a>(&'a self, token: &'a str) -> BoxFuture<'a, AuthResult> {
        Box::pin(self.authenticate_token(token))
    }

    fn authenticate_for<'a>(
        &'a self,
        token: &'a str,
        audiences: Audiences<'a>,
    ) -> BoxFuture<'a, AudienceResult> {
        Box::pin(self.authenticate_token_for(token, audiences))
    }
}

/// Go's `%q` of a `[]string`: `["a" "b"]`.
pub(crate) fn go_quoted_list(items: &[String]) -> String {
    let quoted: Vec<String> = items
        .iter()
        .map(|item| serde_json::Value::String(item.clone()).to_string())
        .collect();
    format!("[{}]", quoted.join(" "))
}

/// jwt-go reads the claims with a streaming decoder: the first JSON value counts, trailing
/// bytes do not; `null` is an empty claim set.
fn first_json_object(bytes: &[u8]) -> Option<Claims> {
    let mut values = serde_json::Deserializer::from_slice(bytes).into_iter::<Option<Claims>>();
    values.next()?.ok().map(Option::unwrap_or_default)
}

/// jwt-go's MapClaims checks, made before the signature; a zero value counts as absent.
/// Later failures overwrite earlier ones, as there.
fn time_claims_error(claims: &Claims, now: i64) -> Option<&'static str> {
    let time = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_f64)
            .map(|seconds| seconds as i64)
            .filter(|&seconds| seconds != 0)
    };
    let mut error = None;
    if time("exp").is_some_and(|exp| now > exp) {
        error = Some("Token is expired");
    }
    if time("iat").is_some_and(|iat| now < iat) {
        error = Some("Token used before issued");
    }
    if time("nbf").is_some_and(|nbf| now < nbf) {
        error = Some("Token is not valid yet");
    }
    error
}

/// 1.33's `SplitUsername` also requires a valid namespace (DNS-1123 label) and account
/// name (DNS-1123 subdomain).
fn valid_names(namespace: &str, name: &str) -> bool {
    is_dns1123_label(namespace).is_empty() && is_dns1123_subdomain(name).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authn::{AuthenticationChain, StaticTokenAuthenticator, UserInfo};
    use crate::serviceaccount::jwt::TokenGenerator;
    use crate::serviceaccount::keys::tests::{ec_fixture, rsa_fixture, signing_key};
    use crate::serviceaccount::keys::{EcCurve, SigningKey};
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use futures::executor::block_on;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    use k8s_openapi::ByteString;
    use std::collections::{BTreeMap, HashMap};
    use std::sync::OnceLock;

    const NS: &str = "ns";
    const SA: &str = "default";
    const UID: &str = "uid-1";
    const SECRET: &str = "default-token-abc12";

    struct Keys {
        rsa: Arc<SigningKey>,
        other_rsa: Arc<SigningKey>,
        p256: Arc<SigningKey>,
        other_p256: Arc<SigningKey>,
        p384: Arc<SigningKey>,
        p521: Arc<SigningKey>,
    }

    fn keys() -> &'static Keys {
        static KEYS: OnceLock<Keys> = OnceLock::new();
        KEYS.get_or_init(|| Keys {
            rsa: Arc::new(signing_key(rsa_fixture())),
            other_rsa: Arc::new(SigningKey::generate_rsa(2048).unwrap()),
            p256: Arc::new(signing_key(&ec_fixture(EcCurve::P256))),
            other_p256: Arc::new(signing_key(&ec_fixture(EcCurve::P256))),
            p384: Arc::new(signing_key(&ec_fixture(EcCurve::P384))),
            p521: Arc::new(signing_key(&ec_fixture(EcCurve::P521))),
        })
    }

    fn public(key: &Arc<SigningKey>) -> PublicKey {
        key.public_key().clone()
    }

    fn legacy_token(key: &Arc<SigningKey>) -> String {
        TokenGenerator::legacy(Arc::clone(key))
            .legacy_token(NS, SA, UID, SECRET)
            .unwrap()
    }

    fn expected_user() -> UserInfo {
        UserInfo {
            username: "system:serviceaccount:ns:default".into(),
            uid: UID.into(),
            groups: vec![
                "system:serviceaccounts".into(),
                "system:serviceaccounts:ns".into(),
            ],
            extra: Default::default(),
        }
    }

    #[derive(Default)]
    struct FakeGetter {
        service_accounts: HashMap<(String, String), ServiceAccount>,
        secrets: HashMap<(String, String), Secret>,
        secret_error: Option<GetterError>,
    }

    impl FakeGetter {
        /// The account and its token Secret holding `token`.
        fn holding(token: &str) -> Self {
            let mut getter = Self::default();
            getter.add_service_account(UID);
            getter.add_secret(Some(token));
            getter
        }

        fn add_service_account(&mut self, uid: &str) {
            let service_account = ServiceAccount {
                metadata: ObjectMeta {
                    namespace: Some(NS.into()),
                    name: Some(SA.into()),
                    uid: Some(uid.into()),
                    ..Default::default()
                },
                ..Default::default()
            };
            self.service_accounts
                .insert((NS.into(), SA.into()), service_account);
        }

        fn add_secret(&mut self, token: Option<&str>) {
            let data = token.map(|token| {
                BTreeMap::from([(
                    TOKEN_DATA_KEY.to_string(),
                    ByteString(token.as_bytes().to_vec()),
                )])
            });
            let secret = Secret {
                metadata: ObjectMeta {
                    namespace: Some(NS.into()),
                    name: Some(SECRET.into()),
                    ..Default::default()
                },
                data,
                ..Default::default()
            };
            self.secrets.insert((NS.into(), SECRET.into()), secret);
        }
    }

    impl ServiceAccountTokenGetter for FakeGetter {
        fn get_service_account<'a>(
            &'a self,
            namespace: &'a str,
            name: &'a str,
        ) -> BoxFuture<'a, Result<ServiceAccount, GetterError>> {
            let found = self
                .service_accounts
                .get(&(namespace.to_string(), name.to_string()))
                .cloned();
            Box::pin(
                async move { found.ok_or_else(|| GetterError::not_found("serviceaccounts", name)) },
            )
        }

        fn get_secret<'a>(
            &'a self,
            namespace: &'a str,
            name: &'a str,
        ) -> BoxFuture<'a, Result<Secret, GetterError>> {
            let result = match &self.secret_error {
                Some(error) => Err(error.clone()),
                None => self
                    .secrets
                    .get(&(namespace.to_string(), name.to_string()))
                    .cloned()
                    .ok_or_else(|| GetterError::not_found("secrets", name)),
            };
            Box::pin(async move { result })
        }
    }

    fn authenticate(
        keys: Vec<PublicKey>,
        lookup: bool,
        getter: FakeGetter,
        token: &str,
    ) -> AuthResult {
        block_on(
            LegacyTokenAuthenticator::new(keys, lookup, Arc::new(getter)).authenticate_token(token),
        )
    }

    fn segment(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    /// A token with the given header whose payload is the valid legacy claim set.
    fn with_header(header: &str, signature: &str) -> String {
        let payload = legacy_token(&keys().p256)
            .split('.')
            .nth(1)
            .unwrap()
            .to_string();
        format!("{}.{payload}.{signature}", segment(header))
    }

    fn legacy_claims() -> Claims {
        let mut claims = Claims::new();
        for (name, value) in [
            (SUBJECT_CLAIM, "system:serviceaccount:ns:default"),
            (NAMESPACE_CLAIM, NS),
            (SECRET_NAME_CLAIM, SECRET),
            (SERVICE_ACCOUNT_NAME_CLAIM, SA),
            (SERVICE_ACCOUNT_UID_CLAIM, UID),
        ] {
            claims.insert(name.into(), value.into());
        }
        claims
    }

    /// Legacy claims changed by `edit`, signed by the RSA key with `issuer`.
    fn signed_claims(issuer: &str, edit: impl FnOnce(&mut Claims)) -> String {
        let mut claims = legacy_claims();
        edit(&mut claims);
        TokenGenerator::new(issuer, Arc::clone(&keys().rsa))
            .sign_claims(claims)
            .unwrap()
    }

    fn hs256(secret: &[u8]) -> String {
        let header_and_payload = with_header(r#"{"alg":"HS256","typ":"JWT"}"#, "");
        let signing_input = header_and_payload.trim_end_matches('.');
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret);
        let tag = aws_lc_rs::hmac::sign(&key, signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }

    fn tampered(token: &str) -> String {
        let parts: Vec<&str> = token.split('.').collect();
        let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        let forged = payload
            .replace(
                "system:serviceaccount:ns:default",
                "system:serviceaccount:ns:admin",
            )
            .replace(
                r#"service-account.name":"default""#,
                r#"service-account.name":"admin""#,
            );
        assert_ne!(payload, forged);
        format!("{}.{}.{}", parts[0], segment(&forged), parts[2])
    }

    #[test]
    fn signatures_and_key_selection() {
        let k = keys();
        let rsa_token = legacy_token(&k.rsa);
        let ec_token = legacy_token(&k.p256);
        let rsa_public = k.rsa.public_key().to_pem();
        let ok = || Ok(Some(expected_user()));
        let cases: Vec<(&str, Vec<PublicKey>, String, AuthResult)> = vec![
            ("RS256", vec![public(&k.rsa)], rsa_token.clone(), ok()),
            ("ES256", vec![public(&k.p256)], ec_token.clone(), ok()),
            ("ES384", vec![public(&k.p384)], legacy_token(&k.p384), ok()),
            ("ES512", vec![public(&k.p521)], legacy_token(&k.p521), ok()),
            (
                "second key verifies (type mismatch first)",
                vec![public(&k.p256), public(&k.rsa)],
                rsa_token.clone(),
                ok(),
            ),
            (
                "second key verifies (foreign key first)",
                vec![public(&k.other_rsa), public(&k.rsa)],
                rsa_token.clone(),
                ok(),
            ),
            (
                "second EC key verifies",
                vec![public(&k.other_p256), public(&k.p256)],
                ec_token.clone(),
                ok(),
            ),
            ("no keys", vec![], rsa_token.clone(), Ok(None)),
            (
                "foreign RSA key",
                vec![public(&k.other_rsa)],
                rsa_token.clone(),
                Err(auth_error("crypto/rsa: verification error")),
            ),
            (
                "foreign EC key",
                vec![public(&k.other_p256)],
                ec_token.clone(),
                Err(auth_error("crypto/ecdsa: verification error")),
            ),
            (
                "tampered RS256 payload",
                vec![public(&k.rsa)],
                tampered(&rsa_token),
                Err(auth_error("crypto/rsa: verification error")),
            ),
            (
                "tampered ES256 payload",
                vec![public(&k.p256)],
                tampered(&ec_token),
                Err(auth_error("crypto/ecdsa: verification error")),
            ),
            (
                "stripped signature",
                vec![public(&k.rsa)],
                format!("{}.", rsa_token.rsplit_once('.').unwrap().0),
                Err(auth_error("crypto/rsa: verification error")),
            ),
            (
                "undecodable signature",
                vec![public(&k.rsa)],
                format!("{}.AQ*D", rsa_token.rsplit_once('.').unwrap().0),
                Err(auth_error("illegal base64 data at input byte 2")),
            ),
            (
                "undecodable signature, key of the other type",
                vec![public(&k.p256)],
                format!("{}.AQ*D", rsa_token.rsplit_once('.').unwrap().0),
                Err(auth_error("invalid signing method")),
            ),
            (
                "ES256 against RSA key only",
                vec![public(&k.rsa)],
                ec_token.clone(),
                Err(auth_error("invalid signing method")),
            ),
            (
                "RS256 against EC key only",
                vec![public(&k.p256)],
                rsa_token.clone(),
                Err(auth_error("invalid signing method")),
            ),
            (
                "last error wins",
                vec![public(&k.rsa), public(&k.other_p256)],
                ec_token.clone(),
                Err(auth_error("crypto/ecdsa: verification error")),
            ),
            (
                "ES384 header against P-256 key",
                vec![public(&k.p256)],
                {
                    let parts: Vec<&str> = ec_token.split('.').collect();
                    format!(
                        "{}.{}.{}",
                        segment(r#"{"alg":"ES384","typ":"JWT"}"#),
                        parts[1],
                        parts[2]
                    )
                },
                Err(auth_error("crypto/ecdsa: verification error")),
            ),
            (
                "alg none",
                vec![public(&k.rsa)],
                with_header(r#"{"alg":"none","typ":"JWT"}"#, ""),
                Err(auth_error("Unexpected signing method: none")),
            ),
            (
                "HS256 keyed with the public PEM",
                vec![public(&k.rsa)],
                hs256(rsa_public.as_bytes()),
                Err(auth_error("Unexpected signing method: HS256")),
            ),
            (
                "HS256 keyed with the public DER",
                vec![public(&k.rsa)],
                hs256(k.rsa.public_key().to_pkix_der()),
                Err(auth_error("Unexpected signing method: HS256")),
            ),
            (
                "PS256",
                vec![public(&k.rsa)],
                with_header(r#"{"alg":"PS256"}"#, "AAAA"),
                Err(auth_error("Unexpected signing method: PS256")),
            ),
            (
                "unknown alg",
                vec![public(&k.rsa)],
                with_header(r#"{"alg":"XS256"}"#, "AAAA"),
                Err(auth_error("signing method (alg) is unavailable.")),
            ),
            (
                "no alg",
                vec![public(&k.rsa)],
                with_header(r#"{"typ":"JWT"}"#, "AAAA"),
                Err(auth_error("signing method (alg) is unspecified.")),
            ),
            (
                "alg not a string",
                vec![public(&k.rsa)],
                with_header(r#"{"alg":256}"#, "AAAA"),
                Err(auth_error("signing method (alg) is unspecified.")),
            ),
            (
                "other issuer",
                vec![public(&k.rsa)],
                signed_claims("https://other.test", |_| {}),
                Ok(None),
            ),
            (
                "empty issuer",
                vec![public(&k.rsa)],
                signed_claims("", |_| {}),
                Ok(None),
            ),
            (
                "expired",
                vec![public(&k.rsa)],
                signed_claims(LEGACY_ISSUER, |c| {
                    c.insert("exp".into(), 1.into());
                }),
                Err(auth_error("Token is expired")),
            ),
            (
                "exp zero counts as absent",
                vec![public(&k.rsa)],
                signed_claims(LEGACY_ISSUER, |c| {
                    c.insert("exp".into(), 0.into());
                }),
                ok(),
            ),
            (
                "not valid yet",
                vec![public(&k.rsa)],
                signed_claims(LEGACY_ISSUER, |c| {
                    c.insert("nbf".into(), 9_999_999_999i64.into());
                }),
                Err(auth_error("Token is not valid yet")),
            ),
            (
                "issued in the future",
                vec![public(&k.rsa)],
                signed_claims(LEGACY_ISSUER, |c| {
                    c.insert("iat".into(), 9_999_999_999i64.into());
                }),
                Err(auth_error("Token used before issued")),
            ),
            (
                "expired and foreign key: signature error",
                vec![public(&k.other_rsa)],
                signed_claims(LEGACY_ISSUER, |c| {
                    c.insert("exp".into(), 1.into());
                }),
                Err(auth_error("crypto/rsa: verification error")),
            ),
        ];
        for (name, keys, token, expected) in cases {
            assert_eq!(
                authenticate(keys, false, FakeGetter::default(), &token),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn tokens_that_are_not_jwts_are_not_ours() {
        let k = keys();
        let valid = legacy_token(&k.rsa);
        let parts: Vec<&str> = valid.split('.').collect();
        let cases: Vec<(&str, String)> = vec![
            ("empty", String::new()),
            ("opaque bearer token", "0123456789abcdef".into()),
            ("two parts", format!("{}.{}", parts[0], parts[1])),
            ("four parts", format!("{valid}.x")),
            ("header not base64", format!("!!.{}.{}", parts[1], parts[2])),
            (
                "header not JSON",
                format!("{}.{}.{}", segment("alg"), parts[1], parts[2]),
            ),
            (
                "header a JSON array",
                format!("{}.{}.{}", segment("[1]"), parts[1], parts[2]),
            ),
            (
                "payload not base64",
                format!("{}.%%.{}", parts[0], parts[2]),
            ),
            (
                "payload not JSON",
                format!("{}.{}.{}", parts[0], segment("nope"), parts[2]),
            ),
            (
                "payload a string",
                format!("{}.{}.{}", parts[0], segment("\"x\""), parts[2]),
            ),
            (
                "bad payload beats bad alg",
                format!("{}.{}.x", segment(r#"{"alg":"none"}"#), segment("1")),
            ),
        ];
        for (name, token) in cases {
            assert_eq!(
                authenticate(vec![public(&k.rsa)], false, FakeGetter::default(), &token),
                Ok(None),
                "{name}"
            );
        }
    }

    #[test]
    fn padded_signature_is_accepted() {
        let k = keys();
        let token = legacy_token(&k.p256);
        // 64 signature bytes take 86 base64 characters; jwt-go also accepts the padded 88.
        assert_eq!(token.rsplit('.').next().unwrap().len(), 86);
        let padded = format!("{token}==");
        let result = authenticate(vec![public(&k.p256)], false, FakeGetter::default(), &padded);
        assert_eq!(result, Ok(Some(expected_user())));
    }

    #[test]
    fn claim_checks() {
        let k = keys();
        let cases: Vec<(&str, String, AuthResult)> = vec![
            (
                "all present",
                signed_claims(LEGACY_ISSUER, |_| {}),
                Ok(Some(expected_user())),
            ),
            (
                "sub missing",
                signed_claims(LEGACY_ISSUER, |c| {
                    c.remove(SUBJECT_CLAIM);
                }),
                Err(auth_error("sub claim is missing")),
            ),
            (
                "sub not a string",
                signed_claims(LEGACY_ISSUER, |c| {
                    c.insert(SUBJECT_CLAIM.into(), 7.into());
                }),
                Err(auth_error("sub claim is missing")),
            ),
            (
                "namespace missing",
                signed_claims(LEGACY_ISSUER, |c| {
                    c.remove(NAMESPACE_CLAIM);
                }),
                Err(auth_error("namespace claim is missing")),
            ),
            (
                "secret name missing is not caught",
                signed_claims(LEGACY_ISSUER, |c| {
                    c.remove(SECRET_NAME_CLAIM);
                }),
                Ok(Some(expected_user())),
            ),
            (
                "name missing",
                signed_claims(LEGACY_ISSUER, |c| {
                    c.remove(SERVICE_ACCOUNT_NAME_CLAIM);
                }),
                Err(auth_error("serviceAccountName claim is missing")),
            ),
            (
                "uid missing",
                signed_claims(LEGACY_ISSUER, |c| {
                    c.insert(SERVICE_ACCOUNT_UID_CLAIM.into(), "".into());
                }),
                Err(auth_error("serviceAccountUID claim is missing")),
            ),
            (
                "sub in another namespace",
                signed_claims(LEGACY_ISSUER, |c| {
                    c.insert(
                        SUBJECT_CLAIM.into(),
                        "system:serviceaccount:other:default".into(),
                    );
                }),
                Err(auth_error("sub claim is invalid")),
            ),
            (
                "sub for another account",
                signed_claims(LEGACY_ISSUER, |c| {
                    c.insert(
                        SUBJECT_CLAIM.into(),
                        "system:serviceaccount:ns:admin".into(),
                    );
                }),
                Err(auth_error("sub claim is invalid")),
            ),
            (
                "sub without prefix",
                signed_claims(LEGACY_ISSUER, |c| {
                    c.insert(SUBJECT_CLAIM.into(), "ns:default".into());
                }),
                Err(auth_error("sub claim is invalid")),
            ),
            (
                "sub with three parts",
                signed_claims(LEGACY_ISSUER, |c| {
                    c.insert(
                        SUBJECT_CLAIM.into(),
                        "system:serviceaccount:ns:default:x".into(),
                    );
                }),
                Err(auth_error("sub claim is invalid")),
            ),
        ];
        for (name, token, expected) in cases {
            assert_eq!(
                authenticate(vec![public(&k.rsa)], false, FakeGetter::default(), &token),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn lookup_checks() {
        let k = keys();
        let token = legacy_token(&k.rsa);
        let getter = |edit: &dyn Fn(&mut FakeGetter)| {
            let mut getter = FakeGetter::holding(&token);
            edit(&mut getter);
            getter
        };
        let cases: Vec<(&str, bool, FakeGetter, AuthResult)> = vec![
            (
                "everything matches",
                true,
                getter(&|_| {}),
                Ok(Some(expected_user())),
            ),
            (
                "secret deleted",
                true,
                getter(&|g| g.secrets.clear()),
                Err(auth_error("Token has been invalidated")),
            ),
            (
                "secret fetch fails",
                true,
                getter(&|g| g.secret_error = Some(GetterError::Other("etcd down".into()))),
                Err(auth_error("Token has been invalidated")),
            ),
            (
                "secret holds another token",
                true,
                getter(&|g| g.add_secret(Some("other"))),
                Err(auth_error("Token does not match server's copy")),
            ),
            (
                "secret holds no token",
                true,
                getter(&|g| g.add_secret(None)),
                Err(auth_error("Token does not match server's copy")),
            ),
            (
                "account deleted",
                true,
                getter(&|g| g.service_accounts.clear()),
                Err(auth_error("serviceaccounts \"default\" not found")),
            ),
            (
                "account recreated",
                true,
                getter(&|g| g.add_service_account("uid-2")),
                Err(auth_error(
                    "ServiceAccount UID (uid-2) does not match claim (uid-1)",
                )),
            ),
            (
                "no lookup: nothing fetched",
                false,
                FakeGetter::default(),
                Ok(Some(expected_user())),
            ),
        ];
        for (name, lookup, getter, expected) in cases {
            assert_eq!(
                authenticate(vec![public(&k.rsa)], lookup, getter, &token),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn in_the_authentication_chain() {
        let k = keys();
        let token = legacy_token(&k.p256);
        let mut chain = AuthenticationChain::default();
        chain.push(Arc::new(LegacyTokenAuthenticator::new(
            vec![public(&k.p256)],
            true,
            Arc::new(FakeGetter::holding(&token)),
        )));
        chain.push(Arc::new(StaticTokenAuthenticator::admin("admin-token")));

        let user = block_on(chain.authenticate(&token)).unwrap();
        assert_eq!(user.username, "system:serviceaccount:ns:default");
        assert_eq!(
            user.groups,
            [
                "system:serviceaccounts",
                "system:serviceaccounts:ns",
                "system:authenticated"
            ]
        );
        // Not a JWT: the service-account link passes and the admin link answers.
        assert_eq!(
            block_on(chain.authenticate("admin-token"))
                .unwrap()
                .username,
            "kube-sa:admin"
        );
        assert_eq!(
            block_on(chain.authenticate(&tampered(&token))),
            Err(auth_error("crypto/ecdsa: verification error"))
        );
    }

    #[test]
    fn reviewed_for_audiences() {
        let k = keys();
        let token = legacy_token(&k.p256);
        let mut chain = AuthenticationChain::default();
        chain.push(Arc::new(LegacyTokenAuthenticator::new(
            vec![public(&k.p256)],
            true,
            Arc::new(FakeGetter::holding(&token)),
        )));
        let review = |chain: &AuthenticationChain, audiences: &[&str]| {
            let audiences: Vec<String> = audiences.iter().map(|a| a.to_string()).collect();
            block_on(chain.review(&token, &audiences))
        };
        let api = crate::authn::DEFAULT_API_AUDIENCE;
        assert_eq!(review(&chain, &[]).unwrap().audiences, [api]);
        assert_eq!(review(&chain, &["x", api]).unwrap().audiences, [api]);
        assert_eq!(
            review(&chain, &["x", "y"]).unwrap_err().0,
            format!(
                "token audiences [\"{api}\"] is invalid for the target audiences [\"x\" \"y\"]"
            )
        );
        // Without API audiences a legacy token is not checked, and reports none.
        chain.set_api_audiences(Vec::new());
        assert!(review(&chain, &["x"]).unwrap().audiences.is_empty());
    }

    fn authenticate_in(mode: Mode, lookup: bool, getter: FakeGetter, token: &str) -> AuthResult {
        let authenticator =
            LegacyTokenAuthenticator::new(vec![public(&keys().rsa)], lookup, Arc::new(getter))
                .with_mode(mode);
        block_on(authenticator.authenticate_token(token))
    }

    fn terminating() -> Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time> {
        Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
            jiff::Timestamp::UNIX_EPOCH,
        ))
    }

    /// In bound mode a legacy token passes the JWS check bound tokens get (1.31+): the key
    /// its `kid` names, go-jose's errors; an unknown algorithm is a bad signature.
    #[test]
    fn bound_mode_verifies_legacy_tokens_by_key_id() {
        let with_kid = |key: &Arc<SigningKey>| {
            TokenGenerator::legacy_with_key_id(Arc::clone(key))
                .legacy_token(NS, SA, UID, SECRET)
                .unwrap()
        };
        let cases: Vec<(&str, String, AuthResult)> = vec![
            (
                "kid of the key",
                with_kid(&keys().rsa),
                Ok(Some(expected_user())),
            ),
            (
                "no kid",
                legacy_token(&keys().rsa),
                Ok(Some(expected_user())),
            ),
            (
                "kid of a key not given",
                with_kid(&keys().p256),
                Err(auth_error("invalid signature, no keys found")),
            ),
            (
                "no kid, no key verifies",
                legacy_token(&keys().p256),
                Err(auth_error(
                    "square/go-jose: error in cryptographic primitive",
                )),
            ),
            (
                "tampered",
                tampered(&with_kid(&keys().rsa)),
                Err(auth_error(
                    "square/go-jose: error in cryptographic primitive",
                )),
            ),
            (
                // go-jose parses any alg; verifying refuses HMAC as a bad signature.
                "HS256",
                hs256(b"secret"),
                Err(auth_error(
                    "square/go-jose: error in cryptographic primitive",
                )),
            ),
            (
                "alg none",
                with_header(r#"{"alg":"none"}"#, ""),
                Err(auth_error(
                    "square/go-jose: error in cryptographic primitive",
                )),
            ),
            (
                "no alg",
                with_header(r#"{"typ":"JWT"}"#, "c2ln"),
                Err(auth_error(
                    "square/go-jose: error in cryptographic primitive",
                )),
            ),
            (
                "alg none, kid of a key not given",
                with_header(r#"{"alg":"none","kid":"nokey"}"#, ""),
                Err(auth_error("invalid signature, no keys found")),
            ),
            (
                // go-jose reads a null member as absent, and an empty or null header
                // as one without members.
                "null alg and kid",
                with_header(r#"{"alg":null,"kid":null}"#, "c2ln"),
                Err(auth_error(
                    "square/go-jose: error in cryptographic primitive",
                )),
            ),
            (
                "empty header",
                with_header("", "c2ln"),
                Err(auth_error(
                    "square/go-jose: error in cryptographic primitive",
                )),
            ),
            (
                "null header",
                with_header(" null", "c2ln"),
                Err(auth_error(
                    "square/go-jose: error in cryptographic primitive",
                )),
            ),
            ("array header", with_header("[]", "c2ln"), Ok(None)),
            (
                "array header with alg and kid",
                with_header(
                    &format!(r#"["RS256","{}"]"#, keys().rsa.public_key().key_id()),
                    "c2ln",
                ),
                Ok(None),
            ),
            (
                // Parsing (every part base64url) comes before choosing keys.
                "kid of a key not given, signature not base64url",
                with_header(r#"{"alg":"RS256","kid":"nokey"}"#, "*"),
                Ok(None),
            ),
            (
                "alg none, crit not a list",
                with_header(r#"{"alg":"none","crit":"exp"}"#, ""),
                Err(auth_error(
                    "json: cannot unmarshal string into Go value of type []string",
                )),
            ),
            (
                "signature longer than any key's",
                with_header(r#"{"alg":"RS256"}"#, &"A".repeat(4000)),
                Err(auth_error(
                    "square/go-jose: error in cryptographic primitive",
                )),
            ),
            (
                "signature longer than any key's, not base64url",
                with_header(r#"{"alg":"RS256"}"#, &format!("{}*", "A".repeat(4000))),
                Ok(None),
            ),
            (
                "four parts",
                format!("{}.x", with_kid(&keys().rsa)),
                Ok(None),
            ),
        ];
        for (name, token, want) in cases {
            let got = authenticate_in(Mode::Bound, false, FakeGetter::default(), &token);
            assert_eq!(got, want, "{name}");
        }
        // v1.8 tries every key and answers jwt-go's texts.
        let got = authenticate_in(
            Mode::Legacy,
            false,
            FakeGetter::default(),
            &hs256(b"secret"),
        );
        assert_eq!(got, Err(auth_error("Unexpected signing method: HS256")));
    }

    #[test]
    fn claim_checks_differ_between_v1_8_and_1_33() {
        let cases: Vec<(&str, String, AuthResult, AuthResult)> = vec![
            (
                "secret name missing",
                signed_claims(LEGACY_ISSUER, |c| {
                    c.remove(SECRET_NAME_CLAIM);
                }),
                Ok(Some(expected_user())),
                Err(auth_error("secretName claim is missing")),
            ),
            (
                "namespace not a DNS label",
                signed_claims(LEGACY_ISSUER, |c| {
                    c.insert(
                        SUBJECT_CLAIM.into(),
                        "system:serviceaccount:NS:default".into(),
                    );
                    c.insert(NAMESPACE_CLAIM.into(), "NS".into());
                }),
                Ok(Some(UserInfo {
                    username: "system:serviceaccount:NS:default".into(),
                    groups: vec![
                        "system:serviceaccounts".into(),
                        "system:serviceaccounts:NS".into(),
                    ],
                    ..expected_user()
                })),
                Err(auth_error("sub claim is invalid")),
            ),
            (
                "account name not a DNS subdomain",
                signed_claims(LEGACY_ISSUER, |c| {
                    c.insert(
                        SUBJECT_CLAIM.into(),
                        "system:serviceaccount:ns:Robot_1".into(),
                    );
                    c.insert(SERVICE_ACCOUNT_NAME_CLAIM.into(), "Robot_1".into());
                }),
                Ok(Some(UserInfo {
                    username: "system:serviceaccount:ns:Robot_1".into(),
                    ..expected_user()
                })),
                Err(auth_error("sub claim is invalid")),
            ),
            (
                "expired: jwt-go refuses, 1.33 does not read exp",
                signed_claims(LEGACY_ISSUER, |c| {
                    c.insert("exp".into(), 1.into());
                }),
                Err(auth_error("Token is expired")),
                Ok(Some(expected_user())),
            ),
        ];
        for (name, token, legacy, bound) in cases {
            let got = authenticate_in(Mode::Legacy, false, FakeGetter::default(), &token);
            assert_eq!(got, legacy, "legacy mode: {name}");
            let got = authenticate_in(Mode::Bound, false, FakeGetter::default(), &token);
            assert_eq!(got, bound, "bound mode: {name}");
        }
    }

    #[test]
    fn lookup_checks_of_1_33() {
        let k = keys();
        let token = legacy_token(&k.rsa);
        let getter = |edit: &dyn Fn(&mut FakeGetter)| {
            let mut getter = FakeGetter::holding(&token);
            edit(&mut getter);
            getter
        };
        let terminate_secret = |g: &mut FakeGetter| {
            for secret in g.secrets.values_mut() {
                secret.metadata.deletion_timestamp = terminating();
            }
        };
        let terminate_account = |g: &mut FakeGetter| {
            for account in g.service_accounts.values_mut() {
                account.metadata.deletion_timestamp = terminating();
            }
        };
        // (case, getter, v1.8's answer, 1.33's answer)
        let cases: Vec<(&str, FakeGetter, AuthResult, AuthResult)> = vec![
            (
                "everything matches",
                getter(&|_| {}),
                Ok(Some(expected_user())),
                Ok(Some(expected_user())),
            ),
            (
                "secret deleted",
                getter(&|g| g.secrets.clear()),
                Err(auth_error("Token has been invalidated")),
                Err(auth_error("Token has been invalidated")),
            ),
            (
                "secret terminating",
                getter(&terminate_secret),
                Ok(Some(expected_user())),
                Err(auth_error("Token has been invalidated")),
            ),
            (
                "secret holds another token",
                getter(&|g| g.add_secret(Some("other"))),
                Err(auth_error("Token does not match server's copy")),
                Err(auth_error("Token does not match server's copy")),
            ),
            (
                "account lookup fails: the error as it is",
                getter(&|g| g.service_accounts.clear()),
                Err(auth_error("serviceaccounts \"default\" not found")),
                Err(auth_error("serviceaccounts \"default\" not found")),
            ),
            (
                "account terminating",
                getter(&terminate_account),
                Ok(Some(expected_user())),
                Err(auth_error("ServiceAccount ns/default has been deleted")),
            ),
            (
                "account terminating and recreated: deletion first",
                getter(&|g| {
                    g.add_service_account("uid-2");
                    terminate_account(g);
                }),
                Err(auth_error(
                    "ServiceAccount UID (uid-2) does not match claim (uid-1)",
                )),
                Err(auth_error("ServiceAccount ns/default has been deleted")),
            ),
            (
                "account recreated",
                getter(&|g| g.add_service_account("uid-2")),
                Err(auth_error(
                    "ServiceAccount UID (uid-2) does not match claim (uid-1)",
                )),
                Err(auth_error(
                    "ServiceAccount UID (uid-2) does not match claim (uid-1)",
                )),
            ),
        ];
        for (name, getter, legacy, bound) in cases {
            let both = FakeGetter {
                service_accounts: getter.service_accounts.clone(),
                secrets: getter.secrets.clone(),
                secret_error: getter.secret_error.clone(),
            };
            assert_eq!(
                authenticate_in(Mode::Legacy, true, getter, &token),
                legacy,
                "legacy mode: {name}"
            );
            assert_eq!(
                authenticate_in(Mode::Bound, true, both, &token),
                bound,
                "bound mode: {name}"
            );
        }
    }

    #[test]
    fn time_claims_are_read_on_the_given_clock() {
        let token = signed_claims(LEGACY_ISSUER, |c| {
            c.insert("exp".into(), 1_000.into());
        });
        let at = |seconds: i64| {
            let clock = Arc::new(crate::clock::FakeClock::new(
                jiff::Timestamp::from_second(seconds).unwrap(),
            ));
            let authenticator = LegacyTokenAuthenticator::new(
                vec![public(&keys().rsa)],
                false,
                Arc::new(FakeGetter::default()),
            )
            .with_clock(clock);
            block_on(authenticator.authenticate_token(&token))
        };
        assert_eq!(at(1_000), Ok(Some(expected_user())));
        assert_eq!(at(1_001), Err(auth_error("Token is expired")));
    }

    #[test]
    fn getter_errors_display() {
        assert_eq!(
            GetterError::not_found("secrets", "s").to_string(),
            "secrets \"s\" not found"
        );
        assert!(GetterError::not_found("secrets", "s").is_not_found());
        assert_eq!(GetterError::Other("boom".into()).to_string(), "boom");
        assert!(!GetterError::Other("boom".into()).is_not_found());
    }

    #[test]
    fn time_claims() {
        let claims = |json: &str| serde_json::from_str::<Claims>(json).unwrap();
        let cases = [
            ("{}", None),
            (r#"{"exp":100}"#, None),
            (r#"{"exp":99}"#, Some("Token is expired")),
            (r#"{"exp":"soon"}"#, None),
            (r#"{"iat":101}"#, Some("Token used before issued")),
            (r#"{"nbf":101}"#, Some("Token is not valid yet")),
            (r#"{"nbf":100,"iat":100,"exp":100}"#, None),
            (r#"{"exp":1,"nbf":101}"#, Some("Token is not valid yet")),
        ];
        for (json, expected) in cases {
            assert_eq!(time_claims_error(&claims(json), 100), expected, "{json}");
        }
    }
}
