//! Printers of the kinds that set policy for pods: PodDisruptionBudget,
//! HorizontalPodAutoscaler, PriorityClass, RuntimeClass, ResourceQuota and LimitRange
//! (`printPodDisruptionBudget`, `printHorizontalPodAutoscaler`, `printPriorityClass`,
//! `printRuntimeClass`, `printResourceQuota` in `pkg/printers/internalversion/printers.go`;
//! LimitRange has no printer upstream, so it gets the default NAME/CREATED AT table).
//! Quantities print as stored.

use jiff::Timestamp;
use serde_json::{json, Value};

use super::int_at;
use crate::apiserver::kinds::generic::Printer;
use crate::apiserver::table::{
    age, column, default_row, str_at, value_at, AGE_COLUMN, DEFAULT_COLUMNS, NAME_COLUMN,
};

/// PodDisruptionBudgets: MIN AVAILABLE, MAX UNAVAILABLE (`N/A` when unset), ALLOWED
/// DISRUPTIONS.
pub const POD_DISRUPTION_BUDGET: Printer = Printer {
    columns: &[
        NAME_COLUMN,
        column(
            "Min Available",
            "string",
            "The minimum number of pods that must be available.",
        ),
        column(
            "Max Unavailable",
            "string",
            "The maximum number of pods that may be unavailable.",
        ),
        column(
            "Allowed Disruptions",
            "integer",
            "Calculated number of pods that may be disrupted at this time.",
        ),
        AGE_COLUMN,
    ],
    row: pod_disruption_budget_row,
};

fn pod_disruption_budget_row(object: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        json!(str_at(object, &["metadata", "name"])),
        json!(int_or_string(value_at(object, &["spec", "minAvailable"]))),
        json!(int_or_string(value_at(object, &["spec", "maxUnavailable"]))),
        json!(int_at(object, &["status", "disruptionsAllowed"])),
        json!(age(object, now)),
    ]
}

/// An `IntOrString` as its `String()` writes it, `N/A` when unset.
fn int_or_string(value: Option<&Value>) -> String {
    match value {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => "N/A".to_string(),
    }
}

/// HorizontalPodAutoscalers: REFERENCE, TARGETS, MINPODS, MAXPODS, REPLICAS.
pub const HORIZONTAL_POD_AUTOSCALER: Printer = Printer {
    columns: &[
        NAME_COLUMN,
        column(
            "Reference",
            "string",
            "scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count.",
        ),
        column(
            "Targets",
            "string",
            "metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used).  The desired replica count is calculated multiplying the ratio between the target value and the current value by the current number of pods.  Ergo, metrics used must decrease as the pod count is increased, and vice-versa.  See the individual metric source types for more information about how each type of metric must respond. If not set, the default metric will be set to 80% average CPU utilization.",
        ),
        column(
            "MinPods",
            "string",
            "minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.  It defaults to 1 pod.  minReplicas is allowed to be 0 if the alpha feature gate HPAScaleToZero is enabled and at least one Object or External metric is configured.  Scaling is active as long as at least one metric value is available.",
        ),
        column(
            "MaxPods",
            "string",
            "maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up. It cannot be less that minReplicas.",
        ),
        column(
            "Replicas",
            "string",
            "currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler.",
        ),
        AGE_COLUMN,
    ],
    row: horizontal_pod_autoscaler_row,
};

fn horizontal_pod_autoscaler_row(object: &Value, now: Timestamp) -> Vec<Value> {
    let reference = format!(
        "{}/{}",
        str_at(object, &["spec", "scaleTargetRef", "kind"]),
        str_at(object, &["spec", "scaleTargetRef", "name"])
    );
    let min_pods = match value_at(object, &["spec", "minReplicas"]).and_then(Value::as_i64) {
        Some(min) => min.to_string(),
        None => "<unset>".to_string(),
    };
    vec![
        json!(str_at(object, &["metadata", "name"])),
        json!(reference),
        json!(hpa_metrics(object)),
        json!(min_pods),
        json!(int_at(object, &["spec", "maxReplicas"])),
        json!(int_at(object, &["status", "currentReplicas"])),
        json!(age(object, now)),
    ]
}

