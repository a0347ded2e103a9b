//! Nodes (`pkg/registry/core/node/strategy.go`): cluster-scoped, a `status` subresource
//! (a node registers with its status, which ordinary updates keep), the
//! `spec.unschedulable` field selector and `kubectl get nodes`' columns.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::{ResourceInfo, Strategy, CRUD_VERBS};
use crate::apiserver::errors::ApiError;
use crate::apiserver::field_rules::{keyed, FieldRule, ATOMIC_RULE, DEFAULT_RULE, SET_RULE};
use crate::apiserver::table::{self, column, Column, AGE_COLUMN, NAME_COLUMN};
use crate::apiserver::validation::{
    items, name_is_dns_subdomain, str_at, validate_object_meta, validate_object_meta_update, Issues,
};
use k8s_openapi::api::core::v1::Node;

/// `v1` `nodes`.
pub const NODES: ResourceInfo = ResourceInfo {
    group: "",
    version: "v1",
    plural: "nodes",
    singular: "node",
    kind: "Node",
    list_kind: "NodeList",
    namespaced: false,
    short_names: &["no"],
    categories: &[],
    verbs: CRUD_VERBS,
    subresources: &["status"],
    create_only: false,
    strategy: &NodeStrategy,
    schema: super::TypedSchema::of::<Node>(),
};

/// Labels naming a node's roles: `node-role.kubernetes.io/<role>` and `kubernetes.io/role`.
const ROLE_LABEL_PREFIX: &str = "node-role.kubernetes.io/";
const ROLE_LABEL: &str = "kubernetes.io/role";

const fn wide(column: Column) -> Column {
    Column {
        priority: 1,
        ..column
    }
}

const ADDRESSES: &str = "List of addresses reachable to the node. Queried from cloud provider, if available. More info: https://kubernetes.io/docs/reference/node/node-status/#addresses Note: This field is declared as mergeable, but the merge key is not sufficiently unique, which can cause data corruption when it is merged. Callers should instead use a full-replacement patch. See https://pr.k8s.io/79391 for an example. Consumers should assume that addresses can change during the lifetime of a Node. However, there are some exceptions where this may not be possible, such as Pods that inherit a Node's address in its own status or consumers of the downward API (status.hostIP).";

