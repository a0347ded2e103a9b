//! Namespaces (`pkg/registry/core/namespace/strategy.go`): cluster-scoped, a `status` and a
//! `finalize` subresource, and deletion that marks the namespace `Terminating` while its
//! content is removed.

use serde_json::{json, Map, Value};

use super::{ResourceInfo, Strategy};
use crate::apiserver::defaults::{default_string, is_unset, object_entry};
use crate::apiserver::errors::ApiError;
use crate::apiserver::field_rules::{keyed, FieldRule, ATOMIC_RULE, DEFAULT_RULE};
use crate::apiserver::table::{self, column, Column, AGE_COLUMN, NAME_COLUMN};
use crate::apiserver::validation::{
    self, at, is_qualified_name, items, kube_finalizer_name_error, name_is_dns_label, str_at,
    validate_object_meta, Issues,
};
use k8s_openapi::api::core::v1::Namespace;

/// Label every namespace carries, with its own name as the value.
const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";
const NAMESPACE_FINALIZER: &str = "kubernetes";

/// `v1` `namespaces`.
pub const NAMESPACES: ResourceInfo = ResourceInfo {
    group: "",
    version: "v1",
    plural: "namespaces",
    singular: "namespace",
    kind: "Namespace",
    list_kind: "NamespaceList",
    namespaced: false,
    short_names: &["ns"],
    categories: &[],
    verbs: &[
        "create", "delete", "get", "list", "patch", "update", "watch",
    ],
    subresources: &["status", "finalize"],
    create_only: false,
    strategy: &NamespaceStrategy,
    schema: super::TypedSchema::of::<Namespace>(),
};

/// Upstream's namespace printer columns.
const COLUMNS: &[Column] = &[
    NAME_COLUMN,
    column("Status", "string", "The status of the namespace"),
    AGE_COLUMN,
];

/// The namespace strategy.
pub struct NamespaceStrategy;

impl Strategy for NamespaceStrategy {
    fn returns_deleted_object(&self) -> bool {
        true
    }

    fn normalize(&self, info: &ResourceInfo, object: &Value) -> Result<Value, ApiError> {
        super::normalize_as::<Namespace>(info, object)
    }

    fn default(&self, object: &mut Value) {
        if let Some(ns) = object.as_object_mut() {
            default_namespace(ns);
        }
    }

    fn prepare_for_create(&self, _user: &crate::authn::UserInfo, object: &mut Value) {
        if let Some(ns) = object.as_object_mut() {
            add_kubernetes_finalizer(ns);
        }
    }

    fn validate_create(&self, object: &Value, issues: &mut Issues) {
        validate_namespace(object, issues);
    }

    fn validate_update(&self, old: &Value, new: &Value, issues: &mut Issues) {
        validate_namespace(new, issues);
        validation::validate_object_meta_update(old, new, issues);
    }

    /// `ValidateNamespaceStatusUpdate` for a `status` write (the metadata update's checks,
    /// and a phase that agrees with the deletion timestamp), and
    /// `ValidateNamespaceFinalizeUpdate` for a `finalize` write (the metadata update's
    /// checks, and each finalizer's name at its index).
    fn validate_subresource_update(
        &self,
        subresource: &str,
        old: &Value,
        new: &Value,
        issues: &mut Issues,
    ) {
        match subresource {
            "status" => {
                validation::validate_object_meta_update(old, new, issues);
                validate_status_phase(new, issues);
            }
            "finalize" => {
                validation::validate_object_meta_update(old, new, issues);
                for (i, finalizer) in items(at(new, &["spec", "finalizers"])).iter().enumerate() {
                    let name = finalizer.as_str().unwrap_or_default();
                    validate_finalizer_name(&format!("spec.finalizers[{i}]"), name, issues);
                }
            }
            _ => self.validate_update(old, new, issues),
        }
    }

