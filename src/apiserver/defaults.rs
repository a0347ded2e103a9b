//! API defaulting: the values a real v1 API server fills in when an object is written
//! (`pkg/apis/core/v1/defaults.go` and its generated defaulters), plus the few values that
//! its create strategies and built-in admission (`Priority`) add to every new object.
//!
//! Every default only fills what is missing, so [`apply_defaults`] is idempotent and safe
//! to run on updates as well as creates (the handler runs it on both, like a real server
//! runs defaulting on every decode).

use base64::Engine;
use serde_json::{json, Map, Value};

use super::kinds::ResourceInfo;

/// File mode of secret, configMap, downwardAPI and projected volumes (0644).
const DEFAULT_VOLUME_MODE: i64 = 0o644;
const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS: i64 = 30;
const DEFAULT_TOKEN_EXPIRATION_SECONDS: i64 = 3600;
/// Label every namespace carries, with its own name as the value.
const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";
const NAMESPACE_FINALIZER: &str = "kubernetes";

/// Fills in the defaults a real server applies to `obj` (an object of `resource`'s kind).
pub fn apply_defaults(resource: &ResourceInfo, obj: &mut Value) {
    let Some(root) = obj.as_object_mut() else {
        return;
    };
    match resource.kind {
        "Namespace" => default_namespace(root),
        "Secret" => default_secret(root),
        "Pod" => default_pod(root),
        _ => {}
    }
}

/// Fields a v1 server derives from others when it writes an object out; run after
/// admission, just before storing (admission may have changed the source fields).
/// Today: a pod's deprecated `spec.serviceAccount` mirrors `spec.serviceAccountName`.
pub fn sync_deprecated_fields(resource: &ResourceInfo, obj: &mut Value) {
    if resource.kind != "Pod" {
        return;
    }
    let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    match spec
        .get("serviceAccountName")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
    {
        Some(name) => {
            let name = name.to_string();
            spec.insert("serviceAccount".into(), json!(name));
        }
        None => {
            spec.remove("serviceAccount");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Small helpers over JSON maps.

/// True when the key is absent or null.
fn is_unset(map: &Map<String, Value>, key: &str) -> bool {
    map.get(key).is_none_or(Value::is_null)
}

/// True when the key is absent, null or the empty string (Go's zero value for strings).
fn is_blank(map: &Map<String, Value>, key: &str) -> bool {
    match map.get(key) {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(_) => false,
    }
}

fn default_value(map: &mut Map<String, Value>, key: &str, value: Value) {
    if is_unset(map, key) {
        map.insert(key.to_string(), value);
    }
}

fn default_string(map: &mut Map<String, Value>, key: &str, value: &str) {
    if is_blank(map, key) {
        map.insert(key.to_string(), json!(value));
    }
}

/// The object under `key`, created empty when absent or null; `None` when it is not an object.
fn object_entry<'a>(
    map: &'a mut Map<String, Value>,
    key: &str,
) -> Option<&'a mut Map<String, Value>> {
    if is_unset(map, key) {
        map.insert(key.to_string(), Value::Object(Map::new()));
    }
    map.get_mut(key).and_then(Value::as_object_mut)
}

/// The object under `key` when it exists.
fn existing_object<'a>(
    map: &'a mut Map<String, Value>,
    key: &str,
) -> Option<&'a mut Map<String, Value>> {
    map.get_mut(key).and_then(Value::as_object_mut)
}

/// Every object in the array under `key`.
fn objects_in<'a>(
    map: &'a mut Map<String, Value>,
    key: &str,
) -> impl Iterator<Item = &'a mut Map<String, Value>> {
    map.get_mut(key)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flat_map(|items| items.iter_mut().filter_map(Value::as_object_mut))
}

fn str_field<'a>(map: &'a Map<String, Value>, key: &str) -> &'a str {
    map.get(key).and_then(Value::as_str).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------
// Namespaces.

