//! Objects with a time to live ([`Strategy::ttl`](crate::apiserver::kinds::Strategy::ttl)): when each expires,
//! and their removal once the store's clock passes that ([`Store::expire`]).

use super::{State, Store, StoredObject};
use crate::apiserver::kinds::ResourceInfo;

impl Store {
    /// Records when an object written just now expires, if its kind has a time to live.
    pub(super) fn schedule_expiry(
        &self,
        state: &mut State,
        resource: &'static ResourceInfo,
        stored: &StoredObject,
    ) {
        self.schedule_expiry_from(state, resource, stored, self.clock.now());
    }

    /// Records when an object written at `written_at` expires, if its kind has a time
    /// to live.
    pub(super) fn schedule_expiry_from(
        &self,
        state: &mut State,
        resource: &'static ResourceInfo,
        stored: &StoredObject,
        written_at: jiff::Timestamp,
    ) {
        let Some(ttl) = resource.strategy.ttl() else {
            return;
        };
        let Ok(ttl) = jiff::SignedDuration::try_from(ttl) else {
            return;
        };
        let deadline = written_at.checked_add(ttl).unwrap_or(jiff::Timestamp::MAX);
        state.expiries.insert(
            (deadline, stored.revision),
            (
                resource,
                stored.namespace().to_string(),
                stored.name().to_string(),
            ),
        );
    }

    /// Removes the objects whose time to live has run out on the store's clock (each with
    /// a `DELETED` event, as etcd's lease expiry gives upstream); answers how many.
    pub fn expire(&self) -> usize {
        let now = self.clock.now();
        let mut state = self.lock();
        let mut removed = 0;
        while let Some(entry) = state.expiries.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let ((_, revision), (resource, namespace, name)) = entry.remove_entry();
            // Written again since: a later entry has its deadline.
            let current = state
                .find(resource.plural, &namespace, &name)
                .map(|o| o.revision);
            if current == Some(revision) {
                self.remove(&mut state, resource, &namespace, &name);
                removed += 1;
            }
        }
        removed
    }
}
