//! What ValidatingAdmissionPolicies and their bindings (`admissionregistration.k8s.io/v1`,
//! served generically, not enforced) have of upstream's besides storage: their list
//! rules for both patch styles (the types' markers), their defaults
//! (`pkg/apis/admissionregistration/v1/defaults.go`) and their `kubectl get` columns
//! (`printValidatingAdmissionPolicy`, `printValidatingAdmissionPolicyBinding` in
//! `pkg/printers/internalversion/printers.go`).

use jiff::Timestamp;
use serde_json::{json, Map, Value};

use super::generic::Printer;
use crate::apiserver::defaults::{default_value, objects_in};
use crate::apiserver::field_rules::{
    keyed, ApplyShape, FieldRule, SmpList, ATOMIC_RULE, DEFAULT_RULE, SET_RULE,
};
use crate::apiserver::table::{age, column, str_at, value_at, AGE_COLUMN, NAME_COLUMN};

/// A ValidatingAdmissionPolicy (`k8s.io/api/admissionregistration/v1` markers): its
/// validations, audit annotations, variables and match rules are `+listType=atomic`, its
/// match conditions merge by name in both patch styles, its status conditions by type for
/// server-side apply only (no `patchStrategy` tag).
pub fn policy_field_rule(path: &[&str]) -> FieldRule {
    match path {
        ["spec", "matchConditions"] => keyed("name", &["name"]),
        ["spec", "validations" | "auditAnnotations" | "variables"] => ATOMIC_RULE,
        ["status", "typeChecking", "expressionWarnings"] => ATOMIC_RULE,
        ["status", "conditions"] => FieldRule {
            retain_keys: false,
            smp: SmpList::Replace,
            apply: ApplyShape::Keyed(&["type"]),
        },
        ["spec", "matchConstraints", rest @ ..] => match_resources(rest),
        _ => DEFAULT_RULE,
    }
}

/// A ValidatingAdmissionPolicyBinding: `validationActions` is `+listType=set`.
pub fn binding_field_rule(path: &[&str]) -> FieldRule {
    match path {
        ["spec", "validationActions"] => FieldRule {
            smp: SmpList::Replace,
            ..SET_RULE
        },
        ["spec", "matchResources", rest @ ..] => match_resources(rest),
        _ => DEFAULT_RULE,
    }
}

/// `MatchResources`: its rule lists and every list inside a rule are atomic.
fn match_resources(path: &[&str]) -> FieldRule {
    match path {
        ["resourceRules" | "excludeResourceRules", ..] => ATOMIC_RULE,
        _ => DEFAULT_RULE,
    }
}

/// `SetDefaults_ValidatingAdmissionPolicySpec` and, in `matchConstraints`, those of
/// `MatchResources` and of each rule.
pub fn default_policy(object: &mut Value) {
    let Some(spec) = object.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    default_value(spec, "failurePolicy", json!("Fail"));
    if let Some(constraints) = spec
        .get_mut("matchConstraints")
        .and_then(Value::as_object_mut)
    {
        default_match_resources(constraints);
    }
}

/// The defaults of a binding's `matchResources`.
pub fn default_binding(object: &mut Value) {
    if let Some(resources) = object
        .get_mut("spec")
        .and_then(|spec| spec.get_mut("matchResources"))
        .and_then(Value::as_object_mut)
    {
        default_match_resources(resources);
    }
}

/// `SetDefaults_MatchResources` (`matchPolicy: Equivalent`, empty selectors) and
/// `SetDefaults_Rule` (`scope: "*"`) for each of its rules.
fn default_match_resources(resources: &mut Map<String, Value>) {
    default_value(resources, "matchPolicy", json!("Equivalent"));
    default_value(resources, "namespaceSelector", json!({}));
    default_value(resources, "objectSelector", json!({}));
    for list in ["resourceRules", "excludeResourceRules"] {
        for rule in objects_in(resources, list) {
            default_value(rule, "scope", json!("*"));
        }
    }
}

/// NAME, VALIDATIONS, PARAMKIND, AGE.
pub const POLICY_PRINTER: Printer = Printer {
    columns: &[
        NAME_COLUMN,
        column(
            "Validations",
            "integer",
            "Validations indicates the number of validation rules defined in this configuration",
        ),
        column(
            "ParamKind",
            "string",
            "ParamKind specifies the kind of resources used to parameterize this policy",
        ),
        AGE_COLUMN,
    ],
    row: policy_row,
};

fn policy_row(object: &Value, now: Timestamp) -> Vec<Value> {
    let validations = value_at(object, &["spec", "validations"])
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let param_kind = match value_at(object, &["spec", "paramKind"]) {
        Some(kind) if kind.is_object() => format!(
            "{}/{}",
            str_at(kind, &["apiVersion"]),
            str_at(kind, &["kind"])
        ),
        _ => "<unset>".to_string(),
    };
    vec![
        json!(str_at(object, &["metadata", "name"])),
        json!(validations),
        json!(param_kind),
        json!(age(object, now)),
    ]
}

/// NAME, POLICYNAME, PARAMREF, AGE.
pub const BINDING_PRINTER: Printer = Printer {
    columns: &[
        NAME_COLUMN,
        column(
            "PolicyName",
            "string",
            "PolicyName indicates the policy definition which the policy binding binded to",
        ),
        column(
            "ParamRef",
            "string",
            "ParamRef indicates the param resource which sets the configration param",
        ),
        AGE_COLUMN,
    ],
    row: binding_row,
};

