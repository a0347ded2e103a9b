//! Fault injection: failed requests, added latency and dropped watches, so that clients and
//! controllers can be tested against an API server that misbehaves as real ones do
//! (`ApiServerBuilder::fault_injection`, `kube-sa serve --fault-injection`).
//!
//! Not an upstream feature. What a client sees is upstream's, though: an injected failure is
//! the `metav1.Status` kube-apiserver sends for that code, and a dropped watch ends its
//! chunked response as a closed connection does. The decisions come from one seeded RNG per
//! server, so a single-threaded sequence of requests meets the same faults on every run.

use std::sync::Mutex;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};

use super::errors::ApiError;
use super::kinds::ResourceInfo;

/// The seed of the decision RNG when a configuration names none.
pub const DEFAULT_SEED: u64 = 1;

/// The longest latency a rule may add, in milliseconds (one minute).
pub const MAX_LATENCY_MS: u64 = 60_000;

/// The status codes a rule may inject.
pub const CODES: [u16; 4] = [409, 429, 500, 504];

/// The verbs a rule may name (`*` is every verb), as RBAC spells them.
pub const VERBS: [&str; 9] = [
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "*",
];

/// `Retry-After` (and `details.retryAfterSeconds`) of an injected 429, in seconds.
pub const TOO_MANY_REQUESTS_RETRY_AFTER: u32 = 1;

/// One rule: which requests it picks and what happens to them.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    /// RBAC verbs (`create`, `watch`, ...); empty or `*` is every verb.
    pub verbs: Vec<String>,
    /// Resource plurals (`secrets`), optionally with a subresource (`pods/status`); empty
    /// or `*` is every resource. The API group is not compared.
    pub resources: Vec<String>,
    /// Namespaces; empty is every request, namespaced or not.
    pub namespaces: Vec<String>,
    /// The share of matching requests the rule picks, from 0 to 1.
    pub rate: f64,
    /// The status code a picked request fails with ([`CODES`]); `None` only delays it.
    pub code: Option<u16>,
    /// How long a picked request waits before it is served or fails.
    pub latency: Option<Duration>,
}

/// The whole configuration `POST /debug/faults` replaces.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FaultConfig {
    /// Tried in order; the first that matches and picks the request decides.
    pub rules: Vec<FaultRule>,
    /// The chance, from 0 to 1, that a watch ends after any one event it sends.
    pub watch_drop_rate: Option<f64>,
    /// Every watch ends after sending this many events (bookmarks do not count).
    pub watch_drop_after_events: Option<u64>,
    /// The decision RNG's seed ([`DEFAULT_SEED`] when `None`).
    pub seed: Option<u64>,
}

/// What a request is, as rules match it.
#[derive(Debug, Clone, Copy)]
pub struct FaultTarget<'a> {
    /// The RBAC verb (`create`, `list`, `watch`, ...).
    pub verb: &'a str,
    /// The resource plural (`secrets`).
    pub resource: &'a str,
    /// The subresource (`status`), if any.
    pub subresource: Option<&'a str>,
    /// The namespace of a namespaced request.
    pub namespace: Option<&'a str>,
}

/// What a picked request meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    /// Fail with this code ([`injected_error`]) after the latency.
    pub code: Option<u16>,
    /// Wait this long first.
    pub latency: Option<Duration>,
}

/// Counts one watch's events and says when the watch is to be dropped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WatchDrop {
    remaining: Option<u64>,
}

impl WatchDrop {
    /// A watch that ends after `events` events.
    pub fn after(events: u64) -> Self {
        Self {
            remaining: Some(events),
        }
    }

    /// Counts one sent event; true when the watch must end now.
    pub fn event_sent(&mut self) -> bool {
        match &mut self.remaining {
            None => false,
            Some(n) => {
                *n = n.saturating_sub(1);
                *n == 0
            }
        }
    }
}

/// The server's faults: the configuration and its RNG, shared by every request.
#[derive(Debug)]
pub struct FaultInjector {
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: FaultConfig,
    rng: StdRng,
}

impl Default for FaultInjector {
    fn default() -> Self {
        Self {
            inner: Mutex::new(Inner {
                config: FaultConfig::default(),
                rng: StdRng::seed_from_u64(DEFAULT_SEED),
            }),
        }
    }
}

