//! The warnings a pod create gets (upstream's `podStrategy.WarningsOnCreate` and
//! pkg/api/pod/warnings.go `GetWarningsForPod`, with pkg/api/node's deprecated node
//! labels). Upstream's pod updates get none (`WarningsOnUpdate` skips them on purpose).
//!
//! Covered: the DNS-label name, deprecated node labels in the node selector, node affinity
//! and topology spread constraints, a null spread `labelSelector`, deprecated annotations
//! (the alpha critical-pod and sysctl ones, seccomp without its field), deprecated volume
//! plugins, projected paths that clash with a ServiceAccountToken source, duplicate host
//! alias IPs, duplicate and empty `imagePullSecrets` names, fractional byte quantities and
//! environment variables hiding an earlier one, container ports, a negative grace period
//! and pod (anti-)affinity terms without a selector. Not covered: the warnings of an
//! ephemeral volume's claim template.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::fractional::fractional_canonical;
use crate::apiserver::validation::go_quote;
use crate::apiserver::validation::names::is_dns1123_label;

/// Node labels upstream has deprecated, with what to say about each
/// (pkg/api/node/util.go `deprecatedNodeLabels`).
const DEPRECATED_NODE_LABELS: &[(&str, &str)] = &[
    (
        "beta.kubernetes.io/arch",
        "deprecated since v1.14; use \"kubernetes.io/arch\" instead",
    ),
    (
        "beta.kubernetes.io/os",
        "deprecated since v1.14; use \"kubernetes.io/os\" instead",
    ),
    (
        "failure-domain.beta.kubernetes.io/region",
        "deprecated since v1.17; use \"topology.kubernetes.io/region\" instead",
    ),
    (
        "failure-domain.beta.kubernetes.io/zone",
        "deprecated since v1.17; use \"topology.kubernetes.io/zone\" instead",
    ),
    (
        "beta.kubernetes.io/instance-type",
        "deprecated since v1.17; use \"node.kubernetes.io/instance-type\" instead",
    ),
    ("app.kubernetes.io/created-by", "deprecated since v1.9"),
    (
        "scheduler.alpha.kubernetes.io/preferAvoidPods",
        "deprecated since v1.22; use Taints and Tolerations instead",
    ),
    (
        "node-role.kubernetes.io/master",
        "use \"node-role.kubernetes.io/control-plane\" instead",
    ),
];

/// Pod annotations that no longer do anything.
const DEPRECATED_ANNOTATIONS: &[(&str, &str)] = &[
    (
        "scheduler.alpha.kubernetes.io/critical-pod",
        "non-functional in v1.16+; use the \"priorityClassName\" field instead",
    ),
    (
        "security.alpha.kubernetes.io/sysctls",
        "non-functional in v1.11+; use the \"sysctls\" field instead",
    ),
    (
        "security.alpha.kubernetes.io/unsafe-sysctls",
        "non-functional in v1.11+; use the \"sysctls\" field instead",
    ),
];

/// Volume sources that are deprecated or gone: the JSON field, the name upstream's path
/// gives it (its Go field path, `storageOS` for `storageos`), and their story.
const DEPRECATED_VOLUMES: &[(&str, &str, &str)] = &[
    (
        "photonPersistentDisk",
        "photonPersistentDisk",
        "deprecated in v1.11, non-functional in v1.16+",
    ),
    ("gitRepo", "gitRepo", "deprecated in v1.11"),
    (
        "scaleIO",
        "scaleIO",
        "deprecated in v1.16, non-functional in v1.22+",
    ),
    (
        "flocker",
        "flocker",
        "deprecated in v1.22, non-functional in v1.25+",
    ),
    (
        "storageos",
        "storageOS",
        "deprecated in v1.22, non-functional in v1.25+",
    ),
    (
        "quobyte",
        "quobyte",
        "deprecated in v1.22, non-functional in v1.25+",
    ),
    (
        "glusterfs",
        "glusterfs",
        "deprecated in v1.25, non-functional in v1.26+",
    ),
    (
        "cephfs",
        "cephfs",
        "deprecated in v1.28, non-functional in v1.31+",
    ),
    (
        "rbd",
        "rbd",
        "deprecated in v1.28, non-functional in v1.31+",
    ),
];

const SECCOMP_POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
const SECCOMP_CONTAINER_ANNOTATION_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";
const SECCOMP_WARNING: &str = "non-functional in v1.27+; use the \"seccompProfile\" field instead";

