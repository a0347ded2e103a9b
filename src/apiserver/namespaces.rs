//! Namespace lifecycle: the NamespaceLifecycle admission plugin, and the finalizer that
//! empties a deleted namespace and then removes it.

use futures::future::BoxFuture;
use serde_json::{json, Value};
use std::sync::Arc;

use super::admission::{AdmissionOperation, AdmissionPlugin, Attributes};
use super::errors::ApiError;
use super::kinds::{ResourceInfo, ALL, NAMESPACES};
use super::store::{Preconditions, Store};
use super::ServerState;

/// Namespaces that exist from the start and may not be deleted.
pub const SYSTEM_NAMESPACES: &[&str] = &["default", "kube-system", "kube-public"];

/// Rejects content in missing or terminating namespaces, and deletion of system namespaces.
pub struct NamespaceLifecycle {
    store: Arc<Store>,
}

impl NamespaceLifecycle {
    /// The plugin, reading namespaces from `store`.
    pub fn new(store: Arc<Store>) -> Self {
        Self { store }
    }

    fn check(&self, attrs: &Attributes) -> Result<(), ApiError> {
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
                &attrs.name,
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
        _object: &'a mut Value,
    ) -> BoxFuture<'a, Result<bool, ApiError>> {
        Box::pin(async move { self.check(attrs).map(|()| false) })
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
            "uid": uuid::Uuid::new_v4().to_string(),
            "creationTimestamp": created,
            "labels": {"kubernetes.io/metadata.name": name},
        },
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    })
}

/// Deletes everything in a terminating namespace, then the namespace itself. New content
/// cannot appear meanwhile: the store refuses creates in a terminating namespace.
pub fn start_finalizing(state: Arc<ServerState>, namespace: String) {
    tokio::spawn(async move {
        let span = tracing::info_span!("namespace_finalizer", namespace = %namespace);
        let _guard = span.enter();
        finalize(&state.store, &namespace);
    });
}

fn finalize(store: &Store, namespace: &str) {
    // Workloads first, accounts last, so controllers see secrets go before their accounts.
    let mut order: Vec<_> = ALL
        .iter()
        .filter(|r| r.namespaced && !r.create_only)
        .collect();
    order.sort_by_key(|r| r.strategy.namespace_deletion_order());
    for resource in order {
        let (objects, _) = store.list(resource, Some(namespace));
        for object in objects {
            // NotFound means someone else deleted it first, which is the goal.
            let _ = store.delete(
                resource,
                namespace,
                object.name(),
                &Preconditions::default(),
            );
        }
    }
    if let Some(ns) = store.get(&NAMESPACES, "", namespace) {
        let ns = ns.value();
        let finalizers_left = ns["metadata"]["finalizers"]
            .as_array()
            .is_some_and(|f| !f.is_empty());
        if finalizers_left {
            let mut emptied = ns;
            emptied["spec"]["finalizers"] = json!([]);
            let _ = store.update(&NAMESPACES, emptied, None);
            return;
        }
        let _ = store.delete(&NAMESPACES, "", namespace, &Preconditions::default());
        tracing::info!("namespace finalized and removed");
    }
}
