//! Ephemeral containers: their field rules in any pod (`validateEphemeralContainers` in
//! `pkg/apis/core/validation`), and the `pods/ephemeralcontainers` subresource, through
//! which alone they are added (`podEphemeralContainersStrategy` in
//! `pkg/registry/core/pod/strategy.go`, `ValidatePodEphemeralContainersUpdate`).

use std::collections::BTreeSet;

use serde_json::Value;

use super::update::validate_pod_update_metadata;
use super::validation::{validate_pod, MIRROR_POD_ANNOTATION};
use crate::apiserver::validation::{at, index, is_empty_value, items, str_of, string_map, Issues};

/// The subresource's name in URLs, RBAC rules and admission attributes.
pub const EPHEMERAL_CONTAINERS_SUBRESOURCE: &str = "ephemeralcontainers";

/// What an ephemeral container may not have, in the order of upstream's
/// `EphemeralContainerCommon` fields (its allow-list is checked field by field).
const FORBIDDEN_FIELDS: &[&str] = &[
    "ports",
    "resources",
    "resizePolicy",
    "restartPolicy",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "lifecycle",
];

const NOT_FOR_EPHEMERAL: &str = "cannot be set for an Ephemeral Container";

/// The ephemeral-only rules for `spec.ephemeralContainers` (the rules they share with other
/// containers are checked by the caller): a name unique across every container, a
/// `targetContainerName` naming a container or init container, none of
/// [`FORBIDDEN_FIELDS`], and no `subPath`/`subPathExpr` in volume mounts.
pub(super) fn validate_ephemeral_only_rules(spec: &Value, issues: &mut Issues) {
    let ephemeral = items(spec.get("ephemeralContainers"));
    if ephemeral.is_empty() {
        return;
    }
    let others: BTreeSet<&str> = ["containers", "initContainers"]
        .iter()
        .flat_map(|key| items(spec.get(*key)))
        .map(|c| str_of(c, "name"))
        .collect();
    let mut all_names = others.clone();
    for (i, container) in ephemeral.iter().enumerate() {
        let path = index("spec.ephemeralContainers", i);
        let name = str_of(container, "name");
        if !all_names.insert(name) {
            issues.duplicate(format!("{path}.name"), name);
        }
        let target = str_of(container, "targetContainerName");
        if !target.is_empty() && !others.contains(target) {
            issues.not_found(format!("{path}.targetContainerName"), target);
        }
        for field in FORBIDDEN_FIELDS {
            if !is_empty_value(container.get(*field)) {
                issues.forbidden(format!("{path}.{field}"), NOT_FOR_EPHEMERAL);
            }
        }
        for (m, mount) in items(container.get("volumeMounts")).iter().enumerate() {
            for field in ["subPath", "subPathExpr"] {
                if !str_of(mount, field).is_empty() {
                    issues.forbidden(
                        format!("{path}.volumeMounts[{m}].{field}"),
                        NOT_FOR_EPHEMERAL,
                    );
                }
            }
        }
    }
}

/// The pod a write to `pods/NAME/ephemeralcontainers` produces (upstream's
/// `dropNonEphemeralContainerUpdates`): the stored pod, spec, status and the metadata a
/// status write keeps, with only `spec.ephemeralContainers` taken from the request.
pub(super) fn ephemeral_containers_write(existing: &Value, request: &Value) -> Value {
    let mut merged = existing.clone();
    let requested = at(request, &["spec", "ephemeralContainers"])
        .filter(|v| !v.is_null())
        .cloned();
    if let Some(spec) = merged.get_mut("spec").and_then(Value::as_object_mut) {
        match requested {
            Some(containers) => spec.insert("ephemeralContainers".into(), containers),
            None => spec.remove("ephemeralContainers"),
        };
    }
    merged
}

/// `ValidatePodEphemeralContainersUpdate`: the pod as on any update's metadata rules and
/// as on create; a static (mirror) pod takes none; existing ephemeral containers are
/// neither removed nor changed (matched by name, since a patch may reorder them).
pub(super) fn validate_ephemeral_containers_update(old: &Value, new: &Value, issues: &mut Issues) {
    validate_pod_update_metadata(old, new, issues);
    validate_pod(new, issues);
    if string_map(at(old, &["metadata", "annotations"])).contains_key(MIRROR_POD_ANNOTATION) {
        // Upstream answers with this one error alone.
        *issues = Issues::default();
        issues.forbidden("", "static pods do not support ephemeral containers");
        return;
    }
    let new_containers = items(at(new, &["spec", "ephemeralContainers"]));
    for old_container in items(at(old, &["spec", "ephemeralContainers"])) {
        let name = str_of(old_container, "name");
        match new_containers.iter().find(|c| str_of(c, "name") == name) {
            None => issues.forbidden(
                "spec.ephemeralContainers",
                format!("existing ephemeral containers {name:?} may not be removed\n"),
            ),
            Some(new_container) if new_container != old_container => issues.forbidden(
                format!("spec.ephemeralContainers[{name}]"),
                format!(
                    "existing ephemeral containers {name:?} may not be changed\n{}",
                    changed_fields(old_container, new_container)
                ),
            ),
            Some(_) => {}
        }
    }
}

