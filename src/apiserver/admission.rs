//! The ordered admission chain: every mutating plugin, then every validating plugin.
//! Follows `k8s.io/apiserver/pkg/admission` (`Interface`, `MutationInterface`,
//! `ValidationInterface`, `chainAdmissionHandler`).

use futures::future::BoxFuture;
use serde_json::Value;
use std::sync::Arc;

use super::errors::ApiError;
use super::kinds::ResourceInfo;
use crate::authn::UserInfo;

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

/// What a plugin knows about the request; upstream's `admission.Attributes`.
#[derive(Debug, Clone)]
pub struct Attributes {
    /// The resource addressed, e.g. [`PODS`](super::kinds::PODS).
    pub resource: &'static ResourceInfo,
    /// `status`, `finalize`, ... when a subresource is addressed.
    pub subresource: Option<String>,
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

    /// Runs every plugin's mutating phase; true when any changed the object.
    pub async fn admit(&self, attrs: &Attributes, object: &mut Value) -> Result<bool, ApiError> {
        let mut changed = false;
        for plugin in &self.plugins {
            changed |= plugin.admit(attrs, object).await?;
        }
        Ok(changed)
    }

    /// Runs every plugin's validating phase; the first denial is the answer.
    pub async fn validate(&self, attrs: &Attributes, object: &Value) -> Result<(), ApiError> {
        for plugin in &self.plugins {
            plugin.validate(attrs, object).await?;
        }
        Ok(())
    }
}
