//! Namespace lifecycle: the NamespaceLifecycle admission plugin and the namespaces a
//! cluster starts with; [`super::namespace_deleter`] empties and removes deleted ones.

use futures::future::BoxFuture;
use serde_json::{json, Value};
use std::sync::Arc;

use super::admission::{name_in_errors, AdmissionOperation, AdmissionPlugin, Attributes};
use super::errors::ApiError;
use super::kinds::{ResourceInfo, NAMESPACES};
use super::store::Store;

/// Namespaces that exist from the start and may not be deleted.
pub const SYSTEM_NAMESPACES: &[&str] = &["default", "kube-system", "kube-public"];

/// The namespace of node heartbeat Leases (Kubernetes 1.14 and later, so bound mode only),
/// which upstream's system namespaces controller creates beside `kube-system` and
/// `kube-public`. Unlike those it may be deleted (`NamespaceLifecycle`'s immortal
/// namespaces are the three above).
pub const NODE_LEASE_NAMESPACE: &str = "kube-node-lease";

/// Rejects content in missing or terminating namespaces, and deletion of system namespaces.
pub struct NamespaceLifecycle {
    store: Arc<Store>,
}

impl NamespaceLifecycle {
    /// The plugin, reading namespaces from `store`.
    pub fn new(store: Arc<Store>) -> Self {
        Self { store }
    }

    fn check(&self, attrs: &Attributes, object: &Value) -> Result<(), ApiError> {
        if attrs.resource.plural == NAMESPACES.plural {
            if attrs.operation == AdmissionOperation::Delete
                && SYSTEM_NAMESPACES.contains(&attrs.name.as_str())
            {
                return Err(ApiError::forbidden(
                    &NAMESPACES,
                    &attrs.name,
                    "this namespace may not be deleted",
                ));
            }
            return Ok(());
        }
        if !attrs.resource.namespaced || attrs.operation != AdmissionOperation::Create {
            return Ok(());
        }
        match self.store.get(&NAMESPACES, "", &attrs.namespace) {
            None => Err(ApiError::not_found(&NAMESPACES, &attrs.namespace)),
            Some(ns) if ns.is_deleting() => Err(namespace_terminating(
                attrs.resource,
                &name_in_errors(attrs, object),
                &attrs.namespace,
            )),
            Some(_) => Ok(()),
        }
    }
}

impl AdmissionPlugin for NamespaceLifecycle {
    fn name(&self) -> &'static str {
        "NamespaceLifecycle"
    }

    fn admit<'a>(
        &'a self,
        attrs: &'a Attributes,
        object: &'a mut Value,
    ) -> BoxFuture<'a, Result<bool, ApiError>> {
        Box::pin(async move { self.check(attrs, object).map(|()| false) })
    }
}

/// 403 with the `NamespaceTerminating` cause, as NamespaceLifecycle admission returns it.
pub fn namespace_terminating(resource: &ResourceInfo, name: &str, namespace: &str) -> ApiError {
    ApiError::forbidden(
        resource,
        name,
        &format!(
            "unable to create new content in namespace {namespace} because it is being terminated"
        ),
    )
    .with_cause(
        "NamespaceTerminating",
        format!("namespace {namespace} is being terminated"),
        "metadata.namespace",
    )
}

/// The namespace object a fresh cluster starts with.
pub fn initial_namespace(name: &str, created: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "uid": crate::names::new_uid(),
            "creationTimestamp": created,
            "labels": {"kubernetes.io/metadata.name": name},
        },
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    })
}
