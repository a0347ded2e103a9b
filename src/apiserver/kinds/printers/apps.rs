//! Printers of the workload controllers: Deployment, ReplicaSet, StatefulSet, DaemonSet,
//! ReplicationController and ControllerRevision (`printDeployment`, `printReplicaSet`,
//! `printStatefulSet`, `printDaemonSet`, `printReplicationController`,
//! `printControllerRevision` in `pkg/printers/internalversion/printers.go`).

use jiff::Timestamp;
use serde_json::{json, Value};

use super::{
    container_cells, format_label_selector, format_labels, int_at, selector_string, wide,
    CONTAINERS_COLUMN, IMAGES_COLUMN,
};
use crate::apiserver::kinds::generic::Printer;
use crate::apiserver::table::{age, column, str_at, value_at, Column, AGE_COLUMN, NAME_COLUMN};

/// The READY column of Deployments and StatefulSets.
const READY_PODS: Column = column("Ready", "string", "Number of the pod with ready state");

/// Deployments: READY as ready/desired, UP-TO-DATE, AVAILABLE; wide CONTAINERS, IMAGES,
/// SELECTOR.
pub const DEPLOYMENT: Printer = Printer {
    columns: &[
        NAME_COLUMN,
        READY_PODS,
        column(
            "Up-to-date",
            "string",
            "Total number of non-terminating pods targeted by this deployment that have the desired template spec.",
        ),
        column(
            "Available",
            "string",
            "Total number of available non-terminating pods (ready for at least minReadySeconds) targeted by this deployment.",
        ),
        AGE_COLUMN,
        CONTAINERS_COLUMN,
        IMAGES_COLUMN,
        wide(column(
            "Selector",
            "string",
            "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment. It must match the pod template's labels.",
        )),
    ],
    row: deployment_row,
};

fn deployment_row(object: &Value, now: Timestamp) -> Vec<Value> {
    let (names, images) = container_cells(value_at(
        object,
        &["spec", "template", "spec", "containers"],
    ));
    // Unlike the other printers, a Deployment's selector prints `<invalid>` when it does not
    // parse and "" when it is empty.
    let selector = selector_string(value_at(object, &["spec", "selector"]))
        .unwrap_or_else(|_| "<invalid>".to_string());
    vec![
        json!(str_at(object, &["metadata", "name"])),
        json!(format!(
            "{}/{}",
            int_at(object, &["status", "readyReplicas"]),
            int_at(object, &["spec", "replicas"])
        )),
        json!(int_at(object, &["status", "updatedReplicas"])),
        json!(int_at(object, &["status", "availableReplicas"])),
        json!(age(object, now)),
        json!(names),
        json!(images),
        json!(selector),
    ]
}

/// ReplicaSets: DESIRED, CURRENT, READY; wide CONTAINERS, IMAGES, SELECTOR.
pub const REPLICA_SET: Printer = Printer {
    columns: &[
        NAME_COLUMN,
        column(
            "Desired",
            "integer",
            "Replicas is the number of desired pods. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset",
        ),
        column(
            "Current",
            "integer",
            "Replicas is the most recently observed number of non-terminating pods. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset",
        ),
        column(
            "Ready",
            "integer",
            "The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.",
        ),
        AGE_COLUMN,
        CONTAINERS_COLUMN,
        IMAGES_COLUMN,
        wide(column(
            "Selector",
            "string",
            "Selector is a label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replica set. It must match the pod template's labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors",
        )),
    ],
    row: replica_set_row,
};

fn replica_set_row(object: &Value, now: Timestamp) -> Vec<Value> {
    let selector = format_label_selector(value_at(object, &["spec", "selector"]));
    replicas_row(object, now, selector)
}

