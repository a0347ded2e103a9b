//! Validation of a pod update (`ValidatePodUpdate` in `pkg/apis/core/validation`): only
//! images, the active deadline (down), tolerations (added) and scheduling gates (removed)
//! may change; everything else in the spec is compared semantically with the stored pod.

use std::collections::BTreeSet;

use serde_json::Value;

use super::qos::parse_quantity;
use super::validation::{
    validate_pod, validate_tolerations, APPARMOR_ANNOTATION_PREFIX, MAX_INT32,
    MIRROR_POD_ANNOTATION,
};
use crate::apiserver::validation::{
    at, inclusive_range_error, is_empty_value, items, str_of, string_map,
    validate_object_meta_update, Issues,
};

const UPDATABLE_POD_SPEC_FIELDS: &[&str] = &[
    "`spec.containers[*].image`",
    "`spec.initContainers[*].image`",
    "`spec.activeDeadlineSeconds`",
    "`spec.tolerations` (only additions to existing tolerations)",
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
];

/// The metadata rules every pod update shares: immutable identity, and the pod-specific
/// annotations (`ValidateObjectMetaUpdate`, `ValidatePodSpecificAnnotationUpdates`).
pub(super) fn validate_pod_update_metadata(old: &Value, new: &Value, issues: &mut Issues) {
    validate_object_meta_update(old, new, issues);
    validate_pod_annotation_updates(old, new, issues);
}

/// ValidatePodUpdate: metadata and the pod as on create, then what an update may change.
pub(super) fn validate_pod_update(old: &Value, new: &Value, issues: &mut Issues) {
    validate_object_meta_update(old, new, issues);
    validate_pod(new, issues);
    validate_pod_annotation_updates(old, new, issues);

    let old_spec = old.get("spec").unwrap_or(&Value::Null);
    let new_spec = new.get("spec").unwrap_or(&Value::Null);
    for key in ["containers", "initContainers"] {
        let (old_containers, new_containers) = (items(old_spec.get(key)), items(new_spec.get(key)));
        if old_containers.len() != new_containers.len() {
            issues.forbidden(
                format!("spec.{key}"),
                "pod updates may not add or remove containers",
            );
            return;
        }
        for (i, container) in new_containers.iter().enumerate() {
            let image = str_of(container, "image");
            if image.is_empty() {
                issues.required(format!("spec.{key}[{i}].image"));
            }
            if image.trim() != image {
                issues.invalid(
                    format!("spec.{key}[{i}].image"),
                    image,
                    "must not have leading or trailing whitespace",
                );
            }
        }
    }

    let new_deadline = new_spec
        .get("activeDeadlineSeconds")
        .filter(|v| !v.is_null());
    let old_deadline = old_spec
        .get("activeDeadlineSeconds")
        .and_then(Value::as_i64);
    match (new_deadline.and_then(Value::as_i64), old_deadline) {
        (Some(new_value), _) if !(0..=MAX_INT32).contains(&new_value) => {
            issues.invalid_rendered(
                "spec.activeDeadlineSeconds",
                new_value.to_string(),
                inclusive_range_error(0, MAX_INT32),
            );
            return;
        }
        (Some(new_value), Some(old_value)) if old_value < new_value => {
            issues.invalid_rendered(
                "spec.activeDeadlineSeconds",
                new_value.to_string(),
                "must be less than or equal to previous value",
            );
            return;
        }
        (None, Some(_)) => {
            issues.invalid_rendered(
                "spec.activeDeadlineSeconds",
                "null".to_string(),
                "must not update from a positive integer to nil value",
            );
        }
        _ => {}
    }

    validate_only_added_tolerations(
        items(old_spec.get("tolerations")),
        items(new_spec.get("tolerations")),
        issues,
    );
    let old_gates: BTreeSet<&str> = items(old_spec.get("schedulingGates"))
        .iter()
        .map(|g| str_of(g, "name"))
        .collect();
    for (i, gate) in items(new_spec.get("schedulingGates")).iter().enumerate() {
        let name = str_of(gate, "name");
        if !old_gates.contains(name) {
            issues.forbidden(
                format!("spec.schedulingGates[{i}].name"),
                format!("only deletion is allowed, but found new scheduling gate '{name}'"),
            );
        }
    }

    if comparable_pod_spec(&munged_pod_spec(old_spec, new_spec)) != comparable_pod_spec(old_spec) {
        issues.forbidden(
            "spec",
            format!(
                "pod updates may not change fields other than {}",
                UPDATABLE_POD_SPEC_FIELDS.join(",")
            ),
        );
    }
}

