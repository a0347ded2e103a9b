//! Leader election over a `coordination.k8s.io/v1` Lease, as client-go's
//! `tools/leaderelection` (`leaderelection.go`, `resourcelock/leaselock.go`) does it for
//! kube-controller-manager: so that of several `kube-sa controller-manager` replicas only
//! one runs the controllers.
//!
//! * Candidates try to acquire the Lease every retry period (jittered by
//!   [`JITTER_FACTOR`]); a Lease another holds counts as free once a full lease duration
//!   has passed, on the candidate's own monotonic clock, without its record changing. The
//!   record's timestamps are written but never trusted, so clock skew between hosts does
//!   not matter.
//! * Between attempts a candidate also watches the Lease (client-go only polls): it sees
//!   each renewal as it is written and tries again the moment the lease lapses or is
//!   released, so a killed leader is replaced one lease duration after its last renewal
//!   rather than up to two jittered retry periods later. Where the watch is refused or
//!   fails, polling alone goes on as before.
//! * Every write is an update carrying the resourceVersion last read, so two candidates
//!   racing for a free Lease meet a 409 Conflict and only one wins.
//! * The leader renews every retry period. If it has not renewed within the renew deadline,
//!   counted from the start of its last successful renewal (client-go counts from the start
//!   of the failing round, which can be a retry period later), or it reads another holder in
//!   the Lease, leadership is lost: its work is told to stop at once. Since the renew
//!   deadline is shorter than the lease duration, the work stops before any other candidate
//!   may take the Lease.
//! * On a graceful stop (SIGTERM) the work is stopped first, then the Lease released
//!   (client-go's `ReleaseOnCancel`: an empty holder and `leaseDurationSeconds: 1`), so a
//!   successor takes over on its next retry instead of after a lease duration.
//!
//! Lease timing is real (monotonic) time, as upstream's is: the fake Kubernetes clock of
//! [`crate::clock`] does not govern it; tests use durations of a second or two.
//!
//! No crate fits: kube-runtime 5 has no leader election; `kube-leader-election` is built on
//! kube 4; `kube-lease-manager` (kube 5) writes by server-side apply with whole-second
//! durations and a grace period instead of client-go's renew deadline and retry period, and
//! does not stop the holder's work before its lease can lapse.

use std::future::Future;
use std::time::Duration;

use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};

use jiff::Timestamp;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::api::{PostParams, WatchEvent, WatchParams};
use kube::Api;
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::{debug, error, info, warn};

/// client-go's `JitterFactor`: acquisition retries wait the retry period plus up to 1.2
/// times it again, and the renew deadline must exceed the retry period by this factor.
pub const JITTER_FACTOR: f64 = 1.2;

/// kube-controller-manager's `--leader-elect-lease-duration` default.
pub const DEFAULT_LEASE_DURATION: Duration = Duration::from_secs(15);
/// kube-controller-manager's `--leader-elect-renew-deadline` default.
pub const DEFAULT_RENEW_DEADLINE: Duration = Duration::from_secs(10);
/// kube-controller-manager's `--leader-elect-retry-period` default.
pub const DEFAULT_RETRY_PERIOD: Duration = Duration::from_secs(2);
/// `--leader-elect-resource-namespace` default, as kube-controller-manager's.
pub const DEFAULT_RESOURCE_NAMESPACE: &str = "kube-system";
/// `--leader-elect-resource-name` default: ours, so that kube-sa never contends with a
/// kube-controller-manager (whose Lease is `kube-controller-manager`) on the same cluster.
pub const DEFAULT_RESOURCE_NAME: &str = "kube-sa-controller-manager";

/// Refused configurations, with client-go's texts (`NewLeaderElector`) and
/// component-base's for empty names; and the ways an election ends in failure.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LeaderElectionError {
    /// The lease duration is not longer than the renew deadline.
    #[error("leaseDuration must be greater than renewDeadline")]
    LeaseNotLongerThanRenewDeadline,
    /// The renew deadline leaves no room for a jittered retry.
    #[error("renewDeadline must be greater than retryPeriod*JitterFactor")]
    RenewDeadlineTooShort,
    /// A zero lease duration.
    #[error("leaseDuration must be greater than zero")]
    ZeroLeaseDuration,
    /// A zero renew deadline.
    #[error("renewDeadline must be greater than zero")]
    ZeroRenewDeadline,
    /// A zero retry period.
    #[error("retryPeriod must be greater than zero")]
    ZeroRetryPeriod,
    /// An empty holder identity.
    #[error("Lock identity is empty")]
    EmptyIdentity,
    /// An empty Lease name or namespace (`resourceName`, `resourceNamespace`).
    #[error("leaderElection.{0}: Required value")]
    Required(&'static str),
    /// The leader could not renew within the renew deadline, or found the Lease taken:
    /// its work has been stopped (kube-controller-manager exits with "leaderelection lost";
    /// `kube-sa controller-manager` campaigns again).
    #[error("leaderelection lost: {0}")]
    Lost(String),
}

