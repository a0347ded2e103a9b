//! Where scenarios run: a fresh in-process cluster each (`embedded`), or one shared
//! cluster with a namespace per scenario (`kubeconfig`, `kind`, `container`, `split`).

pub mod container;
pub mod docker;
pub mod embedded;
pub mod kind;
pub mod kubeconfig;
pub mod source_digest;
pub mod split;
pub mod webhook;

use std::sync::Arc;

use kube_sa::apiserver::ApiServer;
use kube_sa::serviceaccount::PublicKey;

use crate::cli::HarnessCli;
use crate::failure::Failure;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendKind {
    Embedded,
    Kubeconfig,
    Kind,
    Container,
    Webhook,
    Split,
}

impl BackendKind {
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Embedded => "embedded",
            BackendKind::Kubeconfig => "kubeconfig",
            BackendKind::Kind => "kind",
            BackendKind::Container => "container",
            BackendKind::Webhook => "webhook",
            BackendKind::Split => "split",
        }
    }
}

/// Scenario tag: run on an embedded cluster without the token and service-account controllers.
pub const WITHOUT_CONTROLLERS_TAG: &str = "without-controllers";

/// Scenario tag: needs the embedded backend for another reason (e.g. its signing key).
pub const EMBEDDED_ONLY_TAG: &str = "embedded-only";

/// Scenario tag: a step needs the cluster's service-account verification keys (to forge a
/// token from them), which a kubeconfig cluster has only with `--service-account-key-file`.
pub const CLUSTER_KEY_TAG: &str = "cluster-key";

/// Scenario tag prefix for ServiceAccount admission plugin switches (embedded only):
/// `@admission:require-api-token=false`, `@admission:mount-service-account-token=false`,
/// `@admission:limit-secret-references=true`.
pub const ADMISSION_TAG_PREFIX: &str = "admission:";

pub use crate::modes::BOUND_TAG;

/// Scenario tag: moves Kubernetes time ("When 2 days pass"), so it needs a cluster on a
/// fake clock (embedded, container, or a kubeconfig cluster that serves `/debug/clock`).
/// Such scenarios should also be `@serial`: a shared cluster's clock moves for everyone.
pub const FAKE_CLOCK_TAG: &str = "fake-clock";

/// What one scenario asks of its cluster (from its tags).
#[derive(Debug, Clone, Copy, Default)]
pub struct ScenarioOptions {
    /// `@bound`: the cluster runs in bound mode; otherwise legacy. Untagged scenarios are
    /// run once in each mode, with the mode's tag added ([`crate::modes`]).
    pub mode: kube_sa::Mode,
    /// The scenario runs in both modes (it has no mode tag of its own).
    pub both_modes: bool,
    /// `@fake-clock`: the scenario moves the cluster's clock.
    pub fake_clock: bool,
    pub without_controllers: bool,
    pub embedded_only: bool,
    /// `@cluster-key`: a step needs the cluster's verification keys.
    pub cluster_key: bool,
    /// Plugin switches that differ from the defaults.
    pub admission: Option<kube_sa::admission::serviceaccount::Config>,
}

impl ScenarioOptions {
    /// Reads the scenario's tags; an unknown `@admission:` switch is an error.
    pub fn from_tags<'a>(tags: impl IntoIterator<Item = &'a String>) -> Result<Self, Failure> {
        let mut options = Self::default();
        for tag in tags {
            // The last mode tag decides: the mode expansion puts the copy's own last.
            if tag == BOUND_TAG {
                options.mode = kube_sa::Mode::Bound;
            } else if tag == crate::modes::LEGACY_TAG {
                options.mode = kube_sa::Mode::Legacy;
            } else if tag == crate::modes::BOTH_MODES_TAG {
                options.both_modes = true;
            } else if tag == FAKE_CLOCK_TAG {
                options.fake_clock = true;
            } else if tag == WITHOUT_CONTROLLERS_TAG {
                options.without_controllers = true;
            } else if tag == EMBEDDED_ONLY_TAG {
                options.embedded_only = true;
            } else if tag == CLUSTER_KEY_TAG {
                options.cluster_key = true;
            } else if let Some(reserved) = tag.strip_prefix(crate::modes::RESERVED_TAG_PREFIX) {
                return Err(Failure::new(format!(
                    "@{reserved} is the harness's own tag, for the runs it leaves out; a scenario may not carry it (a step that matches no definition must fail)"
                )));
            } else if let Some(switch) = tag.strip_prefix(ADMISSION_TAG_PREFIX) {
                let config = options.admission.get_or_insert_with(Default::default);
                let (key, value) = switch.split_once('=').unwrap_or((switch, ""));
                let value = match value {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(Failure::new(format!(
                            "@{tag}: the value must be true or false"
                        )))
                    }
                };
                match key {
                    "require-api-token" => config.require_api_token = value,
                    "mount-service-account-token" => config.mount_service_account_token = value,
                    "limit-secret-references" => config.limit_secret_references = value,
                    _ => {
                        return Err(Failure::new(format!(
                            "@{tag}: unknown admission switch; known: require-api-token, mount-service-account-token, limit-secret-references"
                        )))
                    }
                }
            }
        }
        Ok(options)
    }
}