impl FaultInjector {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Replaces the configuration and reseeds the RNG.
    pub fn set(&self, config: FaultConfig) {
        let mut inner = self.lock();
        inner.rng = StdRng::seed_from_u64(config.seed.unwrap_or(DEFAULT_SEED));
        inner.config = config;
    }

    /// The current configuration.
    pub fn config(&self) -> FaultConfig {
        self.lock().config.clone()
    }

    /// Removes every rule and watch drop.
    pub fn clear(&self) {
        self.set(FaultConfig::default());
    }

    /// The fault of the first rule that matches `target` and picks it by its rate.
    pub fn decide(&self, target: &FaultTarget<'_>) -> Option<Fault> {
        let mut inner = self.lock();
        let Inner { config, rng } = &mut *inner;
        config
            .rules
            .iter()
            .filter(|rule| rule.matches(target))
            .find(|rule| picks(rng, rule.rate))
            .map(|rule| Fault {
                code: rule.code,
                latency: rule.latency,
            })
    }

    /// When a watch starting now is to be dropped: after the configured number of events,
    /// or after a number drawn for `watchDropRate`, whichever comes first.
    pub fn watch_drop(&self) -> WatchDrop {
        let mut inner = self.lock();
        let Inner { config, rng } = &mut *inner;
        let drawn = config
            .watch_drop_rate
            .and_then(|rate| events_until_drop(rng, rate));
        match (config.watch_drop_after_events, drawn) {
            (Some(a), Some(b)) => WatchDrop::after(a.min(b)),
            (Some(n), None) | (None, Some(n)) => WatchDrop::after(n),
            (None, None) => WatchDrop::default(),
        }
    }
}

fn picks(rng: &mut StdRng, rate: f64) -> bool {
    rate >= 1.0 || (rate > 0.0 && rng.random::<f64>() < rate)
}

/// The number of events up to and including the first one that drops the watch, each
/// dropping it with chance `rate` (a geometric draw by inversion); `None` for rate 0.
fn events_until_drop(rng: &mut StdRng, rate: f64) -> Option<u64> {
    if rate <= 0.0 {
        return None;
    }
    if rate >= 1.0 {
        return Some(1);
    }
    // 1 - u is in (0, 1], so its logarithm is finite.
    let u: f64 = 1.0 - rng.random::<f64>();
    let events = (u.ln() / (1.0 - rate).ln()).ceil();
    Some((events as u64).max(1))
}

impl FaultRule {
    /// Whether the rule applies to `target` (before its rate is drawn).
    pub fn matches(&self, target: &FaultTarget<'_>) -> bool {
        let verb_ok =
            self.verbs.is_empty() || self.verbs.iter().any(|v| v == "*" || v == target.verb);
        let resource_ok = self.resources.is_empty()
            || self.resources.iter().any(|r| {
                if r == "*" {
                    return true;
                }
                match (r.split_once('/'), target.subresource) {
                    (None, None) => r == target.resource,
                    (Some((plural, sub)), Some(target_sub)) => {
                        plural == target.resource && (sub == "*" || sub == target_sub)
                    }
                    _ => false,
                }
            });
        let namespace_ok = self.namespaces.is_empty()
            || target
                .namespace
                .is_some_and(|ns| self.namespaces.iter().any(|n| n == ns));
        verb_ok && resource_ok && namespace_ok
    }
}

/// The `metav1.Status` kube-apiserver sends for `code`: 500 `InternalError`, 409
/// `Conflict` (the optimistic-concurrency text, as a storage conflict gives it), 429
/// `TooManyRequests` with `Retry-After` (the max-in-flight filter's text), 504 `Timeout`
/// (the timeout filter's text). Other codes are a plain Status of that code.
pub fn injected_error(code: u16, resource: &ResourceInfo, name: &str) -> ApiError {
    match code {
        409 => ApiError::conflict(resource, name),
        429 => {
            let mut err = ApiError::new(
                429,
                "TooManyRequests",
                "Too many requests, please try again later.",
            );
            err.retry_after_seconds = Some(TOO_MANY_REQUESTS_RETRY_AFTER);
            err
        }
        504 => ApiError::new(
            504,
            "Timeout",
            "Timeout: request did not complete within requested timeout - context deadline exceeded",
        ),
        500 => ApiError::internal("injected fault (/debug/faults)"),
        other => ApiError::new(other, "", format!("injected fault {other}")),
    }
}

