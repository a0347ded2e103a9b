//! The status conditions a terminating namespace carries while its content is removed,
//! as kube-controller-manager's namespace deleter sets them
//! (`pkg/controller/namespace/deletion/status_condition_utils.go`): one condition of each
//! of five types, `True` with the failure's reason and message, otherwise `False` with the
//! type's fixed success reason and message.

use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Discovery of the namespaced resources failed.
pub const DISCOVERY_FAILURE: &str = "NamespaceDeletionDiscoveryFailure";
/// A group-version of discovery could not be parsed.
pub const GROUP_VERSION_PARSING_FAILURE: &str = "NamespaceDeletionGroupVersionParsingFailure";
/// Some resource's content could not be deleted.
pub const CONTENT_FAILURE: &str = "NamespaceDeletionContentFailure";
/// Objects are still there after their deletion.
pub const CONTENT_REMAINING: &str = "NamespaceContentRemaining";
/// Objects are still there because of their finalizers.
pub const FINALIZERS_REMAINING: &str = "NamespaceFinalizersRemaining";

/// Every condition type the deleter maintains, in the order it adds them.
const TYPES: [&str; 5] = [
    DISCOVERY_FAILURE,
    GROUP_VERSION_PARSING_FAILURE,
    CONTENT_FAILURE,
    CONTENT_REMAINING,
    FINALIZERS_REMAINING,
];

/// The `False` (nothing wrong) reason and message of a condition type (`okReasons`,
/// `okMessages`).
fn success(condition_type: &str) -> (&'static str, &'static str) {
    match condition_type {
        DISCOVERY_FAILURE => (
            "ResourcesDiscovered",
            "All resources successfully discovered",
        ),
        GROUP_VERSION_PARSING_FAILURE => (
            "ParsedGroupVersions",
            "All legacy kube types successfully parsed",
        ),
        CONTENT_FAILURE => (
            "ContentDeleted",
            "All content successfully deleted, may be waiting on finalization",
        ),
        CONTENT_REMAINING => ("ContentRemoved", "All content successfully removed"),
        _ => (
            "ContentHasNoFinalizers",
            "All content-preserving finalizers finished",
        ),
    }
}

/// What one pass over a terminating namespace left behind: objects per resource
/// (`resource.group`, as upstream names a GroupVersionResource in its message) and per
/// finalizer, and the resources whose content could not be deleted.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ContentTotals {
    /// Objects still there, by `plural.group` (the core group is empty: `configmaps.`).
    pub remaining_by_resource: BTreeMap<String, usize>,
    /// Objects still there, by each finalizer they carry.
    pub remaining_by_finalizer: BTreeMap<String, usize>,
    /// One message per resource whose deletion failed.
    pub delete_errors: Vec<String>,
}

impl ContentTotals {
    /// Counts one object that is still there with `finalizers`.
    pub fn add_remaining<'a>(
        &mut self,
        resource: &str,
        finalizers: impl IntoIterator<Item = &'a str>,
    ) {
        *self
            .remaining_by_resource
            .entry(resource.to_string())
            .or_default() += 1;
        for finalizer in finalizers {
            *self
                .remaining_by_finalizer
                .entry(finalizer.to_string())
                .or_default() += 1;
        }
    }

    /// Whether anything is still there, so the namespace cannot be finalized yet.
    pub fn content_remains(&self) -> bool {
        !self.remaining_by_resource.is_empty() || !self.delete_errors.is_empty()
    }

    /// The failing conditions (type, reason, message) this pass found; the types not
    /// named are fine (`ProcessContentTotals`, `makeDeleteContentCondition`).
    pub fn failures(&self) -> Vec<(&'static str, &'static str, String)> {
        let mut failures = Vec::new();
        if !self.delete_errors.is_empty() {
            let mut messages = self.delete_errors.clone();
            messages.sort();
            failures.push((
                CONTENT_FAILURE,
                "ContentDeletionFailed",
                format!(
                    "Failed to delete all resource types, {} remaining: {}",
                    messages.len(),
                    messages.join(", ")
                ),
            ));
        }
        if !self.remaining_by_resource.is_empty() {
            let mut parts: Vec<String> = self
                .remaining_by_resource
                .iter()
                .map(|(resource, n)| format!("{resource} has {n} resource instances"))
                .collect();
            parts.sort();
            failures.push((
                CONTENT_REMAINING,
                "SomeResourcesRemain",
                format!("Some resources are remaining: {}", parts.join(", ")),
            ));
        }
        if !self.remaining_by_finalizer.is_empty() {
            let mut parts: Vec<String> = self
                .remaining_by_finalizer
                .iter()
                .map(|(finalizer, n)| format!("{finalizer} in {n} resource instances"))
                .collect();
            parts.sort();
            failures.push((
                FINALIZERS_REMAINING,
                "SomeFinalizersRemain",
                format!(
                    "Some content in the namespace has finalizers remaining: {}",
                    parts.join(", ")
                ),
            ));
        }
        failures
    }
}

