//! Prometheus metrics under upstream's names, in one process-wide registry, exposed in
//! the Prometheus text format (0.0.4, as kube-apiserver and kube-controller-manager serve
//! it) by [`gather_text`].
//!
//! Built on the `prometheus` crate: its text encoder writes the classic format that
//! kube-apiserver's `/metrics` answers with, and it keeps metric names as given
//! (`prometheus-client` writes OpenMetrics and appends `_total` to counters itself).
//!
//! | metric | type | labels | upstream |
//! | --- | --- | --- | --- |
//! | `workqueue_adds_total` | counter | `name` | client-go workqueue |
//! | `workqueue_depth` | gauge | `name` | |
//! | `workqueue_queue_duration_seconds` | histogram | `name` | |
//! | `workqueue_work_duration_seconds` | histogram | `name` | |
//! | `workqueue_retries_total` | counter | `name` | |
//! | `workqueue_unfinished_work_seconds` | gauge | `name` | |
//! | `workqueue_longest_running_processor_seconds` | gauge | `name` | |
//! | `leader_election_master_status` | gauge | `name` | component-base leaderelection |
//! | `apiserver_request_total` | counter | `verb, dry_run, group, version, resource, subresource, scope, component, code` | apiserver endpoints/metrics |
//! | `apiserver_request_duration_seconds` | histogram | same without `code` | |
//! | `apiserver_admission_controller_admission_duration_seconds` | histogram | `name, type, operation, rejected` | apiserver admission/metrics |
//! | `apiserver_admission_webhook_admission_duration_seconds` | histogram | `name, type, operation, rejected` | |
//! | `serviceaccount_legacy_tokens_total` | counter | | pkg/serviceaccount/metrics.go |
//! | `serviceaccount_stale_tokens_total` | counter | | |
//! | `serviceaccount_valid_tokens_total` | counter | | |
//! | `controller_runtime_webhook_requests_total` | counter | `code, webhook` | controller-runtime webhook server (`kube-sa webhook`) |
//! | `controller_runtime_webhook_latency_seconds` | histogram | `webhook` | |

