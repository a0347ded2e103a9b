//! [`AccountLookup`] over the Kubernetes API: watch-fed caches (the plugin's listers) of
//! service accounts and, in legacy mode, of token Secrets, and live requests on a miss, so
//! the plugin runs against any cluster.

use futures::future::BoxFuture;
use futures::StreamExt;
use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
use kube::api::ListParams;
use kube::runtime::reflector::{self, ObjectRef};
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Api, Client};

use super::serviceaccount::{AccountLookup, LookupError, SERVICE_ACCOUNT_TOKEN_TYPE};
use crate::Mode;

/// Looks accounts and their token Secrets up in caches first and through the API on a miss.
pub struct ClientAccountLookup {
    client: Client,
    service_accounts: reflector::Store<ServiceAccount>,
    /// Secrets of type `kubernetes.io/service-account-token` (legacy mode only: bound
    /// mode's admission reads no Secrets, and its RBAC lets the webhook read none).
    token_secrets: Option<reflector::Store<Secret>>,
    cache_tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// Fills a cache from a watch of `api` (narrowed by `config`) until the lookup is dropped.
fn start_cache<K>(
    api: Api<K>,
    config: watcher::Config,
    what: &'static str,
) -> (reflector::Store<K>, tokio::task::JoinHandle<()>)
where
    K: kube::Resource<DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug
        + Send
        + Sync
        + 'static,
{
    let (reader, writer) = reflector::store();
    let stream = reflector::reflector(writer, watcher(api, config))
        .default_backoff()
        .applied_objects();
    let task = tokio::spawn(async move {
        futures::pin_mut!(stream);
        while let Some(event) = stream.next().await {
            if let Err(e) = event {
                tracing::debug!(error = %e, "{what} cache watch error");
            }
        }
    });
    (reader, task)
}

impl ClientAccountLookup {
    /// Starts the caches `mode`'s admission reads (service accounts; in legacy mode token
    /// Secrets too); lookups work at once (misses go to the API).
    pub fn start(client: Client, mode: Mode) -> Self {
        let (service_accounts, accounts_task) = start_cache(
            Api::<ServiceAccount>::all(client.clone()),
            watcher::Config::default(),
            "service account",
        );
        let mut cache_tasks = vec![accounts_task];
        let token_secrets = (mode == Mode::Legacy).then(|| {
            let (secrets, secrets_task) = start_cache(
                Api::<Secret>::all(client.clone()),
                watcher::Config::default().fields(&format!("type={SERVICE_ACCOUNT_TOKEN_TYPE}")),
                "token secret",
            );
            cache_tasks.push(secrets_task);
            secrets
        });
        Self {
            client,
            service_accounts,
            token_secrets,
            cache_tasks,
        }
    }
}

impl Drop for ClientAccountLookup {
    fn drop(&mut self) {
        for task in &self.cache_tasks {
            task.abort();
        }
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

    fn cached_secret<'a>(
        &'a self,
        namespace: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<Secret>, LookupError>> {
        let cached = self.token_secrets.as_ref().and_then(|secrets| {
            secrets
                .get(&ObjectRef::new(name).within(namespace))
                .map(|secret| (*secret).clone())
        });
        Box::pin(async move { Ok(cached) })
    }

    /// The live list behind a cache miss: the cache could lag behind the account that
    /// references a token created a moment ago, and the pod would be refused for no reason.
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