fn validate_pod_annotation_updates(old: &Value, new: &Value, issues: &mut Issues) {
    let old_annotations = string_map(at(old, &["metadata", "annotations"]));
    let new_annotations = string_map(at(new, &["metadata", "annotations"]));
    for (key, old_value) in &old_annotations {
        if new_annotations.get(key) == Some(old_value) {
            continue;
        }
        let path = format!("metadata.annotations[{key}]");
        if key.starts_with(APPARMOR_ANNOTATION_PREFIX) {
            issues.forbidden(&path, "may not remove or update AppArmor annotations");
        }
        if *key == MIRROR_POD_ANNOTATION {
            issues.forbidden(&path, "may not remove or update mirror pod annotation");
        }
    }
    for key in new_annotations
        .keys()
        .filter(|k| !old_annotations.contains_key(*k))
    {
        let path = format!("metadata.annotations[{key}]");
        if key.starts_with(APPARMOR_ANNOTATION_PREFIX) {
            issues.forbidden(&path, "may not add AppArmor annotations");
        }
        if *key == MIRROR_POD_ANNOTATION {
            issues.forbidden(&path, "may not add mirror pod annotation");
        }
    }
}

fn validate_only_added_tolerations(old: &[Value], new: &[Value], issues: &mut Issues) {
    // tolerationSeconds of an existing toleration may change.
    let without_seconds = |t: &Value| {
        let mut copy = canonical(t);
        if let Some(map) = copy.as_object_mut() {
            map.remove("tolerationSeconds");
        }
        copy
    };
    let new_keys: Vec<Value> = new.iter().map(without_seconds).collect();
    if old.iter().any(|t| !new_keys.contains(&without_seconds(t))) {
        issues.forbidden(
            "spec.tolerations",
            "existing toleration can not be modified except its tolerationSeconds",
        );
        return;
    }
    validate_tolerations(new, issues);
}

/// The spec as the internal type holds it: without the deprecated v1 `serviceAccount`
/// alias, which conversion folds into `serviceAccountName`.
fn comparable_pod_spec(spec: &Value) -> Value {
    let mut comparable = canonical(spec);
    if let Some(map) = comparable.as_object_mut() {
        map.remove("serviceAccount");
    }
    comparable
}

/// The new spec with the fields a pod update may change reset to the old values.
fn munged_pod_spec(old_spec: &Value, new_spec: &Value) -> Value {
    let mut munged = new_spec.clone();
    let Some(spec) = munged.as_object_mut() else {
        return munged;
    };
    for key in ["containers", "initContainers"] {
        let old_containers = items(old_spec.get(key));
        if let Some(containers) = spec.get_mut(key).and_then(Value::as_array_mut) {
            for (container, old_container) in containers.iter_mut().zip(old_containers) {
                if let Some(container) = container.as_object_mut() {
                    match old_container.get("image") {
                        Some(image) => container.insert("image".into(), image.clone()),
                        None => container.remove("image"),
                    };
                }
            }
        }
    }
    for key in ["activeDeadlineSeconds", "schedulingGates", "tolerations"] {
        match old_spec.get(key) {
            Some(value) => spec.insert(key.into(), value.clone()),
            None => spec.remove(key),
        };
    }
    let old_grace = old_spec
        .get("terminationGracePeriodSeconds")
        .and_then(Value::as_i64);
    let new_grace = spec
        .get("terminationGracePeriodSeconds")
        .and_then(Value::as_i64);
    if old_grace.is_some_and(|g| g < 0) && new_grace == Some(1) {
        if let Some(old_value) = old_spec.get("terminationGracePeriodSeconds") {
            spec.insert("terminationGracePeriodSeconds".into(), old_value.clone());
        }
    }
    munged
}

