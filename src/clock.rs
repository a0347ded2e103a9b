//! Kubernetes time: what token lifetimes, creation timestamps and object lifetimes (an
//! Event's time to live) are measured against, shared by every component.
//! Injectable, so that tests move time forward instead of waiting for it.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use jiff::Timestamp;

/// A future that completes once a clock has reached a deadline.
pub type Sleep<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Longest real-time wait before [`Clock::sleep_until`]'s default re-reads the clock, so
/// that a wall clock set forward is noticed within this time.
const LONGEST_REAL_WAIT: Duration = Duration::from_secs(60);

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// Now.
    fn now(&self) -> Timestamp;

    /// Completes once [`now`](Self::now) is at or after `deadline`: periodic work (the
    /// legacy-token cleaner's daily run) waits on Kubernetes time with it. The default waits
    /// on the tokio timer for the remaining time, re-reading the clock at least once a
    /// minute; [`FakeClock`] completes as soon as it is advanced past `deadline`.
    fn sleep_until(&self, deadline: Timestamp) -> Sleep<'_> {
        Box::pin(async move {
            loop {
                let left = deadline.duration_since(self.now());
                if left.is_negative() || left.is_zero() {
                    return;
                }
                let left = Duration::try_from(left).unwrap_or(LONGEST_REAL_WAIT);
                tokio::time::sleep(left.min(LONGEST_REAL_WAIT)).await;
            }
        })
    }
}

/// The system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that stands still until told to move ([`FakeClock::advance`]); whoever waits in
/// [`Clock::sleep_until`] wakes when it moves past their deadline.
#[derive(Debug)]
pub struct FakeClock {
    now: tokio::sync::watch::Sender<Timestamp>,
}

impl FakeClock {
    /// A clock showing `start`.
    pub fn new(start: Timestamp) -> Self {
        Self {
            now: tokio::sync::watch::Sender::new(start),
        }
    }

    /// Moves the clock forward by `by` (saturating at the largest timestamp).
    pub fn advance(&self, by: Duration) {
        self.now.send_modify(|now| *now = later(*now, by));
    }

    /// The time the clock would show after [`advance`](Self::advance)`(by)`.
    pub fn after(&self, by: Duration) -> Timestamp {
        later(*self.now.borrow(), by)
    }
}

/// `now + by`, saturating at the largest timestamp.
fn later(now: Timestamp, by: Duration) -> Timestamp {
    let span = jiff::SignedDuration::try_from(by).unwrap_or(jiff::SignedDuration::MAX);
    now.checked_add(span).unwrap_or(Timestamp::MAX)
}

impl Clock for FakeClock {
    fn now(&self) -> Timestamp {
        *self.now.borrow()
    }

    fn sleep_until(&self, deadline: Timestamp) -> Sleep<'_> {
        let mut moves = self.now.subscribe();
        Box::pin(async move {
            // The sender lives as long as `self`, so the wait ends only at the deadline.
            let _ = moves.wait_for(|now| *now >= deadline).await;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fake_clock_moves_only_when_advanced() {
        let start = Timestamp::from_second(1_700_000_000).expect("timestamp");
        let clock = FakeClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::from_secs(90));
        assert_eq!(clock.now().as_second(), 1_700_000_090);
    }

    #[tokio::test]
    async fn a_fake_clock_wakes_sleepers_when_advanced_past_their_deadline() {
        let start = Timestamp::from_second(1_700_000_000).expect("timestamp");
        let clock = std::sync::Arc::new(FakeClock::new(start));
        let deadline = Timestamp::from_second(1_700_000_100).expect("timestamp");
        let sleeper = {
            let clock = clock.clone();
            tokio::spawn(async move { clock.sleep_until(deadline).await })
        };
        tokio::task::yield_now().await;
        clock.advance(Duration::from_secs(99));
        tokio::task::yield_now().await;
        assert!(!sleeper.is_finished(), "woke before the deadline");
        clock.advance(Duration::from_secs(1));
        tokio::time::timeout(Duration::from_secs(5), sleeper)
            .await
            .expect("woke once the deadline passed")
            .expect("sleeper ran");
        // A deadline already passed completes at once.
        tokio::time::timeout(Duration::from_secs(5), clock.sleep_until(start))
            .await
            .expect("no wait for a past deadline");
    }
}
