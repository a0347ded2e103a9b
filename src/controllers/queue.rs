//! A rate-limited work queue with client-go's semantics (`workqueue.RateLimitingInterface`
//! with `DefaultControllerRateLimiter`).
//!
//! * A key added while it is already queued (and not yet handed out) is stored once.
//! * A key being processed is never handed to a second worker: if it is added meanwhile,
//!   it is queued again when the first worker calls [`WorkQueue::done`].
//! * [`WorkQueue::add_rate_limited`] waits the maximum of a per-key exponential backoff
//!   (5 ms doubling up to 1000 s) and a shared 10 qps / burst 100 token bucket.
//! * [`WorkQueue::forget`] resets a key's backoff; [`WorkQueue::num_requeues`] reads it.
//!
//! A queue made with [`WorkQueue::named`] exports client-go's `workqueue_*` metrics under
//! its name (see [`crate::metrics`]); unnamed queues export none, as in client-go.
//!
//! Unlike client-go, [`WorkQueue::shut_down`] stops handing out keys at once (queued keys
//! are dropped), so controllers stop promptly.
//!
//! ```
//! # async fn example() {
//! use kube_sa::controllers::queue::WorkQueue;
//! let queue = WorkQueue::new();
//! queue.add("ns/a".to_string());
//! queue.add("ns/a".to_string()); // de-duplicated
//! let key = queue.get().await.expect("not shut down");
//! // ... sync `key`; on failure: queue.add_rate_limited(key.clone());
//! queue.forget(&key);
//! queue.done(&key);
//! # }
//! ```

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use prometheus::{Histogram, IntCounter, IntGauge};
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::metrics::InFlight;
use crate::rate::TokenBucket;

/// How [`WorkQueue::add_rate_limited`] spaces out retries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimiterConfig {
    /// Backoff after a key's first failure; it doubles with each further failure.
    pub base_delay: Duration,
    /// Upper bound of the per-key backoff.
    pub max_delay: Duration,
    /// Sustained rate of the shared token bucket, in keys per second.
    pub qps: f64,
    /// Size of the shared token bucket.
    pub burst: u32,
}

impl Default for RateLimiterConfig {
    /// client-go's `DefaultControllerRateLimiter`: 5 ms → 1000 s, 10 qps, burst 100.
    fn default() -> Self {
        Self {
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_secs(1000),
            qps: 10.0,
            burst: 100,
        }
    }
}

/// The maximum of a per-key exponential backoff and a shared token bucket.
#[derive(Debug)]
pub struct RateLimiter<K> {
    config: RateLimiterConfig,
    failures: HashMap<K, u32>,
    bucket: TokenBucket,
}

impl<K: Eq + Hash + Clone> RateLimiter<K> {
    /// A limiter with no failures recorded and a full bucket.
    pub fn new(config: RateLimiterConfig) -> Self {
        Self {
            bucket: TokenBucket::new(config.qps, config.burst),
            config,
            failures: HashMap::new(),
        }
    }

    /// How long `key` must wait before its next attempt; counts one more failure for it.
    pub fn when(&mut self, key: &K, now: Instant) -> Duration {
        let backoff = self.next_backoff(key);
        let throttle = self.bucket.reserve(now);
        backoff.max(throttle)
    }

    fn next_backoff(&mut self, key: &K) -> Duration {
        let failures = self.failures.entry(key.clone()).or_insert(0);
        let exponent = *failures;
        *failures = failures.saturating_add(1);
        let max = self.config.max_delay;
        // 5 ms is about 2^23 ns, so any exponent up to 64 fits in a u128 without overflow.
        if exponent > 64 {
            return max;
        }
        let nanos = self.config.base_delay.as_nanos() << exponent;
        if nanos > max.as_nanos() {
            max
        } else {
            Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
        }
    }

    /// Clears the failure count of `key`.
    pub fn forget(&mut self, key: &K) {
        self.failures.remove(key);
    }

    /// How many times `key` failed since it was last forgotten.
    pub fn num_requeues(&self, key: &K) -> u32 {
        self.failures.get(key).copied().unwrap_or(0)
    }
}

/// A de-duplicating, rate-limited queue of keys shared by several workers. Clones share
/// the same queue.
#[derive(Debug)]
pub struct WorkQueue<K> {
    shared: Arc<Shared<K>>,
}

impl<K> Clone for WorkQueue<K> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

#[derive(Debug)]
struct Shared<K> {
    state: Mutex<State<K>>,
    wakeup: Notify,
    metrics: Option<QueueMetrics>,
}

