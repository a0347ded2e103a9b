//! `metadata.managedFields`: the entries, and the `Update` entries every create, update and
//! non-apply patch records, after `k8s.io/apiserver/pkg/endpoints/handlers/fieldmanager`
//! (`FieldManager.UpdateNoErrors`, `managedFieldsUpdater`, `skipNonAppliedManager`) and
//! structured-merge-diff's `merge.Updater.Update`.
//!
//! Contract of [`record_update`] for the handlers: call it once per create, update (PUT) or
//! JSON / merge / strategic merge patch of a main resource (not a subresource, not an apply,
//! which [`super::server_side_apply`] records itself), with the object as it will be stored
//! after decoding and defaulting but before mutating admission (upstream attributes defaulted
//! fields to the writer and admission's changes to nobody). `old` is the stored object (`None`
//! on create). It only rewrites `new`'s `metadata.managedFields`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::fieldpath::{decode_fields_v1, encode_fields_v1, FieldPath, FieldSet, PathElement};
use super::typed::{is_unowned, resets_status, ApplySchema};

/// Field managers are at most this many bytes long (`FieldManagerMaxLength`).
const FIELD_MANAGER_MAX_LENGTH: usize = 128;
/// At most this many `Update` entries are kept (`DefaultMaxUpdateManagers`).
const MAX_UPDATE_MANAGERS: usize = 10;
/// The entry the oldest updates are merged into once there are too many (`ancient-changes`).
const ANCIENT_CHANGES: &str = "ancient-changes";

/// `metadata.managedFields[].operation` of server-side apply.
pub(super) const APPLY: &str = "Apply";
/// `metadata.managedFields[].operation` of create, update and the other patch types.
pub(super) const UPDATE: &str = "Update";

/// One `metadata.managedFields` entry.
pub(super) struct ManagedEntry {
    /// The entry as stored; kept verbatim unless its field set changes.
    pub(super) raw: Map<String, Value>,
    pub(super) manager: String,
    pub(super) operation: String,
    pub(super) api_version: String,
    pub(super) subresource: String,
    pub(super) time: String,
    pub(super) fields: FieldSet,
    /// The set as read, `None` when `fieldsV1` could not be read (the entry is then left alone).
    pub(super) read_fields: Option<FieldSet>,
}

