//! Testcontainers plumbing shared by the backends that run their cluster in containers
//! (`container`, `kind`, `split`): preflight (engine and image), start with a readiness deadline,
//! port mapping, files out of the container, logs for failures, health between scenarios,
//! and removal of everything a run started, also when the run fails or is interrupted.
//!
//! Every container carries the labels [`RUN_LABEL`] (this process's run id) and
//! [`CONTAINER_LABEL`], so that a container whose start was cut short (before testcontainers
//! hands it over) is still found and removed. Networks a run creates (`split`) carry
//! [`RUN_LABEL`] too and are removed after its containers.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use testcontainers::bollard;
use testcontainers::core::ExecCommand;
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, ContainerRequest, GenericImage, ImageExt};
use tokio::io::AsyncBufReadExt;

use crate::failure::Failure;

/// Label with the run id of the harness process that started a container.
pub const RUN_LABEL: &str = "dev.kube-sa.harness.run";
/// Label with the process id that started a container (for people reading `docker ps`).
pub const PID_LABEL: &str = "dev.kube-sa.harness.pid";
/// Label that tells one container of a run from another.
pub const CONTAINER_LABEL: &str = "dev.kube-sa.harness.container";

/// How many log lines a failure shows at most.
pub const LOG_TAIL_LINES: usize = 60;

/// Set once this process has asked Docker for a container, so runs that never touched
/// Docker never talk to it during teardown.
static STARTED_ANY: AtomicBool = AtomicBool::new(false);

/// Whether this process has started a container.
pub fn started_any() -> bool {
    STARTED_ANY.load(Ordering::SeqCst)
}

/// This process's run id (the value of [`RUN_LABEL`]).
pub fn run_id() -> &'static str {
    static RUN_ID: OnceLock<String> = OnceLock::new();
    RUN_ID.get_or_init(kube_sa::names::new_uid)
}

/// The first 12 characters of a container id, as `docker ps` shows it.
pub fn short_id(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// Where testcontainers looks for the engine, for messages.
pub fn docker_host() -> String {
    std::env::var("DOCKER_HOST")
        .ok()
        .filter(|host| !host.is_empty())
        .unwrap_or_else(|| "unix:///var/run/docker.sock".to_string())
}

/// The engine client testcontainers uses.
pub async fn docker_client() -> Result<bollard::Docker, Failure> {
    testcontainers::core::client::docker_client_instance()
        .await
        .map_err(|e| {
            Failure::new(format!(
                "no Docker engine answers at {} (set DOCKER_HOST to reach another one): {e}",
                docker_host()
            ))
        })
}

/// Fails unless a Docker engine answers.
pub async fn require_engine() -> Result<bollard::Docker, Failure> {
    let docker = docker_client().await?;
    docker.ping().await.map_err(|e| {
        Failure::new(format!(
            "no Docker engine answers at {} (set DOCKER_HOST to reach another one): {e}",
            docker_host()
        ))
    })?;
    Ok(docker)
}

/// Fails unless a Docker engine answers and has `image` locally (nothing is pulled);
/// `missing` turns the engine's answer into the message for a missing image.
///
/// The default image (`kube-sa:dev`) must also carry this checkout's source digest
/// ([`super::source_digest`]); another image name is taken as it is.
pub async fn require_image(image: &str, missing: impl Fn(&str) -> String) -> Result<(), Failure> {
    let docker = require_engine().await?;
    match docker.inspect_image(image).await {
        Ok(inspected) if image == crate::cli::DEFAULT_CONTAINER_IMAGE => {
            let label = inspected
                .config
                .and_then(|config| config.labels)
                .and_then(|labels| labels.get(super::source_digest::LABEL).cloned());
            super::source_digest::check(image, label.as_deref()).map_err(Failure::new)
        }
        Ok(_) => Ok(()),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Err(Failure::new(missing("no such image"))),
        Err(e) => Err(Failure::new(missing(&format!("inspecting it failed: {e}")))),
    }
}

/// `repository:tag` split for testcontainers (`kube-sa:dev` → `kube-sa`, `dev`).
pub fn split_image(image: &str) -> Result<(&str, &str), Failure> {
    let without_digest = image.split('@').next().unwrap_or(image);
    match without_digest.rsplit_once(':') {
        Some((repository, tag)) if !tag.contains('/') && !repository.is_empty() => {
            Ok((repository, tag))
        }
        _ => Err(Failure::new(format!(
            "image {image:?} has no tag (expected REPOSITORY:TAG)"
        ))),
    }
}

/// A TCP port on 127.0.0.1 that nothing listens on right now.
pub fn free_local_port() -> Result<u16, Failure> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|e| Failure::new(format!("finding a free local port: {e}")))
}

