//! The embedded Kubernetes API server: the real REST API over HTTPS, objects in memory.
//!
//! ```no_run
//! # async fn example() -> anyhow::Result<()> {
//! use kube_sa::apiserver::ApiServer;
//! let server = ApiServer::builder().start().await?;
//! let client = server.client().await?;
//! let namespaces: kube::Api<k8s_openapi::api::core::v1::Namespace> = kube::Api::all(client);
//! assert!(namespaces.get("default").await.is_ok());
//! server.shutdown().await;
//! # Ok(()) }
//! ```

pub mod admission;
pub mod authz;
pub mod bound_authn;
mod builder;
pub use crate::clock;
pub mod codec;
pub mod components;
pub mod data_dir;
pub mod debug_clock;
pub mod debug_faults;
pub mod default_toleration_seconds;
pub mod defaults;
pub mod deletion;
pub mod deprecation;
pub mod discovery;
pub mod encryption;
pub mod errors;
pub mod failed_authentication;
pub mod faults;
pub mod field_rules;
mod handlers;
pub mod healthz;
pub mod http;
pub mod impersonation;
mod in_process;
mod in_process_api;
pub mod kinds;
pub mod kubeconfig;
pub mod legacy_token_tracking;
pub mod legacy_tokens;
pub mod limits;
pub mod namespace_conditions;
pub mod namespace_deleter;
pub mod namespaces;
pub mod oidc;
pub mod openapi;
pub mod partial_metadata;
pub mod patch;
pub mod priority;
pub mod protobuf;
pub mod quantity;
pub mod request_metrics;
mod resource_version;
pub mod routes;
pub mod selectors;
pub mod serviceaccount_warnings;
pub mod store;
pub mod system_namespaces;
pub mod table;
pub mod tls;
pub mod validation;
pub mod warnings;
mod watch;
mod watch_paths;
pub mod webhooks;

pub use builder::{ApiServerBuilder, AuthenticatorFactory, AuthorizerFactory};
pub use handlers::decode_object_bytes;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::sync::watch as signal;

use crate::authn::{AuthenticationChain, StaticTokenAuthenticator, TokenAuthenticator};
use crate::names::{NameGenerator, RandomNames};
use admission::{AdmissionChain, AdmissionPlugin};
use store::Store;
use tls::ClusterTls;