/// Metrics shown before `+ N more...`.
const MAX_METRICS: usize = 2;

/// `formatHPAMetrics`: each metric's current value (from the status entry at the same
/// index) over its target.
fn hpa_metrics(hpa: &Value) -> String {
    let specs = value_at(hpa, &["spec", "metrics"])
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if specs.is_empty() {
        return "<none>".to_string();
    }
    let statuses = value_at(hpa, &["status", "currentMetrics"])
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let list: Vec<String> = specs
        .iter()
        .enumerate()
        .map(|(i, spec)| metric_text(spec, statuses.get(i)))
        .collect();
    if list.len() > MAX_METRICS {
        format!(
            "{} + {} more...",
            list[..MAX_METRICS].join(", "),
            list.len() - MAX_METRICS
        )
    } else {
        list.join(", ")
    }
}

/// A Go `*Quantity`'s `String()`: the quantity, `<nil>` for a nil pointer.
fn quantity_ptr(value: Option<&Value>) -> String {
    value.and_then(Value::as_str).unwrap_or("<nil>").to_string()
}

/// One metric of `formatHPAMetrics`.
fn metric_text(spec: &Value, status: Option<&Value>) -> String {
    let kind = str_at(spec, &["type"]);
    // The source's field name in spec and status: `External` is `external`, and so on.
    let field = match kind {
        "External" => "external",
        "Pods" => "pods",
        "Object" => "object",
        "Resource" => "resource",
        "ContainerResource" => "containerResource",
        _ => return "<unknown type>".to_string(),
    };
    let source = spec.get(field).unwrap_or(&Value::Null);
    let target = source.get("target").unwrap_or(&Value::Null);
    // The status entry's source, when the status has one of this type at this index.
    let current = status
        .and_then(|s| s.get(field))
        .filter(|s| !s.is_null())
        .map(|s| s.get("current").unwrap_or(&Value::Null));
    match kind {
        "Pods" => format!(
            "{}/{}",
            current.map_or("<unknown>".to_string(), |c| quantity_ptr(
                c.get("averageValue")
            )),
            quantity_ptr(target.get("averageValue"))
        ),
        "External" | "Object" => match target.get("averageValue").filter(|v| !v.is_null()) {
            Some(average) => format!(
                "{}/{} (avg)",
                current
                    .and_then(|c| c.get("averageValue"))
                    .and_then(Value::as_str)
                    .unwrap_or("<unknown>"),
                quantity_ptr(Some(average))
            ),
            None => format!(
                "{}/{}",
                current.map_or("<unknown>".to_string(), |c| quantity_ptr(c.get("value"))),
                quantity_ptr(target.get("value"))
            ),
        },
        _ => {
            let name = str_at(source, &["name"]);
            match target.get("averageValue").filter(|v| !v.is_null()) {
                Some(average) => format!(
                    "{name}: {}/{}",
                    current.map_or("<unknown>".to_string(), |c| quantity_ptr(
                        c.get("averageValue")
                    )),
                    quantity_ptr(Some(average))
                ),
                None => {
                    let percent =
                        |v: Option<&Value>| v.and_then(Value::as_i64).map(|n| format!("{n}%"));
                    let now = current
                        .and_then(|c| percent(c.get("averageUtilization")))
                        .unwrap_or_else(|| "<unknown>".to_string());
                    let goal = percent(target.get("averageUtilization"))
                        .unwrap_or_else(|| "<auto>".to_string());
                    format!("{name}: {now}/{goal}")
                }
            }
        }
    }
}

