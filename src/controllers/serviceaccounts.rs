//! The service-account controller (spec §3.7): every Active namespace gets the managed
//! ServiceAccounts (`default` unless configured otherwise), and gets them back when they
//! are deleted.
//!
//! A rate-limited queue of namespace names is fed by namespace adds and updates and by
//! every ServiceAccount delete; [`ServiceAccountsController::sync_namespace`] creates the
//! managed accounts that the cache does not have.

use std::sync::Arc;

use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::runtime::reflector::{ObjectRef, Store};
use tracing::{debug, error, info, info_span, warn, Instrument};

use super::api::{ClientError, CoreApi, NAMESPACE_TERMINATING_CAUSE};
use super::queue::{RateLimiterConfig, WorkQueue};
use crate::serviceaccount::DEFAULT_SERVICE_ACCOUNT_NAME;

/// The namespace phase in which accounts are created.
const ACTIVE_PHASE: &str = "Active";

/// The work queue's name in `workqueue_*` metrics, as upstream's controller names it.
pub const QUEUE_NAME: &str = "serviceaccount";

/// Configuration of the service-account controller (upstream `ServiceAccountsControllerOptions`).
///
/// ```
/// use kube_sa::controllers::ServiceAccountsControllerOptions;
/// let options = ServiceAccountsControllerOptions::default().service_accounts(["default", "builder"]);
/// assert_eq!(options.managed_names(), ["default", "builder"]);
/// ```
#[derive(Debug, Clone)]
pub struct ServiceAccountsControllerOptions {
    service_accounts: Vec<String>,
    workers: usize,
    rate_limiter: RateLimiterConfig,
}

impl Default for ServiceAccountsControllerOptions {
    /// `default` in every namespace, one worker.
    fn default() -> Self {
        Self {
            service_accounts: vec![DEFAULT_SERVICE_ACCOUNT_NAME.to_string()],
            workers: 1,
            rate_limiter: RateLimiterConfig::default(),
        }
    }
}

impl ServiceAccountsControllerOptions {
    /// The account names to ensure in every Active namespace.
    pub fn service_accounts<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.service_accounts = names.into_iter().map(Into::into).collect();
        self
    }

    /// Workers (at least 1).
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    /// Backoff of retried namespaces.
    pub fn rate_limiter(mut self, rate_limiter: RateLimiterConfig) -> Self {
        self.rate_limiter = rate_limiter;
        self
    }

    /// The account names ensured in every Active namespace.
    pub fn managed_names(&self) -> &[String] {
        &self.service_accounts
    }
}

/// Why a namespace sync failed; the namespace is re-queued rate-limited, without a cap.
#[derive(Debug, thiserror::Error)]
#[error("creating service accounts in namespace {namespace}: {}", describe(.failures))]
pub struct ServiceAccountsError {
    /// The namespace whose sync failed.
    pub namespace: String,
    /// Each account that could not be created, with the reason.
    pub failures: Vec<(String, ClientError)>,
}

