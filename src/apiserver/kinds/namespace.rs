//! Namespaces (`pkg/registry/core/namespace/strategy.go`): cluster-scoped, a `status` and a
//! `finalize` subresource, and deletion that marks the namespace `Terminating` while its
//! content is removed.

use serde_json::{json, Value};

use super::{ResourceInfo, Strategy};
use crate::apiserver::errors::ApiError;
use crate::apiserver::table::{Column, Printer};
use crate::apiserver::validation::{self, Issues};
use crate::apiserver::{defaults, selectors};
use k8s_openapi::api::core::v1::Namespace;

/// `v1` `namespaces`.
pub const NAMESPACES: ResourceInfo = ResourceInfo {
    group: "",
    version: "v1",
    plural: "namespaces",
    singular: "namespace",
    kind: "Namespace",
    list_kind: "NamespaceList",
    namespaced: false,
    short_names: &["ns"],
    categories: &[],
    verbs: &[
        "create", "delete", "get", "list", "patch", "update", "watch",
    ],
    subresources: &["status", "finalize"],
    create_only: false,
    strategy: &NamespaceStrategy,
};

/// The namespace strategy.
pub struct NamespaceStrategy;

impl Strategy for NamespaceStrategy {
    fn normalize(&self, info: &ResourceInfo, object: &Value) -> Result<Value, ApiError> {
        super::normalize_as::<Namespace>(info, object)
    }

    fn default(&self, object: &mut Value) {
        defaults::apply_defaults(&NAMESPACES, object);
    }

    fn validate_create(&self, object: &Value, issues: &mut Issues) {
        validation::validate_namespace(object, issues);
    }

    fn validate_update(&self, old: &Value, new: &Value, issues: &mut Issues) {
        validation::validate_namespace(new, issues);
        validation::validate_object_meta_update(old, new, issues);
    }

    /// `finalize` writes change only `spec.finalizers`.
    fn update_subresource(&self, subresource: &str, existing: &Value, request: &Value) -> Value {
        if subresource != "finalize" {
            return super::status_write(existing, request);
        }
        let mut merged = existing.clone();
        let finalizers = request["spec"]["finalizers"].clone();
        if !finalizers.is_null() {
            merged["spec"]["finalizers"] = finalizers;
        } else if let Some(spec) = merged.get_mut("spec").and_then(Value::as_object_mut) {
            spec.remove("finalizers");
        }
        merged
    }

    fn finalizes_on_delete(&self) -> bool {
        true
    }

    fn mark_deleted(&self, object: &mut Value) {
        object["status"]["phase"] = json!("Terminating");
    }

    fn table_columns(&self) -> &'static [Column] {
        Printer::Namespace.columns()
    }

    fn table_row(&self, object: &Value, now: jiff::Timestamp) -> (Vec<Value>, Option<Value>) {
        Printer::Namespace.print(object, now)
    }

    fn convert_field_label(&self, label: &str) -> Result<String, String> {
        selectors::convert_field_label(NAMESPACES.kind, label)
    }

    fn field_value(&self, object: &Value, field: &str) -> String {
        selectors::field_value(NAMESPACES.kind, object, field)
    }
}