/// Which top-level fields of a container differ, one per line. Upstream prints a go-cmp
/// diff here, whose layout go-cmp deliberately randomizes; the field names are what a
/// reader needs.
fn changed_fields(old: &Value, new: &Value) -> String {
    let keys: BTreeSet<&String> = old
        .as_object()
        .into_iter()
        .chain(new.as_object())
        .flat_map(|map| map.keys())
        .collect();
    keys.into_iter()
        .filter(|key| old.get(key.as_str()) != new.get(key.as_str()))
        .map(|key| format!("  {key}: changed"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::kinds::PODS;
    use crate::apiserver::validation::validate_subresource_update;
    use serde_json::json;

    fn pod(ephemeral: Value) -> Value {
        let mut pod = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web", "namespace": "demo", "uid": "u1", "resourceVersion": "3"},
            "spec": {"containers": [{"name": "app", "image": "nginx"}], "serviceAccountName": "default"},
        });
        if !ephemeral.is_null() {
            pod["spec"]["ephemeralContainers"] = ephemeral;
        }
        PODS.strategy.default(&mut pod);
        pod
    }

    fn errors(old: &Value, new: &Value) -> Vec<String> {
        match validate_subresource_update(&PODS, EPHEMERAL_CONTAINERS_SUBRESOURCE, old, new) {
            Ok(()) => vec![],
            Err(e) => e
                .causes
                .iter()
                .map(|c| format!("{}: {}", c.field, c.message))
                .collect(),
        }
    }

    #[test]
    fn the_write_takes_only_the_ephemeral_containers() {
        let existing = pod(Value::Null);
        let mut request = pod(json!([{"name": "dbg", "image": "busybox"}]));
        request["spec"]["containers"][0]["image"] = json!("other");
        request["metadata"]["labels"] = json!({"x": "y"});
        request["status"] = json!({"phase": "Failed"});
        let written = ephemeral_containers_write(&existing, &request);
        let mut expected = existing.clone();
        expected["spec"]["ephemeralContainers"] = request["spec"]["ephemeralContainers"].clone();
        assert_eq!(written, expected);
        // A request without them clears them (and validation then refuses the removal).
        assert_eq!(ephemeral_containers_write(&written, &existing), existing);
    }

    #[test]
    fn update_rules() {
        let dbg = json!({"name": "dbg", "image": "busybox", "targetContainerName": "app"});
        let cases: Vec<(&str, Value, Value, Vec<&str>)> = vec![
            ("adding one", pod(Value::Null), pod(json!([dbg.clone()])), vec![]),
            (
                "adding a second",
                pod(json!([dbg.clone()])),
                pod(json!([dbg.clone(), {"name": "dbg2", "image": "busybox"}])),
                vec![],
            ),
            (
                "removing",
                pod(json!([dbg.clone()])),
                pod(Value::Null),
                vec!["spec.ephemeralContainers: Forbidden: existing ephemeral containers \"dbg\" may not be removed\n"],
            ),
            (
                "changing",
                pod(json!([dbg.clone()])),
                pod(json!([{"name": "dbg", "image": "alpine", "targetContainerName": "app"}])),
                vec!["spec.ephemeralContainers[dbg]: Forbidden: existing ephemeral containers \"dbg\" may not be changed\n  image: changed"],
            ),
            (
                "a name taken by a container",
                pod(Value::Null),
                pod(json!([{"name": "app", "image": "busybox"}])),
                vec!["spec.ephemeralContainers[0].name: Duplicate value: \"app\""],
            ),
            (
                "an unknown target",
                pod(Value::Null),
                pod(json!([{"name": "dbg", "image": "busybox", "targetContainerName": "nope"}])),
                vec!["spec.ephemeralContainers[0].targetContainerName: Not found: \"nope\""],
            ),
            (
                "ports, probes and subPath",
                pod(Value::Null),
                pod(json!([{"name": "dbg", "image": "busybox",
                            "ports": [{"containerPort": 80}],
                            "readinessProbe": {"exec": {"command": ["true"]}},
                            "volumeMounts": [{"name": "v", "mountPath": "/v", "subPath": "x"}]}])),
                vec![
                    "spec.ephemeralContainers[0].ports: Forbidden: cannot be set for an Ephemeral Container",
                    "spec.ephemeralContainers[0].readinessProbe: Forbidden: cannot be set for an Ephemeral Container",
                    "spec.ephemeralContainers[0].volumeMounts[0].subPath: Forbidden: cannot be set for an Ephemeral Container",
                ],
            ),
            (
                "no image",
                pod(Value::Null),
                pod(json!([{"name": "dbg"}])),
                vec!["spec.ephemeralContainers[0].image: Required value"],
            ),
        ];
        for (name, old, new, expected) in cases {
            let mut got = errors(&old, &new);
            // The volume mount above names no volume; only the ephemeral rules matter here.
            got.retain(|e| !e.contains(".volumeMounts[0].name"));
            assert_eq!(got, expected, "{name}");
        }
    }

    #[test]
    fn static_pods_take_no_ephemeral_containers() {
        let mut old = pod(Value::Null);
        old["metadata"]["annotations"] = json!({MIRROR_POD_ANNOTATION: "x"});
        let mut new = old.clone();
        new["spec"]["ephemeralContainers"] = json!([{"name": "dbg", "image": "busybox"}]);
        PODS.strategy.default(&mut new);
        assert_eq!(
            errors(&old, &new),
            [": Forbidden: static pods do not support ephemeral containers"]
        );
    }
}
