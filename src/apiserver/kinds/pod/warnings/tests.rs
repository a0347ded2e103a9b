//! Table tests after upstream's pkg/api/pod/warnings_test.go.

use serde_json::{json, Value};

use super::warnings_on_create;

fn pod(spec: Value) -> Value {
    json!({"metadata": {"name": "web"}, "spec": spec})
}

#[test]
fn pod_create_warnings_are_upstreams() {
    let cases: Vec<(&str, Value, Vec<&str>)> = vec![
        ("a plain pod", pod(json!({"containers": [{"name": "c"}]})), vec![]),
        (
            "image pull secrets: duplicate and empty names",
            pod(json!({"imagePullSecrets": [{"name": "a"}, {"name": "a"}, {"name": ""}]})),
            vec![
                "spec.imagePullSecrets[1].name: duplicate name \"a\"",
                "spec.imagePullSecrets[2].name: invalid empty name \"\"",
            ],
        ),
        (
            "an empty pull secret alone",
            pod(json!({"imagePullSecrets": [{}]})),
            vec!["spec.imagePullSecrets[0].name: invalid empty name \"\""],
        ),
        (
            "deprecated node labels",
            pod(json!({
                "nodeSelector": {"beta.kubernetes.io/arch": "amd64", "kubernetes.io/os": "linux"},
                "affinity": {"nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                        {"matchExpressions": [{"key": "failure-domain.beta.kubernetes.io/zone", "operator": "Exists"}]}
                    ]},
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {"weight": 1, "preference": {"matchExpressions": [{"key": "beta.kubernetes.io/os", "operator": "Exists"}]}}
                    ]
                }},
                "topologySpreadConstraints": [
                    {"topologyKey": "failure-domain.beta.kubernetes.io/region", "labelSelector": {}},
                    {"topologyKey": "kubernetes.io/hostname"}
                ]
            })),
            vec![
                "spec.nodeSelector[beta.kubernetes.io/arch]: deprecated since v1.14; use \"kubernetes.io/arch\" instead",
                "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key: failure-domain.beta.kubernetes.io/zone is deprecated since v1.17; use \"topology.kubernetes.io/zone\" instead",
                "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions[0].key: beta.kubernetes.io/os is deprecated since v1.14; use \"kubernetes.io/os\" instead",
                "spec.topologySpreadConstraints[0].topologyKey: failure-domain.beta.kubernetes.io/region is deprecated since v1.17; use \"topology.kubernetes.io/region\" instead",
                "spec.topologySpreadConstraints[1].labelSelector: a null labelSelector results in matching no pod",
            ],
        ),
        (
            "fractional byte quantities",
            pod(json!({
                "overhead": {"memory": "1.5"},
                "initContainers": [{"name": "i", "resources": {"requests": {"ephemeral-storage": "100m"}}}],
                "containers": [{"name": "c", "resources": {
                    "limits": {"memory": "1Gi", "cpu": "1.5"},
                    "requests": {"memory": "1.0001"}
                }}]
            })),
            vec![
                "spec.overhead[memory]: fractional byte value \"1500m\" is invalid, must be an integer",
                "spec.initContainers[0].resources.requests[ephemeral-storage]: fractional byte value \"100m\" is invalid, must be an integer",
                "spec.containers[0].resources.requests[memory]: fractional byte value \"1000100u\" is invalid, must be an integer",
            ],
        ),
        (
            "duplicate host alias ips and hidden environment variables",
            pod(json!({
                "hostAliases": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.1"}],
                "containers": [{"name": "c", "env": [
                    {"name": "A", "value": "1"},
                    {"name": "A", "value": "$(A)-2"},
                    {"name": "A", "value": "3"}
                ]}]
            })),
            vec![
                "spec.hostAliases[1].ip: duplicate ip \"10.0.0.1\"",
                "spec.containers[0].env[2]: hides previous definition of \"A\", which may be dropped when using apply",
            ],
        ),
        (
            "deprecated volumes and a path that clashes with the token",
            pod(json!({"volumes": [
                {"name": "g", "gitRepo": {"repository": "r"}},
                {"name": "s", "storageos": {"volumeName": "v"}},
                {"name": "p", "projected": {"sources": [
                    {"serviceAccountToken": {"path": "token"}},
                    {"configMap": {"name": "c", "items": [{"key": "k", "path": "token"}]}}
                ]}}
            ]})),
            vec![
                "spec.volumes[0].gitRepo: deprecated in v1.11",
                "spec.volumes[1].storageOS: deprecated in v1.22, non-functional in v1.25+",
                "spec.volumes[2].projected.sources.configMap[0]: has duplicated path with ServiceAccountToken \"token\"",
            ],
        ),
        (
            "ports, grace period and pod affinity",
            pod(json!({
                "terminationGracePeriodSeconds": -1,
                "initContainers": [{"name": "i", "ports": [{"containerPort": 80, "protocol": "TCP"}]}],
                "containers": [{"name": "c", "ports": [
                    {"containerPort": 80, "protocol": "TCP"},
                    {"containerPort": 80, "protocol": "TCP", "hostPort": 8080},
                    {"containerPort": 81, "protocol": "UDP", "hostPort": 9090, "hostIP": "10.0.0.1"},
                    {"containerPort": 81, "protocol": "UDP", "hostPort": 9090},
                    {"name": "x", "containerPort": 82, "protocol": "TCP", "hostIP": "10.0.0.2"}
                ]}],
                "affinity": {
                    "podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{"topologyKey": "k"}]},
                    "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                        {"weight": 1, "podAffinityTerm": {"topologyKey": "k", "labelSelector": {}}},
                        {"weight": 1, "podAffinityTerm": {"topologyKey": "k"}}
                    ]}
                }
            })),
            vec![
                "spec.containers[0].ports[0]: duplicate port definition with spec.initContainers[0].ports[0]",
                "spec.containers[0].ports[1]: overlapping port definition with spec.initContainers[0].ports[0]",
                "spec.containers[0].ports[1]: overlapping port definition with spec.containers[0].ports[0]",
                "spec.containers[0].ports[3]: dangerously ambiguous port definition with spec.containers[0].ports[2]",
                "spec.containers[0].ports[4]: hostIP set without hostPort: {Name:x HostPort:0 ContainerPort:82 Protocol:TCP HostIP:10.0.0.2}",
                "spec.terminationGracePeriodSeconds: must be >= 0; negative values are invalid and will be treated as 1",
                "spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector: a null labelSelector results in matching no pod",
                "spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[1].podAffinityTerm.labelSelector: a null labelSelector results in matching no pod",
            ],
        ),
    ];
    for (case, pod, expected) in cases {
        assert_eq!(warnings_on_create(&pod), expected, "{case}");
    }
}

#[test]
fn names_and_annotations_are_warned_about() {
    let pod = json!({
        "metadata": {"name": "web.1", "annotations": {
            "scheduler.alpha.kubernetes.io/critical-pod": "",
            "seccomp.security.alpha.kubernetes.io/pod": "runtime/default",
            "container.seccomp.security.alpha.kubernetes.io/c": "runtime/default",
            "container.seccomp.security.alpha.kubernetes.io/d": "runtime/default"
        }},
        "spec": {"containers": [
            {"name": "c"},
            {"name": "d", "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}}
        ]}
    });
    assert_eq!(
        warnings_on_create(&pod),
        [
            "metadata.name: this is used in the Pod's hostname, which can result in surprising behavior; a DNS label is recommended: [must not contain dots]",
            "metadata.annotations[scheduler.alpha.kubernetes.io/critical-pod]: non-functional in v1.16+; use the \"priorityClassName\" field instead",
            "metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]: non-functional in v1.27+; use the \"seccompProfile\" field instead",
            "metadata.annotations[container.seccomp.security.alpha.kubernetes.io/c]: non-functional in v1.27+; use the \"seccompProfile\" field instead",
        ]
    );
}
