//! The `kube-sa` command: `serve`, `controller-manager`, `webhook`.

/// jemalloc rather than glibc's malloc: the server allocates and frees many small objects
/// from many threads, and spawns a task (an aligned allocation) per request, where jemalloc
/// costs less CPU and keeps less memory (README, Performance).
#[cfg(feature = "jemalloc")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use kube_sa::apiserver::components::ServiceAccountOptions;
use kube_sa::controllers::{
    ControllersConfig, LegacyTokenCleanerOptions, RootCaPublisherOptions, TokensControllerOptions,
};
use kube_sa::leader_election::{
    ApiLeaseLock, LeaderElectionConfig, LeaderElector, LeaseLock, Outcome,
};
use kube_sa::serviceaccount::go_duration::GoDuration;
use kube_sa::serviceaccount::options::{max_token_expiration, validate_clean_up_period};
use kube_sa::serviceaccount::{load_public_key_files, SigningKey, TokenGenerator};

#[derive(Parser)]
#[command(
    name = "kube-sa",
    version,
    about = "Kubernetes service-account automation",
    // A flag given twice takes its last value, as kube-apiserver's (pflag's) do; list
    // flags (`--service-account-key-file`, `--api-audiences`, ...) still add up.
    args_override_self = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the embedded cluster: an API server with the service-account components in-process.
    Serve(Box<ServeArgs>),
    /// Run the token controller and the service-account controller against any cluster;
    /// replicas elect one leader over a Lease, which alone runs them.
    ControllerManager(ControllerManagerArgs),
    /// Serve ServiceAccount admission as a MutatingAdmissionWebhook over HTTPS.
    Webhook(WebhookArgs),
}

/// controller-runtime's probe and metrics flags, shared by the three commands.
#[derive(Args)]
struct HealthArgs {
    /// Where `/healthz` and `/readyz` are served over HTTP (`:8081`, `HOST:PORT`); `0`
    /// switches them off.
    #[arg(long, default_value = "0", value_name = "ADDRESS")]
    health_probe_bind_address: String,
    /// Where Prometheus `/metrics` is served over HTTP (`:8080`, `HOST:PORT`); `0`
    /// switches it off.
    #[arg(long, default_value = "0", value_name = "ADDRESS")]
    metrics_bind_address: String,
}

impl HealthArgs {
    /// Starts the listeners the flags ask for; `/readyz` follows `readiness`.
    async fn start(
        &self,
        readiness: kube_sa::health::Readiness,
    ) -> anyhow::Result<kube_sa::health::HealthServer> {
        use kube_sa::health::{parse_bind_address, HealthServer};
        let probes = parse_bind_address(&self.health_probe_bind_address)
            .context("--health-probe-bind-address")?;
        let metrics =
            parse_bind_address(&self.metrics_bind_address).context("--metrics-bind-address")?;
        Ok(HealthServer::start(probes, metrics, readiness).await?)
    }
}

#[derive(Args)]
struct ControllerManagerArgs {
    /// Kubeconfig of the cluster to manage; unset, `$KUBECONFIG` or `~/.kube/config`, else
    /// the in-cluster configuration (the pod's token and `KUBERNETES_SERVICE_HOST`).
    #[arg(long)]
    kubeconfig: Option<PathBuf>,
    /// PEM private key (RSA or ECDSA) that signs service-account tokens.
    #[arg(long, value_name = "PEM")]
    service_account_private_key_file: PathBuf,
    /// PEM CA bundle put into token secrets as `ca.crt` (and, in bound mode, into every
    /// namespace's `kube-root-ca.crt`); the kubeconfig's CA when unset.
    #[arg(long, value_name = "PEM")]
    root_ca_file: Option<PathBuf>,
    /// `legacy` (token Secrets for every account) or `bound` (no generated token Secrets;
    /// the root CA publisher and the legacy-token cleaner run too).
    #[arg(long, default_value = "legacy", value_name = "legacy|bound")]
    mode: kube_sa::Mode,
    /// How long an auto-generated legacy token may go unused before it is invalidated,
    /// and then deleted (Go duration; bound mode).
    #[arg(long, default_value = "8760h", value_parser = parse_go_duration, value_name = "DURATION")]
    legacy_service_account_token_clean_up_period: GoDuration,
    #[command(flatten)]
    leader_election: LeaderElectionArgs,
    #[command(flatten)]
    health: HealthArgs,
}

