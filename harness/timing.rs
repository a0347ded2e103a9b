//! Deadlines. Every step that waits has one, scaled by `KUBE_SA_TIMEOUT_FACTOR`, and
//! "within"/"for" assertions poll on a short interval instead of sleeping blindly.

use std::future::Future;
use std::str::FromStr;
use std::sync::OnceLock;
use std::time::Duration;

use crate::failure::Failure;

/// How long a step that names no duration may wait for the cluster, before scaling.
pub const DEFAULT_STEP_SECONDS: f64 = 10.0;
/// How often "within"/"for" assertions look again.
const POLL_INTERVAL: Duration = Duration::from_millis(25);

/// `KUBE_SA_TIMEOUT_FACTOR` (default 1): multiplies every deadline, for slow machines.
pub fn factor() -> f64 {
    static FACTOR: OnceLock<f64> = OnceLock::new();
    *FACTOR.get_or_init(|| {
        std::env::var("KUBE_SA_TIMEOUT_FACTOR")
            .ok()
            .and_then(|value| value.trim().parse::<f64>().ok())
            .filter(|value| value.is_finite() && *value > 0.0)
            .unwrap_or(1.0)
    })
}

/// `seconds` scaled by the timeout factor.
pub fn scaled(seconds: f64) -> Duration {
    Duration::from_secs_f64(seconds * factor())
}

/// The deadline of a step that names no duration.
pub fn default_deadline() -> Duration {
    scaled(DEFAULT_STEP_SECONDS)
}

/// Runs `future`, failing with "timed out after … waiting for <what>" at the deadline.
pub async fn with_deadline<T>(
    what: impl std::fmt::Display,
    deadline: Duration,
    future: impl Future<Output = Result<T, Failure>>,
) -> Result<T, Failure> {
    match tokio::time::timeout(deadline, future).await {
        Ok(result) => result,
        Err(_) => Err(Failure::new(format!(
            "timed out after {:.1} s waiting for {what}",
            deadline.as_secs_f64()
        ))),
    }
}

/// When an assertion must hold: once now, at some poll before a deadline, or at every
/// poll for a while. Parsed from the optional step prefix `within N seconds ` / `for N seconds `.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Timing {
    Now,
    Within(Duration),
    For(Duration),
}

impl FromStr for Timing {
    type Err = String;

    fn from_str(prefix: &str) -> Result<Self, Self::Err> {
        let prefix = prefix.trim();
        if prefix.is_empty() {
            return Ok(Timing::Now);
        }
        let mut words = prefix.split_whitespace();
        let (form, amount, unit) = (words.next(), words.next(), words.next());
        let seconds: f64 = amount
            .and_then(|amount| amount.parse().ok())
            .ok_or_else(|| {
                format!("expected `within N seconds` or `for N seconds`, got {prefix:?}")
            })?;
        if !matches!(unit, Some("second" | "seconds" | "s")) || words.next().is_some() {
            return Err(format!(
                "expected `within N seconds` or `for N seconds`, got {prefix:?}"
            ));
        }
        match form {
            Some("within") => Ok(Timing::Within(scaled(seconds))),
            Some("for") => Ok(Timing::For(scaled(seconds))),
            _ => Err(format!(
                "expected `within N seconds` or `for N seconds`, got {prefix:?}"
            )),
        }
    }
}

/// Checks `check` according to `timing`. `Within` polls until it passes and reports the
/// last failure at the deadline; `For` fails at the first poll where it does not hold.
/// `what` names the condition in timeout messages.
pub async fn assert_timed<F, Fut>(timing: Timing, what: &str, mut check: F) -> Result<(), Failure>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), Failure>>,
{
    match timing {
        Timing::Now => with_deadline(what, default_deadline(), check()).await,
        Timing::Within(deadline) => {
            let started = tokio::time::Instant::now();
            let mut ticks = tokio::time::interval(POLL_INTERVAL);
            loop {
                ticks.tick().await;
                let remaining = deadline.saturating_sub(started.elapsed());
                let last = match tokio::time::timeout(remaining.max(POLL_INTERVAL), check()).await {
                    Ok(Ok(())) => return Ok(()),
                    Ok(Err(failure)) => failure,
                    Err(_) => Failure::new("the last check did not answer in time"),
                };
                if started.elapsed() >= deadline {
                    return Err(last.context(format!(
                        "still not true after {:.1} s: {what}",
                        deadline.as_secs_f64()
                    )));
                }
            }
        }
        Timing::For(duration) => {
            let started = tokio::time::Instant::now();
            let mut ticks = tokio::time::interval(POLL_INTERVAL);
            loop {
                ticks.tick().await;
                with_deadline(what, default_deadline(), check())
                    .await
                    .map_err(|failure| {
                        failure.context(format!(
                            "stopped being true after {:.1} s (required for {:.1} s): {what}",
                            started.elapsed().as_secs_f64(),
                            duration.as_secs_f64()
                        ))
                    })?;
                if started.elapsed() >= duration {
                    return Ok(());
                }
            }
        }
    }
}
