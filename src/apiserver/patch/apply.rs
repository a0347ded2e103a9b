//! Server-side apply (`kubectl apply --server-side`), after structured-merge-diff's
//! `merge.Updater.Apply` and the API server's field manager
//! (`k8s.io/apiserver/pkg/endpoints/handlers/fieldmanager`).

use serde_json::{Map, Value};

use super::fieldpath::{display_path, FieldSet};
use super::managed_fields::{
    cap_update_managers, metadata_str, read_entries, set_managed_fields, sort_entries, ManagedEntry,
};
use super::typed::{gvk_string, is_unowned, resets_status, without_nulls, ApplySchema};
use super::{ApplyConflict, PatchError};
use crate::apiserver::kinds::ResourceInfo;
use crate::apiserver::validation::meta::TOTAL_ANNOTATION_SIZE_LIMIT;
use crate::go_json_syntax::go_json_kind;

/// kubectl's record of its last client-side apply, an annotation holding that configuration.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The field manager whose applies take over from client-side apply (`lastAppliedManager`
/// and `lastAppliedUpdater` act for it only; another `--field-manager` opts out).
const KUBECTL_MANAGER: &str = "kubectl";

/// Metadata an apply configuration cannot set.
const SYSTEM_METADATA: &[&str] = &[
    "resourceVersion",
    "uid",
    "creationTimestamp",
    "managedFields",
];

