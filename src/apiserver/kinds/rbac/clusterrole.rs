//! ClusterRoles (`pkg/registry/rbac/clusterrole`): cluster-wide rules, possibly gathered
//! from other ClusterRoles by an `aggregationRule` (filled in by the aggregation
//! controller, [`crate::apiserver::authz::rbac::aggregation`]).

use serde_json::Value;

use super::{authorize_role_write, rbac_field_rule, rbac_name, validate_rules};
use crate::apiserver::errors::ApiError;
use crate::apiserver::field_rules::FieldRule;
use crate::apiserver::kinds::{ResourceInfo, Strategy, WriteCheck, CRUD_VERBS};
use crate::apiserver::validation::{validate_object_meta, validate_object_meta_update, Issues};
use k8s_openapi::api::rbac::v1::ClusterRole;

/// `rbac.authorization.k8s.io/v1` `clusterroles`.
pub const CLUSTER_ROLES: ResourceInfo = ResourceInfo {
    group: super::GROUP,
    version: "v1",
    plural: "clusterroles",
    singular: "clusterrole",
    kind: "ClusterRole",
    list_kind: "ClusterRoleList",
    namespaced: false,
    short_names: &[],
    categories: &[],
    verbs: CRUD_VERBS,
    subresources: &[],
    create_only: false,
    strategy: &ClusterRoleStrategy,
    schema: crate::apiserver::kinds::TypedSchema::of::<ClusterRole>(),
};

/// The cluster role strategy; its table is the default one (NAME, CREATED AT).
pub struct ClusterRoleStrategy;

impl Strategy for ClusterRoleStrategy {
    fn normalize(&self, info: &ResourceInfo, object: &Value) -> Result<Value, ApiError> {
        crate::apiserver::kinds::normalize_as::<ClusterRole>(info, object)
    }

    fn validate_create(&self, object: &Value, issues: &mut Issues) {
        validate_object_meta(object, false, rbac_name, issues);
        validate_rules(object, false, issues);
        if let Some(rule) = object.get("aggregationRule").filter(|r| r.is_object()) {
            let selectors = rule["clusterRoleSelectors"].as_array().map_or(0, Vec::len);
            if selectors == 0 {
                issues.required_because(
                    "aggregationRule.clusterRoleSelectors",
                    "at least one clusterRoleSelector required if aggregationRule is non-nil",
                );
            }
        }
    }

    fn validate_update(&self, old: &Value, new: &Value, issues: &mut Issues) {
        self.validate_create(new, issues);
        validate_object_meta_update(old, new, issues);
    }

    fn field_rule(&self, path: &[&str]) -> FieldRule {
        rbac_field_rule(path)
    }

    fn authorize_write(&self, check: &WriteCheck<'_>) -> Result<(), ApiError> {
        authorize_role_write(check)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::validation::testing::create_errors;
    use serde_json::json;

    #[test]
    fn cluster_role_rules_and_aggregation_are_validated() {
        let cases = [
            (
                json!({"metadata": {"name": "c"}, "aggregationRule": {}}),
                vec!["aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil"],
            ),
            (
                json!({"metadata": {"name": "c"}, "rules": [{"verbs": ["get"], "nonResourceURLs": ["/healthz"]}]}),
                vec![],
            ),
            (
                json!({"metadata": {"name": "c"}, "rules": [{"verbs": ["get"], "resources": ["pods"], "nonResourceURLs": ["/healthz"]}]}),
                vec!["rules[0].nonResourceURLs: Invalid value: []string{\"/healthz\"}: rules cannot apply to both regular resources and non-resource URLs"],
            ),
        ];
        for (role, expected) in cases {
            assert_eq!(
                create_errors(&CLUSTER_ROLES, role.clone()),
                expected,
                "{role}"
            );
        }
    }
}