/// Publishes the request's mapped ports on 127.0.0.1 only: a test cluster is nobody
/// else's business.
pub fn publish_on_loopback(
    request: ContainerRequest<GenericImage>,
) -> ContainerRequest<GenericImage> {
    request.with_host_config_modifier(|host_config| {
        if let Some(bindings) = host_config.port_bindings.as_mut() {
            for binding in bindings.values_mut().flatten().flatten() {
                binding.host_ip = Some("127.0.0.1".to_string());
            }
        }
    })
}

/// When a started container counts as ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    /// As soon as it runs (the caller checks more itself).
    Running,
    /// Once a stdout line contains this text.
    StdoutLine(&'static str),
}

/// A container this run started. Dropping it removes it (testcontainers); [`remove`]
/// does so and reports errors.
///
/// [`remove`]: HarnessContainer::remove
pub struct HarnessContainer {
    container: ContainerAsync<GenericImage>,
    /// What it is, for messages ("kube-sa serve").
    what: String,
    readiness: Readiness,
    /// Log bytes already shown by [`HarnessContainer::new_logs`].
    shown_stdout: AtomicUsize,
    shown_stderr: AtomicUsize,
}

impl std::fmt::Debug for HarnessContainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HarnessContainer")
            .field("what", &self.what)
            .field("id", &self.id())
            .finish_non_exhaustive()
    }
}

impl HarnessContainer {
    /// Starts `request` labelled for this run and waits for `readiness` until `deadline`.
    /// When it does not get ready, the failure carries its state and logs, and it is removed.
    pub async fn start(
        what: &str,
        request: ContainerRequest<GenericImage>,
        readiness: Readiness,
        deadline: Duration,
    ) -> Result<Self, Failure> {
        let container_label = kube_sa::names::new_uid();
        let request = request
            .with_label(RUN_LABEL, run_id())
            .with_label(PID_LABEL, std::process::id().to_string())
            .with_label(CONTAINER_LABEL, container_label.as_str())
            .with_startup_timeout(deadline);
        STARTED_ANY.store(true, Ordering::SeqCst);
        let container = match request.start().await {
            Ok(container) => container,
            Err(e) => {
                // Created but never handed over (e.g. its port was taken): find it by label.
                let _ = remove_labelled(CONTAINER_LABEL, &container_label).await;
                return Err(Failure::new(format!(
                    "starting the {what} container (deadline {:.1} s): {e}",
                    deadline.as_secs_f64()
                )));
            }
        };
        let started = Self {
            container,
            what: what.to_string(),
            readiness,
            shown_stdout: AtomicUsize::new(0),
            shown_stderr: AtomicUsize::new(0),
        };
        if let Err(failure) = started.wait_until_ready(0, deadline).await {
            let _ = started.remove().await;
            return Err(failure);
        }
        Ok(started)
    }

    pub fn id(&self) -> &str {
        self.container.id()
    }

    fn describe(&self) -> String {
        format!("the {} container {}", self.what, short_id(self.id()))
    }

