//! ServiceAccounts (`pkg/registry/core/serviceaccount/strategy.go`).

use serde_json::{json, Value};

use super::{ResourceInfo, Strategy, CRUD_VERBS};
use crate::apiserver::errors::ApiError;
use crate::apiserver::field_rules::{keyed, FieldRule, ATOMIC_RULE, DEFAULT_RULE};
use crate::apiserver::table::{self, column, Column, AGE_COLUMN, NAME_COLUMN};
use crate::apiserver::validation::{self, name_is_dns_subdomain, validate_object_meta, Issues};
use k8s_openapi::api::core::v1::ServiceAccount;

/// `v1` `serviceaccounts`.
pub const SERVICE_ACCOUNTS: ResourceInfo = ResourceInfo {
    group: "",
    version: "v1",
    plural: "serviceaccounts",
    singular: "serviceaccount",
    kind: "ServiceAccount",
    list_kind: "ServiceAccountList",
    namespaced: true,
    short_names: &["sa"],
    categories: &[],
    verbs: CRUD_VERBS,
    subresources: &[],
    create_only: false,
    strategy: &ServiceAccountStrategy,
    schema: super::TypedSchema::of::<ServiceAccount>(),
};

/// Upstream's service account printer columns.
const COLUMNS: &[Column] = &[
    NAME_COLUMN,
    column(
        "Secrets",
        "string",
        "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use. Pods are only limited to this list if this service account has a \"kubernetes.io/enforce-mountable-secrets\" annotation set to \"true\". The \"kubernetes.io/enforce-mountable-secrets\" annotation is deprecated since v1.32. Prefer separate namespaces to isolate access to mounted secrets. This field should not be used to find auto-generated service account token secrets for use outside of pods. Instead, tokens can be requested directly using the TokenRequest API, or service account token secrets can be manually created. More info: https://kubernetes.io/docs/concepts/configuration/secret",
    ),
    AGE_COLUMN,
];

/// The serviceaccount strategy.
pub struct ServiceAccountStrategy;

impl Strategy for ServiceAccountStrategy {
    fn returns_deleted_object(&self) -> bool {
        true
    }

    fn normalize(&self, info: &ResourceInfo, object: &Value) -> Result<Value, ApiError> {
        super::normalize_as::<ServiceAccount>(info, object)
    }

    fn validate_create(&self, object: &Value, issues: &mut Issues) {
        validate_service_account(object, issues);
    }

    fn validate_update(&self, old: &Value, new: &Value, issues: &mut Issues) {
        validation::validate_object_meta_update(old, new, issues);
        validate_service_account(new, issues);
    }

    fn namespace_deletion_order(&self) -> u8 {
        2
    }

    fn prepare_for_create(&self, _user: &crate::authn::UserInfo, object: &mut Value) {
        clean_secret_references(object);
    }

    fn prepare_for_update(&self, _old: &Value, new: &mut Value) {
        clean_secret_references(new);
    }

    /// `secrets` merges by name; `imagePullSecrets` has no patch strategy: replaced.
    fn field_rule(&self, path: &[&str]) -> FieldRule {
        match path {
            ["secrets"] => keyed("name", &["name"]),
            ["imagePullSecrets"] => ATOMIC_RULE,
            _ => DEFAULT_RULE,
        }
    }

    fn table_columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn table_row(&self, object: &Value, now: jiff::Timestamp) -> (Vec<Value>, Option<Value>) {
        let cells = vec![
            json!(table::str_at(object, &["metadata", "name"])),
            json!(table::len_at(object, "secrets")),
            json!(table::age(object, now)),
        ];
        (cells, None)
    }
}

/// Each `secrets` reference keeps only its name (upstream's `cleanSecretReferences`, run by
/// both `PrepareForCreate` and `PrepareForUpdate`): a kind, namespace or uid given with it
/// is dropped, so a reference always means a Secret of the account's own namespace.
fn clean_secret_references(object: &mut Value) {
    let Some(references) = object.get_mut("secrets").and_then(Value::as_array_mut) else {
        return;
    };
    for reference in references {
        let name = reference
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        // `ObjectReference{Name: name}`: every field omitted when empty, the name too.
        *reference = if name.is_empty() {
            json!({})
        } else {
            json!({ "name": name })
        };
    }
}

/// Upstream validates only the metadata of a ServiceAccount: its `secrets` and
/// `imagePullSecrets` references are not checked (dangling or odd names are accepted).
fn validate_service_account(obj: &Value, issues: &mut Issues) {
    validate_object_meta(obj, true, name_is_dns_subdomain, issues);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::table::testing::{column_names, now};
    use crate::apiserver::table::{table, IncludeObject};

    #[test]
    fn secret_references_keep_only_their_names() {
        let mut account = json!({"metadata": {"name": "sa"}, "secrets": [
            {"name": "a", "namespace": "x", "kind": "Secret", "uid": "123"},
            {"kind": "Secret"},
            {"name": "b", "fieldPath": "f", "apiVersion": "v1", "resourceVersion": "7"}
        ]});
        ServiceAccountStrategy.prepare_for_create(&Default::default(), &mut account);
        assert_eq!(
            account["secrets"],
            json!([{"name": "a"}, {}, {"name": "b"}])
        );

        let old = account.clone();
        let mut updated =
            json!({"metadata": {"name": "sa"}, "secrets": [{"name": "c", "uid": "u"}]});
        ServiceAccountStrategy.prepare_for_update(&old, &mut updated);
        assert_eq!(updated["secrets"], json!([{"name": "c"}]));

        // Nothing to clean: left as it is.
        let mut bare = json!({"metadata": {"name": "sa"}});
        ServiceAccountStrategy.prepare_for_create(&Default::default(), &mut bare);
        assert_eq!(bare, json!({"metadata": {"name": "sa"}}));
    }

    #[test]
    fn service_account_cells() {
        let created = "2024-05-01T11:59:55Z";
        let sa = json!({"metadata": {"name": "default", "creationTimestamp": created},
            "secrets": [{"name": "default-token-abcde"}]});
        let sa_table = table(
            &SERVICE_ACCOUNTS,
            &[&sa],
            json!({}),
            IncludeObject::Metadata,
            now(),
        );
        assert_eq!(
            column_names(&sa_table),
            [("Name".into(), 0), ("Secrets".into(), 0), ("Age".into(), 0)]
        );
        assert_eq!(sa_table["rows"][0]["cells"], json!(["default", 1, "5s"]));
        let empty_sa = json!({"metadata": {"name": "x", "creationTimestamp": created}});
        let t = table(
            &SERVICE_ACCOUNTS,
            &[&empty_sa],
            json!({}),
            IncludeObject::Metadata,
            now(),
        );
        assert_eq!(t["rows"][0]["cells"][1], 0);
    }
}
