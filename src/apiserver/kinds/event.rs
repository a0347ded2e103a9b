//! Events (`pkg/registry/core/event/strategy.go`), served as core/v1 `events` and as
//! `events.k8s.io/v1` `events` from the same storage: objects are kept in the core form and
//! converted field by field (`pkg/apis/events/v1/conversion.go`). Every write gives an event
//! one more hour to live, as kube-apiserver's default `--event-ttl` does; the store removes
//! it when its clock passes that. `kubectl get events` prints upstream's columns.

use std::time::Duration;

use serde_json::{json, Map, Value};

use super::{ResourceInfo, StorageVersion, Strategy, CRUD_VERBS};
use crate::apiserver::errors::ApiError;
use crate::apiserver::table::{since, timestamp_at, Column, NAME_COLUMN};
use crate::apiserver::validation::{
    name_is_dns_subdomain, str_at, validate_object_meta, validate_object_meta_update, Issues,
};
use k8s_openapi::api::core::v1::Event as CoreEvent;
use k8s_openapi::api::events::v1::Event;

/// kube-apiserver's default `--event-ttl`.
pub const EVENT_TTL: Duration = Duration::from_secs(60 * 60);

/// `v1` `events`.
pub const EVENTS: ResourceInfo = ResourceInfo {
    group: "",
    version: "v1",
    plural: "events",
    singular: "event",
    kind: "Event",
    list_kind: "EventList",
    namespaced: true,
    short_names: &["ev"],
    categories: &[],
    verbs: CRUD_VERBS,
    subresources: &[],
    create_only: false,
    strategy: &CoreEventStrategy,
    schema: super::TypedSchema::of::<CoreEvent>(),
};

/// `events.k8s.io/v1` `events`, stored as [`EVENTS`].
pub const EVENTS_V1: ResourceInfo = ResourceInfo {
    group: "events.k8s.io",
    version: "v1",
    plural: "events",
    singular: "event",
    kind: "Event",
    list_kind: "EventList",
    namespaced: true,
    short_names: &["ev"],
    categories: &[],
    verbs: CRUD_VERBS,
    subresources: &[],
    create_only: false,
    strategy: &EventsV1Strategy,
    schema: super::TypedSchema::of::<Event>(),
};

/// Field names of events.k8s.io/v1 and, beside each, the core/v1 field it is stored in.
const RENAMES: &[(&str, &str)] = &[
    ("regarding", "involvedObject"),
    ("note", "message"),
    ("reportingController", "reportingComponent"),
    ("deprecatedSource", "source"),
    ("deprecatedFirstTimestamp", "firstTimestamp"),
    ("deprecatedLastTimestamp", "lastTimestamp"),
    ("deprecatedCount", "count"),
];

static STORED_AS_CORE: StorageVersion = StorageVersion {
    stored: &EVENTS,
    to_storage: to_core,
    from_storage: from_core,
};

fn renamed(object: Value, api_version: &str, from_v1: bool) -> Value {
    let Value::Object(fields) = object else {
        return object;
    };
    let mut out = Map::with_capacity(fields.len());
    for (key, value) in fields {
        let renamed = RENAMES.iter().find_map(|&(v1, core)| {
            let (from, to) = if from_v1 { (v1, core) } else { (core, v1) };
            (from == key).then_some(to)
        });
        let name = renamed.map_or(key, str::to_string);
        out.insert(name, value);
    }
    out.insert("apiVersion".into(), json!(api_version));
    Value::Object(out)
}

/// An events.k8s.io/v1 Event as the core/v1 Event it is stored as.
fn to_core(event: Value) -> Value {
    renamed(event, "v1", true)
}

/// A stored core/v1 Event as events.k8s.io/v1 serves it.
fn from_core(event: Value) -> Value {
    renamed(event, "events.k8s.io/v1", false)
}

const fn described(name: &'static str, description: &'static str, priority: u32) -> Column {
    Column {
        name,
        kind: "string",
        format: "",
        description,
        priority,
    }
}

