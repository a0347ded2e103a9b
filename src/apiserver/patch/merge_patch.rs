//! JSON merge patch (RFC 7386), as evanphx/json-patch's `MergePatch` applies it.

use serde_json::Value;

use super::PatchError;

pub(super) fn apply_merge_patch(original: &Value, patch: &Value) -> Result<Value, PatchError> {
    if patch.is_null() {
        return Err(PatchError::InvalidMergePatch);
    }
    let mut document = original.clone();
    json_patch::merge(&mut document, patch);
    Ok(document)
}

#[cfg(test)]
mod tests {
    use super::super::{apply_patch, PatchType};
    use super::*;
    use crate::apiserver::kinds::CONFIG_MAPS;
    use serde_json::json;

    #[test]
    fn merge_patch_cases() {
        let original = json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "cfg", "labels": {"app": "web"}, "finalizers": ["a", "b"]},
            "data": {"a": "1", "b": "2"}
        });
        let cases: Vec<(&str, Value, Result<Value, PatchError>)> = vec![
            (
                "set a label, delete a key",
                json!({"metadata": {"labels": {"tier": "db"}}, "data": {"a": null}}),
                Ok(json!({
                    "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "cfg", "labels": {"app": "web", "tier": "db"}, "finalizers": ["a", "b"]},
                    "data": {"b": "2"}
                })),
            ),
            (
                "lists are replaced, new objects lose their nulls",
                json!({"metadata": {"finalizers": ["c"], "annotations": {"x": "1", "y": null}}}),
                Ok(json!({
                    "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "cfg", "labels": {"app": "web"}, "finalizers": ["c"], "annotations": {"x": "1"}},
                    "data": {"a": "1", "b": "2"}
                })),
            ),
            (
                "null is refused",
                Value::Null,
                Err(PatchError::InvalidMergePatch),
            ),
        ];
        for (name, patch, expected) in cases {
            assert_eq!(
                apply_patch("ConfigMap", &original, &patch, PatchType::Merge),
                expected,
                "{name}"
            );
        }
        let err =
            apply_patch("ConfigMap", &original, &json!(["x"]), PatchType::Merge).expect_err("list");
        assert!(
            matches!(err, PatchError::PatchedNotAnObject { .. }),
            "{err:?}"
        );
        let api = PatchError::InvalidMergePatch.into_api_error(&CONFIG_MAPS, "cfg");
        assert_eq!(
            (api.code, api.reason.as_str(), api.message.as_str()),
            (400, "BadRequest", "Invalid JSON Patch")
        );
    }
}
