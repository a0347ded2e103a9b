//! Validation of a new pod (`ValidatePodCreate` in `pkg/apis/core/validation`): its
//! annotations, spec, containers, ports, environment, volume mounts and tolerations.
//! Volumes are in `volumes.rs`, updates in `update.rs`.

use std::collections::BTreeSet;

use serde_json::Value;

use super::resources::validate_resources;
use super::volumes::{validate_local_descending_path, validate_volumes};
use crate::apiserver::validation::{
    at, inclusive_range_error, index, is_dns1123_label, is_qualified_name, is_relaxed_env_var_name,
    is_set, is_valid_label_value, is_valid_port_name, is_valid_port_num, items,
    name_is_dns_subdomain, str_at, str_of, string_map, validate_labels, validate_object_meta,
    Issues,
};

pub(super) const MIRROR_POD_ANNOTATION: &str = "kubernetes.io/config.mirror";
const POD_DELETION_COST_ANNOTATION: &str = "controller.kubernetes.io/pod-deletion-cost";
pub(super) const APPARMOR_ANNOTATION_PREFIX: &str =
    "container.apparmor.security.beta.kubernetes.io/";
pub(super) const MAX_INT32: i64 = i32::MAX as i64;

/// ValidatePodCreate: metadata, annotations and spec, a projected token only with a
/// service account, and images without surrounding whitespace.
pub(super) fn validate_pod(pod: &Value, issues: &mut Issues) {
    validate_object_meta(pod, true, name_is_dns_subdomain, issues);
    let spec = pod.get("spec").unwrap_or(&Value::Null);
    validate_pod_annotations(pod, issues);
    validate_pod_spec(spec, issues);
    if str_of(spec, "serviceAccountName").is_empty() {
        for (vi, volume) in items(spec.get("volumes")).iter().enumerate() {
            for (si, source) in items(at(volume, &["projected", "sources"]))
                .iter()
                .enumerate()
            {
                if is_set(source.get("serviceAccountToken")) {
                    issues.forbidden(
                        format!("spec.volumes[{vi}].projected.sources[{si}].serviceAccountToken"),
                        "must not be specified when serviceAccountName is not set",
                    );
                }
            }
        }
    }
    for key in ["containers", "initContainers"] {
        for (i, container) in items(spec.get(key)).iter().enumerate() {
            let image = str_of(container, "image");
            if image.trim() != image {
                issues.invalid(
                    format!("spec.{key}[{i}].image"),
                    image,
                    "must not have leading or trailing whitespace",
                );
            }
        }
    }
}

fn validate_pod_annotations(pod: &Value, issues: &mut Issues) {
    let annotations = string_map(at(pod, &["metadata", "annotations"]));
    if let Some(value) = annotations.get(MIRROR_POD_ANNOTATION) {
        if str_at(pod, &["spec", "nodeName"]).is_empty() {
            issues.invalid(
                format!("metadata.annotations[{MIRROR_POD_ANNOTATION}]"),
                value,
                "must set spec.nodeName if mirror pod annotation is set",
            );
        }
    }
    if let Some(cost) = annotations.get(POD_DELETION_COST_ANNOTATION) {
        if cost.parse::<i32>().is_err() {
            issues.invalid(
                format!("metadata.annotations[{POD_DELETION_COST_ANNOTATION}]"),
                cost,
                "must be a 32bit integer",
            );
        }
    }
}