/// PriorityClasses: VALUE, GLOBAL-DEFAULT, PREEMPTIONPOLICY.
pub const PRIORITY_CLASS: Printer = Printer {
    columns: &[
        NAME_COLUMN,
        column(
            "Value",
            "integer",
            "value represents the integer value of this priority class. This is the actual priority that pods receive when they have the name of this class in their pod spec.",
        ),
        column(
            "Global-Default",
            "boolean",
            "globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class. Only one PriorityClass can be marked as `globalDefault`. However, if more than one PriorityClasses exists with their `globalDefault` field set to true, the smallest value of such global default PriorityClasses will be used as the default priority.",
        ),
        AGE_COLUMN,
        column(
            "PreemptionPolicy",
            "string",
            "preemptionPolicy is the Policy for preempting pods with lower priority. One of Never, PreemptLowerPriority. Defaults to PreemptLowerPriority if unset.",
        ),
    ],
    row: priority_class_row,
};

fn priority_class_row(object: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        json!(str_at(object, &["metadata", "name"])),
        json!(int_at(object, &["value"])),
        json!(object
            .get("globalDefault")
            .and_then(Value::as_bool)
            .unwrap_or(false)),
        json!(age(object, now)),
        json!(str_at(object, &["preemptionPolicy"])),
    ]
}

/// RuntimeClasses: HANDLER.
pub const RUNTIME_CLASS: Printer = Printer {
    columns: &[
        NAME_COLUMN,
        // Upstream describes the column with ObjectMeta's (missing) `handler` doc: empty.
        column("Handler", "string", ""),
        AGE_COLUMN,
    ],
    row: runtime_class_row,
};

fn runtime_class_row(object: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        json!(str_at(object, &["metadata", "name"])),
        json!(str_at(object, &["handler"])),
        json!(age(object, now)),
    ]
}

/// ResourceQuotas: REQUEST and LIMIT, each `resource: used/hard` for the hard limits in
/// name order, `limits.*` resources under LIMIT.
pub const RESOURCE_QUOTA: Printer = Printer {
    columns: &[
        NAME_COLUMN,
        column(
            "Request",
            "string",
            "Request represents a minimum amount of cpu/memory that a container may consume.",
        ),
        column(
            "Limit",
            "string",
            "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.",
        ),
        AGE_COLUMN,
    ],
    row: resource_quota_row,
};

fn resource_quota_row(object: &Value, now: Timestamp) -> Vec<Value> {
    let hard = value_at(object, &["status", "hard"]).and_then(Value::as_object);
    let used = value_at(object, &["status", "used"]);
    let (mut requests, mut limits) = (Vec::new(), Vec::new());
    // serde_json's map iterates in key order, the order upstream sorts the names in.
    for (resource, hard) in hard.into_iter().flatten() {
        let used = used
            .and_then(|u| u.get(resource))
            .and_then(Value::as_str)
            .unwrap_or("0");
        let text = format!("{resource}: {used}/{}", hard.as_str().unwrap_or("0"));
        match resource.split_once('.') {
            Some(("limits", _)) => limits.push(text),
            _ => requests.push(text),
        }
    }
    vec![
        json!(str_at(object, &["metadata", "name"])),
        json!(requests.join(", ")),
        json!(limits.join(", ")),
        json!(age(object, now)),
    ]
}

/// LimitRanges: upstream's default table (NAME, CREATED AT).
pub const LIMIT_RANGE: Printer = Printer {
    columns: DEFAULT_COLUMNS,
    row: limit_range_row,
};