use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{
    exponential_buckets, Encoder, GaugeVec, HistogramOpts, HistogramVec, IntCounter, IntCounterVec,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

/// The content type of [`gather_text`]'s output (Prometheus text format 0.0.4).
pub const TEXT_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `apiserver_request_duration_seconds` buckets, as kube-apiserver 1.33 has them.
const REQUEST_DURATION_BUCKETS: &[f64] = &[
    0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0,
    10.0, 15.0, 20.0, 30.0, 45.0, 60.0,
];

/// `apiserver_admission_controller_admission_duration_seconds` buckets.
const ADMISSION_CONTROLLER_BUCKETS: &[f64] = &[0.005, 0.025, 0.1, 0.5, 1.0, 2.5];

/// `apiserver_admission_webhook_admission_duration_seconds` buckets.
const ADMISSION_WEBHOOK_BUCKETS: &[f64] = &[0.005, 0.025, 0.1, 0.5, 1.0, 2.5, 10.0, 25.0];

/// Every metric kube-sa exports, registered in one registry.
pub struct Metrics {
    registry: Registry,
    /// `workqueue_*` counters, gauges and histograms, by queue name.
    pub(crate) workqueue: WorkqueueMetrics,
    leader_election_master_status: IntGaugeVec,
    request_total: IntCounterVec,
    request_duration: HistogramVec,
    admission_controller_duration: HistogramVec,
    admission_webhook_duration: HistogramVec,
    legacy_tokens: IntCounter,
    stale_tokens: IntCounter,
    valid_tokens: IntCounter,
    webhook_requests: IntCounterVec,
    webhook_latency: HistogramVec,
}

/// client-go's workqueue metrics (component-base/metrics/prometheus/workqueue).
pub(crate) struct WorkqueueMetrics {
    pub(crate) adds: IntCounterVec,
    pub(crate) depth: IntGaugeVec,
    pub(crate) queue_duration: HistogramVec,
    pub(crate) work_duration: HistogramVec,
    pub(crate) retries: IntCounterVec,
    /// Where queues register so that their in-flight work is measured at scrape time.
    pub(crate) in_flight: Arc<InFlightCollector>,
}

/// A queue whose in-flight work [`InFlightCollector`] reads when scraped.
pub(crate) trait InFlight: Send + Sync {
    /// The queue's `name` label.
    fn queue_name(&self) -> &str;
    /// How long each key being processed now has been processing.
    fn processing_for(&self) -> Vec<Duration>;
}

/// `workqueue_unfinished_work_seconds` and `workqueue_longest_running_processor_seconds`,
/// computed from the live queues whenever the registry is gathered (upstream updates them
/// every 500 ms; computing them on scrape is never stale). Queues of one name (tests run
/// several) add their unfinished work and take the longest of their processors.
pub(crate) struct InFlightCollector {
    queues: Mutex<Vec<Weak<dyn InFlight>>>,
    unfinished: GaugeVec,
    longest: GaugeVec,
}

impl InFlightCollector {
    /// Measures `queue` from now on, until it is dropped.
    pub(crate) fn register(&self, queue: Weak<dyn InFlight>) {
        let mut queues = self.queues.lock().unwrap_or_else(|e| e.into_inner());
        queues.retain(|q| q.strong_count() > 0);
        queues.push(queue);
    }
}

impl Collector for InFlightCollector {
    fn desc(&self) -> Vec<&Desc> {
        let mut descs = self.unfinished.desc();
        descs.extend(self.longest.desc());
        descs
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let live: Vec<_> = {
            let mut queues = self.queues.lock().unwrap_or_else(|e| e.into_inner());
            queues.retain(|q| q.strong_count() > 0);
            queues.iter().filter_map(Weak::upgrade).collect()
        };
        self.unfinished.reset();
        self.longest.reset();
        for queue in live {
            let name = queue.queue_name();
            let running = queue.processing_for();
            let unfinished = self.unfinished.with_label_values(&[name]);
            unfinished.add(running.iter().map(Duration::as_secs_f64).sum());
            let longest = self.longest.with_label_values(&[name]);
            let max = running.iter().max().map_or(0.0, Duration::as_secs_f64);
            if max > longest.get() {
                longest.set(max);
            }
        }
        let mut families = self.unfinished.collect();
        families.extend(self.longest.collect());
        families
    }
}

/// Metric definitions are constants: failing to build one is a programming error that
/// the first test run shows.
fn must<T>(result: prometheus::Result<T>) -> T {
    match result {
        Ok(value) => value,
        Err(e) => panic!("invalid metric definition: {e}"),
    }
}

fn counter_vec(name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    must(IntCounterVec::new(Opts::new(name, help), labels))
}

fn gauge_vec(name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    must(IntGaugeVec::new(Opts::new(name, help), labels))
}

fn histogram_vec(name: &str, help: &str, labels: &[&str], buckets: Vec<f64>) -> HistogramVec {
    must(HistogramVec::new(
        HistogramOpts::new(name, help).buckets(buckets),
        labels,
    ))
}

const REQUEST_LABELS: &[&str] = &[
    "verb",
    "dry_run",
    "group",
    "version",
    "resource",
    "subresource",
    "scope",
    "component",
];
const ADMISSION_LABELS: &[&str] = &["name", "type", "operation", "rejected"];

impl Metrics {
    fn new() -> Self {
        let workqueue_buckets = must(exponential_buckets(10e-9, 10.0, 10));
        let workqueue = WorkqueueMetrics {
            adds: counter_vec(
                "workqueue_adds_total",
                "Total number of adds handled by workqueue",
                &["name"],
            ),
            depth: gauge_vec("workqueue_depth", "Current depth of workqueue", &["name"]),
            queue_duration: histogram_vec(
                "workqueue_queue_duration_seconds",
                "How long in seconds an item stays in workqueue before being requested.",
                &["name"],
                workqueue_buckets.clone(),
            ),
            work_duration: histogram_vec(
                "workqueue_work_duration_seconds",
                "How long in seconds processing an item from workqueue takes.",
                &["name"],
                workqueue_buckets,
            ),
            retries: counter_vec(
                "workqueue_retries_total",
                "Total number of retries handled by workqueue",
                &["name"],
            ),
            in_flight: Arc::new(InFlightCollector {
                queues: Mutex::new(Vec::new()),
                unfinished: must(GaugeVec::new(
                    Opts::new(
                        "workqueue_unfinished_work_seconds",
                        "How many seconds of work has done that is in progress and hasn't \
                         been observed by work_duration. Large values indicate stuck \
                         threads. One can deduce the number of stuck threads by observing \
                         the rate at which this increases.",
                    ),
                    &["name"],
                )),
                longest: must(GaugeVec::new(
                    Opts::new(
                        "workqueue_longest_running_processor_seconds",
                        "How many seconds has the longest running processor for workqueue \
                         been running.",
                    ),
                    &["name"],
                )),
            }),
        };
        let mut request_total_labels = REQUEST_LABELS.to_vec();
        request_total_labels.push("code");
        let metrics = Self {
            registry: Registry::new(),
            workqueue,
            leader_election_master_status: gauge_vec(
                "leader_election_master_status",
                "Gauge of if the reporting system is master of the relevant lease, 0 \
                 indicates backup, 1 indicates master. 'name' is the string used to \
                 identify the lease. Please make sure to group by name.",
                &["name"],
            ),
            request_total: counter_vec(
                "apiserver_request_total",
                "Counter of apiserver requests broken out for each verb, dry run value, \
                 group, version, resource, scope, component, and HTTP response code.",
                &request_total_labels,
            ),
            request_duration: histogram_vec(
                "apiserver_request_duration_seconds",
                "Response latency distribution in seconds for each verb, dry run value, \
                 group, version, resource, subresource, scope and component.",
                REQUEST_LABELS,
                REQUEST_DURATION_BUCKETS.to_vec(),
            ),
            admission_controller_duration: histogram_vec(
                "apiserver_admission_controller_admission_duration_seconds",
                "Admission controller latency histogram in seconds, identified by name \
                 and broken out for each operation and API resource and type (validate \
                 or admit).",
                ADMISSION_LABELS,
                ADMISSION_CONTROLLER_BUCKETS.to_vec(),
            ),
            admission_webhook_duration: histogram_vec(
                "apiserver_admission_webhook_admission_duration_seconds",
                "Admission webhook latency histogram in seconds, identified by name and \
                 broken out for each operation and API resource and type (validate or \
                 admit).",
                ADMISSION_LABELS,
                ADMISSION_WEBHOOK_BUCKETS.to_vec(),
            ),
            legacy_tokens: must(IntCounter::new(
                "serviceaccount_legacy_tokens_total",
                "Cumulative legacy service account tokens used",
            )),
            stale_tokens: must(IntCounter::new(
                "serviceaccount_stale_tokens_total",
                "Cumulative stale projected service account tokens used",
            )),
            valid_tokens: must(IntCounter::new(
                "serviceaccount_valid_tokens_total",
                "Cumulative valid projected service account tokens used",
            )),
            webhook_requests: counter_vec(
                "controller_runtime_webhook_requests_total",
                "Total number of admission requests by HTTP status code.",
                &["code", "webhook"],
            ),
            webhook_latency: histogram_vec(
                "controller_runtime_webhook_latency_seconds",
                "Histogram of the latency of processing admission requests",
                &["webhook"],
                prometheus::DEFAULT_BUCKETS.to_vec(),
            ),
        };
        metrics.register_all();
        metrics
    }

    fn register_all(&self) {
        let collectors: Vec<Box<dyn Collector>> = vec![
            Box::new(self.workqueue.adds.clone()),
            Box::new(self.workqueue.depth.clone()),
            Box::new(self.workqueue.queue_duration.clone()),
            Box::new(self.workqueue.work_duration.clone()),
            Box::new(self.workqueue.retries.clone()),
            Box::new(SharedInFlight(Arc::clone(&self.workqueue.in_flight))),
            Box::new(self.leader_election_master_status.clone()),
            Box::new(self.request_total.clone()),
            Box::new(self.request_duration.clone()),
            Box::new(self.admission_controller_duration.clone()),
            Box::new(self.admission_webhook_duration.clone()),
            Box::new(self.legacy_tokens.clone()),
            Box::new(self.stale_tokens.clone()),
            Box::new(self.valid_tokens.clone()),
            Box::new(self.webhook_requests.clone()),
            Box::new(self.webhook_latency.clone()),
        ];
        for collector in collectors {
            must(self.registry.register(collector));
        }
    }
}

/// The process-wide metrics, made on first use.
pub(crate) fn global() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

/// The registry owns its collectors; queues register with the in-flight collector after,
/// so the registry holds it through this shared handle.
struct SharedInFlight(Arc<InFlightCollector>);

impl Collector for SharedInFlight {
    fn desc(&self) -> Vec<&Desc> {
        self.0.desc()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        self.0.collect()
    }
}

/// Every metric in the Prometheus text format (see [`TEXT_CONTENT_TYPE`]).
pub fn gather_text() -> String {
    let metrics = global();
    let mut buffer = Vec::new();
    // Encoding into memory fails only on families the registry never holds (no metrics).
    if let Err(e) = TextEncoder::new().encode(&metrics.registry.gather(), &mut buffer) {
        tracing::warn!(error = %e, "encoding metrics");
    }
    String::from_utf8_lossy(&buffer).into_owned()
}

/// Sets `leader_election_master_status{name}`: 1 while this process leads the lease
/// `name`, 0 while it follows (component-base's leader-election metric).
pub fn set_leader_election_master_status(name: &str, leading: bool) {
    global()
        .leader_election_master_status
        .with_label_values(&[name])
        .set(i64::from(leading));
}

/// One served API request, as kube-apiserver's `MonitorRequest` counts it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestLabels {
    /// `GET`, `LIST`, `WATCH`, `POST`, `PUT`, `PATCH`, `APPLY`, `DELETE`.
    pub verb: String,
    /// `All` when `dryRun=All`, else empty.
    pub dry_run: String,
    /// API group; empty for the core group.
    pub group: String,
    /// API version.
    pub version: String,
    /// Plural resource name.
    pub resource: String,
    /// Subresource, e.g. `token`; empty for none.
    pub subresource: String,
    /// `resource` (one named object), `namespace` or `cluster` (collections).
    pub scope: String,
}

