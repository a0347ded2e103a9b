//! RoleBindings (`pkg/registry/rbac/rolebinding`): grant a Role of the namespace or a
//! ClusterRole within the namespace; `roleRef` is immutable, and a user who may not
//! `bind` the role must hold its rules.

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
use k8s_openapi::api::rbac::v1::RoleBinding;

/// `rbac.authorization.k8s.io/v1` `rolebindings`.
pub const ROLE_BINDINGS: ResourceInfo = ResourceInfo {
    group: super::GROUP,
    version: "v1",
    plural: "rolebindings",
    singular: "rolebinding",
    kind: "RoleBinding",
    list_kind: "RoleBindingList",
    namespaced: true,
    short_names: &[],
    categories: &[],
    verbs: CRUD_VERBS,
    subresources: &[],
    create_only: false,
    strategy: &RoleBindingStrategy,
    schema: crate::apiserver::kinds::TypedSchema::of::<RoleBinding>(),
};

/// The role binding strategy.
pub struct RoleBindingStrategy;

impl Strategy for RoleBindingStrategy {
    fn normalize(&self, info: &ResourceInfo, object: &Value) -> Result<Value, ApiError> {
        crate::apiserver::kinds::normalize_as::<RoleBinding>(info, object)
    }

    fn default(&self, object: &mut Value) {
        default_binding(object);
    }

    fn validate_create(&self, object: &Value, issues: &mut Issues) {
        validate_object_meta(object, true, rbac_name, issues);
        validate_binding(object, &["Role", "ClusterRole"], true, issues);
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
    use crate::apiserver::table::testing::{column_names, now};
    use crate::apiserver::table::{table, IncludeObject};
    use crate::apiserver::validation::testing::{create_errors, update_errors};
    use serde_json::json;

    fn binding() -> Value {
        json!({"metadata": {"name": "b", "namespace": "ns", "creationTimestamp": "2024-05-01T11:59:55Z"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
            "subjects": [
                {"kind": "ServiceAccount", "name": "robot", "namespace": "ns"},
                {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "jane"},
                {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "devs"},
                {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "joe"}]})
    }

    #[test]
    fn role_ref_and_subjects_are_validated_with_upstreams_texts() {
        assert_eq!(
            create_errors(&ROLE_BINDINGS, binding()),
            Vec::<String>::new()
        );
        let mut bad = binding();
        bad["roleRef"] = json!({"apiGroup": "rbac", "kind": "Pod", "name": ""});
        bad["subjects"] = json!([{"kind": "ServiceAccount", "name": "Robot", "apiGroup": "x"}, {"kind": "Thing", "name": "t"}, {"kind": "User", "name": "u"}]);
        // The User subject's empty group is defaulted before validation, so it passes.
        assert_eq!(
            create_errors(&ROLE_BINDINGS, bad),
            vec![
                "roleRef.apiGroup: Unsupported value: \"rbac\": supported values: \"rbac.authorization.k8s.io\"",
                "roleRef.kind: Unsupported value: \"Pod\": supported values: \"Role\", \"ClusterRole\"",
                "roleRef.name: Required value",
                "subjects[0].name: Invalid value: \"Robot\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
                "subjects[0].apiGroup: Unsupported value: \"x\": supported values: \"\"",
                "subjects[1].kind: Unsupported value: \"Thing\": supported values: \"ServiceAccount\", \"User\", \"Group\"",
            ]
        );
    }

    #[test]
    fn role_ref_is_immutable() {
        let mut changed = binding();
        changed["roleRef"]["kind"] = json!("ClusterRole");
        assert_eq!(
            update_errors(&ROLE_BINDINGS, binding(), changed),
            vec!["roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"ClusterRole\", Name:\"reader\"}: cannot change roleRef"]
        );
    }

    #[test]
    fn defaulting_fills_the_groups() {
        let mut object = json!({"roleRef": {"kind": "Role", "name": "r"}, "subjects": [{"kind": "User", "name": "u"}, {"kind": "ServiceAccount", "name": "s"}]});
        RoleBindingStrategy.default(&mut object);
        assert_eq!(object["roleRef"]["apiGroup"], "rbac.authorization.k8s.io");
        assert_eq!(
            object["subjects"][0]["apiGroup"],
            "rbac.authorization.k8s.io"
        );
        assert!(object["subjects"][1].get("apiGroup").is_none());
    }

    #[test]
    fn binding_cells_name_the_role_and_the_subjects() {
        let t = table(
            &ROLE_BINDINGS,
            &[&binding()],
            json!({}),
            IncludeObject::Metadata,
            now(),
        );
        assert_eq!(
            column_names(&t),
            [
                ("Name".into(), 0),
                ("Role".into(), 0),
                ("Age".into(), 0),
                ("Users".into(), 1),
                ("Groups".into(), 1),
                ("ServiceAccounts".into(), 1)
            ]
        );
        assert_eq!(
            t["rows"][0]["cells"],
            json!(["b", "Role/reader", "5s", "jane, joe", "devs", "ns/robot"])
        );
    }
}