fn binding_row(object: &Value, now: Timestamp) -> Vec<Value> {
    let param = match value_at(object, &["spec", "paramRef"]) {
        Some(reference) if reference.is_object() => {
            let name = str_at(reference, &["name"]);
            let namespace = str_at(reference, &["namespace"]);
            match (name, namespace, reference.get("selector")) {
                ("", _, Some(selector)) if selector.is_object() => go_label_selector(selector),
                ("", _, _) => "<unset>".to_string(),
                // Upstream cannot tell a cluster-scoped parameter from here: `*/`.
                (name, "", _) => format!("*/{name}"),
                (name, namespace, _) => format!("{namespace}/{name}"),
            }
        }
        _ => "<unset>".to_string(),
    };
    vec![
        json!(str_at(object, &["metadata", "name"])),
        json!(str_at(object, &["spec", "policyName"])),
        json!(param),
        json!(age(object, now)),
    ]
}

/// A `metav1.LabelSelector` as its generated `String()` prints it, which is what
/// upstream's printer shows for a binding's parameter selector:
/// `&LabelSelector{MatchLabels:map[string]string{k: v,},MatchExpressions:[]LabelSelectorRequirement{LabelSelectorRequirement{Key:k,Operator:In,Values:[a b],},},}`.
fn go_label_selector(selector: &Value) -> String {
    let mut labels: Vec<(&String, &str)> = selector
        .get("matchLabels")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| (k, v.as_str().unwrap_or_default()))
        .collect();
    labels.sort();
    let labels: String = labels.iter().map(|(k, v)| format!("{k}: {v},")).collect();
    let expressions: String = selector
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|e| {
            let values: Vec<&str> = e
                .get("values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            format!(
                "LabelSelectorRequirement{{Key:{},Operator:{},Values:[{}],}},",
                str_at(e, &["key"]),
                str_at(e, &["operator"]),
                values.join(" ")
            )
        })
        .collect();
    format!(
        "&LabelSelector{{MatchLabels:map[string]string{{{labels}}},MatchExpressions:[]LabelSelectorRequirement{{{expressions}}},}}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_and_bindings_get_upstreams_defaults() {
        let mut policy = json!({"spec": {
            "matchConstraints": {"resourceRules": [{"apiGroups": ["apps"], "resources": ["deployments"]}]},
            "validations": [{"expression": "true"}]
        }});
        default_policy(&mut policy);
        assert_eq!(
            policy["spec"],
            json!({
                "failurePolicy": "Fail",
                "matchConstraints": {
                    "matchPolicy": "Equivalent",
                    "namespaceSelector": {},
                    "objectSelector": {},
                    "resourceRules": [{"apiGroups": ["apps"], "resources": ["deployments"], "scope": "*"}]
                },
                "validations": [{"expression": "true"}]
            })
        );
        let mut kept = json!({"spec": {"failurePolicy": "Ignore", "matchConstraints": {"matchPolicy": "Exact"}}});
        default_policy(&mut kept);
        assert_eq!(kept["spec"]["failurePolicy"], "Ignore");
        assert_eq!(kept["spec"]["matchConstraints"]["matchPolicy"], "Exact");

        let mut binding = json!({"spec": {"policyName": "p", "matchResources": {}}});
        default_binding(&mut binding);
        assert_eq!(
            binding["spec"]["matchResources"]["matchPolicy"],
            "Equivalent"
        );
        let mut bare = json!({"spec": {"policyName": "p"}});
        default_binding(&mut bare);
        assert_eq!(bare, json!({"spec": {"policyName": "p"}}));
    }

    #[test]
    fn rows_print_as_upstreams() {
        let now: Timestamp = "2024-05-01T12:00:00Z".parse().expect("time");
        let created = json!({"name": "p", "creationTimestamp": "2024-05-01T11:59:00Z"});
        let policy = json!({"metadata": created, "spec": {
            "paramKind": {"apiVersion": "v1", "kind": "ConfigMap"},
            "validations": [{"expression": "a"}, {"expression": "b"}]
        }});
        assert_eq!(
            policy_row(&policy, now),
            [json!("p"), json!(2), json!("v1/ConfigMap"), json!("60s")]
        );
        let bare = json!({"metadata": created, "spec": {}});
        assert_eq!(policy_row(&bare, now)[1..3], [json!(0), json!("<unset>")]);

        let cases = [
            (json!(null), "<unset>"),
            (json!({"name": "limits", "namespace": "team"}), "team/limits"),
            (json!({"name": "limits"}), "*/limits"),
            (
                json!({"selector": {"matchLabels": {"b": "2", "a": "1"}, "matchExpressions": [{"key": "k", "operator": "In", "values": ["x", "y"]}]}}),
                "&LabelSelector{MatchLabels:map[string]string{a: 1,b: 2,},MatchExpressions:[]LabelSelectorRequirement{LabelSelectorRequirement{Key:k,Operator:In,Values:[x y],},},}",
            ),
        ];
        for (param_ref, expected) in cases {
            let binding =
                json!({"metadata": created, "spec": {"policyName": "p", "paramRef": param_ref}});
            assert_eq!(
                binding_row(&binding, now)[1..3],
                [json!("p"), json!(expected)],
                "{param_ref}"
            );
        }
    }
}
