//! `ObjectMeta` (`k8s.io/apimachinery/pkg/api/validation/objectmeta.go`): names, namespace,
//! labels, annotations, owner references and finalizers, on create and on update.

use std::collections::BTreeSet;

use serde_json::Value;

use super::go_format::{go_string_slice, go_time, go_value};
use super::json::{index, is_set, items, str_of, string_map};
use super::names::{is_qualified_name, is_valid_label_value, name_is_dns_label, NameCheck};
use super::{Issues, FIELD_IMMUTABLE};

pub(crate) const TOTAL_ANNOTATION_SIZE_LIMIT: usize = 256 * 1024;
/// `IsNegativeErrorMsg`.
pub(crate) const IS_NEGATIVE_ERR: &str = "must be greater than or equal to 0";

/// ValidateObjectMeta of a new object: `requires_namespace` for namespaced kinds, and
/// `name_check` the kind's name format.
pub(crate) fn validate_object_meta(
    obj: &Value,
    requires_namespace: bool,
    name_check: NameCheck,
    issues: &mut Issues,
) {
    let meta = obj.get("metadata").unwrap_or(&Value::Null);
    let generate_name = str_of(meta, "generateName");
    if !generate_name.is_empty() {
        issues.invalid_each(
            "metadata.generateName",
            generate_name,
            name_check(generate_name, true),
        );
    }
    let name = str_of(meta, "name");
    if name.is_empty() {
        // With a generateName, the server generates the name before it validates.
        if generate_name.is_empty() {
            issues.required_because("metadata.name", "name or generateName is required");
        }
    } else {
        issues.invalid_each("metadata.name", name, name_check(name, false));
    }
    let namespace = str_of(meta, "namespace");
    if requires_namespace {
        if namespace.is_empty() {
            issues.required("metadata.namespace");
        } else {
            issues.invalid_each(
                "metadata.namespace",
                namespace,
                name_is_dns_label(namespace, false),
            );
        }
    } else if !namespace.is_empty() {
        issues.forbidden("metadata.namespace", "not allowed on this type");
    }
    if let Some(generation) = meta
        .get("generation")
        .and_then(Value::as_i64)
        .filter(|g| *g < 0)
    {
        issues.invalid_rendered(
            "metadata.generation",
            generation.to_string(),
            IS_NEGATIVE_ERR,
        );
    }
    validate_labels(meta.get("labels"), "metadata.labels", issues);
    validate_annotations(meta.get("annotations"), "metadata.annotations", issues);
    validate_owner_references(meta.get("ownerReferences"), issues);
    validate_finalizers(meta.get("finalizers"), issues);
}

/// Label keys and values of the map at `path` (`metadata.labels`, `spec.nodeSelector`).
pub(crate) fn validate_labels(labels: Option<&Value>, path: &str, issues: &mut Issues) {
    for (key, value) in string_map(labels) {
        issues.invalid_each(path, key, is_qualified_name(key));
        issues.invalid_each(path, value, is_valid_label_value(value));
    }
}

fn validate_annotations(annotations: Option<&Value>, path: &str, issues: &mut Issues) {
    let annotations = string_map(annotations);
    for key in annotations.keys() {
        // Qualified names, except that case does not matter.
        issues.invalid_each(path, key, is_qualified_name(&key.to_lowercase()));
    }
    let total: usize = annotations.iter().map(|(k, v)| k.len() + v.len()).sum();
    if total > TOTAL_ANNOTATION_SIZE_LIMIT {
        issues.too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT);
    }
}

