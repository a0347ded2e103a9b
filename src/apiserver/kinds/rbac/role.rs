//! Roles (`pkg/registry/rbac/role`): namespaced rules, written only by users who hold
//! those rules or may `escalate`.

use serde_json::Value;

use super::{authorize_role_write, rbac_field_rule, rbac_name, validate_rules};
use crate::apiserver::errors::ApiError;
use crate::apiserver::field_rules::FieldRule;
use crate::apiserver::kinds::{ResourceInfo, Strategy, WriteCheck, CRUD_VERBS};
use crate::apiserver::validation::{validate_object_meta, validate_object_meta_update, Issues};
use k8s_openapi::api::rbac::v1::Role;

/// `rbac.authorization.k8s.io/v1` `roles`.
pub const ROLES: ResourceInfo = ResourceInfo {
    group: super::GROUP,
    version: "v1",
    plural: "roles",
    singular: "role",
    kind: "Role",
    list_kind: "RoleList",
    namespaced: true,
    short_names: &[],
    categories: &[],
    verbs: CRUD_VERBS,
    subresources: &[],
    create_only: false,
    strategy: &RoleStrategy,
    schema: crate::apiserver::kinds::TypedSchema::of::<Role>(),
};

/// The role strategy; its table is the default one (NAME, CREATED AT), as upstream prints.
pub struct RoleStrategy;

impl Strategy for RoleStrategy {
    fn normalize(&self, info: &ResourceInfo, object: &Value) -> Result<Value, ApiError> {
        crate::apiserver::kinds::normalize_as::<Role>(info, object)
    }

    fn validate_create(&self, object: &Value, issues: &mut Issues) {
        validate_object_meta(object, true, rbac_name, issues);
        validate_rules(object, true, issues);
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
    fn role_rules_are_validated_with_upstreams_texts() {
        let cases = [
            (
                json!({"metadata": {"name": "r", "namespace": "ns"}, "rules": [{"apiGroups": [""], "resources": ["pods"]}]}),
                vec!["rules[0].verbs: Required value: verbs must contain at least one value"],
            ),
            (
                json!({"metadata": {"name": "r", "namespace": "ns"}, "rules": [{"verbs": ["get"], "nonResourceURLs": ["/x"]}]}),
                vec!["rules[0].nonResourceURLs: Invalid value: []string{\"/x\"}: namespaced rules cannot apply to non-resource URLs"],
            ),
            (
                json!({"metadata": {"name": "r", "namespace": "ns"}, "rules": [{"verbs": ["get"]}]}),
                vec![
                    "rules[0].apiGroups: Required value: resource rules must supply at least one api group",
                    "rules[0].resources: Required value: resource rules must supply at least one resource",
                ],
            ),
            (
                json!({"metadata": {"name": "a/b", "namespace": "ns"}}),
                vec!["metadata.name: Invalid value: \"a/b\": may not contain '/'"],
            ),
            (
                json!({"metadata": {"name": "system:Role_1", "namespace": "ns"}, "rules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}]}),
                vec![],
            ),
        ];
        for (role, expected) in cases {
            assert_eq!(create_errors(&ROLES, role.clone()), expected, "{role}");
        }
    }
}
