//! The ordered admission chain: every mutating plugin, then every validating plugin.
//! Follows `k8s.io/apiserver/pkg/admission` (`Interface`, `MutationInterface`,
//! `ValidationInterface`, `chainAdmissionHandler`, the reinvoker of `reinvocation.go`) and
//! the plugin names of kube-apiserver's `--disable-admission-plugins`
//! (`pkg/kubeapiserver/options/plugins.go`, `k8s.io/apiserver/pkg/server/options/admission.go`).

use futures::future::BoxFuture;
use serde_json::Value;
use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::errors::ApiError;
use super::kinds::ResourceInfo;
use super::warnings::WarningRecorder;
use crate::authn::UserInfo;

/// Every admission plugin kube-apiserver 1.33 registers (`AllOrderedPlugins`), in its
/// order. `--disable-admission-plugins` accepts these names (and those of plugins added to
/// a server in-process); the embedded server runs `NamespaceLifecycle`, `ServiceAccount`,
/// `Priority`, `DefaultTolerationSeconds`, `MutatingAdmissionWebhook` and `ValidatingAdmissionWebhook`, and switching off any other
/// is accepted and changes nothing.
pub const REGISTERED_PLUGINS: &[&str] = &[
    "AlwaysAdmit",
    "NamespaceAutoProvision",
    "NamespaceLifecycle",
    "NamespaceExists",
    "LimitPodHardAntiAffinityTopology",
    "LimitRanger",
    "ServiceAccount",
    "NodeRestriction",
    "TaintNodesByCondition",
    "AlwaysPullImages",
    "ImagePolicyWebhook",
    "PodSecurity",
    "PodNodeSelector",
    "Priority",
    "DefaultTolerationSeconds",
    "PodTolerationRestriction",
    "EventRateLimit",
    "ExtendedResourceToleration",
    "DefaultStorageClass",
    "StorageObjectInUseProtection",
    "OwnerReferencesPermissionEnforcement",
    "PersistentVolumeClaimResize",
    "RuntimeClass",
    "CertificateApproval",
    "CertificateSigning",
    "ClusterTrustBundleAttest",
    "CertificateSubjectRestriction",
    "DefaultIngressClass",
    "DenyServiceExternalIPs",
    "PodTopologyLabels",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionWebhook",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionWebhook",
    "ResourceQuota",
    "AlwaysDeny",
];

/// Names given to `--disable-admission-plugins` that no plugin has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", aggregate(.0))]
pub struct UnknownPlugins(pub Vec<String>);

/// Go's error aggregate: one message alone, several in brackets.
fn aggregate(names: &[String]) -> String {
    let messages: Vec<String> = names
        .iter()
        .map(|name| {
            format!(
                "disable-admission-plugins plugin {} is unknown",
                super::validation::go_quote(name)
            )
        })
        .collect();
    match messages.as_slice() {
        [one] => one.clone(),
        many => format!("[{}]", many.join(", ")),
    }
}

/// Checks `--disable-admission-plugins` names against [`REGISTERED_PLUGINS`] and `extra`
/// (the names of plugins added in-process).
///
/// # Errors
///
/// [`UnknownPlugins`], whose text is kube-apiserver's
/// (`disable-admission-plugins plugin "Foo" is unknown`).
pub fn check_disabled_plugins(disabled: &[String], extra: &[&str]) -> Result<(), UnknownPlugins> {
    let unknown: Vec<String> = disabled
        .iter()
        .filter(|name| {
            !REGISTERED_PLUGINS.contains(&name.as_str()) && !extra.contains(&name.as_str())
        })
        .cloned()
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(UnknownPlugins(unknown))
    }
}

/// What the plugins of one request share: the warnings for the client, and the state of
/// upstream's `ReinvocationContext` (whether this is the second round of the mutating
/// phase, whether a second round is needed, and values plugins keep between rounds).
#[derive(Clone, Default)]
pub struct AdmissionContext {
    warnings: WarningRecorder,
    reinvocation: Arc<Mutex<Reinvocation>>,
}

#[derive(Default)]
struct Reinvocation {
    is_reinvoke: bool,
    should_reinvoke: bool,
    values: HashMap<&'static str, Box<dyn Any + Send>>,
}

impl std::fmt::Debug for AdmissionContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdmissionContext")
            .field("warnings", &self.warnings.texts())
            .finish_non_exhaustive()
    }
}

