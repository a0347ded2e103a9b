//! Printers of Ingresses, IngressClasses and NetworkPolicies (`printIngress`,
//! `printIngressClass`, `printNetworkPolicy` in `pkg/printers/internalversion/printers.go`).

use std::collections::BTreeSet;

use jiff::Timestamp;
use serde_json::{json, Value};

use super::format_label_selector;
use crate::apiserver::kinds::generic::Printer;
use crate::apiserver::table::{age, column, str_at, value_at, AGE_COLUMN, NAME_COLUMN};

/// Hosts shown before `+ N more...`.
const MAX_HOSTS: usize = 3;

/// Ingresses: CLASS, HOSTS, ADDRESS, PORTS.
pub const INGRESS: Printer = Printer {
    columns: &[
        NAME_COLUMN,
        column(
            "Class",
            "string",
            "The name of the IngressClass resource that should be used for additional configuration",
        ),
        column(
            "Hosts",
            "string",
            "Hosts that incoming requests are matched against before the ingress rule",
        ),
        column(
            "Address",
            "string",
            "Address is a list containing ingress points for the load-balancer",
        ),
        column("Ports", "string", "Ports of TLS configurations that open"),
        AGE_COLUMN,
    ],
    row: ingress_row,
};

fn ingress_row(object: &Value, now: Timestamp) -> Vec<Value> {
    let class = value_at(object, &["spec", "ingressClassName"])
        .and_then(Value::as_str)
        .unwrap_or("<none>");
    let has_tls = value_at(object, &["spec", "tls"])
        .and_then(Value::as_array)
        .is_some_and(|tls| !tls.is_empty());
    vec![
        json!(str_at(object, &["metadata", "name"])),
        json!(class),
        json!(hosts(object)),
        json!(addresses(object)),
        json!(if has_tls { "80, 443" } else { "80" }),
        json!(age(object, now)),
    ]
}

/// `formatHosts`: the first three rule hosts, `*` when no rule names one, and how many
/// rules are left out.
fn hosts(ingress: &Value) -> String {
    let rules = value_at(ingress, &["spec", "rules"])
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut list = Vec::new();
    let mut more = false;
    for rule in rules {
        if list.len() == MAX_HOSTS {
            more = true;
        }
        let host = str_at(rule, &["host"]);
        if !more && !host.is_empty() {
            list.push(host);
        }
    }
    if list.is_empty() {
        return "*".to_string();
    }
    let joined = list.join(",");
    if more {
        format!("{joined} + {} more...", rules.len() - MAX_HOSTS)
    } else {
        joined
    }
}

/// The load balancer's IPs (or hostnames where there is no IP), sorted and deduplicated;
/// never clipped, as the server prints wide.
fn addresses(ingress: &Value) -> String {
    let entries =
        value_at(ingress, &["status", "loadBalancer", "ingress"]).and_then(Value::as_array);
    let addresses: BTreeSet<&str> = entries
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            [str_at(entry, &["ip"]), str_at(entry, &["hostname"])]
                .into_iter()
                .find(|a| !a.is_empty())
        })
        .collect();
    addresses.into_iter().collect::<Vec<_>>().join(",")
}

/// IngressClasses: CONTROLLER, PARAMETERS (`Kind.group/name`).
pub const INGRESS_CLASS: Printer = Printer {
    columns: &[
        NAME_COLUMN,
        column(
            "Controller",
            "string",
            "Controller that is responsible for handling this class",
        ),
        column(
            "Parameters",
            "string",
            "A reference to a resource with additional parameters",
        ),
        AGE_COLUMN,
    ],
    row: ingress_class_row,
};

fn ingress_class_row(object: &Value, now: Timestamp) -> Vec<Value> {
    let parameters = match value_at(object, &["spec", "parameters"]).filter(|p| p.is_object()) {
        Some(parameters) => {
            let kind = str_at(parameters, &["kind"]);
            let name = str_at(parameters, &["name"]);
            match parameters.get("apiGroup").and_then(Value::as_str) {
                Some(group) => format!("{kind}.{group}/{name}"),
                None => format!("{kind}/{name}"),
            }
        }
        None => "<none>".to_string(),
    };
    vec![
        json!(str_at(object, &["metadata", "name"])),
        json!(str_at(object, &["spec", "controller"])),
        json!(parameters),
        json!(age(object, now)),
    ]
}