/// Brings `status.conditions` of a namespace in line with `totals` (`updateConditions`):
/// every maintained type present, a changed one rewritten, its `lastTransitionTime` moved
/// to `now` only when its status flips. Other conditions are kept. Answers whether
/// anything changed, so an unchanged namespace is not written again.
pub fn update_conditions(namespace: &mut Value, totals: &ContentTotals, now: &str) -> bool {
    let failures = totals.failures();
    if !namespace["status"].is_object() {
        namespace["status"] = json!({});
    }
    let conditions = &mut namespace["status"]["conditions"];
    if !conditions.is_array() {
        *conditions = json!([]);
    }
    let Some(conditions) = conditions.as_array_mut() else {
        return false;
    };
    let mut changed = false;
    for condition_type in TYPES {
        let (status, reason, message) = match failures.iter().find(|(t, _, _)| *t == condition_type)
        {
            Some((_, reason, message)) => ("True", *reason, message.clone()),
            None => {
                let (reason, message) = success(condition_type);
                ("False", reason, message.to_string())
            }
        };
        let existing = conditions
            .iter_mut()
            .find(|c| c["type"].as_str() == Some(condition_type));
        match existing {
            None => {
                conditions.push(json!({
                    "type": condition_type,
                    "status": status,
                    "lastTransitionTime": now,
                    "reason": reason,
                    "message": message,
                }));
                changed = true;
            }
            Some(old) => {
                let same = old["status"] == status
                    && old["reason"] == reason
                    && old["message"] == message.as_str();
                if same {
                    continue;
                }
                if old["status"] != status {
                    old["lastTransitionTime"] = json!(now);
                }
                old["status"] = json!(status);
                old["reason"] = json!(reason);
                old["message"] = json!(message);
                changed = true;
            }
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn condition<'a>(ns: &'a Value, condition_type: &str) -> &'a Value {
        ns["status"]["conditions"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["type"] == condition_type))
            .unwrap_or(&Value::Null)
    }

    #[test]
    fn conditions_name_what_remains_and_why() {
        let mut one_configmap = ContentTotals::default();
        one_configmap.add_remaining("configmaps.", ["example.com/x"]);
        let mut mixed = ContentTotals::default();
        mixed.add_remaining("secrets.", ["b.io/y", "a.io/x"]);
        mixed.add_remaining("leases.coordination.k8s.io", ["a.io/x"]);
        mixed.add_remaining("configmaps.", []);
        let failed = ContentTotals {
            delete_errors: vec!["z failed".into(), "a failed".into()],
            ..ContentTotals::default()
        };
        let cases = [
            ("nothing left", ContentTotals::default(), vec![]),
            (
                "a configmap with a finalizer",
                one_configmap,
                vec![
                    (
                        CONTENT_REMAINING,
                        "SomeResourcesRemain",
                        "Some resources are remaining: configmaps. has 1 resource instances",
                    ),
                    (
                        FINALIZERS_REMAINING,
                        "SomeFinalizersRemain",
                        "Some content in the namespace has finalizers remaining: example.com/x in 1 resource instances",
                    ),
                ],
            ),
            (
                "several resources and finalizers, sorted",
                mixed,
                vec![
                    (
                        CONTENT_REMAINING,
                        "SomeResourcesRemain",
                        "Some resources are remaining: configmaps. has 1 resource instances, leases.coordination.k8s.io has 1 resource instances, secrets. has 1 resource instances",
                    ),
                    (
                        FINALIZERS_REMAINING,
                        "SomeFinalizersRemain",
                        "Some content in the namespace has finalizers remaining: a.io/x in 2 resource instances, b.io/y in 1 resource instances",
                    ),
                ],
            ),
            (
                "deletion failures",
                failed,
                vec![(
                    CONTENT_FAILURE,
                    "ContentDeletionFailed",
                    "Failed to delete all resource types, 2 remaining: a failed, z failed",
                )],
            ),
        ];
        for (name, totals, expected) in cases {
            let got = totals.failures();
            let expected: Vec<_> = expected
                .into_iter()
                .map(|(t, r, m)| (t, r, m.to_string()))
                .collect();
            assert_eq!(got, expected, "{name}");
            assert_eq!(
                totals.content_remains(),
                !expected.is_empty(),
                "{name}: content remains"
            );
        }
    }

    #[test]
    fn every_type_is_set_with_upstreams_success_texts() {
        let mut ns = json!({"metadata": {"name": "term"}, "status": {"phase": "Terminating"}});
        assert!(update_conditions(
            &mut ns,
            &ContentTotals::default(),
            "2026-01-01T00:00:00Z"
        ));
        let types: Vec<_> = ns["status"]["conditions"]
            .as_array()
            .map(|c| c.iter().map(|c| c["type"].clone()).collect())
            .unwrap_or_default();
        assert_eq!(types, TYPES.map(|t| json!(t)).to_vec());
        assert_eq!(
            condition(&ns, FINALIZERS_REMAINING),
            &json!({"type": FINALIZERS_REMAINING, "status": "False",
                "lastTransitionTime": "2026-01-01T00:00:00Z",
                "reason": "ContentHasNoFinalizers",
                "message": "All content-preserving finalizers finished"})
        );
        assert_eq!(
            condition(&ns, DISCOVERY_FAILURE)["reason"],
            "ResourcesDiscovered"
        );
        assert_eq!(ns["status"]["phase"], "Terminating");
    }

    #[test]
    fn transition_time_moves_only_when_the_status_flips() {
        let mut remaining = ContentTotals::default();
        remaining.add_remaining("configmaps.", ["example.com/x"]);
        let mut ns = json!({"status": {"conditions": [{"type": "Other", "status": "True"}]}});
        assert!(update_conditions(&mut ns, &remaining, "T1"));
        assert!(
            !update_conditions(&mut ns, &remaining, "T2"),
            "unchanged totals write nothing"
        );
        let mut more = remaining.clone();
        more.add_remaining("configmaps.", ["example.com/x"]);
        assert!(update_conditions(&mut ns, &more, "T3"));
        let finalizers = condition(&ns, FINALIZERS_REMAINING);
        assert_eq!(finalizers["lastTransitionTime"], "T1", "still True");
        assert_eq!(
            finalizers["message"],
            "Some content in the namespace has finalizers remaining: example.com/x in 2 resource instances"
        );
        assert!(update_conditions(&mut ns, &ContentTotals::default(), "T4"));
        assert_eq!(
            condition(&ns, FINALIZERS_REMAINING)["lastTransitionTime"],
            "T4"
        );
        assert_eq!(condition(&ns, FINALIZERS_REMAINING)["status"], "False");
        assert_eq!(
            condition(&ns, DISCOVERY_FAILURE)["lastTransitionTime"],
            "T1"
        );
        assert_eq!(condition(&ns, "Other")["status"], "True", "foreign kept");
    }
}