/// Now on `clock` (the server's: [`Store::clock`]) as an RFC 3339 timestamp with second
/// precision, as object timestamps are written.
pub(crate) fn now_rfc3339(clock: &dyn clock::Clock) -> String {
    clock.now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// How many recent requests the server remembers for failure diagnostics.
const REQUEST_LOG_LENGTH: usize = 200;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The listen address could not be bound (in use, no permission) or read back.
    #[error("binding {addr}: {source}")]
    Bind {
        /// The address given to [`ApiServerBuilder::listen`].
        addr: SocketAddr,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// Generating the cluster CA or the serving certificate failed.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// Creating the system namespaces (`default`, `kube-system`, ...) in the store failed.
    #[error("storing the initial namespaces: {0}")]
    Store(#[from] store::StoreError),
    /// The service-account components could not be prepared (signing key, options).
    #[error(transparent)]
    Components(#[from] components::ComponentsError),
    /// The in-process client for the components could not be built.
    #[error("connecting the in-process components: {0}")]
    Client(#[from] errors::ApiError),
    /// `--disable-admission-plugins` names a plugin that does not exist.
    #[error(transparent)]
    AdmissionPlugins(#[from] admission::UnknownPlugins),
    /// The data directory's keys, CA or token could not be read or made.
    #[error("data directory: {0}")]
    DataDir(#[from] data_dir::DataDirError),
    /// The data directory's object database could not be opened or read back.
    #[error("data directory: {0}")]
    Persistence(#[from] store::PersistenceError),
    /// Encryption at rest was asked for a server that keeps nothing on disk.
    #[error("--encryption-provider-config needs --data-dir: without a data directory nothing is written to disk, so there is nothing to encrypt at rest")]
    EncryptionWithoutDataDir,
}

/// Why [`ApiServer::advance_clock`] moved nothing.
#[derive(Debug, thiserror::Error)]
pub enum AdvanceClockError {
    /// The server runs on another clock than a fake one.
    #[error("the server's clock is not a fake clock: start it with ApiServerBuilder::fake_clock (kube-sa serve --clock=fake)")]
    NotAFakeClock,
    /// The new time could not be kept in the data directory.
    #[error("keeping the fake clock's time: {0}")]
    Keep(#[from] data_dir::DataDirError),
}

/// Why a client for the server could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The kubeconfig YAML did not parse.
    #[error("parsing the generated kubeconfig: {0}")]
    Kubeconfig(#[from] serde_yaml::Error),
    /// kube-rs rejected the kubeconfig (context, certificate, token).
    #[error("loading the generated kubeconfig: {0}")]
    Config(#[from] kube::config::KubeconfigError),
    /// kube-rs could not build the client from the loaded configuration.
    #[error("building the client: {0}")]
    Client(#[from] kube::Error),
}

/// One request, as failure diagnostics show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// The HTTP method, e.g. `GET`.
    pub method: String,
    /// The request path without the query, e.g. `/api/v1/namespaces/default/pods`.
    pub path: String,
    /// The HTTP status code of the response.
    pub status: u16,
}

/// Shared by every connection of one server.
pub struct ServerState {
    pub(crate) store: Arc<Store>,
    pub(crate) authn: AuthenticationChain,
    /// Whether a request without credentials is `system:anonymous` (`--anonymous-auth`)
    /// rather than a 401.
    pub(crate) anonymous_auth: bool,
    pub(crate) authorizer: Arc<dyn authz::Authorizer>,
    pub(crate) admission: AdmissionChain,
    pub(crate) names: Arc<dyn NameGenerator>,
    /// `host:port` that clients use, reported by `/api`.
    pub(crate) server_address: String,
    pub(crate) tls: ClusterTls,
    /// TokenRequest (`serviceaccounts/token`), served in bound mode only.
    pub(crate) token_requests: Option<Arc<kinds::serviceaccount_token::TokenRequestRest>>,
    requests: Mutex<VecDeque<RequestRecord>>,
    /// The clock `/debug/clock` reads and moves (`--clock=fake`).
    pub(crate) fake_clock: Option<debug_clock::KeptFakeClock>,
    /// The OIDC discovery documents (bound mode, when they could be built).
    pub(crate) oidc: Option<oidc::OidcEndpoints>,
    /// The request limits (`--max-requests-inflight`, `--request-timeout`, ...).
    pub(crate) limits: limits::Limits,
    /// The in-flight pools those limits size.
    pub(crate) inflight: limits::InflightLimiter,
    /// The pace of 401s those limits set.
    pub(crate) failed_authentication: failed_authentication::FailedAuthenticationPacer,
    /// Injected faults, when switched on ([`ApiServerBuilder::fault_injection`]).
    pub(crate) faults: Option<Arc<faults::FaultInjector>>,
    /// Terminating namespaces go here to have their content deleted and be finalized.
    pub(crate) namespace_deleter: namespace_deleter::Queue,
    /// `/healthz`, `/livez` and `/readyz`.
    pub(crate) health: healthz::HealthChecks,
    /// Set once the server has been told to stop (`/readyz`'s `shutdown` check).
    pub(crate) stopping: signal::Receiver<bool>,
}

impl ServerState {
    pub(crate) fn record_request(&self, method: &::http::Method, path: &str, status: u16) {
        let mut log = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        if log.len() == REQUEST_LOG_LENGTH {
            log.pop_front();
        }
        log.push_back(RequestRecord {
            method: method.to_string(),
            path: path.to_string(),
            status,
        });
    }
}

/// A running embedded API server.
pub struct ApiServer {
    url: String,
    local_addr: SocketAddr,
    kubeconfig: String,
    admin_token: String,
    state: Arc<ServerState>,
    shutdown: signal::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    controllers: Option<tokio::task::JoinHandle<()>>,
    signing_key: Option<Arc<crate::serviceaccount::SigningKey>>,
    admission: Option<Arc<components::ServiceAccountAdmission>>,
}

impl ApiServer {
    /// A builder with the defaults: `127.0.0.1` on a free port, a random admin token and
    /// the service-account components on.
    ///
    /// ```no_run
    /// # async fn example() -> anyhow::Result<()> {
    /// use kube_sa::apiserver::ApiServer;
    /// let server = ApiServer::builder().without_service_accounts().start().await?;
    /// println!("serving at {}", server.url());
    /// server.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub fn builder() -> ApiServerBuilder {
        ApiServerBuilder::default()
    }

    /// `https://HOST:PORT`
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The admin kubeconfig as YAML.
    pub fn kubeconfig_yaml(&self) -> &str {
        &self.kubeconfig
    }

    /// The cluster CA certificate (PEM).
    pub fn ca_pem(&self) -> &str {
        &self.state.tls.ca_pem
    }

    /// The admin bearer token (given to [`ApiServerBuilder::admin_token`] or random).
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// A kube client with admin rights.
    pub async fn client(&self) -> Result<kube::Client, ClientError> {
        client_from_kubeconfig(&self.kubeconfig).await
    }

    /// The store, for in-process components that belong to the API server itself.
    pub fn store(&self) -> Arc<Store> {
        self.state.store.clone()
    }

    /// The server's clock: what every Kubernetes time of the server is read from.
    pub fn clock(&self) -> Arc<dyn clock::Clock> {
        self.state.store.clock().clone()
    }

    /// Moves the fake clock ([`ApiServerBuilder::fake_clock`]) forward by `by` and returns
    /// the new time; whoever waits on the clock wakes. Fails, moving nothing, when the
    /// server runs on another clock.
    pub fn advance_clock(
        &self,
        by: std::time::Duration,
    ) -> Result<jiff::Timestamp, AdvanceClockError> {
        let fake = self
            .state
            .fake_clock
            .as_ref()
            .ok_or(AdvanceClockError::NotAFakeClock)?;
        Ok(fake.advance(by)?)
    }

    /// The injected faults ([`ApiServerBuilder::fault_injection`]), to configure in
    /// process what `POST /debug/faults` configures over HTTP; `None` when switched off.
    pub fn faults(&self) -> Option<&faults::FaultInjector> {
        self.state.faults.as_deref()
    }

    /// Forgets the watch history, so watches from older revisions get `410 Gone`.
    pub fn compact_history(&self) {
        self.state.store.compact();
    }

    /// Ends every open watch, as an API server restart would.
    pub fn disconnect_watchers(&self) {
        self.state.store.disconnect_watchers();
    }

    /// The most recent requests, oldest first.
    pub fn recent_requests(&self) -> Vec<RequestRecord> {
        self.state
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// Admission plugin names in chain order.
    pub fn admission_plugins(&self) -> Vec<&'static str> {
        self.state.admission.names()
    }

    /// The key that signs service-account tokens, when the components run.
    pub fn signing_key(&self) -> Option<&Arc<crate::serviceaccount::SigningKey>> {
        self.signing_key.as_ref()
    }

    /// Stops the controllers, stops accepting, closes every connection, waits, and closes
    /// the data directory's database ([`ApiServerBuilder::data_dir`]).
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        if let Some(controllers) = self.controllers {
            controllers.abort();
            let _ = controllers.await;
        }
        // The in-process clients hold the server state; dropping them ends the cycle.
        if let Some(admission) = self.admission {
            admission.disconnect();
        }
        let _ = self.task.await;
        // Background tasks may hold the store a little longer; the file is released now,
        // for a restart on the same data directory.
        self.state.store.close();
    }
}

async fn client_from_kubeconfig(yaml: &str) -> Result<kube::Client, ClientError> {
    let kubeconfig: kube::config::Kubeconfig = serde_yaml::from_str(yaml)?;
    let config = kube::Config::from_custom_kubeconfig(
        kubeconfig,
        &kube::config::KubeConfigOptions::default(),
    )
    .await?;
    Ok(kube::Client::try_from(config)?)
}