/// The row ReplicaSets and ReplicationControllers share; only their selectors print
/// differently (a `LabelSelector`, a label map).
fn replicas_row(object: &Value, now: Timestamp, selector: String) -> Vec<Value> {
    let (names, images) = container_cells(value_at(
        object,
        &["spec", "template", "spec", "containers"],
    ));
    vec![
        json!(str_at(object, &["metadata", "name"])),
        json!(int_at(object, &["spec", "replicas"])),
        json!(int_at(object, &["status", "replicas"])),
        json!(int_at(object, &["status", "readyReplicas"])),
        json!(age(object, now)),
        json!(names),
        json!(images),
        json!(selector),
    ]
}

/// ReplicationControllers: DESIRED, CURRENT, READY; wide CONTAINERS, IMAGES and the
/// selector as labels.
pub const REPLICATION_CONTROLLER: Printer = Printer {
    columns: &[
        NAME_COLUMN,
        column(
            "Desired",
            "integer",
            "Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller",
        ),
        column(
            "Current",
            "integer",
            "Replicas is the most recently observed number of replicas. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller",
        ),
        column(
            "Ready",
            "integer",
            "The number of ready replicas for this replication controller.",
        ),
        AGE_COLUMN,
        CONTAINERS_COLUMN,
        IMAGES_COLUMN,
        wide(column(
            "Selector",
            "string",
            "Selector is a label query over pods that should match the Replicas count. If Selector is empty, it is defaulted to the labels present on the Pod template. Label keys and values that must match in order to be controlled by this replication controller, if empty defaulted to labels on Pod template. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors",
        )),
    ],
    row: replication_controller_row,
};

fn replication_controller_row(object: &Value, now: Timestamp) -> Vec<Value> {
    let selector = format_labels(value_at(object, &["spec", "selector"]));
    replicas_row(object, now, selector)
}

/// StatefulSets: READY as ready/desired; wide CONTAINERS, IMAGES.
pub const STATEFUL_SET: Printer = Printer {
    columns: &[
        NAME_COLUMN,
        READY_PODS,
        AGE_COLUMN,
        CONTAINERS_COLUMN,
        IMAGES_COLUMN,
    ],
    row: stateful_set_row,
};

fn stateful_set_row(object: &Value, now: Timestamp) -> Vec<Value> {
    let (names, images) = container_cells(value_at(
        object,
        &["spec", "template", "spec", "containers"],
    ));
    vec![
        json!(str_at(object, &["metadata", "name"])),
        json!(format!(
            "{}/{}",
            int_at(object, &["status", "readyReplicas"]),
            int_at(object, &["spec", "replicas"])
        )),
        json!(age(object, now)),
        json!(names),
        json!(images),
    ]
}

/// DaemonSets: DESIRED, CURRENT, READY, UP-TO-DATE, AVAILABLE, NODE SELECTOR; wide
/// CONTAINERS, IMAGES, SELECTOR.
pub const DAEMON_SET: Printer = Printer {
    columns: &[
        NAME_COLUMN,
        column(
            "Desired",
            "integer",
            "The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod). More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/",
        ),
        column(
            "Current",
            "integer",
            "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod. More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/",
        ),
        column(
            "Ready",
            "integer",
            "numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.",
        ),
        column(
            "Up-to-date",
            "integer",
            "The total number of nodes that are running updated daemon pod",
        ),
        column(
            "Available",
            "integer",
            "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)",
        ),
        column(
            "Node Selector",
            "string",
            "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node. More info: https://kubernetes.io/docs/concepts/configuration/assign-pod-node/",
        ),
        AGE_COLUMN,
        CONTAINERS_COLUMN,
        IMAGES_COLUMN,
        wide(column(
            "Selector",
            "string",
            "A label query over pods that are managed by the daemon set. Must match in order to be controlled. It must match the pod template's labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors",
        )),
    ],
    row: daemon_set_row,
};