const COLUMNS: &[Column] = &[
    NAME_COLUMN,
    column("Status", "string", "The status of the node"),
    column("Roles", "string", "The roles of the node"),
    AGE_COLUMN,
    column("Version", "string", "Kubelet Version reported by the node."),
    wide(column("Internal-IP", "string", ADDRESSES)),
    wide(column("External-IP", "string", ADDRESSES)),
    wide(column("OS-Image", "string", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).")),
    wide(column("Kernel-Version", "string", "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).")),
    wide(column("Container-Runtime", "string", "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).")),
];

/// The node strategy.
pub struct NodeStrategy;

impl Strategy for NodeStrategy {
    fn normalize(&self, info: &ResourceInfo, object: &Value) -> Result<Value, ApiError> {
        super::normalize_as::<Node>(info, object)
    }

    /// `SetDefaults_NodeStatus`: a status with a capacity and no allocatable gets the
    /// capacity as its allocatable.
    fn default(&self, object: &mut Value) {
        let Some(status) = object.get_mut("status").and_then(Value::as_object_mut) else {
            return;
        };
        if status.get("allocatable").is_none_or(Value::is_null) {
            if let Some(capacity) = status.get("capacity").filter(|c| c.is_object()).cloned() {
                status.insert("allocatable".to_string(), capacity);
            }
        }
    }

    fn keeps_status_on_create(&self) -> bool {
        true
    }

    fn validate_create(&self, object: &Value, issues: &mut Issues) {
        validate_object_meta(object, false, name_is_dns_subdomain, issues);
    }

    fn validate_update(&self, old: &Value, new: &Value, issues: &mut Issues) {
        validate_object_meta_update(old, new, issues);
        validate_object_meta(new, false, name_is_dns_subdomain, issues);
        // A pod CIDR, once set, stays (`ValidateNodeUpdate`).
        let old_cidrs = &old["spec"]["podCIDRs"];
        if !old_cidrs.is_null() && old_cidrs != &new["spec"]["podCIDRs"] {
            issues.forbidden(
                "spec.podCIDRs",
                "node updates may not change podCIDR except from \"\" to valid",
            );
        }
    }

    fn field_rule(&self, path: &[&str]) -> FieldRule {
        match path {
            ["spec", "podCIDRs"] => SET_RULE,
            ["spec", "taints"] => ATOMIC_RULE,
            ["status", "conditions" | "addresses"] => keyed("type", &["type"]),
            ["status", "images" | "volumesInUse" | "volumesAttached"] => ATOMIC_RULE,
            _ => DEFAULT_RULE,
        }
    }

    fn table_columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn table_row(&self, object: &Value, now: jiff::Timestamp) -> (Vec<Value>, Option<Value>) {
        let info = &object["status"]["nodeInfo"];
        let or_unknown = |key: &str| match info[key].as_str().unwrap_or_default() {
            "" => "<unknown>".to_string(),
            value => value.to_string(),
        };
        let cells = vec![
            json!(str_at(object, &["metadata", "name"])),
            json!(node_status(object)),
            json!(roles(object)),
            json!(table::age(object, now)),
            json!(info["kubeletVersion"].as_str().unwrap_or_default()),
            json!(address(object, "InternalIP")),
            json!(address(object, "ExternalIP")),
            json!(or_unknown("osImage")),
            json!(or_unknown("kernelVersion")),
            json!(or_unknown("containerRuntimeVersion")),
        ];
        (cells, None)
    }

    /// `metadata.name` and `spec.unschedulable` (`NodeToSelectableFields`).
    fn convert_field_label(&self, label: &str) -> Result<String, String> {
        match label {
            "metadata.name" | "spec.unschedulable" => Ok(label.to_string()),
            _ => Err(format!("field label not supported: {label}")),
        }
    }

    fn field_value(&self, object: &Value, field: &str) -> String {
        match field {
            "metadata.name" => str_at(object, &["metadata", "name"]).to_string(),
            "spec.unschedulable" => object["spec"]["unschedulable"]
                .as_bool()
                .unwrap_or(false)
                .to_string(),
            _ => String::new(),
        }
    }
}

/// `Ready`, `NotReady` or `Unknown`, then `SchedulingDisabled` for a cordoned node.
fn node_status(node: &Value) -> String {
    let ready = items(node["status"].get("conditions"))
        .iter()
        .rev()
        .find(|c| c["type"] == "Ready")
        .map(|c| {
            if c["status"] == "True" {
                "Ready"
            } else {
                "NotReady"
            }
        });
    let mut status = vec![ready.unwrap_or("Unknown")];
    if node["spec"]["unschedulable"].as_bool() == Some(true) {
        status.push("SchedulingDisabled");
    }
    status.join(",")
}

/// The roles from the role labels, sorted, or `<none>` (`findNodeRoles`).
fn roles(node: &Value) -> String {
    let mut roles = BTreeSet::new();
    if let Some(labels) = node["metadata"]["labels"].as_object() {
        for (key, value) in labels {
            if let Some(role) = key
                .strip_prefix(ROLE_LABEL_PREFIX)
                .filter(|r| !r.is_empty())
            {
                roles.insert(role.to_string());
            } else if key == ROLE_LABEL {
                if let Some(role) = value.as_str().filter(|r| !r.is_empty()) {
                    roles.insert(role.to_string());
                }
            }
        }
    }
    if roles.is_empty() {
        "<none>".to_string()
    } else {
        roles.into_iter().collect::<Vec<_>>().join(",")
    }
}

/// The first address of a type, or `<none>`.
fn address(node: &Value, kind: &str) -> String {
    items(node["status"].get("addresses"))
        .iter()
        .find(|a| a["type"] == kind)
        .and_then(|a| a["address"].as_str())
        .unwrap_or("<none>")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::table::testing::{column_names, now};
    use crate::apiserver::table::{table, IncludeObject};

    #[test]
    fn kubectl_get_nodes_cells() {
        let node = json!({"metadata": {"name": "n1", "creationTimestamp": "2024-05-01T11:59:55Z",
                "labels": {"node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/worker": "", "kubernetes.io/role": "edge"}},
            "spec": {"unschedulable": true},
            "status": {"conditions": [{"type": "Ready", "status": "True"}],
                       "addresses": [{"type": "InternalIP", "address": "10.0.0.5"}],
                       "nodeInfo": {"kubeletVersion": "v1.33.0", "osImage": "Debian"}}});
        let bare = json!({"metadata": {"name": "n2"}});
        let t = table(
            &NODES,
            &[&node, &bare],
            json!({}),
            IncludeObject::None,
            now(),
        );
        assert_eq!(column_names(&t).len(), 10);
        assert_eq!(
            t["rows"][0]["cells"],
            json!([
                "n1",
                "Ready,SchedulingDisabled",
                "control-plane,edge,worker",
                "5s",
                "v1.33.0",
                "10.0.0.5",
                "<none>",
                "Debian",
                "<unknown>",
                "<unknown>"
            ])
        );
        assert_eq!(t["rows"][1]["cells"][1], "Unknown");
        assert_eq!(t["rows"][1]["cells"][2], "<none>");
    }

    #[test]
    fn allocatable_defaults_to_the_capacity() {
        let cases = [
            (json!({"capacity": {"cpu": "4"}}), json!({"cpu": "4"})),
            (
                json!({"capacity": {"cpu": "4"}, "allocatable": null}),
                json!({"cpu": "4"}),
            ),
            (
                json!({"capacity": {"cpu": "4"}, "allocatable": {"cpu": "3"}}),
                json!({"cpu": "3"}),
            ),
            (
                json!({"capacity": {"cpu": "4"}, "allocatable": {}}),
                json!({}),
            ),
            (json!({}), Value::Null),
        ];
        for (status, allocatable) in cases {
            let mut node = json!({"metadata": {"name": "n"}, "status": status.clone()});
            NodeStrategy.default(&mut node);
            assert_eq!(node["status"]["allocatable"], allocatable, "{status}");
        }
        let mut bare = json!({"metadata": {"name": "n"}});
        NodeStrategy.default(&mut bare);
        assert_eq!(bare, json!({"metadata": {"name": "n"}}));
    }
}