impl ManagedEntry {
    pub(super) fn read(entry: &Value) -> Option<Self> {
        let raw = entry.as_object()?.clone();
        let text = |key: &str| {
            raw.get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let read_fields = raw.get("fieldsV1").and_then(decode_fields_v1);
        Some(Self {
            manager: text("manager"),
            operation: text("operation"),
            api_version: text("apiVersion"),
            subresource: text("subresource"),
            time: text("time"),
            fields: read_fields.clone().unwrap_or_default(),
            read_fields,
            raw,
        })
    }

    /// A new entry for `operation` (`Apply` or `Update`) through `subresource` (empty for
    /// the object itself, which the entry then does not name).
    pub(super) fn new(
        manager: &str,
        operation: &str,
        api_version: &str,
        subresource: &str,
        time: &str,
        fields: FieldSet,
    ) -> Self {
        let mut raw = Map::new();
        // `manager` is `omitempty`: a writer with neither a fieldManager nor a User-Agent
        // has an entry without one.
        if !manager.is_empty() {
            raw.insert("manager".to_string(), Value::String(manager.to_string()));
        }
        raw.insert(
            "operation".to_string(),
            Value::String(operation.to_string()),
        );
        raw.insert(
            "apiVersion".to_string(),
            Value::String(api_version.to_string()),
        );
        raw.insert("time".to_string(), Value::String(time.to_string()));
        if !subresource.is_empty() {
            raw.insert(
                "subresource".to_string(),
                Value::String(subresource.to_string()),
            );
        }
        Self {
            raw,
            manager: manager.to_string(),
            operation: operation.to_string(),
            api_version: api_version.to_string(),
            subresource: subresource.to_string(),
            time: time.to_string(),
            fields,
            read_fields: None,
        }
    }

    pub(super) fn applied(
        manager: &str,
        api_version: &str,
        subresource: &str,
        time: &str,
        fields: FieldSet,
    ) -> Self {
        Self::new(manager, APPLY, api_version, subresource, time, fields)
    }

    /// Whether this is the entry of `manager`'s updates through `subresource` (empty: the
    /// object itself) in `api_version` (upstream's manager identifier: manager, operation,
    /// apiVersion and subresource).
    pub(super) fn is_update_by(&self, manager: &str, api_version: &str, subresource: &str) -> bool {
        self.manager == manager
            && self.operation == UPDATE
            && self.api_version == api_version
            && self.subresource == subresource
    }

    pub(super) fn rename(&mut self, manager: &str) {
        self.manager = manager.to_string();
        self.raw
            .insert("manager".to_string(), Value::String(manager.to_string()));
    }

    pub(super) fn set_time(&mut self, time: &str) {
        self.time = time.to_string();
        self.raw
            .insert("time".to_string(), Value::String(time.to_string()));
    }

    /// Whether this is the entry of `manager`'s applies through `subresource` (the apiVersion
    /// is not part of an applier's identifier).
    pub(super) fn is_apply_by(&self, manager: &str, subresource: &str) -> bool {
        self.manager == manager && self.operation == APPLY && self.subresource == subresource
    }

    /// The manager as conflict messages print it.
    pub(super) fn describe(&self) -> String {
        let mut described = format!("{:?}", self.manager);
        if !self.subresource.is_empty() {
            described.push_str(&format!(" with subresource {:?}", self.subresource));
        }
        if self.operation == UPDATE {
            described.push_str(&format!(" using {}", self.api_version));
        }
        described
    }

    pub(super) fn into_value(mut self) -> Value {
        let unchanged = self
            .read_fields
            .as_ref()
            .is_none_or(|read| *read == self.fields);
        if !unchanged || !self.raw.contains_key("fieldsV1") {
            self.raw.insert(
                "fieldsType".to_string(),
                Value::String("FieldsV1".to_string()),
            );
            self.raw
                .insert("fieldsV1".to_string(), encode_fields_v1(&self.fields));
        }
        Value::Object(self.raw)
    }
}

pub(super) fn metadata_str<'v>(object: &'v Value, field: &str) -> Option<&'v str> {
    object
        .get("metadata")?
        .get(field)?
        .as_str()
        .filter(|s| !s.is_empty())
}

pub(super) fn set_managed_fields(object: &mut Value, entries: Vec<ManagedEntry>) {
    let encoded: Vec<Value> = entries.into_iter().map(ManagedEntry::into_value).collect();
    if let Some(meta) = object.as_object_mut().and_then(|o| {
        o.entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
    }) {
        meta.insert("managedFields".to_string(), Value::Array(encoded));
    }
}

/// The entries of `object`'s `metadata.managedFields` (entries that are not objects are dropped).
pub(super) fn read_entries(object: &Value) -> Vec<ManagedEntry> {
    object
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(ManagedEntry::read).collect())
        .unwrap_or_default()
}

/// The API server keeps entries sorted: Apply before Update, then by time, manager, apiVersion
/// and subresource (`sortEncodedManagedFields`).
pub(super) fn sort_entries(entries: &mut [ManagedEntry]) {
    entries.sort_by(|a, b| {
        (
            &a.operation,
            &a.time,
            &a.manager,
            &a.api_version,
            &a.subresource,
        )
            .cmp(&(
                &b.operation,
                &b.time,
                &b.manager,
                &b.api_version,
                &b.subresource,
            ))
    });
}