/// Upstream's event printer columns (the same for both versions).
const COLUMNS: &[Column] = &[
    described("Last Seen", "The time at which the most recent occurrence of this event was recorded.", 0),
    described("Type", "Type of this event (Normal, Warning), new types could be added in the future", 0),
    described("Reason", "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.", 0),
    described("Object", "The object that this event is about.", 0),
    described("Subobject", "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. For example, if the object reference is to a container within a pod, this would take on a value like: \"spec.containers{name}\" (where \"name\" refers to the name of the container that triggered the event) or if no container name is specified \"spec.containers[2]\" (container with index 2 in this pod). This syntax is chosen only to have some well-defined way of referencing a part of an object.", 1),
    described("Source", "The component reporting this event. Should be a short machine understandable string.", 1),
    described("Message", "A human-readable description of the status of this operation.", 0),
    described("First Seen", "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)", 1),
    described("Count", "The number of times this event has occurred.", 1),
    Column {
        priority: 1,
        ..NAME_COLUMN
    },
];

/// The core/v1 event strategy.
pub struct CoreEventStrategy;

/// The events.k8s.io/v1 event strategy: the core one's rules on the stored form.
pub struct EventsV1Strategy;

impl Strategy for CoreEventStrategy {
    fn normalize(&self, info: &ResourceInfo, object: &Value) -> Result<Value, ApiError> {
        super::normalize_as::<CoreEvent>(info, object)
    }

    fn validate_create(&self, object: &Value, issues: &mut Issues) {
        validate_event(object, issues);
    }

    fn validate_update(&self, old: &Value, new: &Value, issues: &mut Issues) {
        validate_object_meta_update(old, new, issues);
        validate_event(new, issues);
    }

    fn ttl(&self) -> Option<Duration> {
        Some(EVENT_TTL)
    }

    fn table_columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn table_row(&self, object: &Value, now: jiff::Timestamp) -> (Vec<Value>, Option<Value>) {
        (event_cells(object, now), None)
    }

    /// The fields upstream's `EventToSelectableFields` offers (`kubectl describe` selects
    /// on `involvedObject.*`).
    fn convert_field_label(&self, label: &str) -> Result<String, String> {
        if matches!(label, "metadata.name" | "metadata.namespace") || SELECTABLE.contains(&label) {
            Ok(label.to_string())
        } else {
            Err(format!("field label not supported: {label}"))
        }
    }

    fn field_value(&self, object: &Value, field: &str) -> String {
        match field.split_once('.') {
            Some(("metadata", key)) => str_at(object, &["metadata", key]).to_string(),
            Some(("involvedObject", key)) => str_at(object, &["involvedObject", key]).to_string(),
            Some(_) => String::new(),
            None if field == "source" => str_at(object, &["source", "component"]).to_string(),
            None => str_at(object, &[field]).to_string(),
        }
    }
}

const SELECTABLE: &[&str] = &[
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
];

impl Strategy for EventsV1Strategy {
    fn normalize(&self, info: &ResourceInfo, object: &Value) -> Result<Value, ApiError> {
        super::normalize_as::<Event>(info, object)
    }

    fn validate_create(&self, object: &Value, issues: &mut Issues) {
        validate_events_v1(object, issues);
    }

    fn validate_update(&self, old: &Value, new: &Value, issues: &mut Issues) {
        validate_object_meta_update(old, new, issues);
        validate_events_v1(new, issues);
    }

    fn ttl(&self) -> Option<Duration> {
        Some(EVENT_TTL)
    }

    fn storage_version(&self) -> Option<&'static StorageVersion> {
        Some(&STORED_AS_CORE)
    }

    fn table_columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn table_row(&self, object: &Value, now: jiff::Timestamp) -> (Vec<Value>, Option<Value>) {
        (event_cells(&to_core(object.clone()), now), None)
    }
}

