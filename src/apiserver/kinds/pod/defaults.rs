//! API defaulting of pods (`pkg/apis/core/v1/defaults.go` and its generated defaulters),
//! plus what the `Priority` admission plugin adds: the spec, containers, probes, ports,
//! volumes, pull policy by image tag, and the QoS class in the status. The pod templates of
//! workload kinds get the `PodSpec` part ([`default_pod_template`]); what upstream's
//! `SetDefaults_Pod` adds only to pods (service links, requests from limits, host ports of
//! host-network pods) and the Priority plugin's fields stay pod-only.

use serde_json::{json, Map, Value};

use super::qos::qos_class;
use crate::apiserver::defaults::{
    default_string, default_value, existing_object, is_blank, is_unset, object_entry, objects_in,
    str_field,
};

/// File mode of secret, configMap, downwardAPI and projected volumes (0644).
const DEFAULT_VOLUME_MODE: i64 = 0o644;
const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS: i64 = 30;
const DEFAULT_TOKEN_EXPIRATION_SECONDS: i64 = 3600;

/// The deprecated `spec.serviceAccount` mirrors `spec.serviceAccountName` when a v1 server
/// writes a pod out; run after admission, just before storing (admission may have changed
/// the account).
pub(super) fn sync_deprecated_fields(obj: &mut Value) {
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

/// Fills in what a real server defaults in a pod; only what is missing, so it is idempotent.
pub(super) fn default_pod(pod: &mut Map<String, Value>) {
    if let Some(spec) = object_entry(pod, "spec") {
        default_pod_spec(spec);
        default_pod_only(spec);
    }
    let qos = pod.get("spec").map(qos_class).unwrap_or("BestEffort");
    if let Some(status) = object_entry(pod, "status") {
        default_string(status, "phase", "Pending");
        default_string(status, "qosClass", qos);
    }
}

/// The defaults of a pod template (`template` of a Deployment, ReplicaSet, StatefulSet,
/// DaemonSet, ReplicationController, Job or PodTemplate): upstream's generated defaulters
/// run `SetDefaults_PodSpec` and the container, port, probe and volume defaults on it, but
/// not `SetDefaults_Pod`. The deprecated `serviceAccount` mirrors `serviceAccountName` as the
/// v1 conversion writes it out (no admission runs on templates, so it is done here).
pub(crate) fn default_pod_template(template: &mut Map<String, Value>) {
    let Some(spec) = object_entry(template, "spec") else {
        return;
    };
    default_pod_spec(spec);
    let account = str_field(spec, "serviceAccountName").to_string();
    if account.is_empty() {
        spec.remove("serviceAccount");
    } else {
        spec.insert("serviceAccount".into(), json!(account));
    }
}

/// `SetDefaults_PodSpec` and the defaults of what a spec holds, shared by pods and templates.
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
    // v1 conversion: the deprecated serviceAccount is an alias when serviceAccountName is empty.
    if is_blank(spec, "serviceAccountName") && !is_blank(spec, "serviceAccount") {
        let alias = str_field(spec, "serviceAccount").to_string();
        spec.insert("serviceAccountName".into(), json!(alias));
    }
    for key in ["containers", "initContainers", "ephemeralContainers"] {
        for container in objects_in(spec, key) {
            default_container(container);
        }
    }
    for volume in objects_in(spec, "volumes") {
        default_volume(volume);
    }
}

/// What only pods get: `SetDefaults_Pod` (service links, requests from limits, the host
/// ports of a host-network pod). `priority` and `preemptionPolicy` are the `Priority`
/// admission plugin's ([`crate::apiserver::priority`]), not defaults.
fn default_pod_only(spec: &mut Map<String, Value>) {
    default_value(spec, "enableServiceLinks", json!(true));
    let host_network = spec
        .get("hostNetwork")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    for key in ["containers", "initContainers"] {
        for container in objects_in(spec, key) {
            if let Some(resources) = existing_object(container, "resources") {
                default_requests_from_limits(resources);
            }
            if host_network {
                for port in objects_in(container, "ports") {
                    let host_port = port.get("hostPort").and_then(Value::as_i64).unwrap_or(0);
                    if host_port == 0 {
                        if let Some(container_port) = port.get("containerPort").cloned() {
                            port.insert("hostPort".into(), container_port);
                        }
                    }
                }
            }
        }
    }
}

fn default_container(container: &mut Map<String, Value>) {
    if is_blank(container, "imagePullPolicy") {
        let policy = default_pull_policy(str_field(container, "image"));
        container.insert("imagePullPolicy".into(), json!(policy));
    }
    default_string(container, "terminationMessagePath", "/dev/termination-log");
    default_string(container, "terminationMessagePolicy", "File");
    object_entry(container, "resources");
    for port in objects_in(container, "ports") {
        default_string(port, "protocol", "TCP");
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::kinds::PODS;

    pub(super) fn defaulted(mut obj: Value) -> Value {
        PODS.strategy.default(&mut obj);
        obj
    }

    #[test]
    fn pod_spec_and_container_defaults() {
        let pod = defaulted(json!({"metadata": {"name": "p"}, "spec": {"containers": [
            {"name": "c", "image": "nginx", "ports": [{"containerPort": 80}]}
        ]}}));
        let spec = &pod["spec"];
        assert_eq!(spec["restartPolicy"], "Always");
        assert_eq!(spec["terminationGracePeriodSeconds"], 30);
        assert_eq!(spec["dnsPolicy"], "ClusterFirst");
        assert_eq!(spec["securityContext"], json!({}));
        assert_eq!(spec["schedulerName"], "default-scheduler");
        assert_eq!(spec["enableServiceLinks"], true);
        // Set by the Priority admission plugin, not by defaulting.
        assert!(spec.get("preemptionPolicy").is_none());
        assert!(spec.get("priority").is_none());
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
            json!({"spec": {"restartPolicy": "Never", "terminationGracePeriodSeconds": 0,
                "containers": [{"name": "c", "image": "nginx", "imagePullPolicy": "Never"}]}}),
        );
        assert_eq!(pod["spec"]["restartPolicy"], "Never");
        assert_eq!(pod["spec"]["terminationGracePeriodSeconds"], 0);
        assert_eq!(pod["spec"]["containers"][0]["imagePullPolicy"], "Never");
    }

    #[test]
    fn volume_defaults() {
        let pod = defaulted(json!({"spec": {"containers": [], "volumes": [
            {"name": "s", "secret": {"secretName": "x"}},
            {"name": "c", "configMap": {"name": "x", "defaultMode": 256}},
            {"name": "p", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}},
                {"downwardAPI": {"items": [{"path": "ns", "fieldRef": {"fieldPath": "metadata.namespace"}}]}}]}},
            {"name": "h", "hostPath": {"path": "/tmp"}},
            {"name": "bare"}
        ]}}));
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
    fn deprecated_service_account_alias() {
        let pod = defaulted(json!({"spec": {"serviceAccount": "builder", "containers": []}}));
        assert_eq!(pod["spec"]["serviceAccountName"], "builder");
        let mut admitted = json!({"spec": {"serviceAccountName": "default"}});
        sync_deprecated_fields(&mut admitted);
        assert_eq!(admitted["spec"]["serviceAccount"], "default");
    }
}
