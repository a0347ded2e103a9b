//! [`ApiServerBuilder`]: what an embedded API server is configured with, and its start-up
//! (store, TLS, authentication chain, admission, components, listener).

use super::in_process_api::InProcessApi;
use super::*;

/// A hook that adds an authenticator once the store exists (service-account tokens need it).
pub type AuthenticatorFactory = Box<dyn FnOnce(Arc<Store>) -> Arc<dyn TokenAuthenticator> + Send>;

/// A hook that makes the authorizer once the store exists (RBAC reads its objects there).
pub type AuthorizerFactory = Box<dyn FnOnce(Arc<Store>) -> Arc<dyn authz::Authorizer> + Send>;

/// Configures and starts an [`ApiServer`]; made by [`ApiServer::builder`].
///
/// The setters take and return the builder; [`start`](Self::start) consumes it.
///
/// ```no_run
/// # async fn example() -> anyhow::Result<()> {
/// use kube_sa::apiserver::ApiServer;
/// let server = ApiServer::builder()
///     .listen(([127, 0, 0, 1], 6443).into())
///     .admin_token("secret-admin-token")
///     .history_limit(1000)
///     .start()
///     .await?;
/// println!("{}", server.kubeconfig_yaml());
/// server.shutdown().await;
/// # Ok(()) }
/// ```
pub struct ApiServerBuilder {
    listen: SocketAddr,
    advertise_host: Option<String>,
    advertise_port: Option<u16>,
    admin_token: Option<String>,
    anonymous_auth: bool,
    names: Arc<dyn NameGenerator>,
    authenticators: Vec<AuthenticatorFactory>,
    authorizer: Option<AuthorizerFactory>,
    admission_plugins: Vec<Arc<dyn AdmissionPlugin>>,
    disabled_admission_plugins: Vec<String>,
    default_tolerations: default_toleration_seconds::DefaultTolerationSeconds,
    service_directory: Option<Arc<dyn webhooks::service::ServiceDirectory>>,
    history_limit: usize,
    service_accounts: Option<components::ServiceAccountOptions>,
    api_audiences: Option<Vec<String>>,
    clock: Arc<dyn clock::Clock>,
    token_cache_ttl: std::time::Duration,
    fake_clock: Option<Arc<clock::FakeClock>>,
    limits: limits::Limits,
    fault_injection: bool,
    data_dir: Option<std::path::PathBuf>,
    encryption: Option<Arc<encryption::Encryption>>,
}

impl Default for ApiServerBuilder {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            advertise_host: None,
            advertise_port: None,
            admin_token: None,
            anonymous_auth: true,
            names: Arc::new(RandomNames),
            authenticators: Vec::new(),
            authorizer: None,
            admission_plugins: Vec::new(),
            disabled_admission_plugins: Vec::new(),
            default_tolerations: Default::default(),
            service_directory: None,
            history_limit: store::DEFAULT_HISTORY_LIMIT,
            service_accounts: Some(components::ServiceAccountOptions::default()),
            api_audiences: None,
            clock: Arc::new(clock::SystemClock),
            token_cache_ttl: crate::authn::cache::DEFAULT_SUCCESS_TTL,
            fake_clock: None,
            limits: limits::Limits::default(),
            fault_injection: false,
            data_dir: None,
            encryption: None,
        }
    }
}

impl ApiServerBuilder {
    /// Where to listen; port 0 picks a free port. Default `127.0.0.1:0`.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// The host (and optionally port) clients use, when it differs from the listen
    /// address (a container's mapped port). It goes into the certificate and kubeconfig.
    pub fn advertise(mut self, host: impl Into<String>, port: Option<u16>) -> Self {
        self.advertise_host = Some(host.into());
        self.advertise_port = port;
        self
    }

    /// The admin bearer token; random when not given.
    pub fn admin_token(mut self, token: impl Into<String>) -> Self {
        self.admin_token = Some(token.into());
        self
    }

    /// Whether a request without credentials (no bearer token) is served as the user
    /// `system:anonymous` in the group `system:unauthenticated`, for authorization to
    /// decide (kube-apiserver's `--anonymous-auth`); when false it is a 401. Default true,
    /// as upstream's. A token that fails is a 401 either way.
    pub fn anonymous_auth(mut self, enabled: bool) -> Self {
        self.anonymous_auth = enabled;
        self
    }

