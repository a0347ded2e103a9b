//! Watches on the store: a subscription's backlog and live channel, synchronous observers,
//! and the operations tests use to make watches restart (compaction, disconnection).

use std::collections::BTreeMap;
use tokio::sync::broadcast;

use super::{Observer, Store, StoreError, WatchEvent};
use crate::apiserver::kinds::ResourceInfo;

/// A watch registered with the store: the events it missed, then the live channel.
pub struct Subscription {
    /// The resource's events after the requested revision, oldest first.
    pub backlog: Vec<WatchEvent>,
    /// Every later event of every resource (filter on [`WatchEvent::resource`]); lags
    /// (closes) when the receiver falls too far behind.
    pub live: broadcast::Receiver<WatchEvent>,
    /// Changes when the store asks every watch to end.
    pub disconnect: tokio::sync::watch::Receiver<u64>,
    /// Revision of the store when the subscription was taken.
    pub revision: u64,
}

impl Store {
    /// Registers a watch on one resource that resumes after `from_revision`.
    /// `None` starts at the current revision with no backlog.
    pub fn subscribe(
        &self,
        resource: &ResourceInfo,
        from_revision: Option<u64>,
    ) -> Result<Subscription, StoreError> {
        let state = self.lock();
        // Subscribing under the lock means no event can fall between backlog and live.
        let live = self.events.subscribe();
        let backlog = match from_revision {
            None => Vec::new(),
            Some(from) if from >= state.revision => Vec::new(),
            Some(from) if from < state.compacted => {
                return Err(StoreError::TooOld {
                    requested: from,
                    oldest: state.compacted + 1,
                })
            }
            Some(from) => {
                let start = state
                    .history
                    .partition_point(|e| e.event.revision() <= from);
                state
                    .history
                    .range(start..)
                    .filter(|e| e.event.resource == resource.plural)
                    .map(|e| e.event.clone())
                    .collect()
            }
        };
        Ok(Subscription {
            backlog,
            live,
            disconnect: self.disconnects.subscribe(),
            revision: state.revision,
        })
    }

    /// Registers `observer` for the objects of `resources`: it is first told of every stored
    /// object of those resources (as the event that stored it), then of every later change,
    /// synchronously and in revision order, before the write that made it returns.
    pub fn observe(&self, resources: &[&'static ResourceInfo], observer: Observer) {
        let mut state = self.lock();
        let plurals: Vec<&'static str> = resources.iter().map(|r| r.plural).collect();
        for plural in &plurals {
            let Some(by_namespace) = state.objects.get(plural) else {
                continue;
            };
            for object in by_namespace.values().flat_map(BTreeMap::values) {
                observer(&WatchEvent {
                    resource: plural,
                    object: object.clone(),
                    previous: None,
                });
            }
        }
        state.observers.push((plurals, observer));
    }

    /// Drops the whole event history, so every watch from an older revision gets 410 Gone.
    /// Tests use it to prove that clients recover.
    pub fn compact(&self) {
        let mut state = self.lock();
        state.history.clear();
        state.compacted = state.revision;
    }

    /// Ends every open watch; clients resume from their last revision.
    pub fn disconnect_watchers(&self) {
        self.disconnects.send_modify(|n| *n += 1);
    }
}