    /// Waits for the `skip + 1`-th readiness line (earlier ones are from earlier starts).
    async fn wait_until_ready(&self, skip: usize, deadline: Duration) -> Result<(), Failure> {
        let Readiness::StdoutLine(marker) = self.readiness else {
            return Ok(());
        };
        let mut lines = self.container.stdout(true).lines();
        let mut seen = 0;
        let waited = tokio::time::timeout(deadline, async {
            loop {
                match lines.next_line().await {
                    Ok(Some(line)) if line.contains(marker) => {
                        seen += 1;
                        if seen > skip {
                            return Ok(());
                        }
                    }
                    Ok(Some(_)) => {}
                    Ok(None) => return Err("its output ended".to_string()),
                    Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                        return Err("its output ended".to_string())
                    }
                    Err(e) => return Err(format!("reading its output failed: {e}")),
                }
            }
        })
        .await;
        let why = match waited {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(why)) => why,
            Err(_) => format!("timed out after {:.1} s", deadline.as_secs_f64()),
        };
        let state = match self.health().await {
            Ok(()) => "it is still running".to_string(),
            Err(failure) => failure.to_string(),
        };
        Err(Failure::new(format!(
            "{} never printed a line containing {marker:?} ({why}; {state})\n{}",
            self.describe(),
            self.logs(LOG_TAIL_LINES).await
        )))
    }

    /// A file's content, copied out of the container.
    pub async fn read_file(&self, path: &str) -> Result<Vec<u8>, Failure> {
        self.container
            .copy_file_from(path, Vec::new())
            .await
            .map_err(|e| Failure::new(format!("{}: copying {path} out: {e}", self.describe())))
    }

    /// Runs `sh -c script` in the container; its stdout, or a failure with its stderr.
    pub async fn exec(&self, script: &str) -> Result<String, Failure> {
        let fail = |e: testcontainers::TestcontainersError| {
            Failure::new(format!("{}: `{script}`: {e}", self.describe()))
        };
        let mut result = self
            .container
            .exec(ExecCommand::new(["sh", "-c", script]))
            .await
            .map_err(fail)?;
        let stdout = result.stdout_to_vec().await.map_err(fail)?;
        let stderr = result.stderr_to_vec().await.map_err(fail)?;
        match result.exit_code().await.map_err(fail)? {
            Some(0) | None => Ok(String::from_utf8_lossy(&stdout).into_owned()),
            Some(code) => Err(Failure::new(format!(
                "{}: `{script}` exited with {code}: {}",
                self.describe(),
                String::from_utf8_lossy(&stderr)
            ))),
        }
    }

    async fn raw_logs(&self) -> (Vec<u8>, Vec<u8>) {
        let stdout = self.container.stdout_to_vec().await;
        let stderr = self.container.stderr_to_vec().await;
        (
            stdout.unwrap_or_else(|e| format!("(reading stdout failed: {e})\n").into_bytes()),
            stderr.unwrap_or_else(|e| format!("(reading stderr failed: {e})\n").into_bytes()),
        )
    }

    /// The last `lines` lines of its stdout and stderr, headed by what they are.
    pub async fn logs(&self, lines: usize) -> String {
        let (stdout, stderr) = self.raw_logs().await;
        format!(
            "── {} (docker logs {}), last {lines} lines ──\nstdout:\n{}stderr:\n{}",
            self.describe(),
            short_id(self.id()),
            tail(&String::from_utf8_lossy(&stdout), lines),
            tail(&String::from_utf8_lossy(&stderr), lines)
        )
    }

    /// Log lines not shown by an earlier call (at most `lines` of each stream), so that a
    /// run with many failures does not repeat the same log.
    pub async fn new_logs(&self, lines: usize) -> String {
        let (stdout, stderr) = self.raw_logs().await;
        let fresh = |bytes: &[u8], shown: &AtomicUsize| {
            let from = shown.swap(bytes.len(), Ordering::SeqCst).min(bytes.len());
            tail(&String::from_utf8_lossy(&bytes[from..]), lines)
        };
        let (stdout, stderr) = (
            fresh(&stdout, &self.shown_stdout),
            fresh(&stderr, &self.shown_stderr),
        );
        if stdout.is_empty() && stderr.is_empty() {
            return format!(
                "── {}: no new log lines since the last failure ──\n",
                self.describe()
            );
        }
        format!(
            "── {} (docker logs {}), new lines (at most {lines}) ──\nstdout:\n{stdout}stderr:\n{stderr}",
            self.describe(),
            short_id(self.id())
        )
    }

    /// Ok while it runs; otherwise a failure that says what happened to it.
    pub async fn health(&self) -> Result<(), Failure> {
        let docker = docker_client().await?;
        let inspected = docker
            .inspect_container(self.id(), None)
            .await
            .map_err(|e| {
                Failure::new(format!(
                    "{} cannot be inspected (removed?): {e}",
                    self.describe()
                ))
            })?;
        let state = inspected.state.unwrap_or_default();
        use bollard::models::ContainerStateStatusEnum as Status;
        match state.status {
            _ if state.paused == Some(true) => Err(Failure::new(format!(
                "{} is paused (`docker unpause {}` resumes it)",
                self.describe(),
                short_id(self.id())
            ))),
            Some(Status::RUNNING) => Ok(()),
            Some(Status::EXITED | Status::DEAD) => {
                let mut why = format!("exit code {}", state.exit_code.unwrap_or(-1));
                if state.oom_killed == Some(true) {
                    why.push_str(", killed for lack of memory");
                }
                if let Some(error) = state.error.filter(|e| !e.is_empty()) {
                    why.push_str(&format!(", {error}"));
                }
                Err(Failure::new(format!(
                    "{} has exited ({why})",
                    self.describe()
                )))
            }
            status => Err(Failure::new(format!(
                "{} is not running (state {})",
                self.describe(),
                status.map_or_else(|| "unknown".to_string(), |s| s.to_string())
            ))),
        }
    }

    /// Removes it (force: also when paused or running).
    pub async fn remove(self) -> Result<(), Failure> {
        let described = self.describe();
        self.container
            .rm()
            .await
            .map_err(|e| Failure::new(format!("removing {described}: {e}")))
    }
}