    /// The generator of `generateName` suffixes.
    pub fn name_generator(mut self, names: Arc<dyn NameGenerator>) -> Self {
        self.names = names;
        self
    }

    /// Adds an authenticator after the admin token.
    pub fn authenticator(mut self, factory: AuthenticatorFactory) -> Self {
        self.authenticators.push(factory);
        self
    }

    /// The authorizer every request passes after authentication; by default RBAC
    /// ([`authz::rbac::RbacAuthorizer::install`]: the bootstrap policy, aggregated roles
    /// and `system:masters` allowed everything), as `--authorization-mode=Node,RBAC` is on
    /// real clusters.
    pub fn authorizer(mut self, factory: AuthorizerFactory) -> Self {
        self.authorizer = Some(factory);
        self
    }

    /// The API server's own audiences (`--api-audiences`): what tokens without audiences of
    /// their own (the admin token, legacy service-account tokens) are good for, and what a
    /// TokenReview without `spec.audiences` asks for. Default
    /// [`crate::authn::DEFAULT_API_AUDIENCE`].
    pub fn api_audiences(mut self, audiences: Vec<String>) -> Self {
        self.api_audiences = Some(audiences);
        self
    }

    /// Adds an admission plugin after NamespaceLifecycle.
    pub fn admission_plugin(mut self, plugin: Arc<dyn AdmissionPlugin>) -> Self {
        self.admission_plugins.push(plugin);
        self
    }