fn default_namespace(ns: &mut Map<String, Value>) {
    // A namespace without a phase has not been stored yet (updates carry the stored status),
    // so this is its create: the "kubernetes" finalizer is added then and only then, because
    // the namespace controller removes it later and it must stay removed.
    let is_new = ns
        .get("status")
        .and_then(|s| s.get("phase"))
        .and_then(Value::as_str)
        .is_none_or(str::is_empty);

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
    if is_new {
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
    if let Some(status) = object_entry(ns, "status") {
        default_string(status, "phase", "Active");
    }
}

// ---------------------------------------------------------------------------------------
// Secrets.

fn default_secret(secret: &mut Map<String, Value>) {
    // stringData is write-only: conversion merges it into data (overwriting) and it is
    // never stored or returned.
    if let Some(Value::Object(string_data)) = secret.remove("stringData") {
        if !string_data.is_empty() {
            if let Some(data) = object_entry(secret, "data") {
                for (key, value) in string_data {
                    let text = value.as_str().unwrap_or_default();
                    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
                    data.insert(key, json!(encoded));
                }
            }
        }
    }
    default_string(secret, "type", "Opaque");
}

// ---------------------------------------------------------------------------------------
// Pods.

fn default_pod(pod: &mut Map<String, Value>) {
    if let Some(spec) = object_entry(pod, "spec") {
        default_pod_spec(spec);
    }
    let qos = pod.get("spec").map(qos_class).unwrap_or("BestEffort");
    if let Some(status) = object_entry(pod, "status") {
        default_string(status, "phase", "Pending");
        default_string(status, "qosClass", qos);
    }
}

fn default_pod_spec(spec: &mut Map<String, Value>) {
    default_string(spec, "dnsPolicy", "ClusterFirst");
    default_string(spec, "restartPolicy", "Always");
    default_string(spec, "schedulerName", "default-scheduler");
    default_value(spec, "securityContext", json!({}));
    default_value(
        spec,
        "terminationGracePeriodSeconds",
        json!(DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS),
    );
    default_value(spec, "enableServiceLinks", json!(true));
    // The Priority admission plugin, with no PriorityClass in the cluster.
    default_value(spec, "priority", json!(0));
    default_string(spec, "preemptionPolicy", "PreemptLowerPriority");
    // v1 conversion: the deprecated serviceAccount is an alias when serviceAccountName is empty.
    if is_blank(spec, "serviceAccountName") && !is_blank(spec, "serviceAccount") {
        let alias = str_field(spec, "serviceAccount").to_string();
        spec.insert("serviceAccountName".into(), json!(alias));
    }

    let host_network = spec
        .get("hostNetwork")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    for container in objects_in(spec, "containers") {
        default_container(container, host_network, true);
    }
    for container in objects_in(spec, "initContainers") {
        default_container(container, host_network, true);
    }
    for container in objects_in(spec, "ephemeralContainers") {
        default_container(container, false, false);
    }
    for volume in objects_in(spec, "volumes") {
        default_volume(volume);
    }
}

fn default_container(
    container: &mut Map<String, Value>,
    host_network: bool,
    requests_from_limits: bool,
) {
    if is_blank(container, "imagePullPolicy") {
        let policy = default_pull_policy(str_field(container, "image"));
        container.insert("imagePullPolicy".into(), json!(policy));
    }
    default_string(container, "terminationMessagePath", "/dev/termination-log");
    default_string(container, "terminationMessagePolicy", "File");
    if let Some(resources) = object_entry(container, "resources") {
        if requests_from_limits {
            default_requests_from_limits(resources);
        }
    }
    for port in objects_in(container, "ports") {
        default_string(port, "protocol", "TCP");
        let host_port = port.get("hostPort").and_then(Value::as_i64).unwrap_or(0);
        if host_network && host_port == 0 {
            if let Some(container_port) = port.get("containerPort").cloned() {
                port.insert("hostPort".into(), container_port);
            }
        }
    }
    for env in objects_in(container, "env") {
        if let Some(field_ref) =
            existing_object(env, "valueFrom").and_then(|v| existing_object(v, "fieldRef"))
        {
            default_string(field_ref, "apiVersion", "v1");
        }
    }
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(probe) = existing_object(container, probe) {
            default_probe(probe);
        }
    }
    if let Some(lifecycle) = existing_object(container, "lifecycle") {
        for hook in ["postStart", "preStop"] {
            if let Some(http_get) =
                existing_object(lifecycle, hook).and_then(|h| existing_object(h, "httpGet"))
            {
                default_http_get(http_get);
            }
        }
    }
}