/// Keeps at most [`MAX_UPDATE_MANAGERS`] `Update` entries: the oldest are merged, per
/// apiVersion, into an `ancient-changes` entry that takes the time of the last one merged
/// (`capManagersManager.capUpdateManagers`).
pub(super) fn cap_update_managers(entries: &mut Vec<ManagedEntry>) {
    let mut updaters: Vec<usize> = (0..entries.len())
        .filter(|&i| entries[i].operation != APPLY)
        .collect();
    if updaters.len() <= MAX_UPDATE_MANAGERS {
        return;
    }
    updaters.sort_by(|&a, &b| {
        let key = |e: &ManagedEntry| {
            (
                e.time.clone(),
                e.manager.clone(),
                e.api_version.clone(),
                e.subresource.clone(),
            )
        };
        key(&entries[a]).cmp(&key(&entries[b]))
    });
    let mut first_of_version: BTreeMap<String, usize> = BTreeMap::new();
    let mut merged: BTreeSet<usize> = BTreeSet::new();
    let mut length = updaters.len();
    for index in updaters {
        if length <= MAX_UPDATE_MANAGERS {
            break;
        }
        let version = entries[index].api_version.clone();
        let Some(&first) = first_of_version.get(&version) else {
            first_of_version.insert(version, index);
            continue;
        };
        let bucket = (0..entries.len())
            .find(|&i| {
                !merged.contains(&i) && entries[i].is_update_by(ANCIENT_CHANGES, &version, "")
            })
            .unwrap_or_else(|| {
                entries[first].rename(ANCIENT_CHANGES);
                first
            });
        let fields = std::mem::take(&mut entries[index].fields);
        let time = entries[index].time.clone();
        entries[bucket].fields.extend(fields);
        entries[bucket].set_time(&time);
        merged.insert(index);
        length -= 1;
    }
    let mut position = 0;
    entries.retain(|_| {
        position += 1;
        !merged.contains(&(position - 1))
    });
}

/// The manager of a create, update or non-apply patch: the `fieldManager` query parameter when
/// given, else the User-Agent up to its first `/` without unprintable characters, cut to 128
/// bytes (`managerOrUserAgent` and `prefixFromUserAgent` in `handlers/rest.go`). kubectl
/// 1.x sends `kubectl-create/v1.30.0 (linux/amd64) kubernetes/7c48c2b`, which gives
/// `kubectl-create`.
pub fn manager_or_user_agent(field_manager: Option<&str>, user_agent: &str) -> String {
    if let Some(manager) = field_manager.filter(|m| !m.is_empty()) {
        return manager.to_string();
    }
    let prefix = user_agent.split('/').next().unwrap_or_default();
    let mut manager = String::new();
    for c in prefix.chars().filter(|c| !c.is_control()) {
        if manager.len() + c.len_utf8() > FIELD_MANAGER_MAX_LENGTH {
            break;
        }
        manager.push(c);
    }
    manager
}

/// Records a create, update or non-apply patch by `manager` in `new`'s
/// `metadata.managedFields`, as the API server's field manager does (see the module header for
/// when to call it).
///
/// - The entries come from `new` when it carries readable ones (a client may edit them), else
///   from `old`; `managedFields: []` or `[{}]` in `new` clears them.
/// - An update of an object that has no entries stays untracked (`skipNonAppliedManager`).
/// - Fields the write adds or changes (`fieldsV1` paths, maps and keyed list items that
///   appear included) move to the `operation: Update` entry of `manager` for `api_version`
///   (`v1`), whose `time` becomes `now` (RFC 3339); fields it removes leave every entry;
///   entries left without fields go. The kind's list keys come from `new`'s `kind`.
/// - Server-owned fields (`apiVersion`, `kind`, `metadata.name`, `uid`, `resourceVersion`, ...,
///   and a Pod's or Namespace's `status`) are never owned.
pub fn record_update(
    manager: &str,
    api_version: &str,
    old: Option<&Value>,
    new: &mut Value,
    now: &str,
) {
    // A write to the object itself: a Pod's or Namespace's status is its subresource's.
    let status_reset = new
        .get("kind")
        .or_else(|| old.and_then(|o| o.get("kind")))
        .and_then(Value::as_str)
        .is_some_and(resets_status);
    let reset: &[&str] = if status_reset { &["status"] } else { &[] };
    record_update_ignoring(manager, api_version, "", old, new, now, reset);
}

