//! The in-memory object store: objects by resource, namespace and name, one global
//! revision counter (like etcd's), and a bounded event history that watches resume from.
//!
//! An object is stored serialized, once, as the watch event line that announced its
//! version ([`StoredObject`]), beside a small index (name, namespace, uid, revision, labels,
//! selectable fields) that lists, selectors and watches read without parsing it. Reads
//! answer with the stored bytes; writers parse the object only when they change it.
//!
//! A resource kept in another's storage ([`super::kinds::StorageVersion`]) is converted on
//! the way in and out; objects of a kind with a time to live ([`Strategy::ttl`]) are
//! removed by [`Store::expire`] once the store's clock passes their last write plus that.
//!
//! With a data directory ([`Store::open`]) every change is also written to disk by group
//! commit ([`durable`]), and requests are answered only once what they saw is on disk
//! ([`Store::synced`]).
//!
//! [`Strategy::ttl`]: super::kinds::Strategy::ttl

pub mod durable;
mod expiry;
mod object;
mod watch;

use serde_json::Value;
use std::any::{Any, TypeId};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::broadcast;

pub use durable::PersistenceError;
pub(crate) use object::watch_event_line;
pub use object::{EventType, StoredObject, WatchEvent};
pub use watch::Subscription;

use super::kinds::{ResourceInfo, NAMESPACES};
use crate::clock::{Clock, SystemClock};

/// How many events the store keeps for watches that resume from an older revision.
pub const DEFAULT_HISTORY_LIMIT: usize = 200_000;
/// Capacity of the live event channel; a watcher that falls further behind is closed and
/// resumes from the history. Every slot keeps its last event alive, so it stays modest.
const CHANNEL_CAPACITY: usize = 16_384;
/// Why a store operation failed. The HTTP layer turns these into `Status` errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// No object of that resource, namespace and name (404).
    #[error("not found")]
    NotFound,
    /// An object of that resource, namespace and name exists already (409).
    #[error("already exists")]
    AlreadyExists,
    /// The stored `resourceVersion` differs from the expected one (409).
    #[error("the object has been modified")]
    Conflict,
    /// A delete's UID precondition does not match (409).
    #[error(
        "precondition failed: UID in precondition: {precondition}, UID in object meta: {actual}"
    )]
    UidPrecondition {
        /// The UID the client expects.
        precondition: String,
        /// The stored object's UID.
        actual: String,
    },
    /// A delete's resourceVersion precondition does not match (409).
    #[error("precondition failed: ResourceVersion in precondition: {precondition}, ResourceVersion in object meta: {actual}")]
    ResourceVersionPrecondition {
        /// The resourceVersion the client expects.
        precondition: String,
        /// The stored object's resourceVersion.
        actual: String,
    },
    /// A watch resumes from a revision no longer in the history (410 Gone / Expired).
    #[error("too old resource version: {requested} ({oldest})")]
    TooOld {
        /// The revision asked for.
        requested: u64,
        /// The oldest revision a watch can still resume from.
        oldest: u64,
    },
    /// A namespaced object is created in a namespace that does not exist (404).
    #[error("namespace {0} not found")]
    NamespaceNotFound(String),
    /// A namespaced object is created in a namespace being deleted (403).
    #[error("namespace {0} is being terminated")]
    NamespaceTerminating(String),
}

/// Objects kept on disk that no configured encryption provider reads, by resource, then
/// namespace and name, with upstream's storage error.
type Unreadable = HashMap<&'static str, BTreeMap<(String, String), Arc<str>>>;

/// Checks made atomically with a delete (`DeleteOptions.preconditions`,
/// `storage.Preconditions` upstream); `None` skips a check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preconditions {
    /// The `metadata.uid` the object must have.
    pub uid: Option<String>,
    /// The `metadata.resourceVersion` the object must have.
    pub resource_version: Option<String>,
}

/// One resource's objects: namespace (empty for cluster-scoped) → name → object.
/// Looked up by `&str` without building keys; lists sort the namespaces they visit.
type Objects = HashMap<String, BTreeMap<String, Arc<StoredObject>>>;

