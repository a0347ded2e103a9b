//! The election's state machine against an in-memory Lease, on short real durations: who
//! leads, when leadership passes, and that a leader's work has stopped before another's
//! starts.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use tokio::sync::{broadcast, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::*;

const LEASE: Duration = Duration::from_secs(2);
const RENEW: Duration = Duration::from_secs(1);
const RETRY: Duration = Duration::from_millis(200);

/// One Lease with resourceVersions, shared by every candidate's [`FakeLock`]; candidates
/// marked unreachable get errors, as behind a network partition. Every write is also
/// sent to the watches.
struct FakeStore {
    state: Mutex<StoreState>,
    writes: broadcast::Sender<Lease>,
}

impl Default for FakeStore {
    fn default() -> Self {
        Self {
            state: Mutex::default(),
            writes: broadcast::channel(64).0,
        }
    }
}

#[derive(Default)]
struct StoreState {
    lease: Option<Lease>,
    version: u64,
    unreachable: Vec<String>,
    /// Watches are refused (as by a Role without the `watch` verb).
    watch_refused: bool,
    /// Every record written, and by whom.
    history: Vec<(String, LeaseSpec)>,
}

impl FakeStore {
    fn lock(self: &Arc<Self>, who: &str) -> FakeLock {
        FakeLock {
            store: Arc::clone(self),
            who: who.to_string(),
        }
    }

    fn spec(&self) -> LeaseSpec {
        let state = self.state.lock().expect("store");
        state
            .lease
            .as_ref()
            .and_then(|l| l.spec.clone())
            .unwrap_or_default()
    }

    fn holder(&self) -> String {
        self.spec().holder_identity.unwrap_or_default()
    }

    fn set_unreachable(&self, who: &str) {
        self.state
            .lock()
            .expect("store")
            .unreachable
            .push(who.to_string());
    }

    /// Someone else (an administrator, a rogue candidate) writes the Lease.
    fn overwrite_holder(&self, holder: &str) {
        let mut state = self.state.lock().expect("store");
        state.version += 1;
        let version = state.version.to_string();
        if let Some(lease) = state.lease.as_mut() {
            lease.metadata.resource_version = Some(version);
            if let Some(spec) = lease.spec.as_mut() {
                spec.holder_identity = Some(holder.to_string());
            }
            let _ = self.writes.send(lease.clone());
        }
    }

    fn last_write_by(&self, who: &str) -> LeaseSpec {
        let state = self.state.lock().expect("store");
        state
            .history
            .iter()
            .rev()
            .find(|(writer, _)| writer == who)
            .map(|(_, spec)| spec.clone())
            .unwrap_or_default()
    }

    fn refuse_watches(&self) {
        self.state.lock().expect("store").watch_refused = true;
    }

    fn is_unreachable(&self, who: &str) -> bool {
        let state = self.state.lock().expect("store");
        state.unreachable.iter().any(|w| w == who)
    }
}