    /// Switches admission plugins off by name (`--disable-admission-plugins`), e.g.
    /// `ServiceAccount`, so that a webhook can take its place. Names must be upstream's
    /// ([`admission::REGISTERED_PLUGINS`]) or those of plugins added with
    /// [`admission_plugin`](Self::admission_plugin); [`start`](Self::start) refuses others.
    pub fn disable_admission_plugins<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.disabled_admission_plugins
            .extend(names.into_iter().map(Into::into));
        self
    }

    /// The `tolerationSeconds` of the `node.kubernetes.io/not-ready:NoExecute` toleration
    /// that the `DefaultTolerationSeconds` plugin gives a pod without one
    /// (`--default-not-ready-toleration-seconds`; default 300).
    pub fn default_not_ready_toleration_seconds(mut self, seconds: i64) -> Self {
        self.default_tolerations.not_ready_seconds = seconds;
        self
    }

    /// The `tolerationSeconds` of the `node.kubernetes.io/unreachable:NoExecute` toleration
    /// that the `DefaultTolerationSeconds` plugin gives a pod without one
    /// (`--default-unreachable-toleration-seconds`; default 300).
    pub fn default_unreachable_toleration_seconds(mut self, seconds: i64) -> Self {
        self.default_tolerations.unreachable_seconds = seconds;
        self
    }

    /// Where admission webhooks with a `clientConfig.service` find the Service and its
    /// endpoints; the store (services, endpoints, endpointslices) by default.
    pub fn service_directory(
        mut self,
        directory: Arc<dyn webhooks::service::ServiceDirectory>,
    ) -> Self {
        self.service_directory = Some(directory);
        self
    }

    /// How many events watches can resume from.
    pub fn history_limit(mut self, events: usize) -> Self {
        self.history_limit = events;
        self
    }

    /// The clock object lifetimes are measured on (an Event's hour); the system's by
    /// default.
    pub fn clock(mut self, clock: Arc<dyn clock::Clock>) -> Self {
        self.clock = clock;
        self.fake_clock = None;
        self
    }

    /// A clock that moves only when told (`kube-sa serve --clock=fake`): every Kubernetes
    /// time of the server (timestamps, lifetimes, ages) is read from it, and it moves
    /// through [`ApiServer::advance_clock`] or `POST /debug/clock` (admin only), which
    /// this switches on. Work-queue back-off and request timeouts stay on real time.
    pub fn fake_clock(mut self, clock: Arc<clock::FakeClock>) -> Self {
        self.clock = clock.clone();
        self.fake_clock = Some(clock);
        self
    }

    /// Switches fault injection on (`kube-sa serve --fault-injection`; off by default):
    /// requests fail or wait and watches end as [`ApiServer::faults`] or
    /// `POST /debug/faults` (admin only, served only then) configure it ([`faults`]). It
    /// starts with no faults.
    pub fn fault_injection(mut self, enabled: bool) -> Self {
        self.fault_injection = enabled;
        self
    }

    /// Keeps the cluster in `dir` across restarts (`kube-sa serve --data-dir DIR`; in
    /// memory by default): the objects and revision counter in a database written by group
    /// commit before each answer ([`store::durable`]), and the CA, the admin token and the
    /// service-account signing key, unless given, so that kubeconfigs and tokens from an
    /// earlier start still work ([`data_dir`]).
    pub fn data_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// Encrypts what the data directory stores, as `--encryption-provider-config` does
    /// ([`encryption`]; load the file with [`encryption::Encryption::load`]). Needs
    /// [`ApiServerBuilder::data_dir`]: [`ApiServerBuilder::start`] refuses it without one
    /// ([`StartError::EncryptionWithoutDataDir`]).
    pub fn encryption(mut self, encryption: Arc<encryption::Encryption>) -> Self {
        self.encryption = Some(encryption);
        self
    }

    /// How long a bound-mode token authentication is remembered (upstream's success cache,
    /// 10 s of real time by default); zero, as upstream's integration tests set it, makes a
    /// revoked token fail at once.
    pub fn token_cache_ttl(mut self, ttl: std::time::Duration) -> Self {
        self.token_cache_ttl = ttl;
        self
    }

    /// The service-account components (on by default, with a generated signing key).
    pub fn service_accounts(mut self, options: components::ServiceAccountOptions) -> Self {
        self.service_accounts = Some(options);
        self
    }

    /// A bare API server: no service-account admission, authenticator or controllers.
    pub fn without_service_accounts(mut self) -> Self {
        self.service_accounts = None;
        self
    }

    /// The request limits: in-flight caps, request and watch timeouts, header read
    /// timeout (default: kube-apiserver's, see [`limits::Limits`]).
    pub fn limits(mut self, limits: limits::Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Binds, generates the CA and serving certificate, creates the system namespaces
    /// and starts serving. When this returns, the server accepts connections.
    pub async fn start(self) -> Result<ApiServer, StartError> {
        let extra_names: Vec<&'static str> =
            self.admission_plugins.iter().map(|p| p.name()).collect();
        admission::check_disabled_plugins(&self.disabled_admission_plugins, &extra_names)?;
        crate::serving::install_default_crypto_provider();
        let listener = tokio::net::TcpListener::bind(self.listen)
            .await
            .map_err(|source| StartError::Bind {
                addr: self.listen,
                source,
            })?;
        let local = listener.local_addr().map_err(|source| StartError::Bind {
            addr: self.listen,
            source,
        })?;
        let host = match &self.advertise_host {
            Some(h) => h.clone(),
            None if local.ip().is_unspecified() => "127.0.0.1".to_string(),
            None => local.ip().to_string(),
        };
        let port = self.advertise_port.unwrap_or(local.port());
        let url_host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.clone()
        };
        let url = format!("https://{url_host}:{port}");
        if self.encryption.is_some() && self.data_dir.is_none() {
            return Err(StartError::EncryptionWithoutDataDir);
        }
        let data_dir = self
            .data_dir
            .as_ref()
            .map(data_dir::DataDir::open)
            .transpose()?;
        // Before anything reads the clock: Kubernetes time resumes where it was.
        let fake_clock = self
            .fake_clock
            .map(|clock| debug_clock::KeptFakeClock::restore(clock, data_dir.clone()))
            .transpose()?;
        let hosts = [host.clone(), local.ip().to_string()];
        let (tls, store) = match &data_dir {
            None => (
                ClusterTls::generate(&hosts)?,
                Store::with_clock(self.history_limit, self.clock.clone()),
            ),
            Some(dir) => (
                ClusterTls::signed_by(&dir.cluster_ca()?, &hosts)?,
                Store::open_encrypted(
                    self.history_limit,
                    self.clock.clone(),
                    &dir.store_path(),
                    self.encryption.clone().unwrap_or_default(),
                )?,
            ),
        };
        let store = Arc::new(store);
        let created = now_rfc3339(self.clock.as_ref());
        let bound_mode = self
            .service_accounts
            .as_ref()
            .is_some_and(|options| options.mode == crate::Mode::Bound);
        // Those kept from an earlier start (with a data directory) stay as they are.
        let system_namespaces = system_namespaces::names(bound_mode);
        system_namespaces::ensure(&store, &system_namespaces)?;
        // The `kubernetes` Service's endpoints are the address clients reach the server at.
        let endpoint_ip = match host.parse::<std::net::IpAddr>() {
            Ok(ip) => ip,
            Err(_) if local.ip().is_unspecified() => std::net::IpAddr::from([127, 0, 0, 1]),
            Err(_) => local.ip(),
        };
        kinds::service::bootstrap::create_kubernetes_service(&store, endpoint_ip, port, &created)?;
        priority::create_system_priority_classes(&store, &created)?;

        let mut service_accounts = self.service_accounts;
        if let (Some(options), Some(dir)) = (&mut service_accounts, &data_dir) {
            if options.signing_key.is_none() {
                options.signing_key = Some(Arc::new(dir.service_account_key()?));
            }
        }
        let prepared = match service_accounts {
            Some(options) => Some(components::PreparedComponents::new(
                options,
                self.names.clone(),
            )?),
            None => None,
        };
        let admin_token = match (self.admin_token, &data_dir) {
            (Some(token), _) => token,
            (None, Some(dir)) => dir.admin_token(random_token)?,
            (None, None) => random_token(),
        };
        let mut authn = AuthenticationChain::default();
        let bound = prepared
            .as_ref()
            .filter(|p| p.options.mode == crate::Mode::Bound);
        match (self.api_audiences, bound) {
            (Some(audiences), _) => authn.set_api_audiences(audiences),
            (None, Some(bound)) => {
                authn.set_api_audiences(bound.options.issuer.effective_api_audiences())
            }
            (None, None) => {}
        }
        let token_requests = bound.and_then(|bound| bound.token_requests());
        // Its first sync before the server serves, so the ConfigMap is there from the start.
        let tracking = match bound {
            Some(_) => {
                let mut tracking = legacy_token_tracking::TrackingController::new(store.clone());
                tracking.sync()?;
                Some(tracking)
            }
            None => None,
        };
        // kube-apiserver's loopback-token authenticator comes first: its refusal is part of
        // every authentication error (`[invalid bearer token, ...]`).
        authn.push(Arc::new(crate::authn::LoopbackTokenAuthenticator));
        authn.push(Arc::new(StaticTokenAuthenticator::admin(
            admin_token.clone(),
        )));
        if let Some(prepared) = &prepared {
            authn.push(prepared.authenticator(store.clone(), self.token_cache_ttl));
        }
        for factory in self.authenticators {
            authn.push(factory(store.clone()));
        }
        let rbac_bootstrap_roles = self.authorizer.is_none();
        let authorizer = match self.authorizer {
            Some(factory) => factory(store.clone()),
            None => authz::rbac::RbacAuthorizer::install(store.clone())?,
        };
        let enabled = |name: &str| !self.disabled_admission_plugins.iter().any(|d| d == name);
        let mut admission = AdmissionChain::default();
        let lifecycle = Arc::new(namespaces::NamespaceLifecycle::new(store.clone()));
        if enabled(lifecycle.name()) {
            admission.push(lifecycle);
        }
        if let Some(prepared) = &prepared {
            prepared
                .admission
                .set_lookup(Arc::new(components::StoreAccountLookup::new(store.clone())));
            if enabled(prepared.admission.name()) {
                admission.push(prepared.admission.clone());
            }
            if prepared.options.mode == crate::Mode::Bound {
                admission.push(Arc::new(serviceaccount_warnings::ServiceAccountWarnings));
            }
        }
        // After ServiceAccount, before the webhooks, as in upstream's plugin order.
        let priority = Arc::new(priority::PriorityAdmission::new(store.clone()));
        if enabled(priority.name()) {
            admission.push(priority);
        }
        // Next in upstream's order.
        let default_tolerations = Arc::new(self.default_tolerations);
        if enabled(default_tolerations.name()) {
            admission.push(default_tolerations);
        }
        for plugin in self.admission_plugins {
            if enabled(plugin.name()) {
                admission.push(plugin);
            }
        }
        // Webhooks come last: mutating ones after the built-in mutating plugins, validating
        // ones after validation and the built-in validating plugins.
        let directory = self.service_directory.unwrap_or_else(|| {
            Arc::new(webhooks::service::StoreServiceDirectory::new(store.clone()))
        });
        let (mutating, validating) = webhooks::plugins(store.clone(), directory);
        for plugin in [
            Arc::new(mutating) as Arc<dyn AdmissionPlugin>,
            Arc::new(validating),
        ] {
            if enabled(plugin.name()) {
                admission.push(plugin);
            }
        }

        let server_address = format!("{url_host}:{port}");
        let oidc = prepared
            .as_ref()
            .filter(|p| p.options.mode == crate::Mode::Bound)
            .and_then(|p| {
                oidc::OidcEndpoints::install(
                    p.options.issuer.signing_issuer(),
                    p.options.issuer.jwks_uri.as_deref().unwrap_or_default(),
                    &server_address,
                    &p.options.verification_keys,
                )
            });
        let kubeconfig = kubeconfig::render(&url, &tls.ca_pem, &admin_token);
        let (namespace_deleter, namespace_queue) = namespace_deleter::Queue::new();
        let health = healthz::HealthChecks::new(healthz::PostStartHooks {
            legacy_token_tracking: tracking.is_some(),
            rbac_bootstrap_roles,
        });
        let (shutdown, shutdown_rx) = signal::channel(false);
        let state = Arc::new(ServerState {
            store,
            authn,
            anonymous_auth: self.anonymous_auth,
            authorizer,
            admission,
            names: self.names.clone(),
            server_address,
            tls,
            token_requests,
            requests: Mutex::new(VecDeque::new()),
            fake_clock,
            oidc,
            inflight: limits::InflightLimiter::new(&self.limits),
            failed_authentication: failed_authentication::FailedAuthenticationPacer::new(
                self.limits.failed_authentication_qps,
                self.limits.failed_authentication_burst,
            ),
            limits: self.limits,
            faults: self
                .fault_injection
                .then(|| Arc::new(faults::FaultInjector::default())),
            namespace_deleter,
            health,
            stopping: shutdown_rx.clone(),
        });
        let task = tokio::spawn(http::serve(listener, state.clone(), shutdown_rx.clone()));
        tokio::spawn(expire_objects(state.store.clone(), shutdown_rx.clone()));
        tokio::spawn(namespace_deleter::run(
            state.store.clone(),
            namespace_queue,
            shutdown_rx.clone(),
        ));
        tokio::spawn(system_namespaces::run(
            state.store.clone(),
            system_namespaces,
            shutdown_rx.clone(),
        ));
        if let Some(tracking) = tracking {
            tokio::spawn(tracking.run(shutdown_rx.clone()));
        }
        let mut server = ApiServer {
            url,
            local_addr: local,
            kubeconfig,
            admin_token,
            state,
            shutdown,
            task,
            controllers: None,
            signing_key: None,
            admission: None,
        };
        if let Some(prepared) = prepared {
            // In-process components use the API without TCP or TLS in between.
            let client = in_process::client(server.state.clone(), &server.admin_token)?;
            let api = InProcessApi::new(server.state.clone(), &server.admin_token)?;
            server.controllers = prepared.start(
                client,
                api,
                &server.state.tls.ca_pem,
                self.names,
                self.clock.clone(),
                shutdown_rx,
            );
            server.signing_key = prepared.options.signing_key.clone();
            server.admission = Some(prepared.admission.clone());
        }
        tracing::info!(url = %server.url, listen = %local, "serving");
        Ok(server)
    }
}

/// How often objects past their time to live are looked for (etcd checks its leases about
/// every half second).
const EXPIRY_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// Removes expired objects (Events) until the server shuts down.
async fn expire_objects(store: Arc<Store>, mut shutdown: signal::Receiver<bool>) {
    let mut ticks = tokio::time::interval(EXPIRY_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {
                store.expire();
            }
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    return;
                }
            }
        }
    }
}

fn random_token() -> String {
    use rand::Rng;
    let bytes: [u8; 24] = rand::rng().random();
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
