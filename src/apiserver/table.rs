//! Server-side printing: the `Table` (meta.k8s.io/v1) that `kubectl get` asks for, with the
//! columns and cell values of upstream's printers (`pkg/printers/internalversion/printers.go`).
//! The server always prints wide; kubectl hides priority-1 columns unless `-o wide`.

use jiff::Timestamp;
use serde_json::{json, Value};

use super::discovery::parse_accept;
use super::kinds::ResourceInfo;

/// `Content-Type` of a Table response.
pub const TABLE_CONTENT_TYPE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io";

/// What each row carries besides its cells (`includeObject` query parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IncludeObject {
    None,
    #[default]
    Metadata,
    Object,
}

/// Reads the `includeObject` query parameter; absent or unknown values mean `Metadata`.
pub fn parse_include_object(param: Option<&str>) -> IncludeObject {
    match param {
        Some("None") => IncludeObject::None,
        Some("Object") => IncludeObject::Object,
        _ => IncludeObject::Metadata,
    }
}

/// True when the `Accept` header asks for a meta.k8s.io/v1 Table in JSON.
pub fn wants_table(accept: &str) -> bool {
    parse_accept(accept).iter().any(|range| {
        range.acceptable()
            && matches!(
                range.mime.as_str(),
                "application/json" | "application/*" | "*/*"
            )
            && range.param("as") == Some("Table")
            && range.param("g") == Some("meta.k8s.io")
            && range.param("v") == Some("v1")
    })
}

const NAME_DESCRIPTION: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
const CREATION_TIMESTAMP_DESCRIPTION: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

/// One column of a Table, as upstream's `TableColumnDefinition`.
pub struct Column {
    /// Header, e.g. `Name`.
    pub name: &'static str,
    /// OpenAPI type of the cells (`string`, `integer`, `date`).
    pub kind: &'static str,
    /// OpenAPI format (`name` for the name column), or empty.
    pub format: &'static str,
    /// Upstream's description of the field the column shows.
    pub description: &'static str,
    /// 0: always printed; 1: printed with `-o wide`.
    pub priority: u32,
}

const fn column(name: &'static str, kind: &'static str, description: &'static str) -> Column {
    Column {
        name,
        kind,
        format: "",
        description,
        priority: 0,
    }
}

const NAME_COLUMN: Column = Column {
    name: "Name",
    kind: "string",
    format: "name",
    description: NAME_DESCRIPTION,
    priority: 0,
};
const AGE_COLUMN: Column = column("Age", "string", CREATION_TIMESTAMP_DESCRIPTION);

const NAMESPACE_COLUMNS: &[Column] = &[
    NAME_COLUMN,
    column("Status", "string", "The status of the namespace"),
    AGE_COLUMN,
];

const SERVICE_ACCOUNT_COLUMNS: &[Column] = &[
    NAME_COLUMN,
    column(
        "Secrets",
        "string",
        "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use. Pods are only limited to this list if this service account has a \"kubernetes.io/enforce-mountable-secrets\" annotation set to \"true\". The \"kubernetes.io/enforce-mountable-secrets\" annotation is deprecated since v1.32. Prefer separate namespaces to isolate access to mounted secrets. This field should not be used to find auto-generated service account token secrets for use outside of pods. Instead, tokens can be requested directly using the TokenRequest API, or service account token secrets can be manually created. More info: https://kubernetes.io/docs/concepts/configuration/secret",
    ),
    AGE_COLUMN,
];

const SECRET_COLUMNS: &[Column] = &[
    NAME_COLUMN,
    column(
        "Type",
        "string",
        "Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types",
    ),
    column(
        "Data",
        "string",
        "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4",
    ),
    AGE_COLUMN,
];

const CONFIG_MAP_COLUMNS: &[Column] = &[
    NAME_COLUMN,
    column(
        "Data",
        "string",
        "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process.",
    ),
    AGE_COLUMN,
];