fn daemon_set_row(object: &Value, now: Timestamp) -> Vec<Value> {
    let (names, images) = container_cells(value_at(
        object,
        &["spec", "template", "spec", "containers"],
    ));
    let status = |field: &str| json!(int_at(object, &["status", field]));
    vec![
        json!(str_at(object, &["metadata", "name"])),
        status("desiredNumberScheduled"),
        status("currentNumberScheduled"),
        status("numberReady"),
        status("updatedNumberScheduled"),
        status("numberAvailable"),
        json!(format_labels(value_at(
            object,
            &["spec", "template", "spec", "nodeSelector"]
        ))),
        json!(age(object, now)),
        json!(names),
        json!(images),
        json!(format_label_selector(value_at(
            object,
            &["spec", "selector"]
        ))),
    ]
}

/// ControllerRevisions: CONTROLLER (`kind.group/name` of the controlling owner), REVISION.
pub const CONTROLLER_REVISION: Printer = Printer {
    columns: &[
        NAME_COLUMN,
        column("Controller", "string", "Controller of the object"),
        column(
            "Revision",
            "string",
            "Revision indicates the revision of the state represented by Data.",
        ),
        AGE_COLUMN,
    ],
    row: controller_revision_row,
};

fn controller_revision_row(object: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        json!(str_at(object, &["metadata", "name"])),
        json!(controller_name(object)),
        json!(int_at(object, &["revision"])),
        json!(age(object, now)),
    ]
}