fn validate_pod_spec(spec: &Value, issues: &mut Issues) {
    let volumes = validate_volumes(spec.get("volumes"), issues);
    let containers = items(spec.get("containers"));
    if containers.is_empty() {
        issues.required("spec.containers");
    } else {
        let mut names = BTreeSet::new();
        for (i, container) in containers.iter().enumerate() {
            let path = index("spec.containers", i);
            validate_container_common(container, &volumes, &path, issues);
            let name = str_of(container, "name");
            if !names.insert(name) {
                issues.duplicate(format!("{path}.name"), name);
            }
            if is_set(container.get("restartPolicy")) {
                issues.forbidden(
                    format!("{path}.restartPolicy"),
                    "may not be set for non-init containers",
                );
            }
        }
    }
    let mut all_names: BTreeSet<&str> = containers.iter().map(|c| str_of(c, "name")).collect();
    for (i, container) in items(spec.get("initContainers")).iter().enumerate() {
        let path = index("spec.initContainers", i);
        validate_container_common(container, &volumes, &path, issues);
        let restart_policy = container.get("restartPolicy").and_then(Value::as_str);
        if let Some(policy) = restart_policy.filter(|p| *p != "Always") {
            issues.not_supported(format!("{path}.restartPolicy"), policy, &["Always"]);
        }
        let name = str_of(container, "name");
        if all_names.contains(name) {
            issues.duplicate(format!("{path}.name"), name);
        } else if !name.is_empty() {
            all_names.insert(name);
        }
        if restart_policy != Some("Always") {
            for field in [
                "lifecycle",
                "livenessProbe",
                "readinessProbe",
                "startupProbe",
            ] {
                if is_set(container.get(field)) {
                    issues.forbidden(
                        format!("{path}.{field}"),
                        "may not be set for init containers without restartPolicy=Always",
                    );
                }
            }
        }
    }
    for (i, container) in items(spec.get("ephemeralContainers")).iter().enumerate() {
        let path = index("spec.ephemeralContainers", i);
        validate_container_common(container, &volumes, &path, issues);
    }
    super::ephemeral::validate_ephemeral_only_rules(spec, issues);
    if let Some(policy) = spec
        .get("restartPolicy")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
    {
        if !["Always", "OnFailure", "Never"].contains(&policy) {
            issues.not_supported(
                "spec.restartPolicy",
                policy,
                &["Always", "OnFailure", "Never"],
            );
        }
    }
    if let Some(policy) = spec
        .get("dnsPolicy")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
    {
        let supported = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"];
        if !supported.contains(&policy) {
            issues.not_supported("spec.dnsPolicy", policy, &supported);
        }
    }
    validate_labels(spec.get("nodeSelector"), "spec.nodeSelector", issues);
    for field in ["serviceAccountName", "nodeName"] {
        let value = str_of(spec, field);
        if !value.is_empty() {
            issues.invalid_each(
                &format!("spec.{field}"),
                value,
                name_is_dns_subdomain(value, false),
            );
        }
    }
    if let Some(deadline) = spec.get("activeDeadlineSeconds").and_then(Value::as_i64) {
        if !(1..=MAX_INT32).contains(&deadline) {
            issues.invalid_rendered(
                "spec.activeDeadlineSeconds",
                deadline.to_string(),
                inclusive_range_error(1, MAX_INT32),
            );
        }
    }
    for field in ["hostname", "subdomain"] {
        let value = str_of(spec, field);
        if !value.is_empty() {
            issues.invalid_each(&format!("spec.{field}"), value, is_dns1123_label(value));
        }
    }
    validate_tolerations(items(spec.get("tolerations")), issues);
    let priority_class = str_of(spec, "priorityClassName");
    if !priority_class.is_empty() {
        issues.invalid_each(
            "spec.priorityClassName",
            priority_class,
            name_is_dns_subdomain(priority_class, false),
        );
    }
    if let Some(policy) = spec
        .get("preemptionPolicy")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
    {
        if !["PreemptLowerPriority", "Never"].contains(&policy) {
            issues.not_supported(
                "spec.preemptionPolicy",
                policy,
                &["PreemptLowerPriority", "Never"],
            );
        }
    }
}

fn validate_container_common(
    container: &Value,
    volumes: &BTreeSet<String>,
    path: &str,
    issues: &mut Issues,
) {
    let name = str_of(container, "name");
    if name.is_empty() {
        issues.required(format!("{path}.name"));
    } else {
        issues.invalid_each(&format!("{path}.name"), name, is_dns1123_label(name));
    }
    if str_of(container, "image").is_empty() {
        issues.required(format!("{path}.image"));
    }
    if let Some(policy) = container
        .get("terminationMessagePolicy")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
    {
        if !["File", "FallbackToLogsOnError"].contains(&policy) {
            issues.not_supported(
                format!("{path}.terminationMessagePolicy"),
                policy,
                &["File", "FallbackToLogsOnError"],
            );
        }
    }
    validate_container_ports(
        items(container.get("ports")),
        &format!("{path}.ports"),
        issues,
    );
    validate_env(items(container.get("env")), &format!("{path}.env"), issues);
    validate_volume_mounts(
        items(container.get("volumeMounts")),
        volumes,
        &format!("{path}.volumeMounts"),
        issues,
    );
    if let Some(policy) = container
        .get("imagePullPolicy")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
    {
        let supported = ["Always", "IfNotPresent", "Never"];
        if !supported.contains(&policy) {
            issues.not_supported(format!("{path}.imagePullPolicy"), policy, &supported);
        }
    }
    validate_resources(
        container.get("resources"),
        &format!("{path}.resources"),
        issues,
    );
}

