//! The API server's request limits, as kube-apiserver's generic server has them: in-flight
//! caps (`filters/maxinflight.go`), the per-request deadline (`filters/request_deadline.go`
//! and `filters/timeout.go`), the watch timeout (`handlers/get.go`) and the header read
//! timeout of its HTTP server (`server/secure_serving.go`); and one of kube-sa's own, the
//! pacing of failed authentications.
//!
//! ```
//! use kube_sa::apiserver::limits::Limits;
//!
//! let limits = Limits::default();
//! assert_eq!(limits.max_requests_inflight, 400);
//! assert_eq!(limits.max_mutating_requests_inflight, 200);
//! assert_eq!(limits.request_timeout.as_secs(), 60);
//! ```

use std::sync::Arc;
use std::time::Duration;

use http::Method;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::errors::ApiError;
use crate::authn::UserInfo;
use crate::serviceaccount::go_duration::GoDuration;

/// `--max-requests-inflight`'s default.
pub const DEFAULT_MAX_REQUESTS_INFLIGHT: usize = 400;
/// `--max-mutating-requests-inflight`'s default.
pub const DEFAULT_MAX_MUTATING_REQUESTS_INFLIGHT: usize = 200;
/// `--request-timeout`'s default.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// `--min-request-timeout`'s default: a watch without `timeoutSeconds` lasts between this
/// and twice this.
pub const DEFAULT_MIN_REQUEST_TIMEOUT: Duration = Duration::from_secs(1800);
pub use super::failed_authentication::{
    DEFAULT_FAILED_AUTHENTICATION_BURST, DEFAULT_FAILED_AUTHENTICATION_QPS,
};
/// kube-apiserver's `http.Server.ReadHeaderTimeout` ("just shy of requestTimeoutUpperBound").
pub use crate::serving::DEFAULT_HEADER_READ_TIMEOUT;

/// The plain-text body of a refused request, as `maxinflight.go`'s `tooManyRequests` writes it.
pub const TOO_MANY_REQUESTS_TEXT: &str = "Too many requests, please try again later.";
/// `Retry-After` of a refused request, in seconds (`maxinflight.go`'s `retryAfter`).
pub const TOO_MANY_REQUESTS_RETRY_AFTER: &str = "1";

/// The limits one server applies; [`Default`] is kube-apiserver's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Read-only requests (`get`, `list`) served at once; 0 is no limit.
    pub max_requests_inflight: usize,
    /// Mutating requests served at once; 0 is no limit.
    pub max_mutating_requests_inflight: usize,
    /// How long a non-watch request may take before it answers 504; `?timeout=` lowers it.
    pub request_timeout: Duration,
    /// A watch without `timeoutSeconds` ends after a random time between this and twice this.
    pub min_request_timeout: Duration,
    /// How long a connection may take to send its TLS handshake and each HTTP/1 request head.
    pub header_read_timeout: Duration,
    /// 401s answered per second, server-wide, before further refusals wait their turn
    /// (see [`super::failed_authentication`]); 0 is no pacing. Not an upstream limit.
    pub failed_authentication_qps: u32,
    /// 401s answered at once before that pacing starts.
    pub failed_authentication_burst: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_requests_inflight: DEFAULT_MAX_REQUESTS_INFLIGHT,
            max_mutating_requests_inflight: DEFAULT_MAX_MUTATING_REQUESTS_INFLIGHT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            min_request_timeout: DEFAULT_MIN_REQUEST_TIMEOUT,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            failed_authentication_qps: DEFAULT_FAILED_AUTHENTICATION_QPS,
            failed_authentication_burst: DEFAULT_FAILED_AUTHENTICATION_BURST,
        }
    }
}

/// What the in-flight filter decided for one request.
#[derive(Debug)]
pub enum Admission {
    /// Served; the permit frees its slot when dropped (`None`: not counted).
    Admitted(Option<OwnedSemaphorePermit>),
    /// Refused with 429: its pool is full and the user is not in `system:masters`.
    TooManyRequests,
}

