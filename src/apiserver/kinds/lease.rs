//! Leases (`pkg/registry/coordination/lease/strategy.go`): what leader election and node
//! heartbeats write, with `kubectl get leases`' HOLDER column.

use serde_json::{json, Value};

use super::{ResourceInfo, Strategy, CRUD_VERBS};
use crate::apiserver::errors::ApiError;
use crate::apiserver::table::{self, column, Column, AGE_COLUMN, NAME_COLUMN};
use crate::apiserver::validation::{
    name_is_dns_subdomain, validate_object_meta, validate_object_meta_update, Issues,
    IS_NEGATIVE_ERR,
};
use k8s_openapi::api::coordination::v1::Lease;

/// `coordination.k8s.io/v1` `leases`.
pub const LEASES: ResourceInfo = ResourceInfo {
    group: "coordination.k8s.io",
    version: "v1",
    plural: "leases",
    singular: "lease",
    kind: "Lease",
    list_kind: "LeaseList",
    namespaced: true,
    short_names: &[],
    categories: &[],
    verbs: CRUD_VERBS,
    subresources: &[],
    create_only: false,
    strategy: &LeaseStrategy,
    schema: super::TypedSchema::of::<Lease>(),
};

const COLUMNS: &[Column] = &[
    NAME_COLUMN,
    column("Holder", "string", "holderIdentity contains the identity of the holder of a current lease. If Coordinated Leader Election is used, the holder identity must be equal to the elected LeaseCandidate.metadata.name field."),
    AGE_COLUMN,
];

/// The lease strategy.
pub struct LeaseStrategy;

impl Strategy for LeaseStrategy {
    fn normalize(&self, info: &ResourceInfo, object: &Value) -> Result<Value, ApiError> {
        super::normalize_as::<Lease>(info, object)
    }

    fn validate_create(&self, object: &Value, issues: &mut Issues) {
        validate_lease(object, issues);
    }

    fn validate_update(&self, old: &Value, new: &Value, issues: &mut Issues) {
        validate_object_meta_update(old, new, issues);
        validate_lease(new, issues);
    }

    fn table_columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn table_row(&self, object: &Value, now: jiff::Timestamp) -> (Vec<Value>, Option<Value>) {
        let holder = match table::str_at(object, &["spec", "holderIdentity"]) {
            "" => "<none>",
            holder => holder,
        };
        let cells = vec![
            json!(table::str_at(object, &["metadata", "name"])),
            json!(holder),
            json!(table::age(object, now)),
        ];
        (cells, None)
    }
}

/// `ValidateLease`: metadata, and durations and transitions that are not negative.
fn validate_lease(lease: &Value, issues: &mut Issues) {
    validate_object_meta(lease, true, name_is_dns_subdomain, issues);
    for field in ["leaseDurationSeconds", "leaseTransitions"] {
        if let Some(n) = lease["spec"][field].as_i64() {
            let bad = if field == "leaseDurationSeconds" {
                n <= 0
            } else {
                n < 0
            };
            if bad {
                let detail = if field == "leaseDurationSeconds" {
                    "must be greater than 0"
                } else {
                    IS_NEGATIVE_ERR
                };
                issues.invalid_rendered(format!("spec.{field}"), n.to_string(), detail);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::table::testing::now;
    use crate::apiserver::table::{table, IncludeObject};
    use crate::apiserver::validation::testing::create_errors;

    #[test]
    fn lease_holder_cell_and_rules() {
        let held = json!({"metadata": {"name": "kube-sa"}, "spec": {"holderIdentity": "pod-a"}});
        let free = json!({"metadata": {"name": "idle"}, "spec": {}});
        let t = table(
            &LEASES,
            &[&held, &free],
            json!({}),
            IncludeObject::None,
            now(),
        );
        assert_eq!(t["rows"][0]["cells"][1], "pod-a");
        assert_eq!(t["rows"][1]["cells"][1], "<none>");
        let errors = create_errors(
            &LEASES,
            json!({"metadata": {"name": "l", "namespace": "ns"}, "spec": {"leaseDurationSeconds": 0, "leaseTransitions": -1}}),
        );
        assert_eq!(
            errors,
            vec![
                "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0",
                "spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0",
            ]
        );
    }
}