/// kube-controller-manager's leader-election flags and defaults (component-base's
/// `BindLeaderElectionFlags`), except the Lease's name.
#[derive(Args)]
struct LeaderElectionArgs {
    /// Start a leader election client and gain leadership before executing the main loop.
    /// Enable this when running replicated components for high availability.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1,
          require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    leader_elect: bool,
    /// The duration that non-leader candidates will wait after observing a leadership
    /// renewal until attempting to acquire leadership of a led but unrenewed leader slot.
    /// This is effectively the maximum duration that a leader can be stopped before it is
    /// replaced by another candidate. This is only applicable if leader election is enabled.
    #[arg(long, default_value = "15s", value_parser = parse_go_duration, value_name = "DURATION")]
    leader_elect_lease_duration: GoDuration,
    /// The interval between attempts by the acting master to renew a leadership slot before
    /// it stops leading. This must be less than the lease duration. This is only applicable
    /// if leader election is enabled.
    #[arg(long, default_value = "10s", value_parser = parse_go_duration, value_name = "DURATION")]
    leader_elect_renew_deadline: GoDuration,
    /// The duration the clients should wait between attempting acquisition and renewal of
    /// a leadership. This is only applicable if leader election is enabled.
    #[arg(long, default_value = "2s", value_parser = parse_go_duration, value_name = "DURATION")]
    leader_elect_retry_period: GoDuration,
    /// The type of resource object that is used for locking during leader election.
    /// Supported options are 'leases'.
    #[arg(long, default_value = "leases", value_parser = ["leases"], value_name = "TYPE")]
    leader_elect_resource_lock: String,
    /// The name of resource object that is used for locking during leader election.
    #[arg(long, default_value = kube_sa::leader_election::DEFAULT_RESOURCE_NAME, value_name = "NAME")]
    leader_elect_resource_name: String,
    /// The namespace of resource object that is used for locking during leader election.
    #[arg(long, default_value = kube_sa::leader_election::DEFAULT_RESOURCE_NAMESPACE, value_name = "NAMESPACE")]
    leader_elect_resource_namespace: String,
}

/// A flag's duration for the election; a negative one counts as zero, which the election's
/// checks refuse as upstream's do (`... must be greater than zero` or the ordering rules).
fn non_negative(duration: GoDuration) -> std::time::Duration {
    duration.to_std().unwrap_or_default()
}

impl LeaderElectionArgs {
    /// The election's configuration, checked with upstream's rules; `None` with
    /// `--leader-elect=false`.
    fn config(&self) -> anyhow::Result<Option<LeaderElectionConfig>> {
        if !self.leader_elect {
            return Ok(None);
        }
        kube_sa::leader_election::validate_resource(
            &self.leader_elect_resource_namespace,
            &self.leader_elect_resource_name,
        )?;
        let identity = kube_sa::leader_election::default_identity()
            .context("reading the host name for the leader-election identity")?;
        let config = LeaderElectionConfig {
            lease_duration: non_negative(self.leader_elect_lease_duration),
            renew_deadline: non_negative(self.leader_elect_renew_deadline),
            retry_period: non_negative(self.leader_elect_retry_period),
            identity,
            release_on_cancel: true,
        };
        config.validate()?;
        Ok(Some(config))
    }
}