    /// `namespaceStrategy.PrepareForUpdate`: an ordinary write cannot change
    /// `spec.finalizers`; only `finalize` can.
    fn prepare_for_update(&self, old: &Value, new: &mut Value) {
        match old["spec"].get("finalizers") {
            Some(finalizers) => new["spec"]["finalizers"] = finalizers.clone(),
            None => {
                if let Some(spec) = new.get_mut("spec").and_then(Value::as_object_mut) {
                    spec.remove("finalizers");
                }
            }
        }
    }

    /// `namespaceStatusStrategy` resets only the spec: a status write keeps all of the
    /// request's metadata.
    fn status_write_keeps_stored(&self) -> Option<&'static [&'static str]> {
        Some(&[])
    }

    /// A `finalize` write is the request with the stored status
    /// (`namespaceFinalizeStrategy.PrepareForUpdate`): its `spec.finalizers` and its
    /// metadata, which `ValidateNamespaceFinalizeUpdate` then checks. A `status` write
    /// keeps the stored spec (`namespaceStatusStrategy`).
    fn update_subresource(
        &self,
        subresource: &str,
        existing: &Value,
        request: &Value,
        _now: &str,
    ) -> Value {
        if subresource != "finalize" {
            return self.status_subresource_write(existing, request);
        }
        let mut merged = request.clone();
        if let Some(map) = merged.as_object_mut() {
            match existing.get("status") {
                Some(status) => map.insert("status".into(), status.clone()),
                None => map.remove("status"),
            };
        }
        merged
    }

    fn finalizes_on_delete(&self) -> bool {
        true
    }

    /// The namespace's own delete sets the deletion timestamp and the `Terminating` phase,
    /// and no grace period (`pkg/registry/core/namespace/storage/storage.go`).
    fn mark_deleted(&self, object: &mut Value) {
        object["status"]["phase"] = json!("Terminating");
        if let Some(meta) = object["metadata"].as_object_mut() {
            meta.remove("deletionGracePeriodSeconds");
        }
    }

    /// `spec.finalizers` is `+listType=atomic` without a patch strategy.
    fn field_rule(&self, path: &[&str]) -> FieldRule {
        match path {
            ["status", "conditions"] => keyed("type", &["type"]),
            ["spec", "finalizers"] => ATOMIC_RULE,
            _ => DEFAULT_RULE,
        }
    }

    fn table_columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn table_row(&self, object: &Value, now: jiff::Timestamp) -> (Vec<Value>, Option<Value>) {
        let cells = vec![
            json!(table::str_at(object, &["metadata", "name"])),
            json!(table::str_at(object, &["status", "phase"])),
            json!(table::age(object, now)),
        ];
        (cells, None)
    }

    /// `status.phase` and `metadata.name` (`NamespaceToSelectableFields`).
    fn convert_field_label(&self, label: &str) -> Result<String, String> {
        match label {
            "status.phase" | "metadata.name" => Ok(label.to_string()),
            _ => Err(format!("field label not supported: {label}")),
        }
    }

    fn selectable_fields(&self) -> &'static [&'static str] {
        &["status.phase"]
    }

    fn field_value(&self, object: &Value, field: &str) -> String {
        match field {
            "metadata.name" => str_at(object, &["metadata", "name"]).to_string(),
            "status.phase" => str_at(object, &["status", "phase"]).to_string(),
            // Cluster-scoped objects have no namespace field.
            _ => String::new(),
        }
    }
}

/// API defaulting of a namespace (`SetDefaults_Namespace`): its name label, and the `Active`
/// phase.
fn default_namespace(ns: &mut Map<String, Value>) {
    let name = ns
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if !name.is_empty() {
        if let Some(labels) =
            object_entry(ns, "metadata").and_then(|meta| object_entry(meta, "labels"))
        {
            labels.insert(NAMESPACE_NAME_LABEL.to_string(), json!(name));
        }
    }
    if let Some(status) = object_entry(ns, "status") {
        default_string(status, "phase", "Active");
    }
}

