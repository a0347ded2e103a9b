//! The bound service-account token authenticator (bound mode): upstream's
//! pkg/serviceaccount/jwt.go `jwtTokenAuthenticator` (1.31+, kid-based key selection) with
//! the bound-token validator of pkg/serviceaccount/claims.go (1.29+) and the user info of
//! k8s.io/apiserver/pkg/authentication/serviceaccount/util.go (spec-modern §3.1–§3.5,
//! §3.7, §3.8).
//!
//! A token that is not a compact JWS of one of this authenticator's issuers is "not mine"
//! (`Ok(None)`); one that is, but fails a check, is an error with upstream's text.

use std::sync::Arc;

use futures::future::BoxFuture;
use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Deserialize;

use super::authenticator::{auth_error, go_quoted_list, ServiceAccountTokenGetter};
use super::claims::{BoundClaims, LEEWAY_SECONDS};
use super::jws::{unverified_payload, verify_jws_signature};
use super::keys::PublicKey;
use super::user_info;
use crate::authn::{
    intersect, AudienceResult, Audiences, AuthError, AuthResult, Authenticated, TokenAuthenticator,
    UserInfo,
};
use crate::clock::Clock;

/// User extra: the bound pod's name.
pub const POD_NAME_EXTRA: &str = "authentication.kubernetes.io/pod-name";
/// User extra: the bound pod's uid.
pub const POD_UID_EXTRA: &str = "authentication.kubernetes.io/pod-uid";
/// User extra: the node's name (a Node-bound token, or the bound pod's node).
pub const NODE_NAME_EXTRA: &str = "authentication.kubernetes.io/node-name";
/// User extra: the node's uid, when known.
pub const NODE_UID_EXTRA: &str = "authentication.kubernetes.io/node-uid";
/// User extra: `JTI=<jti>`.
pub const CREDENTIAL_ID_EXTRA: &str = "authentication.kubernetes.io/credential-id";

/// The error of a token whose bound object is gone.
const INVALIDATED: &str = "service account token has been invalidated";

/// The pre-checks on an unverified token (spec-modern §3.2): its `iss`, when it is a
/// compact JWS (three parts, not JSON serialization) whose payload is base64url JSON with
/// a string (or absent) `iss`. `None`: not a JWT, let other authenticators try.
pub fn unverified_issuer(token: &str) -> Option<String> {
    issuer_of(&unverified_payload(token)?)
}

/// The `iss` of a JSON payload: `Some("")` when absent or null, `None` when the payload is
/// not a JSON object or `iss` is not a string.
fn issuer_of(payload: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Issuer {
        #[serde(default)]
        iss: Option<String>,
    }
    let issuer: Issuer = serde_json::from_slice(payload).ok()?;
    Some(issuer.iss.unwrap_or_default())
}

/// Hands a token to `inner` only when its unverified `iss` is one of `issuers`, as
/// upstream's JWT authenticators pre-check before verifying: in bound mode the legacy
/// authenticator sees only `kubernetes/serviceaccount` tokens.
pub struct IssuerGate {
    issuers: Vec<String>,
    inner: Arc<dyn TokenAuthenticator>,
}

impl IssuerGate {
    /// `inner` for tokens of `issuers`; every other token is "not mine".
    pub fn new(issuers: Vec<String>, inner: Arc<dyn TokenAuthenticator>) -> Self {
        Self { issuers, inner }
    }

    fn accepts(&self, token: &str) -> bool {
        unverified_issuer(token).is_some_and(|iss| self.issuers.contains(&iss))
    }
}

impl TokenAuthenticator for IssuerGate {
    fn authenticate<'a>(&'a self, token: &'a str) -> BoxFuture<'a, AuthResult> {
        if !self.accepts(token) {
            return Box::pin(async { Ok(None) });
        }
        self.inner.authenticate(token)
    }

    fn authenticate_for<'a>(
        &'a self,
        token: &'a str,
        audiences: Audiences<'a>,
    ) -> BoxFuture<'a, AudienceResult> {
        if !self.accepts(token) {
            return Box::pin(async { Ok(None) });
        }
        self.inner.authenticate_for(token, audiences)
    }
}

/// Verifies bound (TokenRequest) tokens: signature by the key the header's `kid` names,
/// any of the `--service-account-issuer` values, the audiences, the time claims with a
/// 60 s leeway, and the objects the token is bound to.
pub struct BoundTokenAuthenticator {
    issuers: Vec<String>,
    keys: Vec<PublicKey>,
    implicit_audiences: Vec<String>,
    getter: Arc<dyn ServiceAccountTokenGetter>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for BoundTokenAuthenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoundTokenAuthenticator")
            .field("issuers", &self.issuers)
            .field("keys", &self.keys)
            .field("implicit_audiences", &self.implicit_audiences)
            .finish_non_exhaustive()
    }
}