/// Server-side apply of `applied` (the full configuration `kubectl apply --server-side` sends)
/// by `field_manager`.
///
/// Without `existing` the configuration becomes the new object. Otherwise it is merged into the
/// object with the kind's list keys; fields this manager applied last time and no longer applies
/// are removed unless another manager owns them; fields other managers own and the
/// configuration changes are conflicts unless `force` (ownership then moves). Ownership is
/// recorded in `metadata.managedFields`. `metadata.resourceVersion`, `uid`, `creationTimestamp`
/// and `managedFields` in the configuration are not applied (resourceVersion and uid act as
/// preconditions).
///
/// `subresource` is empty for an apply to the object itself, which does not apply a Pod's or
/// Namespace's `status`; `status` for an apply to the status subresource
/// (`kubectl apply --server-side --subresource=status`), which applies and owns `status`
/// alone, in an entry of its own that names the subresource (upstream's manager identifier
/// includes it, so the same manager's applies to the object and to its status are two
/// entries, and a conflict names the subresource of the entry it is with).
pub fn server_side_apply(
    kind: &str,
    subresource: &str,
    existing: Option<&Value>,
    applied: &Value,
    field_manager: &str,
    force: bool,
    now_rfc3339: &str,
) -> Result<Value, PatchError> {
    if field_manager.is_empty() {
        return Err(PatchError::MissingFieldManager);
    }
    // An empty YAML document decodes into an empty map.
    let empty = Value::Object(Map::new());
    let applied = if applied.is_null() { &empty } else { applied };
    if !applied.is_object() {
        return Err(PatchError::ApplyNotAnObject(go_json_kind(applied)));
    }
    let api_version = applied
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let expected_version = ResourceInfo::by_kind(kind)
        .map(ResourceInfo::api_version)
        .or_else(|| {
            existing
                .and_then(|e| e.get("apiVersion"))
                .and_then(Value::as_str)
                .map(str::to_string)
        });
    if let Some(expected) = expected_version.filter(|expected| *expected != api_version) {
        return Err(PatchError::ApplyVersionMismatch {
            specified: api_version,
            expected,
        });
    }

    let mut config = applied.clone();
    if let Some(meta) = config.get_mut("metadata").and_then(Value::as_object_mut) {
        for field in SYSTEM_METADATA {
            meta.remove(*field);
        }
    }
    if let Some(fields) = config.as_object_mut() {
        let keeps_metadata = (subresource == "status")
            .then(|| ResourceInfo::by_kind(kind))
            .flatten()
            .and_then(|resource| resource.strategy.status_write_keeps_stored());
        if let Some(stored_fields) = keeps_metadata {
            // A pod's or namespace's status write also takes the request's metadata (its
            // status strategy resets only the spec and `stored_fields`), so that is applied
            // and owned too.
            fields.retain(|field, _| {
                matches!(
                    field.as_str(),
                    "apiVersion" | "kind" | "metadata" | "status"
                )
            });
            if let Some(meta) = fields.get_mut("metadata").and_then(Value::as_object_mut) {
                for field in stored_fields {
                    meta.remove(*field);
                }
            }
        } else if subresource == "status" {
            // A status write changes nothing else (the status strategies' reset fields), so
            // nothing else is applied or owned; the metadata names the object.
            fields.retain(|field, _| matches!(field.as_str(), "apiVersion" | "kind" | "status"));
            let identity = applied
                .get("metadata")
                .and_then(Value::as_object)
                .map(|meta| {
                    meta.iter()
                        .filter(|(field, _)| matches!(field.as_str(), "name" | "namespace"))
                        .map(|(field, value)| (field.clone(), value.clone()))
                        .collect::<Map<String, Value>>()
                });
            if let Some(identity) = identity {
                fields.insert("metadata".to_string(), Value::Object(identity));
            }
        } else if resets_status(kind) {
            fields.remove("status");
        }
    }

    let schema = ApplySchema { kind };
    let applied_set: FieldSet = schema
        .members(&config, true)
        .map_err(|detail| PatchError::InvalidApplyConfiguration {
            gvk: gvk_string(kind, &api_version),
            detail,
        })?
        .into_keys()
        .filter(|path| !is_unowned(path))
        .collect();

    let Some(live) = existing else {
        if let Some(uid) = metadata_str(applied, "uid") {
            return Err(PatchError::UidMismatch(uid.to_string()));
        }
        let mut created = without_nulls(&config);
        // A manager that owns nothing has no entry (upstream removes empty managers).
        if !applied_set.is_empty() {
            set_managed_fields(
                &mut created,
                vec![ManagedEntry::applied(
                    field_manager,
                    &api_version,
                    subresource,
                    now_rfc3339,
                    applied_set,
                )],
            );
        }
        if field_manager == KUBECTL_MANAGER {
            update_last_applied(&mut created, applied);
        }
        return Ok(created);
    };
    if !live.is_object() {
        return Err(PatchError::OriginalNotAnObject);
    }
    if let Some(uid) =
        metadata_str(applied, "uid").filter(|uid| Some(*uid) != metadata_str(live, "uid"))
    {
        return Err(PatchError::UidImmutable(uid.to_string()));
    }
    if metadata_str(applied, "resourceVersion")
        .is_some_and(|rv| Some(rv) != metadata_str(live, "resourceVersion"))
    {
        return Err(PatchError::ResourceVersionConflict);
    }

    let mut entries = read_entries(live);
    let mut live_object = live.clone();
    if let Some(meta) = live_object
        .get_mut("metadata")
        .and_then(Value::as_object_mut)
    {
        meta.remove("managedFields");
    }
    let live_error = |detail| PatchError::InvalidLiveObject {
        gvk: gvk_string(kind, &api_version),
        detail,
    };

    let mut merged = schema
        .merge(&live_object, &config, &mut Vec::new())
        .map_err(live_error)?;

    // Prune what this manager applied last time, no longer applies and nobody else owns.
    let own_index = entries
        .iter()
        .position(|e| e.is_apply_by(field_manager, subresource));
    let mut still_owned = applied_set.clone();
    for (index, entry) in entries.iter().enumerate() {
        if Some(index) != own_index {
            still_owned.extend(entry.fields.iter().cloned());
        }
    }
    if let Some(own) = own_index.map(|i| &entries[i]) {
        for path in own.fields.difference(&still_owned) {
            // A map or list owned as a whole (`"."` in managedFields, as kubectl's move from
            // client-side apply writes it) stays while anything inside it is still owned:
            // structured-merge-diff's prune removes the old set, then adds back every item
            // a manager owns.
            let owned_inside = still_owned
                .range(path.clone()..)
                .take_while(|owned| owned.starts_with(path))
                .any(|owned| owned.len() > path.len());
            if !owned_inside {
                schema.remove_member(&mut merged, path, &mut Vec::new());
            }
        }
    }

    // What changed, for conflicts and for other managers' ownership.
    let before = schema.members(&live_object, false).map_err(live_error)?;
    let after = schema.members(&merged, false).map_err(live_error)?;
    let changed: FieldSet = after
        .iter()
        .filter(|(path, value)| before.get(*path) != Some(value) && !is_unowned(path))
        .map(|(path, _)| path.clone())
        .collect();
    let removed: FieldSet = before
        .keys()
        .filter(|path| !after.contains_key(*path))
        .cloned()
        .collect();

    let mut conflicts = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        if Some(index) == own_index {
            continue;
        }
        for path in entry.fields.intersection(&changed) {
            conflicts.push((path, entry.describe()));
        }
    }
    if !force && !conflicts.is_empty() {
        // `lastAppliedManager`: kubectl moving an object from client-side to server-side
        // apply takes over, as if forced, the fields whose live values are still what its
        // last client-side apply set; any other conflict fails the apply as usual.
        if field_manager == KUBECTL_MANAGER {
            if let Some(allowed) = allowed_conflicts_from_last_applied(&schema, &live_object) {
                conflicts.retain(|(path, _)| !allowed.contains(*path));
            }
        }
        if !conflicts.is_empty() {
            return Err(PatchError::ApplyConflicts(
                conflicts
                    .into_iter()
                    .map(|(path, manager)| ApplyConflict {
                        manager,
                        field: display_path(path),
                    })
                    .collect(),
            ));
        }
    }

    let unchanged = merged == live_object;
    let previous = own_index.map(|index| entries.remove(index));
    for entry in &mut entries {
        entry
            .fields
            .retain(|path| !changed.contains(path) && !removed.contains(path));
    }
    entries.retain(|entry| entry.read_fields.is_none() || !entry.fields.is_empty());
    let own = match previous {
        Some(mut previous) if unchanged => {
            previous.fields = applied_set;
            previous
        }
        _ => ManagedEntry::applied(
            field_manager,
            &api_version,
            subresource,
            now_rfc3339,
            applied_set,
        ),
    };
    if !own.fields.is_empty() {
        entries.push(own);
    }
    if !entries.is_empty() {
        cap_update_managers(&mut entries);
        sort_entries(&mut entries);
        set_managed_fields(&mut merged, entries);
    }
    if field_manager == KUBECTL_MANAGER {
        update_last_applied(&mut merged, applied);
    }
    Ok(merged)
}

