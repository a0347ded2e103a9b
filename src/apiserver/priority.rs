//! The `Priority` admission plugin (`plugin/pkg/admission/priority/admission.go`) and the
//! system PriorityClasses a cluster starts with (`pkg/apis/scheduling`
//! `SystemPriorityClasses`, created by kube-apiserver's
//! `scheduling/bootstrap-system-priority-classes` post-start hook).
//!
//! On a pod create, the pod's `priorityClassName` is resolved (none: the global default
//! class with the lowest value, else priority 0 and `PreemptLowerPriority`), and its value
//! and preemption policy are written into `spec.priority` and `spec.preemptionPolicy`; a
//! pod that sets them itself to other values, or names a class that does not exist, is
//! refused (403). On an update the stored pod's priority and policy are kept. It runs in
//! mutating admission, so the request's field manager does not own what it sets.

use futures::future::BoxFuture;
use serde_json::{json, Value};

use super::admission::{name_in_errors, AdmissionOperation, AdmissionPlugin, Attributes};
use super::errors::ApiError;
use super::kinds::builtin::PRIORITY_CLASSES;
use super::store::{Store, StoreError};
use std::sync::Arc;

/// The plugin's name for `--disable-admission-plugins`.
pub const PLUGIN_NAME: &str = "Priority";

/// `scheduling.DefaultPriorityWhenNoDefaultClassExists`.
const DEFAULT_PRIORITY: i64 = 0;
/// The preemption policy of a pod whose class sets none.
const PREEMPT_LOWER_PRIORITY: &str = "PreemptLowerPriority";
/// `scheduling.SystemCriticalPriority` (twice the highest user-definable priority).
const SYSTEM_CRITICAL_PRIORITY: i64 = 2_000_000_000;

/// The classes every cluster has: name, value and description, as upstream defines them.
const SYSTEM_PRIORITY_CLASSES: [(&str, i64, &str); 2] = [
    (
        "system-node-critical",
        SYSTEM_CRITICAL_PRIORITY + 1000,
        "Used for system critical pods that must not be moved from their current node.",
    ),
    (
        "system-cluster-critical",
        SYSTEM_CRITICAL_PRIORITY,
        "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.",
    ),
];

/// `SetDefaults_PriorityClass`: a class without a preemption policy preempts lower
/// priorities.
pub fn default_priority_class(object: &mut Value) {
    if let Some(class) = object.as_object_mut() {
        if class.get("preemptionPolicy").is_none_or(Value::is_null) {
            class.insert("preemptionPolicy".into(), json!(PREEMPT_LOWER_PRIORITY));
        }
    }
}

