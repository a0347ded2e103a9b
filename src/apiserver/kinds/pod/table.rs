//! A pod's Table row (`printPod` in `pkg/printers/internalversion/printers.go`): ready
//! containers, the status reason, restarts, the wide columns and row conditions.

use jiff::Timestamp;
use serde_json::{json, Value};

use crate::apiserver::table::{
    age, column, since, str_at, timestamp_at, value_at, Column, AGE_COLUMN, NAME_COLUMN,
};

/// Upstream's pod printer columns; IP, node, nominated node and readiness gates are wide.
pub(super) const COLUMNS: &[Column] = &[
    NAME_COLUMN,
    column("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
    column("Status", "string", "The aggregate status of the containers in this pod."),
    column(
        "Restarts",
        "string",
        "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
    ),
    AGE_COLUMN,
    Column {
        priority: 1,
        ..column(
            "IP",
            "string",
            "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.",
        )
    },
    Column {
        priority: 1,
        ..column(
            "Node",
            "string",
            "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod. This field should not be used to express a desire for the pod to be scheduled on a specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename",
        )
    },
    Column {
        priority: 1,
        ..column(
            "Nominated Node",
            "string",
            "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled.",
        )
    },
    Column {
        priority: 1,
        ..column(
            "Readiness Gates",
            "string",
            "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to \"True\" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates",
        )
    },
];

/// The cells of a pod's row, plus row conditions (only finished pods have any).
pub(super) fn row(object: &Value, now: Timestamp) -> (Vec<Value>, Option<Value>) {
    let pod = print_pod(object, now);
    let mut cells = vec![
        json!(str_at(object, &["metadata", "name"])),
        json!(pod.ready),
        json!(pod.status),
        json!(pod.restarts),
        json!(age(object, now)),
    ];
    cells.extend(pod.wide.into_iter().map(Value::String));
    (cells, pod.conditions)
}

/// The printed state of a pod.
struct PodCells {
    ready: String,
    status: String,
    restarts: String,
    /// IP, node, nominated node, readiness gates.
    wide: [String; 4],
    conditions: Option<Value>,
}

fn items<'a>(object: &'a Value, path: &[&str]) -> &'a [Value] {
    value_at(object, path)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn int_at(object: &Value, path: &[&str]) -> i64 {
    value_at(object, path).and_then(Value::as_i64).unwrap_or(0)
}