#[derive(Args)]
struct WebhookArgs {
    /// Kubeconfig of the cluster whose accounts the webhook reads; unset, `$KUBECONFIG` or
    /// `~/.kube/config`, else the in-cluster configuration.
    #[arg(long)]
    kubeconfig: Option<PathBuf>,
    /// PEM certificate chain the webhook serves.
    #[arg(long, value_name = "PEM")]
    tls_cert_file: PathBuf,
    /// PEM private key of that certificate.
    #[arg(long, value_name = "PEM")]
    tls_private_key_file: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0:8443")]
    listen: SocketAddr,
    /// Whose ServiceAccount admission the webhook answers with: `legacy` (v1.8) or
    /// `bound` (1.33).
    #[arg(long, default_value = "legacy", value_name = "legacy|bound")]
    mode: kube_sa::Mode,
    #[command(flatten)]
    health: HealthArgs,
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Where to write the admin kubeconfig (atomically, mode 0600) once the server is ready.
    #[arg(long)]
    kubeconfig_out: Option<PathBuf>,
    /// Host or HOST:PORT that clients use when it differs from the listen address
    /// (e.g. a container's mapped port); it goes into the certificate and kubeconfig.
    #[arg(long)]
    advertise_address: Option<String>,
    /// PEM private key (RSA or ECDSA) that signs service-account tokens; generated when unset.
    #[arg(long, value_name = "PEM")]
    service_account_private_key_file: Option<PathBuf>,
    /// PEM public or private keys, or certificates, that verify service-account tokens
    /// (repeatable, several keys per file); the private key's public key when unset.
    /// Bound mode: required with `--service-account-signing-key-file`, and the only keys
    /// tokens verify with.
    #[arg(long, value_name = "PEM")]
    service_account_key_file: Vec<PathBuf>,
    /// PEM CA bundle put into token secrets as `ca.crt`; the cluster CA when unset.
    #[arg(long, value_name = "PEM")]
    root_ca_file: Option<PathBuf>,
    /// Tokens stay valid only while their secret exists with the same token and the
    /// account keeps its UID.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    service_account_lookup: bool,
    /// Run the token and service-account controllers in-process; `false` leaves them to
    /// a separate `kube-sa controller-manager`.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    controllers: bool,
    /// Admission plugins to switch off, comma-separated (upstream's names, e.g.
    /// `ServiceAccount`, so that `kube-sa webhook` takes its place); unknown names are
    /// refused.
    #[arg(long, value_delimiter = ',', value_name = "PLUGINS")]
    disable_admission_plugins: Vec<String>,
    /// The `tolerationSeconds` of the `node.kubernetes.io/not-ready:NoExecute` toleration
    /// that the `DefaultTolerationSeconds` admission plugin adds to every pod that does
    /// not already have such a toleration (kube-apiserver's flag and default).
    #[arg(
        long,
        default_value_t = 300,
        value_name = "SECONDS",
        allow_negative_numbers = true
    )]
    default_not_ready_toleration_seconds: i64,
    /// The `tolerationSeconds` of the `node.kubernetes.io/unreachable:NoExecute` toleration
    /// that the `DefaultTolerationSeconds` admission plugin adds to every pod that does
    /// not already have such a toleration (kube-apiserver's flag and default).
    #[arg(
        long,
        default_value_t = 300,
        value_name = "SECONDS",
        allow_negative_numbers = true
    )]
    default_unreachable_toleration_seconds: i64,
    /// A request without a bearer token is the user `system:anonymous` in the group
    /// `system:unauthenticated`, which the bootstrap RBAC policy lets read only `/version`,
    /// `/healthz`, `/livez` and `/readyz` (kube-apiserver's flag and default); `false`
    /// answers such requests 401. A token that fails is a 401 either way.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    anonymous_auth: bool,
    /// `legacy` (Kubernetes v1.8 token Secrets) or `bound` (Kubernetes 1.33: TokenRequest,
    /// projected volumes, `kube-root-ca.crt`).
    #[arg(long, default_value = "legacy", value_name = "legacy|bound")]
    mode: kube_sa::Mode,
    /// Identifier of the token issuer (repeatable): the first is the `iss` of new tokens
    /// and the discovery document's issuer; all are accepted.
    #[arg(long = "service-account-issuer", value_name = "URL",
          default_value = kube_sa::serviceaccount::options::DEFAULT_ISSUER)]
    service_account_issuer: Vec<String>,
    /// The API's own audiences, comma-separated; every issuer when unset.
    #[arg(long, value_delimiter = ',', value_name = "AUDIENCES")]
    api_audiences: Vec<String>,
    /// PEM private key that signs TokenRequest tokens; the service-account private key
    /// (given or generated) when unset.
    #[arg(long, value_name = "PEM")]
    service_account_signing_key_file: Option<PathBuf>,
    /// Longest lifetime a TokenRequest may get (Go duration, e.g. `24h`); 0 is no cap.
    #[arg(long, default_value = "0s", value_parser = parse_go_duration, value_name = "DURATION")]
    service_account_max_token_expiration: GoDuration,
    /// Pod-bound tokens asked for 3607 s (the kubelet's request) live a year, with a
    /// `warnafter` at 3607 s.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    service_account_extend_token_expiration: bool,
    /// `jwks_uri` of the OIDC discovery document; `https://<address>/openid/v1/jwks` when unset.
    #[arg(long, value_name = "URL")]
    service_account_jwks_uri: Option<String>,
    /// How long an auto-generated legacy token may go unused before it is invalidated,
    /// and then deleted (Go duration).
    #[arg(long, default_value = "8760h", value_parser = parse_go_duration, value_name = "DURATION")]
    legacy_service_account_token_clean_up_period: GoDuration,
    /// `real`, or `fake`: Kubernetes time (token lifetimes, timestamps, the cleaner's
    /// runs) stands still until `POST /debug/clock` moves it.
    #[arg(long, default_value = "real", value_name = "real|fake")]
    clock: ClockKind,
    /// Serves `/debug/faults` (admin only), whose rules fail or delay requests and drop
    /// watches, for testing clients against a misbehaving server. Off by default.
    #[arg(long)]
    fault_injection: bool,
    /// Keep the cluster in DIR across restarts: the objects (each write on disk before it
    /// is acknowledged), the resource-version counter, the CA, the admin token and the
    /// generated service-account key. In memory when unset.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// kube-apiserver's EncryptionConfiguration (apiserver.config.k8s.io/v1): the
    /// resources whose objects are encrypted in the data directory, and with which
    /// providers (aesgcm, secretbox, identity; the first encrypts, all decrypt). Needs
    /// --data-dir.
    #[arg(long, value_name = "FILE", requires = "data_dir")]
    encryption_provider_config: Option<PathBuf>,
    #[command(flatten)]
    health: HealthArgs,
    #[command(flatten)]
    limits: LimitArgs,
}