/// `namespaceStrategy.PrepareForCreate`: a new namespace gets the `kubernetes` finalizer
/// (only on create, as the namespace controller removes it later and it must stay
/// removed). It runs after the field manager, so the creator does not own it.
fn add_kubernetes_finalizer(ns: &mut Map<String, Value>) {
    if let Some(spec) = object_entry(ns, "spec") {
        if is_unset(spec, "finalizers") {
            spec.insert("finalizers".into(), json!([]));
        }
        if let Some(finalizers) = spec.get_mut("finalizers").and_then(Value::as_array_mut) {
            if !finalizers.iter().any(|f| f == NAMESPACE_FINALIZER) {
                finalizers.push(json!(NAMESPACE_FINALIZER));
            }
        }
    }
}

/// `ValidateNamespaceStatusUpdate`'s phase rule: `Active` while the namespace has no
/// deletion timestamp, `Terminating` once it has one (upstream's field path,
/// `status.Phase`, and texts).
fn validate_status_phase(new: &Value, issues: &mut Issues) {
    let phase = str_at(new, &["status", "phase"]);
    if str_at(new, &["metadata", "deletionTimestamp"]).is_empty() {
        if phase != "Active" {
            issues.invalid(
                "status.Phase",
                phase,
                "may only be 'Active' if `deletionTimestamp` is empty",
            );
        }
    } else if phase != "Terminating" {
        issues.invalid(
            "status.Phase",
            phase,
            "may only be 'Terminating' if `deletionTimestamp` is not empty",
        );
    }
}

/// ValidateNamespace: metadata with a DNS-label name, and qualified finalizer names.
fn validate_namespace(obj: &Value, issues: &mut Issues) {
    validate_object_meta(obj, false, name_is_dns_label, issues);
    for finalizer in items(at(obj, &["spec", "finalizers"])) {
        validate_finalizer_name(
            "spec.finalizers",
            finalizer.as_str().unwrap_or_default(),
            issues,
        );
    }
}

