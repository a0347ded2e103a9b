//! Controllers: the token controller and the service-account controller (spec §3).
//!
//! Both work against any cluster through the API only: kube-runtime reflectors cache
//! ServiceAccounts (all namespaces), token Secrets (server-side field selector
//! `type=kubernetes.io/service-account-token`) and Namespaces, and every write goes
//! through [`api::CoreApi`].
//!
//! ```no_run
//! # async fn example(client: kube::Client) -> anyhow::Result<()> {
//! use std::sync::Arc;
//! use kube_sa::controllers::{run, ControllersConfig};
//! use kube_sa::serviceaccount::{SigningKey, TokenGenerator};
//!
//! let key = Arc::new(SigningKey::generate_ecdsa_p256()?);
//! let config = ControllersConfig::new(Arc::new(TokenGenerator::legacy(key)));
//! run(client, config, async { let _ = tokio::signal::ctrl_c().await; }).await?;
//! # Ok(()) }
//! ```

pub mod api;
pub mod informer;
pub mod queue;
pub mod serviceaccounts;
pub mod tokens;

#[cfg(test)]
mod fake;
#[cfg(test)]
mod integration_tests;

use std::future::Future;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Namespace, Secret, ServiceAccount};
use kube::runtime::reflector::{self, store::WriterDropped};
use kube::runtime::watcher;
use kube::{Api, Client};
use tracing::info;

pub use api::{ClientError, CoreApi, KubeApi};
pub use informer::Change;
pub use queue::{RateLimiterConfig, WorkQueue};
pub use serviceaccounts::{
    ServiceAccountsController, ServiceAccountsControllerOptions, ServiceAccountsError,
};
pub use tokens::{
    LegacyTokenSource, SecretKey, ServiceAccountKey, SyncFailure, TokensController,
    TokensControllerOptions, TokensError,
};

use crate::serviceaccount::{TokenGenerator, SERVICE_ACCOUNT_TOKEN_TYPE};

/// Configuration of both controllers.
#[derive(Debug, Clone)]
pub struct ControllersConfig {
    /// The token controller's options (signer, workers, retries).
    pub tokens: TokensControllerOptions,
    /// The service-account controller's options (accounts to ensure, workers).
    pub service_accounts: ServiceAccountsControllerOptions,
}

impl ControllersConfig {
    /// Default options for both, signing tokens with `token_generator`.
    pub fn new(token_generator: Arc<TokenGenerator>) -> Self {
        Self {
            tokens: TokensControllerOptions::new(token_generator),
            service_accounts: ServiceAccountsControllerOptions::default(),
        }
    }

    /// Replaces the token controller's options.
    pub fn tokens(mut self, options: TokensControllerOptions) -> Self {
        self.tokens = options;
        self
    }

    /// Replaces the service-account controller's options.
    pub fn service_accounts(mut self, options: ServiceAccountsControllerOptions) -> Self {
        self.service_accounts = options;
        self
    }
}

/// Why [`run`] stopped before it was told to.
#[derive(Debug, thiserror::Error)]
pub enum ControllerError {
    /// A watch stream (named: serviceaccounts, secrets or namespaces) ended.
    #[error("the {0} watch stopped unexpectedly")]
    WatchStopped(&'static str),
    /// A reflector's writer went away before its first list completed.
    #[error("a cache was dropped before it synced: {0}")]
    CacheNeverSynced(#[from] WriterDropped),
    /// A worker task ended (panicked or returned) while the controllers ran.
    #[error("the controller workers stopped unexpectedly")]
    WorkersStopped,
}

/// What the service-account controller reads of a namespace: its name and phase (and the
/// metadata the cache keys by). Labels, annotations and spec are dropped before caching;
/// with many namespaces they are most of the cache.
fn keep_name_and_phase(namespace: &mut Namespace) {
    namespace.metadata.labels = None;
    namespace.metadata.annotations = None;
    namespace.spec = None;
}

/// Runs the token controller and the service-account controller until `shutdown`
/// completes. Workers start once the three caches have synced.
///
/// Follows kube-controller-manager's `serviceaccount-token` and `serviceaccount`
/// controllers (pkg/controller/serviceaccount).
///
/// # Errors
///
/// [`ControllerError`] if a watch, a cache or the workers stop before `shutdown`.
///
/// ```no_run
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use kube_sa::controllers::{run, ControllersConfig};
/// use kube_sa::serviceaccount::{SigningKey, TokenGenerator};
///
/// let key = Arc::new(SigningKey::generate_ecdsa_p256()?);
/// let config = ControllersConfig::new(Arc::new(TokenGenerator::legacy(key)));
/// let client = kube::Client::try_default().await?;
/// run(client, config, async { let _ = tokio::signal::ctrl_c().await; }).await?;
/// # Ok(()) }
/// ```
pub async fn run(
    client: Client,
    config: ControllersConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ControllerError> {
    let api = KubeApi::new(client.clone());
    let (accounts, accounts_writer) = reflector::store::<ServiceAccount>();
    let (secrets, secrets_writer) = reflector::store::<Secret>();
    let (namespaces, namespaces_writer) = reflector::store::<Namespace>();
    let tokens = Arc::new(TokensController::new(
        api.clone(),
        config.tokens,
        accounts.clone(),
        secrets.clone(),
    ));
    let service_accounts = Arc::new(ServiceAccountsController::new(
        api,
        config.service_accounts,
        namespaces.clone(),
        accounts.clone(),
    ));

    let account_events = informer::inform(
        Api::<ServiceAccount>::all(client.clone()),
        watcher::Config::default(),
        accounts_writer,
        |_| {},
        |change| {
            tokens.service_account_changed(change.object());
            if let Change::Deleted(account) = change {
                service_accounts.service_account_deleted(account);
            }
        },
    );
    let token_selector = format!("type={SERVICE_ACCOUNT_TOKEN_TYPE}");
    let secret_events = informer::inform(
        Api::<Secret>::all(client.clone()),
        watcher::Config::default().fields(&token_selector),
        secrets_writer,
        |_| {},
        |change| tokens.secret_changed(change.object()),
    );
    let namespace_events = informer::inform(
        Api::<Namespace>::all(client),
        watcher::Config::default(),
        namespaces_writer,
        keep_name_and_phase,
        |change| {
            if let Change::Applied(namespace) = change {
                service_accounts.namespace_changed(namespace);
            }
        },
    );
    let workers = async {
        accounts.wait_until_ready().await?;
        secrets.wait_until_ready().await?;
        namespaces.wait_until_ready().await?;
        info!("caches synced; starting the token and service account controllers");
        tokio::join!(
            Arc::clone(&tokens).run_workers(),
            Arc::clone(&service_accounts).run_workers()
        );
        Err::<(), _>(ControllerError::WorkersStopped)
    };

    let result = tokio::select! {
        () = shutdown => Ok(()),
        () = account_events => Err(ControllerError::WatchStopped("serviceaccounts")),
        () = secret_events => Err(ControllerError::WatchStopped("secrets")),
        () = namespace_events => Err(ControllerError::WatchStopped("namespaces")),
        result = workers => result,
    };
    tokens.shut_down();
    service_accounts.shut_down();
    info!("token and service account controllers stopped");
    result
}