fn limit_range_row(object: &Value, now: Timestamp) -> Vec<Value> {
    default_row(object, now).0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::kinds::printers::testing::cells;

    #[test]
    fn pod_disruption_budget_rows() {
        let pdb = json!({"metadata": {"name": "web", "creationTimestamp": "2024-05-01T11:00:00Z"},
            "spec": {"minAvailable": 2}, "status": {"disruptionsAllowed": 1}});
        assert_eq!(
            cells(&POD_DISRUPTION_BUDGET, pdb),
            json!(["web", "2", "N/A", 1, "60m"])
        );
        let pdb = json!({"metadata": {"name": "db"}, "spec": {"maxUnavailable": "25%"}});
        assert_eq!(
            cells(&POD_DISRUPTION_BUDGET, pdb),
            json!(["db", "N/A", "25%", 0, "<unknown>"])
        );
    }

    #[test]
    fn horizontal_pod_autoscaler_rows() {
        let names: Vec<_> = HORIZONTAL_POD_AUTOSCALER
            .columns
            .iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(
            names,
            [
                "Name",
                "Reference",
                "Targets",
                "MinPods",
                "MaxPods",
                "Replicas",
                "Age"
            ]
        );
        let hpa = |metrics: Value, current: Value| {
            json!({"metadata": {"name": "web"},
                "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "minReplicas": 1,
                    "maxReplicas": 5, "metrics": metrics},
                "status": {"currentReplicas": 2, "currentMetrics": current}})
        };
        let cpu = json!({"type": "Resource", "resource": {"name": "cpu",
            "target": {"type": "Utilization", "averageUtilization": 80}}});
        let memory = json!({"type": "Resource", "resource": {"name": "memory",
            "target": {"type": "AverageValue", "averageValue": "500Mi"}}});
        let external = json!({"type": "External", "external": {"metric": {"name": "queue"},
            "target": {"type": "Value", "value": "30"}}});
        let cases = [
            (
                hpa(
                    json!([cpu]),
                    json!([{"type": "Resource", "resource": {"name": "cpu",
                    "current": {"averageUtilization": 40, "averageValue": "200m"}}}]),
                ),
                "cpu: 40%/80%",
            ),
            (hpa(json!([cpu]), json!(null)), "cpu: <unknown>/80%"),
            (
                hpa(
                    json!([memory, external]),
                    json!([{"type": "Resource", "resource": {"name": "memory",
                    "current": {"averageValue": "300Mi"}}}]),
                ),
                "memory: 300Mi/500Mi, <unknown>/30",
            ),
            (
                hpa(json!([cpu, cpu, cpu]), json!([])),
                "cpu: <unknown>/80%, cpu: <unknown>/80% + 1 more...",
            ),
            (hpa(json!([]), json!([])), "<none>"),
        ];
        for (object, expected) in cases {
            let row = cells(&HORIZONTAL_POD_AUTOSCALER, object);
            assert_eq!(
                row,
                json!(["web", "Deployment/web", expected, "1", 5, 2, "<unknown>"])
            );
        }
    }

    #[test]
    fn class_rows() {
        let pc = json!({"metadata": {"name": "high"}, "value": 1000, "globalDefault": true,
            "preemptionPolicy": "Never"});
        assert_eq!(
            cells(&PRIORITY_CLASS, pc),
            json!(["high", 1000, true, "<unknown>", "Never"])
        );
        let pc = json!({"metadata": {"name": "low"}, "value": -5});
        assert_eq!(
            cells(&PRIORITY_CLASS, pc),
            json!(["low", -5, false, "<unknown>", ""])
        );
        let rc = json!({"metadata": {"name": "gvisor"}, "handler": "runsc"});
        assert_eq!(
            cells(&RUNTIME_CLASS, rc),
            json!(["gvisor", "runsc", "<unknown>"])
        );
    }

    #[test]
    fn quota_and_limit_range_rows() {
        let quota = json!({"metadata": {"name": "q"}, "status": {
            "hard": {"requests.cpu": "2", "pods": "10", "limits.memory": "4Gi", "limits.cpu": "4"},
            "used": {"requests.cpu": "500m", "limits.cpu": "1"}}});
        assert_eq!(
            cells(&RESOURCE_QUOTA, quota),
            json!([
                "q",
                "pods: 0/10, requests.cpu: 500m/2",
                "limits.cpu: 1/4, limits.memory: 0/4Gi",
                "<unknown>"
            ])
        );
        let names: Vec<_> = LIMIT_RANGE.columns.iter().map(|c| c.name).collect();
        assert_eq!(names, ["Name", "Created At"]);
        let range =
            json!({"metadata": {"name": "limits", "creationTimestamp": "2024-05-01T11:00:00Z"}});
        assert_eq!(
            cells(&LIMIT_RANGE, range),
            json!(["limits", "2024-05-01T11:00:00Z"])
        );
    }
}