fn bool_at(object: &Value, path: &[&str]) -> bool {
    value_at(object, path)
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

fn is_set(object: &Value, path: &[&str]) -> bool {
    value_at(object, path).is_some_and(|v| !v.is_null())
}

fn has_condition(pod: &Value, kind: &str) -> bool {
    items(pod, &["status", "conditions"])
        .iter()
        .any(|c| str_at(c, &["type"]) == kind && str_at(c, &["status"]) == "True")
}

fn later(current: Option<Timestamp>, candidate: Option<Timestamp>) -> Option<Timestamp> {
    match (current, candidate) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn last_termination(status: &Value) -> Option<Timestamp> {
    timestamp_at(status, &["lastState", "terminated", "finishedAt"])
}

/// A terminated container without a reason prints its signal or exit code.
fn termination_code(terminated: &Value, prefix: &str) -> String {
    let signal = int_at(terminated, &["signal"]);
    if signal != 0 {
        format!("{prefix}Signal:{signal}")
    } else {
        format!("{prefix}ExitCode:{}", int_at(terminated, &["exitCode"]))
    }
}

/// Upstream's `printPod`, on the JSON form of a pod.
fn print_pod(pod: &Value, now: Timestamp) -> PodCells {
    let init_containers = items(pod, &["spec", "initContainers"]);
    // Sidecars are init containers that keep running (restartPolicy Always).
    let restartable = |name: &str| {
        init_containers
            .iter()
            .any(|c| str_at(c, &["name"]) == name && str_at(c, &["restartPolicy"]) == "Always")
    };
    let mut total = items(pod, &["spec", "containers"]).len();
    total += init_containers
        .iter()
        .filter(|c| str_at(c, &["restartPolicy"]) == "Always")
        .count();
    let mut ready = 0usize;
    let mut restarts = 0i64;
    let mut sidecar_restarts = 0i64;
    let mut last_restart: Option<Timestamp> = None;
    let mut last_sidecar_restart: Option<Timestamp> = None;

    let phase = str_at(pod, &["status", "phase"]);
    let mut reason = phase.to_string();
    let status_reason = str_at(pod, &["status", "reason"]);
    if !status_reason.is_empty() {
        reason = status_reason.to_string();
    }
    if items(pod, &["status", "conditions"]).iter().any(|c| {
        str_at(c, &["type"]) == "PodScheduled" && str_at(c, &["reason"]) == "SchedulingGated"
    }) {
        reason = "SchedulingGated".to_string();
    }

    let conditions = match phase {
        "Succeeded" => Some(json!([{
            "type": "Completed", "status": "True", "reason": "Succeeded",
            "message": "The pod has completed successfully.",
        }])),
        "Failed" => Some(json!([{
            "type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed.",
        }])),
        _ => None,
    };

    let mut initializing = false;
    for (index, status) in items(pod, &["status", "initContainerStatuses"])
        .iter()
        .enumerate()
    {
        let count = int_at(status, &["restartCount"]);
        restarts += count;
        last_restart = later(last_restart, last_termination(status));
        let is_sidecar = restartable(str_at(status, &["name"]));
        if is_sidecar {
            sidecar_restarts += count;
            last_sidecar_restart = later(last_sidecar_restart, last_termination(status));
        }
        let terminated = value_at(status, &["state", "terminated"]).filter(|v| !v.is_null());
        let waiting_reason = str_at(status, &["state", "waiting", "reason"]);
        if terminated.is_some_and(|t| int_at(t, &["exitCode"]) == 0) {
            continue;
        }
        if is_sidecar && bool_at(status, &["started"]) {
            if bool_at(status, &["ready"]) {
                ready += 1;
            }
            continue;
        }
        reason = if let Some(terminated) = terminated {
            match str_at(terminated, &["reason"]) {
                "" => termination_code(terminated, "Init:"),
                why => format!("Init:{why}"),
            }
        } else if !waiting_reason.is_empty() && waiting_reason != "PodInitializing" {
            format!("Init:{waiting_reason}")
        } else {
            format!("Init:{index}/{}", init_containers.len())
        };
        initializing = true;
        break;
    }

    if !initializing || has_condition(pod, "Initialized") {
        restarts = sidecar_restarts;
        last_restart = last_sidecar_restart;
        let mut has_running = false;
        for status in items(pod, &["status", "containerStatuses"]).iter().rev() {
            restarts += int_at(status, &["restartCount"]);
            last_restart = later(last_restart, last_termination(status));
            let waiting_reason = str_at(status, &["state", "waiting", "reason"]);
            let terminated = value_at(status, &["state", "terminated"]).filter(|v| !v.is_null());
            if !waiting_reason.is_empty() {
                reason = waiting_reason.to_string();
            } else if let Some(terminated) = terminated {
                reason = match str_at(terminated, &["reason"]) {
                    "" => termination_code(terminated, ""),
                    why => why.to_string(),
                };
            } else if bool_at(status, &["ready"]) && is_set(status, &["state", "running"]) {
                has_running = true;
                ready += 1;
            }
        }
        // A pod whose last container completed but another still runs is not "Completed".
        if reason == "Completed" && has_running {
            reason = if has_condition(pod, "Ready") {
                "Running"
            } else {
                "NotReady"
            }
            .to_string();
        }
    }

    let deleting = is_set(pod, &["metadata", "deletionTimestamp"]);
    if deleting && status_reason == "NodeLost" {
        reason = "Unknown".to_string();
    } else if deleting && phase != "Succeeded" && phase != "Failed" {
        reason = "Terminating".to_string();
    }

    let restarts_cell = match last_restart {
        Some(at) if restarts != 0 => format!("{restarts} ({} ago)", since(Some(at), now)),
        _ => restarts.to_string(),
    };

    PodCells {
        ready: format!("{ready}/{total}"),
        status: reason,
        restarts: restarts_cell,
        wide: pod_wide_cells(pod),
        conditions,
    }
}

fn or_none(value: &str) -> String {
    if value.is_empty() {
        "<none>".to_string()
    } else {
        value.to_string()
    }
}

fn pod_wide_cells(pod: &Value) -> [String; 4] {
    let ip = items(pod, &["status", "podIPs"])
        .first()
        .map(|ip| str_at(ip, &["ip"]))
        .unwrap_or("");
    let gates = items(pod, &["spec", "readinessGates"]);
    let readiness_gates = if gates.is_empty() {
        "<none>".to_string()
    } else {
        let conditions = items(pod, &["status", "conditions"]);
        let satisfied = gates
            .iter()
            .filter(|gate| {
                let wanted = str_at(gate, &["conditionType"]);
                conditions
                    .iter()
                    .find(|c| str_at(c, &["type"]) == wanted)
                    .is_some_and(|c| str_at(c, &["status"]) == "True")
            })
            .count();
        format!("{satisfied}/{}", gates.len())
    };
    [
        or_none(ip),
        or_none(str_at(pod, &["spec", "nodeName"])),
        or_none(str_at(pod, &["status", "nominatedNodeName"])),
        readiness_gates,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::kinds::PODS;
    use crate::apiserver::table::testing::{column_names, now};
    use crate::apiserver::table::{table, IncludeObject};

    #[test]
    fn pod_columns() {
        let pod = json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}]}});
        let t = table(&PODS, &[&pod], json!({}), IncludeObject::Metadata, now());
        assert_eq!(
            column_names(&t),
            [
                ("Name".into(), 0),
                ("Ready".into(), 0),
                ("Status".into(), 0),
                ("Restarts".into(), 0),
                ("Age".into(), 0),
                ("IP".into(), 1),
                ("Node".into(), 1),
                ("Nominated Node".into(), 1),
                ("Readiness Gates".into(), 1),
            ]
        );
        assert_eq!(t["rows"][0]["cells"].as_array().map(Vec::len), Some(9));
    }

    fn pod_cells(pod: Value) -> (String, String, String, [String; 4], Option<Value>) {
        let cells = print_pod(&pod, now());
        (
            cells.ready,
            cells.status,
            cells.restarts,
            cells.wide,
            cells.conditions,
        )
    }

    #[test]
    fn pod_ready_and_status_table() {
        let containers = json!([{"name": "a"}, {"name": "b"}]);
        let cases: Vec<(&str, Value, (&str, &str, &str))> = vec![
            (
                "freshly created pod",
                json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "a"}]}, "status": {"phase": "Pending"}}),
                ("0/1", "Pending", "0"),
            ),
            (
                "no status at all",
                json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "a"}]}}),
                ("0/1", "", "0"),
            ),
            (
                "running and ready",
                json!({"spec": {"containers": containers}, "status": {"phase": "Running", "containerStatuses": [
                    {"name": "a", "ready": true, "restartCount": 0, "state": {"running": {}}},
                    {"name": "b", "ready": true, "restartCount": 0, "state": {"running": {}}}]}}),
                ("2/2", "Running", "0"),
            ),
            (
                "image pull backoff",
                json!({"spec": {"containers": containers}, "status": {"phase": "Pending", "containerStatuses": [
                    {"name": "a", "ready": false, "state": {"waiting": {"reason": "ImagePullBackOff"}}},
                    {"name": "b", "ready": true, "state": {"running": {}}}]}}),
                ("1/2", "ImagePullBackOff", "0"),
            ),
            (
                "container creating",
                json!({"spec": {"containers": [{"name": "a"}]}, "status": {"phase": "Pending", "containerStatuses": [
                    {"name": "a", "ready": false, "state": {"waiting": {"reason": "ContainerCreating"}}}]}}),
                ("0/1", "ContainerCreating", "0"),
            ),
            (
                "completed",
                json!({"spec": {"containers": [{"name": "a"}]}, "status": {"phase": "Succeeded", "containerStatuses": [
                    {"name": "a", "ready": false, "state": {"terminated": {"reason": "Completed", "exitCode": 0}}}]}}),
                ("0/1", "Completed", "0"),
            ),
            (
                "terminated without reason shows exit code",
                json!({"spec": {"containers": [{"name": "a"}]}, "status": {"phase": "Failed", "containerStatuses": [
                    {"name": "a", "state": {"terminated": {"exitCode": 2}}}]}}),
                ("0/1", "ExitCode:2", "0"),
            ),
            (
                "terminated by signal",
                json!({"spec": {"containers": [{"name": "a"}]}, "status": {"phase": "Failed", "containerStatuses": [
                    {"name": "a", "state": {"terminated": {"exitCode": 137, "signal": 9}}}]}}),
                ("0/1", "Signal:9", "0"),
            ),
            (
                "one completed one running, ready",
                json!({"spec": {"containers": containers}, "status": {"phase": "Running",
                    "conditions": [{"type": "Ready", "status": "True"}],
                    "containerStatuses": [
                    {"name": "a", "state": {"terminated": {"reason": "Completed", "exitCode": 0}}},
                    {"name": "b", "ready": true, "state": {"running": {}}}]}}),
                ("1/2", "Running", "0"),
            ),
            (
                "one completed one running, not ready",
                json!({"spec": {"containers": containers}, "status": {"phase": "Running",
                    "containerStatuses": [
                    {"name": "a", "state": {"terminated": {"reason": "Completed", "exitCode": 0}}},
                    {"name": "b", "ready": true, "state": {"running": {}}}]}}),
                ("1/2", "NotReady", "0"),
            ),
            (
                "evicted",
                json!({"spec": {"containers": [{"name": "a"}]}, "status": {"phase": "Failed", "reason": "Evicted"}}),
                ("0/1", "Evicted", "0"),
            ),
            (
                "scheduling gated",
                json!({"spec": {"containers": [{"name": "a"}]}, "status": {"phase": "Pending",
                    "conditions": [{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]}}),
                ("0/1", "SchedulingGated", "0"),
            ),
            (
                "terminating",
                json!({"metadata": {"deletionTimestamp": "2024-05-01T11:59:00Z"}, "spec": {"containers": [{"name": "a"}]},
                    "status": {"phase": "Running", "containerStatuses": [{"name": "a", "ready": true, "state": {"running": {}}}]}}),
                ("1/1", "Terminating", "0"),
            ),
            (
                "deleted but finished keeps its phase",
                json!({"metadata": {"deletionTimestamp": "2024-05-01T11:59:00Z"}, "spec": {"containers": [{"name": "a"}]},
                    "status": {"phase": "Succeeded"}}),
                ("0/1", "Succeeded", "0"),
            ),
            (
                "node lost",
                json!({"metadata": {"deletionTimestamp": "2024-05-01T11:59:00Z"}, "spec": {"containers": [{"name": "a"}]},
                    "status": {"phase": "Running", "reason": "NodeLost"}}),
                ("0/1", "Unknown", "0"),
            ),
            (
                "init container still running",
                json!({"spec": {"initContainers": [{"name": "i1"}, {"name": "i2"}], "containers": [{"name": "a"}]},
                    "status": {"phase": "Pending", "initContainerStatuses": [
                        {"name": "i1", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
                        {"name": "i2", "state": {"running": {}}}],
                    "containerStatuses": [{"name": "a", "state": {"waiting": {"reason": "PodInitializing"}}}]}}),
                ("0/1", "Init:1/2", "0"),
            ),
            (
                "init container crash loop with restarts",
                json!({"spec": {"initContainers": [{"name": "i1"}], "containers": [{"name": "a"}]},
                    "status": {"phase": "Pending", "initContainerStatuses": [
                        {"name": "i1", "restartCount": 3, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                         "lastState": {"terminated": {"exitCode": 1, "finishedAt": "2024-05-01T11:58:00Z"}}}]}}),
                ("0/1", "Init:CrashLoopBackOff", "3 (2m ago)"),
            ),
            (
                "init container failed",
                json!({"spec": {"initContainers": [{"name": "i1"}], "containers": [{"name": "a"}]},
                    "status": {"phase": "Pending", "initContainerStatuses": [
                        {"name": "i1", "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}}),
                ("0/1", "Init:Error", "0"),
            ),
            (
                "init container exit code",
                json!({"spec": {"initContainers": [{"name": "i1"}], "containers": [{"name": "a"}]},
                    "status": {"phase": "Pending", "initContainerStatuses": [
                        {"name": "i1", "state": {"terminated": {"exitCode": 3}}}]}}),
                ("0/1", "Init:ExitCode:3", "0"),
            ),
            (
                "sidecar counts as a container",
                json!({"spec": {"initContainers": [{"name": "side", "restartPolicy": "Always"}], "containers": [{"name": "a"}]},
                    "status": {"phase": "Running",
                    "initContainerStatuses": [{"name": "side", "started": true, "ready": true, "restartCount": 1,
                        "state": {"running": {}}}],
                    "containerStatuses": [{"name": "a", "ready": true, "state": {"running": {}}}]}}),
                ("2/2", "Running", "1"),
            ),
            (
                "restarts with last termination time",
                json!({"spec": {"containers": [{"name": "a"}]}, "status": {"phase": "Running", "containerStatuses": [
                    {"name": "a", "ready": true, "restartCount": 4, "state": {"running": {}},
                     "lastState": {"terminated": {"exitCode": 1, "finishedAt": "2024-05-01T11:00:00Z"}}}]}}),
                ("1/1", "Running", "4 (60m ago)"),
            ),
        ];
        for (name, pod, (ready, status, restarts)) in cases {
            let (got_ready, got_status, got_restarts, _, _) = pod_cells(pod);
            assert_eq!(
                (
                    got_ready.as_str(),
                    got_status.as_str(),
                    got_restarts.as_str()
                ),
                (ready, status, restarts),
                "{name}"
            );
        }
    }

    #[test]
    fn pod_wide_cells_and_conditions() {
        let pod = json!({"metadata": {"name": "p", "creationTimestamp": "2024-05-01T11:57:00Z"},
            "spec": {"containers": [{"name": "a"}], "nodeName": "node-1",
                "readinessGates": [{"conditionType": "example.com/ready"}, {"conditionType": "example.com/other"}]},
            "status": {"phase": "Succeeded", "podIPs": [{"ip": "10.0.0.5"}, {"ip": "fd00::5"}],
                "conditions": [{"type": "example.com/ready", "status": "True"}, {"type": "example.com/other", "status": "False"}]}});
        let t = table(&PODS, &[&pod], json!({}), IncludeObject::Metadata, now());
        assert_eq!(
            t["rows"][0]["cells"],
            json!([
                "p",
                "0/1",
                "Succeeded",
                "0",
                "3m",
                "10.0.0.5",
                "node-1",
                "<none>",
                "1/2"
            ])
        );
        assert_eq!(
            t["rows"][0]["conditions"],
            json!([{"type": "Completed", "status": "True", "reason": "Succeeded", "message": "The pod has completed successfully."}])
        );
        let bare = json!({"metadata": {"name": "q"}, "spec": {"containers": [{"name": "a"}]}, "status": {"phase": "Running"}});
        let (_, _, _, wide, conditions) = pod_cells(bare);
        assert_eq!(
            wide,
            ["<none>", "<none>", "<none>", "<none>"].map(String::from)
        );
        assert!(conditions.is_none());
    }
}