/// The cells of a core/v1 event (upstream's `printEvent`, wide).
fn event_cells(event: &Value, now: jiff::Timestamp) -> Vec<Value> {
    let micro = |path: &[&str]| since(timestamp_at(event, path), now);
    let first_seen = match timestamp_at(event, &["firstTimestamp"]) {
        Some(first) => since(Some(first), now),
        None => micro(&["eventTime"]),
    };
    let mut last_seen = match timestamp_at(event, &["lastTimestamp"]) {
        Some(last) => since(Some(last), now),
        None => first_seen.clone(),
    };
    let mut count = event["count"].as_i64().unwrap_or(0);
    if event["series"].is_object() {
        last_seen = micro(&["series", "lastObservedTime"]);
        count = event["series"]["count"].as_i64().unwrap_or(0);
    } else if count == 0 {
        // Singleton events of the new API have no count.
        count = 1;
    }
    let involved = &event["involvedObject"];
    let kind = involved["kind"].as_str().unwrap_or_default().to_lowercase();
    let target = match involved["name"].as_str().unwrap_or_default() {
        "" => kind,
        name => format!("{kind}/{name}"),
    };
    let first_non_empty = |a: &str, b: &str| {
        if a.is_empty() {
            b.to_string()
        } else {
            a.to_string()
        }
    };
    let component = first_non_empty(
        str_at(event, &["source", "component"]),
        str_at(event, &["reportingComponent"]),
    );
    let instance = first_non_empty(
        str_at(event, &["source", "host"]),
        str_at(event, &["reportingInstance"]),
    );
    let source = if instance.is_empty() {
        component
    } else {
        format!("{component}, {instance}")
    };
    vec![
        json!(last_seen),
        json!(str_at(event, &["type"])),
        json!(str_at(event, &["reason"])),
        json!(target),
        json!(str_at(event, &["involvedObject", "fieldPath"])),
        json!(source),
        json!(str_at(event, &["message"]).trim()),
        json!(first_seen),
        json!(count),
        json!(str_at(event, &["metadata", "name"])),
    ]
}

/// Metadata, and an involved object in the event's own namespace (`ValidateEventCreate`
/// for core/v1 clients).
fn validate_event(event: &Value, issues: &mut Issues) {
    validate_object_meta(event, true, name_is_dns_subdomain, issues);
    let namespace = str_at(event, &["metadata", "namespace"]);
    let involved = str_at(event, &["involvedObject", "namespace"]);
    if !involved.is_empty() && involved != namespace {
        issues.invalid(
            "involvedObject.namespace",
            involved,
            "does not match event.namespace",
        );
    }
}