/// What a Lease read or write can fail with.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// 409 Conflict: the Lease changed since it was read.
    #[error("the object has been modified: {0}")]
    Conflict(String),
    /// 409 AlreadyExists: another candidate created the Lease first.
    #[error("the Lease already exists: {0}")]
    AlreadyExists(String),
    /// Any other failure (network, authorization, server errors).
    #[error(transparent)]
    Kube(#[from] kube::Error),
    /// A failure of a test double.
    #[error("{0}")]
    Other(String),
}

impl LockError {
    /// Sorts a kube error into conflict, already-exists or other.
    fn from_kube(error: kube::Error) -> Self {
        match &error {
            kube::Error::Api(status) if status.code == 409 => {
                if status.reason == "AlreadyExists" {
                    Self::AlreadyExists(status.message.clone())
                } else {
                    Self::Conflict(status.message.clone())
                }
            }
            _ => Self::Kube(error),
        }
    }
}

/// Where the election record lives: client-go's `resourcelock.Interface` for Leases.
/// Writes carry the resourceVersion of the Lease given to them.
pub trait LeaseLock: Send + Sync {
    /// The Lease, or `None` when it does not exist.
    fn get(&self) -> impl Future<Output = Result<Option<Lease>, LockError>> + Send;
    /// Creates the Lease with `spec`.
    fn create(&self, spec: LeaseSpec) -> impl Future<Output = Result<Lease, LockError>> + Send;
    /// Replaces `lease` (its resourceVersion guards the write).
    fn update(&self, lease: Lease) -> impl Future<Output = Result<Lease, LockError>> + Send;
    /// The Lease's changes after `resource_version`, as they are written: `Some(lease)` for
    /// a write, `None` for a deletion. The stream ends (or yields an error) when the watch
    /// does; the elector then polls until its next attempt.
    fn watch(
        &self,
        resource_version: &str,
    ) -> impl Future<Output = Result<LeaseChanges, LockError>> + Send;
    /// `namespace/name`, for logs.
    fn describe(&self) -> String;
}

/// What [`LeaseLock::watch`] yields: each write of the Lease (`None`: it was deleted).
pub type LeaseChanges = BoxStream<'static, Result<Option<Lease>, LockError>>;

/// Server-side timeout of one Lease watch, in seconds: a bound on how long a watch can
/// hang unnoticed; the elector opens another at its next attempt.
const WATCH_TIMEOUT_SECONDS: u32 = 60;

/// A Lease through the API: `Api<Lease>` in the Lease's namespace.
#[derive(Clone)]
pub struct ApiLeaseLock {
    api: Api<Lease>,
    namespace: String,
    name: String,
}

impl ApiLeaseLock {
    /// The Lease `namespace/name` of the cluster `client` talks to.
    pub fn new(client: kube::Client, namespace: &str, name: &str) -> Self {
        Self {
            api: Api::namespaced(client, namespace),
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }
}

impl LeaseLock for ApiLeaseLock {
    async fn get(&self) -> Result<Option<Lease>, LockError> {
        self.api
            .get_opt(&self.name)
            .await
            .map_err(LockError::from_kube)
    }

    async fn create(&self, spec: LeaseSpec) -> Result<Lease, LockError> {
        let lease = Lease {
            metadata: ObjectMeta {
                name: Some(self.name.clone()),
                namespace: Some(self.namespace.clone()),
                ..Default::default()
            },
            spec: Some(spec),
        };
        self.api
            .create(&PostParams::default(), &lease)
            .await
            .map_err(LockError::from_kube)
    }

    async fn update(&self, lease: Lease) -> Result<Lease, LockError> {
        self.api
            .replace(&self.name, &PostParams::default(), &lease)
            .await
            .map_err(LockError::from_kube)
    }