const POD_COLUMNS: &[Column] = &[
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

/// Upstream's default convertor, for kinds without a dedicated printer.
pub const DEFAULT_COLUMNS: &[Column] = &[
    NAME_COLUMN,
    column("Created At", "date", CREATION_TIMESTAMP_DESCRIPTION),
];

/// The kinds with a dedicated printer.
#[derive(Clone, Copy)]
pub(crate) enum Printer {
    Namespace,
    ServiceAccount,
    Secret,
    Pod,
    ConfigMap,
    Default,
}

impl Printer {
    pub(crate) fn columns(self) -> &'static [Column] {
        match self {
            Printer::Namespace => NAMESPACE_COLUMNS,
            Printer::ServiceAccount => SERVICE_ACCOUNT_COLUMNS,
            Printer::Secret => SECRET_COLUMNS,
            Printer::Pod => POD_COLUMNS,
            Printer::ConfigMap => CONFIG_MAP_COLUMNS,
            Printer::Default => DEFAULT_COLUMNS,
        }
    }

    /// The cells of one row, plus row conditions (only finished pods have any).
    pub(crate) fn print(self, object: &Value, now: Timestamp) -> (Vec<Value>, Option<Value>) {
        let name = json!(str_at(object, &["metadata", "name"]));
        let age = json!(age(object, now));
        match self {
            Printer::Namespace => (
                vec![name, json!(str_at(object, &["status", "phase"])), age],
                None,
            ),
            Printer::ServiceAccount => (vec![name, json!(len_at(object, "secrets")), age], None),
            Printer::Secret => (
                vec![
                    name,
                    json!(str_at(object, &["type"])),
                    json!(len_at(object, "data")),
                    age,
                ],
                None,
            ),
            Printer::ConfigMap => (
                vec![
                    name,
                    json!(len_at(object, "data") + len_at(object, "binaryData")),
                    age,
                ],
                None,
            ),
            Printer::Pod => {
                let pod = print_pod(object, now);
                let mut cells = vec![
                    name,
                    json!(pod.ready),
                    json!(pod.status),
                    json!(pod.restarts),
                    age,
                ];
                cells.extend(pod.wide.into_iter().map(Value::String));
                (cells, pod.conditions)
            }
            Printer::Default => {
                let created = timestamp_at(object, &["metadata", "creationTimestamp"])
                    .map(|ts| ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
                    .unwrap_or_default();
                (vec![name, json!(created)], None)
            }
        }
    }
}

/// The row of a kind without printer columns of its own: name and creation time
/// (upstream's default table convertor).
pub fn default_row(object: &Value, now: Timestamp) -> (Vec<Value>, Option<Value>) {
    Printer::Default.print(object, now)
}

/// Renders `objects` as a `Table`. `list_metadata` becomes the Table's `metadata`
/// (`resourceVersion`, `continue`, ...).
pub fn table(
    resource: &ResourceInfo,
    objects: &[&Value],
    list_metadata: Value,
    include: IncludeObject,
    now: Timestamp,
) -> Value {
    let strategy = resource.strategy;
    let columns: Vec<Value> = strategy
        .table_columns()
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "type": c.kind,
                "format": c.format,
                "description": c.description,
                "priority": c.priority,
            })
        })
        .collect();
    let rows: Vec<Value> = objects
        .iter()
        .map(|object| {
            let (cells, conditions) = strategy.table_row(object, now);
            let mut row = json!({"cells": cells});
            if let Some(conditions) = conditions {
                row["conditions"] = conditions;
            }
            row["object"] = match include {
                IncludeObject::None => Value::Null,
                IncludeObject::Metadata => json!({
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": object.get("metadata").cloned().unwrap_or_else(|| json!({})),
                }),
                IncludeObject::Object => (*object).clone(),
            };
            row
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_metadata,
        "columnDefinitions": columns,
        "rows": rows,
    })
}

/// A duration the way kubectl prints ages (apimachinery `duration.HumanDuration`): about two
/// significant figures, `<invalid>` for clearly negative values, with one second of clock skew
/// tolerated.
pub fn human_duration(secs: i64) -> String {
    if secs < -1 {
        return "<invalid>".to_string();
    }
    if secs < 0 {
        return "0s".to_string();
    }
    if secs < 60 * 2 {
        return format!("{secs}s");
    }
    let minutes = secs / 60;
    if minutes < 10 {
        let s = secs % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = secs / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let days = (hours / 24) % 365;
        return if days == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{days}d", hours / 24 / 365)
        };
    }
    format!("{}y", hours / 24 / 365)
}

fn value_at<'a>(object: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(object, |value, key| value.get(key))
}

fn str_at<'a>(object: &'a Value, path: &[&str]) -> &'a str {
    value_at(object, path).and_then(Value::as_str).unwrap_or("")
}

fn timestamp_at(object: &Value, path: &[&str]) -> Option<Timestamp> {
    value_at(object, path)?.as_str()?.parse().ok()
}

