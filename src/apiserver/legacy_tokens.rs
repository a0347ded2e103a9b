//! Legacy-token tracking of a bound-mode API server (Kubernetes 1.28+): the checks of
//! pkg/serviceaccount/legacy.go that follow a successful legacy-token lookup (spec-modern
//! §3.6 steps 4–6). The tracking ConfigMap (§8.1) is kept by
//! [`super::legacy_token_tracking`].
//!
//! * A token Secret labelled `kubernetes.io/legacy-token-invalid-since` is refused.
//! * An auto-generated token (its Secret listed in the account's `secrets`) gets a
//!   `Warning` on every request it authenticates.
//! * The Secret's `kubernetes.io/legacy-token-last-used` label is set to today's UTC date,
//!   at most once a day.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use futures::future::BoxFuture;
use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
use serde_json::{json, Value};

use super::kinds::{SECRETS, SERVICE_ACCOUNTS};
use super::store::{Store, StoreError};
use crate::authn::{
    AudienceResult, Audiences, AuthError, AuthResult, Authenticated, TokenAuthenticator,
};
use crate::serviceaccount::jwt::{NAMESPACE_CLAIM, SECRET_NAME_CLAIM, SERVICE_ACCOUNT_NAME_CLAIM};

// The labels, the ConfigMap's name and the date format are the legacy-token cleaner's, which
// reads what this module writes.
pub use crate::controllers::legacy_token_cleaner::{
    format_date as utc_date, INVALID_SINCE_LABEL, LAST_USED_LABEL,
    TRACKING_CONFIG_MAP_NAME as TRACKING_CONFIG_MAP,
    TRACKING_CONFIG_MAP_NAMESPACE as TRACKING_NAMESPACE, TRACKING_SINCE_KEY,
};

/// The warning sent with every request an auto-generated legacy token authenticates.
pub const AUTO_GENERATED_WARNING: &str = "Use tokens from the TokenRequest API or manually created secret-based tokens instead of auto-generated secret-based tokens.";

/// The refusal of a token whose Secret is marked invalid.
fn invalidated(namespace: &str, secret: &str, service_account: &str) -> AuthError {
    AuthError(format!(
        "the token in secret {namespace}/{secret} for service account {namespace}/{service_account} has been marked invalid. Use tokens from the TokenRequest API or manually created secret-based tokens, or remove the '{INVALID_SINCE_LABEL}' label from the secret to temporarily allow use of this token"
    ))
}

/// The legacy authenticator with the 1.28+ tracking after it (only with
/// `--service-account-lookup`, as upstream: without lookup the Secret is never read).
pub struct TrackedLegacyAuthenticator {
    inner: Arc<dyn TokenAuthenticator>,
    store: Arc<Store>,
    lookup: bool,
}

impl TrackedLegacyAuthenticator {
    /// Tracks what `inner` (the legacy authenticator) accepts, reading and labelling
    /// Secrets in `store`; `lookup` is `--service-account-lookup`.
    pub fn new(inner: Arc<dyn TokenAuthenticator>, store: Arc<Store>, lookup: bool) -> Self {
        Self {
            inner,
            store,
            lookup,
        }
    }

    async fn run(&self, token: &str, audiences: Audiences<'_>) -> AudienceResult {
        let Some(found) = self.inner.authenticate_for(token, audiences).await? else {
            return Ok(None);
        };
        if !self.lookup {
            return Ok(Some(found));
        }
        self.track(token)?;
        Ok(Some(found))
    }

    /// Steps 4–6 for a token the legacy authenticator accepted.
    fn track(&self, token: &str) -> Result<(), AuthError> {
        let claims: Value = token
            .split('.')
            .nth(1)
            .and_then(|payload| URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok())
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        let claim = |name: &str| claims[name].as_str().unwrap_or_default().to_string();
        let (namespace, secret_name, account) = (
            claim(NAMESPACE_CLAIM),
            claim(SECRET_NAME_CLAIM),
            claim(SERVICE_ACCOUNT_NAME_CLAIM),
        );
        let Ok(Some(secret)) = self
            .store
            .get_as::<Secret>(&SECRETS, &namespace, &secret_name)
        else {
            return Ok(());
        };
        let label = |key: &str| {
            secret
                .metadata
                .labels
                .as_ref()
                .and_then(|labels| labels.get(key))
                .map(String::as_str)
                .unwrap_or_default()
        };
        if !label(INVALID_SINCE_LABEL).is_empty() {
            tracing::info!(
                secret = %format!("{secret_name}/{namespace}"),
                "legacy token invalidated by {INVALID_SINCE_LABEL}"
            );
            self.mark_used(&namespace, &secret_name, label(LAST_USED_LABEL));
            return Err(invalidated(&namespace, &secret_name, &account));
        }
        let auto_generated = self
            .store
            .get_as::<ServiceAccount>(&SERVICE_ACCOUNTS, &namespace, &account)
            .ok()
            .flatten()
            .and_then(|sa| sa.secrets)
            .is_some_and(|secrets| {
                secrets
                    .iter()
                    .any(|reference| reference.name.as_deref() == Some(secret_name.as_str()))
            });
        if auto_generated {
            crate::authn::warnings::record(AUTO_GENERATED_WARNING);
        }
        self.mark_used(&namespace, &secret_name, label(LAST_USED_LABEL));
        Ok(())
    }

    /// Sets the last-used label to today unless it says today or tomorrow (UTC); a failed
    /// write is only logged.
    fn mark_used(&self, namespace: &str, name: &str, last_used: &str) {
        let now = self.store.clock().now();
        let today = utc_date(now);
        let tomorrow = utc_date(
            now.checked_add(jiff::SignedDuration::from_hours(24))
                .unwrap_or(now),
        );
        if last_used == today || last_used == tomorrow {
            return;
        }
        if let Err(e) = set_label(&self.store, namespace, name, &today) {
            tracing::warn!(secret = %format!("{namespace}/{name}"), error = %e, "updating {LAST_USED_LABEL}");
        }
    }
}

/// The merge patch `{"metadata":{"labels":{LAST_USED_LABEL: today}}}` on the stored Secret.
fn set_label(store: &Store, namespace: &str, name: &str, today: &str) -> Result<(), StoreError> {
    let stored = store
        .get(&SECRETS, namespace, name)
        .ok_or(StoreError::NotFound)?;
    let mut object = stored.value();
    if !object["metadata"]["labels"].is_object() {
        object["metadata"]["labels"] = json!({});
    }
    object["metadata"]["labels"][LAST_USED_LABEL] = json!(today);
    store
        .update(&SECRETS, object, Some(&stored.resource_version()))
        .map(|_| ())
}

impl TokenAuthenticator for TrackedLegacyAuthenticator {
    fn authenticate<'a>(&'a self, token: &'a str) -> BoxFuture<'a, AuthResult> {
        Box::pin(async move {
            Ok(self
                .run(token, Audiences::default())
                .await?
                .map(|found: Authenticated| found.user))
        })
    }

    fn authenticate_for<'a>(
        &'a self,
        token: &'a str,
        audiences: Audiences<'a>,
    ) -> BoxFuture<'a, AudienceResult> {
        Box::pin(self.run(token, audiences))
    }
}

#[cfg(test)]
mod tests;
