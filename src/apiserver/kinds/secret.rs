//! Secrets (`pkg/registry/core/secret/strategy.go`).

use serde_json::Value;

use super::{ResourceInfo, Strategy, CRUD_VERBS};
use crate::apiserver::errors::ApiError;
use crate::apiserver::table::{Column, Printer};
use crate::apiserver::validation::{self, Issues};
use crate::apiserver::{defaults, selectors};
use k8s_openapi::api::core::v1::Secret;

/// `v1` `secrets`.
pub const SECRETS: ResourceInfo = ResourceInfo {
    group: "",
    version: "v1",
    plural: "secrets",
    singular: "secret",
    kind: "Secret",
    list_kind: "SecretList",
    namespaced: true,
    short_names: &[],
    categories: &[],
    verbs: CRUD_VERBS,
    subresources: &[],
    create_only: false,
    strategy: &SecretStrategy,
};

/// The secret strategy.
pub struct SecretStrategy;

impl Strategy for SecretStrategy {
    fn normalize(&self, info: &ResourceInfo, object: &Value) -> Result<Value, ApiError> {
        super::normalize_as::<Secret>(info, object)
    }

    fn default(&self, object: &mut Value) {
        defaults::apply_defaults(&SECRETS, object);
    }

    fn validate_create(&self, object: &Value, issues: &mut Issues) {
        validation::validate_secret(object, issues);
    }

    fn validate_update(&self, old: &Value, new: &Value, issues: &mut Issues) {
        validation::validate_secret_update(old, new, issues);
    }

    fn table_columns(&self) -> &'static [Column] {
        Printer::Secret.columns()
    }

    fn table_row(&self, object: &Value, now: jiff::Timestamp) -> (Vec<Value>, Option<Value>) {
        Printer::Secret.print(object, now)
    }

    fn convert_field_label(&self, label: &str) -> Result<String, String> {
        selectors::convert_field_label(SECRETS.kind, label)
    }

    fn field_value(&self, object: &Value, field: &str) -> String {
        selectors::field_value(SECRETS.kind, object, field)
    }
}