/// Told of every committed change while the write still holds the store's lock, so that
/// what it keeps is current before the write returns (read-your-writes for the API server's
/// own indexes, such as RBAC's). It must be quick and must not call the store.
pub type Observer = Box<dyn Fn(&WatchEvent) + Send + Sync>;
/// Where an object with a time to live is: resource, namespace, name.
type ExpiringObject = (&'static ResourceInfo, String, String);

struct State {
    revision: u64,
    /// Synchronous observers and the resources (plural names) each one is told about.
    observers: Vec<(Vec<&'static str>, Observer)>,
    objects: HashMap<&'static str, Objects>,
    history: VecDeque<HistoryEntry>,
    /// Events at or below this revision are no longer in `history`.
    compacted: u64,
    history_limit: usize,
    /// Objects with a time to live, by (deadline, revision written): an entry whose
    /// object has since been written again is stale and skipped.
    expiries: BTreeMap<(jiff::Timestamp, u64), ExpiringObject>,
}

/// One change in the history: its event, with the version it replaced (none for a
/// create), so that a list can be served as of an earlier revision.
struct HistoryEntry {
    event: WatchEvent,
}

impl State {
    fn find(&self, resource: &str, namespace: &str, name: &str) -> Option<&Arc<StoredObject>> {
        self.objects.get(resource)?.get(namespace)?.get(name)
    }
}

/// The store. Cheap to share behind an `Arc`. It plays the part of the etcd3 store of
/// `k8s.io/apiserver/pkg/storage` (`storage.Interface`: get, list, create, guaranteed
/// update, delete with preconditions, watch from a revision) and of the watch cache's
/// bounded history; all methods are synchronous and take one short lock.
pub struct Store {
    state: Mutex<State>,
    events: broadcast::Sender<WatchEvent>,
    /// Bumped to close every open watch (tests use it to force clients to resume).
    disconnects: tokio::sync::watch::Sender<u64>,
    clock: Arc<dyn Clock>,
    /// Per-store state of the kinds (a Service's cluster-IP reservations), by type.
    extensions: Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
    /// The copy on disk, with a data directory.
    durable: Option<durable::Durable>,
    /// Objects on disk that could not be decrypted at open: requests that name them, or
    /// list their resource, fail with 500 as upstream's storage does; a create of the same
    /// name finds it taken. Fixed at open (they stay on disk untouched), so read without
    /// the store's lock.
    unreadable: Unreadable,
}

impl Default for Store {
    fn default() -> Self {
        Self::new(DEFAULT_HISTORY_LIMIT)
    }
}

impl Store {
    /// An empty store at revision 1 that keeps the last `history_limit` events for watches
    /// to resume from ([`DEFAULT_HISTORY_LIMIT`] by default).
    pub fn new(history_limit: usize) -> Self {
        Self::with_clock(history_limit, Arc::new(SystemClock))
    }

    /// [`Store::new`] with time to live measured on `clock`.
    pub fn with_clock(history_limit: usize, clock: Arc<dyn Clock>) -> Self {
        let (events, _) = broadcast::channel(CHANNEL_CAPACITY);
        Self {
            state: Mutex::new(State {
                revision: 1,
                observers: Vec::new(),
                objects: HashMap::new(),
                history: VecDeque::new(),
                compacted: 1,
                history_limit,
                expiries: BTreeMap::new(),
            }),
            events,
            disconnects: tokio::sync::watch::channel(0).0,
            clock,
            extensions: Mutex::new(HashMap::new()),
            durable: None,
            unreadable: HashMap::new(),
        }
    }

    /// A store kept on disk in the database file `path` (created when missing): every
    /// object stored there is read back, the revision counter resumes where it stopped,
    /// and every later change is written there ([`durable`]). Watches from a revision
    /// before the open get `410 Gone`. Objects with a time to live expire at their last
    /// write plus that time, as before the restart.
    ///
    /// Errors: the file cannot be opened or read, or holds an object of an unknown
    /// resource or that is not JSON.
    pub fn open(
        history_limit: usize,
        clock: Arc<dyn Clock>,
        path: &std::path::Path,
    ) -> Result<Self, PersistenceError> {
        Self::open_encrypted(history_limit, clock, path, Arc::default())
    }

    /// [`Store::open`] with encryption at rest: every value written to the file is sealed
    /// by its resource's first provider, every value read back opened by whichever
    /// provider's prefix it carries. A value none of them opens does not stop the open: its
    /// object is unreadable ([`Store::unreadable`]) until a start with the right key.
    ///
    /// Errors: as [`Store::open`].
    pub fn open_encrypted(
        history_limit: usize,
        clock: Arc<dyn Clock>,
        path: &std::path::Path,
        encryption: Arc<super::encryption::Encryption>,
    ) -> Result<Self, PersistenceError> {
        let (disk, loaded) = durable::Durable::open(path, encryption)?;
        let mut store = Self::with_clock(history_limit, clock);
        let mut unreadable = Unreadable::new();
        {
            let mut state = store.lock();
            let revision = loaded.revision.max(1);
            state.revision = revision;
            state.compacted = revision;
            for object in loaded.objects {
                let corrupt = |reason: String| PersistenceError::Corrupt {
                    key: object.plural.clone(),
                    reason,
                };
                let resource = super::kinds::ALL
                    .iter()
                    .find(|r| r.plural == object.plural && r.strategy.storage_version().is_none())
                    .ok_or_else(|| corrupt("unknown resource".into()))?;
                let json = match object.json {
                    Ok(json) => json,
                    Err(reason) => {
                        tracing::error!(%reason, "a stored object cannot be decrypted");
                        unreadable
                            .entry(resource.plural)
                            .or_default()
                            .insert((object.namespace, object.name), reason.into());
                        continue;
                    }
                };
                let value: Value =
                    serde_json::from_slice(&json).map_err(|e| corrupt(format!("not JSON: {e}")))?;
                let object_revision = value["metadata"]["resourceVersion"]
                    .as_str()
                    .and_then(|rv| rv.parse().ok())
                    .unwrap_or(revision);
                let mut stored =
                    StoredObject::encode(resource, &value, object_revision, EventType::Added);
                stored.stale = object.stale;
                let stored = Arc::new(stored);
                let written_at = jiff::Timestamp::from_millisecond(object.written_at)
                    .unwrap_or_else(|_| store.clock.now());
                store.schedule_expiry_from(&mut state, resource, &stored, written_at);
                state
                    .objects
                    .entry(resource.plural)
                    .or_default()
                    .entry(stored.namespace().to_string())
                    .or_default()
                    .insert(stored.name().to_string(), stored);
            }
        }
        store.durable = Some(disk);
        store.unreadable = unreadable;
        Ok(store)
    }

    /// Writes what is still queued and closes the file of a store kept on disk, so that
    /// another can open it; a no-op in memory. Changes made afterwards stay in memory.
    pub fn close(&self) {
        if let Some(disk) = &self.durable {
            disk.close();
        }
    }

    /// Why an object, or any object a list or watch of `served` would include, cannot be
    /// read: its value on disk opens with no configured encryption provider
    /// ([`Store::open_encrypted`]). With `name`, that object only; without, any in
    /// `namespace` (or anywhere, for `None`). The text is upstream's storage error,
    /// `unable to transform key "/registry/...": ...`, which the API answers as 500.
    pub fn unreadable(
        &self,
        served: &'static ResourceInfo,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> Option<Arc<str>> {
        let objects = self.unreadable.get(storage_resource(served).plural)?;
        let found = match (namespace, name) {
            (ns, Some(name)) => {
                objects.get(&(ns.unwrap_or_default().to_string(), name.to_string()))
            }
            (Some(ns), None) => objects
                .range((ns.to_string(), String::new())..)
                .next()
                .filter(|((n, _), _)| n == ns)
                .map(|(_, reason)| reason),
            (None, None) => objects.values().next(),
        };
        found.cloned()
    }

    /// Whether the store is kept on disk ([`Store::open`]).
    pub fn is_durable(&self) -> bool {
        self.durable.is_some()
    }

    /// Waits until every change the store holds now is on disk; at once for an in-memory
    /// store. The server answers a request only after this, so that no client is told of a
    /// write or a `resourceVersion` that a crash could take back.
    ///
    /// Errors: an earlier commit to disk failed ([`PersistenceError::Failed`]).
    pub async fn synced(&self) -> Result<(), PersistenceError> {
        match &self.durable {
            None => Ok(()),
            Some(disk) => disk.wait(self.revision()).await,
        }
    }

    /// The store's clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// This store's instance of `T`, made on first use: state a kind keeps beside its
    /// objects (reservations of a pool), one per store and so one per server.
    pub fn extension<T: Default + Send + Sync + 'static>(&self) -> Arc<T> {
        let mut extensions = self.extensions.lock().unwrap_or_else(|e| e.into_inner());
        let entry = extensions
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Arc::new(T::default()));
        match entry.clone().downcast::<T>() {
            Ok(extension) => extension,
            // The map is keyed by the type id, so the entry is a T.
            Err(_) => Arc::new(T::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent data behind (every write is a
        // single map operation), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current revision.
    pub fn revision(&self) -> u64 {
        self.lock().revision
    }

    /// One object; `namespace` is empty for cluster-scoped resources.
    pub fn get(
        &self,
        resource: &ResourceInfo,
        namespace: &str,
        name: &str,
    ) -> Option<Arc<StoredObject>> {
        let found = self.lock().find(resource.plural, namespace, name).cloned();
        found.map(|stored| present(resource, stored))
    }

    /// The object decoded as `T` (a k8s-openapi type), or None when there is none; the
    /// API server's own readers (the authenticator, admission) use it.
    pub fn get_as<T: serde::de::DeserializeOwned>(
        &self,
        resource: &ResourceInfo,
        namespace: &str,
        name: &str,
    ) -> Result<Option<T>, serde_json::Error> {
        self.get(resource, namespace, name)
            .map(|object| object.decode())
            .transpose()
    }

    /// Objects of one resource, in one namespace or all, sorted by namespace then name,
    /// with the revision the list is consistent at.
    pub fn list(
        &self,
        resource: &ResourceInfo,
        namespace: Option<&str>,
    ) -> (Vec<Arc<StoredObject>>, u64) {
        let state = self.lock();
        let items = match state.objects.get(resource.plural) {
            None => Vec::new(),
            Some(by_namespace) => match namespace {
                None => {
                    let mut namespaces: Vec<&String> = by_namespace.keys().collect();
                    namespaces.sort_unstable();
                    let total = by_namespace.values().map(BTreeMap::len).sum();
                    let mut items = Vec::with_capacity(total);
                    for ns in namespaces {
                        items.extend(by_namespace[ns].values().cloned());
                    }
                    items
                }
                Some(ns) => by_namespace
                    .get(ns)
                    .map(|names| names.values().cloned().collect())
                    .unwrap_or_default(),
            },
        };
        let revision = state.revision;
        drop(state);
        if resource.strategy.storage_version().is_some() {
            let items = items
                .into_iter()
                .map(|stored| present(resource, stored))
                .collect();
            return (items, revision);
        }
        (items, revision)
    }

    /// Objects of one resource as they were at `revision` (etcd's read at a revision):
    /// the current ones with every later change of the history undone, sorted as
    /// [`Store::list`] sorts them. A `revision` at or past the current one is the current
    /// list.
    ///
    /// Errors: [`StoreError::TooOld`] when changes after `revision` have left the history
    /// (upstream's compacted revision).
    pub fn list_at(
        &self,
        resource: &ResourceInfo,
        namespace: Option<&str>,
        revision: u64,
    ) -> Result<Vec<Arc<StoredObject>>, StoreError> {
        let (current, now) = self.list(resource, namespace);
        if revision >= now {
            return Ok(current);
        }
        let state = self.lock();
        if revision < state.compacted {
            return Err(StoreError::TooOld {
                requested: revision,
                oldest: state.compacted + 1,
            });
        }
        let mut items: BTreeMap<(String, String), Arc<StoredObject>> = current
            .into_iter()
            .map(|object| {
                let key = (object.namespace().to_string(), object.name().to_string());
                (key, object)
            })
            .collect();
        // Newest first, so that the last change undone for a key leaves the version that
        // key had at `revision`.
        for entry in state.history.iter().rev() {
            if entry.event.revision() <= revision {
                break;
            }
            if entry.event.resource != resource.plural
                || namespace.is_some_and(|ns| entry.event.namespace() != ns)
            {
                continue;
            }
            let key = (
                entry.event.namespace().to_string(),
                entry.event.object.name().to_string(),
            );
            match &entry.event.previous {
                Some(previous) => items.insert(key, present(resource, previous.clone())),
                None => items.remove(&key),
            };
        }
        Ok(items.into_values().collect())
    }

    /// Number of objects of a resource in a namespace (namespace lifecycle uses it).
    pub fn count(&self, resource: &ResourceInfo, namespace: &str) -> usize {
        self.lock()
            .objects
            .get(resource.plural)
            .and_then(|by_namespace| by_namespace.get(namespace))
            .map_or(0, BTreeMap::len)
    }

    /// Stores a new object, stamping its `resourceVersion`.
    pub fn create(
        &self,
        served: &'static ResourceInfo,
        object: Value,
    ) -> Result<Arc<StoredObject>, StoreError> {
        let (resource, mut object) = to_storage(served, object);
        let (namespace, name) = key_of(&object);
        let mut state = self.lock();
        if resource.namespaced {
            // Checked under the lock so that nothing lands in a namespace being finalized.
            match state.find(NAMESPACES.plural, "", &namespace) {
                None => return Err(StoreError::NamespaceNotFound(namespace)),
                Some(ns) if ns.is_deleting() => {
                    return Err(StoreError::NamespaceTerminating(namespace))
                }
                Some(_) => {}
            }
        }
        if state.find(resource.plural, &namespace, &name).is_some() {
            return Err(StoreError::AlreadyExists);
        }
        if self
            .unreadable
            .get(resource.plural)
            .is_some_and(|objects| objects.contains_key(&(namespace.clone(), name.clone())))
        {
            // Still on disk, under its key: as etcd's create finds the key taken.
            return Err(StoreError::AlreadyExists);
        }
        let revision = state.revision + 1;
        set_resource_version(&mut object, revision);
        let stored = Arc::new(StoredObject::encode(
            resource,
            &object,
            revision,
            EventType::Added,
        ));
        state
            .objects
            .entry(resource.plural)
            .or_default()
            .entry(namespace)
            .or_default()
            .insert(name, stored.clone());
        self.commit(&mut state, resource, stored.clone(), None);
        self.schedule_expiry(&mut state, resource, &stored);
        drop(state);
        Ok(present(served, stored))
    }

    /// Replaces an object. With `expected_revision`, fails with `Conflict` unless the stored
    /// object still has that `resourceVersion`.
    pub fn update(
        &self,
        served: &'static ResourceInfo,
        object: Value,
        expected_revision: Option<&str>,
    ) -> Result<Arc<StoredObject>, StoreError> {
        let (resource, mut object) = to_storage(served, object);
        let mut state = self.lock();
        let revision = state.revision + 1;
        let slot = state
            .objects
            .get_mut(resource.plural)
            .and_then(|by_namespace| by_namespace.get_mut(namespace_of(&object)))
            .and_then(|names| names.get_mut(name_of(&object)))
            .ok_or(StoreError::NotFound)?;
        if let Some(expected) = expected_revision {
            if slot.resource_version() != expected {
                return Err(StoreError::Conflict);
            }
        }
        set_resource_version(&mut object, revision);
        let stored = Arc::new(StoredObject::encode(
            resource,
            &object,
            revision,
            EventType::Modified,
        ));
        let previous = std::mem::replace(slot, stored.clone());
        self.commit(&mut state, resource, stored.clone(), Some(previous));
        self.schedule_expiry(&mut state, resource, &stored);
        drop(state);
        Ok(present(served, stored))
    }

    /// Removes an object after checking preconditions; the returned copy carries the
    /// revision of the deletion, as Kubernetes reports it.
    pub fn delete(
        &self,
        served: &'static ResourceInfo,
        namespace: &str,
        name: &str,
        preconditions: &Preconditions,
    ) -> Result<Arc<StoredObject>, StoreError> {
        let resource = storage_resource(served);
        let mut state = self.lock();
        let current = state
            .find(resource.plural, namespace, name)
            .ok_or(StoreError::NotFound)?;
        check_preconditions(current, preconditions)?;
        let gone = self.remove(&mut state, resource, namespace, name);
        drop(state);
        Ok(present(served, gone))
    }

    /// Removes the object at a key known to exist, committing its `DELETED` event.
    fn remove(
        &self,
        state: &mut State,
        resource: &'static ResourceInfo,
        namespace: &str,
        name: &str,
    ) -> Arc<StoredObject> {
        let current = state.find(resource.plural, namespace, name).cloned();
        let revision = state.revision + 1;
        let mut gone = current.as_ref().map_or(Value::Null, |c| c.value());
        set_resource_version(&mut gone, revision);
        let gone = Arc::new(StoredObject::encode(
            resource,
            &gone,
            revision,
            EventType::Deleted,
        ));
        if let Some(by_namespace) = state.objects.get_mut(resource.plural) {
            if let Some(names) = by_namespace.get_mut(namespace) {
                names.remove(name);
                if names.is_empty() {
                    by_namespace.remove(namespace);
                }
            }
        }
        self.commit(state, resource, gone.clone(), current);
        gone
    }

    fn commit(
        &self,
        state: &mut State,
        resource: &'static ResourceInfo,
        object: Arc<StoredObject>,
        previous: Option<Arc<StoredObject>>,
    ) {
        state.revision = object.revision;
        if let Some(disk) = &self.durable {
            let deleted = object.event_type == EventType::Deleted;
            disk.push(durable::Change {
                key: durable::key(resource.plural, object.namespace(), object.name()),
                json: (!deleted).then(|| object.json()),
                written_at: self.clock.now().as_millisecond(),
                revision: object.revision,
            });
        }
        let event = WatchEvent {
            resource: resource.plural,
            object,
            previous,
        };
        for (resources, observer) in &state.observers {
            if resources.contains(&event.resource) {
                observer(&event);
            }
        }
        state.history.push_back(HistoryEntry {
            event: event.clone(),
        });
        while state.history.len() > state.history_limit {
            if let Some(old) = state.history.pop_front() {
                state.compacted = old.event.revision();
            }
        }
        // No receivers is fine: nobody is watching.
        let _ = self.events.send(event);
    }
}

/// Checks delete preconditions against the stored object.
pub fn check_preconditions(
    current: &StoredObject,
    preconditions: &Preconditions,
) -> Result<(), StoreError> {
    if let Some(uid) = &preconditions.uid {
        if current.uid() != uid {
            return Err(StoreError::UidPrecondition {
                precondition: uid.clone(),
                actual: current.uid().to_string(),
            });
        }
    }
    if let Some(rv) = &preconditions.resource_version {
        let actual = current.resource_version();
        if &actual != rv {
            return Err(StoreError::ResourceVersionPrecondition {
                precondition: rv.clone(),
                actual,
            });
        }
    }
    Ok(())
}

/// The stored object as `resource` serves it: itself, or converted from the storage
/// version ([`super::kinds::StorageVersion`]).
pub fn present(resource: &ResourceInfo, stored: Arc<StoredObject>) -> Arc<StoredObject> {
    match resource.strategy.storage_version() {
        None => stored,
        Some(storage) => {
            let object = (storage.from_storage)(stored.value());
            Arc::new(StoredObject::encode(
                resource,
                &object,
                stored.revision,
                stored.event_type,
            ))
        }
    }
}

/// The resource whose storage keeps `served`'s objects.
fn storage_resource(served: &'static ResourceInfo) -> &'static ResourceInfo {
    served
        .strategy
        .storage_version()
        .map_or(served, |storage| storage.stored)
}

/// The object in its storage version, and the resource of that version.
fn to_storage(served: &'static ResourceInfo, object: Value) -> (&'static ResourceInfo, Value) {
    match served.strategy.storage_version() {
        None => (served, object),
        Some(storage) => (storage.stored, (storage.to_storage)(object)),
    }
}

fn key_of(object: &Value) -> (String, String) {
    (
        namespace_of(object).to_string(),
        name_of(object).to_string(),
    )
}

/// `metadata.name`, or empty when missing or not a string.
pub fn name_of(object: &Value) -> &str {
    object["metadata"]["name"].as_str().unwrap_or_default()
}

/// `metadata.namespace`, or empty when missing or not a string.
pub fn namespace_of(object: &Value) -> &str {
    object["metadata"]["namespace"].as_str().unwrap_or_default()
}

fn set_resource_version(object: &mut Value, revision: u64) {
    if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert(
            "resourceVersion".into(),
            Value::String(revision.to_string()),
        );
    }
}

#[cfg(test)]
mod tests;