/// kube-apiserver's request limits (`ServerRunOptions`), with its flag names and defaults.
#[derive(clap::Args, Debug)]
struct LimitArgs {
    /// Non-mutating requests in flight at once; beyond it they answer 429. 0 is no limit.
    #[arg(
        long,
        default_value_t = 400,
        allow_negative_numbers = true,
        value_name = "INT"
    )]
    max_requests_inflight: i64,
    /// Mutating requests in flight at once; beyond it they answer 429. 0 is no limit.
    #[arg(
        long,
        default_value_t = 200,
        allow_negative_numbers = true,
        value_name = "INT"
    )]
    max_mutating_requests_inflight: i64,
    /// How long a non-watch request may take before it answers 504 (Go duration).
    #[arg(long, default_value = "1m0s", value_parser = parse_go_duration, value_name = "DURATION")]
    request_timeout: GoDuration,
    /// Seconds a watch lasts at least when it names no `timeoutSeconds` (at most twice that).
    #[arg(
        long,
        default_value_t = 1800,
        allow_negative_numbers = true,
        value_name = "INT"
    )]
    min_request_timeout: i64,
    /// The steady rate, per second and server-wide, at which 401s are answered once the
    /// burst is spent; a refusal beyond it waits for its turn, so a flood of bad tokens
    /// cannot take the CPU from authenticated clients (kube-sa's own; kube-apiserver has no
    /// such flag). 0 turns pacing off.
    #[arg(long, default_value_t = kube_sa::apiserver::limits::DEFAULT_FAILED_AUTHENTICATION_QPS, value_name = "INT")]
    failed_authentication_qps: u32,
    /// 401s answered at once, without waiting, before that rate applies (0 counts as 1).
    #[arg(long, default_value_t = kube_sa::apiserver::limits::DEFAULT_FAILED_AUTHENTICATION_BURST, value_name = "INT")]
    failed_authentication_burst: u32,
}

impl LimitArgs {
    /// The limits, refused with `ServerRunOptions.Validate`'s texts when negative.
    fn to_limits(&self) -> anyhow::Result<kube_sa::apiserver::limits::Limits> {
        let count = |value: i64, flag: &str| {
            usize::try_from(value)
                .map_err(|_| anyhow::anyhow!("--{flag} can not be negative value"))
        };
        let min_request_timeout = u64::try_from(self.min_request_timeout)
            .map_err(|_| anyhow::anyhow!("--min-request-timeout can not be negative value"))?;
        Ok(kube_sa::apiserver::limits::Limits {
            max_requests_inflight: count(self.max_requests_inflight, "max-requests-inflight")?,
            max_mutating_requests_inflight: count(
                self.max_mutating_requests_inflight,
                "max-mutating-requests-inflight",
            )?,
            request_timeout: self
                .request_timeout
                .to_std()
                .ok_or_else(|| anyhow::anyhow!("--request-timeout can not be negative value"))?,
            min_request_timeout: std::time::Duration::from_secs(min_request_timeout),
            failed_authentication_qps: self.failed_authentication_qps,
            failed_authentication_burst: self.failed_authentication_burst,
            ..Default::default()
        })
    }
}