fn validate_owner_references(references: Option<&Value>, issues: &mut Issues) {
    let path = "metadata.ownerReferences";
    let mut first_controller: Option<String> = None;
    for reference in items(references) {
        let api_version = str_of(reference, "apiVersion");
        let version = match api_version.split('/').collect::<Vec<_>>().as_slice() {
            [version] => *version,
            [_, version] => *version,
            _ => "",
        };
        if version.is_empty() {
            issues.invalid(
                format!("{path}.apiVersion"),
                api_version,
                "version must not be empty",
            );
        }
        for (field, detail) in [
            ("kind", "must not be empty"),
            ("name", "must not be empty"),
            ("uid", "must not be empty"),
        ] {
            let value = str_of(reference, field);
            if value.is_empty() {
                issues.invalid(format!("{path}.{field}"), value, detail);
            }
        }
        if reference.get("controller").and_then(Value::as_bool) == Some(true) {
            let current = format!(
                "{}/{}",
                str_of(reference, "kind"),
                str_of(reference, "name")
            );
            match &first_controller {
                Some(first) => issues.invalid_rendered(
                    path,
                    "[]v1.OwnerReference{...}".to_string(),
                    format!("Only one reference can have Controller set to true. Found \"true\" in references for {first} and {current}"),
                ),
                None => first_controller = Some(current),
            }
        }
    }
}

const STANDARD_FINALIZERS: &[&str] = &["kubernetes", "orphan", "foregroundDeletion"];

fn validate_finalizers(finalizers: Option<&Value>, issues: &mut Issues) {
    let names: Vec<String> = items(finalizers)
        .iter()
        .map(|f| f.as_str().unwrap_or_default().to_string())
        .collect();
    for name in &names {
        issues.invalid_each("metadata.finalizers", name, is_qualified_name(name));
    }
    if names.iter().any(|n| n == "orphan") && names.iter().any(|n| n == "foregroundDeletion") {
        issues.invalid_rendered(
            "metadata.finalizers",
            go_string_slice(&names),
            "finalizer orphan and foregroundDeletion cannot be both set",
        );
    }
    validate_kube_finalizer_names(&names, issues);
}

/// A finalizer without a `/` must be one of the standard names.
pub(crate) fn kube_finalizer_name_error(name: &str) -> Option<&'static str> {
    (!name.contains('/') && !STANDARD_FINALIZERS.contains(&name))
        .then_some("name is neither a standard finalizer name nor is it fully qualified")
}

fn validate_kube_finalizer_names(names: &[String], issues: &mut Issues) {
    for (i, name) in names.iter().enumerate() {
        if let Some(message) = kube_finalizer_name_error(name) {
            issues.invalid(index("metadata.finalizers", i), name, message);
        }
    }
}

/// ValidateObjectMetaUpdate. Fields a real server copies from the stored object before it
/// validates (uid when absent, resourceVersion, generation) are not reported when absent.
pub(crate) fn validate_object_meta_update(old: &Value, new: &Value, issues: &mut Issues) {
    let old_meta = old.get("metadata").unwrap_or(&Value::Null);
    let new_meta = new.get("metadata").unwrap_or(&Value::Null);
    let new_finalizers: Vec<String> = items(new_meta.get("finalizers"))
        .iter()
        .map(|f| f.as_str().unwrap_or_default().to_string())
        .collect();
    if is_set(old_meta.get("deletionTimestamp")) {
        let old_finalizers: BTreeSet<&str> = items(old_meta.get("finalizers"))
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let extra: BTreeSet<String> = new_finalizers
            .iter()
            .filter(|f| !old_finalizers.contains(f.as_str()))
            .cloned()
            .collect();
        if !extra.is_empty() {
            let extra: Vec<String> = extra.into_iter().collect();
            issues.forbidden(
                "metadata.finalizers",
                format!(
                    "no new finalizers can be added if the object is being deleted, found new finalizers {}",
                    go_string_slice(&extra)
                ),
            );
        }
    }
    for field in ["name", "namespace"] {
        let (old_value, new_value) = (str_of(old_meta, field), str_of(new_meta, field));
        if old_value != new_value {
            issues.invalid(format!("metadata.{field}"), new_value, FIELD_IMMUTABLE);
        }
    }
    let new_uid = str_of(new_meta, "uid");
    if !new_uid.is_empty() && new_uid != str_of(old_meta, "uid") {
        issues.invalid("metadata.uid", new_uid, FIELD_IMMUTABLE);
    }
    for field in ["creationTimestamp", "deletionTimestamp"] {
        let new_value = new_meta.get(field).filter(|v| !v.is_null());
        if new_value.is_some() && !same_time(new_value, old_meta.get(field)) {
            issues.invalid_rendered(
                format!("metadata.{field}"),
                go_time(new_value),
                FIELD_IMMUTABLE,
            );
        }
    }
    let new_grace = new_meta
        .get("deletionGracePeriodSeconds")
        .filter(|v| !v.is_null());
    if new_grace.is_some() && new_grace != old_meta.get("deletionGracePeriodSeconds") {
        issues.invalid_rendered(
            "metadata.deletionGracePeriodSeconds",
            go_value(new_grace),
            FIELD_IMMUTABLE,
        );
    }
    validate_labels(new_meta.get("labels"), "metadata.labels", issues);
    validate_annotations(new_meta.get("annotations"), "metadata.annotations", issues);
    validate_owner_references(new_meta.get("ownerReferences"), issues);
    validate_kube_finalizer_names(&new_finalizers, issues);
}

