//! Controllers: the token controller and the service-account controller (spec §3); in
//! bound mode also the root CA publisher and the legacy-token cleaner (modern spec §5,
//! §8.3), with the token controller generating no token Secrets (modern spec §10.2).
//!
//! All work against any cluster through the API only: kube-runtime reflectors cache
//! ServiceAccounts (all namespaces), token Secrets (server-side field selector
//! `type=kubernetes.io/service-account-token`), Namespaces and, in bound mode, the
//! `kube-root-ca.crt` ConfigMaps (field selector `metadata.name=kube-root-ca.crt`); every
//! write goes through [`api::CoreApi`].
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
pub mod legacy_token_cleaner;
pub mod queue;
pub mod root_ca_publisher;
pub mod serviceaccounts;
pub mod tokens;
pub mod user_agent;

#[cfg(test)]
mod bound_integration_tests;
#[cfg(test)]
mod fake;
#[cfg(test)]
mod integration_tests;
#[cfg(test)]
mod metrics_tests;

use std::future::Future;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret, ServiceAccount};
use kube::runtime::reflector::{self, store::WriterDropped};
use kube::runtime::watcher;
use kube::{Api, Client};
use tracing::info;

pub use api::{ClientError, CoreApi, KubeApi};
pub use informer::Change;
pub use legacy_token_cleaner::{
    LegacyTokenCleaner, LegacyTokenCleanerError, LegacyTokenCleanerOptions, Verdict,
};
pub use queue::{RateLimiterConfig, WorkQueue};
pub use root_ca_publisher::{
    RootCaPublisher, RootCaPublisherError, RootCaPublisherOptions, ROOT_CA_CONFIG_MAP_NAME,
};
pub use serviceaccounts::{
    ServiceAccountsController, ServiceAccountsControllerOptions, ServiceAccountsError,
};
pub use tokens::{
    LegacyTokenSource, SecretKey, ServiceAccountKey, SyncFailure, TokensController,
    TokensControllerOptions, TokensError,
};

use crate::clock::{Clock, SystemClock};
use crate::serviceaccount::{TokenGenerator, SERVICE_ACCOUNT_TOKEN_TYPE};
use crate::Mode;

/// Configuration of the controllers.
#[derive(Clone)]
pub struct ControllersConfig {
    /// The token controller's options (signer, workers, retries); its mode is [`Self::mode`].
    pub tokens: TokensControllerOptions,
    /// The service-account controller's options (accounts to ensure, workers).
    pub service_accounts: ServiceAccountsControllerOptions,
    /// Legacy (token controller with generation, service-account controller) or bound
    /// (token controller without generation, service-account controller, root CA publisher,
    /// legacy-token cleaner).
    pub mode: Mode,
    /// The root CA publisher's options (bound mode).
    pub root_ca_publisher: RootCaPublisherOptions,
    /// The legacy-token cleaner's options (bound mode).
    pub legacy_token_cleaner: LegacyTokenCleanerOptions,
    /// Kubernetes time, on which the cleaner runs daily.
    pub clock: Arc<dyn Clock>,
    /// Set once the caches have synced and the workers start (`/readyz`).
    pub synced: crate::health::Readiness,
}

impl std::fmt::Debug for ControllersConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ControllersConfig")
            .field("tokens", &self.tokens)
            .field("service_accounts", &self.service_accounts)
            .field("mode", &self.mode)
            .field("root_ca_publisher", &self.root_ca_publisher)
            .field("legacy_token_cleaner", &self.legacy_token_cleaner)
            .finish_non_exhaustive()
    }
}