/// Number of entries of a top-level list or map field.
fn len_at(object: &Value, field: &str) -> usize {
    match object.get(field) {
        Some(Value::Array(items)) => items.len(),
        Some(Value::Object(entries)) => entries.len(),
        _ => 0,
    }
}

/// `translateTimestampSince`: the age of a timestamp, `<unknown>` when there is none.
fn since(timestamp: Option<Timestamp>, now: Timestamp) -> String {
    match timestamp {
        Some(ts) => human_duration(now.duration_since(ts).as_secs()),
        None => "<unknown>".to_string(),
    }
}

fn age(object: &Value, now: Timestamp) -> String {
    since(
        timestamp_at(object, &["metadata", "creationTimestamp"]),
        now,
    )
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
    use super::super::kinds::{
        CONFIG_MAPS, NAMESPACES, PODS, SECRETS, SELF_SUBJECT_REVIEWS, SERVICE_ACCOUNTS,
    };
    use super::*;

    fn now() -> Timestamp {
        "2024-05-01T12:00:00Z".parse().expect("timestamp")
    }

    #[test]
    fn human_durations() {
        let cases: &[(i64, &str)] = &[
            (-5, "<invalid>"),
            (-2, "<invalid>"),
            (-1, "0s"),
            (0, "0s"),
            (5, "5s"),
            (119, "119s"),
            (120, "2m"),
            (182, "3m2s"),
            (599, "9m59s"),
            (600, "10m"),
            (3 * 3600 - 1, "179m"),
            (3 * 3600, "3h"),
            (3 * 3600 + 25 * 60, "3h25m"),
            (8 * 3600 - 1, "7h59m"),
            (8 * 3600, "8h"),
            (47 * 3600 + 59 * 60, "47h"),
            (48 * 3600, "2d"),
            (2 * 86400 + 3 * 3600, "2d3h"),
            (7 * 86400 + 23 * 3600, "7d23h"),
            (8 * 86400, "8d"),
            (729 * 86400, "729d"),
            (730 * 86400, "2y"),
            (731 * 86400, "2y1d"),
            (8 * 365 * 86400 - 1, "7y364d"),
            (8 * 365 * 86400, "8y"),
            (20 * 365 * 86400, "20y"),
        ];
        for (secs, expected) in cases {
            assert_eq!(human_duration(*secs), *expected, "{secs}s");
        }
    }

    #[test]
    fn include_object_param() {
        assert_eq!(parse_include_object(None), IncludeObject::Metadata);
        assert_eq!(parse_include_object(Some("None")), IncludeObject::None);
        assert_eq!(parse_include_object(Some("Object")), IncludeObject::Object);
        assert_eq!(
            parse_include_object(Some("Metadata")),
            IncludeObject::Metadata
        );
        assert_eq!(parse_include_object(Some("bogus")), IncludeObject::Metadata);
    }

    #[test]
    fn table_negotiation() {
        let cases: &[(&str, bool)] = &[
            (
                "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json",
                true,
            ),
            ("application/json;as=Table;g=meta.k8s.io;v=v1", true),
            ("application/json, application/json;as=Table;v=v1;g=meta.k8s.io", true),
            ("application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json", false),
            ("application/json", false),
            ("", false),
            ("application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io", false),
            ("application/json;as=Table;v=v1;g=meta.k8s.io;q=0", false),
            ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", false),
        ];
        for (accept, expected) in cases {
            assert_eq!(wants_table(accept), *expected, "{accept}");
        }
    }

    fn column_names(table: &Value) -> Vec<(String, u64)> {
        table["columnDefinitions"]
            .as_array()
            .expect("columns")
            .iter()
            .map(|c| {
                (
                    c["name"].as_str().unwrap_or("").to_string(),
                    c["priority"].as_u64().unwrap_or(9),
                )
            })
            .collect()
    }

    #[test]
    fn namespace_table() {
        let ns = json!({
            "kind": "Namespace", "apiVersion": "v1",
            "metadata": {"name": "default", "creationTimestamp": "2024-05-01T11:50:00Z", "resourceVersion": "7"},
            "status": {"phase": "Active"}
        });
        let table = table(
            &NAMESPACES,
            &[&ns],
            json!({"resourceVersion": "9"}),
            IncludeObject::Metadata,
            now(),
        );
        assert_eq!(table["kind"], "Table");
        assert_eq!(table["apiVersion"], "meta.k8s.io/v1");
        assert_eq!(table["metadata"], json!({"resourceVersion": "9"}));
        assert_eq!(
            column_names(&table),
            [("Name".into(), 0), ("Status".into(), 0), ("Age".into(), 0)]
        );
        assert_eq!(table["columnDefinitions"][0]["format"], "name");
        assert_eq!(table["columnDefinitions"][1]["format"], "");
        assert_eq!(
            table["rows"][0]["cells"],
            json!(["default", "Active", "10m"])
        );
        assert_eq!(
            table["rows"][0]["object"],
            json!({
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": {"name": "default", "creationTimestamp": "2024-05-01T11:50:00Z", "resourceVersion": "7"}
            })
        );
    }

    #[test]
    fn include_object_variants() {
        let cm = json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "c"}, "data": {"a": "1"}});
        let full = table(
            &CONFIG_MAPS,
            &[&cm],
            json!({}),
            IncludeObject::Object,
            now(),
        );
        assert_eq!(full["rows"][0]["object"], cm);
        let none = table(&CONFIG_MAPS, &[&cm], json!({}), IncludeObject::None, now());
        assert_eq!(none["rows"][0]["object"], Value::Null);
    }

    #[test]
    fn service_account_secret_config_map_cells() {
        let created = "2024-05-01T11:59:55Z";
        let sa = json!({"metadata": {"name": "default", "creationTimestamp": created},
            "secrets": [{"name": "default-token-abcde"}]});
        let secret = json!({"metadata": {"name": "default-token-abcde", "creationTimestamp": created},
            "type": "kubernetes.io/service-account-token", "data": {"token": "eA==", "ca.crt": "eA==", "namespace": "eA=="}});
        let cm = json!({"metadata": {"name": "settings"}, "data": {"a": "1"}, "binaryData": {"b": "AA=="}});
        let sa_table = table(
            &SERVICE_ACCOUNTS,
            &[&sa],
            json!({}),
            IncludeObject::Metadata,
            now(),
        );
        assert_eq!(
            column_names(&sa_table),
            [("Name".into(), 0), ("Secrets".into(), 0), ("Age".into(), 0)]
        );
        assert_eq!(sa_table["rows"][0]["cells"], json!(["default", 1, "5s"]));
        let secret_table = table(
            &SECRETS,
            &[&secret],
            json!({}),
            IncludeObject::Metadata,
            now(),
        );
        assert_eq!(
            column_names(&secret_table),
            [
                ("Name".into(), 0),
                ("Type".into(), 0),
                ("Data".into(), 0),
                ("Age".into(), 0)
            ]
        );
        assert_eq!(
            secret_table["rows"][0]["cells"],
            json!([
                "default-token-abcde",
                "kubernetes.io/service-account-token",
                3,
                "5s"
            ])
        );
        let cm_table = table(
            &CONFIG_MAPS,
            &[&cm],
            json!({}),
            IncludeObject::Metadata,
            now(),
        );
        // No creationTimestamp: upstream prints <unknown>.
        assert_eq!(
            cm_table["rows"][0]["cells"],
            json!(["settings", 2, "<unknown>"])
        );
        let empty_sa = json!({"metadata": {"name": "x", "creationTimestamp": created}});
        let t = table(
            &SERVICE_ACCOUNTS,
            &[&empty_sa],
            json!({}),
            IncludeObject::Metadata,
            now(),
        );
        assert_eq!(t["rows"][0]["cells"][1], 0);
    }

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

    #[test]
    fn default_table_for_other_kinds() {
        let review = json!({"metadata": {"name": "", "creationTimestamp": "2024-05-01T11:00:00Z"}});
        let t = table(
            &SELF_SUBJECT_REVIEWS,
            &[&review],
            json!({}),
            IncludeObject::None,
            now(),
        );
        assert_eq!(
            column_names(&t),
            [("Name".into(), 0), ("Created At".into(), 0)]
        );
        assert_eq!(t["columnDefinitions"][1]["type"], "date");
        assert_eq!(t["rows"][0]["cells"], json!(["", "2024-05-01T11:00:00Z"]));
    }

    #[test]
    fn empty_table_keeps_columns() {
        let t = table(
            &PODS,
            &[],
            json!({"resourceVersion": "1"}),
            IncludeObject::Metadata,
            now(),
        );
        assert_eq!(t["rows"], json!([]));
        assert_eq!(t["columnDefinitions"].as_array().map(Vec::len), Some(9));
    }
}
