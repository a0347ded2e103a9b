//! The `DefaultTolerationSeconds` admission plugin
//! (`plugin/pkg/admission/defaulttolerationseconds/admission.go`), on by default in
//! kube-apiserver 1.33.
//!
//! A pod created or updated without a toleration for the `node.kubernetes.io/not-ready` or
//! the `node.kubernetes.io/unreachable` NoExecute taint gets one (`operator: Exists`,
//! `effect: NoExecute`, `tolerationSeconds` from `--default-not-ready-toleration-seconds` and
//! `--default-unreachable-toleration-seconds`, 300 s by default), appended after the pod's own
//! tolerations. A toleration with an empty key or an empty effect counts as tolerating the
//! taint, as upstream reads it. Subresources are left alone.

use futures::future::BoxFuture;
use serde_json::{json, Map, Value};

use super::admission::{AdmissionPlugin, Attributes};
use super::errors::ApiError;

/// The plugin's name for `--disable-admission-plugins`.
pub const PLUGIN_NAME: &str = "DefaultTolerationSeconds";

/// The default of both `--default-*-toleration-seconds` flags, in seconds.
pub const DEFAULT_TOLERATION_SECONDS: i64 = 300;

/// `v1.TaintNodeNotReady`: the taint the node lifecycle controller puts on a node whose
/// Ready condition is False.
pub const TAINT_NODE_NOT_READY: &str = "node.kubernetes.io/not-ready";

/// `v1.TaintNodeUnreachable`: the taint on a node whose Ready condition is Unknown.
pub const TAINT_NODE_UNREACHABLE: &str = "node.kubernetes.io/unreachable";

const NO_EXECUTE: &str = "NoExecute";

/// The plugin, with the `tolerationSeconds` of the two tolerations it adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultTolerationSeconds {
    /// `--default-not-ready-toleration-seconds`.
    pub not_ready_seconds: i64,
    /// `--default-unreachable-toleration-seconds`.
    pub unreachable_seconds: i64,
}

impl Default for DefaultTolerationSeconds {
    fn default() -> Self {
        Self {
            not_ready_seconds: DEFAULT_TOLERATION_SECONDS,
            unreachable_seconds: DEFAULT_TOLERATION_SECONDS,
        }
    }
}

impl DefaultTolerationSeconds {
    /// Adds the tolerations `pod` lacks; true when it changed. A pod without a `spec`
    /// object is left to validation.
    pub fn admit_pod(&self, pod: &mut Value) -> bool {
        let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) else {
            return false;
        };
        let tolerations = spec
            .get("tolerations")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let missing: Vec<(&str, i64)> = [
            (TAINT_NODE_NOT_READY, self.not_ready_seconds),
            (TAINT_NODE_UNREACHABLE, self.unreachable_seconds),
        ]
        .into_iter()
        .filter(|(taint, _)| !tolerations.iter().any(|t| tolerates(t, taint)))
        .collect();
        if missing.is_empty() {
            return false;
        }
        let list = tolerations_mut(spec);
        for (taint, seconds) in missing {
            list.push(json!({
                "key": taint,
                "operator": "Exists",
                "effect": NO_EXECUTE,
                "tolerationSeconds": seconds,
            }));
        }
        true
    }
}

/// Whether `toleration` covers the NoExecute `taint` as upstream's plugin decides it: its
/// key is the taint's or empty, and its effect is NoExecute or empty (operator and value
/// are not looked at).
fn tolerates(toleration: &Value, taint: &str) -> bool {
    let field = |name: &str| toleration.get(name).and_then(Value::as_str).unwrap_or("");
    let key = field("key");
    let effect = field("effect");
    (key == taint || key.is_empty()) && (effect == NO_EXECUTE || effect.is_empty())
}

/// `spec.tolerations` as an array, made one when absent or null.
fn tolerations_mut(spec: &mut Map<String, Value>) -> &mut Vec<Value> {
    let slot = spec.entry("tolerations").or_insert(Value::Null);
    if !slot.is_array() {
        *slot = Value::Array(Vec::new());
    }
    match slot {
        Value::Array(list) => list,
        _ => unreachable!("tolerations was just made an array"),
    }
}

