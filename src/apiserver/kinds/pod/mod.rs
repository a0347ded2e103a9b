//! Pods (`pkg/registry/core/pod/strategy.go`): `status` and `ephemeralcontainers`
//! subresources, `metadata.generation`
//! from 1, the deprecated `spec.serviceAccount` kept in step, the `all` category.
//!
//! The strategy is here; defaulting, validation (create, volumes, update) and printing
//! have a file each.

use serde_json::{json, Value};

use super::{ResourceInfo, Strategy, CRUD_VERBS};
use crate::apiserver::errors::ApiError;
use crate::apiserver::field_rules::FieldRule;
use crate::apiserver::table::Column;
use crate::apiserver::validation::{str_at, Issues};
use k8s_openapi::api::core::v1::Pod;

mod defaults;
mod ephemeral;
mod field_rules;
mod fractional;
mod qos;
mod resources;
mod table;
mod update;
mod validation;
mod volumes;
mod warnings;

pub(crate) use defaults::default_pod_template;
pub use ephemeral::EPHEMERAL_CONTAINERS_SUBRESOURCE;
pub(crate) use field_rules::pod_field_rule;

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
    subresources: &["status", EPHEMERAL_CONTAINERS_SUBRESOURCE],
    create_only: false,
    strategy: &PodStrategy,
    schema: super::TypedSchema::of::<Pod>(),
};

/// The field labels a pod field selector may use (`PodToSelectableFields`, plus
/// `status.podIPs`, which the conversion accepts but no pod has as a field).
const SELECTABLE_FIELDS: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "spec.hostNetwork",
    "status.phase",
    "status.podIP",
    "status.podIPs",
    "status.nominatedNodeName",
];

/// The pod strategy.
pub struct PodStrategy;

impl Strategy for PodStrategy {
    fn returns_deleted_object(&self) -> bool {
        true
    }

    fn normalize(&self, info: &ResourceInfo, object: &Value) -> Result<Value, ApiError> {
        super::normalize_as::<Pod>(info, object)
    }

    fn default(&self, object: &mut Value) {
        if let Some(pod) = object.as_object_mut() {
            defaults::default_pod(pod);
        }
    }

    fn sync_derived_fields(&self, object: &mut Value) {
        defaults::sync_deprecated_fields(object);
    }

    fn prepare_for_create(&self, _user: &crate::authn::UserInfo, object: &mut Value) {
        object["metadata"]["generation"] = json!(1);
    }

    fn validate_create(&self, object: &Value, issues: &mut Issues) {
        validation::validate_pod(object, issues);
    }

    fn warnings_on_create(&self, object: &Value) -> Vec<String> {
        warnings::warnings_on_create(object)
    }

    fn validate_update(&self, old: &Value, new: &Value, issues: &mut Issues) {
        update::validate_pod_update(old, new, issues);
    }

    fn validate_subresource_update(
        &self,
        subresource: &str,
        old: &Value,
        new: &Value,
        issues: &mut Issues,
    ) {
        match subresource {
            EPHEMERAL_CONTAINERS_SUBRESOURCE => {
                ephemeral::validate_ephemeral_containers_update(old, new, issues)
            }
            _ => self.validate_update(old, new, issues),
        }
    }

    /// `podStatusStrategy` keeps the stored owner references ("old kubelets corrupt them")
    /// and clears a deletion timestamp the request sets (the update keeps the stored one).
    fn status_write_keeps_stored(&self) -> Option<&'static [&'static str]> {
        Some(&["ownerReferences", "deletionTimestamp"])
    }

    fn update_subresource(
        &self,
        subresource: &str,
        existing: &Value,
        request: &Value,
        _now: &str,
    ) -> Value {
        match subresource {
            EPHEMERAL_CONTAINERS_SUBRESOURCE => {
                ephemeral::ephemeral_containers_write(existing, request)
            }
            _ => {
                // `podStatusStrategy`: the old spec and owner references, and the old QoS
                // class when the request has none (old kubelets dropped it).
                let mut written = self.status_subresource_write(existing, request);
                let qos_class = &existing["status"]["qosClass"];
                let missing = written["status"]["qosClass"]
                    .as_str()
                    .is_none_or(str::is_empty);
                if missing && qos_class.is_string() {
                    written["status"]["qosClass"] = qos_class.clone();
                }
                written
            }
        }
    }

    fn namespace_deletion_order(&self) -> u8 {
        0
    }

    fn table_columns(&self) -> &'static [Column] {
        table::COLUMNS
    }

    fn table_row(&self, object: &Value, now: jiff::Timestamp) -> (Vec<Value>, Option<Value>) {
        table::row(object, now)
    }

    fn convert_field_label(&self, label: &str) -> Result<String, String> {
        if label == "spec.host" {
            // Old v1 clients send spec.host.
            return Ok("spec.nodeName".to_string());
        }
        if SELECTABLE_FIELDS.contains(&label) {
            Ok(label.to_string())
        } else {
            Err(format!("field label not supported: {label}"))
        }
    }

    fn field_rule(&self, path: &[&str]) -> FieldRule {
        field_rules::pod_field_rule(path)
    }

    fn selectable_fields(&self) -> &'static [&'static str] {
        // metadata.name and metadata.namespace are always indexed.
        &SELECTABLE_FIELDS[2..]
    }

    fn field_value(&self, object: &Value, field: &str) -> String {
        let text = |path: &[&str]| str_at(object, path).to_string();
        match field {
            "metadata.name" => text(&["metadata", "name"]),
            "metadata.namespace" => text(&["metadata", "namespace"]),
            "spec.hostNetwork" => {
                let host_network = object
                    .get("spec")
                    .and_then(|s| s.get("hostNetwork"))
                    .and_then(Value::as_bool);
                host_network.unwrap_or(false).to_string()
            }
            "status.podIP" => {
                let first = object
                    .get("status")
                    .and_then(|s| s.get("podIPs"))
                    .and_then(Value::as_array)
                    .and_then(|ips| ips.first())
                    .and_then(|ip| ip.get("ip"))
                    .and_then(Value::as_str);
                match first {
                    Some(ip) => ip.to_string(),
                    None => text(&["status", "podIP"]),
                }
            }
            "spec.nodeName"
            | "spec.restartPolicy"
            | "spec.schedulerName"
            | "spec.serviceAccountName" => text(&["spec", &field["spec.".len()..]]),
            "status.phase" | "status.nominatedNodeName" => {
                text(&["status", &field["status.".len()..]])
            }
            // Accepted by the conversion but not in the field set (status.podIPs): always "".
            _ => String::new(),
        }
    }
}