/// What events.k8s.io/v1 requires besides metadata (`ValidateEventCreate` for v1).
fn validate_events_v1(event: &Value, issues: &mut Issues) {
    validate_object_meta(event, true, name_is_dns_subdomain, issues);
    if event["eventTime"].is_null() {
        issues.required("eventTime");
    }
    for field in [
        "reportingController",
        "reportingInstance",
        "action",
        "reason",
    ] {
        if str_at(event, &[field]).is_empty() {
            issues.required(field);
        }
    }
    let kind = str_at(event, &["type"]);
    if !matches!(kind, "Normal" | "Warning") {
        issues.invalid(
            "type",
            kind,
            "has invalid value: must be one of [Normal Warning]",
        );
    }
    let namespace = str_at(event, &["metadata", "namespace"]);
    let regarding = str_at(event, &["regarding", "namespace"]);
    if !regarding.is_empty() && regarding != namespace {
        issues.invalid(
            "regarding.namespace",
            regarding,
            "does not match event.namespace",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::kinds::NAMESPACES;
    use crate::apiserver::store::{EventType, Store};
    use crate::apiserver::table::testing::now;
    use crate::apiserver::table::{table, IncludeObject};
    use crate::clock::FakeClock;
    use std::sync::Arc;

    fn core_event(name: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "Event",
               "metadata": {"name": name, "namespace": "ns"},
               "involvedObject": {"kind": "Pod", "name": "web", "namespace": "ns", "fieldPath": "spec.containers{app}"},
               "reason": "Pulled", "message": "Image pulled ", "type": "Normal", "count": 3,
               "source": {"component": "kubelet", "host": "n1"},
               "firstTimestamp": "2024-05-01T11:58:00Z", "lastTimestamp": "2024-05-01T11:59:55Z"})
    }

    #[test]
    fn kubectl_get_events_cells() {
        let event = core_event("web.1");
        let t = table(&EVENTS, &[&event], json!({}), IncludeObject::None, now());
        assert_eq!(
            t["rows"][0]["cells"],
            json!([
                "5s",
                "Normal",
                "Pulled",
                "pod/web",
                "spec.containers{app}",
                "kubelet, n1",
                "Image pulled",
                "2m",
                3,
                "web.1"
            ])
        );
        let v1 = from_core(event);
        let t = table(&EVENTS_V1, &[&v1], json!({}), IncludeObject::None, now());
        assert_eq!(t["rows"][0]["cells"][3], "pod/web");
        let singleton = json!({"metadata": {"name": "s"}, "eventTime": "2024-05-01T11:59:00.000000Z",
            "reportingComponent": "sched", "involvedObject": {"kind": "Node"}});
        let t = table(
            &EVENTS,
            &[&singleton],
            json!({}),
            IncludeObject::None,
            now(),
        );
        assert_eq!(t["rows"][0]["cells"][0], "60s");
        assert_eq!(t["rows"][0]["cells"][3], "node");
        assert_eq!(t["rows"][0]["cells"][5], "sched");
        assert_eq!(t["rows"][0]["cells"][8], 1);
    }

    #[test]
    fn both_versions_share_one_storage() {
        let store = Store::default();
        store
            .create(&NAMESPACES, json!({"metadata": {"name": "ns"}}))
            .expect("ns");
        let v1 = json!({"apiVersion": "events.k8s.io/v1", "kind": "Event",
            "metadata": {"name": "e", "namespace": "ns"}, "note": "hello",
            "regarding": {"kind": "Pod", "name": "p"}, "reportingController": "me"});
        let created = store
            .create(&EVENTS_V1, v1.clone())
            .expect("create")
            .value();
        assert_eq!(created["note"], "hello");
        assert_eq!(created["apiVersion"], "events.k8s.io/v1");
        let core = store.get(&EVENTS, "ns", "e").expect("core").value();
        assert_eq!(core["apiVersion"], "v1");
        assert_eq!(core["message"], "hello");
        assert_eq!(core["involvedObject"]["name"], "p");
        assert_eq!(core["reportingComponent"], "me");
        assert_eq!(
            store.list(&EVENTS_V1, Some("ns")).0[0].value()["regarding"]["name"],
            "p"
        );
        // The round trip is lossless.
        assert_eq!(to_core(from_core(core.clone())), core);
    }

    #[test]
    fn events_expire_an_hour_after_their_last_write() {
        let clock = Arc::new(FakeClock::new(now()));
        let store = Store::with_clock(100, clock.clone());
        store
            .create(&NAMESPACES, json!({"metadata": {"name": "ns"}}))
            .expect("ns");
        store.create(&EVENTS, core_event("old")).expect("old");
        clock.advance(Duration::from_secs(30 * 60));
        store.create(&EVENTS, core_event("new")).expect("new");
        let mut watch = store.subscribe(&EVENTS, None).expect("watch");

        clock.advance(Duration::from_secs(30 * 60 - 1));
        assert_eq!(store.expire(), 0, "not yet an hour");
        clock.advance(Duration::from_secs(1));
        assert_eq!(store.expire(), 1);
        assert!(store.get(&EVENTS, "ns", "old").is_none());
        let deleted = watch.live.try_recv().expect("event");
        assert_eq!(deleted.event_type(), EventType::Deleted);
        assert_eq!(deleted.object.name(), "old");

        // A write starts the hour again.
        let mut refreshed = store.get(&EVENTS, "ns", "new").expect("new").value();
        refreshed["count"] = json!(4);
        store.update(&EVENTS, refreshed, None).expect("update");
        clock.advance(Duration::from_secs(30 * 60 + 1));
        assert_eq!(store.expire(), 0, "the first deadline is stale");
        assert!(store.get(&EVENTS, "ns", "new").is_some());
        clock.advance(Duration::from_secs(30 * 60));
        assert_eq!(store.expire(), 1);
        assert!(store.list(&EVENTS_V1, None).0.is_empty());
    }
}