/// Counts one request in `apiserver_request_total` and observes its `duration` in
/// `apiserver_request_duration_seconds` (component `apiserver`).
pub fn observe_request(labels: &RequestLabels, code: u16, duration: Duration) {
    let base = [
        labels.verb.as_str(),
        labels.dry_run.as_str(),
        labels.group.as_str(),
        labels.version.as_str(),
        labels.resource.as_str(),
        labels.subresource.as_str(),
        labels.scope.as_str(),
        "apiserver",
    ];
    let code = code.to_string();
    let mut with_code = base.to_vec();
    with_code.push(&code);
    let metrics = global();
    metrics.request_total.with_label_values(&with_code).inc();
    metrics
        .request_duration
        .with_label_values(&base)
        .observe(duration.as_secs_f64());
}

/// Which admission metric an observation goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdmissionKind {
    /// A compiled-in plugin (`..._controller_admission_duration_seconds`).
    Controller,
    /// A webhook call (`..._webhook_admission_duration_seconds`).
    Webhook,
}

/// Observes one admission step: `name` is the plugin's or webhook's name, `admit` tells
/// mutating (`admit`) from validating (`validate`), `operation` is `CREATE`, `UPDATE`,
/// `DELETE` or `CONNECT`, `rejected` whether it refused the request.
pub fn observe_admission(
    kind: AdmissionKind,
    name: &str,
    admit: bool,
    operation: &str,
    rejected: bool,
    duration: Duration,
) {
    let metrics = global();
    let histogram = match kind {
        AdmissionKind::Controller => &metrics.admission_controller_duration,
        AdmissionKind::Webhook => &metrics.admission_webhook_duration,
    };
    let step = if admit { "admit" } else { "validate" };
    let rejected = if rejected { "true" } else { "false" };
    histogram
        .with_label_values(&[name, step, operation, rejected])
        .observe(duration.as_secs_f64());
}