/// The `--clock` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ClockKind {
    /// The system's clock.
    Real,
    /// A clock that moves only when told.
    Fake,
}

/// A Go `time.Duration` string (`8760h`, `1h30m`, `-1h`, `0`), parsed as upstream's flags
/// parse it; range checks come after, with upstream's texts.
fn parse_go_duration(value: &str) -> Result<GoDuration, String> {
    value
        .parse()
        .map_err(|e: kube_sa::serviceaccount::go_duration::GoDurationError| e.to_string())
}

/// Reads the key and CA files named on the command line; errors name the file.
fn service_account_options(args: &ServeArgs) -> anyhow::Result<ServiceAccountOptions> {
    let mut options = ServiceAccountOptions {
        lookup: args.service_account_lookup,
        controllers: args.controllers,
        mode: args.mode,
        ..Default::default()
    };
    options.issuer.issuers = args.service_account_issuer.clone();
    options.issuer.api_audiences = args
        .api_audiences
        .iter()
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .collect();
    options.issuer.extend_token_expiration = args.service_account_extend_token_expiration;
    options.issuer.jwks_uri = args.service_account_jwks_uri.clone();
    // Refused before anything starts, with kube-apiserver's texts.
    options.issuer.max_token_expiration =
        max_token_expiration(args.service_account_max_token_expiration)?;
    options.issuer.validate()?;
    options.legacy_token_clean_up_period =
        validate_clean_up_period(args.legacy_service_account_token_clean_up_period)?;
    if let Some(path) = &args.service_account_signing_key_file {
        options.issuer.signing_key = Some(Arc::new(SigningKey::from_file(path)?));
    }
    if let Some(path) = &args.service_account_private_key_file {
        options.signing_key = Some(Arc::new(SigningKey::from_file(path)?));
    }
    if !args.service_account_key_file.is_empty() {
        options.verification_keys = load_public_key_files(&args.service_account_key_file)?;
    }
    if args.mode == kube_sa::Mode::Bound {
        options
            .issuer
            .validate_key_files(!args.service_account_key_file.is_empty())?;
        for warning in options.issuer.startup_warnings() {
            tracing::warn!("{warning}");
        }
    }
    if let Some(path) = &args.root_ca_file {
        let ca = std::fs::read(path)
            .with_context(|| format!("reading --root-ca-file {}", path.display()))?;
        options.root_ca = Some(ca);
    }
    Ok(options)
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,kube_sa=info")),
        )
        .with_writer(std::io::stderr)
        // Colour only on a terminal: logs sent to a file or a collector stay plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve(*args).await,
            Command::ControllerManager(args) => controller_manager(args).await,
            Command::Webhook(args) => webhook(args).await,
        }
    })
}

