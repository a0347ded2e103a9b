//! Plugs the service-account components into the embedded API server: the token
//! authenticator, the ServiceAccount admission plugin, and (started beside the server)
//! the controllers.

use futures::future::BoxFuture;
use serde::Deserialize;
use k8s_openapi::api::core::v1::{Pod, Secret, ServiceAccount};
use serde_json::Value;
use std::sync::{Arc, OnceLock};

use super::admission::{AdmissionPlugin, Attributes, Operation};
use super::errors::ApiError;
use super::resources::{PODS, SECRETS, SERVICE_ACCOUNTS};
use super::store::Store;
use crate::admission::serviceaccount::{self as sa_admission, AccountLookup, Denial};
use crate::names::NameGenerator;
use crate::serviceaccount::{GetterError, ServiceAccountTokenGetter};

/// The authenticator's getter. Like kube-apiserver's own registry getters it reads the
/// store directly: it is part of the API server, not a client of it.
pub struct StoreTokenGetter {
    store: Arc<Store>,
}

impl StoreTokenGetter {
    pub fn new(store: Arc<Store>) -> Self {
        Self { store }
    }

    fn get<T: serde::de::DeserializeOwned>(
        &self,
        resource: &'static super::resources::ResourceInfo,
        namespace: &str,
        name: &str,
    ) -> Result<T, GetterError> {
        let object = self
            .store
            .get(resource, namespace, name)
            .ok_or_else(|| GetterError::not_found(resource.plural, name))?;
        T::deserialize(&*object).map_err(|e| GetterError::Other(e.to_string()))
    }
}

impl ServiceAccountTokenGetter for StoreTokenGetter {
    fn get_service_account<'a>(&'a self, namespace: &'a str, name: &'a str) -> BoxFuture<'a, Result<ServiceAccount, GetterError>> {
        let result = self.get(&SERVICE_ACCOUNTS, namespace, name);
        Box::pin(async move { result })
    }

    fn get_secret<'a>(&'a self, namespace: &'a str, name: &'a str) -> BoxFuture<'a, Result<Secret, GetterError>> {
        let result = self.get(&SECRETS, namespace, name);
        Box::pin(async move { result })
    }
}

/// The ServiceAccount admission plugin in the server's chain. Its lookups go through the
/// API (a loopback client), which exists only once the server listens, hence the cell.
pub struct ServiceAccountAdmission {
    lookup: OnceLock<Arc<dyn AccountLookup>>,
    names: Arc<dyn NameGenerator>,
    config: sa_admission::Config,
}

impl ServiceAccountAdmission {
    pub fn new(names: Arc<dyn NameGenerator>, config: sa_admission::Config) -> Self {
        Self { lookup: OnceLock::new(), names, config }
    }

    /// Connects the plugin to the API; until then pods are refused with a retryable error.
    pub fn set_lookup(&self, lookup: Arc<dyn AccountLookup>) {
        let _ = self.lookup.set(lookup);
    }
}

/// The Status a denial becomes: Forbidden wrapped in `pods "x" is forbidden: `, the
/// ServerTimeout unchanged.
pub fn denial_to_api_error(denial: &Denial, pod: &Pod) -> ApiError {
    match denial {
        Denial::Forbidden(message) => ApiError::forbidden(&PODS, &sa_admission::forbidden_object_name(pod), message),
        Denial::ServerTimeout { message, retry_after_seconds } => {
            ApiError::server_timeout("serviceaccounts", "create pod", message.clone(), *retry_after_seconds)
        }
    }
}

impl AdmissionPlugin for ServiceAccountAdmission {
    fn name(&self) -> &'static str {
        sa_admission::PLUGIN_NAME
    }

    fn admit<'a>(&'a self, attrs: &'a Attributes, object: &'a mut Value) -> BoxFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            if attrs.resource.plural != PODS.plural || attrs.subresource.is_some() {
                return Ok(());
            }
            let operation = match attrs.operation {
                Operation::Create => sa_admission::Operation::Create,
                Operation::Update => sa_admission::Operation::Update,
                Operation::Delete => return Ok(()),
            };
            let Some(lookup) = self.lookup.get() else {
                return Err(ApiError::server_timeout(
                    "serviceaccounts",
                    "create pod",
                    "the ServiceAccount admission plugin is not ready yet",
                    1,
                ));
            };
            let mut pod: Pod = Pod::deserialize(&*object).map_err(|e| ApiError::bad_request(e.to_string()))?;
            match sa_admission::admit(&mut pod, operation, &attrs.namespace, lookup.as_ref(), self.names.as_ref(), &self.config).await {
                Ok(()) => {
                    *object = serde_json::to_value(&pod).map_err(|e| ApiError::internal(e.to_string()))?;
                    Ok(())
                }
                Err(denial) => Err(denial_to_api_error(&denial, &pod)),
            }
        })
    }
}

/// The service-account components an embedded cluster runs, and their keys.
#[derive(Clone)]
pub struct ServiceAccountOptions {
    /// `--service-account-private-key-file`; an ECDSA P-256 key is generated when unset.
    pub signing_key: Option<Arc<crate::serviceaccount::SigningKey>>,
    /// `--service-account-key-file`; the signing key's public key when empty.
    pub verification_keys: Vec<crate::serviceaccount::PublicKey>,
    /// `--root-ca-file` contents for `ca.crt`; the cluster CA when unset.
    pub root_ca: Option<Vec<u8>>,
    /// `--service-account-lookup`: tokens stay valid only while their secret does.
    pub lookup: bool,
    pub admission: sa_admission::Config,
    pub mode: crate::Mode,
    /// Run the token and service-account controllers in-process.
    pub controllers: bool,
}

impl Default for ServiceAccountOptions {
    fn default() -> Self {
        Self {
            signing_key: None,
            verification_keys: Vec::new(),
            root_ca: None,
            lookup: true,
            admission: sa_admission::Config::default(),
            mode: crate::Mode::Legacy,
            controllers: true,
        }
    }
}
