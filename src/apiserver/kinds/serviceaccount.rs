//! ServiceAccounts (`pkg/registry/core/serviceaccount/strategy.go`).

use serde_json::Value;

use super::{ResourceInfo, Strategy, CRUD_VERBS};
use crate::apiserver::errors::ApiError;
use crate::apiserver::table::{Column, Printer};
use crate::apiserver::validation::{self, Issues};
use crate::apiserver::{defaults, selectors};
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
};

/// The serviceaccount strategy.
pub struct ServiceAccountStrategy;

impl Strategy for ServiceAccountStrategy {
    fn normalize(&self, info: &ResourceInfo, object: &Value) -> Result<Value, ApiError> {
        super::normalize_as::<ServiceAccount>(info, object)
    }

    fn default(&self, object: &mut Value) {
        defaults::apply_defaults(&SERVICE_ACCOUNTS, object);
    }

    fn validate_create(&self, object: &Value, issues: &mut Issues) {
        validation::validate_service_account(object, issues);
    }

    fn validate_update(&self, old: &Value, new: &Value, issues: &mut Issues) {
        validation::validate_object_meta_update(old, new, issues);
        validation::validate_service_account(new, issues);
    }

    fn namespace_deletion_order(&self) -> u8 {
        2
    }

    fn table_columns(&self) -> &'static [Column] {
        Printer::ServiceAccount.columns()
    }

    fn table_row(&self, object: &Value, now: jiff::Timestamp) -> (Vec<Value>, Option<Value>) {
        Printer::ServiceAccount.print(object, now)
    }

    fn convert_field_label(&self, label: &str) -> Result<String, String> {
        selectors::convert_field_label(SERVICE_ACCOUNTS.kind, label)
    }

    fn field_value(&self, object: &Value, field: &str) -> String {
        selectors::field_value(SERVICE_ACCOUNTS.kind, object, field)
    }
}