impl ControllersConfig {
    /// Legacy mode, default options, signing tokens with `token_generator`; in bound mode
    /// an empty root CA (set one with [`root_ca_publisher`](Self::root_ca_publisher)), a
    /// one-year clean-up period and the system clock.
    pub fn new(token_generator: Arc<TokenGenerator>) -> Self {
        Self {
            tokens: TokensControllerOptions::new(token_generator),
            service_accounts: ServiceAccountsControllerOptions::default(),
            mode: Mode::Legacy,
            root_ca_publisher: RootCaPublisherOptions::new(Vec::new()),
            legacy_token_cleaner: LegacyTokenCleanerOptions::new(
                crate::serviceaccount::options::DEFAULT_LEGACY_TOKEN_CLEAN_UP_PERIOD,
            )
            .unwrap_or_else(|_| unreachable!("the default period is positive")),
            clock: Arc::new(SystemClock),
            synced: crate::health::Readiness::new(),
        }
    }

    /// The flag [`run`] sets once the caches have synced (a probe server reads it).
    pub fn synced(mut self, synced: crate::health::Readiness) -> Self {
        self.synced = synced;
        self
    }

    /// Which controllers run, and how the token controller behaves.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Replaces the root CA publisher's options (the CA it publishes).
    pub fn root_ca_publisher(mut self, options: RootCaPublisherOptions) -> Self {
        self.root_ca_publisher = options;
        self
    }

    /// Replaces the legacy-token cleaner's options (the clean-up period).
    pub fn legacy_token_cleaner(mut self, options: LegacyTokenCleanerOptions) -> Self {
        self.legacy_token_cleaner = options;
        self
    }

    /// The clock the cleaner's daily runs follow.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
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
    /// A watch stream (named: serviceaccounts, secrets, namespaces or configmaps) ended.
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

/// How long, at `shutdown`, the workers may take to finish the item each has in hand (the
/// queues hand out no more). Ending a sync halfway leaves a token Secret its account never
/// references, a second token once the next leader makes one. Well inside the margin a
/// leader that cannot renew has before another may start (lease duration minus renew
/// deadline, 5 s by default).
pub const SHUTDOWN_DRAIN: std::time::Duration = std::time::Duration::from_secs(2);

/// Runs the token controller and the service-account controller until `shutdown`
/// completes, and in bound mode the root CA publisher and the legacy-token cleaner too.
/// Workers start once the caches have synced; at `shutdown` they finish the item in hand
/// (for at most [`SHUTDOWN_DRAIN`]) and take no other.
///
/// Follows kube-controller-manager's `serviceaccount-token` and `serviceaccount`
/// controllers (pkg/controller/serviceaccount), `root-ca-cert-publisher`
/// (pkg/controller/certificates/rootcacertpublisher) and
/// `legacy-serviceaccount-token-cleaner`.
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
    // Each controller writes with its own client, as upstream's, so the server records
    // `kube-controller-manager` as the manager of what it writes.
    let apis = |controller| KubeApi::new(user_agent::controller_client(&client, controller));
    run_with_apis(client.clone(), apis, config, shutdown).await
}