fn same_time(a: Option<&Value>, b: Option<&Value>) -> bool {
    let parse = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .and_then(|s| s.parse::<jiff::Timestamp>().ok())
    };
    match (parse(a), parse(b)) {
        (Some(a), Some(b)) => a.as_second() == b.as_second(),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{create_errors, update_errors, LABEL_MSG, SUBDOMAIN_MSG};
    use super::*;
    use crate::apiserver::kinds::{CONFIG_MAPS, NAMESPACES, PODS, SECRETS, SERVICE_ACCOUNTS};
    use serde_json::json;

    #[test]
    fn names_are_required_unless_generated() {
        assert_eq!(
            create_errors(&SECRETS, json!({"metadata": {"namespace": "ns"}})),
            vec!["metadata.name: Required value: name or generateName is required"]
        );
        assert!(create_errors(
            &SECRETS,
            json!({"metadata": {"namespace": "ns", "generateName": "s-"}})
        )
        .is_empty());
        assert_eq!(
            create_errors(
                &SECRETS,
                json!({"metadata": {"namespace": "ns", "generateName": "My-Secret-"}})
            ),
            vec![format!(
                "metadata.generateName: Invalid value: \"My-Secret-\": {SUBDOMAIN_MSG}"
            )]
        );
    }

    #[test]
    fn name_formats_per_resource() {
        let cases = [
            (&PODS, "a.b", None),
            (&SECRETS, "My-Secret", Some(SUBDOMAIN_MSG.to_string())),
            (&CONFIG_MAPS, "cm.v1", None),
            (&SERVICE_ACCOUNTS, "sa_1", Some(SUBDOMAIN_MSG.to_string())),
            (&NAMESPACES, "team-a", None),
            (
                &NAMESPACES,
                "team.a",
                Some("must not contain dots".to_string()),
            ),
            (&NAMESPACES, "Team", Some(LABEL_MSG.to_string())),
        ];
        for (resource, name, expected) in cases {
            let namespace = if resource.namespaced {
                json!("ns")
            } else {
                Value::Null
            };
            let mut obj = json!({"metadata": {"name": name, "namespace": namespace}});
            if *resource == PODS {
                obj["spec"] = json!({"containers": [{"name": "c", "image": "i"}]});
            }
            let errors = create_errors(resource, obj);
            match expected {
                None => assert!(errors.is_empty(), "{name}: {errors:?}"),
                Some(message) => {
                    assert_eq!(
                        errors,
                        vec![format!(
                            "metadata.name: Invalid value: \"{name}\": {message}"
                        )],
                        "{name}"
                    )
                }
            }
        }
    }

    #[test]
    fn namespaced_objects_need_a_namespace_and_cluster_objects_refuse_one() {
        assert_eq!(
            create_errors(&CONFIG_MAPS, json!({"metadata": {"name": "c"}})),
            vec!["metadata.namespace: Required value"]
        );
        assert_eq!(
            create_errors(
                &NAMESPACES,
                json!({"metadata": {"name": "n", "namespace": "x"}})
            ),
            vec!["metadata.namespace: Forbidden: not allowed on this type"]
        );
    }

    #[test]
    fn labels_and_annotations() {
        let errors = create_errors(
            &CONFIG_MAPS,
            json!({"metadata": {"name": "c", "namespace": "ns",
                "labels": {"ok": "fine", "bad key": "v", "k": "x".repeat(64)},
                "annotations": {"Example.COM/Upper": "ok", "bad/key/x": "v"}}}),
        );
        // 64 x's match the format and are only too long.
        assert_eq!(errors.len(), 3, "{errors:#?}");
        assert!(
            errors[0].starts_with(
                "metadata.labels: Invalid value: \"bad key\": name part must consist of"
            ),
            "{}",
            errors[0]
        );
        assert_eq!(
            errors[1],
            format!(
                "metadata.labels: Invalid value: \"{}\": must be no more than 63 characters",
                "x".repeat(64)
            )
        );
        assert!(errors[2].starts_with(
            "metadata.annotations: Invalid value: \"bad/key/x\": a qualified name must consist of"
        ));

        let big = "v".repeat(TOTAL_ANNOTATION_SIZE_LIMIT);
        let errors = create_errors(
            &CONFIG_MAPS,
            json!({"metadata": {"name": "c", "namespace": "ns", "annotations": {"k": big}}}),
        );
        assert_eq!(
            errors,
            vec!["metadata.annotations: Too long: may not be more than 262144 bytes"]
        );
    }

    #[test]
    fn metadata_is_immutable_on_update() {
        let old = json!({"metadata": {"name": "a", "namespace": "ns", "uid": "u1", "creationTimestamp": "2024-01-02T03:04:05Z"}});
        let cases = [
            (json!({"metadata": {"name": "b", "namespace": "ns", "uid": "u1"}}), "metadata.name: Invalid value: \"b\": field is immutable"),
            (json!({"metadata": {"name": "a", "namespace": "other", "uid": "u1"}}), "metadata.namespace: Invalid value: \"other\": field is immutable"),
            (json!({"metadata": {"name": "a", "namespace": "ns", "uid": "u2"}}), "metadata.uid: Invalid value: \"u2\": field is immutable"),
            (
                json!({"metadata": {"name": "a", "namespace": "ns", "creationTimestamp": "2025-01-01T00:00:00Z"}}),
                "metadata.creationTimestamp: Invalid value: 2025-01-01 00:00:00 +0000 UTC: field is immutable",
            ),
        ];
        for (new, expected) in cases {
            let errors = update_errors(&SERVICE_ACCOUNTS, old.clone(), new.clone());
            assert!(errors.iter().any(|e| e == expected), "{new}: {errors:?}");
        }
        // Absent uid and creationTimestamp are filled in from the stored object, not errors.
        assert!(update_errors(
            &SERVICE_ACCOUNTS,
            old,
            json!({"metadata": {"name": "a", "namespace": "ns"}})
        )
        .is_empty());
    }

    #[test]
    fn finalizer_names() {
        let errors = create_errors(
            &NAMESPACES,
            json!({"metadata": {"name": "n", "finalizers": ["custom"]}, "spec": {"finalizers": ["mine"]}}),
        );
        assert_eq!(
            errors,
            vec![
                "metadata.finalizers[0]: Invalid value: \"custom\": name is neither a standard finalizer name nor is it fully qualified",
                "spec.finalizers: Invalid value: \"mine\": name is neither a standard finalizer name nor is it fully qualified",
            ]
        );
        assert!(create_errors(
            &NAMESPACES,
            json!({"metadata": {"name": "n", "finalizers": ["example.com/x"]}})
        )
        .is_empty());
    }
}