impl AdmissionContext {
    /// A context whose warnings go to `warnings` (the request's recorder).
    pub fn new(warnings: WarningRecorder) -> Self {
        Self {
            warnings,
            reinvocation: Arc::default(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, Reinvocation> {
        self.reinvocation.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a warning for the client (`Warning` response header).
    pub fn add_warning(&self, text: &str) {
        self.warnings.add(text);
    }

    /// True during the second round of the mutating phase.
    pub fn is_reinvoke(&self) -> bool {
        self.state().is_reinvoke
    }

    /// Asks for a second round of the mutating phase (a webhook changed the object).
    pub fn set_should_reinvoke(&self) {
        self.state().should_reinvoke = true;
    }

    /// Runs `f` on the value a plugin keeps under `key` for this request (created with
    /// `T::default()` the first time). The lock is held only while `f` runs.
    pub fn with_value<T: Default + Send + 'static, R>(
        &self,
        key: &'static str,
        f: impl FnOnce(&mut T) -> R,
    ) -> R {
        let mut state = self.state();
        let slot = state
            .values
            .entry(key)
            .or_insert_with(|| Box::new(T::default()));
        if !slot.is::<T>() {
            *slot = Box::new(T::default());
        }
        match slot.downcast_mut::<T>() {
            Some(value) => f(value),
            None => f(&mut T::default()),
        }
    }

    /// Starts the second round if one was asked for; true when it did.
    fn begin_reinvocation(&self) -> bool {
        let mut state = self.state();
        if state.should_reinvoke && !state.is_reinvoke {
            state.is_reinvoke = true;
            true
        } else {
            false
        }
    }
}

/// The verb being admitted; upstream's `admission.Operation` without `CONNECT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdmissionOperation {
    /// `POST` of a new object.
    Create,
    /// `PUT` or `PATCH` of an existing object (also of a subresource).
    Update,
    /// `DELETE` of one object.
    Delete,
}

impl AdmissionOperation {
    /// Upstream's name of the operation: `CREATE`, `UPDATE` or `DELETE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "CREATE",
            Self::Update => "UPDATE",
            Self::Delete => "DELETE",
        }
    }
}

/// Whether upstream's plugin of this name has the phase (`admit`: mutating), so that its
/// metric is observed: the webhook plugins and NamespaceLifecycle have only one.
fn has_phase(name: &str, admit: bool) -> bool {
    match name {
        "MutatingAdmissionWebhook" | "NamespaceLifecycle" => admit,
        "ValidatingAdmissionWebhook" => !admit,
        _ => true,
    }
}

/// Observes one plugin's step in `apiserver_admission_controller_admission_duration_seconds`,
/// as upstream's `pluginHandlerWithMetrics` does.
fn observe_step<T>(
    plugin: &dyn AdmissionPlugin,
    admit: bool,
    attrs: &Attributes,
    started: std::time::Instant,
    result: &Result<T, ApiError>,
) {
    if !has_phase(plugin.name(), admit) {
        return;
    }
    crate::metrics::observe_admission(
        crate::metrics::AdmissionKind::Controller,
        plugin.name(),
        admit,
        attrs.operation.as_str(),
        result.is_err(),
        started.elapsed(),
    );
}

/// The name `admission.NewForbidden` quotes (`extractResourceName`): the request's name
/// (the URL's for a named create such as a TokenRequest, else the object's), else the
/// object's `generateName` (names are generated after admission), else `Unknown`.
pub fn name_in_errors(attrs: &Attributes, object: &Value) -> String {
    std::iter::once(attrs.name.as_str())
        .chain(
            ["name", "generateName"]
                .into_iter()
                .filter_map(|key| object["metadata"][key].as_str()),
        )
        .find(|name| !name.is_empty())
        .unwrap_or("Unknown")
        .to_string()
}

/// What a plugin knows about the request; upstream's `admission.Attributes`.
#[derive(Debug, Clone)]
pub struct Attributes {
    /// The resource addressed, e.g. [`PODS`](super::kinds::PODS).
    pub resource: &'static ResourceInfo,
    /// `status`, `finalize`, ... when a subresource is addressed.
    pub subresource: Option<String>,
    /// The object's kind when it is not the resource's own: a TokenRequest sent to
    /// `serviceaccounts/token` (webhooks see it as `kind` and `requestKind`, and get the
    /// object unconverted). None for every other request.
    pub object_kind: Option<&'static ResourceInfo>,
    /// Empty for cluster-scoped resources.
    pub namespace: String,
    /// Empty on a create with `generateName`.
    pub name: String,
    /// The verb being admitted.
    pub operation: AdmissionOperation,
    /// The authenticated requester.
    pub user: UserInfo,
    /// `?dryRun=All`: plugins must not have side effects.
    pub dry_run: bool,
    /// The stored object on update and delete.
    pub old_object: Option<Arc<Value>>,
    /// Warnings and reinvocation state shared by the plugins of this request.
    pub context: AdmissionContext,
}