    /// A watch with `fieldSelector=metadata.name=<name>`, which RBAC authorizes as a watch
    /// of that one Lease (a Role's `resourceNames` covers it).
    async fn watch(&self, resource_version: &str) -> Result<LeaseChanges, LockError> {
        let params = WatchParams::default()
            .fields(&format!("metadata.name={}", self.name))
            .timeout(WATCH_TIMEOUT_SECONDS);
        let events = self
            .api
            .watch(&params, resource_version)
            .await
            .map_err(LockError::from_kube)?;
        let changes = events
            .map_err(LockError::from_kube)
            .try_filter_map(|event| async move {
                match event {
                    WatchEvent::Added(lease) | WatchEvent::Modified(lease) => Ok(Some(Some(lease))),
                    WatchEvent::Deleted(_) => Ok(Some(None)),
                    WatchEvent::Bookmark(_) => Ok(None),
                    WatchEvent::Error(status) => Err(LockError::Kube(kube::Error::Api(status))),
                }
            });
        Ok(changes.boxed())
    }

    fn describe(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// The election's timing and identity (kube-controller-manager's `--leader-elect-*` flags).
#[derive(Clone, Debug)]
pub struct LeaderElectionConfig {
    /// How long a candidate waits, after last seeing the record change, before taking the
    /// Lease; written to the Lease in whole seconds.
    pub lease_duration: Duration,
    /// How long the leader keeps retrying a renewal before it gives up leading.
    pub renew_deadline: Duration,
    /// The wait between acquisition or renewal attempts.
    pub retry_period: Duration,
    /// This candidate's `holderIdentity` (see [`default_identity`]).
    pub identity: String,
    /// Release the Lease when stopped gracefully, after the work has stopped.
    pub release_on_cancel: bool,
}

impl LeaderElectionConfig {
    /// The defaults of kube-controller-manager, releasing on a graceful stop.
    pub fn new(identity: impl Into<String>) -> Self {
        Self {
            lease_duration: DEFAULT_LEASE_DURATION,
            renew_deadline: DEFAULT_RENEW_DEADLINE,
            retry_period: DEFAULT_RETRY_PERIOD,
            identity: identity.into(),
            release_on_cancel: true,
        }
    }

    /// client-go's `NewLeaderElector` checks, in its order.
    ///
    /// # Errors
    /// The first rule broken.
    pub fn validate(&self) -> Result<(), LeaderElectionError> {
        if self.lease_duration <= self.renew_deadline {
            return Err(LeaderElectionError::LeaseNotLongerThanRenewDeadline);
        }
        if self.renew_deadline <= self.retry_period.mul_f64(JITTER_FACTOR) {
            return Err(LeaderElectionError::RenewDeadlineTooShort);
        }
        if self.lease_duration.is_zero() {
            return Err(LeaderElectionError::ZeroLeaseDuration);
        }
        if self.renew_deadline.is_zero() {
            return Err(LeaderElectionError::ZeroRenewDeadline);
        }
        if self.retry_period.is_zero() {
            return Err(LeaderElectionError::ZeroRetryPeriod);
        }
        if self.identity.is_empty() {
            return Err(LeaderElectionError::EmptyIdentity);
        }
        Ok(())
    }
}

/// Checks the Lease's name and namespace are given (component-base's
/// `ValidateLeaderElectionConfiguration`).
///
/// # Errors
/// [`LeaderElectionError::Required`] naming the empty field.
pub fn validate_resource(namespace: &str, name: &str) -> Result<(), LeaderElectionError> {
    if namespace.is_empty() {
        return Err(LeaderElectionError::Required("resourceNamespace"));
    }
    if name.is_empty() {
        return Err(LeaderElectionError::Required("resourceName"));
    }
    Ok(())
}

/// kube-controller-manager's identity: `<hostname>_<random UUID>`, unique per process.
///
/// # Errors
/// The host name cannot be read or is not UTF-8.
pub fn default_identity() -> std::io::Result<String> {
    let host = hostname::get()?
        .into_string()
        .map_err(|_| std::io::Error::other("the host name is not UTF-8"))?;
    Ok(format!("{host}_{}", crate::names::new_uid()))
}

/// How a leading term ended, when it ended without losing the Lease.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome<T> {
    /// Stopped before ever leading.
    NeverLed,
    /// Led; the work returned this (after a stop, or by itself).
    Led(T),
}

/// Why one acquire-or-renew attempt did not take the Lease.
#[derive(Debug)]
enum Refusal {
    /// Another candidate holds it and it has not expired.
    HeldBy(String),
    /// The API refused or failed.
    Failed(LockError),
}

/// One candidate: client-go's `LeaderElector`.
pub struct LeaderElector<L> {
    lock: L,
    config: LeaderElectionConfig,
    /// The Lease as last read or written: its resourceVersion guards the next write.
    lease: Option<Lease>,
    /// The record last seen, and when (monotonic) it was seen to change.
    observed: LeaseSpec,
    observed_at: Instant,
    /// The holder last logged, so that each new leader is logged once.
    reported_leader: String,
    leading: watch::Sender<bool>,
}

impl<L: LeaseLock> LeaderElector<L> {
    /// A candidate for `lock` with `config`.
    ///
    /// # Errors
    /// The configuration breaks one of [`LeaderElectionConfig::validate`]'s rules.
    pub fn new(lock: L, config: LeaderElectionConfig) -> Result<Self, LeaderElectionError> {
        config.validate()?;
        Ok(Self {
            lock,
            config,
            lease: None,
            observed: LeaseSpec::default(),
            observed_at: Instant::now(),
            reported_leader: String::new(),
            leading: watch::Sender::new(false),
        })
    }

