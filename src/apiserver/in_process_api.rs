//! The controllers' [`CoreApi`] answered by the embedded server's own request handling.
//!
//! Each call is the request kube-rs's `Api` would send (built by kube's own request
//! builder, with the controller's User-Agent and the admin token), handed straight to
//! [`handle`]: authentication, authorization, admission, validation and field managers see
//! exactly what they see from any client. What is skipped is only the client around it: a
//! `kube::Client` queues every request through a `tower` buffer task, twice for a
//! controller client that sets its User-Agent, which at 10,000 namespaces costs more CPU
//! than the handler's own routing.

use std::sync::Arc;

use bytes::Bytes;
use http::{header, HeaderValue, Request};
use http_body_util::{BodyExt, Full};
use k8s_openapi::api::core::v1::{ConfigMap, Pod, Secret, ServiceAccount};
use kube::api::{GetParams, ListParams, Patch, PatchParams, PostParams, Preconditions};
use kube::core::{ObjectList, Request as KubeRequest, Status};
use kube::Resource;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::http::{handle, BodyError};
use super::ServerState;
use crate::controllers::api::{delete_params, object_name};
use crate::controllers::{ClientError, CoreApi};

/// [`CoreApi`] over the embedded server's handler, with a bearer token and (for a
/// controller's client) that client's User-Agent.
#[derive(Clone)]
pub(crate) struct InProcessApi {
    state: Arc<ServerState>,
    authorization: HeaderValue,
    user_agent: Option<HeaderValue>,
}

impl std::fmt::Debug for InProcessApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcessApi")
            .field("user_agent", &self.user_agent)
            .finish_non_exhaustive()
    }
}

impl InProcessApi {
    /// The API as the bearer of `token`, sending no User-Agent until
    /// [`as_controller`](Self::as_controller) names one.
    ///
    /// # Errors
    ///
    /// A 500 [`ApiError`](super::errors::ApiError) when the token is not a header value.
    pub(crate) fn new(
        state: Arc<ServerState>,
        token: &str,
    ) -> Result<Self, super::errors::ApiError> {
        let authorization = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|e| {
            super::errors::ApiError::internal(format!("admin token is not a header value: {e}"))
        })?;
        Ok(Self {
            state,
            authorization,
            user_agent: None,
        })
    }

    /// This API as the controller client named `controller`: its requests carry that
    /// client's User-Agent ([`user_agent`](crate::controllers::user_agent::user_agent)), which
    /// the server records as the manager of what it writes. A name that cannot be a header
    /// value keeps the agent this API had, as `controller_client` does.
    pub(crate) fn as_controller(&self, controller: &str) -> Self {
        let agent = HeaderValue::from_str(&crate::controllers::user_agent::user_agent(controller));
        Self {
            user_agent: agent.ok().or_else(|| self.user_agent.clone()),
            ..self.clone()
        }
    }

    /// Sends `request` (kube's encoding) and decodes a success as `T`; a failure becomes the
    /// [`ClientError`] of its Status, as kube's client classifies it.
    async fn send<T: DeserializeOwned>(
        &self,
        request: Result<Request<Vec<u8>>, kube::core::request::Error>,
    ) -> Result<T, ClientError> {
        let request = request.map_err(|e| ClientError::from(kube::Error::BuildRequest(e)))?;
        let (mut parts, body) = request.into_parts();
        parts
            .headers
            .insert(header::AUTHORIZATION, self.authorization.clone());
        if let Some(agent) = &self.user_agent {
            parts.headers.insert(header::USER_AGENT, agent.clone());
        }
        let body = Full::new(Bytes::from(body))
            .map_err(|never| BodyError(never.to_string()))
            .boxed();
        let response = handle(self.state.clone(), Request::from_parts(parts, body)).await;
        let status = response.status();
        let bytes = match response.into_body().collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(never) => match never {},
        };
        if status.is_client_error() || status.is_server_error() {
            return Err(error_from_answer(status, &bytes));
        }
        serde_json::from_slice(&bytes).map_err(|e| ClientError::from(kube::Error::SerdeError(e)))
    }
}

/// The error of a 4xx or 5xx answer, as kube's client makes it (`handle_api_errors`): the
/// Status in the body, or for a body that is not one (the in-flight limit's plain-text 429)
/// a Status with the answer's code and the text as its message.
fn error_from_answer(code: http::StatusCode, body: &[u8]) -> ClientError {
    let status = serde_json::from_slice::<Status>(body).unwrap_or_else(|_| {
        Status::failure(
            String::from_utf8_lossy(body).trim(),
            "Failed to parse error data",
        )
        .with_code(code.as_u16())
    });
    ClientError::from_status(&status)
}