fn deprecated_node_label(key: &str) -> Option<&'static str> {
    DEPRECATED_NODE_LABELS
        .iter()
        .find(|(label, _)| *label == key)
        .map(|(_, message)| *message)
}

fn items(value: Option<&Value>) -> &[Value] {
    value.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

fn object(value: Option<&Value>) -> Option<&Map<String, Value>> {
    value.and_then(Value::as_object)
}

fn text(value: &Value, key: &str) -> String {
    match value.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// The warnings for creating `pod`, in upstream's order.
pub fn warnings_on_create(pod: &Value) -> Vec<String> {
    let mut warnings = Vec::new();
    let name = pod
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let problems = is_dns1123_label(name);
    if !problems.is_empty() {
        warnings.push(format!(
            "metadata.name: this is used in the Pod's hostname, which can result in surprising behavior; a DNS label is recommended: [{}]",
            problems.join(" ")
        ));
    }
    let empty = Value::Null;
    let spec = pod.get("spec").unwrap_or(&empty);
    let annotations = object(pod.pointer("/metadata/annotations"));
    node_label_warnings(spec, &mut warnings);
    for (key, message) in DEPRECATED_ANNOTATIONS {
        if annotations.is_some_and(|a| a.contains_key(*key)) {
            warnings.push(format!("metadata.annotations[{key}]: {message}"));
        }
    }
    volume_warnings(spec, &mut warnings);
    duplicates(
        items(spec.get("hostAliases")),
        "ip",
        "spec.hostAliases",
        "duplicate ip",
        &mut warnings,
    );
    let pull_secrets = items(spec.get("imagePullSecrets"));
    duplicates(
        pull_secrets,
        "name",
        "spec.imagePullSecrets",
        "duplicate name",
        &mut warnings,
    );
    for (i, secret) in pull_secrets.iter().enumerate() {
        if text(secret, "name").is_empty() {
            warnings.push(format!(
                "spec.imagePullSecrets[{i}].name: invalid empty name \"\""
            ));
        }
    }
    for resource in ["memory", "ephemeral-storage"] {
        fractional(
            spec.get("overhead"),
            resource,
            "spec.overhead",
            &mut warnings,
        );
    }
    let seccomp_field = |security: Option<&Value>| {
        security.is_some_and(|s| s.get("seccompProfile").is_some_and(|p| !p.is_null()))
    };
    if !seccomp_field(spec.get("securityContext"))
        && annotations.is_some_and(|a| a.contains_key(SECCOMP_POD_ANNOTATION))
    {
        warnings.push(format!(
            "metadata.annotations[{SECCOMP_POD_ANNOTATION}]: {SECCOMP_WARNING}"
        ));
    }
    for (path, container) in containers(spec) {
        let container_name = text(container, "name");
        let key = format!("{SECCOMP_CONTAINER_ANNOTATION_PREFIX}{container_name}");
        if !seccomp_field(container.get("securityContext"))
            && annotations.is_some_and(|a| a.contains_key(&key))
        {
            warnings.push(format!("metadata.annotations[{key}]: {SECCOMP_WARNING}"));
        }
        let resources = container.get("resources");
        for (list, resource) in [
            ("limits", "memory"),
            ("requests", "memory"),
            ("limits", "ephemeral-storage"),
            ("requests", "ephemeral-storage"),
        ] {
            fractional(
                resources.and_then(|r| r.get(list)),
                resource,
                &format!("{path}.resources.{list}"),
                &mut warnings,
            );
        }
        env_warnings(container, &path, &mut warnings);
    }
    port_warnings(spec, &mut warnings);
    if spec
        .get("terminationGracePeriodSeconds")
        .and_then(Value::as_i64)
        .is_some_and(|seconds| seconds < 0)
    {
        warnings.push(
            "spec.terminationGracePeriodSeconds: must be >= 0; negative values are invalid and will be treated as 1"
                .to_string(),
        );
    }
    for kind in ["podAffinity", "podAntiAffinity"] {
        let Some(affinity) = spec.get("affinity").and_then(|a| a.get(kind)) else {
            continue;
        };
        let at = format!("spec.affinity.{kind}");
        let required = items(affinity.get("requiredDuringSchedulingIgnoredDuringExecution"));
        for (i, term) in required.iter().enumerate() {
            null_selector(
                term,
                &format!("{at}.requiredDuringSchedulingIgnoredDuringExecution[{i}].labelSelector"),
                &mut warnings,
            );
        }
        let preferred = items(affinity.get("preferredDuringSchedulingIgnoredDuringExecution"));
        for (i, term) in preferred.iter().enumerate() {
            null_selector(
                term.get("podAffinityTerm").unwrap_or(&Value::Null),
                &format!(
                    "{at}.preferredDuringSchedulingIgnoredDuringExecution[{i}].podAffinityTerm.labelSelector"
                ),
                &mut warnings,
            );
        }
    }
    warnings
}

/// A term without a label selector matches no pod.
fn null_selector(term: &Value, at: &str, warnings: &mut Vec<String>) {
    if term.get("labelSelector").is_none_or(Value::is_null) {
        warnings.push(format!(
            "{at}: a null labelSelector results in matching no pod"
        ));
    }
}

/// One container port as the port checks compare it.
struct Port {
    path: String,
    host_ip: String,
    host_port: i64,
}

/// Ports across all containers: a host IP without a host port, and definitions of the
/// same container port and protocol that repeat, overlap or are ambiguous.
fn port_warnings(spec: &Value, warnings: &mut Vec<String>) {
    let mut by_port: Vec<(String, Vec<Port>)> = Vec::new();
    for (path, container) in containers(spec) {
        for (i, port) in items(container.get("ports")).iter().enumerate() {
            let path = format!("{path}.ports[{i}]");
            let host_ip = text(port, "hostIP");
            let host_port = port.get("hostPort").and_then(Value::as_i64).unwrap_or(0);
            let container_port = port
                .get("containerPort")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            let protocol = text(port, "protocol");
            if !host_ip.is_empty() && host_port == 0 {
                // Go's `%+v` of the internal ContainerPort struct.
                warnings.push(format!(
                    "{path}: hostIP set without hostPort: {{Name:{} HostPort:{host_port} ContainerPort:{container_port} Protocol:{protocol} HostIP:{host_ip}}}",
                    text(port, "name")
                ));
            }
            let key = format!("{container_port}/{protocol}");
            let this = Port {
                path,
                host_ip,
                host_port,
            };
            match by_port.iter_mut().find(|(k, _)| *k == key) {
                Some((_, others)) => {
                    for other in others.iter() {
                        let (a, b) = (this.host_ip.is_empty(), other.host_ip.is_empty());
                        let what =
                            if this.host_ip == other.host_ip && this.host_port == other.host_port {
                                "duplicate"
                            } else if this.host_port == 0 || other.host_port == 0 {
                                "overlapping"
                            } else if this.host_port == other.host_port && a != b {
                                "dangerously ambiguous"
                            } else {
                                continue;
                            };
                        warnings.push(format!(
                            "{}: {what} port definition with {}",
                            this.path, other.path
                        ));
                    }
                    others.push(this);
                }
                None => by_port.push((key, vec![this])),
            }
        }
    }
}

/// Every container with its path: init containers, containers, then ephemeral ones
/// (`pods.VisitContainersWithPath`).
fn containers(spec: &Value) -> Vec<(String, &Value)> {
    ["initContainers", "containers", "ephemeralContainers"]
        .into_iter()
        .flat_map(|list| {
            items(spec.get(list))
                .iter()
                .enumerate()
                .map(move |(i, c)| (format!("spec.{list}[{i}]"), c))
        })
        .collect()
}

fn node_label_warnings(spec: &Value, warnings: &mut Vec<String>) {
    for key in object(spec.get("nodeSelector"))
        .into_iter()
        .flat_map(|m| m.keys())
    {
        if let Some(message) = deprecated_node_label(key) {
            warnings.push(format!("spec.nodeSelector[{key}]: {message}"));
        }
    }
    let term_warnings = |term: &Value, path: &str, warnings: &mut Vec<String>| {
        for (j, expression) in items(term.get("matchExpressions")).iter().enumerate() {
            let key = text(expression, "key");
            if let Some(message) = deprecated_node_label(&key) {
                warnings.push(format!(
                    "{path}.matchExpressions[{j}].key: {key} is {message}"
                ));
            }
        }
    };
    if let Some(affinity) = spec.pointer("/affinity/nodeAffinity") {
        let required = "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms";
        let terms =
            affinity.pointer("/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms");
        for (i, term) in items(terms).iter().enumerate() {
            term_warnings(term, &format!("{required}[{i}]"), warnings);
        }
        let preferred = items(affinity.get("preferredDuringSchedulingIgnoredDuringExecution"));
        for (i, term) in preferred.iter().enumerate() {
            if let Some(preference) = term.get("preference") {
                term_warnings(
                    preference,
                    &format!("spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[{i}].preference"),
                    warnings,
                );
            }
        }
    }
    for (i, constraint) in items(spec.get("topologySpreadConstraints"))
        .iter()
        .enumerate()
    {
        let path = format!("spec.topologySpreadConstraints[{i}]");
        let key = text(constraint, "topologyKey");
        if let Some(message) = deprecated_node_label(&key) {
            warnings.push(format!("{path}.topologyKey: {key} is {message}"));
        }
        if constraint.get("labelSelector").is_none_or(Value::is_null) {
            warnings.push(format!(
                "{path}.labelSelector: a null labelSelector results in matching no pod"
            ));
        }
    }
}

fn volume_warnings(spec: &Value, warnings: &mut Vec<String>) {
    let volumes = items(spec.get("volumes"));
    for (i, volume) in volumes.iter().enumerate() {
        for (source, path, message) in DEPRECATED_VOLUMES {
            if volume.get(*source).is_some_and(|v| !v.is_null()) {
                warnings.push(format!("spec.volumes[{i}].{path}: {message}"));
            }
        }
    }
    // Paths a ServiceAccountToken source writes, which another projected source must not.
    let sources = |volume: &Value| items(volume.pointer("/projected/sources")).to_vec();
    let token_paths: BTreeSet<String> = volumes
        .iter()
        .flat_map(sources)
        .filter_map(|s| s.get("serviceAccountToken").map(|t| text(t, "path")))
        .collect();
    if token_paths.is_empty() {
        return;
    }
    let clash = |path: &str| token_paths.contains(path);
    for (i, volume) in volumes.iter().enumerate() {
        let at = format!("spec.volumes[{i}].projected.sources");
        for source in sources(volume) {
            for (key, name) in [
                ("configMap", "configMap"),
                ("secret", "secrets"),
                ("downwardAPI", "downwardAPI"),
            ] {
                for (j, item) in items(source.get(key).and_then(|s| s.get("items")))
                    .iter()
                    .enumerate()
                {
                    let path = text(item, "path");
                    if clash(&path) {
                        warnings.push(format!(
                            "{at}.{name}[{j}]: has duplicated path with ServiceAccountToken {}",
                            go_quote(&path)
                        ));
                    }
                }
            }
            if let Some(bundle) = source.get("clusterTrustBundle") {
                let path = text(bundle, "path");
                if clash(&path) {
                    warnings.push(format!(
                        "{at}.ClusterTrustBundle: has duplicated path with ServiceAccountToken {}",
                        go_quote(&path)
                    ));
                }
            }
        }
    }
}

/// `<list>[i].<key>: <what> "<value>"` for each item whose `key` repeats an earlier one.
fn duplicates(list: &[Value], key: &str, at: &str, what: &str, warnings: &mut Vec<String>) {
    if list.len() < 2 {
        return;
    }
    let mut seen = BTreeSet::new();
    for (i, item) in list.iter().enumerate() {
        let value = text(item, key);
        if !seen.insert(value.clone()) {
            warnings.push(format!("{at}[{i}].{key}: {what} {}", go_quote(&value)));
        }
    }
}

/// The fractional-byte warning for `resource` in the quantity map `list`.
fn fractional(list: Option<&Value>, resource: &str, at: &str, warnings: &mut Vec<String>) {
    let Some(quantity) = list.and_then(|l| l.get(resource)) else {
        return;
    };
    let quantity = match quantity {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return,
    };
    if let Some(canonical) = fractional_canonical(&quantity) {
        warnings.push(format!(
            "{at}[{resource}]: fractional byte value {} is invalid, must be an integer",
            go_quote(&canonical)
        ));
    }
}

/// An environment variable that redefines an earlier one without building on it.
fn env_warnings(container: &Value, path: &str, warnings: &mut Vec<String>) {
    let env = items(container.get("env"));
    if env.len() < 2 {
        return;
    }
    let mut seen = BTreeSet::new();
    for (i, variable) in env.iter().enumerate() {
        let name = text(variable, "name");
        if seen.insert(name.clone()) {
            continue;
        }
        let reference = format!("$({name})");
        let value = text(variable, "value");
        let hides = variable.get("valueFrom").is_some_and(|v| !v.is_null())
            || value == reference
            || !value.contains(&reference);
        if hides {
            warnings.push(format!(
                "{path}.env[{i}]: hides previous definition of {}, which may be dropped when using apply",
                go_quote(&name)
            ));
        }
    }
}

#[cfg(test)]
mod tests;
