//! ConfigMaps (`pkg/registry/core/configmap/strategy.go`).

use serde_json::Value;

use super::{ResourceInfo, Strategy, CRUD_VERBS};
use crate::apiserver::errors::ApiError;
use crate::apiserver::table::{Column, Printer};
use crate::apiserver::validation::{self, Issues};
use crate::apiserver::{defaults, selectors};
use k8s_openapi::api::core::v1::ConfigMap;

/// `v1` `configmaps`.
pub const CONFIG_MAPS: ResourceInfo = ResourceInfo {
    group: "",
    version: "v1",
    plural: "configmaps",
    singular: "configmap",
    kind: "ConfigMap",
    list_kind: "ConfigMapList",
    namespaced: true,
    short_names: &["cm"],
    categories: &[],
    verbs: CRUD_VERBS,
    subresources: &[],
    create_only: false,
    strategy: &ConfigMapStrategy,
};

/// The configmap strategy.
pub struct ConfigMapStrategy;

impl Strategy for ConfigMapStrategy {
    fn normalize(&self, info: &ResourceInfo, object: &Value) -> Result<Value, ApiError> {
        super::normalize_as::<ConfigMap>(info, object)
    }

    fn default(&self, object: &mut Value) {
        defaults::apply_defaults(&CONFIG_MAPS, object);
    }

    fn validate_create(&self, object: &Value, issues: &mut Issues) {
        validation::validate_config_map(object, issues);
    }

    fn validate_update(&self, old: &Value, new: &Value, issues: &mut Issues) {
        validation::validate_config_map_update(old, new, issues);
    }

    fn table_columns(&self) -> &'static [Column] {
        Printer::ConfigMap.columns()
    }

    fn table_row(&self, object: &Value, now: jiff::Timestamp) -> (Vec<Value>, Option<Value>) {
        Printer::ConfigMap.print(object, now)
    }

    fn convert_field_label(&self, label: &str) -> Result<String, String> {
        selectors::convert_field_label(CONFIG_MAPS.kind, label)
    }

    fn field_value(&self, object: &Value, field: &str) -> String {
        selectors::field_value(CONFIG_MAPS.kind, object, field)
    }
}