fn parse_advertise(value: &str) -> anyhow::Result<(String, Option<u16>)> {
    if let Ok(addr) = value.parse::<SocketAddr>() {
        return Ok((addr.ip().to_string(), Some(addr.port())));
    }
    match value.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => {
            let port = port
                .parse()
                .with_context(|| format!("invalid port in --advertise-address {value:?}"))?;
            Ok((host.to_string(), Some(port)))
        }
        _ => Ok((value.trim_matches(['[', ']']).to_string(), None)),
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let disabled: Vec<String> = args
        .disable_admission_plugins
        .iter()
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .collect();
    // Refused before anything starts, with kube-apiserver's text.
    kube_sa::apiserver::admission::check_disabled_plugins(&disabled, &[])?;
    let encryption = args
        .encryption_provider_config
        .as_deref()
        .map(kube_sa::apiserver::encryption::Encryption::load)
        .transpose()?;
    let options = service_account_options(&args)?;
    // Ready once the API serves and, with in-process controllers, their caches synced.
    let controllers_ready = args.controllers.then(|| options.controllers_synced.clone());
    let serving = kube_sa::health::Readiness::new();
    let _health = args.health.start(serving.clone()).await?;
    let mut builder = kube_sa::apiserver::ApiServer::builder()
        .listen(args.listen)
        .service_accounts(options)
        .disable_admission_plugins(disabled)
        .default_not_ready_toleration_seconds(args.default_not_ready_toleration_seconds)
        .default_unreachable_toleration_seconds(args.default_unreachable_toleration_seconds)
        .limits(args.limits.to_limits()?)
        .fault_injection(args.fault_injection)
        .anonymous_auth(args.anonymous_auth);
    if let Some(dir) = &args.data_dir {
        builder = builder.data_dir(dir);
    }
    if let Some(encryption) = encryption {
        builder = builder.encryption(Arc::new(encryption));
    }
    if args.clock == ClockKind::Fake {
        // Token validity is Kubernetes time but the success cache runs on real time: a
        // cached token would outlive a clock moved past its expiry, so there is no cache.
        builder = builder
            .fake_clock(Arc::new(kube_sa::clock::FakeClock::new(
                jiff::Timestamp::now(),
            )))
            .token_cache_ttl(std::time::Duration::ZERO);
    }
    if let Some(advertise) = &args.advertise_address {
        let (host, port) = parse_advertise(advertise)?;
        builder = builder.advertise(host, port);
    }
    let server = builder
        .start()
        .await
        .context("starting the embedded API server")?;
    if let Some(path) = &args.kubeconfig_out {
        kube_sa::apiserver::kubeconfig::write_atomically(path, server.kubeconfig_yaml())
            .with_context(|| format!("writing kubeconfig to {}", path.display()))?;
    }
    let stop = StopSignals::listen()?;
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "serving {}", server.url())?;
        stdout.flush()?;
    }
    tokio::spawn(async move {
        if let Some(synced) = controllers_ready {
            synced.wait().await;
        }
        serving.set(true);
    });
    stop.recv().await;
    tracing::info!("stopping");
    server.shutdown().await;
    Ok(())
}

/// A client for the cluster a kubeconfig file names or, without one, for the cluster the
/// process runs in (kube's `Config::infer`: `$KUBECONFIG` or `~/.kube/config`,
/// then the in-cluster configuration), as the components run from `deploy/`.
async fn client_from_kubeconfig(
    path: Option<&std::path::Path>,
) -> anyhow::Result<(kube::Client, kube::Config)> {
    let config = match path {
        Some(path) => {
            let kubeconfig = kube::config::Kubeconfig::read_from(path)
                .with_context(|| format!("reading kubeconfig {}", path.display()))?;
            kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
                .await
                .with_context(|| format!("loading kubeconfig {}", path.display()))?
        }
        None => kube::Config::infer()
            .await
            .context("no --kubeconfig given and no in-cluster or default kubeconfig found")?,
    };
    let client = kube::Client::try_from(config.clone()).context("building the client")?;
    Ok((client, config))
}