/// One named queue's children of the `workqueue_*` metric families.
#[derive(Debug)]
struct QueueMetrics {
    name: String,
    adds: IntCounter,
    depth: IntGauge,
    queue_duration: Histogram,
    work_duration: Histogram,
    retries: IntCounter,
}

impl QueueMetrics {
    fn new(name: &str) -> Self {
        let workqueue = &crate::metrics::global().workqueue;
        let labels = [name];
        Self {
            name: name.to_string(),
            adds: workqueue.adds.with_label_values(&labels),
            depth: workqueue.depth.with_label_values(&labels),
            queue_duration: workqueue.queue_duration.with_label_values(&labels),
            work_duration: workqueue.work_duration.with_label_values(&labels),
            retries: workqueue.retries.with_label_values(&labels),
        }
    }
}

impl<K: Eq + Hash + Clone + Send> InFlight for Shared<K> {
    fn queue_name(&self) -> &str {
        self.metrics.as_ref().map_or("", |m| m.name.as_str())
    }

    fn processing_for(&self) -> Vec<Duration> {
        let now = Instant::now();
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state
            .processing_since
            .values()
            .map(|since| now.saturating_duration_since(*since))
            .collect()
    }
}

#[derive(Debug)]
struct State<K> {
    /// Keys ready to be handed out, in order.
    queue: VecDeque<K>,
    /// Keys that need processing: queued, or added again while being processed.
    dirty: HashSet<K>,
    /// Keys handed to a worker and not yet `done`.
    processing: HashSet<K>,
    /// Keys added with a delay, and when they become ready (the earliest wins).
    waiting: HashMap<K, Instant>,
    limiter: RateLimiter<K>,
    shutting_down: bool,
    /// When each queued key was first added since it was last handed out (metrics).
    added_at: HashMap<K, Instant>,
    /// When each key being processed was handed out (metrics).
    processing_since: HashMap<K, Instant>,
}

impl<K: Eq + Hash + Clone> State<K> {
    /// Queues `key` unless it is already waiting to be processed; true if it was queued.
    /// Counts an add (and the depth) for every key newly marked dirty, as client-go does,
    /// even if it waits for its worker to finish.
    fn insert(&mut self, key: K, metrics: Option<&QueueMetrics>) -> bool {
        if self.dirty.contains(&key) {
            return false;
        }
        if let Some(metrics) = metrics {
            metrics.adds.inc();
            metrics.depth.inc();
            self.added_at
                .entry(key.clone())
                .or_insert_with(Instant::now);
        }
        self.dirty.insert(key.clone());
        if self.processing.contains(&key) {
            // `done` queues it again.
            return false;
        }
        self.queue.push_back(key);
        true
    }

    /// Moves delayed keys whose time has come into the queue.
    fn promote_ready(&mut self, now: Instant, metrics: Option<&QueueMetrics>) {
        let mut ready: Vec<(Instant, K)> = self
            .waiting
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(key, at)| (*at, key.clone()))
            .collect();
        if ready.is_empty() {
            return;
        }
        ready.sort_by_key(|(at, _)| *at);
        for (_, key) in ready {
            self.waiting.remove(&key);
            self.insert(key, metrics);
        }
    }
}

impl<K: Eq + Hash + Clone> Default for WorkQueue<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Eq + Hash + Clone + Send + 'static> WorkQueue<K> {
    /// A queue with `config`'s rate limiter that exports client-go's `workqueue_*`
    /// metrics with label `name` (upstream's queue name, e.g. `serviceaccount`).
    pub fn named(name: &str, config: RateLimiterConfig) -> Self {
        let queue = Self::build(config, Some(QueueMetrics::new(name)));
        let shared: Arc<dyn InFlight> = queue.shared.clone();
        crate::metrics::global()
            .workqueue
            .in_flight
            .register(Arc::downgrade(&shared));
        queue
    }
}

impl<K: Eq + Hash + Clone> WorkQueue<K> {
    /// A queue with client-go's default controller rate limiter.
    pub fn new() -> Self {
        Self::with_rate_limiter(RateLimiterConfig::default())
    }

    /// A queue whose retries wait as `config` says.
    pub fn with_rate_limiter(config: RateLimiterConfig) -> Self {
        Self::build(config, None)
    }