    /// Whether this candidate leads, now and as it changes: true from acquiring the Lease
    /// until its work is told to stop (`leader_election_master_status` follows it).
    pub fn leading(&self) -> watch::Receiver<bool> {
        self.leading.subscribe()
    }

    /// Campaigns until this candidate leads, then runs `work` while renewing the Lease.
    /// `work` gets a future that completes when it must stop writing: on `stop`, or when
    /// leadership is lost; it should return promptly then. After a loss the elector may
    /// run again: it campaigns anew with what it last saw of the Lease.
    ///
    /// # Errors
    /// [`LeaderElectionError::Lost`] once leadership was lost and `work` has returned.
    pub async fn run<W, Fut, T>(
        &mut self,
        stop: impl Future<Output = ()>,
        work: W,
    ) -> Result<Outcome<T>, LeaderElectionError>
    where
        W: FnOnce(StopLeading) -> Fut,
        Fut: Future<Output = T>,
    {
        tokio::pin!(stop);
        tokio::select! {
            () = self.acquire() => {}
            () = &mut stop => return Ok(Outcome::NeverLed),
        }
        let (stop_work, stop_rx) = watch::channel(false);
        let work = work(StopLeading(stop_rx));
        tokio::pin!(work);
        enum End<T> {
            Returned(T),
            Lost(LeaderElectionError),
            Stopped,
        }
        let end = tokio::select! {
            output = &mut work => End::Returned(output),
            lost = self.renew() => End::Lost(lost),
            () = &mut stop => End::Stopped,
        };
        match end {
            End::Returned(output) => {
                self.leading.send_replace(false);
                self.release().await;
                Ok(Outcome::Led(output))
            }
            End::Lost(lost) => {
                self.leading.send_replace(false);
                let _ = stop_work.send(true);
                work.await;
                Err(lost)
            }
            End::Stopped => {
                self.leading.send_replace(false);
                let _ = stop_work.send(true);
                // Renewing while the work winds down keeps the Lease ours until it has.
                let output = tokio::select! {
                    output = &mut work => output,
                    lost = self.renew() => {
                        warn!(error = %lost, "stopping");
                        let output = work.await;
                        return Ok(Outcome::Led(output));
                    }
                };
                self.release().await;
                Ok(Outcome::Led(output))
            }
        }
    }

    /// Tries at once, then every jittered retry period or as soon as the watched Lease
    /// lapses or is released, until the Lease is ours.
    async fn acquire(&mut self) {
        let description = self.lock.describe();
        info!(lease = %description, "attempting to acquire leader lease");
        let mut changes = None;
        loop {
            let attempt = self.try_acquire_or_renew().await;
            self.maybe_report_transition();
            match attempt {
                Ok(()) => {
                    info!(lease = %description, identity = %self.config.identity, "successfully acquired lease");
                    self.leading.send_replace(true);
                    return;
                }
                Err(Refusal::HeldBy(_)) => {}
                Err(Refusal::Failed(error)) => {
                    warn!(lease = %description, %error, "failed to acquire lease");
                }
            }
            self.wait_to_retry(&mut changes).await;
        }
    }