/// What a shared cluster lacks for a scenario, by the tag that asks for it; the run's
/// summary counts and names the scenarios left out for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Unsupported {
    /// `@without-controllers`: a cluster of its own without the controllers.
    WithoutControllers,
    /// `@embedded-only`: the embedded server's own parts (its store, its flags).
    EmbeddedOnly,
    /// `@admission:...`: plugin switches other than the cluster's.
    AdmissionSwitches,
    /// `@legacy` or `@bound`: no cluster of the run is in that mode.
    Mode,
    /// `@fake-clock`: a clock that `POST /debug/clock` moves.
    MovableClock,
    /// `@cluster-key`: the cluster's verification keys.
    ClusterKey,
}

impl Unsupported {
    /// Why, in the words of the run's summary.
    pub fn describe(self) -> String {
        match self {
            Unsupported::WithoutControllers => {
                format!("@{WITHOUT_CONTROLLERS_TAG} (a cluster of their own without the controllers)")
            }
            Unsupported::EmbeddedOnly => {
                format!("@{EMBEDDED_ONLY_TAG} (the embedded server's own parts)")
            }
            Unsupported::AdmissionSwitches => format!(
                "@{ADMISSION_TAG_PREFIX}... (admission plugin switches other than the cluster's)"
            ),
            Unsupported::Mode => "a mode no cluster of this run is in".to_string(),
            Unsupported::MovableClock => format!(
                "@{FAKE_CLOCK_TAG} (a clock the harness can move: `kube-sa serve --clock=fake`)"
            ),
            Unsupported::ClusterKey => format!(
                "@{CLUSTER_KEY_TAG} (the cluster's token verification keys: --service-account-key-file)"
            ),
        }
    }
}

/// What a backend can run ([`Backend::support`]): anything, for a cluster per scenario;
/// for shared clusters, what each of them offers.
#[derive(Debug, Clone)]
pub enum Support {
    /// A cluster of the scenario's own, configured as its tags ask.
    Any,
    /// Shared clusters, one per mode.
    Shared(Vec<SharedSupport>),
}

/// What one shared cluster offers.
#[derive(Debug, Clone, Copy)]
pub struct SharedSupport {
    pub mode: kube_sa::Mode,
    pub movable_clock: bool,
    /// The harness knows the cluster's token verification keys.
    pub cluster_key: bool,
}

impl Support {
    /// Whether a scenario with these options can run here (needs and mode), and if not,
    /// the first need the backend does not meet.
    pub fn supports(&self, options: &ScenarioOptions) -> Result<(), Unsupported> {
        let Support::Shared(clusters) = self else {
            return Ok(());
        };
        if options.without_controllers {
            return Err(Unsupported::WithoutControllers);
        }
        if options.embedded_only {
            return Err(Unsupported::EmbeddedOnly);
        }
        if options.admission.is_some() {
            return Err(Unsupported::AdmissionSwitches);
        }
        let in_mode: Vec<&SharedSupport> =
            clusters.iter().filter(|c| c.mode == options.mode).collect();
        if in_mode.is_empty() {
            return Err(Unsupported::Mode);
        }
        if options.fake_clock && !in_mode.iter().any(|c| c.movable_clock) {
            return Err(Unsupported::MovableClock);
        }
        if options.cluster_key && !in_mode.iter().any(|c| c.cluster_key) {
            return Err(Unsupported::ClusterKey);
        }
        Ok(())
    }
}

