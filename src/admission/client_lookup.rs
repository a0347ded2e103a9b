//! [`AccountLookup`] over the Kubernetes API: a watch-fed cache of service accounts (the
//! plugin's lister) and live requests, so the plugin runs against any cluster.

use futures::future::BoxFuture;
use futures::StreamExt;
use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
use kube::api::ListParams;
use kube::runtime::reflector::{self, ObjectRef};
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Api, Client};

use super::serviceaccount::{AccountLookup, LookupError, SERVICE_ACCOUNT_TOKEN_TYPE};

/// Looks accounts up in a cache first and through the API on a miss.
pub struct ClientAccountLookup {
    client: Client,
    service_accounts: reflector::Store<ServiceAccount>,
    cache_task: tokio::task::JoinHandle<()>,
}

impl ClientAccountLookup {
    /// Starts the service-account cache; lookups work at once (misses go to the API).
    pub fn start(client: Client) -> Self {
        let (reader, writer) = reflector::store();
        let stream = reflector::reflector(
            writer,
            watcher(
                Api::<ServiceAccount>::all(client.clone()),
                watcher::Config::default(),
            ),
        )
        .default_backoff()
        .applied_objects();
        let cache_task = tokio::spawn(async move {
            futures::pin_mut!(stream);
            while let Some(event) = stream.next().await {
                if let Err(e) = event {
                    tracing::debug!(error = %e, "service account cache watch error");
                }
            }
        });
        Self {
            client,
            service_accounts: reader,
            cache_task,
        }
    }
}

impl Drop for ClientAccountLookup {
    fn drop(&mut self) {
        self.cache_task.abort();
    }
}

fn lookup_error(err: kube::Error, name: &str) -> LookupError {
    match err {
        kube::Error::Api(status) if status.code == 404 => LookupError::NotFound(name.to_string()),
        kube::Error::Api(status) => LookupError::Other(status.message),
        other => LookupError::Other(other.to_string()),
    }
}

impl AccountLookup for ClientAccountLookup {
    fn cached_service_account<'a>(
        &'a self,
        namespace: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<ServiceAccount>, LookupError>> {
        let cached = self
            .service_accounts
            .get(&ObjectRef::new(name).within(namespace))
            .map(|sa| (*sa).clone());
        Box::pin(async move { Ok(cached) })
    }

    fn get_service_account<'a>(
        &'a self,
        namespace: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<ServiceAccount, LookupError>> {
        Box::pin(async move {
            Api::<ServiceAccount>::namespaced(self.client.clone(), namespace)
                .get(name)
                .await
                .map_err(|e| lookup_error(e, name))
        })
    }

    /// Token secrets are read live: a cache could lag behind the account that references
    /// a token created a moment ago, and the pod would be refused for no reason.
    fn list_secrets<'a>(
        &'a self,
        namespace: &'a str,
    ) -> BoxFuture<'a, Result<Vec<Secret>, LookupError>> {
        Box::pin(async move {
            let params =
                ListParams::default().fields(&format!("type={SERVICE_ACCOUNT_TOKEN_TYPE}"));
            Api::<Secret>::namespaced(self.client.clone(), namespace)
                .list(&params)
                .await
                .map(|list| list.items)
                .map_err(|e| LookupError::Other(e.to_string()))
        })
    }
}
