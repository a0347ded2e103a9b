//! `/debug/clock`: reads and moves the server's fake clock (`kube-sa serve --clock=fake`).
//!
//! Not an upstream endpoint: kube-apiserver has no fake clock. It follows upstream's
//! non-resource endpoints in how it is authorized (the lower-case HTTP method on the path,
//! so only `system:masters` and whoever an admin grants `nonResourceURLs: ["/debug/clock"]`
//! may use it) and answers errors with a `metav1.Status`. With a real clock the path is
//! not served (404), as upstream's debug handlers are absent when switched off.

use std::time::Duration;

use http::{Method, Response, StatusCode};
use serde_json::{json, Value};

use std::sync::Arc;

use super::data_dir::{DataDir, DataDirError};
use super::errors::ApiError;
use super::http::{json_response, read_body, Body, RequestBody};
use crate::clock::{Clock, FakeClock};

/// The server's fake clock and, with a data directory, where its time is kept: written
/// before each move and restored at start, so that Kubernetes time (token lifetimes,
/// timestamps) never goes back across a restart.
#[derive(Debug)]
pub(crate) struct KeptFakeClock {
    pub(crate) clock: Arc<FakeClock>,
    dir: Option<DataDir>,
}

impl KeptFakeClock {
    /// Restores the kept time into `clock` when it is later than the clock's (the clock
    /// starts at the wall-clock time; a restart after more wall-clock time than the
    /// clock was moved shows the wall-clock time).
    pub(crate) fn restore(
        clock: Arc<FakeClock>,
        dir: Option<DataDir>,
    ) -> Result<Self, DataDirError> {
        if let Some(kept) = dir
            .as_ref()
            .map(DataDir::fake_clock_time)
            .transpose()?
            .flatten()
        {
            let ahead = kept.duration_since(clock.now());
            if let Ok(ahead) = Duration::try_from(ahead) {
                clock.advance(ahead);
            }
        }
        Ok(Self { clock, dir })
    }

    /// Moves the clock forward by `by`, keeping the new time on disk first; answers it.
    pub(crate) fn advance(&self, by: Duration) -> Result<jiff::Timestamp, DataDirError> {
        let to = self.clock.after(by);
        if let Some(dir) = &self.dir {
            dir.keep_fake_clock_time(to)?;
        }
        self.clock.advance(by);
        Ok(to)
    }
}

/// The path, as [`super::routes::Route::DebugClock`] parses it.
pub const PATH: &str = "/debug/clock";

/// The longest single move, 100 years in seconds: bigger ones are refused as a mistake.
pub const MAX_ADVANCE_SECONDS: u64 = 100 * 366 * 24 * 60 * 60;

/// Answers `GET` with the clock's time and `POST {"advanceSeconds": N}` by moving the
/// clock forward `N` seconds (a non-negative integer) and answering the new time, both as
/// `{"now": "<RFC 3339>"}`. A body that is not such an object is `400 BadRequest` and moves
/// nothing; other methods are `405 MethodNotAllowed`.
pub(crate) async fn serve(
    clock: &KeptFakeClock,
    method: &Method,
    body: RequestBody,
) -> Result<Response<Body>, ApiError> {
    if *method == Method::POST {
        let bytes = read_body(body).await?;
        advance(clock, &bytes)?;
    } else if *method != Method::GET {
        return Err(ApiError::method_not_allowed());
    }
    Ok(json_response(
        StatusCode::OK,
        &now_document(clock.clock.as_ref()),
    ))
}

/// `{"now": "<RFC 3339>"}` with second precision and a `Z` offset.
pub fn now_document(clock: &dyn Clock) -> Value {
    json!({"now": clock.now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()})
}

/// Reads `{"advanceSeconds": N}` and moves `clock`; nothing moves when the body is bad.
fn advance(clock: &KeptFakeClock, body: &[u8]) -> Result<(), ApiError> {
    let seconds = advance_seconds(body)?;
    clock
        .advance(Duration::from_secs(seconds))
        .map_err(|e| ApiError::internal(format!("keeping the fake clock's time: {e}")))?;
    Ok(())
}