impl BoundTokenAuthenticator {
    /// Accepts tokens of every one of `issuers`, verified by `keys`; `implicit_audiences`
    /// are the API audiences (what an ordinary request asks for). Objects are read through
    /// `getter`, time from `clock`.
    pub fn new(
        issuers: Vec<String>,
        keys: Vec<PublicKey>,
        implicit_audiences: Vec<String>,
        getter: Arc<dyn ServiceAccountTokenGetter>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            issuers,
            keys,
            implicit_audiences,
            getter,
            clock,
        }
    }

    /// `Ok(Some(..))` with the user and the audiences the token is good for, `Ok(None)` for
    /// a token that is not this authenticator's, `Err` with upstream's text otherwise.
    /// Without requested audiences the API audiences are asked for.
    pub async fn authenticate_token_for(
        &self,
        token: &str,
        audiences: Audiences<'_>,
    ) -> AudienceResult {
        let Some(payload) = unverified_payload(token) else {
            return Ok(None);
        };
        // One parse of the payload serves the issuer pre-check and, once the signature
        // verifies, every later check; only a payload that is not a whole set of claims
        // is read again, for its issuer alone.
        let claims = serde_json::from_slice::<BoundClaims>(&payload).ok();
        let known_issuer = match &claims {
            Some(claims) => self.issuers.contains(&claims.iss),
            None => issuer_of(&payload).is_some_and(|iss| self.issuers.contains(&iss)),
        };
        if !known_issuer || !verify_jws_signature(&self.keys, token, &payload)? {
            return Ok(None);
        }
        let Some(claims) = claims else {
            return Ok(None);
        };
        let token_audiences = if claims.aud.is_empty() {
            &self.implicit_audiences
        } else {
            &claims.aud
        };
        let requested = if audiences.requested.is_empty() {
            &self.implicit_audiences
        } else {
            audiences.requested
        };
        let granted = intersect(token_audiences, requested);
        if granted.is_empty() && !self.implicit_audiences.is_empty() {
            return Err(auth_error(format!(
                "token audiences {} is invalid for the target audiences {}",
                go_quoted_list(token_audiences),
                go_quoted_list(requested)
            )));
        }
        let user = validate(&claims, self.getter.as_ref(), self.clock.now()).await?;
        Ok(Some(Authenticated {
            user,
            audiences: if audiences.requested.is_empty() {
                Vec::new()
            } else {
                granted
            },
        }))
    }
}

impl TokenAuthenticator for BoundTokenAuthenticator {
    fn authenticate<'a>(&'a self, token: &'a str) -> BoxFuture<'a, AuthResult> {
        Box::pin(async move {
            Ok(self
                .authenticate_token_for(token, Audiences::default())
                .await?
                .map(|found| found.user))
        })
    }

    fn authenticate_for<'a>(
        &'a self,
        token: &'a str,
        audiences: Audiences<'a>,
    ) -> BoxFuture<'a, AudienceResult> {
        Box::pin(self.authenticate_token_for(token, audiences))
    }
}

/// Whether `meta`'s deletion timestamp lies before `cutoff` (now minus the leeway).
fn deleted_before(meta: &ObjectMeta, cutoff: Timestamp) -> bool {
    meta.deletion_timestamp
        .as_ref()
        .is_some_and(|deleted| deleted.0 < cutoff)
}

/// Whether `now` minus the 60 s leeway is after `exp` (seconds since the epoch), as go-jose's
/// `e.Time.Add(-leeway).After(c.Expiry.Time())`: a token is refused from the first
/// nanosecond past `exp + 60 s`, not from the next whole second.
fn is_past_expiry(now: Timestamp, exp: i64) -> bool {
    let limit = (i128::from(exp) + i128::from(LEEWAY_SECONDS)) * 1_000_000_000;
    now.as_nanosecond() > limit
}

