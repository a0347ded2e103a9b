//! Endpoints (`pkg/registry/core/endpoint/strategy.go`): the addresses behind a Service,
//! with upstream's `kubectl get ep` column; deprecated since 1.33, so every request on it
//! carries upstream's warning ([`crate::apiserver::deprecation`]).

use serde_json::{json, Value};

use super::{ResourceInfo, Strategy, CRUD_VERBS};
use crate::apiserver::deprecation::Lifecycle;
use crate::apiserver::errors::ApiError;
use crate::apiserver::field_rules::{FieldRule, ATOMIC_RULE, DEFAULT_RULE};
use crate::apiserver::table::{self, column, Column, AGE_COLUMN, NAME_COLUMN};
use crate::apiserver::validation::{
    items, name_is_dns_subdomain, validate_object_meta, validate_object_meta_update, Issues,
};
use k8s_openapi::api::core::v1::Endpoints;

/// `v1` `endpoints`.
pub const ENDPOINTS: ResourceInfo = ResourceInfo {
    group: "",
    version: "v1",
    plural: "endpoints",
    singular: "endpoints",
    kind: "Endpoints",
    list_kind: "EndpointsList",
    namespaced: true,
    short_names: &["ep"],
    categories: &[],
    verbs: CRUD_VERBS,
    subresources: &[],
    create_only: false,
    strategy: &EndpointsStrategy,
    schema: super::TypedSchema::of::<Endpoints>(),
};

/// How many addresses the ENDPOINTS cell shows before `+ N more...`.
const SHOWN: usize = 3;

const COLUMNS: &[Column] = &[
    NAME_COLUMN,
    column("Endpoints", "string", "The set of all endpoints is the union of all subsets. Addresses are placed into subsets according to the IPs they share. A single address with multiple ports, some of which are ready and some of which are not (because they come from different containers) will result in the address being displayed in different subsets for the different ports. No address will appear in both Addresses and NotReadyAddresses in the same subset. Sets of addresses and ports that comprise a service."),
    AGE_COLUMN,
];

/// The endpoints strategy.
pub struct EndpointsStrategy;

impl Strategy for EndpointsStrategy {
    fn normalize(&self, info: &ResourceInfo, object: &Value) -> Result<Value, ApiError> {
        super::normalize_as::<Endpoints>(info, object)
    }

    fn validate_create(&self, object: &Value, issues: &mut Issues) {
        validate_object_meta(object, true, name_is_dns_subdomain, issues);
    }

    fn validate_update(&self, old: &Value, new: &Value, issues: &mut Issues) {
        validate_object_meta_update(old, new, issues);
        validate_object_meta(new, true, name_is_dns_subdomain, issues);
    }

    /// `subsets` has no patch strategy: replaced as a whole.
    fn field_rule(&self, path: &[&str]) -> FieldRule {
        match path {
            ["subsets"] => ATOMIC_RULE,
            _ => DEFAULT_RULE,
        }
    }

    /// Deprecated in 1.33 for EndpointSlice (k8s.io/api core/v1 `Endpoints`'
    /// `prerelease-lifecycle-gen:deprecated=1.33` and `replacement` tags, KEP-4974).
    fn lifecycle(&self) -> Option<Lifecycle> {
        Some(Lifecycle {
            deprecated: (1, 33),
            removed: None,
            replacement: Some(("discovery.k8s.io/v1", "EndpointSlice")),
        })
    }

    fn table_columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn table_row(&self, object: &Value, now: jiff::Timestamp) -> (Vec<Value>, Option<Value>) {
        let cells = vec![
            json!(table::str_at(object, &["metadata", "name"])),
            json!(format_endpoints(object)),
            json!(table::age(object, now)),
        ];
        (cells, None)
    }
}

/// `ip:port` for every ready address and port (bare IPs for a subset without ports), the
/// first three, then `+ N more...` (upstream's `formatEndpoints`).
fn format_endpoints(endpoints: &Value) -> String {
    let subsets = items(endpoints.get("subsets"));
    if subsets.is_empty() {
        return "<none>".to_string();
    }
    let mut shown: Vec<String> = Vec::new();
    let mut count = 0;
    for subset in subsets {
        let addresses: Vec<&str> = items(subset.get("addresses"))
            .iter()
            .map(|a| a["ip"].as_str().unwrap_or_default())
            .collect();
        let ports = items(subset.get("ports"));
        if ports.is_empty() {
            count += addresses.len();
            for ip in &addresses {
                if shown.len() < SHOWN {
                    shown.push(ip.to_string());
                }
            }
            continue;
        }
        for port in ports {
            count += addresses.len();
            let number = port["port"].as_i64().unwrap_or(0);
            for ip in &addresses {
                if shown.len() < SHOWN {
                    let host = if ip.contains(':') {
                        format!("[{ip}]")
                    } else {
                        ip.to_string()
                    };
                    shown.push(format!("{host}:{number}"));
                }
            }
        }
    }
    let listed = shown.join(",");
    if count > SHOWN {
        format!("{listed} + {} more...", count - SHOWN)
    } else {
        listed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_cell_lists_three_then_counts() {
        let cases = [
            (json!({}), "<none>"),
            (
                json!({"subsets": [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 6443}]}]}),
                "10.0.0.1:6443",
            ),
            (
                json!({"subsets": [{"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}, {"ip": "fd00::3"}, {"ip": "10.0.0.4"}, {"ip": "10.0.0.5"}],
                                    "ports": [{"port": 80}]}]}),
                "10.0.0.1:80,10.0.0.2:80,[fd00::3]:80 + 2 more...",
            ),
            (
                json!({"subsets": [{"addresses": [{"ip": "10.0.0.1"}]}]}),
                "10.0.0.1",
            ),
        ];
        for (endpoints, expected) in cases {
            assert_eq!(format_endpoints(&endpoints), expected, "{endpoints}");
        }
    }
}