/// The fields of the last client-side apply (the [`LAST_APPLIED`] annotation of `live`) whose
/// live values are still the ones it set (`allowedConflictsFromLastApplied`); None when the
/// annotation is missing, does not parse or is of another apiVersion or kind than `live`.
fn allowed_conflicts_from_last_applied(schema: &ApplySchema, live: &Value) -> Option<FieldSet> {
    let text = live
        .pointer("/metadata/annotations")?
        .get(LAST_APPLIED)?
        .as_str()
        .filter(|text| !text.is_empty())?;
    let last_applied: Value = serde_json::from_str(text).ok()?;
    if last_applied.get("apiVersion") != live.get("apiVersion")
        || last_applied.get("kind") != live.get("kind")
    {
        return None;
    }
    let members = schema.members(&last_applied, false).ok()?;
    let differences = schema.compare(&last_applied, live);
    Some(
        members
            .into_keys()
            .filter(|path| {
                !differences.modified.contains(path)
                    && !differences.added.contains(path)
                    && !differences.removed.contains(path)
            })
            .collect(),
    )
}

/// `lastAppliedUpdater`: after kubectl's server-side apply, an object that carries a
/// non-empty [`LAST_APPLIED`] annotation gets the applied configuration in it (without the
/// annotation itself; Go's JSON and a newline, as kubectl writes it), so that a later
/// client-side apply prunes from what was applied last. Not recorded in `managedFields`.
/// Dropped when the annotations would pass their 256 KiB limit.
fn update_last_applied(object: &mut Value, applied: &Value) {
    let Some(annotations) = object
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    if annotations
        .get(LAST_APPLIED)
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return;
    }
    let mut configuration = applied.clone();
    if let Some(own) = configuration
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        own.remove(LAST_APPLIED);
    }
    let mut text = crate::go_json::go_json(&configuration);
    text.push('\n');
    annotations.insert(LAST_APPLIED.to_string(), Value::String(text));
    let total: usize = annotations
        .iter()
        .map(|(key, value)| key.len() + value.as_str().map_or(0, str::len))
        .sum();
    if total > TOTAL_ANNOTATION_SIZE_LIMIT {
        annotations.remove(LAST_APPLIED);
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{config_map, LATER, NOW, TOKEN_MOUNT};
    use super::*;
    use crate::apiserver::kinds::{CONFIG_MAPS, PODS};
    use serde_json::json;

    fn pod_config(image: &str) -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "nginx", "image": image, "ports": [{"containerPort": 80}]}]},
            "status": {"phase": "Running"}
        })
    }

    /// `pod_config("nginx:1.27")` created by kubectl's server-side apply.
    fn kubectl_created_pod() -> Value {
        server_side_apply(
            "Pod",
            "",
            None,
            &pod_config("nginx:1.27"),
            "kubectl",
            false,
            NOW,
        )
        .expect("creates")
    }

    /// A server-side apply to a ConfigMap itself (no subresource).
    fn apply_config_map(
        existing: Option<&Value>,
        config: &Value,
        manager: &str,
        force: bool,
        now: &str,
    ) -> Result<Value, PatchError> {
        server_side_apply("ConfigMap", "", existing, config, manager, force, now)
    }

    fn managed_fields(object: &Value) -> &Value {
        &object["metadata"]["managedFields"]
    }

    /// What the store adds to a created Pod: system metadata, defaults, admission, status.
    fn stored_pod(created: &Value) -> Value {
        let mut stored = created.clone();
        stored["metadata"]["uid"] = json!("5b7f0c1e-0000-4000-8000-000000000001");
        stored["metadata"]["resourceVersion"] = json!("7");
        stored["metadata"]["creationTimestamp"] = json!("2024-05-01T10:00:00Z");
        let container = &mut stored["spec"]["containers"][0];
        container["ports"][0]["protocol"] = json!("TCP");
        container["imagePullPolicy"] = json!("IfNotPresent");
        container["terminationMessagePath"] = json!("/dev/termination-log");
        container["volumeMounts"] =
            json!([{"name": "default-token-x7k2p", "readOnly": true, "mountPath": TOKEN_MOUNT}]);
        stored["spec"]["volumes"] = json!([{"name": "default-token-x7k2p", "secret": {"secretName": "default-token-x7k2p"}}]);
        stored["spec"]["serviceAccountName"] = json!("default");
        stored["status"] = json!({"phase": "Pending"});
        stored
    }

    #[test]
    fn server_side_apply_creates_with_managed_fields() {
        let created = kubectl_created_pod();
        assert_eq!(created["spec"], pod_config("nginx:1.27")["spec"]);
        assert_eq!(
            created.get("status"),
            None,
            "status goes through the status subresource"
        );
        assert_eq!(
            managed_fields(&created),
            &json!([{
                "manager": "kubectl",
                "operation": "Apply",
                "apiVersion": "v1",
                "time": NOW,
                "fieldsType": "FieldsV1",
                "fieldsV1": {
                    "f:metadata": {"f:labels": {"f:app": {}}},
                    "f:spec": {"f:containers": {"k:{\"name\":\"nginx\"}": {
                        ".": {}, "f:image": {}, "f:name": {},
                        "f:ports": {"k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}}}
                    }}}
                }
            }])
        );
    }

    #[test]
    fn server_side_apply_ignores_system_metadata_in_the_configuration() {
        let mut config = config_map(json!({"key": "v"}));
        config["metadata"]["creationTimestamp"] = Value::Null;
        config["metadata"]["managedFields"] =
            json!([{"manager": "someone-else", "operation": "Update"}]);
        let created = apply_config_map(None, &config, "kubectl", true, NOW).expect("creates");
        assert_eq!(created["metadata"].get("creationTimestamp"), None);
        assert_eq!(managed_fields(&created).as_array().map(Vec::len), Some(1));
        assert_eq!(
            managed_fields(&created)[0]["fieldsV1"],
            json!({"f:data": {"f:key": {}}})
        );
    }

    #[test]
    fn server_side_apply_twice_gives_the_same_object() {
        let config = pod_config("nginx:1.27");
        let created =
            server_side_apply("Pod", "", None, &config, "kubectl", false, NOW).expect("creates");
        let stored = stored_pod(&created);
        let again = server_side_apply("Pod", "", Some(&stored), &config, "kubectl", false, LATER)
            .expect("applies");
        assert_eq!(again, stored);

        // A changed image is applied; the entry's time moves.
        let updated = server_side_apply(
            "Pod",
            "",
            Some(&stored),
            &pod_config("nginx:1.28"),
            "kubectl",
            false,
            LATER,
        )
        .expect("applies");
        let mut expected = stored.clone();
        expected["spec"]["containers"][0]["image"] = json!("nginx:1.28");
        expected["metadata"]["managedFields"][0]["time"] = json!(LATER);
        assert_eq!(updated, expected);
    }

    #[test]
    fn server_side_apply_removes_fields_the_manager_dropped() {
        let mut first = config_map(json!({"key": "v", "extra": "x"}));
        first["metadata"]["labels"] = json!({"app": "web", "tier": "db"});
        let mut stored = apply_config_map(None, &first, "kubectl", false, NOW).expect("creates");
        stored["metadata"]["resourceVersion"] = json!("3");

        let mut second = config_map(json!({"key": "v"}));
        second["metadata"]["labels"] = json!({"app": "web"});
        let updated =
            apply_config_map(Some(&stored), &second, "kubectl", false, LATER).expect("applies");
        assert_eq!(updated["metadata"]["labels"], json!({"app": "web"}));
        assert_eq!(updated["data"], json!({"key": "v"}));
        assert_eq!(updated["metadata"]["resourceVersion"], json!("3"));
        assert_eq!(
            managed_fields(&updated),
            &json!([{
                "manager": "kubectl", "operation": "Apply", "apiVersion": "v1", "time": LATER,
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:data": {"f:key": {}}, "f:metadata": {"f:labels": {"f:app": {}}}}
            }])
        );

        // Dropping the last label removes the now empty map.
        let third = config_map(json!({"key": "v"}));
        let updated =
            apply_config_map(Some(&updated), &third, "kubectl", false, LATER).expect("applies");
        assert_eq!(updated["metadata"].get("labels"), None);
    }

    #[test]
    fn server_side_apply_keeps_a_dropped_field_another_manager_owns() {
        let mut stored = config_map(json!({"key": "v"}));
        stored["metadata"]["labels"] = json!({"app": "web", "tier": "db"});
        stored["metadata"]["managedFields"] = json!([
            {"manager": "kubectl", "operation": "Apply", "apiVersion": "v1", "time": NOW, "fieldsType": "FieldsV1",
             "fieldsV1": {"f:data": {"f:key": {}}, "f:metadata": {"f:labels": {"f:app": {}, "f:tier": {}}}}},
            {"manager": "kubectl-label", "operation": "Update", "apiVersion": "v1", "time": NOW, "fieldsType": "FieldsV1",
             "fieldsV1": {"f:metadata": {"f:labels": {"f:tier": {}}}}}
        ]);
        let mut config = config_map(json!({"key": "v"}));
        config["metadata"]["labels"] = json!({"app": "web"});
        let updated =
            apply_config_map(Some(&stored), &config, "kubectl", false, LATER).expect("applies");
        assert_eq!(
            updated["metadata"]["labels"],
            json!({"app": "web", "tier": "db"})
        );
        assert_eq!(
            managed_fields(&updated)[0]["fieldsV1"],
            json!({"f:data": {"f:key": {}}, "f:metadata": {"f:labels": {"f:app": {}}}})
        );
        assert_eq!(
            managed_fields(&updated)[1],
            stored["metadata"]["managedFields"][1]
        );
    }

    #[test]
    fn server_side_apply_conflicts_with_other_managers() {
        let mut stored = config_map(json!({"key": "old", "other": "o"}));
        stored["metadata"]["managedFields"] = json!([{
            "manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": "v1",
            "time": "2024-05-01T09:00:00Z", "fieldsType": "FieldsV1",
            "fieldsV1": {"f:data": {".": {}, "f:key": {}, "f:other": {}}}
        }]);

        // Same value: shared ownership, no conflict.
        let same = apply_config_map(
            Some(&stored),
            &config_map(json!({"key": "old"})),
            "kubectl",
            false,
            NOW,
        )
        .expect("no conflict");
        assert_eq!(same["data"], stored["data"]);
        assert_eq!(
            managed_fields(&same)[1],
            stored["metadata"]["managedFields"][0]
        );

        let config = config_map(json!({"key": "new"}));
        let err =
            apply_config_map(Some(&stored), &config, "kubectl", false, NOW).expect_err("conflicts");
        assert_eq!(
            err.to_string(),
            "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using v1: .data.key"
        );
        let api = err.into_api_error(&CONFIG_MAPS, "cfg");
        assert_eq!((api.code, api.reason.as_str()), (409, "Conflict"));
        assert_eq!(api.causes.len(), 1);
        assert_eq!(api.causes[0].reason, "FieldManagerConflict");
        assert_eq!(
            api.causes[0].message,
            "conflict with \"kubectl-client-side-apply\" using v1"
        );
        assert_eq!(api.causes[0].field, ".data.key");
        assert_eq!(api.name, None);

        // --force-conflicts: the value changes and ownership moves.
        let forced =
            apply_config_map(Some(&stored), &config, "kubectl", true, NOW).expect("forced");
        assert_eq!(forced["data"], json!({"key": "new", "other": "o"}));
        assert_eq!(
            managed_fields(&forced),
            &json!([
                {"manager": "kubectl", "operation": "Apply", "apiVersion": "v1", "time": NOW,
                 "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:key": {}}}},
                {"manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": "v1",
                 "time": "2024-05-01T09:00:00Z", "fieldsType": "FieldsV1",
                 "fieldsV1": {"f:data": {".": {}, "f:other": {}}}}
            ])
        );
    }

    #[test]
    fn an_apply_to_the_status_subresource_applies_and_owns_status_alone() {
        let created = kubectl_created_pod();
        let stored = stored_pod(&created);
        // A controller applies the pod's status. Its spec is neither applied nor owned; its
        // labels are, as `podStatusStrategy` keeps a status write's metadata.
        let mut status = pod_config("other:1");
        status["metadata"]["labels"] = json!({"app": "web", "ready": "yes"});
        status["status"] =
            json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]});
        let applied =
            server_side_apply("Pod", "status", Some(&stored), &status, "ctl", false, LATER)
                .expect("applies");
        assert_eq!(applied["status"]["phase"], "Running");
        assert_eq!(
            applied["status"]["conditions"],
            json!([{"type": "Ready", "status": "True"}])
        );
        assert_eq!(applied["spec"], stored["spec"]);
        assert_eq!(
            applied["metadata"]["labels"],
            json!({"app": "web", "ready": "yes"})
        );
        assert_eq!(
            managed_fields(&applied)[1],
            json!({
                "manager": "ctl", "operation": "Apply", "apiVersion": "v1", "time": LATER,
                "subresource": "status", "fieldsType": "FieldsV1",
                "fieldsV1": {"f:metadata": {"f:labels": {"f:app": {}, "f:ready": {}}}, "f:status": {
                    "f:conditions": {"k:{\"type\":\"Ready\"}": {".": {}, "f:status": {}, "f:type": {}}},
                    "f:phase": {}
                }}
            })
        );
        assert_eq!(managed_fields(&applied)[0], managed_fields(&created)[0]);

        // The same manager applying to the object itself is another entry; another manager
        // changing the status conflicts with the status entry, which the message names.
        let again = server_side_apply(
            "Pod",
            "",
            Some(&applied),
            &pod_config("nginx:1.27"),
            "ctl",
            false,
            LATER,
        )
        .expect("applies");
        assert_eq!(managed_fields(&again).as_array().map(Vec::len), Some(3));
        let mut phase = status.clone();
        phase["status"] = json!({"phase": "Failed"});
        let err = server_side_apply(
            "Pod",
            "status",
            Some(&applied),
            &phase,
            "other",
            false,
            LATER,
        )
        .expect_err("conflicts");
        assert_eq!(
            err.to_string(),
            "Apply failed with 1 conflict: conflict with \"ctl\" with subresource \"status\": .status.phase"
        );

        // Dropping a condition from the next apply removes it.
        let mut fewer = status.clone();
        fewer["status"] = json!({"phase": "Running"});
        let pruned =
            server_side_apply("Pod", "status", Some(&applied), &fewer, "ctl", false, LATER)
                .expect("applies");
        assert_eq!(pruned["status"], json!({"phase": "Running"}));
    }

    #[test]
    fn a_manager_that_applies_no_field_has_no_entry() {
        let bare = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "default"}});
        let created = apply_config_map(None, &bare, "kubectl", false, NOW).expect("creates");
        assert_eq!(created["metadata"].get("managedFields"), None);

        // A manager's next apply that leaves out everything it owned removes its entry.
        let owned = apply_config_map(None, &config_map(json!({"k": "v"})), "kubectl", false, NOW)
            .expect("creates");
        let emptied =
            apply_config_map(Some(&owned), &bare, "kubectl", false, LATER).expect("applies");
        assert_eq!(emptied.get("data"), None);
        assert_eq!(emptied["metadata"].get("managedFields"), None);

        // An apply to the status that says nothing of it (nor of the labels, which it
        // would own) leaves no entry either.
        let pod = stored_pod(&kubectl_created_pod());
        let mut no_status = pod_config("nginx:1.27");
        no_status.as_object_mut().map(|o| o.remove("status"));
        no_status["metadata"]
            .as_object_mut()
            .map(|meta| meta.remove("labels"));
        let applied =
            server_side_apply("Pod", "status", Some(&pod), &no_status, "ctl", false, LATER)
                .expect("applies");
        assert_eq!(managed_fields(&applied), managed_fields(&pod));
    }

    /// A ConfigMap last written by `kubectl apply` (client-side): the annotation holds the
    /// configuration, `kubectl-client-side-apply` owns what it set; `editor` (if any) has
    /// since changed `data.key` to `edited`.
    fn client_side_applied(editor: Option<&str>) -> Value {
        let last_applied = "{\"apiVersion\":\"v1\",\"data\":{\"key\":\"old\"},\"kind\":\"ConfigMap\",\"metadata\":{\"annotations\":{},\"name\":\"cfg\",\"namespace\":\"default\"}}\n";
        let mut stored = config_map(json!({"key": "old", "other": "o"}));
        stored["metadata"]["annotations"] = json!({ LAST_APPLIED: last_applied });
        stored["metadata"]["managedFields"] = json!([{
            "manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": "v1",
            "time": "2024-05-01T09:00:00Z", "fieldsType": "FieldsV1",
            "fieldsV1": {"f:data": {".": {}, "f:key": {}, "f:other": {}},
                         "f:metadata": {"f:annotations": {".": {}, format!("f:{LAST_APPLIED}"): {}}}}
        }]);
        if let Some(editor) = editor {
            stored["data"]["key"] = json!("edited");
            stored["metadata"]["managedFields"][0]["fieldsV1"]["f:data"] =
                json!({".": {}, "f:other": {}});
            stored["metadata"]["managedFields"]
                .as_array_mut()
                .expect("list")
                .push(json!({
                    "manager": editor, "operation": "Update", "apiVersion": "v1",
                    "time": "2024-05-01T09:30:00Z", "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:data": {"f:key": {}}}
                }));
        }
        stored
    }

    #[test]
    fn kubectl_takes_over_what_its_last_client_side_apply_set() {
        let stored = client_side_applied(None);
        let config = config_map(json!({"key": "new"}));
        let applied = apply_config_map(Some(&stored), &config, "kubectl", false, NOW)
            .expect("no conflict: the live value is still the last-applied one");
        assert_eq!(applied["data"], json!({"key": "new", "other": "o"}));
        assert_eq!(
            managed_fields(&applied)[0],
            json!({"manager": "kubectl", "operation": "Apply", "apiVersion": "v1", "time": NOW,
                   "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:key": {}}}})
        );
        // The annotation now holds what was applied, for the next client-side apply.
        assert_eq!(
            applied["metadata"]["annotations"][LAST_APPLIED],
            "{\"apiVersion\":\"v1\",\"data\":{\"key\":\"new\"},\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cfg\",\"namespace\":\"default\"}}\n"
        );

        // Another field manager opts out: the same apply conflicts, the annotation stays.
        let err =
            apply_config_map(Some(&stored), &config, "mine", false, NOW).expect_err("conflict");
        assert!(err.to_string().contains(".data.key"), "{err}");
        let forced = apply_config_map(Some(&stored), &config, "mine", true, NOW).expect("forced");
        assert_eq!(
            forced["metadata"]["annotations"][LAST_APPLIED],
            stored["metadata"]["annotations"][LAST_APPLIED]
        );
    }

    #[test]
    fn a_field_changed_since_the_client_side_apply_still_conflicts() {
        let stored = client_side_applied(Some("kubectl-edit"));
        let err = apply_config_map(
            Some(&stored),
            &config_map(json!({"key": "new"})),
            "kubectl",
            false,
            NOW,
        )
        .expect_err("conflict");
        assert_eq!(
            err.to_string(),
            "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using v1: .data.key"
        );
    }

    #[test]
    fn the_annotation_is_not_added_by_server_side_apply() {
        let applied = apply_config_map(
            None,
            &config_map(json!({"a": "<b>"})),
            "kubectl",
            false,
            NOW,
        )
        .expect("created");
        assert_eq!(applied["metadata"].get("annotations"), None, "{applied}");
    }

    #[test]
    fn a_map_owned_as_a_whole_is_kept_while_its_items_are_applied() {
        // kubectl's move from client-side to server-side apply leaves the applier owning
        // `data` itself (`"."`) as well as its items; applying the same items again keeps them.
        let mut stored = config_map(json!({"a": "1", "b": "2"}));
        stored["metadata"]["managedFields"] = json!([{
            "manager": "kubectl", "operation": "Apply", "apiVersion": "v1",
            "time": "2024-05-01T09:00:00Z", "fieldsType": "FieldsV1",
            "fieldsV1": {"f:data": {".": {}, "f:a": {}, "f:b": {}}}
        }]);
        let applied = apply_config_map(
            Some(&stored),
            &config_map(json!({"a": "1"})),
            "kubectl",
            false,
            NOW,
        )
        .expect("applied");
        assert_eq!(applied["data"], json!({"a": "1"}));
        let emptied =
            apply_config_map(Some(&stored), &config_map(json!({})), "kubectl", false, NOW)
                .expect("applied");
        assert_eq!(emptied.get("data"), None, "{emptied}");
    }

    #[test]
    fn server_side_apply_conflict_message_with_several_conflicts() {
        let conflicts = vec![
            ApplyConflict {
                manager: "\"b\"".into(),
                field: ".data.x".into(),
            },
            ApplyConflict {
                manager: "\"a\" using v1".into(),
                field: ".data.y".into(),
            },
            ApplyConflict {
                manager: "\"b\"".into(),
                field: ".data.z".into(),
            },
        ];
        assert_eq!(
            PatchError::ApplyConflicts(conflicts).to_string(),
            "Apply failed with 3 conflicts: conflicts with \"a\" using v1:\n- .data.y\nconflicts with \"b\":\n- .data.x\n- .data.z"
        );
    }

    #[test]
    fn server_side_apply_merges_keyed_lists() {
        let config = pod_config("nginx:1.27");
        let mut stored = stored_pod(
            &server_side_apply("Pod", "", None, &config, "kubectl", false, NOW).expect("creates"),
        );
        // Another manager added a sidecar and a finalizer.
        stored["spec"]["containers"]
            .as_array_mut()
            .expect("list")
            .push(json!({"name": "sidecar", "image": "envoy"}));
        stored["metadata"]["finalizers"] = json!(["example.com/keep"]);

        let mut next = pod_config("nginx:1.28");
        next["metadata"]["finalizers"] = json!(["example.com/mine"]);
        next["spec"]["containers"][0]["env"] = json!([{"name": "A", "value": "1"}]);
        let updated = server_side_apply("Pod", "", Some(&stored), &next, "kubectl", false, LATER)
            .expect("applies");
        let containers = &updated["spec"]["containers"];
        assert_eq!(containers[0]["image"], json!("nginx:1.28"));
        assert_eq!(containers[0]["env"], json!([{"name": "A", "value": "1"}]));
        assert_eq!(
            containers[0]["volumeMounts"],
            stored["spec"]["containers"][0]["volumeMounts"]
        );
        assert_eq!(containers[1], json!({"name": "sidecar", "image": "envoy"}));
        assert_eq!(
            updated["metadata"]["finalizers"],
            json!(["example.com/keep", "example.com/mine"])
        );
        assert_eq!(
            managed_fields(&updated)[0]["fieldsV1"]["f:metadata"]["f:finalizers"],
            json!({"v:\"example.com/mine\"": {}})
        );
    }

    #[test]
    fn server_side_apply_list_order_follows_structured_merge_diff() {
        let schema = ApplySchema { kind: "Pod" };
        let live = json!({"spec": {"containers": [{"name": "a"}, {"name": "x"}, {"name": "b"}]}});
        let config = json!({"spec": {"containers": [{"name": "b"}, {"name": "a"}, {"name": "n"}]}});
        let merged = schema
            .merge(&live, &config, &mut Vec::new())
            .expect("merges");
        assert_eq!(
            merged["spec"]["containers"],
            json!([{"name": "x"}, {"name": "b"}, {"name": "a"}, {"name": "n"}])
        );
    }

    #[test]
    fn server_side_apply_errors() {
        let stored = stored_pod(
            &server_side_apply("Pod", "", None, &pod_config("a"), "kubectl", false, NOW)
                .expect("creates"),
        );
        let mut wrong_version = pod_config("a");
        wrong_version["apiVersion"] = json!("apps/v1");
        let mut nameless = pod_config("a");
        nameless["spec"]["containers"] = json!([{"image": "a"}]);
        let mut duplicated = pod_config("a");
        duplicated["spec"]["containers"] = json!([{"name": "a"}, {"name": "a"}]);
        let mut with_uid = pod_config("a");
        with_uid["metadata"]["uid"] = json!("other-uid");
        let mut stale = pod_config("a");
        stale["metadata"]["resourceVersion"] = json!("1");

        // (case, stored object, configuration, field manager, error, HTTP code)
        type Case<'a> = (&'a str, Option<&'a Value>, Value, &'a str, PatchError, u16);
        let cases: Vec<Case> = vec![
            ("no field manager", None, pod_config("a"), "", PatchError::MissingFieldManager, 422),
            ("not an object", None, json!("x"), "kubectl", PatchError::ApplyNotAnObject("string"), 400),
            (
                "an empty document",
                Some(&stored),
                Value::Null,
                "kubectl",
                PatchError::ApplyVersionMismatch { specified: String::new(), expected: "v1".into() },
                400,
            ),
            (
                "another apiVersion",
                Some(&stored),
                wrong_version,
                "kubectl",
                PatchError::ApplyVersionMismatch { specified: "apps/v1".into(), expected: "v1".into() },
                400,
            ),
            (
                "a container without a name",
                None,
                nameless,
                "kubectl",
                PatchError::InvalidApplyConfiguration {
                    gvk: "/v1, Kind=Pod".into(),
                    detail: ".spec.containers: element 0: associative list with keys has an element that omits key field \"name\" (and doesn't have default value)".into(),
                },
                400,
            ),
            (
                "duplicate container names",
                None,
                duplicated,
                "kubectl",
                PatchError::InvalidApplyConfiguration {
                    gvk: "/v1, Kind=Pod".into(),
                    detail: ".spec.containers: duplicate entries for key [name=\"a\"]".into(),
                },
                400,
            ),
            ("a uid on create", None, with_uid.clone(), "kubectl", PatchError::UidMismatch("other-uid".into()), 409),
            ("another uid", Some(&stored), with_uid, "kubectl", PatchError::UidImmutable("other-uid".into()), 422),
            ("a stale resourceVersion", Some(&stored), stale, "kubectl", PatchError::ResourceVersionConflict, 409),
        ];
        for (name, existing, config, manager, expected, code) in cases {
            let err = server_side_apply("Pod", "", existing, &config, manager, false, LATER)
                .expect_err(name);
            assert_eq!(err, expected, "{name}");
            assert_eq!(err.into_api_error(&PODS, "web").code, code, "{name}");
        }
        let api = PatchError::UidMismatch("u".into()).into_api_error(&PODS, "web");
        assert_eq!(
            api.message,
            "Operation cannot be fulfilled on pods \"web\": uid mismatch: the provided object specified uid u, and no existing object was found"
        );
        let api = PatchError::UidImmutable("u".into()).into_api_error(&PODS, "web");
        assert_eq!(
            api.message,
            "Pod \"web\" is invalid: metadata.uid: Invalid value: \"u\": field is immutable"
        );

        // The stored object's own uid and resourceVersion are fine.
        let mut current = pod_config("a");
        current["metadata"]["uid"] = stored["metadata"]["uid"].clone();
        current["metadata"]["resourceVersion"] = stored["metadata"]["resourceVersion"].clone();
        assert_eq!(
            server_side_apply("Pod", "", Some(&stored), &current, "kubectl", false, LATER),
            Ok(stored)
        );
    }

    // ----- with the managers of other writes ------------------------------------------------

    #[test]
    fn apply_shares_fields_with_the_creator_and_conflicts_with_a_later_editor() {
        // `kubectl create configmap cfg --from-literal=key=v`
        let mut created = config_map(json!({"key": "v"}));
        crate::apiserver::patch::record_update("kubectl-create", "v1", None, &mut created, NOW);

        // `kubectl apply --server-side` of the same value: both own `.data.key`.
        let applied = apply_config_map(
            Some(&created),
            &config_map(json!({"key": "v"})),
            "kubectl",
            false,
            LATER,
        )
        .expect("no conflict");
        assert_eq!(
            managed_fields(&applied),
            &json!([
                {"manager": "kubectl", "operation": "Apply", "apiVersion": "v1", "time": LATER,
                 "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:key": {}}}},
                {"manager": "kubectl-create", "operation": "Update", "apiVersion": "v1", "time": NOW,
                 "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {".": {}, "f:key": {}}}}
            ])
        );

        // `kubectl edit` changes the value and takes the field from both.
        let mut edited = applied.clone();
        edited["data"]["key"] = json!("edited");
        crate::apiserver::patch::record_update(
            "kubectl-edit",
            "v1",
            Some(&applied),
            &mut edited,
            LATER,
        );
        assert_eq!(
            managed_fields(&edited),
            &json!([
                {"manager": "kubectl-create", "operation": "Update", "apiVersion": "v1", "time": NOW,
                 "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {}}},
                {"manager": "kubectl-edit", "operation": "Update", "apiVersion": "v1", "time": LATER,
                 "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:key": {}}}}
            ])
        );

        // Another manager applying another value: 409, "", unless forced.
        let other = config_map(json!({"key": "mine"}));
        let err =
            apply_config_map(Some(&edited), &other, "other", false, LATER).expect_err("conflicts");
        assert_eq!(
            err.to_string(),
            "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using v1: .data.key"
        );
        assert_eq!(err.into_api_error(&CONFIG_MAPS, "cfg").code, 409);
        let forced = apply_config_map(Some(&edited), &other, "other", true, LATER).expect("forced");
        assert_eq!(forced["data"]["key"], "mine");
        assert_eq!(
            managed_fields(&forced),
            &json!([
                {"manager": "other", "operation": "Apply", "apiVersion": "v1", "time": LATER,
                 "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:key": {}}}},
                {"manager": "kubectl-create", "operation": "Update", "apiVersion": "v1", "time": NOW,
                 "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {}}}
            ])
        );
    }
}