/// The bound-token validator (upstream's `validator.Validate`, spec-modern §3.5): the time
/// claims with a 60 s leeway, then the account and every bound object, then the user.
pub async fn validate(
    claims: &BoundClaims,
    getter: &dyn ServiceAccountTokenGetter,
    now: Timestamp,
) -> Result<UserInfo, AuthError> {
    // go-jose compares `now` at full precision with whole-second claims; for `nbf` and
    // `iat` (now + leeway < claim) whole seconds give the same answer, for `exp` they do not.
    let seconds = now.as_second();
    if claims.nbf.is_some_and(|nbf| seconds + LEEWAY_SECONDS < nbf) {
        return Err(auth_error("service account token is not valid yet"));
    }
    if claims.exp.is_some_and(|exp| is_past_expiry(now, exp)) {
        return Err(auth_error("service account token has expired"));
    }
    if claims.iat.is_some_and(|iat| seconds + LEEWAY_SECONDS < iat) {
        return Err(auth_error("service account token is issued in the future"));
    }

    let cutoff = now
        .checked_sub(jiff::SignedDuration::from_secs(LEEWAY_SECONDS))
        .unwrap_or(Timestamp::MIN);
    let private = &claims.kubernetes;
    let namespace = private.namespace.as_str();
    let account = &private.serviceaccount;
    let service_account = getter
        .get_service_account(namespace, &account.name)
        .await
        .map_err(|e| auth_error(e.to_string()))?;
    let actual_uid = service_account.metadata.uid.as_deref().unwrap_or_default();
    if actual_uid != account.uid {
        return Err(auth_error(format!(
            "service account UID ({actual_uid}) does not match claim ({})",
            account.uid
        )));
    }
    if deleted_before(&service_account.metadata, cutoff) {
        return Err(auth_error(format!(
            "service account {namespace}/{} has been deleted",
            account.name
        )));
    }

    if let Some(secret_ref) = &private.secret {
        let secret = getter
            .get_secret(namespace, &secret_ref.name)
            .await
            .map_err(|e| {
                tracing::debug!(
                    "could not retrieve bound secret {namespace}/{}: {e}",
                    secret_ref.name
                );
                auth_error(INVALIDATED)
            })?;
        let uid = secret.metadata.uid.as_deref().unwrap_or_default();
        if uid != secret_ref.uid {
            return Err(auth_error(format!(
                "secret UID ({uid}) does not match service account secret ref claim ({})",
                secret_ref.uid
            )));
        }
        if deleted_before(&secret.metadata, cutoff) {
            return Err(auth_error(INVALIDATED));
        }
    }

    if let Some(pod_ref) = &private.pod {
        let pod = getter
            .get_pod(namespace, &pod_ref.name)
            .await
            .map_err(|e| {
                tracing::debug!(
                    "could not retrieve bound pod {namespace}/{}: {e}",
                    pod_ref.name
                );
                auth_error(INVALIDATED)
            })?;
        let uid = pod.metadata.uid.as_deref().unwrap_or_default();
        if uid != pod_ref.uid {
            return Err(auth_error(format!(
                "pod UID ({uid}) does not match service account pod ref claim ({})",
                pod_ref.uid
            )));
        }
        if deleted_before(&pod.metadata, cutoff) {
            return Err(auth_error(INVALIDATED));
        }
    }

    if let (Some(node_ref), None) = (&private.node, &private.pod) {
        let node = getter.get_node(&node_ref.name).await.map_err(|e| {
            tracing::debug!("could not retrieve bound node {}: {e}", node_ref.name);
            auth_error(INVALIDATED)
        })?;
        let uid = node.metadata.uid.as_deref().unwrap_or_default();
        if uid != node_ref.uid {
            return Err(auth_error(format!(
                "node UID ({uid}) does not match service account node ref claim ({})",
                node_ref.uid
            )));
        }
        if deleted_before(&node.metadata, cutoff) {
            return Err(auth_error(INVALIDATED));
        }
    }

    if let Some(warnafter) = private.warnafter.filter(|&w| w != 0) {
        crate::metrics::record_token_use(crate::metrics::TokenUse::bound(seconds > warnafter));
        if seconds > warnafter {
            tracing::info!(
                subject = %claims.sub,
                seconds_after_warning_threshold = seconds - warnafter,
                "stale service account token"
            );
        }
    }

    let mut user = user_info(namespace, &account.name, &account.uid);
    let mut extra = |key: &str, value: &str| {
        user.extra.insert(key.to_string(), vec![value.to_string()]);
    };
    if let Some(pod) = private
        .pod
        .as_ref()
        .filter(|p| !p.name.is_empty() && !p.uid.is_empty())
    {
        extra(POD_NAME_EXTRA, &pod.name);
        extra(POD_UID_EXTRA, &pod.uid);
    }
    if let Some(node) = private.node.as_ref().filter(|n| !n.name.is_empty()) {
        extra(NODE_NAME_EXTRA, &node.name);
        if !node.uid.is_empty() {
            extra(NODE_UID_EXTRA, &node.uid);
        }
    }
    if !claims.jti.is_empty() {
        extra(CREDENTIAL_ID_EXTRA, &format!("JTI={}", claims.jti));
    }
    Ok(user)
}

#[cfg(test)]
mod tests;
