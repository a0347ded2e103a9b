//! The slice of the Kubernetes API the controllers write through, as a small trait, so the
//! sync functions can be tested against a recording fake (like client-go's fake clientset).

use std::future::Future;

use k8s_openapi::api::core::v1::{ConfigMap, Pod, Secret, ServiceAccount};
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams, Preconditions};
use kube::core::Status;
use kube::{Api, Client};

/// Status cause reason that NamespaceLifecycle admission attaches when it refuses to create
/// objects in a namespace that is being deleted.
pub const NAMESPACE_TERMINATING_CAUSE: &str = "NamespaceTerminating";

/// A failed API call as the client sees it, classified the way the controllers decide about
/// retries (apimachinery's `api/errors` predicates over a returned Status). Not the API
/// server's own `ApiError`, which is the Status a handler returns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// 404 or reason `NotFound`.
    #[error("{message}")]
    NotFound {
        /// The Status message.
        message: String,
    },
    /// 409 Conflict: a stale resourceVersion or a failed precondition.
    #[error("{message}")]
    Conflict {
        /// The Status message.
        message: String,
    },
    /// Reason `AlreadyExists` (a 409 on create).
    #[error("{message}")]
    AlreadyExists {
        /// The Status message.
        message: String,
    },
    /// 403; `causes` holds the reasons of the Status causes (e.g. `NamespaceTerminating`).
    #[error("{message}")]
    Forbidden {
        /// The Status message.
        message: String,
        /// The `reason` of each Status cause.
        causes: Vec<String>,
    },
    /// Any other Status, or a transport error.
    #[error("{message}")]
    Other {
        /// The Status message, or the transport error's text.
        message: String,
        /// The `reason` of each Status cause (empty for transport errors).
        causes: Vec<String>,
    },
}

impl ClientError {
    /// apimachinery's `IsNotFound`.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }

    /// apimachinery's `IsConflict`.
    pub fn is_conflict(&self) -> bool {
        matches!(self, Self::Conflict { .. })
    }

    /// apimachinery's `IsAlreadyExists`.
    pub fn is_already_exists(&self) -> bool {
        matches!(self, Self::AlreadyExists { .. })
    }

    /// apimachinery's `IsForbidden`.
    pub fn is_forbidden(&self) -> bool {
        matches!(self, Self::Forbidden { .. })
    }

    /// Whether the Status carried a cause with this reason (apimachinery's `HasStatusCause`).
    pub fn has_cause(&self, reason: &str) -> bool {
        match self {
            Self::Forbidden { causes, .. } | Self::Other { causes, .. } => {
                causes.iter().any(|cause| cause == reason)
            }
            _ => false,
        }
    }

    /// Classifies a Status returned by the API server.
    pub fn from_status(status: &Status) -> Self {
        let message = if status.message.is_empty() {
            format!("{} ({})", status.reason, status.code)
        } else {
            status.message.clone()
        };
        let causes: Vec<String> = status
            .details
            .as_ref()
            .map(|details| details.causes.iter().map(|c| c.reason.clone()).collect())
            .unwrap_or_default();
        match (status.code, status.reason.as_str()) {
            (_, "NotFound") | (404, _) => Self::NotFound { message },
            (_, "AlreadyExists") => Self::AlreadyExists { message },
            (_, "Conflict") | (409, _) => Self::Conflict { message },
            (_, "Forbidden") | (403, _) => Self::Forbidden { message, causes },
            _ => Self::Other { message, causes },
        }
    }
}

impl From<kube::Error> for ClientError {
    fn from(error: kube::Error) -> Self {
        match error {
            kube::Error::Api(status) => Self::from_status(&status),
            other => Self::Other {
                message: other.to_string(),
                causes: Vec::new(),
            },
        }
    }
}