/// Faults and recovery, driven by the fault tests (`tests/container_faults.rs`).
#[allow(dead_code)]
impl HarnessContainer {
    pub async fn pause(&self) -> Result<(), Failure> {
        self.container
            .pause()
            .await
            .map_err(|e| Failure::new(format!("pausing {}: {e}", self.describe())))
    }

    pub async fn unpause(&self) -> Result<(), Failure> {
        self.container
            .unpause()
            .await
            .map_err(|e| Failure::new(format!("unpausing {}: {e}", self.describe())))
    }

    pub async fn stop(&self) -> Result<(), Failure> {
        self.container
            .stop_with_timeout(Some(5))
            .await
            .map_err(|e| Failure::new(format!("stopping {}: {e}", self.describe())))
    }

    /// Starts it again after a stop and waits for readiness anew.
    pub async fn restart(&self, deadline: Duration) -> Result<(), Failure> {
        let earlier = match self.readiness {
            Readiness::StdoutLine(marker) => {
                let (stdout, _) = self.raw_logs().await;
                String::from_utf8_lossy(&stdout)
                    .lines()
                    .filter(|line| line.contains(marker))
                    .count()
            }
            Readiness::Running => 0,
        };
        self.container
            .start()
            .await
            .map_err(|e| Failure::new(format!("starting {} again: {e}", self.describe())))?;
        self.wait_until_ready(earlier, deadline).await
    }
}

/// What the topology backends (`split`) and their fault tests need of a running container.
#[allow(dead_code)] // not every includer uses every part
impl HarnessContainer {
    async fn inspect(&self) -> Result<bollard::models::ContainerInspectResponse, Failure> {
        docker_client()
            .await?
            .inspect_container(self.id(), None)
            .await
            .map_err(|e| Failure::new(format!("inspecting {}: {e}", self.describe())))
    }

    /// The port of 127.0.0.1 that `container_port` (TCP) is published on now (a port
    /// published as 0 gets a new one at each start).
    pub async fn host_port(&self, container_port: u16) -> Result<u16, Failure> {
        let inspected = self.inspect().await?;
        let key = format!("{container_port}/tcp");
        inspected
            .network_settings
            .and_then(|settings| settings.ports)
            .and_then(|mut ports| ports.remove(&key))
            .flatten()
            .into_iter()
            .flatten()
            .find_map(|binding| binding.host_port.and_then(|port| port.parse().ok()))
            .ok_or_else(|| Failure::new(format!("{} publishes no port for {key}", self.describe())))
    }

    /// Its IPv4 address on Docker network `network`.
    pub async fn network_ip(&self, network: &str) -> Result<String, Failure> {
        let inspected = self.inspect().await?;
        inspected
            .network_settings
            .and_then(|settings| settings.networks)
            .and_then(|mut networks| networks.remove(network))
            .and_then(|endpoint| endpoint.ip_address)
            .filter(|ip| !ip.is_empty())
            .ok_or_else(|| {
                Failure::new(format!(
                    "{} has no address on network {network}",
                    self.describe()
                ))
            })
    }