/// A configuration that is not one: the field path and upstream's field-error text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {detail}")]
pub struct ConfigError {
    /// The field path, e.g. `rules[0].code`.
    pub field: String,
    /// What is wrong (`Unsupported value: 418: supported values: ...`).
    pub detail: String,
}

impl ConfigError {
    fn new(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            detail: detail.into(),
        }
    }

    fn invalid(field: &str, value: &Value, why: &str) -> Self {
        Self::new(field, format!("Invalid value: {value}: {why}"))
    }
}

impl From<ConfigError> for ApiError {
    fn from(e: ConfigError) -> Self {
        let reason = if e.detail.starts_with("Unsupported value") {
            "FieldValueNotSupported"
        } else {
            "FieldValueInvalid"
        };
        ApiError::bad_request(e.to_string()).with_cause(reason, e.detail.clone(), &e.field)
    }
}

impl FaultConfig {
    /// Reads the JSON body of `POST /debug/faults`:
    /// `{"rules": [{"verbs", "resources", "namespaces", "rate", "code", "latencyMs"}],
    /// "watchDropRate", "watchDropAfterEvents", "seed"}`, every field optional; a rule
    /// needs a `code` or a `latencyMs`. Unknown fields are refused.
    pub fn from_json(body: &[u8]) -> Result<Self, ConfigError> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| ConfigError::new("<body>", format!("not JSON: {e}")))?;
        let object = as_object(&value, "<body>")?;
        only_fields(
            object,
            "",
            &["rules", "watchDropRate", "watchDropAfterEvents", "seed"],
        )?;
        let rules = match object.get("rules") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| parse_rule(item, &format!("rules[{i}]")))
                .collect::<Result<_, _>>()?,
            Some(other) => return Err(ConfigError::invalid("rules", other, "must be a list")),
        };
        Ok(Self {
            rules,
            watch_drop_rate: optional(object, "watchDropRate", "", rate_value)?,
            watch_drop_after_events: optional(object, "watchDropAfterEvents", "", |v, f| {
                v.as_u64()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| ConfigError::invalid(f, v, "must be a positive integer"))
            })?,
            seed: optional(object, "seed", "", |v, f| {
                v.as_u64()
                    .ok_or_else(|| ConfigError::invalid(f, v, "must be a non-negative integer"))
            })?,
        })
    }

    /// The configuration as `GET /debug/faults` answers it (the body's shape).
    pub fn to_json(&self) -> Value {
        let rules: Vec<Value> = self
            .rules
            .iter()
            .map(|r| {
                let mut rule = json!({
                    "verbs": r.verbs,
                    "resources": r.resources,
                    "namespaces": r.namespaces,
                    "rate": r.rate,
                });
                if let Some(code) = r.code {
                    rule["code"] = json!(code);
                }
                if let Some(latency) = r.latency {
                    rule["latencyMs"] = json!(latency.as_millis() as u64);
                }
                rule
            })
            .collect();
        let mut doc = json!({"rules": rules});
        if let Some(rate) = self.watch_drop_rate {
            doc["watchDropRate"] = json!(rate);
        }
        if let Some(n) = self.watch_drop_after_events {
            doc["watchDropAfterEvents"] = json!(n);
        }
        if let Some(seed) = self.seed {
            doc["seed"] = json!(seed);
        }
        doc
    }
}

fn as_object<'a>(value: &'a Value, field: &str) -> Result<&'a Map<String, Value>, ConfigError> {
    value
        .as_object()
        .ok_or_else(|| ConfigError::invalid(field, value, "must be an object"))
}