/// A container that sets limits but not requests gets requests equal to its limits.
fn default_requests_from_limits(resources: &mut Map<String, Value>) {
    let Some(limits) = resources.get("limits").and_then(Value::as_object).cloned() else {
        return;
    };
    if let Some(requests) = object_entry(resources, "requests") {
        for (name, quantity) in limits {
            requests.entry(name).or_insert(quantity);
        }
    }
}

fn default_probe(probe: &mut Map<String, Value>) {
    default_value(probe, "timeoutSeconds", json!(1));
    default_value(probe, "periodSeconds", json!(10));
    default_value(probe, "successThreshold", json!(1));
    default_value(probe, "failureThreshold", json!(3));
    if let Some(http_get) = existing_object(probe, "httpGet") {
        default_http_get(http_get);
    }
}

fn default_http_get(http_get: &mut Map<String, Value>) {
    default_string(http_get, "path", "/");
    default_string(http_get, "scheme", "HTTP");
}

/// Volume source keys of a v1 `Volume`; a volume with none of them becomes an emptyDir.
const VOLUME_SOURCES: &[&str] = &[
    "awsElasticBlockStore",
    "azureDisk",
    "azureFile",
    "cephfs",
    "cinder",
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "fc",
    "flexVolume",
    "flocker",
    "gcePersistentDisk",
    "gitRepo",
    "glusterfs",
    "hostPath",
    "image",
    "iscsi",
    "nfs",
    "persistentVolumeClaim",
    "photonPersistentDisk",
    "portworxVolume",
    "projected",
    "quobyte",
    "rbd",
    "scaleIO",
    "secret",
    "storageos",
    "vsphereVolume",
];

fn default_volume(volume: &mut Map<String, Value>) {
    if VOLUME_SOURCES.iter().all(|source| is_unset(volume, source)) {
        volume.insert("emptyDir".into(), json!({}));
    }
    for source in ["secret", "configMap"] {
        if let Some(source) = existing_object(volume, source) {
            default_value(source, "defaultMode", json!(DEFAULT_VOLUME_MODE));
        }
    }
    if let Some(downward) = existing_object(volume, "downwardAPI") {
        default_value(downward, "defaultMode", json!(DEFAULT_VOLUME_MODE));
        default_downward_items(downward);
    }
    if let Some(host_path) = existing_object(volume, "hostPath") {
        default_value(host_path, "type", json!(""));
    }
    if let Some(projected) = existing_object(volume, "projected") {
        default_value(projected, "defaultMode", json!(DEFAULT_VOLUME_MODE));
        for source in objects_in(projected, "sources") {
            if let Some(token) = existing_object(source, "serviceAccountToken") {
                default_value(
                    token,
                    "expirationSeconds",
                    json!(DEFAULT_TOKEN_EXPIRATION_SECONDS),
                );
            }
            if let Some(downward) = existing_object(source, "downwardAPI") {
                default_downward_items(downward);
            }
        }
    }
}

fn default_downward_items(downward: &mut Map<String, Value>) {
    for item in objects_in(downward, "items") {
        if let Some(field_ref) = existing_object(item, "fieldRef") {
            default_string(field_ref, "apiVersion", "v1");
        }
    }
}