/// [`record_update`] of a write through `subresource` (empty for the object itself; a
/// write to `status` is recorded in the entry of `manager` with `subresource: status`, as
/// upstream's field manager records the kubelet's status updates) with upstream's reset
/// fields (the updater's `IgnoreFilter`): changes under the top-level fields in
/// `reset_fields` (`status`, for a write to the main resource of a kind with a status
/// subresource) are neither owned nor taken from their owners.
pub fn record_update_ignoring(
    manager: &str,
    api_version: &str,
    subresource: &str,
    old: Option<&Value>,
    new: &mut Value,
    now: &str,
    reset_fields: &[&str],
) {
    let Some(kind) = new
        .get("kind")
        .or_else(|| old.and_then(|o| o.get("kind")))
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return;
    };
    let requested = new.pointer("/metadata/managedFields").cloned();
    // `[]` or `[{}]` asks for a reset (`isResetManagedFields`); an absent list keeps them.
    let reset = match requested
        .as_ref()
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    {
        Some([]) => true,
        Some([Value::Object(entry)]) => entry.is_empty(),
        _ => false,
    };
    let mut entries = if reset {
        Vec::new()
    } else {
        match requested.as_ref().and_then(read_strict) {
            Some(entries) if !entries.is_empty() => entries,
            _ => old.map(read_entries).unwrap_or_default(),
        }
    };
    if let Some(meta) = new.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    if entries.is_empty() && old.is_some() {
        return;
    }

    let before = match old {
        Some(old) => {
            let mut before = old.clone();
            if let Some(meta) = before.get_mut("metadata").and_then(Value::as_object_mut) {
                meta.remove("managedFields");
            }
            before
        }
        None => empty_object(&kind),
    };
    let comparison = ApplySchema { kind: &kind }.compare(&before, new);
    let is_reset = |path: &FieldPath| matches!(path.first(), Some(PathElement::Field(field)) if reset_fields.contains(&field.as_str()));
    let removed: FieldSet = comparison
        .removed
        .into_iter()
        .filter(|path| !is_reset(path))
        .collect();
    let changed: FieldSet = comparison
        .added
        .into_iter()
        .chain(comparison.modified)
        .filter(|path| !is_unowned(path) && !is_reset(path))
        .collect();
    for entry in &mut entries {
        entry
            .fields
            .retain(|path| !changed.contains(path) && !removed.contains(path));
    }
    if !changed.is_empty() {
        match entries
            .iter_mut()
            .find(|e| e.is_update_by(manager, api_version, subresource))
        {
            Some(own) => {
                own.fields.extend(changed);
                own.set_time(now);
            }
            None => entries.push(ManagedEntry::new(
                manager,
                UPDATE,
                api_version,
                subresource,
                now,
                changed,
            )),
        }
    }
    entries.retain(|entry| entry.read_fields.is_none() || !entry.fields.is_empty());
    if entries.is_empty() {
        return;
    }
    cap_update_managers(&mut entries);
    sort_entries(&mut entries);
    set_managed_fields(new, entries);
}

/// Every entry, or `None` when one cannot be read (`DecodeManagedFields` fails as a whole).
fn read_strict(list: &Value) -> Option<Vec<ManagedEntry>> {
    list.as_array()?
        .iter()
        .map(|entry| ManagedEntry::read(entry).filter(|e| e.read_fields.is_some()))
        .collect()
}

