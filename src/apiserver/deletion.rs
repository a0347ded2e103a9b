//! Deletion with finalizers, shared by the delete verb, the update pipeline and the
//! namespace deleter: how an object is marked for deletion (`BeforeDelete` in
//! `k8s.io/apiserver/pkg/registry/rest/delete.go`) and when a marked object is gone
//! (`ShouldDeleteDuringUpdate` in `k8s.io/apiserver/pkg/registry/generic/registry/store.go`,
//! with the namespace's `spec.finalizers` from `ShouldDeleteNamespaceDuringUpdate` in
//! `pkg/registry/core/namespace/storage/storage.go`).

use serde_json::{json, Value};

use super::kinds::ResourceInfo;

/// Whether a list of finalizers at `value` is missing or empty.
fn none_at(value: &Value) -> bool {
    value.as_array().is_none_or(Vec::is_empty)
}

/// Whether the object has finalizers in `metadata` (any kind) or `spec` (namespaces).
pub fn has_finalizers(object: &Value) -> bool {
    !none_at(&object["metadata"]["finalizers"]) || !none_at(&object["spec"]["finalizers"])
}

/// Whether the object is marked for deletion and nothing holds it any more: it is removed
/// from storage then.
pub fn finalized(object: &Value) -> bool {
    object["metadata"]["deletionTimestamp"].is_string() && !has_finalizers(object)
}

/// The object as marked for deletion at `now` (RFC 3339): a deletion timestamp, a grace
/// period of 0 (there is no kubelet to wait for), and its kind's own changes (a
/// namespace's `Terminating` phase, without the grace period).
pub fn marked(resource: &ResourceInfo, object: &Value, now: &str) -> Value {
    let mut marked = object.clone();
    marked["metadata"]["deletionTimestamp"] = json!(now);
    marked["metadata"]["deletionGracePeriodSeconds"] = json!(0);
    resource.strategy.mark_deleted(&mut marked);
    marked
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::kinds::{CONFIG_MAPS, NAMESPACES};

    #[test]
    fn an_object_is_finalized_when_marked_and_without_finalizers() {
        let cases = [
            ("not marked", json!({"metadata": {}}), false),
            (
                "marked",
                json!({"metadata": {"deletionTimestamp": "t"}}),
                true,
            ),
            (
                "marked, empty lists",
                json!({"metadata": {"deletionTimestamp": "t", "finalizers": []}, "spec": {"finalizers": []}}),
                true,
            ),
            (
                "marked, metadata finalizer",
                json!({"metadata": {"deletionTimestamp": "t", "finalizers": ["a/b"]}}),
                false,
            ),
            (
                "marked namespace, spec finalizer",
                json!({"metadata": {"deletionTimestamp": "t"}, "spec": {"finalizers": ["kubernetes"]}}),
                false,
            ),
            (
                "finalizers but not marked",
                json!({"metadata": {"finalizers": ["a/b"]}}),
                false,
            ),
        ];
        for (name, object, expected) in cases {
            assert_eq!(finalized(&object), expected, "{name}");
        }
    }

    #[test]
    fn marking_sets_the_timestamp_and_the_kinds_changes() {
        let ns = marked(
            &NAMESPACES,
            &json!({"metadata": {"name": "a"}, "status": {"phase": "Active"}}),
            "2026-01-01T00:00:00Z",
        );
        assert_eq!(ns["metadata"]["deletionTimestamp"], "2026-01-01T00:00:00Z");
        // The namespace's own delete sets no grace period; the generic store's sets 0.
        assert!(ns["metadata"].get("deletionGracePeriodSeconds").is_none());
        assert_eq!(ns["status"]["phase"], "Terminating");
        let cm = marked(&CONFIG_MAPS, &json!({"metadata": {"name": "c"}}), "t");
        assert_eq!(cm["metadata"]["deletionTimestamp"], "t");
        assert_eq!(cm["metadata"]["deletionGracePeriodSeconds"], 0);
        assert!(cm.get("status").is_none());
    }
}