/// NetworkPolicies: POD-SELECTOR.
pub const NETWORK_POLICY: Printer = Printer {
    columns: &[
        NAME_COLUMN,
        column(
            "Pod-Selector",
            "string",
            "podSelector selects the pods to which this NetworkPolicy object applies. The array of ingress rules is applied to any pods selected by this field. Multiple network policies can select the same set of pods. In this case, the ingress rules for each are combined additively. This field is NOT optional and follows standard label selector semantics. An empty podSelector matches all pods in this namespace.",
        ),
        AGE_COLUMN,
    ],
    row: network_policy_row,
};

fn network_policy_row(object: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        json!(str_at(object, &["metadata", "name"])),
        json!(format_label_selector(value_at(
            object,
            &["spec", "podSelector"]
        ))),
        json!(age(object, now)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::kinds::printers::testing::cells;

    #[test]
    fn ingress_rows() {
        let names: Vec<_> = INGRESS.columns.iter().map(|c| c.name).collect();
        assert_eq!(names, ["Name", "Class", "Hosts", "Address", "Ports", "Age"]);
        let cases = [
            (
                json!({"metadata": {"name": "web", "creationTimestamp": "2024-05-01T11:00:00Z"},
                    "spec": {"ingressClassName": "nginx", "tls": [{"hosts": ["a.example"]}],
                        "rules": [{"host": "a.example"}, {}, {"host": "b.example"}]},
                    "status": {"loadBalancer": {"ingress": [{"ip": "10.0.0.2"}, {"hostname": "lb.example"}, {"ip": "10.0.0.1"}]}}}),
                json!([
                    "web",
                    "nginx",
                    "a.example,b.example",
                    "10.0.0.1,10.0.0.2,lb.example",
                    "80, 443",
                    "60m"
                ]),
            ),
            (
                json!({"metadata": {"name": "any"}, "spec": {"rules": [{}]}}),
                json!(["any", "<none>", "*", "", "80", "<unknown>"]),
            ),
            (
                json!({"metadata": {"name": "many"}, "spec": {"rules": [
                    {"host": "a"}, {"host": "b"}, {"host": "c"}, {"host": "d"}, {"host": "e"}]}}),
                json!(["many", "<none>", "a,b,c + 2 more...", "", "80", "<unknown>"]),
            ),
        ];
        for (object, expected) in cases {
            assert_eq!(cells(&INGRESS, object), expected);
        }
    }

    #[test]
    fn ingress_class_and_network_policy_rows() {
        let class = json!({"metadata": {"name": "nginx"}, "spec": {"controller": "k8s.io/ingress-nginx",
            "parameters": {"apiGroup": "k8s.example.com", "kind": "IngressParameters", "name": "p"}}});
        assert_eq!(
            cells(&INGRESS_CLASS, class),
            json!([
                "nginx",
                "k8s.io/ingress-nginx",
                "IngressParameters.k8s.example.com/p",
                "<unknown>"
            ])
        );
        let core = json!({"metadata": {"name": "c"}, "spec": {"controller": "x",
            "parameters": {"kind": "ConfigMap", "name": "cm"}}});
        assert_eq!(cells(&INGRESS_CLASS, core)[2], "ConfigMap/cm");
        let bare = json!({"metadata": {"name": "b"}, "spec": {"controller": "x"}});
        assert_eq!(cells(&INGRESS_CLASS, bare)[2], "<none>");

        let policy = json!({"metadata": {"name": "deny"}, "spec": {"podSelector": {}}});
        assert_eq!(cells(&NETWORK_POLICY, policy)[1], "<none>");
        let policy = json!({"metadata": {"name": "db"}, "spec": {"podSelector": {"matchLabels": {"app": "db"}}}});
        assert_eq!(cells(&NETWORK_POLICY, policy)[1], "app=db");
    }
}