fn version_of(lease: &Lease) -> u64 {
    lease
        .metadata
        .resource_version
        .as_deref()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

struct FakeLock {
    store: Arc<FakeStore>,
    who: String,
}

impl FakeLock {
    fn with_state<T>(
        &self,
        f: impl FnOnce(&mut StoreState) -> Result<T, LockError>,
    ) -> Result<T, LockError> {
        let mut state = self.store.state.lock().expect("store");
        if state.unreachable.contains(&self.who) {
            return Err(LockError::Other("connection refused".into()));
        }
        f(&mut state)
    }
}

impl LeaseLock for FakeLock {
    async fn get(&self) -> Result<Option<Lease>, LockError> {
        self.with_state(|state| Ok(state.lease.clone()))
    }

    async fn create(&self, spec: LeaseSpec) -> Result<Lease, LockError> {
        self.with_state(|state| {
            if state.lease.is_some() {
                return Err(LockError::AlreadyExists("lease".into()));
            }
            state.version += 1;
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some("kube-sa-controller-manager".into()),
                    namespace: Some("kube-system".into()),
                    resource_version: Some(state.version.to_string()),
                    ..Default::default()
                },
                spec: Some(spec),
            };
            state.lease = Some(lease.clone());
            let spec = lease.spec.clone().unwrap_or_default();
            state.history.push((self.who.clone(), spec));
            Ok(lease)
        })
        .inspect(|lease| {
            let _ = self.store.writes.send(lease.clone());
        })
    }

    async fn update(&self, mut lease: Lease) -> Result<Lease, LockError> {
        self.with_state(|state| {
            let current = state
                .lease
                .as_ref()
                .and_then(|l| l.metadata.resource_version.clone());
            if current.is_none() || current != lease.metadata.resource_version {
                return Err(LockError::Conflict("lease".into()));
            }
            state.version += 1;
            lease.metadata.resource_version = Some(state.version.to_string());
            state.lease = Some(lease.clone());
            let spec = lease.spec.clone().unwrap_or_default();
            state.history.push((self.who.clone(), spec));
            Ok(lease)
        })
        .inspect(|lease| {
            let _ = self.store.writes.send(lease.clone());
        })
    }

    /// Writes after `resource_version`, until the candidate becomes unreachable.
    async fn watch(&self, resource_version: &str) -> Result<LeaseChanges, LockError> {
        let after: u64 = resource_version.parse().unwrap_or(0);
        let writes = self.store.writes.subscribe();
        let missed = self.with_state(|state| {
            if state.watch_refused {
                return Err(LockError::Other("watch is forbidden".into()));
            }
            Ok(state.lease.clone().filter(|l| version_of(l) > after))
        })?;
        let store = Arc::clone(&self.store);
        let who = self.who.clone();
        let live = futures::stream::unfold(writes, |mut writes| async move {
            loop {
                match writes.recv().await {
                    Ok(lease) => return Some((lease, writes)),
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        });
        let changes = futures::stream::iter(missed)
            .chain(live)
            .filter(move |lease| std::future::ready(version_of(lease) > after))
            .take_while(move |_| std::future::ready(!store.is_unreachable(&who)))
            .map(|lease| Ok(Some(lease)));
        Ok(changes.boxed())
    }

    fn describe(&self) -> String {
        "kube-system/kube-sa-controller-manager".into()
    }
}

/// One entry of a [`Timeline`]: who, `start` or `stop`, when.
type Event = (String, &'static str, Instant);

/// When each candidate's work started and stopped.
#[derive(Default, Clone)]
struct Timeline(Arc<Mutex<Vec<Event>>>);

impl Timeline {
    fn record(&self, who: &str, what: &'static str) {
        self.0
            .lock()
            .expect("timeline")
            .push((who.to_string(), what, Instant::now()));
    }

    fn at(&self, who: &str, what: &str) -> Option<Instant> {
        self.0
            .lock()
            .expect("timeline")
            .iter()
            .find(|(w, e, _)| w == who && *e == what)
            .map(|(_, _, at)| *at)
    }

    fn started(&self) -> Vec<String> {
        self.0
            .lock()
            .expect("timeline")
            .iter()
            .filter(|(_, e, _)| *e == "start")
            .map(|(w, _, _)| w.clone())
            .collect()
    }
}

fn config(identity: &str) -> LeaderElectionConfig {
    LeaderElectionConfig {
        lease_duration: LEASE,
        renew_deadline: RENEW,
        retry_period: RETRY,
        identity: identity.to_string(),
        release_on_cancel: true,
    }
}

/// A retry period long against the lease duration, as kube-controller-manager's 2 s
/// against 15 s is against its renew deadline: polling alone would take over late.
const SLOW_RETRY: Duration = Duration::from_millis(600);

fn slow_retry_config(identity: &str) -> LeaderElectionConfig {
    LeaderElectionConfig {
        renew_deadline: Duration::from_millis(1500),
        retry_period: SLOW_RETRY,
        ..config(identity)
    }
}

struct Candidate {
    stop: Option<oneshot::Sender<()>>,
    leading: watch::Receiver<bool>,
    task: JoinHandle<Result<Outcome<()>, LeaderElectionError>>,
}

/// A candidate whose work records its start and stop and runs until told to stop.
fn candidate(store: &Arc<FakeStore>, who: &str, timeline: &Timeline) -> Candidate {
    candidate_with(store, timeline, config(who))
}

fn candidate_with(
    store: &Arc<FakeStore>,
    timeline: &Timeline,
    config: LeaderElectionConfig,
) -> Candidate {
    let who = config.identity.clone();
    let mut elector = LeaderElector::new(store.lock(&who), config).expect("valid config");
    let leading = elector.leading();
    let (stop, stopped) = oneshot::channel();
    let timeline = timeline.clone();
    let who = who.to_string();
    let task = tokio::spawn(async move {
        elector
            .run(
                async move {
                    let _ = stopped.await;
                },
                move |stop_leading| async move {
                    timeline.record(&who, "start");
                    stop_leading.wait().await;
                    timeline.record(&who, "stop");
                },
            )
            .await
    });
    Candidate {
        stop: Some(stop),
        leading,
        task,
    }
}

/// Waits (on the paused clock) until `check` holds, failing after `limit`.
async fn within(limit: Duration, what: &str, mut check: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() <= limit, "not within {limit:?}: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    start.elapsed()
}

#[test]
fn configurations_are_refused_with_client_gos_texts() {
    type Change = fn(&mut LeaderElectionConfig);
    let cases: Vec<(Change, Option<&str>)> = vec![
        (|_| {}, None),
        (
            |c| c.renew_deadline = c.lease_duration,
            Some("leaseDuration must be greater than renewDeadline"),
        ),
        (
            |c| c.retry_period = Duration::from_millis(900),
            Some("renewDeadline must be greater than retryPeriod*JitterFactor"),
        ),
        (
            |c| c.retry_period = Duration::ZERO,
            Some("retryPeriod must be greater than zero"),
        ),
        (
            |c| {
                c.lease_duration = Duration::from_secs(15);
                c.renew_deadline = Duration::from_secs(10);
                c.retry_period = Duration::from_secs(2);
            },
            None,
        ),
        (|c| c.identity.clear(), Some("Lock identity is empty")),
    ];
    for (change, want) in cases {
        let mut c = config("a");
        change(&mut c);
        let got = c.validate().err().map(|e| e.to_string());
        assert_eq!(got.as_deref(), want, "{c:?}");
    }
    assert_eq!(
        validate_resource("kube-system", "").map_err(|e| e.to_string()),
        Err("leaderElection.resourceName: Required value".to_string())
    );
    assert_eq!(validate_resource("kube-system", "x"), Ok(()));
}

#[test]
fn the_identity_is_the_host_name_and_a_uuid() {
    let identity = default_identity().expect("identity");
    let (host, id) = identity.rsplit_once('_').expect("host_uuid");
    assert!(!host.is_empty());
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{identity}");
    assert_ne!(default_identity().expect("identity"), identity);
}

#[tokio::test]
async fn of_two_candidates_exactly_one_leads_and_keeps_the_lease() {
    let store = Arc::new(FakeStore::default());
    let timeline = Timeline::default();
    let a = candidate(&store, "a", &timeline);
    let b = candidate(&store, "b", &timeline);
    within(RETRY * 3, "a leader", || !store.holder().is_empty()).await;
    // Many lease durations later the same one leads, renewing.
    tokio::time::sleep(LEASE * 3).await;
    let leader = store.holder();
    assert_eq!(timeline.started(), vec![leader.clone()]);
    assert_eq!(*a.leading.borrow(), leader == "a");
    assert_eq!(*b.leading.borrow(), leader == "b");
    let spec = store.spec();
    assert_eq!(spec.lease_duration_seconds, Some(2));
    assert_eq!(spec.lease_transitions, Some(0));
    assert!(spec.renew_time.expect("renewTime").0 >= spec.acquire_time.expect("acquireTime").0);
}

#[tokio::test]
async fn a_killed_leader_is_replaced_within_the_lease_duration() {
    let store = Arc::new(FakeStore::default());
    let timeline = Timeline::default();
    let a = candidate(&store, "a", &timeline);
    within(RETRY, "a leads", || store.holder() == "a").await;
    let b = candidate(&store, "b", &timeline);
    tokio::time::sleep(LEASE * 2).await;
    assert_eq!(
        store.holder(),
        "a",
        "a follower waits while the leader renews"
    );
    assert!(!*b.leading.borrow());
    // SIGKILL: no release; the Lease lapses.
    a.task.abort();
    let took = within(LEASE + RETRY * 3, "b takes over", || store.holder() == "b").await;
    assert!(
        took >= LEASE - RENEW,
        "not before the lease could lapse: {took:?}"
    );
    assert!(*b.leading.borrow());
    assert_eq!(store.spec().lease_transitions, Some(1));
}

#[tokio::test]
async fn a_watching_follower_takes_a_killed_leaders_lease_as_it_lapses() {
    let store = Arc::new(FakeStore::default());
    let timeline = Timeline::default();
    let a = candidate_with(&store, &timeline, slow_retry_config("a"));
    within(SLOW_RETRY, "a leads", || store.holder() == "a").await;
    let b = candidate_with(&store, &timeline, slow_retry_config("b"));
    tokio::time::sleep(LEASE * 2).await;
    assert_eq!(store.holder(), "a");
    // SIGKILL right after a renewal, with no release. b saw the renewal through its watch
    // as it was written and takes over one lease duration later; polling alone would
    // have seen it at b's next read, 0.6 to 1.3 s late.
    let mut writes = store.writes.subscribe();
    while writes
        .recv()
        .await
        .ok()
        .and_then(|l| l.spec?.holder_identity)
        != Some("a".into())
    {}
    a.task.abort();
    let took = within(LEASE * 2, "b takes over", || store.holder() == "b").await;
    assert!(
        took >= LEASE - Duration::from_millis(100),
        "not before the lease lapsed: {took:?}"
    );
    assert!(
        took <= LEASE + Duration::from_millis(150),
        "within the lease duration of a's last renewal: {took:?}"
    );
    assert!(*b.leading.borrow());
}

#[tokio::test]
async fn a_watching_follower_takes_a_released_lease_at_once() {
    let store = Arc::new(FakeStore::default());
    let timeline = Timeline::default();
    let mut a = candidate_with(&store, &timeline, slow_retry_config("a"));
    within(SLOW_RETRY, "a leads", || store.holder() == "a").await;
    let _b = candidate_with(&store, &timeline, slow_retry_config("b"));
    tokio::time::sleep(LEASE).await;
    let _ = a.stop.take().expect("stop").send(());
    assert_eq!(a.task.await.expect("joins"), Ok(Outcome::Led(())));
    let took = within(SLOW_RETRY * 3, "b takes over", || store.holder() == "b").await;
    assert!(
        took <= Duration::from_millis(150),
        "not a retry period later: {took:?}"
    );
    assert!(timeline.at("a", "stop") <= timeline.at("b", "start"));
}

#[tokio::test]
async fn where_watches_are_refused_a_polling_follower_still_takes_over() {
    let store = Arc::new(FakeStore::default());
    store.refuse_watches();
    let timeline = Timeline::default();
    let a = candidate_with(&store, &timeline, slow_retry_config("a"));
    within(SLOW_RETRY, "a leads", || store.holder() == "a").await;
    let b = candidate_with(&store, &timeline, slow_retry_config("b"));
    tokio::time::sleep(LEASE * 2).await;
    assert_eq!(store.holder(), "a");
    a.task.abort();
    // Last renewal seen up to one jittered retry late, the lapse noticed up to another.
    let polls = SLOW_RETRY.mul_f64(1.0 + JITTER_FACTOR) * 2;
    let took = within(LEASE + polls, "b takes over", || store.holder() == "b").await;
    assert!(
        took >= LEASE - SLOW_RETRY,
        "not before the lease lapsed: {took:?}"
    );
    assert!(*b.leading.borrow());
}

#[tokio::test]
async fn a_graceful_stop_stops_the_work_then_releases_the_lease() {
    let store = Arc::new(FakeStore::default());
    let timeline = Timeline::default();
    let mut a = candidate(&store, "a", &timeline);
    within(RETRY, "a leads", || store.holder() == "a").await;
    let b = candidate(&store, "b", &timeline);
    tokio::time::sleep(LEASE).await;
    let _ = a.stop.take().expect("stop").send(());
    let outcome = a.task.await.expect("joins");
    assert_eq!(outcome, Ok(Outcome::Led(())));
    // a's last write is the release (b, watching, may already have taken the Lease).
    let released = store.last_write_by("a");
    assert_eq!(released.holder_identity.as_deref(), Some(""));
    assert_eq!(released.lease_duration_seconds, Some(1));
    assert!(!*a.leading.borrow());
    // The successor starts at once, not a lease duration later.
    within(RETRY * 3, "b takes over at once", || store.holder() == "b").await;
    assert!(timeline.at("a", "stop") <= timeline.at("b", "start"));
    assert!(*b.leading.borrow());
}

#[tokio::test]
async fn a_leader_that_cannot_renew_stops_before_another_may_lead() {
    let store = Arc::new(FakeStore::default());
    let timeline = Timeline::default();
    let a = candidate(&store, "a", &timeline);
    within(RETRY, "a leads", || store.holder() == "a").await;
    let _b = candidate(&store, "b", &timeline);
    tokio::time::sleep(LEASE).await;
    store.set_unreachable("a");
    let outcome = a.task.await.expect("joins");
    assert!(
        matches!(&outcome, Err(LeaderElectionError::Lost(why)) if why.contains("renew deadline")),
        "{outcome:?}"
    );
    within(LEASE + RETRY * 3, "b takes over", || store.holder() == "b").await;
    let a_stopped = timeline.at("a", "stop").expect("a's work stopped");
    let b_started = timeline.at("b", "start").expect("b's work started");
    assert!(a_stopped < b_started, "no two writers");
    assert!(!*a.leading.borrow());
}

#[tokio::test]
async fn a_leader_that_finds_another_holder_stops_at_once() {
    let store = Arc::new(FakeStore::default());
    let timeline = Timeline::default();
    let a = candidate(&store, "a", &timeline);
    within(RETRY, "a leads", || store.holder() == "a").await;
    store.overwrite_holder("intruder");
    let stopped_after = within(RETRY * 2, "a stops", || timeline.at("a", "stop").is_some()).await;
    assert!(stopped_after < RENEW, "{stopped_after:?}");
    let outcome = a.task.await.expect("joins");
    assert!(
        matches!(&outcome, Err(LeaderElectionError::Lost(why)) if why.contains("intruder")),
        "{outcome:?}"
    );
    assert_eq!(store.holder(), "intruder", "the Lease is not released");
}

#[tokio::test]
async fn a_candidate_stopped_before_leading_leaves_the_lease_alone() {
    let store = Arc::new(FakeStore::default());
    let timeline = Timeline::default();
    let _a = candidate(&store, "a", &timeline);
    within(RETRY, "a leads", || store.holder() == "a").await;
    let mut b = candidate(&store, "b", &timeline);
    tokio::time::sleep(RETRY * 3).await;
    let before = store.spec().lease_transitions;
    let _ = b.stop.take().expect("stop").send(());
    assert_eq!(b.task.await.expect("joins"), Ok(Outcome::NeverLed));
    assert_eq!(store.holder(), "a");
    assert_eq!(store.spec().lease_transitions, before);
    assert_eq!(timeline.started(), vec!["a".to_string()]);
}

#[tokio::test]
async fn work_that_ends_by_itself_releases_the_lease() {
    let store = Arc::new(FakeStore::default());
    let mut elector = LeaderElector::new(store.lock("a"), config("a")).expect("valid");
    let outcome = elector
        .run(std::future::pending(), |_stop| async {
            tokio::time::sleep(LEASE).await;
            7
        })
        .await;
    assert_eq!(outcome, Ok(Outcome::Led(7)));
    assert_eq!(store.holder(), "");
}

#[tokio::test]
async fn after_a_loss_the_elector_campaigns_again_and_leads_once_reachable() {
    let store = Arc::new(FakeStore::default());
    let mut elector = LeaderElector::new(store.lock("a"), config("a")).expect("valid");
    let leading = elector.leading();
    let stop_after_outage = {
        let store = Arc::clone(&store);
        async move {
            tokio::time::sleep(RETRY).await;
            store.set_unreachable("a");
        }
    };
    let first = elector
        .run(std::future::pending(), |stop| async move {
            stop_after_outage.await;
            stop.wait().await;
        })
        .await;
    assert!(
        matches!(first, Err(LeaderElectionError::Lost(_))),
        "{first:?}"
    );
    assert!(!*leading.borrow());
    // The API answers again; nobody else took the Lease: the same elector leads again.
    store.state.lock().expect("store").unreachable.clear();
    let (stop, stopped) = oneshot::channel::<()>();
    let again = tokio::spawn(async move {
        elector
            .run(
                async move {
                    let _ = stopped.await;
                },
                |stop| stop.wait(),
            )
            .await
    });
    within(RETRY * 3, "a leads again", || *leading.borrow()).await;
    assert_eq!(store.holder(), "a");
    let _ = stop.send(());
    assert_eq!(again.await.expect("joins"), Ok(Outcome::Led(())));
    assert_eq!(store.holder(), "");
}
