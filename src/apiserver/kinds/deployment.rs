//! What a Deployment (`apps/v1`, served generically) has of upstream's strategy besides its
//! defaults and columns: an annotation change bumps its generation as a spec change does,
//! because the annotations are copied to its ReplicaSets (`PrepareForUpdate` in
//! `pkg/registry/apps/deployment/strategy.go`).

use serde_json::{json, Value};

/// Bumps `metadata.generation` when the annotations changed and the spec did not (the
/// generic spec rule has bumped it then). Missing, null and empty annotations are equal,
/// as `apiequality.Semantic.DeepEqual` treats nil and empty maps.
pub fn prepare_for_update(old: &Value, new: &mut Value) {
    let annotations = |object: &Value| {
        object["metadata"]["annotations"]
            .as_object()
            .filter(|annotations| !annotations.is_empty())
            .cloned()
    };
    if old.get("spec") == new.get("spec") && annotations(old) != annotations(new) {
        let generation = old["metadata"]["generation"].as_i64().unwrap_or(0);
        new["metadata"]["generation"] = json!(generation + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(annotations: Value, replicas: i64) -> Value {
        json!({"metadata": {"name": "web", "generation": 3, "annotations": annotations},
            "spec": {"replicas": replicas}})
    }

    #[test]
    fn an_annotation_change_bumps_the_generation_once() {
        let old = deployment(json!({"a": "1"}), 1);
        let mut new = deployment(json!({"a": "2"}), 1);
        prepare_for_update(&old, &mut new);
        assert_eq!(new["metadata"]["generation"], json!(4));

        // The spec changed too: the generic rule's bump is the only one.
        let mut both = deployment(json!({"a": "2"}), 2);
        both["metadata"]["generation"] = json!(4);
        prepare_for_update(&old, &mut both);
        assert_eq!(both["metadata"]["generation"], json!(4));
    }

    #[test]
    fn missing_null_and_empty_annotations_are_the_same() {
        for (before, after) in [(json!(null), json!({})), (json!({}), json!(null))] {
            let old = deployment(before, 1);
            let mut new = deployment(after, 1);
            prepare_for_update(&old, &mut new);
            assert_eq!(new["metadata"]["generation"], json!(3));
        }
    }
}