/// `validateFinalizerName`: a qualified name, and a standard one when it has no `/`.
fn validate_finalizer_name(path: &str, name: &str, issues: &mut Issues) {
    issues.invalid_each(path, name, is_qualified_name(name));
    if let Some(message) = kube_finalizer_name_error(name) {
        issues.invalid(path, name, message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::validation::testing::{subresource_update_errors, update_errors};

    fn defaulted(mut obj: Value) -> Value {
        NAMESPACES.strategy.default(&mut obj);
        obj
    }

    #[test]
    fn namespace_gets_finalizer_phase_and_name_label() {
        let mut ns = defaulted(json!({"metadata": {"name": "team-a"}}));
        assert_eq!(ns["status"]["phase"], "Active");
        assert_eq!(
            ns["metadata"]["labels"]["kubernetes.io/metadata.name"],
            "team-a"
        );
        // The finalizer is PrepareForCreate's, after the field manager has run.
        assert_eq!(ns["spec"].get("finalizers"), None);
        let user = crate::authn::UserInfo::default();
        NAMESPACES.strategy.prepare_for_create(&user, &mut ns);
        assert_eq!(ns["spec"]["finalizers"], json!(["kubernetes"]));

        let mut own = json!({"metadata": {"name": "b"}, "spec": {"finalizers": ["example.com/x"]}});
        NAMESPACES.strategy.prepare_for_create(&user, &mut own);
        assert_eq!(
            own["spec"]["finalizers"],
            json!(["example.com/x", "kubernetes"])
        );
    }

    #[test]
    fn only_finalize_changes_spec_finalizers() {
        let old = json!({"metadata": {"name": "a"}, "spec": {"finalizers": ["kubernetes"]}});
        for requested in [
            json!({"metadata": {"name": "a"}, "spec": {"finalizers": []}}),
            json!({"metadata": {"name": "a"}, "spec": {"finalizers": ["kubernetes", "example.com/x"]}}),
            json!({"metadata": {"name": "a"}}),
        ] {
            let mut new = requested.clone();
            NAMESPACES.strategy.prepare_for_update(&old, &mut new);
            assert_eq!(
                new["spec"]["finalizers"],
                json!(["kubernetes"]),
                "{requested}"
            );
        }
        let finalized = NAMESPACES.strategy.update_subresource(
            "finalize",
            &old,
            &json!({"metadata": {"name": "a"}, "spec": {"finalizers": []}}),
            "2024-05-01T12:00:00Z",
        );
        assert_eq!(finalized["spec"]["finalizers"], json!([]));
    }

    #[test]
    fn stored_namespace_does_not_get_its_finalizer_back() {
        // The namespace controller removed the finalizer; the finalize write must keep it removed.
        let ns =
            json!({"metadata": {"name": "gone"}, "spec": {}, "status": {"phase": "Terminating"}});
        let ns = defaulted(ns);
        assert!(ns["spec"].get("finalizers").is_none());
        assert_eq!(ns["status"]["phase"], "Terminating");
    }

    /// `ValidateNamespaceStatusUpdate`: the phase follows the deletion timestamp.
    #[test]
    fn a_status_write_cannot_set_a_phase_the_deletion_timestamp_disagrees_with() {
        let live = json!({"metadata": {"name": "a"}, "status": {"phase": "Active"}});
        let deleting = json!({"metadata": {"name": "a", "deletionTimestamp": "2024-05-01T12:00:00Z"}, "status": {"phase": "Terminating"}});
        let cases = [
            (&live, "Active", None),
            (&live, "Terminating", Some("status.Phase: Invalid value: \"Terminating\": may only be 'Active' if `deletionTimestamp` is empty")),
            (&deleting, "Terminating", None),
            (&deleting, "Active", Some("status.Phase: Invalid value: \"Active\": may only be 'Terminating' if `deletionTimestamp` is not empty")),
        ];
        let errors = |subresource: &str, old: &Value, new: &Value| {
            subresource_update_errors(&NAMESPACES, subresource, old, new)
        };
        for (old, phase, expected) in cases {
            let mut new = old.clone();
            new["status"]["phase"] = json!(phase);
            let found = errors("status", old, &new);
            assert_eq!(
                found.first().map(String::as_str),
                expected,
                "{phase}: {found:?}"
            );
            // `finalize` does not check it (nor does a write of the namespace itself, whose
            // status is the stored one).
            assert!(errors("finalize", old, &new).is_empty(), "{phase}");
        }
    }

    /// `ValidateNamespaceFinalizeUpdate` names a finalizer by its index; a create or an
    /// update of the namespace itself (`ValidateNamespace`) does not.
    #[test]
    fn a_finalize_write_names_the_bad_finalizer_by_its_index() {
        let old = json!({"metadata": {"name": "a"}, "spec": {"finalizers": ["kubernetes"]}});
        let new = json!({"metadata": {"name": "a"}, "spec": {"finalizers": ["kubernetes", "foo"]}});
        assert_eq!(
            subresource_update_errors(&NAMESPACES, "finalize", &old, &new),
            vec!["spec.finalizers[1]: Invalid value: \"foo\": name is neither a standard finalizer name nor is it fully qualified"]
        );
        assert_eq!(
            update_errors(&NAMESPACES, old, new),
            vec!["spec.finalizers: Invalid value: \"foo\": name is neither a standard finalizer name nor is it fully qualified"]
        );
    }

    #[test]
    fn namespace_update_cannot_rename() {
        let old = json!({"metadata": {"name": "a"}, "status": {"phase": "Active"}});
        let new = json!({"metadata": {"name": "b"}, "status": {"phase": "Active"}});
        assert_eq!(
            update_errors(&NAMESPACES, old, new),
            vec!["metadata.name: Invalid value: \"b\": field is immutable"]
        );
    }
}
