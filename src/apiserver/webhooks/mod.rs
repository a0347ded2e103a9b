//! Admission webhooks: the `MutatingAdmissionWebhook` and `ValidatingAdmissionWebhook`
//! plugins, which call the webhooks of the stored MutatingWebhookConfigurations and
//! ValidatingWebhookConfigurations as kube-apiserver does
//! (`k8s.io/apiserver/pkg/admission/plugin/webhook`). They sit at the end of the
//! admission chain: mutating webhooks after the built-in mutating plugins, validating
//! webhooks after validation and the built-in validating plugins.
//!
//! * [`matching`]: rules, selectors and `matchPolicy`;
//! * [`review`]: the AdmissionReview sent and the checks of the answer;
//! * [`client`]: one pooled HTTPS client per `clientConfig`;
//! * [`service`]: service references resolved through Services and their endpoints;
//! * `source`: the parsed webhooks, refreshed when a configuration changes;
//! * `dispatch`: calling them, with failure policies, patches, warnings and reinvocation.
//!
//! `matchConditions` (CEL) are not evaluated: a webhook that has them is called as if they
//! matched.

pub mod client;
mod dispatch;
pub mod hook;
pub mod matching;
pub mod review;
pub mod service;
mod source;
pub mod tls;

use futures::future::BoxFuture;
use serde_json::{Map, Value};
use std::sync::Arc;

use super::admission::{AdmissionPlugin, Attributes};
use super::errors::ApiError;
use super::kinds::{
    MUTATING_WEBHOOK_CONFIGURATIONS, NAMESPACES, VALIDATING_WEBHOOK_CONFIGURATIONS,
};
use super::store::Store;
use hook::HookType;
use service::ServiceDirectory;
use source::{ClientCache, HookSource};

pub use dispatch::rejection;

/// The name of the mutating plugin, for `--disable-admission-plugins`.
pub const MUTATING_PLUGIN_NAME: &str = "MutatingAdmissionWebhook";
/// The name of the validating plugin, for `--disable-admission-plugins`.
pub const VALIDATING_PLUGIN_NAME: &str = "ValidatingAdmissionWebhook";

/// What both plugins read: the configurations and namespaces in the store.
struct Webhooks {
    store: Arc<Store>,
    mutating: HookSource,
    validating: HookSource,
}

impl Webhooks {
    /// A namespace's labels, for namespace selectors; `None` when it does not exist.
    fn namespace_labels(&self, namespace: &str) -> Option<Map<String, Value>> {
        let stored = self.store.get(&NAMESPACES, "", namespace)?;
        Some(
            stored.value()["metadata"]["labels"]
                .as_object()
                .cloned()
                .unwrap_or_default(),
        )
    }
}

/// The `MutatingAdmissionWebhook` plugin.
pub struct MutatingAdmissionWebhook(Arc<Webhooks>);

/// The `ValidatingAdmissionWebhook` plugin.
pub struct ValidatingAdmissionWebhook(Arc<Webhooks>);

/// Both plugins, reading configurations from `store` and resolving service references
/// through `directory` (usually a [`service::StoreServiceDirectory`] on the same store).
pub fn plugins(
    store: Arc<Store>,
    directory: Arc<dyn ServiceDirectory>,
) -> (MutatingAdmissionWebhook, ValidatingAdmissionWebhook) {
    let clients = Arc::new(ClientCache::new(directory));
    let webhooks = Arc::new(Webhooks {
        mutating: HookSource::new(
            store.clone(),
            &MUTATING_WEBHOOK_CONFIGURATIONS,
            HookType::Mutating,
            clients.clone(),
        ),
        validating: HookSource::new(
            store.clone(),
            &VALIDATING_WEBHOOK_CONFIGURATIONS,
            HookType::Validating,
            clients,
        ),
        store,
    });
    (
        MutatingAdmissionWebhook(webhooks.clone()),
        ValidatingAdmissionWebhook(webhooks),
    )
}

impl AdmissionPlugin for MutatingAdmissionWebhook {
    fn name(&self) -> &'static str {
        MUTATING_PLUGIN_NAME
    }

    fn admit<'a>(
        &'a self,
        attrs: &'a Attributes,
        object: &'a mut Value,
    ) -> BoxFuture<'a, Result<bool, ApiError>> {
        Box::pin(async move {
            let hooks = self.0.mutating.hooks();
            let labels = |namespace: &str| self.0.namespace_labels(namespace);
            dispatch::admit(&hooks, attrs, object, &labels).await
        })
    }
}

impl AdmissionPlugin for ValidatingAdmissionWebhook {
    fn name(&self) -> &'static str {
        VALIDATING_PLUGIN_NAME
    }

    fn validate<'a>(
        &'a self,
        attrs: &'a Attributes,
        object: &'a Value,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            let hooks = self.0.validating.hooks();
            let labels = |namespace: &str| self.0.namespace_labels(namespace);
            dispatch::validate(&hooks, attrs, object, &labels).await
        })
    }
}