    /// Its host name inside (Docker's default: the short id), which the
    /// controller-manager's leader identity starts with.
    pub async fn hostname(&self) -> Result<String, Failure> {
        self.inspect()
            .await?
            .config
            .and_then(|config| config.hostname)
            .ok_or_else(|| Failure::new(format!("{} has no host name", self.describe())))
    }

    /// How often the engine restarted it and the host pid of its process: both unchanged
    /// means the same process has run throughout.
    pub async fn restarts_and_pid(&self) -> Result<(i64, i64), Failure> {
        let inspected = self.inspect().await?;
        let pid = inspected.state.and_then(|state| state.pid).unwrap_or(0);
        Ok((inspected.restart_count.unwrap_or(0), pid))
    }

    /// Sends `signal` (`SIGKILL`, `SIGTERM`) to its main process.
    pub async fn kill(&self, signal: &str) -> Result<(), Failure> {
        let options = bollard::query_parameters::KillContainerOptionsBuilder::default()
            .signal(signal)
            .build();
        docker_client()
            .await?
            .kill_container(self.id(), Some(options))
            .await
            .map_err(|e| Failure::new(format!("sending {signal} to {}: {e}", self.describe())))
    }

    /// Joins Docker network `network` under `aliases` (names its other members resolve).
    pub async fn connect_network(&self, network: &str, aliases: &[&str]) -> Result<(), Failure> {
        let request = bollard::models::NetworkConnectRequest {
            container: self.id().to_string(),
            endpoint_config: Some(bollard::models::EndpointSettings {
                aliases: Some(aliases.iter().map(|a| a.to_string()).collect()),
                ..Default::default()
            }),
        };
        docker_client()
            .await?
            .connect_network(network, request)
            .await
            .map_err(|e| {
                Failure::new(format!(
                    "connecting {} to network {network}: {e}",
                    self.describe()
                ))
            })
    }
}

/// Creates a private bridge network labelled for this run (removed with the run's
/// containers by [`remove_run_containers`]).
pub async fn create_run_network(name: &str) -> Result<(), Failure> {
    let docker = require_engine().await?;
    STARTED_ANY.store(true, Ordering::SeqCst);
    let request = bollard::models::NetworkCreateRequest {
        name: name.to_string(),
        driver: Some("bridge".to_string()),
        labels: Some(HashMap::from([
            (RUN_LABEL.to_string(), run_id().to_string()),
            (PID_LABEL.to_string(), std::process::id().to_string()),
        ])),
        ..Default::default()
    };
    docker
        .create_network(request)
        .await
        .map(drop)
        .map_err(|e| Failure::new(format!("creating Docker network {name}: {e}")))
}

/// Removes the networks this run created (after its containers: a network in use stays).
async fn remove_run_networks(docker: &bollard::Docker) -> Result<(), Failure> {
    let filters = HashMap::from([("label", vec![format!("{RUN_LABEL}={}", run_id())])]);
    let options = bollard::query_parameters::ListNetworksOptionsBuilder::new()
        .filters(&filters)
        .build();
    let networks = docker
        .list_networks(Some(options))
        .await
        .map_err(|e| Failure::new(format!("listing this run's networks: {e}")))?;
    let mut problems = Vec::new();
    for name in networks.into_iter().filter_map(|n| n.name) {
        match docker.remove_network(&name).await {
            Ok(())
            | Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => {}
            Err(e) => problems.push(format!("{name}: {e}")),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Failure::new(format!(
            "removing this run's networks failed: {}",
            problems.join("; ")
        )))
    }
}

/// Names of the networks (of this run) that still exist.
#[allow(dead_code)] // used by the fault tests
pub async fn run_networks() -> Result<Vec<String>, Failure> {
    if !STARTED_ANY.load(Ordering::SeqCst) {
        return Ok(Vec::new());
    }
    let docker = docker_client().await?;
    let filters = HashMap::from([("label", vec![format!("{RUN_LABEL}={}", run_id())])]);
    let options = bollard::query_parameters::ListNetworksOptionsBuilder::new()
        .filters(&filters)
        .build();
    let networks = docker
        .list_networks(Some(options))
        .await
        .map_err(|e| Failure::new(format!("listing this run's networks: {e}")))?;
    Ok(networks.into_iter().filter_map(|n| n.name).collect())
}