fn describe(failures: &[(String, ClientError)]) -> String {
    failures
        .iter()
        .map(|(name, error)| format!("{name}: {error}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The service-account controller. Feed it with [`namespace_changed`](Self::namespace_changed)
/// and [`service_account_deleted`](Self::service_account_deleted); run it with
/// [`run_workers`](Self::run_workers).
#[derive(Debug)]
pub struct ServiceAccountsController<A> {
    api: A,
    managed: Vec<String>,
    workers: usize,
    namespaces: Store<Namespace>,
    service_accounts: Store<ServiceAccount>,
    queue: WorkQueue<String>,
}

impl<A: CoreApi> ServiceAccountsController<A> {
    /// A controller writing through `api`, reading the namespace and account caches.
    pub fn new(
        api: A,
        options: ServiceAccountsControllerOptions,
        namespaces: Store<Namespace>,
        service_accounts: Store<ServiceAccount>,
    ) -> Self {
        Self {
            api,
            managed: options.service_accounts,
            workers: options.workers,
            namespaces,
            service_accounts,
            queue: WorkQueue::named(QUEUE_NAME, options.rate_limiter),
        }
    }

    /// The namespace queue (for tests and idle checks).
    pub fn queue(&self) -> &WorkQueue<String> {
        &self.queue
    }

    /// A namespace was added or updated.
    pub fn namespace_changed(&self, namespace: &Namespace) {
        if let Some(name) = namespace.metadata.name.as_deref() {
            self.queue.add(name.to_string());
        }
    }

    /// Any ServiceAccount was deleted: its namespace may need it back.
    pub fn service_account_deleted(&self, account: &ServiceAccount) {
        if let Some(namespace) = account.metadata.namespace.as_deref() {
            self.queue.add(namespace.to_string());
        }
    }

    /// Stops the queue; the workers finish their current key and return.
    pub fn shut_down(&self) {
        self.queue.shut_down();
    }

    /// Runs the workers until [`shut_down`](Self::shut_down).
    ///
    /// ```no_run
    /// # async fn example(client: kube::Client) {
    /// use std::sync::Arc;
    /// use kube::runtime::reflector;
    /// use kube_sa::controllers::{KubeApi, ServiceAccountsController, ServiceAccountsControllerOptions};
    ///
    /// // The writers are fed by watches (see `controllers::run`).
    /// let (namespaces, _namespaces_writer) = reflector::store();
    /// let (accounts, _accounts_writer) = reflector::store();
    /// let options = ServiceAccountsControllerOptions::default();
    /// let controller =
    ///     Arc::new(ServiceAccountsController::new(KubeApi::new(client), options, namespaces, accounts));
    /// let workers = tokio::spawn(Arc::clone(&controller).run_workers());
    /// controller.shut_down();
    /// let _ = workers.await;
    /// # }
    /// ```
    pub async fn run_workers(self: Arc<Self>) {
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..self.workers {
            let controller = Arc::clone(&self);
            workers.spawn(async move { while controller.process_next().await {} });
        }
        while let Some(joined) = workers.join_next().await {
            if let Err(error) = joined {
                error!(%error, "service account controller worker stopped");
            }
        }
    }

    /// Syncs one namespace; false once the queue is shut down.
    pub async fn process_next(&self) -> bool {
        let Some(namespace) = self.queue.get().await else {
            return false;
        };
        let span = info_span!("sync_namespace", namespace = %namespace);
        match self
            .sync_namespace(&namespace)
            .instrument(span.clone())
            .await
        {
            Ok(()) => self.queue.forget(&namespace),
            Err(error) => {
                span.in_scope(|| warn!(%error, "sync failed; retrying"));
                self.queue.add_rate_limited(namespace.clone());
            }
        }
        self.queue.done(&namespace);
        true
    }

    /// Creates the managed accounts that an Active namespace lacks.
    pub async fn sync_namespace(&self, name: &str) -> Result<(), ServiceAccountsError> {
        let Some(namespace) = self.namespaces.get(&ObjectRef::new(name)) else {
            debug!("namespace is gone");
            return Ok(());
        };
        let phase = namespace
            .status
            .as_ref()
            .and_then(|status| status.phase.as_deref())
            .unwrap_or_default();
        if phase != ACTIVE_PHASE {
            debug!(phase, "namespace is not active; creating nothing");
            return Ok(());
        }

        let mut failures = Vec::new();
        for account_name in &self.managed {
            let cached = self
                .service_accounts
                .get(&ObjectRef::new(account_name).within(name));
            if cached.is_some() {
                continue;
            }
            let account = ServiceAccount {
                metadata: ObjectMeta {
                    name: Some(account_name.clone()),
                    namespace: Some(name.to_string()),
                    ..ObjectMeta::default()
                },
                ..ServiceAccount::default()
            };
            match self.api.create_service_account(name, &account).await {
                Ok(_) => info!("created service account {name}/{account_name}"),
                Err(error) if error.is_already_exists() => {
                    debug!("service account {name}/{account_name} already exists")
                }
                Err(error) if error.has_cause(NAMESPACE_TERMINATING_CAUSE) => {
                    debug!("namespace {name} is terminating; not creating {account_name}")
                }
                Err(error) => failures.push((account_name.clone(), error)),
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(ServiceAccountsError {
                namespace: name.to_string(),
                failures,
            })
        }
    }
}

#[cfg(test)]
mod tests;
