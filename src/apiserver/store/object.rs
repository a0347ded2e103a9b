//! One stored version of an object ([`StoredObject`]: the serialized watch-event line and
//! its index) and the change that produced it ([`WatchEvent`]).

use bytes::Bytes;
use serde_json::Value;
use std::sync::Arc;

use crate::apiserver::kinds::ResourceInfo;

/// A watch event line, `{"type":"<event_type>","object":<object>}\n`, with `type` first as
/// kube-apiserver writes `metav1.WatchEvent`. Clients that decode the event as an
/// adjacently tagged enum (kube-rs, serde) then read the object once instead of buffering it.
pub(crate) fn watch_event_line(event_type: &str, object: &[u8]) -> Vec<u8> {
    let mut line = Vec::with_capacity(object.len() + event_type.len() + 24);
    line.extend_from_slice(&line_prefix(event_type));
    line.extend_from_slice(object);
    line.extend_from_slice(LINE_SUFFIX);
    line
}

/// `{"type":"<event_type>","object":`, which opens an event line.
fn line_prefix(event_type: &str) -> Vec<u8> {
    let mut prefix = Vec::with_capacity(event_type.len() + 20);
    prefix.extend_from_slice(b"{\"type\":\"");
    prefix.extend_from_slice(event_type.as_bytes());
    prefix.extend_from_slice(b"\",\"object\":");
    prefix
}

/// `}\n`, which closes an event line.
const LINE_SUFFIX: &[u8] = b"}\n";

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
/// `{"type":"ADDED","object":<object>}\n` ([`watch_event_line`]), and what lists and watches
/// need without parsing the object.
#[derive(Debug)]
pub struct StoredObject {
    pub(super) line: Bytes,
    /// The object's JSON is `line[object_start..object_end]`.
    pub(super) object_start: usize,
    pub(super) object_end: usize,
    pub(super) event_type: EventType,
    pub(super) namespace: Box<str>,
    pub(super) name: Box<str>,
    pub(super) uid: Box<str>,
    pub(super) revision: u64,
    pub(super) deleting: bool,
    /// Read from disk by an encryption provider or key no longer first: a write of
    /// unchanged content still rewrites it ([`crate::apiserver::encryption`]).
    pub(super) stale: bool,
    pub(super) labels: Box<[(Box<str>, Box<str>)]>,
    /// Values of the kind's selectable fields
    /// ([`crate::apiserver::kinds::Strategy::selectable_fields`]).
    pub(super) fields: Box<[(&'static str, Box<str>)]>,
}

impl StoredObject {
    /// Serializes `object` (whose `metadata.resourceVersion` is already `revision`) as the
    /// line of an event of `event_type`.
    pub(super) fn encode(
        resource: &ResourceInfo,
        object: &Value,
        revision: u64,
        event_type: EventType,
    ) -> Self {
        let mut line = Vec::with_capacity(512);
        line.extend_from_slice(&line_prefix(event_type.as_str()));
        let object_start = line.len();
        if serde_json::to_writer(&mut line, object).is_err() {
            line.truncate(object_start);
            line.extend_from_slice(b"null");
        }
        let object_end = line.len();
        line.extend_from_slice(LINE_SUFFIX);
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
            object_start,
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
        self.line.slice(self.object_start..self.object_end)
    }

    /// The object's JSON, borrowed.
    fn object_bytes(&self) -> &[u8] {
        &self.line[self.object_start..self.object_end]
    }

    /// The object parsed.
    pub fn value(&self) -> Value {
        // The bytes were written by serde_json from a Value, so they parse.
        serde_json::from_slice(self.object_bytes()).unwrap_or(Value::Null)
    }

    /// The object decoded as `T`.
    pub fn decode<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(self.object_bytes())
    }

    /// `{"type":"<event>","object":<object>}\n` of the event that stored this version.
    pub fn event_line(&self) -> Bytes {
        self.line.clone()
    }

    /// This version's content stored as an event of `event_type` at `revision`, with its
    /// `metadata.resourceVersion` rewritten: what a watch sends for an object that has left
    /// its selection (a `DELETED` of the previous content at the change's revision).
    pub fn restamped(
        &self,
        resource: &ResourceInfo,
        revision: u64,
        event_type: EventType,
    ) -> StoredObject {
        let mut object = self.value();
        if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert(
                "resourceVersion".into(),
                Value::String(revision.to_string()),
            );
        }
        Self::encode(resource, &object, revision, event_type)
    }

    /// The same object as an event line of another type (a watch's initial ADDED events).
    pub fn line_as(&self, event_type: EventType) -> Bytes {
        if event_type == self.event_type {
            return self.event_line();
        }
        Bytes::from(watch_event_line(event_type.as_str(), self.object_bytes()))
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
    /// The version this change replaced or removed; None for a create (and for the events
    /// an observer is first told of). Watches with selectors compare it
    /// (upstream's `watchCacheEvent.PrevObject`).
    pub previous: Option<Arc<StoredObject>>,
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

    /// `{"type":"ADDED","object":{...}}\n`, the stored bytes themselves.
    pub fn json_line(&self) -> Bytes {
        self.object.event_line()
    }
}