async fn controller_manager(args: ControllerManagerArgs) -> anyhow::Result<()> {
    // Refused before anything starts, with upstream's text.
    let period = validate_clean_up_period(args.legacy_service_account_token_clean_up_period)?;
    let cleaner = LegacyTokenCleanerOptions::new(period)?;
    let election = args.leader_election.config()?;
    kube_sa::serving::install_default_crypto_provider();
    let key = Arc::new(SigningKey::from_file(
        &args.service_account_private_key_file,
    )?);
    let (client, config) = client_from_kubeconfig(args.kubeconfig.as_deref()).await?;
    let cluster = config.cluster_url.clone();
    let root_ca = match &args.root_ca_file {
        Some(path) => std::fs::read(path)
            .with_context(|| format!("reading --root-ca-file {}", path.display()))?,
        None => config
            .root_cert
            .unwrap_or_default()
            .iter()
            .map(|der| pem::encode(&pem::Pem::new("CERTIFICATE", der.clone())))
            .collect::<String>()
            .into_bytes(),
    };
    let generator = Arc::new(TokenGenerator::legacy_for_mode(args.mode, key));
    let tokens = TokensControllerOptions::new(generator.clone()).root_ca(root_ca.clone());
    let config = ControllersConfig::new(generator)
        .tokens(tokens)
        .mode(args.mode)
        .root_ca_publisher(RootCaPublisherOptions::new(root_ca))
        .legacy_token_cleaner(cleaner);
    // Ready once the controllers' caches have synced; with leader election, a follower
    // is ready too (it serves its probes and waits), a new leader once it has synced.
    let synced = kube_sa::health::Readiness::new();
    let config = config.synced(synced.clone());
    let _health = args.health.start(synced.clone()).await?;
    tracing::info!(cluster = %cluster, mode = %args.mode, "controller-manager running");
    let stop = StopSignals::listen()?.recv();
    let Some(election) = election else {
        kube_sa::controllers::run(client, config, stop).await?;
        return Ok(());
    };
    let lock = ApiLeaseLock::new(
        kube_sa::controllers::user_agent::controller_client(
            &client,
            kube_sa::controllers::user_agent::LEADER_ELECTION,
        ),
        &args.leader_election.leader_elect_resource_namespace,
        &args.leader_election.leader_elect_resource_name,
    );
    tracing::info!(
        identity = %election.identity,
        lock = %args.leader_election.leader_elect_resource_lock,
        lease = %lock.describe(),
        "leader election enabled"
    );
    let mut elector = LeaderElector::new(lock, election)?;
    // `leader_election_master_status`: 1 while this replica leads (its controllers run),
    // 0 before, after and between terms.
    let mut leading = elector.leading();
    let lease_name = args.leader_election.leader_elect_resource_name.clone();
    tokio::spawn(async move {
        loop {
            let now_leading = *leading.borrow_and_update();
            kube_sa::metrics::set_leader_election_master_status(&lease_name, now_leading);
            if leading.changed().await.is_err() {
                return;
            }
        }
    });
    synced.set(true);
    tokio::pin!(stop);
    loop {
        let term = elector
            .run(stop.as_mut(), |stop_leading| {
                synced.set(false);
                kube_sa::controllers::run(client.clone(), config.clone(), stop_leading.wait())
            })
            .await;
        synced.set(true);
        match term {
            Ok(Outcome::NeverLed) => return Ok(()),
            Ok(Outcome::Led(result)) => return Ok(result?),
            // kube-controller-manager exits here to be restarted; the controllers have
            // stopped, so campaigning again in-process is as safe and rides out an API
            // server outage without a restart.
            Err(lost) => tracing::error!(error = %lost, "campaigning again"),
        }
    }
}

async fn webhook(args: WebhookArgs) -> anyhow::Result<()> {
    use kube_sa::admission::webhook_server::{serve, tls_config_from_files, WebhookState};
    kube_sa::serving::install_default_crypto_provider();
    let tls = tls_config_from_files(&args.tls_cert_file, &args.tls_private_key_file)?;
    let (client, _) = client_from_kubeconfig(args.kubeconfig.as_deref()).await?;
    let state = Arc::new(WebhookState {
        lookup: Arc::new(
            kube_sa::admission::client_lookup::ClientAccountLookup::start(client, args.mode),
        ),
        names: Arc::new(kube_sa::names::RandomNames),
        config: kube_sa::admission::Config {
            mode: args.mode,
            ..Default::default()
        },
    });
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let local = listener.local_addr()?;
    // The webhook is ready as soon as it listens; its account cache fills on demand.
    let serving = kube_sa::health::Readiness::new();
    let _health = args.health.start(serving.clone()).await?;
    serving.set(true);
    let stop = StopSignals::listen()?;
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "serving https://{local}")?;
        stdout.flush()?;
    }
    tokio::select! {
        _ = serve(listener, tls, state) => {}
        _ = stop.recv() => {}
    }
    Ok(())
}

/// SIGTERM and SIGINT, listened for from the moment this returns, so that a signal sent
/// right after the process says it is ready is not lost (it would otherwise kill it).
struct StopSignals {
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn listen() -> anyhow::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Self {
            terminate: signal(SignalKind::terminate()).context("listening for SIGTERM")?,
            interrupt: signal(SignalKind::interrupt()).context("listening for SIGINT")?,
        })
    }

    async fn recv(mut self) {
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = self.interrupt.recv() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_go_duration;

    #[test]
    fn duration_flags_take_go_durations_with_gos_errors() {
        for (text, want) in [
            ("0", Ok("0s")),
            ("8760h", Ok("8760h0m0s")),
            ("1h30m", Ok("1h30m0s")),
            ("-1h", Ok("-1h0m0s")),
            ("5", Err(r#"time: missing unit in duration "5""#)),
            ("5d", Err(r#"time: unknown unit "d" in duration "5d""#)),
        ] {
            let got = parse_go_duration(text).map(|d| d.to_string());
            assert_eq!(
                got,
                want.map(str::to_string).map_err(str::to_string),
                "{text:?}"
            );
        }
    }
}