/// A cluster shared by every scenario of the run (of one mode).
pub struct SharedCluster {
    /// The service-account mode the cluster runs in.
    pub mode: kube_sa::Mode,
    /// The cluster runs on a fake clock that `POST /debug/clock` moves.
    pub movable_clock: bool,
    pub config: kube::Config,
    pub client: kube::Client,
    pub public_keys: Vec<PublicKey>,
    /// The container that runs the cluster (`container`, `kind`): checked before each
    /// scenario, its logs shown when one fails.
    pub container: Option<Arc<docker::HarnessContainer>>,
    /// The containers of the cluster's other components (`split`): checked and shown as
    /// the cluster's container is.
    pub components: Vec<Arc<docker::HarnessContainer>>,
    /// What the API server puts before a ServiceAccount denial ([`ScenarioCluster`]).
    pub denial_prefix: Option<&'static str>,
    /// Keeps whatever else the cluster needs (processes, files) alive for the run.
    pub _keep_alive: Option<Box<dyn std::any::Any + Send + Sync>>,
}

/// The backend of the whole run.
pub enum Backend {
    Embedded,
    /// Embedded, with `kube-sa webhook` in place of the built-in ServiceAccount plugin.
    Webhook,
    /// One shared cluster per mode of the run.
    Shared {
        kind: BackendKind,
        clusters: Vec<SharedCluster>,
    },
}

impl Backend {
    /// Prepares the backend; fails fast (before any scenario) when it cannot work. A
    /// kubeconfig cluster runs the one mode `--mode` states; the container backend starts
    /// a `kube-sa serve --mode=<m>` container for each mode of the run, the split backend
    /// a whole topology ([`split::Topology`]) for each; kind runs legacy.
    pub async fn prepare(cli: &HarnessCli) -> Result<Self, Failure> {
        match cli.cluster() {
            BackendKind::Embedded => Ok(Backend::Embedded),
            BackendKind::Webhook => Ok(Backend::Webhook),
            BackendKind::Kubeconfig => {
                let mode = cli.mode.single().ok_or_else(|| {
                    Failure::new(
                        "--cluster kubeconfig needs --mode legacy or --mode bound: the mode the cluster runs in",
                    )
                })?;
                Ok(Backend::Shared {
                    kind: BackendKind::Kubeconfig,
                    clusters: vec![kubeconfig::connect(cli, mode).await?],
                })
            }
            BackendKind::Kind => Ok(Backend::Shared {
                kind: BackendKind::Kind,
                clusters: vec![kind::start(cli).await?],
            }),
            BackendKind::Container => {
                let mut clusters = Vec::new();
                for mode in cli.mode.modes() {
                    clusters.push(container::start(cli, *mode).await?);
                }
                Ok(Backend::Shared {
                    kind: BackendKind::Container,
                    clusters,
                })
            }
            BackendKind::Split => {
                let mut clusters = Vec::new();
                for mode in cli.mode.modes() {
                    clusters.push(split::start(cli, *mode).await?);
                }
                Ok(Backend::Shared {
                    kind: BackendKind::Split,
                    clusters,
                })
            }
        }
    }

    /// The modes scenarios run in here: the shared clusters' modes; those of `--mode`
    /// for the embedded backends (a cluster per scenario, in its mode).
    pub fn modes(&self, requested: crate::modes::RunModes) -> Vec<kube_sa::Mode> {
        match self {
            Backend::Embedded | Backend::Webhook => requested.modes().to_vec(),
            Backend::Shared { clusters, .. } => clusters.iter().map(|c| c.mode).collect(),
        }
    }

    /// Whether scenarios share one cluster (so a `@serial` one must run alone: its clock
    /// moves for all of them). On the embedded backends each scenario has a cluster and a
    /// clock of its own, and `@serial` scenarios run beside the others.
    pub fn shares_clusters(&self) -> bool {
        matches!(self, Backend::Shared { .. })
    }

    pub fn kind(&self) -> BackendKind {
        match self {
            Backend::Embedded => BackendKind::Embedded,
            Backend::Webhook => BackendKind::Webhook,
            Backend::Shared { kind, .. } => *kind,
        }
    }