/// The `advanceSeconds` of a request body.
pub fn advance_seconds(body: &[u8]) -> Result<u64, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!("the request body is not a JSON object: {e}"))
    })?;
    let Some(object) = value.as_object() else {
        return Err(ApiError::bad_request(
            "the request body must be a JSON object: {\"advanceSeconds\": N}",
        ));
    };
    if let Some(unknown) = object.keys().find(|k| k.as_str() != "advanceSeconds") {
        return Err(ApiError::bad_request(format!(
            "unknown field \"{unknown}\": the request body is {{\"advanceSeconds\": N}}"
        )));
    }
    match object.get("advanceSeconds").and_then(Value::as_u64) {
        Some(seconds) if seconds <= MAX_ADVANCE_SECONDS => Ok(seconds),
        _ => Err(ApiError::bad_request(format!(
            "advanceSeconds: must be an integer number of seconds from 0 to {MAX_ADVANCE_SECONDS}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_bodies_give_their_seconds() {
        assert_eq!(advance_seconds(br#"{"advanceSeconds": 90}"#).ok(), Some(90));
        assert_eq!(advance_seconds(br#"{"advanceSeconds": 0}"#).ok(), Some(0));
    }

    #[test]
    fn bad_bodies_are_bad_requests() {
        for body in [
            &b""[..],
            b"[]",
            b"{}",
            br#"{"advanceSeconds": -1}"#,
            br#"{"advanceSeconds": 1.5}"#,
            br#"{"advanceSeconds": "60"}"#,
            br#"{"advanceSeconds": 60, "other": 1}"#,
            br#"{"advanceSeconds": 99999999999999}"#,
        ] {
            let err = advance_seconds(body).expect_err("refused");
            assert_eq!(err.code, 400, "{}", String::from_utf8_lossy(body));
            assert_eq!(err.reason, "BadRequest");
        }
    }

    #[test]
    fn the_document_shows_the_clocks_time() {
        let clock = Arc::new(FakeClock::new(
            "2024-05-01T12:00:00Z".parse().expect("timestamp"),
        ));
        let kept = KeptFakeClock::restore(clock.clone(), None).expect("no directory");
        assert_eq!(
            now_document(clock.as_ref()),
            json!({"now": "2024-05-01T12:00:00Z"})
        );
        advance(&kept, br#"{"advanceSeconds": 86400}"#).expect("moved");
        assert_eq!(
            now_document(clock.as_ref()),
            json!({"now": "2024-05-02T12:00:00Z"})
        );
        assert!(advance(&kept, b"{}").is_err());
        assert_eq!(
            now_document(clock.as_ref()),
            json!({"now": "2024-05-02T12:00:00Z"})
        );
    }

    #[test]
    fn the_kept_time_is_restored_and_never_goes_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = DataDir::open(dir.path()).expect("data dir");
        let start: jiff::Timestamp = "2024-05-01T12:00:00Z".parse().expect("timestamp");
        let first = KeptFakeClock::restore(Arc::new(FakeClock::new(start)), Some(data.clone()))
            .expect("nothing kept yet");
        assert_eq!(first.clock.now(), start);
        first.advance(Duration::from_secs(86400)).expect("kept");

        // A restart a minute of wall-clock time later resumes a day ahead.
        let later = start
            .checked_add(jiff::SignedDuration::from_secs(60))
            .expect("time");
        let second = KeptFakeClock::restore(Arc::new(FakeClock::new(later)), Some(data.clone()))
            .expect("restored");
        assert_eq!(second.clock.now().to_string(), "2024-05-02T12:00:00Z");

        // One two days later starts at its own, later, time.
        let much_later = start
            .checked_add(jiff::SignedDuration::from_hours(48))
            .expect("time");
        let third = KeptFakeClock::restore(Arc::new(FakeClock::new(much_later)), Some(data))
            .expect("restored");
        assert_eq!(third.clock.now(), much_later);
    }
}