/// The two in-flight pools of `WithMaxInFlightLimit`: read-only and mutating requests.
#[derive(Debug)]
pub struct InflightLimiter {
    read_only: Option<Arc<Semaphore>>,
    mutating: Option<Arc<Semaphore>>,
}

impl InflightLimiter {
    /// Pools of the sizes `limits` gives; a size of 0 leaves that kind unlimited.
    pub fn new(limits: &Limits) -> Self {
        let pool = |size: usize| (size > 0).then(|| Arc::new(Semaphore::new(size)));
        Self {
            read_only: pool(limits.max_requests_inflight),
            mutating: pool(limits.max_mutating_requests_inflight),
        }
    }

    /// Takes a slot for a request that is not long-running. When the pool is full,
    /// `system:masters` members are still served (uncounted), as upstream serves its
    /// super-admins and loopback clients.
    pub fn admit(&self, mutating: bool, user: &UserInfo) -> Admission {
        let pool = if mutating {
            &self.mutating
        } else {
            &self.read_only
        };
        let Some(pool) = pool else {
            return Admission::Admitted(None);
        };
        match pool.clone().try_acquire_owned() {
            Ok(permit) => Admission::Admitted(Some(permit)),
            Err(_) if user.is_admin() => Admission::Admitted(None),
            Err(_) => Admission::TooManyRequests,
        }
    }
}

/// Whether a request is long-running: a watch (`?watch=true` on a GET), as upstream's
/// `BasicLongRunningRequestCheck` with the verbs `watch` and `proxy`; this server serves no
/// `proxy`, `exec`, `attach`, `log` or `portforward`.
pub fn is_long_running(method: &Method, query: Option<&str>) -> bool {
    (method == Method::GET || method == Method::HEAD)
        && form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .find(|(k, _)| k == "watch")
            .is_some_and(|(_, v)| super::http::is_true(&v))
}

/// Whether a request counts against the mutating pool: its verb is none of `get`, `list`
/// and `watch`. Resource GET and HEAD are `get`/`list`; a non-resource path's verb is its
/// lower-case method, so only its GET is read-only.
pub fn is_mutating(method: &Method, resource_request: bool) -> bool {
    !(method == Method::GET || (resource_request && method == Method::HEAD))
}

/// The deadline of a non-long-running request: `--request-timeout`, or the `?timeout=`
/// query parameter (a Go duration) when it is positive and shorter.
///
/// # Errors
/// 400 BadRequest with upstream's text when `timeout` is not a Go duration.
pub fn request_deadline(limits: &Limits, query: Option<&str>) -> Result<Duration, ApiError> {
    let asked = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .filter(|(k, _)| k == "timeout")
        .last()
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty());
    let Some(asked) = asked else {
        return Ok(limits.request_timeout);
    };
    let parsed: GoDuration = asked.parse().map_err(|e| {
        ApiError::bad_request(format!(
            "invalid timeout specified in the request URL - {e}"
        ))
    })?;
    Ok(match parsed.to_std() {
        Some(d) if !d.is_zero() && d < limits.request_timeout => d,
        _ => limits.request_timeout,
    })
}

/// The 504 of a request that outlived its deadline (`timeout.go`'s `NewTimeoutError`).
pub fn timeout_error() -> ApiError {
    ApiError::new(
        504,
        "Timeout",
        "Timeout: request did not complete within the allotted timeout",
    )
}