    /// What scenarios this backend can run, as a value the feature parser can hold.
    pub fn support(&self) -> Support {
        match self {
            Backend::Embedded | Backend::Webhook => Support::Any,
            Backend::Shared { clusters, .. } => Support::Shared(
                clusters
                    .iter()
                    .map(|c| SharedSupport {
                        mode: c.mode,
                        movable_clock: c.movable_clock,
                        cluster_key: !c.public_keys.is_empty(),
                    })
                    .collect(),
            ),
        }
    }

    pub async fn scenario_cluster(
        &self,
        options: ScenarioOptions,
    ) -> Result<ScenarioCluster, Failure> {
        match self {
            Backend::Embedded => embedded::start(options).await,
            Backend::Webhook => webhook::start(options).await,
            Backend::Shared { clusters, .. } => {
                let cluster = clusters
                    .iter()
                    .find(|c| c.mode == options.mode)
                    .ok_or_else(|| {
                        Failure::new(format!("no shared cluster runs in {} mode", options.mode))
                    })?;
                // A stopped or paused cluster container fails the scenario at once, saying so.
                for container in cluster.container.iter().chain(&cluster.components) {
                    container.health().await.map_err(|failure| {
                        failure.context("the cluster's container cannot serve this scenario")
                    })?;
                }
                Ok(ScenarioCluster {
                    client: cluster.client.clone(),
                    config: cluster.config.clone(),
                    server: None,
                    public_keys: cluster.public_keys.clone(),
                    unique_namespaces: true,
                    denial_prefix: cluster.denial_prefix,
                    _keep_alive: None,
                })
            }
        }
    }

    /// What a failed scenario shows about the cluster's container: its log lines since the
    /// last failure and its state. `None` when no container runs the cluster.
    pub async fn failure_logs(&self) -> Option<String> {
        let Backend::Shared { clusters, .. } = self else {
            return None;
        };
        let mut logs = Vec::new();
        for cluster in clusters {
            for container in cluster.container.iter().chain(&cluster.components) {
                let state = match container.health().await {
                    Ok(()) => "it is running".to_string(),
                    Err(failure) => failure.to_string(),
                };
                logs.push(format!(
                    "{}(state: {state}, {} mode)",
                    container.new_logs(docker::LOG_TAIL_LINES).await,
                    cluster.mode
                ));
            }
        }
        (!logs.is_empty()).then(|| logs.join("\n"))
    }
}

/// One scenario's view of its cluster.
pub struct ScenarioCluster {
    pub client: kube::Client,
    /// For clients with other credentials (token authentication).
    pub config: kube::Config,
    /// The in-process server (embedded backend only).
    pub server: Option<ApiServer>,
    /// Keys that verify service-account tokens, when known.
    pub public_keys: Vec<PublicKey>,
    /// Shared clusters get `<logical>-<random>` namespaces.
    pub unique_namespaces: bool,
    /// Taken off the front of refusal messages before they are compared: what the API
    /// server puts before a ServiceAccount denial that comes from a webhook.
    pub denial_prefix: Option<&'static str>,
    /// Whatever else the scenario's cluster needs alive (the webhook server).
    pub _keep_alive: Option<Box<dyn std::any::Any + Send + Sync>>,
}

/// Five characters from the Kubernetes suffix alphabet.
pub fn random_suffix() -> String {
    use rand::Rng;
    let alphabet = crate::matching::SUFFIX_ALPHABET.as_bytes();
    let mut rng = rand::rng();
    (0..crate::matching::SUFFIX_LENGTH)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
        .collect()
}

/// A kube config from kubeconfig YAML.
pub async fn config_from_kubeconfig_yaml(yaml: &str) -> Result<kube::Config, Failure> {
    let kubeconfig: kube::config::Kubeconfig =
        serde_yaml::from_str(yaml).map_err(|e| Failure::new(format!("parsing kubeconfig: {e}")))?;
    kube::Config::from_custom_kubeconfig(kubeconfig, &kube::config::KubeConfigOptions::default())
        .await
        .map_err(|e| Failure::new(format!("loading kubeconfig: {e}")))
}
