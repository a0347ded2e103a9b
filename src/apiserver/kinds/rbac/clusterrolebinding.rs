//! ClusterRoleBindings (`pkg/registry/rbac/clusterrolebinding`): grant a ClusterRole in
//! every namespace; `roleRef` is immutable, and a user who may not `bind` the role must
//! hold its rules cluster-wide.

use serde_json::Value;

use super::{
    authorize_binding_write, binding_row, default_binding, rbac_field_rule, rbac_name,
    validate_binding, validate_role_ref_unchanged, BINDING_COLUMNS,
};
use crate::apiserver::errors::ApiError;
use crate::apiserver::field_rules::FieldRule;
use crate::apiserver::kinds::{ResourceInfo, Strategy, WriteCheck, CRUD_VERBS};
use crate::apiserver::table::Column;
use crate::apiserver::validation::{validate_object_meta, validate_object_meta_update, Issues};
use k8s_openapi::api::rbac::v1::ClusterRoleBinding;

/// `rbac.authorization.k8s.io/v1` `clusterrolebindings`.
pub const CLUSTER_ROLE_BINDINGS: ResourceInfo = ResourceInfo {
    group: super::GROUP,
    version: "v1",
    plural: "clusterrolebindings",
    singular: "clusterrolebinding",
    kind: "ClusterRoleBinding",
    list_kind: "ClusterRoleBindingList",
    namespaced: false,
    short_names: &[],
    categories: &[],
    verbs: CRUD_VERBS,
    subresources: &[],
    create_only: false,
    strategy: &ClusterRoleBindingStrategy,
    schema: crate::apiserver::kinds::TypedSchema::of::<ClusterRoleBinding>(),
};

/// The cluster role binding strategy.
pub struct ClusterRoleBindingStrategy;

impl Strategy for ClusterRoleBindingStrategy {
    fn normalize(&self, info: &ResourceInfo, object: &Value) -> Result<Value, ApiError> {
        crate::apiserver::kinds::normalize_as::<ClusterRoleBinding>(info, object)
    }

    fn default(&self, object: &mut Value) {
        default_binding(object);
    }

    fn validate_create(&self, object: &Value, issues: &mut Issues) {
        validate_object_meta(object, false, rbac_name, issues);
        validate_binding(object, &["ClusterRole"], false, issues);
    }

    fn validate_update(&self, old: &Value, new: &Value, issues: &mut Issues) {
        self.validate_create(new, issues);
        validate_object_meta_update(old, new, issues);
        validate_role_ref_unchanged(old, new, issues);
    }

    fn field_rule(&self, path: &[&str]) -> FieldRule {
        rbac_field_rule(path)
    }

    fn table_columns(&self) -> &'static [Column] {
        BINDING_COLUMNS
    }

    fn table_row(&self, object: &Value, now: jiff::Timestamp) -> (Vec<Value>, Option<Value>) {
        binding_row(object, now)
    }

    fn authorize_write(&self, check: &WriteCheck<'_>) -> Result<(), ApiError> {
        authorize_binding_write(check)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::validation::testing::create_errors;
    use serde_json::json;

    #[test]
    fn cluster_bindings_need_a_cluster_role_and_account_namespaces() {
        let binding = json!({"metadata": {"name": "b"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
            "subjects": [{"kind": "ServiceAccount", "name": "robot"}]});
        assert_eq!(
            create_errors(&CLUSTER_ROLE_BINDINGS, binding),
            vec![
                "roleRef.kind: Unsupported value: \"Role\": supported values: \"ClusterRole\"",
                "subjects[0].namespace: Required value",
            ]
        );
    }
}
