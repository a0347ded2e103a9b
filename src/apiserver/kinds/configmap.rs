//! ConfigMaps (`pkg/registry/core/configmap/strategy.go`).

use base64::Engine;
use serde_json::{json, Value};

use super::{ResourceInfo, Strategy, CRUD_VERBS};
use crate::apiserver::errors::ApiError;
use crate::apiserver::table::{self, column, Column, AGE_COLUMN, NAME_COLUMN};
use crate::apiserver::validation::{
    is_config_map_key, name_is_dns_subdomain, string_map, validate_object_meta,
    validate_object_meta_update, Issues, IMMUTABLE_WHEN_SET, MAX_SECRET_SIZE,
};
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
    schema: super::TypedSchema::of::<ConfigMap>(),
};

/// Upstream's config map printer columns.
const COLUMNS: &[Column] = &[
    NAME_COLUMN,
    column(
        "Data",
        "string",
        "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process.",
    ),
    AGE_COLUMN,
];

/// The configmap strategy.
pub struct ConfigMapStrategy;

impl Strategy for ConfigMapStrategy {
    fn normalize(&self, info: &ResourceInfo, object: &Value) -> Result<Value, ApiError> {
        super::normalize_as::<ConfigMap>(info, object)
    }

    fn validate_create(&self, object: &Value, issues: &mut Issues) {
        validate_config_map(object, issues);
    }

    fn validate_update(&self, old: &Value, new: &Value, issues: &mut Issues) {
        validate_config_map_update(old, new, issues);
    }

    fn table_columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn table_row(&self, object: &Value, now: jiff::Timestamp) -> (Vec<Value>, Option<Value>) {
        let cells = vec![
            json!(table::str_at(object, &["metadata", "name"])),
            json!(table::len_at(object, "data") + table::len_at(object, "binaryData")),
            json!(table::age(object, now)),
        ];
        (cells, None)
    }
}

/// ValidateConfigMap: keys, no key in both `data` and `binaryData`, and the total size.
fn validate_config_map(config_map: &Value, issues: &mut Issues) {
    validate_object_meta(config_map, true, name_is_dns_subdomain, issues);
    let data = string_map(config_map.get("data"));
    let binary = string_map(config_map.get("binaryData"));
    let mut total = 0;
    for (key, value) in &data {
        let path = format!("data[{key}]");
        issues.invalid_each(&path, key, is_config_map_key(key));
        if binary.contains_key(key) {
            issues.invalid(&path, key, "duplicate of key present in binaryData");
        }
        total += value.len();
    }
    for (key, value) in &binary {
        issues.invalid_each(&format!("binaryData[{key}]"), key, is_config_map_key(key));
        total += base64::engine::general_purpose::STANDARD
            .decode(value)
            .map(|v| v.len())
            .unwrap_or(0);
    }
    if total > MAX_SECRET_SIZE {
        // The empty path means the whole object.
        issues.too_long("", MAX_SECRET_SIZE);
    }
}

/// ValidateConfigMapUpdate: nothing in an immutable config map changes.
fn validate_config_map_update(old: &Value, new: &Value, issues: &mut Issues) {
    validate_object_meta_update(old, new, issues);
    if old.get("immutable").and_then(Value::as_bool) == Some(true) {
        if new.get("immutable").and_then(Value::as_bool) != Some(true) {
            issues.forbidden("immutable", IMMUTABLE_WHEN_SET);
        }
        for field in ["data", "binaryData"] {
            if string_map(new.get(field)) != string_map(old.get(field)) {
                issues.forbidden(field, IMMUTABLE_WHEN_SET);
            }
        }
    }
    validate_config_map(new, issues);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::table::testing::now;
    use crate::apiserver::table::{table, IncludeObject};
    use crate::apiserver::validation::testing::{create_errors, update_errors};

    #[test]
    fn config_map_rules() {
        let errors = create_errors(
            &CONFIG_MAPS,
            json!({"metadata": {"name": "c", "namespace": "ns"}, "data": {"k": "v"}, "binaryData": {"k": "eA=="}}),
        );
        assert_eq!(
            errors,
            vec!["data[k]: Invalid value: \"k\": duplicate of key present in binaryData"]
        );
        let frozen = json!({"metadata": {"name": "c", "namespace": "ns"}, "immutable": true, "data": {"k": "v"}});
        let mut edited = frozen.clone();
        edited["data"]["k"] = json!("w");
        assert_eq!(
            update_errors(&CONFIG_MAPS, frozen, edited),
            vec!["data: Forbidden: field is immutable when `immutable` is set"]
        );
    }

    #[test]
    fn config_map_cells() {
        let cm = json!({"metadata": {"name": "settings"}, "data": {"a": "1"}, "binaryData": {"b": "AA=="}});
        let cm_table = table(
            &CONFIG_MAPS,
            &[&cm],
            json!({}),
            IncludeObject::Metadata,
            now(),
        );
        // No creationTimestamp: upstream prints <unknown>.
        assert_eq!(
            cm_table["rows"][0]["cells"],
            json!(["settings", 2, "<unknown>"])
        );
    }
}
