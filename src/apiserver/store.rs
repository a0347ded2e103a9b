//! The in-memory object store: objects by resource, namespace and name, one global
//! revision counter (like etcd's), and a bounded event history that watches resume from.

use bytes::Bytes;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::broadcast;

use super::kinds::{ResourceInfo, NAMESPACES};

/// How many events the store keeps for watches that resume from an older revision.
pub const DEFAULT_HISTORY_LIMIT: usize = 200_000;
/// Capacity of the live event channel; a watcher that falls further behind is closed.
const CHANNEL_CAPACITY: usize = 65_536;
/// The newest this many events keep their encoded line for watchers; older ones (kept only
/// for watches that resume from far back) are encoded again on demand, so the history
/// does not hold a second, serialized copy of everything.
const ENCODED_EVENTS: usize = 8_192;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One change to one object.
#[derive(Debug)]
pub struct WatchEvent {
    pub revision: u64,
    pub resource: &'static str,
    pub namespace: String,
    pub event_type: EventType,
    pub object: Arc<Value>,
    /// The JSON line sent to watchers, serialized once however many watchers there are.
    encoded: Mutex<Option<Bytes>>,
    /// Set once the event is too old to keep its line cached.
    cold: AtomicBool,
}

impl WatchEvent {
    fn new(
        revision: u64,
        resource: &'static str,
        event_type: EventType,
        object: Arc<Value>,
    ) -> Self {
        Self {
            revision,
            resource,
            namespace: namespace_of(&object).to_string(),
            event_type,
            object,
            encoded: Mutex::new(None),
            cold: AtomicBool::new(false),
        }
    }

    /// `{"type":"ADDED","object":{...}}\n`
    pub fn json_line(&self) -> Bytes {
        if self.cold.load(Ordering::Acquire) {
            return encode_event_line(self.event_type.as_str(), &self.object);
        }
        // Encoding under the lock makes concurrent watchers wait for the one line
        // rather than each serialize the object again.
        let mut encoded = self.encoded.lock().unwrap_or_else(|e| e.into_inner());
        encoded
            .get_or_insert_with(|| encode_event_line(self.event_type.as_str(), &self.object))
            .clone()
    }

    /// Drops the cached line; later callers encode their own.
    fn forget_line(&self) {
        self.cold.store(true, Ordering::Release);
        self.encoded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
    }
}

/// `{"object":<object>,"type":"<type>"}\n`, the keys in the order serde_json's sorted maps
/// give them. The object is serialized in place: `json!` would deep-copy it first.
pub fn encode_event_line(event_type: &str, object: &Value) -> Bytes {
    const PREFIX: &[u8] = b"{\"object\":";
    let mut line = Vec::with_capacity(512);
    line.extend_from_slice(PREFIX);
    if serde_json::to_writer(&mut line, object).is_err() {
        line.truncate(PREFIX.len());
        line.extend_from_slice(b"null");
    }
    line.extend_from_slice(b",\"type\":\"");
    line.extend_from_slice(event_type.as_bytes());
    line.extend_from_slice(b"\"}\n");
    Bytes::from(line)
}

/// Why a store operation failed. The HTTP layer turns these into `Status` errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("already exists")]
    AlreadyExists,
    #[error("the object has been modified")]
    Conflict,
    #[error(
        "precondition failed: UID in precondition: {precondition}, UID in object meta: {actual}"
    )]
    UidPrecondition {
        precondition: String,
        actual: String,
    },
    #[error("precondition failed: ResourceVersion in precondition: {precondition}, ResourceVersion in object meta: {actual}")]
    ResourceVersionPrecondition {
        precondition: String,
        actual: String,
    },
    #[error("too old resource version: {requested} ({oldest})")]
    TooOld { requested: u64, oldest: u64 },
    #[error("namespace {0} not found")]
    NamespaceNotFound(String),
    #[error("namespace {0} is being terminated")]
    NamespaceTerminating(String),
}

/// Checks made atomically with a delete.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preconditions {
    pub uid: Option<String>,
    pub resource_version: Option<String>,
}

/// One resource's objects: namespace (empty for cluster-scoped) → name → object.
/// Looked up by `&str` without building keys; lists sort the namespaces they visit.
type Objects = HashMap<String, BTreeMap<String, Arc<Value>>>;

struct State {
    revision: u64,
    objects: HashMap<&'static str, Objects>,
    history: VecDeque<Arc<WatchEvent>>,
    /// Events at or below this revision are no longer in `history`.
    compacted: u64,
    history_limit: usize,
}

impl State {
    fn find(&self, resource: &str, namespace: &str, name: &str) -> Option<&Arc<Value>> {
        self.objects.get(resource)?.get(namespace)?.get(name)
    }
}

/// The store. Cheap to share behind an `Arc`.
pub struct Store {
    state: Mutex<State>,
    events: broadcast::Sender<Arc<WatchEvent>>,
    /// Bumped to close every open watch (tests use it to force clients to resume).
    disconnects: tokio::sync::watch::Sender<u64>,
}