/// A form for semantic comparison, as apimachinery's semantic DeepEqual sees values:
/// null, empty lists and empty maps equal absent; quantities compare by value.
fn canonical(value: &Value) -> Value {
    canonical_in(value, false)
}

fn canonical_in(value: &Value, quantities: bool) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !is_empty_value(Some(v)))
                .map(|(k, v)| {
                    let holds_quantities =
                        quantities || matches!(k.as_str(), "requests" | "limits" | "overhead");
                    (k.clone(), canonical_in(v, holds_quantities))
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| canonical_in(v, false)).collect()),
        Value::String(text) if quantities => match parse_quantity(text) {
            Some(number) => serde_json::json!(number),
            None => value.clone(),
        },
        Value::Number(n) => n
            .as_f64()
            .map(|f| serde_json::json!(f))
            .unwrap_or_else(|| value.clone()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use crate::apiserver::kinds::PODS;
    use crate::apiserver::validation::testing::{pod, simple_pod, update_errors};
    use crate::apiserver::validation::validate_update;
    use serde_json::json;

    #[test]
    fn pod_updates_may_change_only_a_few_fields() {
        let old = simple_pod();
        let mut new_image = old.clone();
        new_image["spec"]["containers"][0]["image"] = json!("nginx:2");
        assert!(update_errors(&PODS, old.clone(), new_image).is_empty());

        let mut relabelled = old.clone();
        relabelled["metadata"]["labels"] = json!({"tier": "web"});
        assert!(update_errors(&PODS, old.clone(), relabelled).is_empty());

        let mut new_env = old.clone();
        new_env["spec"]["containers"][0]["env"] = json!([{"name": "A", "value": "b"}]);
        assert_eq!(
            update_errors(&PODS, old.clone(), new_env),
            vec!["spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"]
        );

        let mut more = old.clone();
        more["spec"]["containers"] =
            json!([{"name": "app", "image": "nginx:1"}, {"name": "b", "image": "b"}]);
        assert_eq!(
            update_errors(&PODS, old.clone(), more),
            vec!["spec.containers: Forbidden: pod updates may not add or remove containers"]
        );

        let mut deadline = old.clone();
        deadline["spec"]["activeDeadlineSeconds"] = json!(30);
        assert!(update_errors(&PODS, old.clone(), deadline.clone()).is_empty());
        let mut longer = deadline.clone();
        longer["spec"]["activeDeadlineSeconds"] = json!(60);
        assert_eq!(
            update_errors(&PODS, deadline, longer),
            vec!["spec.activeDeadlineSeconds: Invalid value: 60: must be less than or equal to previous value"]
        );

        let mut tolerated = old.clone();
        tolerated["spec"]["tolerations"] =
            json!([{"key": "k", "operator": "Exists", "effect": "NoSchedule"}]);
        assert!(update_errors(&PODS, old.clone(), tolerated.clone()).is_empty());
        assert_eq!(
            update_errors(&PODS, tolerated, old),
            vec!["spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds"]
        );
    }

    #[test]
    fn pod_update_compares_semantically() {
        let mut old = pod(json!({"containers": [{"name": "app", "image": "nginx:1",
            "resources": {"requests": {"cpu": "1"}}}], "nodeSelector": {}}));
        PODS.strategy.default(&mut old);
        let mut new = old.clone();
        new["spec"]["containers"][0]["resources"]["requests"]["cpu"] = json!("1000m");
        new["spec"]
            .as_object_mut()
            .map(|s| s.remove("nodeSelector"));
        assert!(validate_update(&PODS, &old, &new).is_ok());
    }

    #[test]
    fn pod_update_ignores_the_deprecated_service_account_alias() {
        let mut old = simple_pod();
        old["spec"]["serviceAccountName"] = json!("default");
        let mut new = old.clone();
        new["spec"]["serviceAccount"] = json!("default");
        assert!(update_errors(&PODS, old, new).is_empty());
    }
}