    fn build(config: RateLimiterConfig, metrics: Option<QueueMetrics>) -> Self {
        Self {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    queue: VecDeque::new(),
                    dirty: HashSet::new(),
                    processing: HashSet::new(),
                    waiting: HashMap::new(),
                    limiter: RateLimiter::new(config),
                    shutting_down: false,
                    added_at: HashMap::new(),
                    processing_since: HashMap::new(),
                }),
                wakeup: Notify::new(),
                metrics,
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State<K>> {
        // The state stays consistent even if a holder panicked: every update is one step.
        self.shared
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues `key` now. Ignored after [`shut_down`](Self::shut_down).
    pub fn add(&self, key: K) {
        let queued = {
            let mut state = self.state();
            !state.shutting_down && state.insert(key, self.shared.metrics.as_ref())
        };
        if queued {
            self.shared.wakeup.notify_waiters();
        }
    }

    /// Queues `key` once `delay` has passed. A key already waiting keeps the earlier time.
    /// Every call counts in `workqueue_retries_total`, as client-go's `AddAfter` does.
    pub fn add_after(&self, key: K, delay: Duration) {
        if delay.is_zero() {
            if let Some(metrics) = &self.shared.metrics {
                if !self.is_shutting_down() {
                    metrics.retries.inc();
                }
            }
            return self.add(key);
        }
        let ready_at = Instant::now() + delay;
        {
            let mut state = self.state();
            if state.shutting_down {
                return;
            }
            if let Some(metrics) = &self.shared.metrics {
                metrics.retries.inc();
            }
            let at = state.waiting.entry(key).or_insert(ready_at);
            *at = (*at).min(ready_at);
        }
        // A waiting worker may need to wake earlier than it planned.
        self.shared.wakeup.notify_waiters();
    }

    /// Queues `key` after its rate-limited delay, and counts one more failure for it.
    pub fn add_rate_limited(&self, key: K) {
        let delay = self.state().limiter.when(&key, Instant::now());
        self.add_after(key, delay);
    }

    /// Stops tracking failures of `key` (call it when `key` succeeded or was given up on).
    pub fn forget(&self, key: &K) {
        self.state().limiter.forget(key);
    }

    /// How many times `key` has been re-queued rate-limited since it was last forgotten.
    pub fn num_requeues(&self, key: &K) -> u32 {
        self.state().limiter.num_requeues(key)
    }

    /// Waits for the next key, marking it as being processed; `None` once shut down.
    /// Callers must pass the key to [`done`](Self::done) when they finish with it.
    pub async fn get(&self) -> Option<K> {
        loop {
            let wakeup = self.shared.wakeup.notified();
            tokio::pin!(wakeup);
            // Registered before the state is read, so an `add` after the read wakes us.
            wakeup.as_mut().enable();
            let next_ready = {
                let mut state = self.state();
                if state.shutting_down {
                    return None;
                }
                let now = Instant::now();
                state.promote_ready(now, self.shared.metrics.as_ref());
                if let Some(key) = state.queue.pop_front() {
                    state.dirty.remove(&key);
                    state.processing.insert(key.clone());
                    if let Some(metrics) = &self.shared.metrics {
                        metrics.depth.dec();
                        if let Some(added) = state.added_at.remove(&key) {
                            let waited = now.saturating_duration_since(added);
                            metrics.queue_duration.observe(waited.as_secs_f64());
                        }
                        state.processing_since.insert(key.clone(), now);
                    }
                    return Some(key);
                }
                state.waiting.values().min().copied()
            };
            match next_ready {
                Some(at) => {
                    tokio::select! {
                        _ = &mut wakeup => {}
                        _ = tokio::time::sleep_until(at) => {}
                    }
                }
                None => wakeup.await,
            }
        }
    }

    /// Marks `key` as processed; if it was added meanwhile, it is queued again.
    pub fn done(&self, key: &K) {
        let requeued = {
            let mut state = self.state();
            state.processing.remove(key);
            if let Some(metrics) = &self.shared.metrics {
                if let Some(since) = state.processing_since.remove(key) {
                    let worked = Instant::now().saturating_duration_since(since);
                    metrics.work_duration.observe(worked.as_secs_f64());
                }
            }
            if state.dirty.contains(key) && !state.shutting_down {
                state.queue.push_back(key.clone());
                true
            } else {
                false
            }
        };
        if requeued {
            self.shared.wakeup.notify_waiters();
        }
    }

    /// Keys ready to be handed out (not counting delayed or in-process keys).
    pub fn len(&self) -> usize {
        self.state().queue.len()
    }

    /// Whether no key is ready to be handed out.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether nothing is queued, delayed or being processed.
    pub fn is_idle(&self) -> bool {
        let state = self.state();
        state.queue.is_empty() && state.waiting.is_empty() && state.processing.is_empty()
    }

    /// Stops the queue: `get` returns `None` from now on and adds are ignored.
    pub fn shut_down(&self) {
        {
            let mut state = self.state();
            state.shutting_down = true;
            if let Some(metrics) = &self.shared.metrics {
                // Keys still queued are dropped, so they no longer count in the depth.
                let dropped = i64::try_from(state.dirty.len()).unwrap_or(i64::MAX);
                metrics.depth.sub(dropped);
                state.added_at.clear();
            }
        }
        self.shared.wakeup.notify_waiters();
    }

    /// Whether [`shut_down`](Self::shut_down) was called.
    pub fn is_shutting_down(&self) -> bool {
        self.state().shutting_down
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// A key that is ready now must come out without waiting.
    async fn get_now(queue: &WorkQueue<&'static str>) -> Option<&'static str> {
        tokio::time::timeout(Duration::from_secs(1), queue.get())
            .await
            .expect("a key was ready")
    }

    #[test]
    fn per_key_backoff_doubles_from_5ms_up_to_1000s() {
        let mut limiter = RateLimiter::new(RateLimiterConfig {
            qps: 1e9,
            burst: u32::MAX,
            ..RateLimiterConfig::default()
        });
        let now = Instant::now();
        let delays: Vec<Duration> = (0..5).map(|_| limiter.when(&"a", now)).collect();
        assert_eq!(delays, [5 * MS, 10 * MS, 20 * MS, 40 * MS, 80 * MS]);
        assert_eq!(limiter.num_requeues(&"a"), 5);
        // Another key has its own count.
        assert_eq!(limiter.when(&"b", now), 5 * MS);
        // 5 ms * 2^18 = 1310 s, beyond the cap; and far beyond stays capped without overflow.
        for _ in 5..18 {
            limiter.when(&"a", now);
        }
        assert_eq!(limiter.when(&"a", now), Duration::from_secs(1000));
        for _ in 0..200 {
            limiter.when(&"a", now);
        }
        assert_eq!(limiter.when(&"a", now), Duration::from_secs(1000));
        limiter.forget(&"a");
        assert_eq!(limiter.num_requeues(&"a"), 0);
        assert_eq!(limiter.when(&"a", now), 5 * MS);
    }

    #[test]
    fn token_bucket_allows_a_burst_of_100_then_10_per_second() {
        let mut limiter = RateLimiter::<u32>::new(RateLimiterConfig::default());
        let start = Instant::now();
        // 100 distinct keys: each has a 5 ms backoff and the bucket lets them through.
        for key in 0..100 {
            assert_eq!(limiter.when(&key, start), 5 * MS, "key {key}");
        }
        // The bucket is empty: the next ones wait 100 ms, 200 ms, ... for their tokens.
        assert_eq!(limiter.when(&100, start), 100 * MS);
        assert_eq!(limiter.when(&101, start), 200 * MS);
        // Tokens come back at 10 per second: 100 ms later one is back, but two were promised.
        assert_eq!(limiter.when(&102, start + 100 * MS), 200 * MS);
        // A second after the start, ten are back: three were promised, so no wait.
        assert_eq!(limiter.when(&103, start + Duration::from_secs(1)), 5 * MS);
        // After a long pause the bucket is full again, but never above the burst.
        let later = start + Duration::from_secs(3600);
        for key in 200..300 {
            assert_eq!(limiter.when(&key, later), 5 * MS);
        }
        assert_eq!(limiter.when(&300, later), 100 * MS);
    }

    #[tokio::test]
    async fn duplicates_of_a_queued_key_are_stored_once() {
        let queue = WorkQueue::new();
        queue.add("a");
        queue.add("b");
        queue.add("a");
        assert_eq!(queue.len(), 2);
        assert_eq!(get_now(&queue).await, Some("a"));
        assert_eq!(get_now(&queue).await, Some("b"));
        assert!(queue.is_empty());
    }

    #[tokio::test]
    async fn a_key_being_processed_is_requeued_after_done_not_handed_out_twice() {
        let queue = WorkQueue::new();
        queue.add("a");
        let key = get_now(&queue).await.expect("queued");
        // Added again while a worker has it: not handed to a second worker...
        queue.add("a");
        queue.add("a");
        assert_eq!(queue.len(), 0);
        queue.add("b");
        assert_eq!(get_now(&queue).await, Some("b"));
        queue.done(&"b");
        assert_eq!(
            queue.len(),
            0,
            "a second worker must not get the key being processed"
        );
        // ... but queued once when the first worker is done.
        queue.done(&key);
        assert_eq!(queue.len(), 1);
        assert_eq!(get_now(&queue).await, Some("a"));
        queue.done(&"a");
        assert!(queue.is_idle());
    }

    #[tokio::test]
    async fn done_without_a_new_add_does_not_requeue() {
        let queue = WorkQueue::new();
        queue.add("a");
        let key = get_now(&queue).await.expect("queued");
        queue.done(&key);
        assert!(queue.is_idle());
    }

    #[tokio::test]
    async fn a_waiting_worker_wakes_up_on_add() {
        let queue = WorkQueue::new();
        let worker = tokio::spawn({
            let queue = queue.clone();
            async move { queue.get().await }
        });
        tokio::task::yield_now().await;
        queue.add("a");
        let got = tokio::time::timeout(Duration::from_secs(1), worker)
            .await
            .expect("woken")
            .expect("no panic");
        assert_eq!(got, Some("a"));
    }

    #[tokio::test]
    async fn rate_limited_adds_wait_their_backoff_and_forget_resets_it() {
        let queue = WorkQueue::with_rate_limiter(RateLimiterConfig {
            base_delay: 20 * MS,
            ..RateLimiterConfig::default()
        });
        let started = Instant::now();
        queue.add_rate_limited("a");
        assert_eq!(queue.num_requeues(&"a"), 1);
        assert_eq!(queue.len(), 0, "not ready before its delay");
        assert!(!queue.is_idle());
        assert_eq!(get_now(&queue).await, Some("a"));
        assert!(started.elapsed() >= 20 * MS);
        queue.done(&"a");
        queue.add_rate_limited("a");
        assert_eq!(queue.num_requeues(&"a"), 2);
        let second = Instant::now();
        assert_eq!(get_now(&queue).await, Some("a"));
        assert!(second.elapsed() >= 40 * MS, "doubled");
        queue.done(&"a");
        queue.forget(&"a");
        assert_eq!(queue.num_requeues(&"a"), 0);
    }

    #[tokio::test]
    async fn an_earlier_delay_wins_over_a_later_one() {
        let queue = WorkQueue::new();
        queue.add_after("a", Duration::from_secs(3600));
        queue.add_after("a", MS);
        assert_eq!(get_now(&queue).await, Some("a"));
    }

    #[tokio::test]
    async fn shut_down_wakes_workers_and_ignores_adds() {
        let queue = WorkQueue::<&str>::new();
        let worker = tokio::spawn({
            let queue = queue.clone();
            async move { queue.get().await }
        });
        tokio::task::yield_now().await;
        queue.shut_down();
        let got = tokio::time::timeout(Duration::from_secs(1), worker)
            .await
            .expect("woken")
            .expect("no panic");
        assert_eq!(got, None);
        queue.add("a");
        queue.add_rate_limited("b");
        assert!(queue.is_shutting_down());
        assert_eq!(queue.len(), 0);
        assert_eq!(queue.get().await, None);
    }

    #[tokio::test]
    async fn a_named_queue_exports_client_gos_metrics() {
        use crate::metrics::{gather_text, sample_value};
        const NAME: &str = "queue_metrics_test";
        let sample = |metric: &str| {
            sample_value(&gather_text(), metric, &[("name", NAME)]).unwrap_or(f64::NAN)
        };
        let queue = WorkQueue::named(NAME, RateLimiterConfig::default());
        queue.add("a");
        queue.add("a"); // de-duplicated: not an add
        queue.add("b");
        assert_eq!(sample("workqueue_adds_total"), 2.0);
        assert_eq!(sample("workqueue_depth"), 2.0);
        let key = get_now(&queue).await.expect("queued");
        assert_eq!(sample("workqueue_depth"), 1.0);
        assert_eq!(sample("workqueue_queue_duration_seconds_count"), 1.0);
        // While a key is processed its time counts as unfinished work.
        tokio::time::sleep(5 * MS).await;
        assert!(sample("workqueue_unfinished_work_seconds") >= 0.005);
        assert!(sample("workqueue_longest_running_processor_seconds") >= 0.005);
        queue.done(&key);
        assert_eq!(sample("workqueue_work_duration_seconds_count"), 1.0);
        assert_eq!(sample("workqueue_unfinished_work_seconds"), 0.0);
        queue.add_rate_limited(key);
        assert_eq!(sample("workqueue_retries_total"), 1.0);
        queue.shut_down();
        assert_eq!(
            sample("workqueue_depth"),
            0.0,
            "dropped keys leave the depth"
        );
    }
}