/// Counts one AdmissionReview served by `kube-sa webhook` on `path` (controller-runtime's
/// `webhook` label), answered with `code` after `duration`.
pub fn observe_webhook_request(path: &str, code: u16, duration: Duration) {
    let metrics = global();
    metrics
        .webhook_requests
        .with_label_values(&[code.to_string().as_str(), path])
        .inc();
    metrics
        .webhook_latency
        .with_label_values(&[path])
        .observe(duration.as_secs_f64());
}

/// Which service-account token the authenticator accepted, for its counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenUse {
    /// A legacy (Secret-based) token: `serviceaccount_legacy_tokens_total`.
    Legacy,
    /// A bound token past its `warnafter`: `serviceaccount_stale_tokens_total`.
    Stale,
    /// A bound token within its `warnafter`: `serviceaccount_valid_tokens_total`.
    Valid,
}

impl TokenUse {
    /// A bound token with a `warnafter`: [`Stale`](Self::Stale) when past it, else
    /// [`Valid`](Self::Valid) (upstream counts neither for tokens without one).
    pub fn bound(stale: bool) -> Self {
        if stale {
            Self::Stale
        } else {
            Self::Valid
        }
    }
}

/// Counts one accepted service-account token.
pub fn record_token_use(kind: TokenUse) {
    let metrics = global();
    match kind {
        TokenUse::Legacy => metrics.legacy_tokens.inc(),
        TokenUse::Stale => metrics.stale_tokens.inc(),
        TokenUse::Valid => metrics.valid_tokens.inc(),
    }
}

