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

use bytes::Bytes;
use serde_json::Value;
use std::any::{Any, TypeId};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::broadcast;

pub use durable::PersistenceError;

use super::kinds::{ResourceInfo, NAMESPACES};
use crate::clock::{Clock, SystemClock};

/// How many events the store keeps for watches that resume from an older revision.
pub const DEFAULT_HISTORY_LIMIT: usize = 200_000;
/// Capacity of the live event channel; a watcher that falls further behind is closed and
/// resumes from the history. Every slot keeps its last event alive, so it stays modest.
const CHANNEL_CAPACITY: usize = 16_384;
/// `{"object":` opens every stored line.
const LINE_PREFIX: &[u8] = b"{\"object\":";

/// The type of a watch event (`watch.EventType` in apimachinery); `BOOKMARK` and `ERROR`
/// are written by the watch handler, not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// The object was created.
    Added,
    /// The object was updated (also: marked for deletion).
    Modified,
    /// The object was removed.
    Deleted,
}

impl EventType {
    /// `ADDED`, `MODIFIED` or `DELETED`, as in a watch event's `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One stored version of an object: the watch event line that announced it,
/// `{"object":<object>,"type":"ADDED"}\n` (keys sorted, as serde_json writes maps), and
/// what lists and watches need without parsing the object.
#[derive(Debug)]
pub struct StoredObject {
    line: Bytes,
    /// The object's JSON is `line[LINE_PREFIX.len()..object_end]`.
    object_end: usize,
    event_type: EventType,
    namespace: Box<str>,
    name: Box<str>,
    uid: Box<str>,
    revision: u64,
    deleting: bool,
    /// Read from disk by an encryption provider or key no longer first: a write of
    /// unchanged content still rewrites it ([`super::encryption`]).
    stale: bool,
    labels: Box<[(Box<str>, Box<str>)]>,
    /// Values of the kind's selectable fields ([`super::kinds::Strategy::selectable_fields`]).
    fields: Box<[(&'static str, Box<str>)]>,
}

impl StoredObject {
    /// Serializes `object` (whose `metadata.resourceVersion` is already `revision`) as the
    /// line of an event of `event_type`.
    fn encode(
        resource: &ResourceInfo,
        object: &Value,
        revision: u64,
        event_type: EventType,
    ) -> Self {
        let mut line = Vec::with_capacity(512);
        line.extend_from_slice(LINE_PREFIX);
        if serde_json::to_writer(&mut line, object).is_err() {
            line.truncate(LINE_PREFIX.len());
            line.extend_from_slice(b"null");
        }
        let object_end = line.len();
        line.extend_from_slice(b",\"type\":\"");
        line.extend_from_slice(event_type.as_str().as_bytes());
        line.extend_from_slice(b"\"}\n");
        let meta = &object["metadata"];
        let text = |key: &str| Box::from(meta[key].as_str().unwrap_or_default());
        let labels = meta["labels"]
            .as_object()
            .map(|labels| {
                labels
                    .iter()
                    .map(|(k, v)| {
                        (
                            Box::from(k.as_str()),
                            Box::from(v.as_str().unwrap_or_default()),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let strategy = resource.strategy;
        let fields = strategy
            .selectable_fields()
            .iter()
            .map(|field| (*field, Box::from(strategy.field_value(object, field))))
            .collect();
        Self {
            // Exactly sized: the serializer's doubling leaves up to half of a buffer unused,
            // and stored lines are most of the server's memory.
            line: Bytes::from(line.into_boxed_slice()),
            object_end,
            event_type,
            namespace: text("namespace"),
            name: text("name"),
            uid: text("uid"),
            revision,
            deleting: meta["deletionTimestamp"].is_string(),
            stale: false,
            labels,
            fields,
        }
    }

    /// The object's JSON, sharing the stored bytes.
    pub fn json(&self) -> Bytes {
        self.line.slice(LINE_PREFIX.len()..self.object_end)
    }

    /// The object parsed.
    pub fn value(&self) -> Value {
        // The bytes were written by serde_json from a Value, so they parse.
        serde_json::from_slice(&self.line[LINE_PREFIX.len()..self.object_end])
            .unwrap_or(Value::Null)
    }

    /// The object decoded as `T`.
    pub fn decode<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.line[LINE_PREFIX.len()..self.object_end])
    }

    /// `{"object":<object>,"type":"<event>"}\n` of the event that stored this version.
    pub fn event_line(&self) -> Bytes {
        self.line.clone()
    }

    /// The same object as an event line of another type (a watch's initial ADDED events).
    pub fn line_as(&self, event_type: EventType) -> Bytes {
        if event_type == self.event_type {
            return self.event_line();
        }
        let object = &self.line[..self.object_end];
        let mut line = Vec::with_capacity(object.len() + 24);
        line.extend_from_slice(object);
        line.extend_from_slice(b",\"type\":\"");
        line.extend_from_slice(event_type.as_str().as_bytes());
        line.extend_from_slice(b"\"}\n");
        Bytes::from(line)
    }

    /// The type of the event that stored this version.
    pub fn event_type(&self) -> EventType {
        self.event_type
    }

    /// `metadata.namespace`; empty for cluster-scoped objects.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// `metadata.name`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `metadata.uid`; empty when the object has none.
    pub fn uid(&self) -> &str {
        &self.uid
    }

    /// `metadata.resourceVersion` as a number.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// `metadata.resourceVersion`.
    pub fn resource_version(&self) -> String {
        self.revision.to_string()
    }

    /// Whether `metadata.deletionTimestamp` is set.
    pub fn is_deleting(&self) -> bool {
        self.deleting
    }

    /// Whether this version was read from disk by an encryption provider or key that is
    /// no longer the first, so that an update must write it even when nothing changed
    /// (upstream's stale read, which `kubectl replace` relies on to re-encrypt).
    pub fn is_stale(&self) -> bool {
        self.stale
    }

    /// A label's value.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| &**k == key)
            .map(|(_, v)| &**v)
    }

    /// A selectable field's value from the index, or None when the index lacks the field.
    pub fn indexed_field(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, v)| &**v)
    }
}

impl PartialEq for StoredObject {
    fn eq(&self, other: &Self) -> bool {
        self.line == other.line
    }
}

/// One change to one object: the stored version it produced.
#[derive(Debug, Clone)]
pub struct WatchEvent {
    /// The resource's plural name (`pods`); watches filter on it.
    pub resource: &'static str,
    /// The stored version, or the last one with the deletion's revision for `DELETED`.
    pub object: Arc<StoredObject>,
}

impl WatchEvent {
    /// The revision the change was stored at (its `resourceVersion`).
    pub fn revision(&self) -> u64 {
        self.object.revision
    }

    /// The object's namespace; empty for cluster-scoped objects.
    pub fn namespace(&self) -> &str {
        &self.object.namespace
    }

    /// `ADDED`, `MODIFIED` or `DELETED`.
    pub fn event_type(&self) -> EventType {
        self.object.event_type
    }

    /// `{"object":{...},"type":"ADDED"}\n`, the stored bytes themselves.
    pub fn json_line(&self) -> Bytes {
        self.object.event_line()
    }
}

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

/// One change in the history: its event, and the version it replaced (none for a create),
/// so that a list can be served as of an earlier revision.
struct HistoryEntry {
    event: WatchEvent,
    previous: Option<Arc<StoredObject>>,
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
            match &entry.previous {
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

    /// Records when an object written just now expires, if its kind has a time to live.
    fn schedule_expiry(
        &self,
        state: &mut State,
        resource: &'static ResourceInfo,
        stored: &StoredObject,
    ) {
        self.schedule_expiry_from(state, resource, stored, self.clock.now());
    }

    /// Records when an object written at `written_at` expires, if its kind has a time
    /// to live.
    fn schedule_expiry_from(
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
        };
        for (resources, observer) in &state.observers {
            if resources.contains(&event.resource) {
                observer(&event);
            }
        }
        state.history.push_back(HistoryEntry {
            event: event.clone(),
            previous,
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
mod tests {
    use super::*;
    use crate::apiserver::kinds::{PODS, SECRETS};
    use serde_json::json;

    fn store_with_namespaces(names: &[&str]) -> Store {
        let store = Store::default();
        for name in names {
            store
                .create(&NAMESPACES, json!({"metadata": {"name": name}}))
                .expect("namespace");
        }
        store
    }

    fn secret(ns: &str, name: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"namespace": ns, "name": name, "uid": format!("uid-{name}")}})
    }

    #[test]
    fn create_get_update_delete_bump_the_revision() {
        let store = store_with_namespaces(&["a"]);
        let created = store.create(&SECRETS, secret("a", "s")).expect("create");
        assert_eq!(created.resource_version(), "3");
        assert_eq!(
            store.create(&SECRETS, secret("a", "s")),
            Err(StoreError::AlreadyExists)
        );
        let updated = store
            .update(&SECRETS, secret("a", "s"), Some("3"))
            .expect("update");
        assert_eq!(updated.resource_version(), "4");
        assert_eq!(
            store.update(&SECRETS, secret("a", "s"), Some("3")),
            Err(StoreError::Conflict)
        );
        let gone = store
            .delete(&SECRETS, "a", "s", &Preconditions::default())
            .expect("delete");
        assert_eq!(gone.resource_version(), "5");
        assert!(store.get(&SECRETS, "a", "s").is_none());
    }

    #[test]
    fn delete_checks_uid_and_resource_version_preconditions() {
        let store = store_with_namespaces(&["a"]);
        store.create(&SECRETS, secret("a", "s")).expect("create");
        let wrong_uid = Preconditions {
            uid: Some("other".into()),
            resource_version: None,
        };
        assert!(matches!(
            store.delete(&SECRETS, "a", "s", &wrong_uid),
            Err(StoreError::UidPrecondition { .. })
        ));
        let wrong_rv = Preconditions {
            uid: None,
            resource_version: Some("9".into()),
        };
        assert!(matches!(
            store.delete(&SECRETS, "a", "s", &wrong_rv),
            Err(StoreError::ResourceVersionPrecondition { .. })
        ));
        let right = Preconditions {
            uid: Some("uid-s".into()),
            resource_version: Some("3".into()),
        };
        assert!(store.delete(&SECRETS, "a", "s", &right).is_ok());
    }

    #[test]
    fn list_is_scoped_to_a_namespace_and_sorted() {
        let store = store_with_namespaces(&["a", "ab", "b"]);
        for (ns, name) in [("b", "x"), ("a", "z"), ("a", "y"), ("ab", "w")] {
            store.create(&SECRETS, secret(ns, name)).expect("create");
        }
        let (items, revision) = store.list(&SECRETS, Some("a"));
        let names: Vec<&str> = items.iter().map(|o| o.name()).collect();
        assert_eq!(names, ["y", "z"]);
        assert_eq!(revision, 8);
        assert_eq!(store.list(&SECRETS, None).0.len(), 4);
        assert!(store.list(&PODS, None).0.is_empty());
    }

    #[test]
    fn a_list_at_an_earlier_revision_undoes_later_changes() {
        let store = store_with_namespaces(&["a", "b"]);
        for name in ["kept", "edited", "deleted"] {
            store.create(&SECRETS, secret("a", name)).expect("create");
        }
        let (before, at) = store.list(&SECRETS, None);
        let mut edited = secret("a", "edited");
        edited["data"] = json!({"k": "dg=="});
        store.update(&SECRETS, edited, None).expect("update");
        store
            .delete(&SECRETS, "a", "deleted", &Preconditions::default())
            .expect("delete");
        for (namespace, name) in [("a", "added"), ("b", "elsewhere")] {
            store
                .create(&SECRETS, secret(namespace, name))
                .expect("create");
        }

        let then = store.list_at(&SECRETS, None, at).expect("in the history");
        assert_eq!(
            then.iter().map(|o| o.json()).collect::<Vec<_>>(),
            before.iter().map(|o| o.json()).collect::<Vec<_>>(),
            "the same objects, byte for byte, in the same order"
        );
        let in_b = store
            .list_at(&SECRETS, Some("b"), at)
            .expect("in the history");
        assert!(in_b.is_empty());
        let (now, revision) = store.list(&SECRETS, Some("a"));
        let latest = store.list_at(&SECRETS, Some("a"), revision).expect("now");
        assert_eq!(latest.len(), now.len());

        store.compact();
        assert_eq!(
            store.list_at(&SECRETS, None, at).err(),
            Some(StoreError::TooOld {
                requested: at,
                oldest: store.revision() + 1
            })
        );
    }

    #[test]
    fn subscriptions_resume_from_history_and_expire_after_compaction() {
        let store = store_with_namespaces(&["a"]);
        store.create(&SECRETS, secret("a", "one")).expect("create");
        store
            .create(&PODS, json!({"metadata": {"namespace": "a", "name": "p"}}))
            .expect("create");
        store.create(&SECRETS, secret("a", "two")).expect("create");
        let sub = store.subscribe(&SECRETS, Some(3)).expect("subscribe");
        let names: Vec<&str> = sub.backlog.iter().map(|e| e.object.name()).collect();
        assert_eq!(names, ["two"]);
        store.compact();
        assert_eq!(
            store.subscribe(&SECRETS, Some(3)).err(),
            Some(StoreError::TooOld {
                requested: 3,
                oldest: 6
            })
        );
        assert!(store.subscribe(&SECRETS, Some(5)).is_ok());
    }

    #[test]
    fn creates_need_a_live_namespace() {
        let store = store_with_namespaces(&["a"]);
        assert_eq!(
            store.create(&SECRETS, secret("b", "s")),
            Err(StoreError::NamespaceNotFound("b".into()))
        );
        let mut terminating = store.get(&NAMESPACES, "", "a").expect("ns").value();
        terminating["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
        store.update(&NAMESPACES, terminating, None).expect("mark");
        assert_eq!(
            store.create(&SECRETS, secret("a", "s")),
            Err(StoreError::NamespaceTerminating("a".into()))
        );
    }

    #[test]
    fn an_event_line_is_the_stored_bytes_and_the_object_a_slice_of_them() {
        let store = store_with_namespaces(&["a"]);
        let stored = store.create(&SECRETS, secret("a", "s")).expect("create");
        let event = store
            .subscribe(&SECRETS, Some(2))
            .expect("subscribe")
            .backlog
            .remove(0);
        let line = event.json_line();
        assert_eq!(line.as_ptr(), stored.event_line().as_ptr(), "not copied");
        let parsed: Value = serde_json::from_slice(&line).expect("json");
        assert_eq!(parsed["type"], "ADDED");
        assert_eq!(parsed["object"], stored.value());
        assert_eq!(stored.value()["metadata"]["resourceVersion"], "3");
        let as_modified: Value =
            serde_json::from_slice(&stored.line_as(EventType::Modified)).expect("json");
        assert_eq!(as_modified["type"], "MODIFIED");
        assert_eq!(as_modified["object"], parsed["object"]);
    }

    #[test]
    fn counts_and_lists_across_namespaces() {
        let store = store_with_namespaces(&["b", "a"]);
        for (ns, name) in [("b", "x"), ("a", "z"), ("a", "y")] {
            store.create(&SECRETS, secret(ns, name)).expect("create");
        }
        assert_eq!(store.count(&SECRETS, "a"), 2);
        assert_eq!(store.count(&SECRETS, "c"), 0);
        let keys: Vec<(String, String)> = store
            .list(&SECRETS, None)
            .0
            .iter()
            .map(|o| (o.namespace().to_string(), o.name().to_string()))
            .collect();
        let expected =
            [("a", "y"), ("a", "z"), ("b", "x")].map(|(n, m)| (n.to_string(), m.to_string()));
        assert_eq!(keys, expected);
        store
            .delete(&SECRETS, "b", "x", &Preconditions::default())
            .expect("delete");
        assert_eq!(store.count(&SECRETS, "b"), 0);
        assert!(store.list(&SECRETS, Some("b")).0.is_empty());
    }

    #[tokio::test]
    async fn an_opened_store_resumes_its_objects_revision_and_expiries() {
        use crate::apiserver::kinds::EVENTS;
        use crate::clock::FakeClock;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("store.redb");
        let clock = Arc::new(FakeClock::new(jiff::Timestamp::UNIX_EPOCH));
        let event = json!({"metadata": {"namespace": "a", "name": "e"}, "reason": "R"});
        {
            let store = Store::open(100, clock.clone(), &path).expect("open");
            store
                .create(&NAMESPACES, json!({"metadata": {"name": "a"}}))
                .expect("namespace");
            store.create(&SECRETS, secret("a", "kept")).expect("create");
            store.create(&SECRETS, secret("a", "gone")).expect("create");
            store
                .delete(&SECRETS, "a", "gone", &Preconditions::default())
                .expect("delete");
            store.create(&EVENTS, event).expect("event");
            store.synced().await.expect("on disk");
            assert_eq!(store.revision(), 6);
        }
        // Half the event's hour passes while the server is down.
        clock.advance(std::time::Duration::from_secs(1800));
        let store = Store::open(100, clock.clone(), &path).expect("reopen");
        assert_eq!(store.revision(), 6, "the counter resumes");
        let kept = store.get(&SECRETS, "a", "kept").expect("kept");
        assert_eq!(kept.resource_version(), "3");
        assert_eq!(kept.uid(), "uid-kept");
        assert!(store.get(&SECRETS, "a", "gone").is_none());
        assert_eq!(
            store.subscribe(&SECRETS, Some(5)).err(),
            Some(StoreError::TooOld {
                requested: 5,
                oldest: 7
            }),
            "watches from before the restart get 410 Gone"
        );
        assert!(store.subscribe(&SECRETS, Some(6)).is_ok());
        let created = store.create(&SECRETS, secret("a", "new")).expect("create");
        assert_eq!(created.resource_version(), "7");
        // The event expires an hour after it was written, not an hour after the restart.
        clock.advance(std::time::Duration::from_secs(1801));
        assert_eq!(store.expire(), 1);
        assert!(store.get(&EVENTS, "a", "e").is_none());
    }

    #[tokio::test]
    async fn an_encrypted_store_marks_stale_values_and_keeps_unreadable_ones_out() {
        use crate::apiserver::encryption::{config, Encryption};
        let encryption = |providers: &str| {
            let yaml = format!(
                "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n{providers}"
            );
            Arc::new(Encryption::from_config(&config::decode(&yaml).expect("yaml")).expect("valid"))
        };
        let key1 = "  - aesgcm: {keys: [{name: k1, secret: MTIzNDU2Nzg5MDEyMzQ1Ng==}]}\n";
        let both = "  - aesgcm: {keys: [{name: k2, secret: YWJjZGVmZ2hpamtsbW5vcA==}, {name: k1, secret: MTIzNDU2Nzg5MDEyMzQ1Ng==}]}\n";
        let key2 = "  - aesgcm: {keys: [{name: k2, secret: YWJjZGVmZ2hpamtsbW5vcA==}]}\n";
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("store.redb");
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        {
            let store =
                Store::open_encrypted(100, clock.clone(), &path, encryption(key1)).expect("open");
            store
                .create(&NAMESPACES, json!({"metadata": {"name": "a"}}))
                .expect("namespace");
            store.create(&SECRETS, secret("a", "s")).expect("create");
            store.create(&SECRETS, secret("a", "t")).expect("create");
            store.synced().await.expect("on disk");
            store.close();
        }
        {
            let store = Store::open_encrypted(100, clock.clone(), &path, encryption(both))
                .expect("rotated");
            let read = store.get(&SECRETS, "a", "s").expect("read with k1");
            assert!(read.is_stale(), "read by the second key");
            let rewritten = store.update(&SECRETS, read.value(), None).expect("rewrite");
            assert!(!rewritten.is_stale());
            store.synced().await.expect("on disk");
            store.close();
        }
        let store = Store::open_encrypted(100, clock, &path, encryption(key2)).expect("only k2");
        assert!(!store.get(&SECRETS, "a", "s").expect("rewritten").is_stale());
        assert!(store.get(&SECRETS, "a", "t").is_none(), "k1 is gone");
        let reason = store
            .unreadable(&SECRETS, Some("a"), Some("t"))
            .expect("unreadable");
        assert_eq!(
            &*reason,
            "unable to transform key \"/registry/secrets/a/t\": no matching key was found for the provided AES transformer"
        );
        assert!(store.unreadable(&SECRETS, Some("a"), None).is_some());
        assert!(store.unreadable(&SECRETS, None, None).is_some());
        assert!(store.unreadable(&SECRETS, Some("a"), Some("s")).is_none());
        assert!(store.unreadable(&SECRETS, Some("b"), None).is_none());
        assert!(store.unreadable(&PODS, None, None).is_none());
        assert_eq!(
            store.create(&SECRETS, secret("a", "t")),
            Err(StoreError::AlreadyExists),
            "the key is taken on disk"
        );
    }

    #[tokio::test]
    async fn live_events_reach_subscribers_once_encoded() {
        let store = store_with_namespaces(&["a"]);
        let mut sub = store.subscribe(&SECRETS, None).expect("subscribe");
        store.create(&SECRETS, secret("a", "s")).expect("create");
        let event = sub.live.recv().await.expect("event");
        assert_eq!(event.event_type(), EventType::Added);
        let line = event.json_line();
        assert!(line.ends_with(b"\n"));
        let parsed: Value = serde_json::from_slice(&line).expect("json");
        assert_eq!(parsed["type"], "ADDED");
        assert_eq!(parsed["object"]["metadata"]["resourceVersion"], "3");
    }
}