/// The last `lines` lines of `text`, each ending in a newline.
pub fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    let skip = all.len().saturating_sub(lines);
    all[skip..].iter().map(|line| format!("{line}\n")).collect()
}

async fn labelled(
    docker: &bollard::Docker,
    key: &str,
    value: &str,
) -> Result<Vec<String>, Failure> {
    let filters = HashMap::from([("label", vec![format!("{key}={value}")])]);
    let options = bollard::query_parameters::ListContainersOptionsBuilder::new()
        .all(true)
        .filters(&filters)
        .build();
    let containers = docker
        .list_containers(Some(options))
        .await
        .map_err(|e| Failure::new(format!("listing containers labelled {key}={value}: {e}")))?;
    Ok(containers.into_iter().filter_map(|c| c.id).collect())
}

async fn remove_labelled(key: &str, value: &str) -> Result<Vec<String>, Failure> {
    let docker = docker_client().await?;
    let ids = labelled(&docker, key, value).await?;
    let options = bollard::query_parameters::RemoveContainerOptionsBuilder::new()
        .force(true)
        .v(true)
        .build();
    let mut problems = Vec::new();
    for id in &ids {
        match docker.remove_container(id, Some(options.clone())).await {
            Ok(())
            | Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404 | 409,
                ..
            }) => {}
            Err(e) => problems.push(format!("{}: {e}", short_id(id))),
        }
    }
    if problems.is_empty() {
        Ok(ids)
    } else {
        Err(Failure::new(format!(
            "removing this run's containers failed: {}",
            problems.join("; ")
        )))
    }
}

/// Ids of the containers (running or not) this run started that still exist.
#[allow(dead_code)] // used by the fault tests
pub async fn run_containers() -> Result<Vec<String>, Failure> {
    if !STARTED_ANY.load(Ordering::SeqCst) {
        return Ok(Vec::new());
    }
    labelled(&docker_client().await?, RUN_LABEL, run_id()).await
}

/// Removes every container this run started, then its networks; the container ids it found.
pub async fn remove_run_containers() -> Result<Vec<String>, Failure> {
    if !STARTED_ANY.load(Ordering::SeqCst) {
        return Ok(Vec::new());
    }
    let removed = remove_labelled(RUN_LABEL, run_id()).await?;
    remove_run_networks(&docker_client().await?).await?;
    Ok(removed)
}

/// What ends a run early: SIGINT (Ctrl-C), SIGTERM, SIGHUP, or the parent process going
/// away (`cargo test` killed on its own leaves the runner orphaned).
pub struct Interrupt {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
    hangup: tokio::signal::unix::Signal,
    parent: u32,
}

impl Interrupt {
    /// Starts listening; from now on these signals no longer kill the process at once.
    pub fn listen() -> Result<Self, Failure> {
        use tokio::signal::unix::{signal, SignalKind};
        let listen = |kind: SignalKind| {
            signal(kind).map_err(|e| Failure::new(format!("listening for signals: {e}")))
        };
        Ok(Self {
            interrupt: listen(SignalKind::interrupt())?,
            terminate: listen(SignalKind::terminate())?,
            hangup: listen(SignalKind::hangup())?,
            parent: std::os::unix::process::parent_id(),
        })
    }

    /// Resolves when the run should stop, saying why. Cancel-safe: signals that arrive
    /// while nobody waits are kept for the next call.
    pub async fn wait(&mut self) -> String {
        let mut ticks = tokio::time::interval(Duration::from_millis(250));
        loop {
            tokio::select! {
                _ = self.interrupt.recv() => return "SIGINT".to_string(),
                _ = self.terminate.recv() => return "SIGTERM".to_string(),
                _ = self.hangup.recv() => return "SIGHUP".to_string(),
                _ = ticks.tick() => {
                    // A parent of 1 at start means there was never one to lose.
                    if self.parent != 1 && std::os::unix::process::parent_id() != self.parent {
                        return format!("the parent process {} exited", self.parent);
                    }
                }
            }
        }
    }
}