fn only_fields(
    object: &Map<String, Value>,
    prefix: &str,
    known: &[&str],
) -> Result<(), ConfigError> {
    match object.keys().find(|k| !known.contains(&k.as_str())) {
        Some(unknown) => Err(ConfigError::new(
            format!("{prefix}{unknown}"),
            format!(
                "Unsupported value: unknown field: supported fields: {}",
                known.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

fn optional<T>(
    object: &Map<String, Value>,
    key: &str,
    prefix: &str,
    read: impl Fn(&Value, &str) -> Result<T, ConfigError>,
) -> Result<Option<T>, ConfigError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => read(v, &format!("{prefix}{key}")).map(Some),
    }
}

fn rate_value(v: &Value, field: &str) -> Result<f64, ConfigError> {
    v.as_f64()
        .filter(|r| (0.0..=1.0).contains(r))
        .ok_or_else(|| ConfigError::invalid(field, v, "must be a number from 0 to 1"))
}

fn strings(
    object: &Map<String, Value>,
    key: &str,
    prefix: &str,
    allowed: Option<&[&str]>,
) -> Result<Vec<String>, ConfigError> {
    let field = format!("{prefix}{key}");
    let items = match object.get(key) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(ConfigError::invalid(
                &field,
                other,
                "must be a list of strings",
            ))
        }
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let field = format!("{field}[{i}]");
            let s = item
                .as_str()
                .filter(|s| !s.is_empty())
                .ok_or_else(|| ConfigError::invalid(&field, item, "must be a non-empty string"))?;
            match allowed {
                Some(allowed) if !allowed.contains(&s) => Err(ConfigError::new(
                    field,
                    format!(
                        "Unsupported value: {item}: supported values: {}",
                        quoted(allowed.iter())
                    ),
                )),
                _ => Ok(s.to_string()),
            }
        })
        .collect()
}