/// The value of the first sample of `name` in Prometheus `text` that has every one of
/// `labels` (in any order, others allowed). For tests and tooling that read a scrape;
/// label values with commas are not supported.
pub fn sample_value(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let wanted_labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, rest) = match series.split_once('{') {
                Some((metric, rest)) => (metric, rest.strip_suffix('}')?),
                None => (series, ""),
            };
            if metric != name {
                return None;
            }
            let present: Vec<&str> = if rest.is_empty() {
                Vec::new()
            } else {
                rest.split(',').collect()
            };
            let all = wanted_labels
                .iter()
                .all(|want| present.contains(&want.as_str()));
            all.then(|| value.parse().ok()).flatten()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leader_status_and_token_counters_appear_under_upstream_names() {
        set_leader_election_master_status("metrics-test-lease", true);
        let before = sample_value(&gather_text(), "serviceaccount_stale_tokens_total", &[])
            .expect("registered");
        record_token_use(TokenUse::Stale);
        let text = gather_text();
        assert_eq!(
            sample_value(
                &text,
                "leader_election_master_status",
                &[("name", "metrics-test-lease")]
            ),
            Some(1.0)
        );
        let after = sample_value(&text, "serviceaccount_stale_tokens_total", &[]);
        assert!(after >= Some(before + 1.0), "{before} -> {after:?}");
        set_leader_election_master_status("metrics-test-lease", false);
        assert_eq!(
            sample_value(
                &gather_text(),
                "leader_election_master_status",
                &[("name", "metrics-test-lease")]
            ),
            Some(0.0)
        );
    }

    #[test]
    fn admission_observations_carry_name_type_operation_and_rejected() {
        observe_admission(
            AdmissionKind::Controller,
            "MetricsTestPlugin",
            true,
            "CREATE",
            true,
            Duration::from_millis(3),
        );
        let text = gather_text();
        let labels = [
            ("name", "MetricsTestPlugin"),
            ("type", "admit"),
            ("operation", "CREATE"),
            ("rejected", "true"),
        ];
        assert_eq!(
            sample_value(
                &text,
                "apiserver_admission_controller_admission_duration_seconds_count",
                &labels
            ),
            Some(1.0)
        );
        // 3 ms falls in the first bucket, 5 ms.
        let mut bucket = labels.to_vec();
        bucket.push(("le", "0.005"));
        assert_eq!(
            sample_value(
                &text,
                "apiserver_admission_controller_admission_duration_seconds_bucket",
                &bucket
            ),
            Some(1.0)
        );
    }
}