impl Default for Store {
    fn default() -> Self {
        Self::new(DEFAULT_HISTORY_LIMIT)
    }
}

/// A watch registered with the store: the events it missed, then the live channel.
pub struct Subscription {
    pub backlog: Vec<Arc<WatchEvent>>,
    pub live: broadcast::Receiver<Arc<WatchEvent>>,
    /// Changes when the store asks every watch to end.
    pub disconnect: tokio::sync::watch::Receiver<u64>,
    /// Revision of the store when the subscription was taken.
    pub revision: u64,
}

impl Store {
    pub fn new(history_limit: usize) -> Self {
        let (events, _) = broadcast::channel(CHANNEL_CAPACITY);
        Self {
            state: Mutex::new(State {
                revision: 1,
                objects: HashMap::new(),
                history: VecDeque::new(),
                compacted: 1,
                history_limit,
            }),
            events,
            disconnects: tokio::sync::watch::channel(0).0,
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

    pub fn get(&self, resource: &ResourceInfo, namespace: &str, name: &str) -> Option<Arc<Value>> {
        self.lock().find(resource.plural, namespace, name).cloned()
    }

    /// Objects of one resource, in one namespace or all, sorted by namespace then name,
    /// with the revision the list is consistent at.
    pub fn list(&self, resource: &ResourceInfo, namespace: Option<&str>) -> (Vec<Arc<Value>>, u64) {
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
        (items, state.revision)
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
        resource: &'static ResourceInfo,
        mut object: Value,
    ) -> Result<Arc<Value>, StoreError> {
        let (namespace, name) = key_of(&object);
        let mut state = self.lock();
        if resource.namespaced {
            // Checked under the lock so that nothing lands in a namespace being finalized.
            match state.find(NAMESPACES.plural, "", &namespace) {
                None => return Err(StoreError::NamespaceNotFound(namespace)),
                Some(ns) if ns["metadata"]["deletionTimestamp"].is_string() => {
                    return Err(StoreError::NamespaceTerminating(namespace))
                }
                Some(_) => {}
            }
        }
        if state.find(resource.plural, &namespace, &name).is_some() {
            return Err(StoreError::AlreadyExists);
        }
        let revision = state.revision + 1;
        set_resource_version(&mut object, revision);
        let object = Arc::new(object);
        state
            .objects
            .entry(resource.plural)
            .or_default()
            .entry(namespace)
            .or_default()
            .insert(name, object.clone());
        self.commit(
            &mut state,
            revision,
            resource,
            EventType::Added,
            object.clone(),
        );
        Ok(object)
    }

    /// Replaces an object. With `expected_revision`, fails with `Conflict` unless the stored
    /// object still has that `resourceVersion`.
    pub fn update(
        &self,
        resource: &'static ResourceInfo,
        mut object: Value,
        expected_revision: Option<&str>,
    ) -> Result<Arc<Value>, StoreError> {
        let mut state = self.lock();
        let revision = state.revision + 1;
        let slot = state
            .objects
            .get_mut(resource.plural)
            .and_then(|by_namespace| by_namespace.get_mut(namespace_of(&object)))
            .and_then(|names| names.get_mut(name_of(&object)))
            .ok_or(StoreError::NotFound)?;
        if let Some(expected) = expected_revision {
            if resource_version_of(slot) != expected {
                return Err(StoreError::Conflict);
            }
        }
        set_resource_version(&mut object, revision);
        let object = Arc::new(object);
        *slot = object.clone();
        self.commit(
            &mut state,
            revision,
            resource,
            EventType::Modified,
            object.clone(),
        );
        Ok(object)
    }

    /// Removes an object after checking preconditions; the returned copy carries the
    /// revision of the deletion, as Kubernetes reports it.
    pub fn delete(
        &self,
        resource: &'static ResourceInfo,
        namespace: &str,
        name: &str,
        preconditions: &Preconditions,
    ) -> Result<Arc<Value>, StoreError> {
        let mut state = self.lock();
        let current = state
            .find(resource.plural, namespace, name)
            .ok_or(StoreError::NotFound)?;
        check_preconditions(current, preconditions)?;
        let revision = state.revision + 1;
        let mut gone = (**current).clone();
        set_resource_version(&mut gone, revision);
        let gone = Arc::new(gone);
        if let Some(by_namespace) = state.objects.get_mut(resource.plural) {
            if let Some(names) = by_namespace.get_mut(namespace) {
                names.remove(name);
                if names.is_empty() {
                    by_namespace.remove(namespace);
                }
            }
        }
        self.commit(
            &mut state,
            revision,
            resource,
            EventType::Deleted,
            gone.clone(),
        );
        Ok(gone)
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
                let start = state.history.partition_point(|e| e.revision <= from);
                state
                    .history
                    .range(start..)
                    .filter(|e| e.resource == resource.plural)
                    .cloned()
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
        revision: u64,
        resource: &'static ResourceInfo,
        event_type: EventType,
        object: Arc<Value>,
    ) {
        state.revision = revision;
        let event = Arc::new(WatchEvent::new(
            revision,
            resource.plural,
            event_type,
            object,
        ));
        state.history.push_back(event.clone());
        if let Some(aged) = state
            .history
            .len()
            .checked_sub(ENCODED_EVENTS + 1)
            .and_then(|i| state.history.get(i))
        {
            aged.forget_line();
        }
        while state.history.len() > state.history_limit {
            if let Some(old) = state.history.pop_front() {
                // The live channel may still hold it; its line need not stay too.
                old.forget_line();
                state.compacted = old.revision;
            }
        }
        // No receivers is fine: nobody is watching.
        let _ = self.events.send(event);
    }
}

/// Checks delete preconditions against the stored object.
pub fn check_preconditions(
    current: &Value,
    preconditions: &Preconditions,
) -> Result<(), StoreError> {
    if let Some(uid) = &preconditions.uid {
        let actual = current["metadata"]["uid"].as_str().unwrap_or_default();
        if actual != uid {
            return Err(StoreError::UidPrecondition {
                precondition: uid.clone(),
                actual: actual.to_string(),
            });
        }
    }
    if let Some(rv) = &preconditions.resource_version {
        let actual = resource_version_of(current);
        if actual != rv {
            return Err(StoreError::ResourceVersionPrecondition {
                precondition: rv.clone(),
                actual: actual.to_string(),
            });
        }
    }
    Ok(())
}

fn key_of(object: &Value) -> (String, String) {
    (
        namespace_of(object).to_string(),
        name_of(object).to_string(),
    )
}

pub fn name_of(object: &Value) -> &str {
    object["metadata"]["name"].as_str().unwrap_or_default()
}

pub fn namespace_of(object: &Value) -> &str {
    object["metadata"]["namespace"].as_str().unwrap_or_default()
}

pub fn resource_version_of(object: &Value) -> &str {
    object["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_default()
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
        assert_eq!(resource_version_of(&created), "3");
        assert_eq!(
            store.create(&SECRETS, secret("a", "s")),
            Err(StoreError::AlreadyExists)
        );
        let updated = store
            .update(&SECRETS, secret("a", "s"), Some("3"))
            .expect("update");
        assert_eq!(resource_version_of(&updated), "4");
        assert_eq!(
            store.update(&SECRETS, secret("a", "s"), Some("3")),
            Err(StoreError::Conflict)
        );
        let gone = store
            .delete(&SECRETS, "a", "s", &Preconditions::default())
            .expect("delete");
        assert_eq!(resource_version_of(&gone), "5");
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
        let names: Vec<&str> = items.iter().map(|o| name_of(o)).collect();
        assert_eq!(names, ["y", "z"]);
        assert_eq!(revision, 8);
        assert_eq!(store.list(&SECRETS, None).0.len(), 4);
        assert!(store.list(&PODS, None).0.is_empty());
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
        let names: Vec<&str> = sub.backlog.iter().map(|e| name_of(&e.object)).collect();
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
        let mut terminating = (*store.get(&NAMESPACES, "", "a").expect("ns")).clone();
        terminating["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
        store.update(&NAMESPACES, terminating, None).expect("mark");
        assert_eq!(
            store.create(&SECRETS, secret("a", "s")),
            Err(StoreError::NamespaceTerminating("a".into()))
        );
    }

    #[test]
    fn only_recent_events_keep_their_encoded_line() {
        let store = store_with_namespaces(&["a"]);
        store.create(&SECRETS, secret("a", "s-0")).expect("create");
        let oldest = store
            .subscribe(&SECRETS, Some(2))
            .expect("subscribe")
            .backlog
            .remove(0);
        let line = oldest.json_line();
        assert!(oldest.encoded.lock().expect("lock").is_some());
        for i in 1..=ENCODED_EVENTS {
            store
                .create(&SECRETS, secret("a", &format!("s-{i}")))
                .expect("create");
        }
        assert!(
            oldest.encoded.lock().expect("lock").is_none(),
            "line dropped"
        );
        assert_eq!(oldest.json_line(), line, "encoded again, identically");
        assert!(
            oldest.encoded.lock().expect("lock").is_none(),
            "not cached again"
        );
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
            .map(|o| key_of(o))
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
    async fn live_events_reach_subscribers_once_encoded() {
        let store = store_with_namespaces(&["a"]);
        let mut sub = store.subscribe(&SECRETS, None).expect("subscribe");
        store.create(&SECRETS, secret("a", "s")).expect("create");
        let event = sub.live.recv().await.expect("event");
        assert_eq!(event.event_type, EventType::Added);
        let line = event.json_line();
        assert!(line.ends_with(b"\n"));
        let parsed: Value = serde_json::from_slice(&line).expect("json");
        assert_eq!(parsed["type"], "ADDED");
        assert_eq!(parsed["object"]["metadata"]["resourceVersion"], "3");
    }
}
