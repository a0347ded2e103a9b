//! Pods (`pkg/registry/core/pod/strategy.go`): a `status` subresource, `metadata.generation`
//! from 1, the deprecated `spec.serviceAccount` kept in step, the `all` category.

use serde_json::{json, Value};

use super::{ResourceInfo, Strategy, CRUD_VERBS};
use crate::apiserver::errors::ApiError;
use crate::apiserver::table::{Column, Printer};
use crate::apiserver::validation::{self, Issues};
use crate::apiserver::{defaults, selectors};
use k8s_openapi::api::core::v1::Pod;

/// `v1` `pods`.
pub const PODS: ResourceInfo = ResourceInfo {
    group: "",
    version: "v1",
    plural: "pods",
    singular: "pod",
    kind: "Pod",
    list_kind: "PodList",
    namespaced: true,
    short_names: &["po"],
    categories: &["all"],
    verbs: CRUD_VERBS,
    subresources: &["status"],
    create_only: false,
    strategy: &PodStrategy,
};

/// The pod strategy.
pub struct PodStrategy;

impl Strategy for PodStrategy {
    fn normalize(&self, info: &ResourceInfo, object: &Value) -> Result<Value, ApiError> {
        super::normalize_as::<Pod>(info, object)
    }

    fn default(&self, object: &mut Value) {
        defaults::apply_defaults(&PODS, object);
    }

    fn sync_derived_fields(&self, object: &mut Value) {
        defaults::sync_deprecated_fields(&PODS, object);
    }

    fn prepare_for_create(&self, object: &mut Value) {
        object["metadata"]["generation"] = json!(1);
    }

    fn validate_create(&self, object: &Value, issues: &mut Issues) {
        validation::validate_pod(object, issues);
    }

    fn validate_update(&self, old: &Value, new: &Value, issues: &mut Issues) {
        validation::validate_pod_update(old, new, issues);
    }

    fn namespace_deletion_order(&self) -> u8 {
        0
    }

    fn table_columns(&self) -> &'static [Column] {
        Printer::Pod.columns()
    }

    fn table_row(&self, object: &Value, now: jiff::Timestamp) -> (Vec<Value>, Option<Value>) {
        Printer::Pod.print(object, now)
    }

    fn convert_field_label(&self, label: &str) -> Result<String, String> {
        selectors::convert_field_label(PODS.kind, label)
    }

    fn field_value(&self, object: &Value, field: &str) -> String {
        selectors::field_value(PODS.kind, object, field)
    }
}