/// [`run`], with each controller writing through the [`CoreApi`] that `api` makes for its
/// client name ([`user_agent::TOKENS_CONTROLLER`] and the others); the caches still watch
/// through `client`. The embedded API server passes an API that calls its handler in
/// process.
///
/// # Errors
///
/// As [`run`].
pub async fn run_with_apis<A: CoreApi>(
    client: Client,
    api: impl Fn(&'static str) -> A,
    config: ControllersConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ControllerError> {
    let client = user_agent::controller_client(&client, user_agent::SHARED_INFORMERS);
    let bound = config.mode == Mode::Bound;
    let synced = config.synced.clone();
    let (accounts, accounts_writer) = reflector::store::<ServiceAccount>();
    let (secrets, secrets_writer) = reflector::store::<Secret>();
    let (namespaces, namespaces_writer) = reflector::store::<Namespace>();
    let (config_maps, config_maps_writer) = reflector::store::<ConfigMap>();
    let tokens = Arc::new(TokensController::new(
        api(user_agent::TOKENS_CONTROLLER),
        config.tokens.mode(config.mode),
        accounts.clone(),
        secrets.clone(),
    ));
    let service_accounts = Arc::new(ServiceAccountsController::new(
        api(user_agent::SERVICE_ACCOUNT_CONTROLLER),
        config.service_accounts,
        namespaces.clone(),
        accounts.clone(),
    ));
    let publisher = Arc::new(RootCaPublisher::new(
        api(user_agent::ROOT_CA_CERT_PUBLISHER),
        config.root_ca_publisher,
        config_maps.clone(),
    ));
    let cleaner = LegacyTokenCleaner::new(
        api(user_agent::LEGACY_TOKEN_CLEANER),
        config.clock,
        config.legacy_token_cleaner,
        accounts.clone(),
        secrets.clone(),
    );

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
        tokens::keep_token_data_facts,
        |change| tokens.secret_changed(change.object()),
    );
    let namespace_events = informer::inform(
        Api::<Namespace>::all(client.clone()),
        watcher::Config::default(),
        namespaces_writer,
        keep_name_and_phase,
        |change| {
            if let Change::Applied(namespace) = change {
                service_accounts.namespace_changed(namespace);
                if bound {
                    // The informer does not tell adds from updates: a namespace that is
                    // not Active is left alone, as upstream leaves its updates (an add of
                    // one would only meet a refused create).
                    publisher.namespace_updated(namespace);
                }
            }
        },
    );
    let config_map_selector = format!("metadata.name={ROOT_CA_CONFIG_MAP_NAME}");
    let config_map_events = async {
        if !bound {
            return std::future::pending().await;
        }
        informer::inform(
            Api::<ConfigMap>::all(client),
            watcher::Config::default().fields(&config_map_selector),
            config_maps_writer,
            |_| {},
            // Adds come as `Applied` too (upstream watches only updates and deletes):
            // syncing on the add of a current ConfigMap changes nothing, and one that
            // someone created with other contents is reset at once instead of later.
            |change| publisher.config_map_changed(change.object()),
        )
        .await
    };
    let started = std::sync::atomic::AtomicBool::new(false);
    let workers = async {
        accounts.wait_until_ready().await?;
        secrets.wait_until_ready().await?;
        namespaces.wait_until_ready().await?;
        if bound {
            config_maps.wait_until_ready().await?;
            synced.set(true);
            started.store(true, std::sync::atomic::Ordering::SeqCst);
            info!("caches synced; starting the token, service account, root CA publisher and legacy token cleaner controllers");
            // The cleaner has no queue: it stops when the queue workers have.
            tokio::select! {
                _ = async {
                    tokio::join!(
                        Arc::clone(&tokens).run_workers(),
                        Arc::clone(&service_accounts).run_workers(),
                        Arc::clone(&publisher).run_workers(),
                    )
                } => {}
                () = cleaner.run() => {}
            }
        } else {
            synced.set(true);
            started.store(true, std::sync::atomic::Ordering::SeqCst);
            info!("caches synced; starting the token and service account controllers");
            tokio::join!(
                Arc::clone(&tokens).run_workers(),
                Arc::clone(&service_accounts).run_workers()
            );
        }
        Err::<(), _>(ControllerError::WorkersStopped)
    };

    tokio::pin!(workers);
    let mut workers_done = false;
    let result = tokio::select! {
        () = shutdown => Ok(()),
        () = account_events => Err(ControllerError::WatchStopped("serviceaccounts")),
        () = secret_events => Err(ControllerError::WatchStopped("secrets")),
        () = namespace_events => Err(ControllerError::WatchStopped("namespaces")),
        () = config_map_events => Err(ControllerError::WatchStopped("configmaps")),
        result = &mut workers => {
            workers_done = true;
            result
        }
    };
    tokens.shut_down();
    service_accounts.shut_down();
    publisher.shut_down();
    if !workers_done
        && started.load(std::sync::atomic::Ordering::SeqCst)
        && tokio::time::timeout(SHUTDOWN_DRAIN, &mut workers)
            .await
            .is_err()
    {
        tracing::warn!(
            drain = ?SHUTDOWN_DRAIN,
            "controller workers did not finish their items in time; stopping them"
        );
    }
    info!("controllers stopped");
    result
}
