//! Pacing of failed authentications: the 401s of the whole server leave no faster than
//! `--failed-authentication-qps` (burst `--failed-authentication-burst`); a refusal beyond
//! that waits for its turn before it is answered, holding no worker and no in-flight slot.
//!
//! kube-apiserver has no such filter (API Priority and Fairness runs after
//! authentication, so it cannot hold back requests that fail it). On a small machine a
//! client that keeps sending bad tokens then takes the CPU from the authenticated ones:
//! every refusal costs TLS, HTTP and, for a well-formed JWS, a signature check. A client
//! waits for its answer before it sends again, so pacing the answers paces the attack,
//! and the CPU it can take is bounded by the rate whatever its concurrency. A client whose
//! credentials are good never waits here, and one refused now and then (below the burst)
//! does not either.

use std::sync::Mutex;

use tokio::time::Instant;

use crate::rate::TokenBucket;

/// `--failed-authentication-qps`'s default: 401s per second before refusals wait.
pub const DEFAULT_FAILED_AUTHENTICATION_QPS: u32 = 1_000;
/// `--failed-authentication-burst`'s default: 401s answered at once before pacing starts.
pub const DEFAULT_FAILED_AUTHENTICATION_BURST: u32 = 100;

/// The server-wide bucket of failed authentications.
#[derive(Debug)]
pub struct FailedAuthenticationPacer {
    /// `None` when pacing is off (a rate of 0).
    bucket: Option<Mutex<TokenBucket>>,
}

impl FailedAuthenticationPacer {
    /// A full bucket of `burst` refusals refilled at `qps` per second; a `qps` of 0 turns
    /// pacing off.
    pub fn new(qps: u32, burst: u32) -> Self {
        Self {
            bucket: (qps > 0).then(|| Mutex::new(TokenBucket::new(f64::from(qps), burst.max(1)))),
        }
    }

    /// Waits until one more 401 may be answered.
    pub async fn wait_turn(&self) {
        let Some(bucket) = &self.bucket else {
            return;
        };
        let wait = {
            // A panic elsewhere cannot leave the bucket half-updated: its fields are
            // written together after the arithmetic.
            let mut bucket = bucket
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            bucket.reserve(Instant::now())
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn refusals_beyond_the_burst_wait_their_turn_at_the_rate() {
        let pacer = FailedAuthenticationPacer::new(100, 3);
        let start = Instant::now();
        for _ in 0..3 {
            pacer.wait_turn().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO, "the burst is not paced");
        // Ten more at 100/s: the last of them waits 100 ms in all.
        for _ in 0..10 {
            pacer.wait_turn().await;
        }
        assert_eq!(start.elapsed(), Duration::from_millis(100));
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_refusals_queue_one_behind_another() {
        let pacer = std::sync::Arc::new(FailedAuthenticationPacer::new(10, 1));
        let start = Instant::now();
        let waits: Vec<_> = (0..5)
            .map(|_| {
                let pacer = pacer.clone();
                tokio::spawn(async move {
                    pacer.wait_turn().await;
                    start.elapsed()
                })
            })
            .collect();
        let mut elapsed = Vec::new();
        for wait in waits {
            elapsed.push(wait.await.expect("task"));
        }
        elapsed.sort();
        let ms = |n| Duration::from_millis(n);
        assert_eq!(elapsed, vec![ms(0), ms(100), ms(200), ms(300), ms(400)]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_rate_of_zero_turns_pacing_off() {
        let pacer = FailedAuthenticationPacer::new(0, 0);
        let start = Instant::now();
        for _ in 0..10_000 {
            pacer.wait_turn().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}