    /// Waits a jittered retry period, or less: until the Lease another holds lapses, or it
    /// is released or deleted, as the watch `changes` shows (opened here when there is
    /// none; every change it shows restarts the lapse count, as a read would).
    async fn wait_to_retry(&mut self, changes: &mut Option<LeaseChanges>) {
        let retry_at = Instant::now() + jittered(self.config.retry_period);
        if changes.is_none() {
            *changes = self.open_watch().await;
        }
        loop {
            let wake = self.lapses_at().map_or(retry_at, |at| at.min(retry_at));
            let Some(stream) = changes.as_mut() else {
                tokio::time::sleep_until(wake).await;
                return;
            };
            let change = tokio::select! {
                () = tokio::time::sleep_until(wake) => return,
                change = stream.next() => change,
            };
            match change {
                Some(Ok(Some(lease))) => {
                    self.observe(lease, Instant::now());
                    self.maybe_report_transition();
                    if self
                        .observed
                        .holder_identity
                        .as_deref()
                        .unwrap_or_default()
                        .is_empty()
                    {
                        return; // released: free now
                    }
                }
                Some(Ok(None)) => {
                    self.lease = None;
                    return; // deleted: create it
                }
                Some(Err(error)) => {
                    debug!(lease = %self.lock.describe(), %error, "lease watch ended");
                    *changes = None;
                }
                None => *changes = None,
            }
        }
    }

    /// A watch from the Lease last read, or `None` when there is nothing to watch from or
    /// the watch is refused (polling goes on alone).
    async fn open_watch(&self) -> Option<LeaseChanges> {
        let version = self.lease.as_ref()?.metadata.resource_version.clone()?;
        match self.lock.watch(&version).await {
            Ok(changes) => Some(changes),
            Err(error) => {
                debug!(lease = %self.lock.describe(), %error, "cannot watch the lease; polling");
                None
            }
        }
    }

    /// When the Lease another candidate holds lapses on this candidate's clock; `None`
    /// when it is free or ours.
    fn lapses_at(&self) -> Option<Instant> {
        let holder = self.observed.holder_identity.as_deref().unwrap_or_default();
        (!holder.is_empty() && !self.is_leader()).then(|| self.expires_at())
    }

    /// Renews every retry period; returns once the renew deadline has passed since the
    /// last successful renewal began, or another holder is found.
    async fn renew(&mut self) -> LeaderElectionError {
        let description = self.lock.describe();
        loop {
            let deadline = self.observed_at + self.config.renew_deadline;
            let next = Instant::now() + self.config.retry_period;
            tokio::time::sleep_until(next.min(deadline)).await;
            if Instant::now() >= deadline {
                return self.lost(&description, "renew deadline passed");
            }
            match tokio::time::timeout_at(deadline, self.try_acquire_or_renew()).await {
                Ok(Ok(())) => {}
                Ok(Err(Refusal::HeldBy(holder))) => {
                    self.maybe_report_transition();
                    return self.lost(&description, &format!("lease is held by {holder}"));
                }
                Ok(Err(Refusal::Failed(error))) => {
                    warn!(lease = %description, %error, "failed to renew lease");
                }
                Err(_) => return self.lost(&description, "renew deadline passed"),
            }
        }
    }

    fn lost(&self, description: &str, why: &str) -> LeaderElectionError {
        error!(lease = %description, reason = why, "failed to renew lease; stopping the controllers");
        LeaderElectionError::Lost(format!("{description}: {why}"))
    }