impl AdmissionPlugin for DefaultTolerationSeconds {
    fn name(&self) -> &'static str {
        PLUGIN_NAME
    }

    fn admit<'a>(
        &'a self,
        attrs: &'a Attributes,
        object: &'a mut Value,
    ) -> BoxFuture<'a, Result<bool, ApiError>> {
        // Upstream's handler is for Create and Update of pods proper.
        let changed = attrs.is_pod_create_or_update() && self.admit_pod(object);
        Box::pin(std::future::ready(Ok(changed)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::admission::AdmissionOperation;
    use crate::apiserver::kinds::PODS;

    fn toleration(key: &str, effect: &str) -> Value {
        let mut t = json!({"operator": "Exists"});
        if !key.is_empty() {
            t["key"] = json!(key);
        }
        if !effect.is_empty() {
            t["effect"] = json!(effect);
        }
        t
    }

    fn added(key: &str, seconds: i64) -> Value {
        json!({"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": seconds})
    }

    /// Upstream's table (`admission_test.go`), each row: the pod's tolerations, and the
    /// keys of the tolerations the plugin appends.
    #[test]
    fn adds_only_what_the_pod_does_not_tolerate() {
        let not_ready = TAINT_NODE_NOT_READY;
        let unreachable = TAINT_NODE_UNREACHABLE;
        let cases: Vec<(&str, Vec<Value>, Vec<&str>)> = vec![
            ("no tolerations", vec![], vec![not_ready, unreachable]),
            (
                "an unrelated toleration is kept, first",
                vec![
                    json!({"key": "foo", "operator": "Equal", "value": "bar", "effect": "NoSchedule"}),
                ],
                vec![not_ready, unreachable],
            ),
            (
                "not-ready NoExecute",
                vec![toleration(not_ready, "NoExecute")],
                vec![unreachable],
            ),
            (
                "unreachable NoExecute",
                vec![toleration(unreachable, "NoExecute")],
                vec![not_ready],
            ),
            (
                "both",
                vec![
                    toleration(not_ready, "NoExecute"),
                    toleration(unreachable, "NoExecute"),
                ],
                vec![],
            ),
            (
                "not-ready with an empty effect tolerates every effect",
                vec![toleration(not_ready, "")],
                vec![unreachable],
            ),
            (
                "not-ready NoSchedule is not a NoExecute toleration",
                vec![toleration(not_ready, "NoSchedule")],
                vec![not_ready, unreachable],
            ),
            (
                "an empty key with NoExecute tolerates both",
                vec![toleration("", "NoExecute")],
                vec![],
            ),
            (
                "an empty key and an empty effect tolerate everything",
                vec![toleration("", "")],
                vec![],
            ),
            (
                "an empty key with NoSchedule tolerates neither",
                vec![toleration("", "NoSchedule")],
                vec![not_ready, unreachable],
            ),
        ];
        let plugin = DefaultTolerationSeconds::default();
        for (name, given, keys) in cases {
            let mut pod = json!({"spec": {"containers": [], "tolerations": given.clone()}});
            let changed = plugin.admit_pod(&mut pod);
            let mut expected = given.clone();
            expected.extend(keys.iter().map(|key| added(key, 300)));
            assert_eq!(pod["spec"]["tolerations"], json!(expected), "{name}");
            assert_eq!(changed, !keys.is_empty(), "{name}");
        }
    }

    #[test]
    fn seconds_come_from_the_options_and_a_missing_list_is_made() {
        let plugin = DefaultTolerationSeconds {
            not_ready_seconds: 60,
            unreachable_seconds: 0,
        };
        for tolerations in [None, Some(Value::Null)] {
            let mut pod = json!({"spec": {"containers": []}});
            if let Some(value) = tolerations {
                pod["spec"]["tolerations"] = value;
            }
            assert!(plugin.admit_pod(&mut pod));
            assert_eq!(
                pod["spec"]["tolerations"],
                json!([
                    added(TAINT_NODE_NOT_READY, 60),
                    added(TAINT_NODE_UNREACHABLE, 0)
                ])
            );
        }
        let mut no_spec = json!({"metadata": {"name": "p"}});
        assert!(!plugin.admit_pod(&mut no_spec));
        assert_eq!(no_spec, json!({"metadata": {"name": "p"}}));
    }

    /// Pods proper on create and update; not their subresources, deletes or other kinds.
    #[test]
    fn admits_pod_creates_and_updates_only() {
        use crate::apiserver::kinds::CONFIG_MAPS;
        let cases = [
            (&PODS, None, AdmissionOperation::Create, true),
            (&PODS, None, AdmissionOperation::Update, true),
            (&PODS, None, AdmissionOperation::Delete, false),
            (&PODS, Some("status"), AdmissionOperation::Update, false),
            (
                &PODS,
                Some("ephemeralcontainers"),
                AdmissionOperation::Update,
                false,
            ),
            (&CONFIG_MAPS, None, AdmissionOperation::Create, false),
        ];
        let plugin = DefaultTolerationSeconds::default();
        for (resource, subresource, operation, expected) in cases {
            let attrs = Attributes::for_test(resource, subresource, operation, None);
            let mut object = json!({"spec": {"containers": []}});
            let changed = futures::executor::block_on(plugin.admit(&attrs, &mut object))
                .expect("never refuses");
            let what = format!("{} {subresource:?} {operation:?}", resource.plural);
            assert_eq!(changed, expected, "{what}");
            assert_eq!(
                object["spec"].get("tolerations").is_some(),
                expected,
                "{what}"
            );
        }
    }
}