impl Attributes {
    /// Whether this is a core/v1 pod itself (no subresource) being created or updated:
    /// what the pod-mutating plugins (`Priority`, `DefaultTolerationSeconds`) look at.
    pub fn is_pod_create_or_update(&self) -> bool {
        self.resource.plural == super::kinds::PODS.plural
            && self.resource.group == super::kinds::PODS.group
            && self.subresource.is_none()
            && matches!(
                self.operation,
                AdmissionOperation::Create | AdmissionOperation::Update
            )
    }

    /// A request by the default user in namespace `ns` for the object `web`, for plugin tests.
    #[cfg(test)]
    pub(crate) fn for_test(
        resource: &'static ResourceInfo,
        subresource: Option<&str>,
        operation: AdmissionOperation,
        old_object: Option<Value>,
    ) -> Self {
        Self {
            resource,
            subresource: subresource.map(str::to_string),
            object_kind: None,
            namespace: "ns".into(),
            name: "web".into(),
            operation,
            user: UserInfo::default(),
            dry_run: false,
            old_object: old_object.map(Arc::new),
            context: AdmissionContext::new(WarningRecorder::default()),
        }
    }
}

/// One admission plugin. Both phases default to "allow unchanged".
pub trait AdmissionPlugin: Send + Sync {
    /// The plugin's `--enable-admission-plugins` name, e.g. `ServiceAccount`.
    fn name(&self) -> &'static str;

    /// Mutating phase: may change `object` (and then answers true), or deny.
    fn admit<'a>(
        &'a self,
        _attrs: &'a Attributes,
        _object: &'a mut Value,
    ) -> BoxFuture<'a, Result<bool, ApiError>> {
        Box::pin(async { Ok(false) })
    }

    /// Validating phase: may only deny.
    fn validate<'a>(
        &'a self,
        _attrs: &'a Attributes,
        _object: &'a Value,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        Box::pin(async { Ok(()) })
    }
}

/// Plugins in registration order (NamespaceLifecycle first).
#[derive(Clone, Default)]
pub struct AdmissionChain {
    plugins: Vec<Arc<dyn AdmissionPlugin>>,
}

impl AdmissionChain {
    /// Appends a plugin; it runs after those already in the chain, in both phases.
    pub fn push(&mut self, plugin: Arc<dyn AdmissionPlugin>) {
        self.plugins.push(plugin);
    }

    /// The plugins' names in chain order.
    pub fn names(&self) -> Vec<&'static str> {
        self.plugins.iter().map(|p| p.name()).collect()
    }

    /// Runs every plugin's mutating phase; true when any changed the object. When a plugin
    /// asks for it (a webhook changed the object and an earlier webhook wants to see such
    /// changes), every plugin runs a second time, as upstream's reinvoker does.
    pub async fn admit(&self, attrs: &Attributes, object: &mut Value) -> Result<bool, ApiError> {
        let mut changed = self.admit_once(attrs, object).await?;
        if attrs.context.begin_reinvocation() {
            changed |= self.admit_once(attrs, object).await?;
        }
        Ok(changed)
    }

    async fn admit_once(&self, attrs: &Attributes, object: &mut Value) -> Result<bool, ApiError> {
        let mut changed = false;
        for plugin in &self.plugins {
            let started = std::time::Instant::now();
            let result = plugin.admit(attrs, object).await;
            observe_step(plugin.as_ref(), true, attrs, started, &result);
            changed |= result?;
        }
        Ok(changed)
    }

    /// Runs every plugin's validating phase; the first denial is the answer.
    pub async fn validate(&self, attrs: &Attributes, object: &Value) -> Result<(), ApiError> {
        for plugin in &self.plugins {
            let started = std::time::Instant::now();
            let result = plugin.validate(attrs, object).await;
            observe_step(plugin.as_ref(), false, attrs, started, &result);
            result?;
        }
        Ok(())
    }
}