fn quoted<T: std::fmt::Display>(values: impl Iterator<Item = T>) -> String {
    values
        .map(|v| format!("\"{v}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse_rule(value: &Value, field: &str) -> Result<FaultRule, ConfigError> {
    let object = as_object(value, field)?;
    let prefix = format!("{field}.");
    only_fields(
        object,
        &prefix,
        &[
            "verbs",
            "resources",
            "namespaces",
            "rate",
            "code",
            "latencyMs",
        ],
    )?;
    let code = optional(object, "code", &prefix, |v, f| {
        v.as_u64()
            .and_then(|c| u16::try_from(c).ok())
            .filter(|c| CODES.contains(c))
            .ok_or_else(|| {
                ConfigError::new(
                    f,
                    format!(
                        "Unsupported value: {v}: supported values: {}",
                        quoted(CODES.iter())
                    ),
                )
            })
    })?;
    let latency = optional(object, "latencyMs", &prefix, |v, f| {
        v.as_u64()
            .filter(|ms| *ms <= MAX_LATENCY_MS)
            .map(Duration::from_millis)
            .ok_or_else(|| {
                ConfigError::invalid(
                    f,
                    v,
                    &format!(
                        "must be an integer number of milliseconds from 0 to {MAX_LATENCY_MS}"
                    ),
                )
            })
    })?;
    if code.is_none() && latency.is_none() {
        return Err(ConfigError::new(
            format!("{prefix}code"),
            "Required value: a rule needs a code, a latencyMs or both",
        ));
    }
    Ok(FaultRule {
        verbs: strings(object, "verbs", &prefix, Some(&VERBS))?,
        resources: strings(object, "resources", &prefix, None)?,
        namespaces: strings(object, "namespaces", &prefix, None)?,
        rate: optional(object, "rate", &prefix, rate_value)?.unwrap_or(1.0),
        code,
        latency,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::kinds::SECRETS;

    fn target<'a>(verb: &'a str, resource: &'a str, ns: Option<&'a str>) -> FaultTarget<'a> {
        FaultTarget {
            verb,
            resource,
            subresource: None,
            namespace: ns,
        }
    }

    fn rule(json: &str) -> FaultRule {
        let body = format!(r#"{{"rules": [{json}]}}"#);
        FaultConfig::from_json(body.as_bytes())
            .expect("valid")
            .rules
            .remove(0)
    }

    #[test]
    fn rules_match_verbs_resources_and_namespaces() {
        let cases: &[(&str, FaultTarget<'_>, bool)] = &[
            (r#"{"code": 500}"#, target("get", "pods", None), true),
            (
                r#"{"verbs": ["create"], "resources": ["secrets"], "code": 500}"#,
                target("create", "secrets", Some("a")),
                true,
            ),
            (
                r#"{"verbs": ["create"], "resources": ["secrets"], "code": 500}"#,
                target("update", "secrets", Some("a")),
                false,
            ),
            (
                r#"{"verbs": ["create"], "resources": ["secrets"], "code": 500}"#,
                target("create", "configmaps", Some("a")),
                false,
            ),
            (
                r#"{"verbs": ["*"], "resources": ["*"], "code": 500}"#,
                target("watch", "configmaps", Some("a")),
                true,
            ),
            (
                r#"{"namespaces": ["a"], "code": 500}"#,
                target("create", "secrets", Some("b")),
                false,
            ),
            (
                r#"{"namespaces": ["a"], "code": 500}"#,
                target("list", "namespaces", None),
                false,
            ),
            (
                r#"{"namespaces": ["a", "b"], "code": 500}"#,
                target("list", "secrets", Some("b")),
                true,
            ),
            (
                r#"{"resources": ["pods/status"], "code": 500}"#,
                FaultTarget {
                    subresource: Some("status"),
                    ..target("update", "pods", Some("a"))
                },
                true,
            ),
            (
                r#"{"resources": ["pods"], "code": 500}"#,
                FaultTarget {
                    subresource: Some("status"),
                    ..target("update", "pods", Some("a"))
                },
                false,
            ),
            (
                r#"{"resources": ["pods/status"], "code": 500}"#,
                target("update", "pods", Some("a")),
                false,
            ),
        ];
        for (json, t, expected) in cases {
            assert_eq!(rule(json).matches(t), *expected, "{json} {t:?}");
        }
    }

    #[test]
    fn the_first_rule_that_picks_decides() {
        let faults = FaultInjector::default();
        faults.set(
            FaultConfig::from_json(
                br#"{"rules": [
                    {"resources": ["secrets"], "rate": 0, "code": 500},
                    {"resources": ["secrets"], "code": 409, "latencyMs": 5},
                    {"code": 504}
                ]}"#,
            )
            .expect("valid"),
        );
        assert_eq!(
            faults.decide(&target("create", "secrets", Some("a"))),
            Some(Fault {
                code: Some(409),
                latency: Some(Duration::from_millis(5))
            })
        );
        assert_eq!(
            faults.decide(&target("get", "pods", Some("a"))),
            Some(Fault {
                code: Some(504),
                latency: None
            })
        );
        faults.clear();
        assert_eq!(faults.decide(&target("get", "pods", Some("a"))), None);
    }

    #[test]
    fn rates_are_seeded_and_roughly_kept() {
        let config =
            FaultConfig::from_json(br#"{"rules": [{"rate": 0.3, "code": 500}], "seed": 7}"#)
                .expect("valid");
        let run = || {
            let faults = FaultInjector::default();
            faults.set(config.clone());
            (0..1000)
                .map(|_| {
                    faults
                        .decide(&target("create", "secrets", Some("a")))
                        .is_some()
                })
                .collect::<Vec<_>>()
        };
        let first = run();
        assert_eq!(first, run(), "the same seed gives the same decisions");
        let failed = first.iter().filter(|f| **f).count();
        assert!(
            (220..380).contains(&failed),
            "{failed} of 1000 failed at rate 0.3"
        );
    }

    #[test]
    fn watches_drop_after_a_count_or_a_drawn_number_of_events() {
        let mut drop = WatchDrop::after(3);
        assert_eq!(
            [drop.event_sent(), drop.event_sent(), drop.event_sent()],
            [false, false, true]
        );
        let mut never = WatchDrop::default();
        assert!((0..10_000).all(|_| !never.event_sent()));

        let faults = FaultInjector::default();
        faults.set(FaultConfig {
            watch_drop_after_events: Some(50),
            ..FaultConfig::default()
        });
        assert_eq!(faults.watch_drop(), WatchDrop::after(50));
        faults.set(FaultConfig {
            watch_drop_rate: Some(1.0),
            watch_drop_after_events: Some(50),
            ..FaultConfig::default()
        });
        assert_eq!(faults.watch_drop(), WatchDrop::after(1));
        faults.set(FaultConfig {
            watch_drop_rate: Some(0.05),
            ..FaultConfig::default()
        });
        let mean = (0..2000)
            .map(|_| faults.watch_drop().remaining.expect("drawn"))
            .sum::<u64>() as f64
            / 2000.0;
        assert!(
            (15.0..25.0).contains(&mean),
            "mean {mean}, expected about 20"
        );
    }

    #[test]
    fn bad_configurations_name_their_field() {
        let cases = [
            (&br#"[]"#[..], "<body>"),
            (br#"{"rule": []}"#, "rule"),
            (br#"{"rules": {}}"#, "rules"),
            (br#"{"rules": [{"rate": 0.5}]}"#, "rules[0].code"),
            (br#"{"rules": [{"code": 418}]}"#, "rules[0].code"),
            (br#"{"rules": [{"code": "500"}]}"#, "rules[0].code"),
            (
                br#"{"rules": [{"code": 500}, {"code": 500, "rate": 1.5}]}"#,
                "rules[1].rate",
            ),
            (
                br#"{"rules": [{"code": 500, "verbs": ["fetch"]}]}"#,
                "rules[0].verbs[0]",
            ),
            (
                br#"{"rules": [{"code": 500, "resources": "secrets"}]}"#,
                "rules[0].resources",
            ),
            (
                br#"{"rules": [{"code": 500, "namespaces": [""]}]}"#,
                "rules[0].namespaces[0]",
            ),
            (br#"{"rules": [{"latencyMs": -1}]}"#, "rules[0].latencyMs"),
            (
                br#"{"rules": [{"latencyMs": 60001}]}"#,
                "rules[0].latencyMs",
            ),
            (
                br#"{"rules": [{"code": 500, "extra": 1}]}"#,
                "rules[0].extra",
            ),
            (br#"{"watchDropRate": 2}"#, "watchDropRate"),
            (br#"{"watchDropAfterEvents": 0}"#, "watchDropAfterEvents"),
            (br#"{"seed": -3}"#, "seed"),
        ];
        for (body, field) in cases {
            let err = FaultConfig::from_json(body).expect_err("refused");
            assert_eq!(err.field, field, "{}", String::from_utf8_lossy(body));
            let api: ApiError = err.into();
            assert_eq!((api.code, api.reason.as_str()), (400, "BadRequest"));
            assert!(
                api.message.starts_with(&format!("{field}: ")),
                "{}",
                api.message
            );
            assert_eq!(api.causes[0].field, field);
        }
    }

    #[test]
    fn a_configuration_reads_back_as_written() {
        let body = br#"{"rules": [{"verbs": ["create"], "resources": ["secrets"], "namespaces": ["a"], "rate": 0.1, "code": 500, "latencyMs": 200}], "watchDropRate": 0.05, "watchDropAfterEvents": 50, "seed": 3}"#;
        let config = FaultConfig::from_json(body).expect("valid");
        let again = serde_json::to_vec(&config.to_json()).expect("json");
        assert_eq!(FaultConfig::from_json(&again).expect("valid"), config);
        assert_eq!(
            config.to_json(),
            serde_json::from_slice::<Value>(body).expect("json")
        );
    }

    #[test]
    fn injected_errors_are_upstreams_statuses() {
        let conflict = injected_error(409, &SECRETS, "s");
        assert_eq!((conflict.code, conflict.reason.as_str()), (409, "Conflict"));
        assert!(conflict
            .message
            .starts_with("Operation cannot be fulfilled on secrets \"s\""));
        let busy = injected_error(429, &SECRETS, "");
        assert_eq!((busy.code, busy.reason.as_str()), (429, "TooManyRequests"));
        assert_eq!(busy.retry_after_seconds, Some(1));
        let timeout = injected_error(504, &SECRETS, "");
        assert_eq!((timeout.code, timeout.reason.as_str()), (504, "Timeout"));
        assert!(timeout.message.starts_with("Timeout: "));
        let internal = injected_error(500, &SECRETS, "");
        assert_eq!(
            (internal.code, internal.reason.as_str()),
            (500, "InternalError")
        );
        assert!(internal.message.starts_with("Internal error occurred: "));
    }
}