/// `Always` for `:latest` or untagged images, `IfNotPresent` otherwise (tagged, pinned by
/// digest, or not parseable as an image reference).
fn default_pull_policy(image: &str) -> &'static str {
    match image_tag(image) {
        ImageTag::Latest => "Always",
        ImageTag::Other | ImageTag::DigestOnly | ImageTag::Unparseable => "IfNotPresent",
    }
}

#[derive(Debug, PartialEq, Eq)]
enum ImageTag {
    /// Tagged `latest`, or no tag and no digest (which means `latest`).
    Latest,
    Other,
    DigestOnly,
    Unparseable,
}

fn image_tag(image: &str) -> ImageTag {
    if image.is_empty() || image.chars().any(char::is_whitespace) {
        return ImageTag::Unparseable;
    }
    let (name, digest) = match image.split_once('@') {
        Some((name, digest)) => (name, Some(digest)),
        None => (image, None),
    };
    let last_slash = name.rfind('/');
    let tag_at = name
        .rfind(':')
        .filter(|&colon| last_slash.is_none_or(|slash| colon > slash));
    let (repository, tag) = match tag_at {
        Some(colon) => (&name[..colon], Some(&name[colon + 1..])),
        None => (name, None),
    };
    // The first component is a registry when it looks like a host; the rest must be lower case.
    let path = match repository.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            rest
        }
        _ => repository,
    };
    if path.is_empty()
        || path.chars().any(|c| c.is_ascii_uppercase())
        || digest.is_some_and(str::is_empty)
    {
        return ImageTag::Unparseable;
    }
    match (tag, digest) {
        (Some(""), _) => ImageTag::Unparseable,
        (Some("latest"), _) | (None, None) => ImageTag::Latest,
        (Some(_), _) => ImageTag::Other,
        (None, Some(_)) => ImageTag::DigestOnly,
    }
}

// ---------------------------------------------------------------------------------------
// Quality of service class and resource quantities.