/// Reads and writes of ServiceAccounts, Secrets and ConfigMaps, and pod lists. Updates are full replacements carrying
/// the object's resourceVersion, so a stale write fails with [`ClientError::Conflict`].
pub trait CoreApi: Send + Sync + 'static {
    /// GET a ServiceAccount.
    fn get_service_account(
        &self,
        namespace: &str,
        name: &str,
    ) -> impl Future<Output = Result<ServiceAccount, ClientError>> + Send;

    /// POST a ServiceAccount into `namespace`; the stored object comes back.
    fn create_service_account(
        &self,
        namespace: &str,
        account: &ServiceAccount,
    ) -> impl Future<Output = Result<ServiceAccount, ClientError>> + Send;

    /// PUT a ServiceAccount (a full replacement carrying its resourceVersion).
    fn update_service_account(
        &self,
        namespace: &str,
        account: &ServiceAccount,
    ) -> impl Future<Output = Result<ServiceAccount, ClientError>> + Send;

    /// DELETE a ServiceAccount, with optional UID/resourceVersion preconditions.
    fn delete_service_account(
        &self,
        namespace: &str,
        name: &str,
        preconditions: Option<Preconditions>,
    ) -> impl Future<Output = Result<(), ClientError>> + Send;

    /// GET a Secret.
    fn get_secret(
        &self,
        namespace: &str,
        name: &str,
    ) -> impl Future<Output = Result<Secret, ClientError>> + Send;

    /// POST a Secret into `namespace`; the stored object comes back.
    fn create_secret(
        &self,
        namespace: &str,
        secret: &Secret,
    ) -> impl Future<Output = Result<Secret, ClientError>> + Send;

    /// PUT a Secret (a full replacement carrying its resourceVersion).
    fn update_secret(
        &self,
        namespace: &str,
        secret: &Secret,
    ) -> impl Future<Output = Result<Secret, ClientError>> + Send;

    /// DELETE a Secret, with optional UID/resourceVersion preconditions.
    fn delete_secret(
        &self,
        namespace: &str,
        name: &str,
        preconditions: Option<Preconditions>,
    ) -> impl Future<Output = Result<(), ClientError>> + Send;

    /// PATCH a Secret with a JSON merge patch (`application/merge-patch+json`).
    fn merge_patch_secret(
        &self,
        namespace: &str,
        name: &str,
        patch: &serde_json::Value,
    ) -> impl Future<Output = Result<Secret, ClientError>> + Send;

    /// GET a ConfigMap.
    fn get_config_map(
        &self,
        namespace: &str,
        name: &str,
    ) -> impl Future<Output = Result<ConfigMap, ClientError>> + Send;

    /// POST a ConfigMap into `namespace`; the stored object comes back.
    fn create_config_map(
        &self,
        namespace: &str,
        config_map: &ConfigMap,
    ) -> impl Future<Output = Result<ConfigMap, ClientError>> + Send;

    /// PUT a ConfigMap (a full replacement carrying its resourceVersion).
    fn update_config_map(
        &self,
        namespace: &str,
        config_map: &ConfigMap,
    ) -> impl Future<Output = Result<ConfigMap, ClientError>> + Send;

    /// LIST the pods of `namespace`.
    fn list_pods(
        &self,
        namespace: &str,
    ) -> impl Future<Output = Result<Vec<Pod>, ClientError>> + Send;
}

/// [`CoreApi`] over a `kube::Client`: works against any cluster.
#[derive(Clone)]
pub struct KubeApi {
    client: Client,
}

impl std::fmt::Debug for KubeApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeApi").finish_non_exhaustive()
    }
}

impl KubeApi {
    /// Writes through `client`, with its credentials.
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    fn service_accounts(&self, namespace: &str) -> Api<ServiceAccount> {
        Api::namespaced(self.client.clone(), namespace)
    }

    fn secrets(&self, namespace: &str) -> Api<Secret> {
        Api::namespaced(self.client.clone(), namespace)
    }

    fn config_maps(&self, namespace: &str) -> Api<ConfigMap> {
        Api::namespaced(self.client.clone(), namespace)
    }
}

/// The object's name (empty when unset), for the path of a replace.
pub(crate) fn object_name(
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
) -> &str {
    meta.name.as_deref().unwrap_or_default()
}

/// Delete options carrying only `preconditions`.
pub(crate) fn delete_params(preconditions: Option<Preconditions>) -> DeleteParams {
    DeleteParams {
        preconditions,
        ..DeleteParams::default()
    }
}