/// How long a watch lasts: `timeoutSeconds` when positive, else a random time between
/// `--min-request-timeout` and twice that, so watchers do not all reconnect at once.
pub fn watch_timeout(limits: &Limits, timeout_seconds: Option<i64>) -> Duration {
    match timeout_seconds {
        Some(seconds) if seconds > 0 => Duration::from_secs(seconds.unsigned_abs()),
        _ => limits
            .min_request_timeout
            .mul_f64(1.0 + rand::random::<f64>()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(groups: &[&str]) -> UserInfo {
        UserInfo {
            username: "jane".into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn each_pool_refuses_beyond_its_size_and_frees_slots_on_drop() {
        let limiter = InflightLimiter::new(&Limits {
            max_requests_inflight: 1,
            max_mutating_requests_inflight: 2,
            ..Limits::default()
        });
        let jane = user(&[]);
        let read = limiter.admit(false, &jane);
        assert!(matches!(read, Admission::Admitted(Some(_))));
        assert!(matches!(
            limiter.admit(false, &jane),
            Admission::TooManyRequests
        ));
        let w1 = limiter.admit(true, &jane);
        let w2 = limiter.admit(true, &jane);
        assert!(matches!(w2, Admission::Admitted(Some(_))));
        assert!(matches!(
            limiter.admit(true, &jane),
            Admission::TooManyRequests
        ));
        drop(read);
        assert!(matches!(
            limiter.admit(false, &jane),
            Admission::Admitted(Some(_))
        ));
        drop((w1, w2));
    }

    #[test]
    fn masters_are_served_uncounted_when_full_and_zero_is_unlimited() {
        let limiter = InflightLimiter::new(&Limits {
            max_requests_inflight: 0,
            max_mutating_requests_inflight: 1,
            ..Limits::default()
        });
        let _held = limiter.admit(true, &user(&[]));
        assert!(matches!(
            limiter.admit(true, &user(&["system:masters"])),
            Admission::Admitted(None)
        ));
        assert!(matches!(
            limiter.admit(true, &user(&["system:authenticated"])),
            Admission::TooManyRequests
        ));
        for _ in 0..1000 {
            assert!(matches!(
                limiter.admit(false, &user(&[])),
                Admission::Admitted(None)
            ));
        }
    }

    #[test]
    fn verbs_are_classified_as_upstream_does() {
        assert!(is_long_running(
            &Method::GET,
            Some("watch=true&labelSelector=a")
        ));
        assert!(is_long_running(&Method::GET, Some("watch=1")));
        assert!(!is_long_running(&Method::GET, Some("watch=false")));
        assert!(!is_long_running(&Method::POST, Some("watch=true")));
        assert!(!is_long_running(&Method::GET, None));
        assert!(!is_mutating(&Method::GET, true));
        assert!(!is_mutating(&Method::HEAD, true));
        assert!(is_mutating(&Method::HEAD, false));
        for m in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            assert!(is_mutating(&m, true), "{m}");
        }
    }

    #[test]
    fn the_timeout_parameter_only_lowers_the_deadline() {
        let limits = Limits::default();
        let deadline = |q: &str| request_deadline(&limits, Some(q)).map_err(|e| e.message.clone());
        assert_eq!(deadline(""), Ok(Duration::from_secs(60)));
        assert_eq!(deadline("timeout=5s"), Ok(Duration::from_secs(5)));
        assert_eq!(deadline("timeout=250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(deadline("timeout=10m"), Ok(Duration::from_secs(60)));
        assert_eq!(deadline("timeout=0s"), Ok(Duration::from_secs(60)));
        assert_eq!(deadline("timeout=-1s"), Ok(Duration::from_secs(60)));
        assert_eq!(
            deadline("timeout=5"),
            Err(r#"invalid timeout specified in the request URL - time: missing unit in duration "5""#.to_string())
        );
    }

    #[test]
    fn watches_last_their_timeout_seconds_or_one_to_two_minimum_timeouts() {
        let limits = Limits {
            min_request_timeout: Duration::from_secs(100),
            ..Limits::default()
        };
        assert_eq!(watch_timeout(&limits, Some(7)), Duration::from_secs(7));
        for asked in [None, Some(0)] {
            for _ in 0..100 {
                let t = watch_timeout(&limits, asked);
                assert!(
                    t >= Duration::from_secs(100) && t <= Duration::from_secs(200),
                    "{t:?}"
                );
            }
        }
    }
}