fn validate_container_ports(ports: &[Value], path: &str, issues: &mut Issues) {
    let mut names = BTreeSet::new();
    for (i, port) in ports.iter().enumerate() {
        let port_path = index(path, i);
        let name = str_of(port, "name");
        if !name.is_empty() {
            let errors = is_valid_port_name(name);
            if !errors.is_empty() {
                issues.invalid_each(&format!("{port_path}.name"), name, errors);
            } else if !names.insert(name) {
                issues.duplicate(format!("{port_path}.name"), name);
            }
        }
        let container_port = port
            .get("containerPort")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        if container_port == 0 {
            issues.required(format!("{port_path}.containerPort"));
        } else {
            for message in is_valid_port_num(container_port) {
                issues.invalid_rendered(
                    format!("{port_path}.containerPort"),
                    container_port.to_string(),
                    message,
                );
            }
        }
        let host_port = port.get("hostPort").and_then(Value::as_i64).unwrap_or(0);
        if host_port != 0 {
            for message in is_valid_port_num(host_port) {
                issues.invalid_rendered(
                    format!("{port_path}.hostPort"),
                    host_port.to_string(),
                    message,
                );
            }
        }
        if let Some(protocol) = port
            .get("protocol")
            .and_then(Value::as_str)
            .filter(|p| !p.is_empty())
        {
            if !["SCTP", "TCP", "UDP"].contains(&protocol) {
                issues.not_supported(
                    format!("{port_path}.protocol"),
                    protocol,
                    &["SCTP", "TCP", "UDP"],
                );
            }
        }
    }
}

fn validate_env(env: &[Value], path: &str, issues: &mut Issues) {
    for (i, var) in env.iter().enumerate() {
        let name_path = format!("{}.name", index(path, i));
        let name = str_of(var, "name");
        if name.is_empty() {
            issues.required(&name_path);
        }
        issues.invalid_each(&name_path, name, is_relaxed_env_var_name(name));
    }
}

fn validate_volume_mounts(
    mounts: &[Value],
    volumes: &BTreeSet<String>,
    path: &str,
    issues: &mut Issues,
) {
    let mut mount_points = BTreeSet::new();
    for (i, mount) in mounts.iter().enumerate() {
        let mount_path = index(path, i);
        let name = str_of(mount, "name");
        if name.is_empty() {
            issues.required(format!("{mount_path}.name"));
        }
        if !volumes.contains(name) {
            issues.not_found(format!("{mount_path}.name"), name);
        }
        let target = str_of(mount, "mountPath");
        if target.is_empty() {
            issues.required(format!("{mount_path}.mountPath"));
        }
        if !mount_points.insert(target) {
            issues.invalid(format!("{mount_path}.mountPath"), target, "must be unique");
        }
        let sub_path = str_of(mount, "subPath");
        if !sub_path.is_empty() {
            // Upstream reports subPath errors on the list's path, not the item's.
            validate_local_descending_path(sub_path, &format!("{path}.subPath"), issues);
        }
    }
}

