//! The legacy-token tracking controller of a bound-mode API server
//! (`pkg/controlplane/controller/legacytokentracking/controller.go`, spec-modern §8.1): it
//! keeps `kube-system/kube-apiserver-legacy-service-account-token-tracking`, whose `since`
//! date tells the legacy-token cleaner from when token use has been tracked.
//!
//! * Missing: created with `since` = today (UTC), at most once per 30 minutes (upstream's
//!   creation rate limiter, `rate.Every(30*time.Minute)` with a burst of one), so a deleted
//!   ConfigMap comes back, and tracking restarts from that day.
//! * Present with a `since` that is not a `2006-01-02` date: `since` is set to today; the
//!   other keys stay.
//!
//! It syncs once before the server serves, then on every change of that ConfigMap, when a
//! creation held back by the limit is due, and again after a failed sync. Time is the
//! cluster's clock (a fake clock moves the limit too); retries wait in real time.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};
use tokio::sync::broadcast;

use super::kinds::CONFIG_MAPS;
use super::legacy_tokens::{utc_date, TRACKING_CONFIG_MAP, TRACKING_NAMESPACE, TRACKING_SINCE_KEY};
use super::signal;
use super::store::{Store, StoreError, WatchEvent};
// The cleaner reads `since` with the same parser (Go's `time.Parse("2006-01-02", ...)`).
use crate::controllers::legacy_token_cleaner::parse_date;

/// Upstream's creation limit: one creation per this long.
const CREATION_INTERVAL: SignedDuration = SignedDuration::from_mins(30);

/// The controller's state: the store, and when it last created the ConfigMap.
pub struct TrackingController {
    store: Arc<Store>,
    last_creation: Option<Timestamp>,
}

impl TrackingController {
    /// A controller for `store` that has created nothing yet (its first creation is not
    /// held back).
    pub fn new(store: Arc<Store>) -> Self {
        Self {
            store,
            last_creation: None,
        }
    }

    /// One sync (`syncConfigMap`). Returns when a creation held back by the 30-minute
    /// limit may happen, if one was.
    ///
    /// # Errors
    ///
    /// The store's error when the create or update fails for another reason than the
    /// ConfigMap having appeared, changed or gone meanwhile (the event that did it syncs
    /// again).
    pub fn sync(&mut self) -> Result<Option<Timestamp>, StoreError> {
        let now = self.store.clock().now();
        let today = utc_date(now);
        let Some(stored) = self
            .store
            .get(&CONFIG_MAPS, TRACKING_NAMESPACE, TRACKING_CONFIG_MAP)
        else {
            if let Some(due) = self
                .last_creation
                .and_then(|last| last.checked_add(CREATION_INTERVAL).ok())
                .filter(|due| *due > now)
            {
                return Ok(Some(due));
            }
            return match self.store.create(&CONFIG_MAPS, new_config_map(now, &today)) {
                // Someone else's create counts against the limit too, as upstream's
                // reservation is kept on AlreadyExists.
                Ok(_) | Err(StoreError::AlreadyExists) => {
                    self.last_creation = Some(now);
                    Ok(None)
                }
                Err(e) => Err(e),
            };
        };
        let mut object = stored.value();
        let since = object["data"][TRACKING_SINCE_KEY]
            .as_str()
            .unwrap_or_default();
        if parse_date(since).is_some() {
            return Ok(None);
        }
        if object["binaryData"].get(TRACKING_SINCE_KEY).is_some() {
            // Upstream's update would be refused as invalid (the key in both maps) until
            // someone fixes the object, whose change syncs again.
            tracing::warn!(
                "legacy token tracking: the configmap's binaryData holds {TRACKING_SINCE_KEY}; leaving it"
            );
            return Ok(None);
        }
        if !object["data"].is_object() {
            object["data"] = json!({});
        }
        object["data"][TRACKING_SINCE_KEY] = json!(today);
        match self
            .store
            .update(&CONFIG_MAPS, object, Some(&stored.resource_version()))
        {
            Ok(_) | Err(StoreError::NotFound | StoreError::Conflict) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Syncs on every change of the tracking ConfigMap, when a held-back creation is due,
    /// and after a failed sync with upstream's work-queue back-off (5 ms doubling to
    /// 1000 s, real time), until `shutdown`.
    pub async fn run(mut self, mut shutdown: signal::Receiver<bool>) {
        let Ok(subscription) = self.store.subscribe(&CONFIG_MAPS, None) else {
            return;
        };
        let mut live = subscription.live;
        let clock = self.store.clock().clone();
        let mut backoff = Backoff::default();
        // Subscribed first, so that nothing changes unseen between this sync and the loop.
        let mut due = self.sync_with(&mut backoff);
        loop {
            let wake = async {
                match due {
                    Some(at) => clock.sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            let retry = async {
                match backoff.pending {
                    Some(delay) => tokio::time::sleep(delay).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                changed = shutdown.changed() => {
                    if changed.is_err() || *shutdown.borrow() {
                        return;
                    }
                }
                received = live.recv() => match received {
                    Ok(event) if !is_tracking_config_map(&event) => {}
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {
                        due = self.sync_with(&mut backoff);
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                () = wake => due = self.sync_with(&mut backoff),
                () = retry => due = self.sync_with(&mut backoff),
            }
        }
    }

    /// A sync whose failure is logged and retried after the back-off's next delay.
    fn sync_with(&mut self, backoff: &mut Backoff) -> Option<Timestamp> {
        match self.sync() {
            Ok(due) => {
                *backoff = Backoff::default();
                due
            }
            Err(error) => {
                let delay = backoff.next_delay();
                tracing::warn!(%error, ?delay, "legacy token tracking: syncing the configmap failed; retrying");
                None
            }
        }
    }
}

/// `workqueue.DefaultTypedControllerRateLimiter`'s per-item part: 5 ms, doubled after
/// each failure, at most 1000 s.
#[derive(Default)]
struct Backoff {
    failures: u32,
    pending: Option<std::time::Duration>,
}

impl Backoff {
    fn next_delay(&mut self) -> std::time::Duration {
        let base = std::time::Duration::from_millis(5);
        let delay = base
            .checked_mul(1u32 << self.failures.min(31))
            .unwrap_or(std::time::Duration::MAX)
            .min(std::time::Duration::from_secs(1000));
        self.failures = self.failures.saturating_add(1);
        self.pending = Some(delay);
        delay
    }
}

fn is_tracking_config_map(event: &WatchEvent) -> bool {
    event.resource == CONFIG_MAPS.plural
        && event.object.namespace() == TRACKING_NAMESPACE
        && event.object.name() == TRACKING_CONFIG_MAP
}

fn new_config_map(now: Timestamp, today: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": TRACKING_CONFIG_MAP,
            "namespace": TRACKING_NAMESPACE,
            "uid": crate::names::new_uid(),
            "creationTimestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        },
        "data": {TRACKING_SINCE_KEY: today},
    })
}

#[cfg(test)]
mod tests;