fn json<T: Serialize>(object: &T) -> Result<Vec<u8>, ClientError> {
    serde_json::to_vec(object).map_err(|e| ClientError::from(kube::Error::SerdeError(e)))
}

/// kube's request builder for `K` in `namespace`.
fn request_for<K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>>(
    namespace: &str,
) -> KubeRequest {
    KubeRequest::new(K::url_path(&(), Some(namespace)))
}

/// The answer to a delete: the deleted object or a Status; either is success.
type Deleted = serde::de::IgnoredAny;

impl CoreApi for InProcessApi {
    async fn get_service_account(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<ServiceAccount, ClientError> {
        let request = request_for::<ServiceAccount>(namespace).get(name, &GetParams::default());
        self.send(request).await
    }

    async fn create_service_account(
        &self,
        namespace: &str,
        account: &ServiceAccount,
    ) -> Result<ServiceAccount, ClientError> {
        let request =
            request_for::<ServiceAccount>(namespace).create(&PostParams::default(), json(account)?);
        self.send(request).await
    }

    async fn update_service_account(
        &self,
        namespace: &str,
        account: &ServiceAccount,
    ) -> Result<ServiceAccount, ClientError> {
        let request = request_for::<ServiceAccount>(namespace).replace(
            object_name(&account.metadata),
            &PostParams::default(),
            json(account)?,
        );
        self.send(request).await
    }

    async fn delete_service_account(
        &self,
        namespace: &str,
        name: &str,
        preconditions: Option<Preconditions>,
    ) -> Result<(), ClientError> {
        let request =
            request_for::<ServiceAccount>(namespace).delete(name, &delete_params(preconditions));
        self.send::<Deleted>(request).await.map(|_| ())
    }

    async fn get_secret(&self, namespace: &str, name: &str) -> Result<Secret, ClientError> {
        let request = request_for::<Secret>(namespace).get(name, &GetParams::default());
        self.send(request).await
    }

    async fn create_secret(&self, namespace: &str, secret: &Secret) -> Result<Secret, ClientError> {
        let request =
            request_for::<Secret>(namespace).create(&PostParams::default(), json(secret)?);
        self.send(request).await
    }

    async fn update_secret(&self, namespace: &str, secret: &Secret) -> Result<Secret, ClientError> {
        let request = request_for::<Secret>(namespace).replace(
            object_name(&secret.metadata),
            &PostParams::default(),
            json(secret)?,
        );
        self.send(request).await
    }

    async fn delete_secret(
        &self,
        namespace: &str,
        name: &str,
        preconditions: Option<Preconditions>,
    ) -> Result<(), ClientError> {
        let request = request_for::<Secret>(namespace).delete(name, &delete_params(preconditions));
        self.send::<Deleted>(request).await.map(|_| ())
    }

    async fn merge_patch_secret(
        &self,
        namespace: &str,
        name: &str,
        patch: &serde_json::Value,
    ) -> Result<Secret, ClientError> {
        let request = request_for::<Secret>(namespace).patch(
            name,
            &PatchParams::default(),
            &Patch::Merge(patch),
        );
        self.send(request).await
    }

    async fn get_config_map(&self, namespace: &str, name: &str) -> Result<ConfigMap, ClientError> {
        let request = request_for::<ConfigMap>(namespace).get(name, &GetParams::default());
        self.send(request).await
    }

    async fn create_config_map(
        &self,
        namespace: &str,
        config_map: &ConfigMap,
    ) -> Result<ConfigMap, ClientError> {
        let request =
            request_for::<ConfigMap>(namespace).create(&PostParams::default(), json(config_map)?);
        self.send(request).await
    }

    async fn update_config_map(
        &self,
        namespace: &str,
        config_map: &ConfigMap,
    ) -> Result<ConfigMap, ClientError> {
        let request = request_for::<ConfigMap>(namespace).replace(
            object_name(&config_map.metadata),
            &PostParams::default(),
            json(config_map)?,
        );
        self.send(request).await
    }

    async fn list_pods(&self, namespace: &str) -> Result<Vec<Pod>, ClientError> {
        let request = request_for::<Pod>(namespace).list(&ListParams::default());
        Ok(self.send::<ObjectList<Pod>>(request).await?.items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::ApiServer;
    use crate::controllers::user_agent::TOKENS_CONTROLLER;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn account(name: &str) -> ServiceAccount {
        ServiceAccount {
            metadata: ObjectMeta {
                name: Some(name.into()),
                // A field to own: a manager with none is not recorded.
                labels: Some([("app".to_string(), "robot".to_string())].into()),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn writes_carry_the_controllers_agent_and_failures_their_status_class() {
        let server = ApiServer::builder()
            .without_service_accounts()
            .start()
            .await
            .expect("start");
        let api = InProcessApi::new(server.state.clone(), server.admin_token())
            .expect("api")
            .as_controller(TOKENS_CONTROLLER);

        let missing = api.get_service_account("default", "robot").await;
        assert!(
            matches!(&missing, Err(ClientError::NotFound { message }) if message == "serviceaccounts \"robot\" not found"),
            "{missing:?}"
        );

        let created = api
            .create_service_account("default", &account("robot"))
            .await
            .expect("create");
        let managers: Vec<_> = created
            .metadata
            .managed_fields
            .iter()
            .flatten()
            .map(|entry| (entry.manager.clone(), entry.operation.clone()))
            .collect();
        assert_eq!(
            managers,
            [(
                Some("kube-controller-manager".to_string()),
                Some("Update".to_string())
            )]
        );
        let again = api
            .create_service_account("default", &account("robot"))
            .await;
        assert!(
            again.as_ref().is_err_and(ClientError::is_already_exists),
            "{again:?}"
        );

        // A stale update is a conflict; a precondition on another UID fails the delete.
        let mut stale = created.clone();
        stale.metadata.resource_version = Some("1".into());
        let conflict = api.update_service_account("default", &stale).await;
        assert!(
            conflict.as_ref().is_err_and(ClientError::is_conflict),
            "{conflict:?}"
        );
        let refused = api
            .delete_service_account(
                "default",
                "robot",
                crate::controllers::api::uid_precondition("other"),
            )
            .await;
        assert!(
            refused.as_ref().is_err_and(ClientError::is_conflict),
            "{refused:?}"
        );
        let uid = created.metadata.uid.clone().unwrap_or_default();
        api.delete_service_account(
            "default",
            "robot",
            crate::controllers::api::uid_precondition(&uid),
        )
        .await
        .expect("delete");
        assert!(api
            .get_service_account("default", "robot")
            .await
            .is_err_and(|e| e.is_not_found()));
        server.shutdown().await;
    }

    #[tokio::test]
    async fn secrets_are_merge_patched_and_pods_listed() {
        let server = ApiServer::builder()
            .without_service_accounts()
            .start()
            .await
            .expect("start");
        let api = InProcessApi::new(server.state.clone(), server.admin_token()).expect("api");
        let secret = Secret {
            metadata: ObjectMeta {
                name: Some("s".into()),
                ..Default::default()
            },
            string_data: Some([("k".to_string(), "v".to_string())].into()),
            ..Default::default()
        };
        api.create_secret("default", &secret).await.expect("create");
        let patched = api
            .merge_patch_secret(
                "default",
                "s",
                &serde_json::json!({"metadata": {"labels": {"a": "b"}}}),
            )
            .await
            .expect("patch");
        assert_eq!(
            patched.metadata.labels,
            Some([("a".to_string(), "b".to_string())].into())
        );
        assert_eq!(
            patched
                .data
                .unwrap_or_default()
                .get("k")
                .map(|v| v.0.clone()),
            Some(b"v".to_vec())
        );
        let missing = api
            .merge_patch_secret("nowhere", "s", &serde_json::json!({}))
            .await;
        assert!(missing.is_err_and(|e| e.is_not_found()));
        assert!(api.list_pods("default").await.expect("list").is_empty());
        server.shutdown().await;
    }

    #[test]
    fn answers_that_are_not_a_status_are_classified_by_their_code() {
        let plain = error_from_answer(http::StatusCode::NOT_FOUND, b"404 page not found\n");
        assert_eq!(
            plain,
            ClientError::NotFound {
                message: "404 page not found".into()
            }
        );
        let busy = error_from_answer(
            http::StatusCode::TOO_MANY_REQUESTS,
            b"Too many requests, please try again later.\n",
        );
        assert!(
            matches!(&busy, ClientError::Other { message, .. } if message == "Too many requests, please try again later."),
            "{busy:?}"
        );
        let status = br#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"gone","reason":"Conflict","code":409}"#;
        assert!(error_from_answer(http::StatusCode::CONFLICT, status).is_conflict());
    }
}
