//! Go's `golang.org/x/time/rate.Limiter` as client-go and kube-sa use it: a token bucket
//! where every reservation takes a token, even one the bucket does not have yet, and the
//! caller waits until that token would exist. Shared by the controllers' work queues and
//! the API server's pacing of failed authentications.

use std::time::Duration;

use tokio::time::Instant;

/// A token bucket refilled at `rate` tokens per second up to `burst`, starting full.
#[derive(Debug)]
pub(crate) struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Option<Instant>,
}

impl TokenBucket {
    /// A full bucket of `burst` tokens refilled at `rate` per second (a rate of 0 or less
    /// never makes anyone wait, as `rate.Inf`).
    pub(crate) fn new(rate: f64, burst: u32) -> Self {
        let burst = f64::from(burst);
        Self {
            rate,
            burst,
            tokens: burst,
            last: None,
        }
    }

    /// Takes a token at `now`; returns how long the caller must wait for it (zero when the
    /// bucket had one).
    pub(crate) fn reserve(&mut self, now: Instant) -> Duration {
        if let Some(last) = self.last {
            let elapsed = now.saturating_duration_since(last).as_secs_f64();
            self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        }
        self.last = Some(now);
        self.tokens -= 1.0;
        if self.tokens >= 0.0 || self.rate <= 0.0 {
            return Duration::ZERO;
        }
        let nanos = (-self.tokens / self.rate * 1e9).round();
        Duration::from_nanos(nanos as u64)
    }
}