pub(super) fn validate_tolerations(tolerations: &[Value], issues: &mut Issues) {
    for (i, toleration) in tolerations.iter().enumerate() {
        let path = index("spec.tolerations", i);
        let key = str_of(toleration, "key");
        let operator = str_of(toleration, "operator");
        let effect = str_of(toleration, "effect");
        let value = str_of(toleration, "value");
        if !key.is_empty() {
            issues.invalid_each(&format!("{path}.key"), key, is_qualified_name(key));
        }
        if key.is_empty() && operator != "Exists" {
            issues.invalid(
                format!("{path}.operator"),
                operator,
                "operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
            );
        }
        if is_set(toleration.get("tolerationSeconds")) && effect != "NoExecute" {
            issues.invalid(
                format!("{path}.effect"),
                effect,
                "effect must be 'NoExecute' when `tolerationSeconds` is set",
            );
        }
        match operator {
            "Equal" | "" => {
                let errors = is_valid_label_value(value);
                if !errors.is_empty() {
                    issues.invalid(format!("{path}.operator"), value, errors.join(";"));
                }
            }
            "Exists" => {
                if !value.is_empty() {
                    issues.invalid(
                        format!("{path}.operator"),
                        value,
                        "value must be empty when `operator` is 'Exists'",
                    );
                }
            }
            other => issues.not_supported(format!("{path}.operator"), other, &["Equal", "Exists"]),
        }
        let effects = ["NoSchedule", "PreferNoSchedule", "NoExecute"];
        if !effect.is_empty() && !effects.contains(&effect) {
            issues.not_supported(format!("{path}.effect"), effect, &effects);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::apiserver::kinds::PODS;
    use crate::apiserver::validation::testing::{create_errors, pod, simple_pod, update_errors};
    use serde_json::{json, Value};

    #[test]
    fn valid_pods_pass() {
        assert!(create_errors(&PODS, simple_pod()).is_empty());
        let full = pod(json!({
            "serviceAccountName": "default",
            "volumes": [{"name": "token", "secret": {"secretName": "default-token-abc"}},
                        {"name": "api", "projected": {"sources": [{"serviceAccountToken": {"path": "token", "expirationSeconds": 3607}}]}}],
            "containers": [{"name": "app", "image": "nginx", "ports": [{"name": "http", "containerPort": 80}],
                "env": [{"name": "A", "value": "b"}],
                "volumeMounts": [{"name": "token", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true}]}],
            "initContainers": [{"name": "init", "image": "busybox"}],
            "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]
        }));
        assert_eq!(create_errors(&PODS, full), Vec::<String>::new());
    }

    #[test]
    fn pod_create_rules() {
        let cases: Vec<(Value, Vec<&str>)> = vec![
            (pod(json!({"containers": []})), vec!["spec.containers: Required value"]),
            (pod(json!({"containers": [{"name": "app"}]})), vec!["spec.containers[0].image: Required value"]),
            (pod(json!({"containers": [{"image": "i"}]})), vec!["spec.containers[0].name: Required value"]),
            (
                pod(json!({"containers": [{"name": "a", "image": "i"}, {"name": "a", "image": "i"}]})),
                vec!["spec.containers[1].name: Duplicate value: \"a\""],
            ),
            (
                pod(json!({"containers": [{"name": "a", "image": "i", "volumeMounts": [{"name": "x", "mountPath": "/x"}]}]})),
                vec!["spec.containers[0].volumeMounts[0].name: Not found: \"x\""],
            ),
            (
                pod(json!({"volumes": [{"name": "v", "emptyDir": {}}, {"name": "v", "emptyDir": {}}],
                    "containers": [{"name": "a", "image": "i"}]})),
                vec!["spec.volumes[1].name: Duplicate value: \"v\""],
            ),
            (
                pod(json!({"volumes": [{"name": "v", "secret": {}}],
                    "containers": [{"name": "a", "image": "i", "volumeMounts": [{"name": "v", "mountPath": "/v"}]}]})),
                vec!["spec.volumes[0].secret.secretName: Required value", "spec.containers[0].volumeMounts[0].name: Not found: \"v\""],
            ),
            (
                pod(json!({"containers": [{"name": "a", "image": "i"}], "restartPolicy": "Sometimes"})),
                vec!["spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\""],
            ),
            (
                pod(json!({"containers": [{"name": "a", "image": "i"}], "serviceAccountName": "Bad_SA"})),
                vec!["spec.serviceAccountName: Invalid value: \"Bad_SA\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"],
            ),
            (
                pod(json!({"containers": [{"name": "a", "image": "i", "ports": [{"containerPort": 70000}]}]})),
                vec!["spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive"],
            ),
            (
                pod(json!({"containers": [{"name": "a", "image": " i"}]})),
                vec!["spec.containers[0].image: Invalid value: \" i\": must not have leading or trailing whitespace"],
            ),
            (
                pod(json!({"volumes": [{"name": "s", "secret": {"secretName": "x", "defaultMode": 1000}}],
                    "containers": [{"name": "a", "image": "i"}]})),
                vec!["spec.volumes[0].secret.defaultMode: Invalid value: 1000: must be a number between 0 and 0777 (octal), both inclusive"],
            ),
            (
                pod(json!({"volumes": [{"name": "t", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}}],
                    "containers": [{"name": "a", "image": "i"}]})),
                vec!["spec.volumes[0].projected.sources[0].serviceAccountToken: Forbidden: must not be specified when serviceAccountName is not set"],
            ),
            (
                pod(json!({"containers": [{"name": "a", "image": "i"}],
                    "tolerations": [{"operator": "Equal", "value": "x"}]})),
                vec!["spec.tolerations[0].operator: Invalid value: \"Equal\": operator must be Exists when `key` is empty, which means \"match all values and all keys\""],
            ),
        ];
        for (obj, expected) in cases {
            assert_eq!(create_errors(&PODS, obj.clone()), expected, "{obj}");
        }
    }

    #[test]
    fn mirror_pods() {
        let mut mirror = simple_pod();
        mirror["metadata"]["annotations"] = json!({"kubernetes.io/config.mirror": "x"});
        assert_eq!(
            create_errors(&PODS, mirror.clone()),
            vec!["metadata.annotations[kubernetes.io/config.mirror]: Invalid value: \"x\": must set spec.nodeName if mirror pod annotation is set"]
        );
        mirror["spec"]["nodeName"] = json!("node-1");
        assert!(create_errors(&PODS, mirror.clone()).is_empty());
        let mut unmirrored = mirror.clone();
        unmirrored["metadata"]["annotations"] = json!({});
        assert_eq!(
            update_errors(&PODS, mirror, unmirrored),
            vec!["metadata.annotations[kubernetes.io/config.mirror]: Forbidden: may not remove or update mirror pod annotation"]
        );
    }
}