/// What a create is compared with: the kind's empty object, whose structs (`metadata`, and
/// `spec` and `status` where the kind has them) exist, so they are not added themselves.
fn empty_object(kind: &str) -> Value {
    let mut empty = Map::new();
    empty.insert("metadata".to_string(), Value::Object(Map::new()));
    if resets_status(kind) {
        empty.insert("spec".to_string(), Value::Object(Map::new()));
        empty.insert("status".to_string(), Value::Object(Map::new()));
    }
    Value::Object(empty)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{config_map, LATER, NOW};
    use super::*;
    use serde_json::json;

    fn entries(object: &Value) -> &Value {
        &object["metadata"]["managedFields"]
    }

    fn created_by(manager: &str, mut object: Value) -> Value {
        record_update(manager, "v1", None, &mut object, NOW);
        object
    }

    /// `manager` is `omitempty` in `ManagedFieldsEntry`: a writer with neither a
    /// fieldManager nor a User-Agent gets an entry without the key, not `"manager": ""`.
    #[test]
    fn an_entry_without_a_manager_has_no_manager_key() {
        let created = created_by(
            "",
            json!({"kind": "ConfigMap", "metadata": {"name": "m"}, "data": {"a": "1"}}),
        );
        let entry = &entries(&created)[0];
        assert_eq!(entry.get("manager"), None, "{entry}");
        assert_eq!(entry["operation"], "Update");
    }

    #[test]
    fn the_manager_comes_from_the_parameter_or_the_user_agent() {
        let kubectl = "kubectl-create/v1.30.0 (linux/amd64) kubernetes/7c48c2b";
        let cases = [
            (None, kubectl, "kubectl-create"),
            (
                Some(""),
                "kubectl-edit/v1.27.16 (linux/amd64) kubernetes/cbb86e0",
                "kubectl-edit",
            ),
            (Some("mine"), kubectl, "mine"),
            (None, "kube-sa/0.1.0", "kube-sa"),
            (None, "curl", "curl"),
            (None, "bad\u{7}agent/1", "badagent"),
            (None, "", ""),
        ];
        for (parameter, user_agent, expected) in cases {
            assert_eq!(manager_or_user_agent(parameter, user_agent), expected);
        }
        assert_eq!(manager_or_user_agent(None, &"m".repeat(200)).len(), 128);
    }

    #[test]
    fn a_create_owns_what_it_sets_and_defaults() {
        let mut cm = config_map(json!({"k": "v"}));
        cm["metadata"]["labels"] = json!({"a": "b"});
        cm["metadata"]["uid"] = json!("u");
        assert_eq!(
            entries(&created_by("kubectl-create", cm)),
            &json!([{
                "manager": "kubectl-create", "operation": "Update", "apiVersion": "v1", "time": NOW,
                "fieldsType": "FieldsV1",
                "fieldsV1": {
                    "f:data": {".": {}, "f:k": {}},
                    "f:metadata": {"f:labels": {".": {}, "f:a": {}}}
                }
            }])
        );

        // As `kubectl run` is recorded: the pod's spec and status are structs, not owned
        // themselves; status is the status subresource's; list items by key.
        let pod = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web", "namespace": "default", "labels": {"run": "web"}},
            "spec": {
                "containers": [{"name": "web", "image": "nginx", "resources": {},
                                "ports": [{"containerPort": 80, "protocol": "TCP"}]}],
                "restartPolicy": "Always"
            },
            "status": {"phase": "Pending"}
        });
        assert_eq!(
            entries(&created_by("kubectl-run", pod))[0]["fieldsV1"],
            json!({
                "f:metadata": {"f:labels": {".": {}, "f:run": {}}},
                "f:spec": {
                    "f:containers": {
                        "k:{\"name\":\"web\"}": {
                            ".": {}, "f:image": {}, "f:name": {}, "f:resources": {},
                            "f:ports": {
                                "k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {
                                    ".": {}, "f:containerPort": {}, "f:protocol": {}
                                }
                            }
                        }
                    },
                    "f:restartPolicy": {}
                }
            })
        );
    }

    #[test]
    fn an_update_takes_what_it_changes_and_drops_what_it_removes() {
        let stored = created_by("kubectl-create", config_map(json!({"k": "v", "gone": "x"})));
        let mut edited = stored.clone();
        edited["data"] = json!({"k": "edited", "new": "n"});
        record_update("kubectl-edit", "v1", Some(&stored), &mut edited, LATER);
        assert_eq!(
            entries(&edited),
            &json!([
                {"manager": "kubectl-create", "operation": "Update", "apiVersion": "v1", "time": NOW,
                 "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {}}},
                {"manager": "kubectl-edit", "operation": "Update", "apiVersion": "v1", "time": LATER,
                 "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:k": {}, "f:new": {}}}}
            ])
        );

        // A write that changes nothing leaves the entries, times included.
        let mut again = edited.clone();
        record_update(
            "kubectl-edit",
            "v1",
            Some(&edited),
            &mut again,
            "2024-05-02T00:00:00Z",
        );
        assert_eq!(again, edited);

        // The same manager again: its fields grow, its time moves.
        let mut more = edited.clone();
        more["data"]["more"] = json!("m");
        record_update(
            "kubectl-edit",
            "v1",
            Some(&edited),
            &mut more,
            "2024-05-02T00:00:00Z",
        );
        assert_eq!(
            entries(&more)[1]["fieldsV1"],
            json!({"f:data": {"f:k": {}, "f:more": {}, "f:new": {}}})
        );
        assert_eq!(entries(&more)[1]["time"], "2024-05-02T00:00:00Z");

        // A client that leaves managedFields out keeps the stored ones.
        let mut without = more.clone();
        without["metadata"]
            .as_object_mut()
            .expect("metadata")
            .remove("managedFields");
        record_update(
            "kubectl-edit",
            "v1",
            Some(&more),
            &mut without,
            "2024-05-02T00:00:00Z",
        );
        assert_eq!(without, more);
    }

    #[test]
    fn a_status_write_is_recorded_in_an_entry_of_the_status_subresource() {
        let pod = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"containers": [{"name": "web", "image": "nginx"}]},
            "status": {"phase": "Pending"}
        });
        let stored = created_by("kubectl-run", pod);
        let mut running = stored.clone();
        running["status"] = json!({"phase": "Running", "podIP": "10.0.0.5"});
        record_update_ignoring(
            "kubelet",
            "v1",
            "status",
            Some(&stored),
            &mut running,
            LATER,
            &[],
        );
        assert_eq!(
            entries(&running)[1],
            json!({
                "manager": "kubelet", "operation": "Update", "apiVersion": "v1", "time": LATER,
                "subresource": "status", "fieldsType": "FieldsV1",
                "fieldsV1": {"f:status": {"f:phase": {}, "f:podIP": {}}}
            })
        );
        assert_eq!(entries(&running)[0], entries(&stored)[0]);

        // The same manager writing the object itself is another entry, which leaves the
        // status alone.
        let mut labelled = running.clone();
        labelled["metadata"]["labels"] = json!({"a": "b"});
        labelled["status"]["phase"] = json!("Succeeded");
        record_update("kubelet", "v1", Some(&running), &mut labelled, LATER);
        let list = entries(&labelled).as_array().expect("entries");
        assert_eq!(list.len(), 3);
        // Sorted as upstream sorts them: the subresource last, so the object's entry first.
        assert_eq!(
            list[1]["fieldsV1"],
            json!({"f:metadata": {"f:labels": {".": {}, "f:a": {}}}})
        );
        assert_eq!(list[1].get("subresource"), None);
        assert_eq!(
            list[2]["fieldsV1"],
            json!({"f:status": {"f:phase": {}, "f:podIP": {}}})
        );
        assert_eq!(list[2]["subresource"], "status");
    }

    #[test]
    fn managed_fields_can_be_cleared_and_untracked_objects_stay_untracked() {
        let stored = created_by("kubectl-create", config_map(json!({"k": "v"})));
        // Both of upstream's reset forms: an empty list (what a client that emptied the
        // list it read sends) and a list of one empty entry.
        for reset in [json!([]), json!([{}])] {
            let mut cleared = stored.clone();
            cleared["metadata"]["managedFields"] = reset.clone();
            cleared["data"]["k"] = json!("w");
            record_update("kubectl-edit", "v1", Some(&stored), &mut cleared, LATER);
            assert_eq!(cleared["metadata"].get("managedFields"), None, "{reset}");
        }
        let mut cleared = stored.clone();
        cleared["metadata"]["managedFields"] = json!([{}]);
        cleared["data"]["k"] = json!("w");
        record_update("kubectl-edit", "v1", Some(&stored), &mut cleared, LATER);

        let mut untracked = cleared.clone();
        untracked["data"]["k"] = json!("x");
        record_update("kubectl-edit", "v1", Some(&cleared), &mut untracked, LATER);
        assert_eq!(untracked["metadata"].get("managedFields"), None);
        assert_eq!(untracked["data"]["k"], "x");
    }

    #[test]
    fn the_oldest_of_more_than_ten_updaters_become_ancient_changes() {
        let mut object = created_by("m0", config_map(json!({"k0": "v"})));
        for n in 1..=10 {
            let mut next = object.clone();
            next["data"][format!("k{n}")] = json!("v");
            let time = format!("2024-05-01T10:00:{n:02}Z");
            record_update(&format!("m{n}"), "v1", Some(&object), &mut next, &time);
            object = next;
        }
        let list = entries(&object).as_array().expect("entries");
        let managers: Vec<&str> = list.iter().filter_map(|e| e["manager"].as_str()).collect();
        assert_eq!(
            managers,
            [
                "ancient-changes",
                "m2",
                "m3",
                "m4",
                "m5",
                "m6",
                "m7",
                "m8",
                "m9",
                "m10"
            ]
        );
        assert_eq!(list[0]["time"], "2024-05-01T10:00:01Z");
        assert_eq!(
            list[0]["fieldsV1"],
            json!({"f:data": {".": {}, "f:k0": {}, "f:k1": {}}})
        );
    }
}