/// The pod's QoS class from the cpu and memory requests and limits of its containers and
/// init containers (`pkg/apis/core/helper/qos`).
pub(crate) fn qos_class(spec: &Value) -> &'static str {
    let containers = ["containers", "initContainers"].iter().flat_map(|key| {
        spec.get(*key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
    });
    let mut requests: Map<String, Value> = Map::new();
    let mut limits: Map<String, Value> = Map::new();
    let mut guaranteed = true;
    for container in containers {
        let resources = container.get("resources");
        add_positive(&mut requests, resources.and_then(|r| r.get("requests")));
        let limits_found = add_positive(&mut limits, resources.and_then(|r| r.get("limits")));
        if !(limits_found.contains(&"cpu") && limits_found.contains(&"memory")) {
            guaranteed = false;
        }
    }
    if requests.is_empty() && limits.is_empty() {
        return "BestEffort";
    }
    let same = |a: &Value, b: &Value| match (a.as_f64(), b.as_f64()) {
        (Some(a), Some(b)) => (a - b).abs() <= f64::EPSILON * a.abs().max(b.abs()).max(1.0),
        _ => false,
    };
    let requests_match_limits = requests
        .iter()
        .all(|(name, request)| limits.get(name).is_some_and(|limit| same(limit, request)));
    if guaranteed && requests_match_limits && requests.len() == limits.len() {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

/// Sums the positive cpu and memory quantities of `list` into `totals`; returns the names found.
fn add_positive(totals: &mut Map<String, Value>, list: Option<&Value>) -> Vec<&'static str> {
    let mut found = Vec::new();
    for name in ["cpu", "memory"] {
        let quantity = list
            .and_then(|l| l.get(name))
            .and_then(quantity_of)
            .unwrap_or(0.0);
        if quantity > 0.0 {
            found.push(name);
            let sum = totals.get(name).and_then(Value::as_f64).unwrap_or(0.0) + quantity;
            totals.insert(name.to_string(), json!(sum));
        }
    }
    found
}

fn quantity_of(value: &Value) -> Option<f64> {
    match value {
        Value::String(s) => parse_quantity(s),
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

/// The numeric value of a resource quantity (`100m`, `1Gi`, `1.5`, `2e3`); `None` when malformed.
pub(crate) fn parse_quantity(text: &str) -> Option<f64> {
    let text = text.trim();
    let number_end = text
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || ((c == '+' || c == '-') && i == 0)))
        .map_or(text.len(), |(i, _)| i);
    let (number, suffix) = text.split_at(number_end);
    let value: f64 = number.parse().ok()?;
    const KI: f64 = 1024.0;
    let multiplier = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => KI,
        "Mi" => KI.powi(2),
        "Gi" => KI.powi(3),
        "Ti" => KI.powi(4),
        "Pi" => KI.powi(5),
        "Ei" => KI.powi(6),
        exponent if exponent.starts_with(['e', 'E']) => {
            10f64.powi(exponent[1..].parse::<i32>().ok()?)
        }
        _ => return None,
    };
    Some(value * multiplier)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::kinds::{CONFIG_MAPS, NAMESPACES, PODS, SECRETS, SERVICE_ACCOUNTS};

    fn defaulted(resource: &ResourceInfo, mut obj: Value) -> Value {
        apply_defaults(resource, &mut obj);
        obj
    }

    #[test]
    fn secret_type_defaults_to_opaque_and_keeps_a_given_type() {
        let plain = defaulted(&SECRETS, json!({"metadata": {"name": "s"}}));
        assert_eq!(plain["type"], "Opaque");
        let token = defaulted(
            &SECRETS,
            json!({"type": "kubernetes.io/service-account-token"}),
        );
        assert_eq!(token["type"], "kubernetes.io/service-account-token");
    }

    #[test]
    fn secret_string_data_is_merged_into_data_and_dropped() {
        let secret = defaulted(
            &SECRETS,
            json!({"data": {"a": "b2xk", "keep": "eA=="}, "stringData": {"a": "new", "b": "x"}}),
        );
        assert_eq!(
            secret["data"],
            json!({"a": "bmV3", "b": "eA==", "keep": "eA=="})
        );
        assert!(secret.get("stringData").is_none());
    }

    #[test]
    fn namespace_gets_finalizer_phase_and_name_label() {
        let ns = defaulted(&NAMESPACES, json!({"metadata": {"name": "team-a"}}));
        assert_eq!(ns["spec"]["finalizers"], json!(["kubernetes"]));
        assert_eq!(ns["status"]["phase"], "Active");
        assert_eq!(
            ns["metadata"]["labels"]["kubernetes.io/metadata.name"],
            "team-a"
        );
    }

    #[test]
    fn stored_namespace_does_not_get_its_finalizer_back() {
        // The namespace controller removed the finalizer; the finalize write must keep it removed.
        let ns =
            json!({"metadata": {"name": "gone"}, "spec": {}, "status": {"phase": "Terminating"}});
        let ns = defaulted(&NAMESPACES, ns);
        assert!(ns["spec"].get("finalizers").is_none());
        assert_eq!(ns["status"]["phase"], "Terminating");
    }

    #[test]
    fn pod_spec_and_container_defaults() {
        let pod = defaulted(
            &PODS,
            json!({"metadata": {"name": "p"}, "spec": {"containers": [
                {"name": "c", "image": "nginx", "ports": [{"containerPort": 80}]}
            ]}}),
        );
        let spec = &pod["spec"];
        assert_eq!(spec["restartPolicy"], "Always");
        assert_eq!(spec["terminationGracePeriodSeconds"], 30);
        assert_eq!(spec["dnsPolicy"], "ClusterFirst");
        assert_eq!(spec["securityContext"], json!({}));
        assert_eq!(spec["schedulerName"], "default-scheduler");
        assert_eq!(spec["enableServiceLinks"], true);
        assert_eq!(spec["preemptionPolicy"], "PreemptLowerPriority");
        assert_eq!(spec["priority"], 0);
        let container = &spec["containers"][0];
        assert_eq!(container["terminationMessagePath"], "/dev/termination-log");
        assert_eq!(container["terminationMessagePolicy"], "File");
        assert_eq!(container["imagePullPolicy"], "Always");
        assert_eq!(container["resources"], json!({}));
        assert_eq!(container["ports"][0]["protocol"], "TCP");
        assert!(container["ports"][0].get("hostPort").is_none());
        assert_eq!(
            pod["status"],
            json!({"phase": "Pending", "qosClass": "BestEffort"})
        );
    }

    #[test]
    fn image_pull_policy_follows_the_tag() {
        let cases = [
            ("nginx", "Always"),
            ("nginx:latest", "Always"),
            ("nginx:1.25", "IfNotPresent"),
            ("localhost:5000/nginx", "Always"),
            ("localhost:5000/nginx:v2", "IfNotPresent"),
            ("registry.k8s.io/pause:3.10", "IfNotPresent"),
            ("nginx@sha256:abcd", "IfNotPresent"),
            ("nginx:latest@sha256:abcd", "Always"),
            ("Nginx", "IfNotPresent"),
            ("", "IfNotPresent"),
        ];
        for (image, expected) in cases {
            assert_eq!(default_pull_policy(image), expected, "{image}");
        }
    }

    #[test]
    fn given_values_are_kept() {
        let pod = defaulted(
            &PODS,
            json!({"spec": {"restartPolicy": "Never", "terminationGracePeriodSeconds": 0,
                "containers": [{"name": "c", "image": "nginx", "imagePullPolicy": "Never"}]}}),
        );
        assert_eq!(pod["spec"]["restartPolicy"], "Never");
        assert_eq!(pod["spec"]["terminationGracePeriodSeconds"], 0);
        assert_eq!(pod["spec"]["containers"][0]["imagePullPolicy"], "Never");
    }

    #[test]
    fn volume_defaults() {
        let pod = defaulted(
            &PODS,
            json!({"spec": {"containers": [], "volumes": [
                {"name": "s", "secret": {"secretName": "x"}},
                {"name": "c", "configMap": {"name": "x", "defaultMode": 256}},
                {"name": "p", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}},
                    {"downwardAPI": {"items": [{"path": "ns", "fieldRef": {"fieldPath": "metadata.namespace"}}]}}]}},
                {"name": "h", "hostPath": {"path": "/tmp"}},
                {"name": "bare"}
            ]}}),
        );
        let volumes = &pod["spec"]["volumes"];
        assert_eq!(volumes[0]["secret"]["defaultMode"], 420);
        assert_eq!(volumes[1]["configMap"]["defaultMode"], 256);
        assert_eq!(volumes[2]["projected"]["defaultMode"], 420);
        assert_eq!(
            volumes[2]["projected"]["sources"][0]["serviceAccountToken"]["expirationSeconds"],
            3600
        );
        assert_eq!(
            volumes[2]["projected"]["sources"][1]["downwardAPI"]["items"][0]["fieldRef"]
                ["apiVersion"],
            "v1"
        );
        assert_eq!(volumes[3]["hostPath"]["type"], "");
        assert_eq!(volumes[4]["emptyDir"], json!({}));
    }

    #[test]
    fn host_network_ports_and_probes() {
        let pod = defaulted(
            &PODS,
            json!({"spec": {"hostNetwork": true, "containers": [{"name": "c", "image": "i:1",
                "ports": [{"containerPort": 8080}],
                "livenessProbe": {"httpGet": {"port": 8080}}}]}}),
        );
        let container = &pod["spec"]["containers"][0];
        assert_eq!(container["ports"][0]["hostPort"], 8080);
        let probe = &container["livenessProbe"];
        assert_eq!(
            (
                &probe["timeoutSeconds"],
                &probe["periodSeconds"],
                &probe["successThreshold"],
                &probe["failureThreshold"]
            ),
            (&json!(1), &json!(10), &json!(1), &json!(3))
        );
        assert_eq!(probe["httpGet"]["path"], "/");
        assert_eq!(probe["httpGet"]["scheme"], "HTTP");
    }

    #[test]
    fn qos_classes() {
        let cases = [
            (json!({"containers": [{"name": "a"}]}), "BestEffort"),
            (
                json!({"containers": [{"resources": {"requests": {"cpu": "100m"}}}]}),
                "Burstable",
            ),
            (
                json!({"containers": [{"resources": {"limits": {"cpu": "1", "memory": "1Gi"},
                    "requests": {"cpu": "1000m", "memory": "1024Mi"}}}]}),
                "Guaranteed",
            ),
            (
                json!({"containers": [{"resources": {"limits": {"cpu": "1"}, "requests": {"cpu": "1"}}}]}),
                "Burstable",
            ),
            (
                json!({"containers": [{"resources": {"requests": {"cpu": "0"}}}]}),
                "BestEffort",
            ),
        ];
        for (spec, expected) in cases {
            assert_eq!(qos_class(&spec), expected, "{spec}");
        }
        // Requests defaulted from limits make a pod with only limits Guaranteed.
        let pod = defaulted(
            &PODS,
            json!({"spec": {"containers": [{"name": "c", "image": "i:1",
                "resources": {"limits": {"cpu": "500m", "memory": "64Mi"}}}]}}),
        );
        assert_eq!(
            pod["spec"]["containers"][0]["resources"]["requests"],
            json!({"cpu": "500m", "memory": "64Mi"})
        );
        assert_eq!(pod["status"]["qosClass"], "Guaranteed");
    }

    #[test]
    fn quantities() {
        let cases = [
            ("100m", 0.1),
            ("1Gi", 1073741824.0),
            ("1.5", 1.5),
            ("2e3", 2000.0),
            ("1k", 1000.0),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_quantity(text), Some(expected), "{text}");
        }
        assert_eq!(parse_quantity("lots"), None);
    }

    #[test]
    fn deprecated_service_account_alias() {
        let pod = defaulted(
            &PODS,
            json!({"spec": {"serviceAccount": "builder", "containers": []}}),
        );
        assert_eq!(pod["spec"]["serviceAccountName"], "builder");
        let mut admitted = json!({"spec": {"serviceAccountName": "default"}});
        sync_deprecated_fields(&PODS, &mut admitted);
        assert_eq!(admitted["spec"]["serviceAccount"], "default");
    }

    #[test]
    fn defaulting_twice_equals_defaulting_once() {
        let objects = [
            (
                &PODS,
                json!({"metadata": {"name": "p"}, "spec": {"hostNetwork": true, "containers": [
                {"name": "c", "image": "nginx", "ports": [{"containerPort": 80}],
                 "resources": {"limits": {"cpu": "1"}}, "readinessProbe": {"httpGet": {"port": 80}}}],
                "initContainers": [{"name": "i", "image": "busybox:1"}],
                "volumes": [{"name": "v"}, {"name": "s", "secret": {"secretName": "x"}}]}}),
            ),
            (&NAMESPACES, json!({"metadata": {"name": "n"}})),
            (
                &SECRETS,
                json!({"metadata": {"name": "s"}, "stringData": {"k": "v"}}),
            ),
            (
                &CONFIG_MAPS,
                json!({"metadata": {"name": "c"}, "data": {"k": "v"}}),
            ),
            (&SERVICE_ACCOUNTS, json!({"metadata": {"name": "sa"}})),
        ];
        for (resource, object) in objects {
            let once = defaulted(resource, object);
            let twice = defaulted(resource, once.clone());
            assert_eq!(once, twice, "{}", resource.kind);
        }
    }
}