impl CoreApi for KubeApi {
    async fn get_service_account(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<ServiceAccount, ClientError> {
        Ok(self.service_accounts(namespace).get(name).await?)
    }

    async fn create_service_account(
        &self,
        namespace: &str,
        account: &ServiceAccount,
    ) -> Result<ServiceAccount, ClientError> {
        let api = self.service_accounts(namespace);
        Ok(api.create(&PostParams::default(), account).await?)
    }

    async fn update_service_account(
        &self,
        namespace: &str,
        account: &ServiceAccount,
    ) -> Result<ServiceAccount, ClientError> {
        let api = self.service_accounts(namespace);
        let name = object_name(&account.metadata);
        Ok(api.replace(name, &PostParams::default(), account).await?)
    }

    async fn delete_service_account(
        &self,
        namespace: &str,
        name: &str,
        preconditions: Option<Preconditions>,
    ) -> Result<(), ClientError> {
        let api = self.service_accounts(namespace);
        api.delete(name, &delete_params(preconditions)).await?;
        Ok(())
    }

    async fn get_secret(&self, namespace: &str, name: &str) -> Result<Secret, ClientError> {
        Ok(self.secrets(namespace).get(name).await?)
    }

    async fn create_secret(&self, namespace: &str, secret: &Secret) -> Result<Secret, ClientError> {
        Ok(self
            .secrets(namespace)
            .create(&PostParams::default(), secret)
            .await?)
    }

    async fn update_secret(&self, namespace: &str, secret: &Secret) -> Result<Secret, ClientError> {
        let name = object_name(&secret.metadata);
        Ok(self
            .secrets(namespace)
            .replace(name, &PostParams::default(), secret)
            .await?)
    }

    async fn delete_secret(
        &self,
        namespace: &str,
        name: &str,
        preconditions: Option<Preconditions>,
    ) -> Result<(), ClientError> {
        let api = self.secrets(namespace);
        api.delete(name, &delete_params(preconditions)).await?;
        Ok(())
    }

    async fn merge_patch_secret(
        &self,
        namespace: &str,
        name: &str,
        patch: &serde_json::Value,
    ) -> Result<Secret, ClientError> {
        let api = self.secrets(namespace);
        Ok(api
            .patch(name, &PatchParams::default(), &Patch::Merge(patch))
            .await?)
    }

    async fn get_config_map(&self, namespace: &str, name: &str) -> Result<ConfigMap, ClientError> {
        Ok(self.config_maps(namespace).get(name).await?)
    }

    async fn create_config_map(
        &self,
        namespace: &str,
        config_map: &ConfigMap,
    ) -> Result<ConfigMap, ClientError> {
        let api = self.config_maps(namespace);
        Ok(api.create(&PostParams::default(), config_map).await?)
    }

    async fn update_config_map(
        &self,
        namespace: &str,
        config_map: &ConfigMap,
    ) -> Result<ConfigMap, ClientError> {
        let api = self.config_maps(namespace);
        let name = object_name(&config_map.metadata);
        Ok(api
            .replace(name, &PostParams::default(), config_map)
            .await?)
    }

    async fn list_pods(&self, namespace: &str) -> Result<Vec<Pod>, ClientError> {
        let api: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        Ok(api.list(&ListParams::default()).await?.items)
    }
}

/// A delete precondition on the object's UID.
pub fn uid_precondition(uid: &str) -> Option<Preconditions> {
    (!uid.is_empty()).then(|| Preconditions {
        uid: Some(uid.to_string()),
        resource_version: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::core::response::{StatusCause, StatusDetails};

    #[test]
    fn statuses_are_classified_by_reason_and_code() {
        let status = |code: u16, reason: &str| Status::failure("boom", reason).with_code(code);
        let cases = [
            (status(404, "NotFound"), "not found"),
            (status(409, "AlreadyExists"), "already exists"),
            (status(409, "Conflict"), "conflict"),
            (status(409, ""), "conflict"),
            (status(403, "Forbidden"), "forbidden"),
            (status(500, "InternalError"), "other"),
        ];
        for (status, expected) in cases {
            let error = ClientError::from_status(&status);
            let kind = match error {
                ClientError::NotFound { .. } => "not found",
                ClientError::AlreadyExists { .. } => "already exists",
                ClientError::Conflict { .. } => "conflict",
                ClientError::Forbidden { .. } => "forbidden",
                ClientError::Other { .. } => "other",
            };
            assert_eq!(kind, expected, "{status:?}");
            assert_eq!(error_message(&status), "boom");
        }
    }

    fn error_message(status: &Status) -> String {
        ClientError::from_status(status).to_string()
    }

    #[test]
    fn namespace_terminating_cause_is_visible() {
        let status = Status::failure(
            "secrets \"x\" is forbidden: unable to create new content in namespace ns because it is being terminated",
            "Forbidden",
        )
        .with_code(403)
        .with_details(StatusDetails {
            causes: vec![StatusCause {
                reason: NAMESPACE_TERMINATING_CAUSE.into(),
                message: "namespace ns is being terminated".into(),
                field: "metadata.namespace".into(),
            }],
            name: "x".into(),
            group: String::new(),
            kind: "secrets".into(),
            uid: String::new(),
            retry_after_seconds: 0,
        });
        let error = ClientError::from_status(&status);
        assert!(error.is_forbidden());
        assert!(error.has_cause(NAMESPACE_TERMINATING_CAUSE));
        let plain = ClientError::from_status(&Status::failure("no", "Forbidden").with_code(403));
        assert!(!plain.has_cause(NAMESPACE_TERMINATING_CAUSE));
    }

    #[test]
    fn uid_preconditions_are_only_set_for_known_uids() {
        assert_eq!(uid_precondition(""), None);
        assert_eq!(
            uid_precondition("u1"),
            Some(Preconditions {
                uid: Some("u1".into()),
                resource_version: None
            })
        );
    }
}