/// The controlling owner as `formatResourceName` writes it: the lower-cased group kind
/// (`kind.group`, or the kind alone in the core group) and the name; `<none>` without one.
fn controller_name(object: &Value) -> String {
    let owners = value_at(object, &["metadata", "ownerReferences"]).and_then(Value::as_array);
    let Some(owner) = owners
        .into_iter()
        .flatten()
        .find(|o| o.get("controller").and_then(Value::as_bool) == Some(true))
    else {
        return "<none>".to_string();
    };
    let name = str_at(owner, &["name"]);
    let kind = str_at(owner, &["kind"]);
    let group = match str_at(owner, &["apiVersion"]).split_once('/') {
        Some((group, _)) => group,
        None => "",
    };
    let group_kind = if group.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}.{group}")
    };
    if group_kind.is_empty() {
        name.to_string()
    } else {
        format!("{}/{name}", group_kind.to_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::kinds::printers::testing::cells;

    fn headers(printer: &Printer) -> Vec<(&'static str, u32)> {
        printer
            .columns
            .iter()
            .map(|c| (c.name, c.priority))
            .collect()
    }

    const CREATED: &str = "2024-05-01T11:00:00Z";

    #[test]
    fn deployment_rows() {
        assert_eq!(
            headers(&DEPLOYMENT),
            [
                ("Name", 0),
                ("Ready", 0),
                ("Up-to-date", 0),
                ("Available", 0),
                ("Age", 0),
                ("Containers", 1),
                ("Images", 1),
                ("Selector", 1)
            ]
        );
        let cases = [
            (
                json!({"metadata": {"name": "web", "creationTimestamp": CREATED},
                    "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                        "template": {"spec": {"containers": [
                            {"name": "app", "image": "nginx:1.25"}, {"name": "side", "image": "busybox"}]}}},
                    "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 1}}),
                json!([
                    "web",
                    "2/3",
                    3,
                    1,
                    "60m",
                    "app,side",
                    "nginx:1.25,busybox",
                    "app=web"
                ]),
            ),
            (
                json!({"metadata": {"name": "new"}, "spec": {"replicas": 2, "selector": {}}}),
                json!(["new", "0/2", 0, 0, "<unknown>", "", "", ""]),
            ),
            (
                json!({"metadata": {"name": "bad"}, "spec": {"selector":
                    {"matchExpressions": [{"key": "a", "operator": "Near"}]}}}),
                json!(["bad", "0/0", 0, 0, "<unknown>", "", "", "<invalid>"]),
            ),
        ];
        for (object, expected) in cases {
            assert_eq!((cells(&DEPLOYMENT, object)), expected);
        }
    }

    #[test]
    fn replica_set_and_replication_controller_rows() {
        let names: Vec<_> = headers(&REPLICA_SET).iter().map(|h| h.0).collect();
        assert_eq!(
            names,
            [
                "Name",
                "Desired",
                "Current",
                "Ready",
                "Age",
                "Containers",
                "Images",
                "Selector"
            ]
        );
        let rs = json!({"metadata": {"name": "web-1", "creationTimestamp": CREATED},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                "template": {"spec": {"containers": [{"name": "app", "image": "nginx"}]}}},
            "status": {"replicas": 2, "readyReplicas": 1}});
        assert_eq!(
            (cells(&REPLICA_SET, rs)),
            json!(["web-1", 2, 2, 1, "60m", "app", "nginx", "app=web"])
        );
        let no_selector = json!({"metadata": {"name": "x"}, "spec": {}});
        assert_eq!(cells(&REPLICA_SET, no_selector)[7], "<none>");

        assert_eq!(headers(&REPLICATION_CONTROLLER), headers(&REPLICA_SET));
        let rc = json!({"metadata": {"name": "rc", "creationTimestamp": CREATED},
            "spec": {"replicas": 1, "selector": {"b": "2", "a": "1"}},
            "status": {"replicas": 1}});
        assert_eq!(
            (cells(&REPLICATION_CONTROLLER, rc)),
            json!(["rc", 1, 1, 0, "60m", "", "", "a=1,b=2"])
        );
    }

    #[test]
    fn stateful_set_and_daemon_set_rows() {
        assert_eq!(
            headers(&STATEFUL_SET),
            [
                ("Name", 0),
                ("Ready", 0),
                ("Age", 0),
                ("Containers", 1),
                ("Images", 1)
            ]
        );
        let sts = json!({"metadata": {"name": "db", "creationTimestamp": CREATED},
            "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "pg", "image": "postgres:16"}]}}},
            "status": {"readyReplicas": 3}});
        assert_eq!(
            (cells(&STATEFUL_SET, sts)),
            json!(["db", "3/3", "60m", "pg", "postgres:16"])
        );

        let names: Vec<_> = headers(&DAEMON_SET).iter().map(|h| h.0).collect();
        assert_eq!(
            names,
            [
                "Name",
                "Desired",
                "Current",
                "Ready",
                "Up-to-date",
                "Available",
                "Node Selector",
                "Age",
                "Containers",
                "Images",
                "Selector"
            ]
        );
        let ds = json!({"metadata": {"name": "agent", "creationTimestamp": CREATED},
            "spec": {"selector": {"matchLabels": {"app": "agent"}},
                "template": {"spec": {"nodeSelector": {"kubernetes.io/os": "linux"},
                    "containers": [{"name": "a", "image": "agent:2"}]}}},
            "status": {"desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 2,
                "updatedNumberScheduled": 3, "numberAvailable": 2}});
        assert_eq!(
            (cells(&DAEMON_SET, ds)),
            json!([
                "agent",
                3,
                3,
                2,
                3,
                2,
                "kubernetes.io/os=linux",
                "60m",
                "a",
                "agent:2",
                "app=agent"
            ])
        );
        let bare = json!({"metadata": {"name": "bare"}});
        assert_eq!(cells(&DAEMON_SET, bare)[6], "<none>");
    }

    #[test]
    fn controller_revision_rows() {
        let cases = [
            (
                json!([{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "db", "uid": "u", "controller": true}]),
                "statefulset.apps/db",
            ),
            (
                json!([{"apiVersion": "v1", "kind": "Pod", "name": "p", "uid": "u", "controller": true}]),
                "pod/p",
            ),
            (
                json!([{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "d", "uid": "u"}]),
                "<none>",
            ),
        ];
        for (owners, expected) in cases {
            let revision = json!({"metadata": {"name": "db-1", "creationTimestamp": CREATED,
                "ownerReferences": owners}, "revision": 4});
            assert_eq!(
                (cells(&CONTROLLER_REVISION, revision)),
                json!(["db-1", expected, 4, "60m"])
            );
        }
    }
}
