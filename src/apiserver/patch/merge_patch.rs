//! JSON merge patch (RFC 7386), as evanphx/json-patch's `MergePatch` applies it.

use serde_json::Value;

use super::PatchError;

/// `patch` merged into `original`. As evanphx/json-patch v4's `MergePatch` (which upstream
/// reaches only under `fieldValidation=Ignore`; the strict decoder refuses anything but an
/// object first): `null` and a scalar are `Invalid JSON Patch`, and a list is the result,
/// with its `null` items and the `null` fields of its objects pruned, for the caller to
/// refuse as an object that is not one.
pub(super) fn apply_merge_patch(original: &Value, patch: &Value) -> Result<Value, PatchError> {
    match patch {
        Value::Object(_) => {
            let mut document = original.clone();
            json_patch::merge(&mut document, patch);
            Ok(document)
        }
        Value::Array(_) => {
            let mut list = patch.clone();
            prune_nulls(&mut list);
            Ok(list)
        }
        _ => Err(PatchError::InvalidMergePatch),
    }
}

/// `pruneNulls`: `null` items leave lists and `null` fields leave objects, at every depth.
fn prune_nulls(value: &mut Value) {
    match value {
        Value::Array(items) => {
            items.retain(|item| !item.is_null());
            items.iter_mut().for_each(prune_nulls);
        }
        Value::Object(fields) => {
            fields.retain(|_, field| !field.is_null());
            fields.values_mut().for_each(prune_nulls);
        }
        _ => {}
    }
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
            (
                "a scalar is refused",
                json!(true),
                Err(PatchError::InvalidMergePatch),
            ),
            (
                "so is a string",
                json!("x"),
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
        // The list is quoted as MergePatch returns it: without its nulls.
        let err = apply_patch(
            "ConfigMap",
            &original,
            &json!([1, null, {"a": null, "b": [null, 2]}]),
            PatchType::Merge,
        )
        .expect_err("list");
        assert!(
            matches!(&err, PatchError::PatchedNotAnObject { patched, .. } if patched == r#"[1,{"b":[2]}]"#),
            "{err:?}"
        );
        let api = PatchError::InvalidMergePatch.into_api_error(&CONFIG_MAPS, "cfg");
        assert_eq!(
            (api.code, api.reason.as_str(), api.message.as_str()),
            (400, "BadRequest", "Invalid JSON Patch")
        );
    }
}