/// Creates the system PriorityClasses that are missing (all of them on a new cluster;
/// kept from an earlier start with a data directory).
///
/// # Errors
///
/// The store's error if a create fails.
pub fn create_system_priority_classes(store: &Store, created: &str) -> Result<(), StoreError> {
    for (name, value, description) in SYSTEM_PRIORITY_CLASSES {
        if store.get(&PRIORITY_CLASSES, "", name).is_some() {
            continue;
        }
        let class = json!({
            "apiVersion": "scheduling.k8s.io/v1",
            "kind": "PriorityClass",
            "metadata": {
                "name": name,
                "uid": crate::names::new_uid(),
                "creationTimestamp": created,
            },
            "value": value,
            "description": description,
            "preemptionPolicy": PREEMPT_LOWER_PRIORITY,
        });
        match store.create(&PRIORITY_CLASSES, class) {
            Ok(_) | Err(StoreError::AlreadyExists) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The `Priority` plugin, reading PriorityClasses from the store (upstream reads its lister).
pub struct PriorityAdmission {
    store: Arc<Store>,
}

impl PriorityAdmission {
    /// The plugin over `store`'s PriorityClasses.
    pub fn new(store: Arc<Store>) -> Self {
        Self { store }
    }

    /// `admitPod`: true when the pod was changed.
    fn admit_pod(&self, attrs: &Attributes, pod: &mut Value) -> Result<bool, ApiError> {
        let pod_name = name_in_errors(attrs, pod);
        let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) else {
            return Ok(false);
        };
        if attrs.operation == AdmissionOperation::Update {
            // Set on create; an update that leaves them out gets the stored ones back. One
            // that changes them is left to validation, which refuses the change.
            let Some(old_spec) = attrs.old_object.as_deref().map(|old| &old["spec"]) else {
                return Ok(false);
            };
            let mut changed = false;
            for field in ["priority", "preemptionPolicy"] {
                let stored = old_spec.get(field).filter(|v| !v.is_null());
                let given = spec.get(field).filter(|v| !v.is_null());
                if let (None, Some(stored)) = (given, stored) {
                    spec.insert(field.into(), stored.clone());
                    changed = true;
                }
            }
            return Ok(changed);
        }
        let class_name = spec
            .get("priorityClassName")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let (priority, policy) = if class_name.is_empty() {
            match self.default_class() {
                Some((name, priority, policy)) => {
                    spec.insert("priorityClassName".into(), json!(name));
                    (priority, policy)
                }
                None => (DEFAULT_PRIORITY, PREEMPT_LOWER_PRIORITY.to_string()),
            }
        } else {
            let Some(class) = self.store.get(&PRIORITY_CLASSES, "", &class_name) else {
                return Err(forbidden(
                    attrs,
                    &pod_name,
                    &format!("no PriorityClass with name {class_name} was found"),
                ));
            };
            let class = class.value();
            (value_of(&class), policy_of(&class))
        };
        if let Some(given) = spec.get("priority").filter(|p| !p.is_null()) {
            if given.as_i64() != Some(priority) {
                return Err(forbidden(
                    attrs,
                    &pod_name,
                    &format!("the integer value of priority ({given}) must not be provided in pod spec; priority admission controller computed {priority} from the given PriorityClass name"),
                ));
            }
        }
        spec.insert("priority".into(), json!(priority));
        if let Some(given) = spec.get("preemptionPolicy").and_then(Value::as_str) {
            if given != policy {
                return Err(forbidden(
                    attrs,
                    &pod_name,
                    &format!("the string value of PreemptionPolicy ({given}) must not be provided in pod spec; priority admission controller computed {policy} from the given PriorityClass name"),
                ));
            }
        }
        spec.insert("preemptionPolicy".into(), json!(policy));
        Ok(true)
    }

    /// `getDefaultPriorityClass`: among the classes marked `globalDefault`, the one with
    /// the lowest value (several can exist after a race); its name, value and policy.
    fn default_class(&self) -> Option<(String, i64, String)> {
        let (classes, _) = self.store.list(&PRIORITY_CLASSES, None);
        classes
            .iter()
            .map(|class| class.value())
            .filter(|class| class["globalDefault"] == json!(true))
            .min_by_key(value_of)
            .map(|class| {
                let name = class["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                (name, value_of(&class), policy_of(&class))
            })
    }
}

fn value_of(class: &Value) -> i64 {
    class["value"].as_i64().unwrap_or_default()
}

/// The class's preemption policy, defaulted as upstream stores every PriorityClass
/// (`SetDefaults_PriorityClass`).
fn policy_of(class: &Value) -> String {
    class["preemptionPolicy"]
        .as_str()
        .unwrap_or(PREEMPT_LOWER_PRIORITY)
        .to_string()
}

/// `admission.NewForbidden(a, err)`: `pods "NAME" is forbidden: <why>`.
fn forbidden(attrs: &Attributes, name: &str, why: &str) -> ApiError {
    ApiError::forbidden(attrs.resource, name, why)
}

impl AdmissionPlugin for PriorityAdmission {
    fn name(&self) -> &'static str {
        PLUGIN_NAME
    }

    fn admit<'a>(
        &'a self,
        attrs: &'a Attributes,
        object: &'a mut Value,
    ) -> BoxFuture<'a, Result<bool, ApiError>> {
        let result = if attrs.is_pod_create_or_update() {
            self.admit_pod(attrs, object)
        } else {
            Ok(false)
        };
        Box::pin(std::future::ready(result))
    }
}

#[cfg(test)]
mod tests;