    /// client-go's `tryAcquireOrRenew`: the leader's optimistic update on its last Lease,
    /// else read, check the holder and expiry, and update (or create).
    async fn try_acquire_or_renew(&mut self) -> Result<(), Refusal> {
        let started = Instant::now();
        let now = MicroTime(Timestamp::now());
        let mut record = LeaseSpec {
            holder_identity: Some(self.config.identity.clone()),
            lease_duration_seconds: Some(whole_seconds(self.config.lease_duration)),
            acquire_time: Some(now.clone()),
            renew_time: Some(now),
            lease_transitions: Some(0),
            ..Default::default()
        };

        // The fast path: the leader writes over the Lease it last wrote.
        if self.is_leader() && self.lease_valid(started) {
            if let Some(mut lease) = self.lease.clone() {
                record.acquire_time = self.observed.acquire_time.clone();
                record.lease_transitions = self.observed.lease_transitions;
                lease.spec = Some(record.clone());
                match self.lock.update(lease).await {
                    Ok(written) => {
                        self.set_observed(written, started);
                        return Ok(());
                    }
                    Err(error) => {
                        warn!(%error, "failed to update lock optimistically, falling back to slow path");
                    }
                }
            }
        }

        let Some(mut current) = self.lock.get().await.map_err(Refusal::Failed)? else {
            let created = self.lock.create(record).await.map_err(Refusal::Failed)?;
            self.set_observed(created, started);
            return Ok(());
        };
        let spec = current.spec.clone().unwrap_or_default();
        self.observe(current.clone(), Instant::now());
        let holder = spec.holder_identity.clone().unwrap_or_default();
        if !holder.is_empty() && !self.is_leader() && self.lease_valid(Instant::now()) {
            return Err(Refusal::HeldBy(holder));
        }
        if self.is_leader() {
            record.acquire_time = spec.acquire_time.clone();
            record.lease_transitions = spec.lease_transitions;
        } else {
            record.lease_transitions = Some(spec.lease_transitions.unwrap_or(0).saturating_add(1));
        }
        current.spec = Some(record);
        let written = self.lock.update(current).await.map_err(Refusal::Failed)?;
        self.set_observed(written, started);
        Ok(())
    }

    /// client-go's `release`: an empty holder and a one-second lease, so that the next
    /// candidate takes over on its next try.
    async fn release(&mut self) {
        if !self.config.release_on_cancel || !self.is_leader() {
            return;
        }
        let Some(mut lease) = self.lease.clone() else {
            return;
        };
        let now = MicroTime(Timestamp::now());
        lease.spec = Some(LeaseSpec {
            holder_identity: Some(String::new()),
            lease_duration_seconds: Some(1),
            acquire_time: Some(now.clone()),
            renew_time: Some(now),
            lease_transitions: self.observed.lease_transitions,
            ..Default::default()
        });
        match self.lock.update(lease).await {
            Ok(written) => {
                info!(lease = %self.lock.describe(), "released lease");
                self.set_observed(written, Instant::now());
            }
            Err(error) => error!(lease = %self.lock.describe(), %error, "failed to release lock"),
        }
    }

    /// Takes in a Lease read or watched: a changed record restarts the lapse count at `at`.
    fn observe(&mut self, lease: Lease, at: Instant) {
        let spec = lease.spec.clone().unwrap_or_default();
        if spec != self.observed {
            self.observed = spec;
            self.observed_at = at;
        }
        self.lease = Some(lease);
    }

    fn set_observed(&mut self, lease: Lease, at: Instant) {
        self.observed = lease.spec.clone().unwrap_or_default();
        self.observed_at = at;
        self.lease = Some(lease);
    }

    fn is_leader(&self) -> bool {
        self.observed.holder_identity.as_deref() == Some(self.config.identity.as_str())
    }

    /// Whether the observed record is still in force at `now`, on this candidate's clock.
    fn lease_valid(&self, now: Instant) -> bool {
        self.expires_at() > now
    }

    /// The end of the observed record's lease duration, counted from when it was seen.
    fn expires_at(&self) -> Instant {
        let seconds = self.observed.lease_duration_seconds.unwrap_or(0).max(0);
        self.observed_at + Duration::from_secs(u64::try_from(seconds).unwrap_or(0))
    }

    fn maybe_report_transition(&mut self) {
        let holder = self.observed.holder_identity.clone().unwrap_or_default();
        if holder != self.reported_leader {
            if !holder.is_empty() {
                info!(lease = %self.lock.describe(), leader = %holder, "new leader elected");
            }
            self.reported_leader = holder;
        }
    }
}

/// Completes when the leader's work must stop writing.
pub struct StopLeading(watch::Receiver<bool>);

impl StopLeading {
    /// Waits for the stop.
    pub async fn wait(mut self) {
        // An error means the elector is gone: stop too.
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}

/// `--leader-elect-lease-duration` as the Lease's whole seconds, as client-go truncates it.
fn whole_seconds(duration: Duration) -> i32 {
    i32::try_from(duration.as_secs()).unwrap_or(i32::MAX)
}

/// `wait.Jitter(period, JitterFactor)`: the period plus up to `JITTER_FACTOR` times it.
fn jittered(period: Duration) -> Duration {
    period + period.mul_f64(JITTER_FACTOR * rand::random::<f64>())
}

#[cfg(test)]
mod tests;
