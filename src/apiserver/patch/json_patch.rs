//! JSON patch (RFC 6902) as the API server applies it: evanphx/json-patch's behaviour and
//! error texts, with the operation limit of `k8s.io/apiserver/pkg/endpoints/handlers/patch.go`.

use serde_json::Value;

use super::{PatchError, MAX_JSON_PATCH_OPERATIONS};
use crate::go_json_syntax::go_json_kind;

pub(super) fn apply_json_patch(original: &Value, patch: &Value) -> Result<Value, PatchError> {
    let operations = match patch {
        Value::Array(operations) => operations,
        // Go decodes `null` into an empty patch.
        Value::Null => return Ok(original.clone()),
        other => {
            return Err(PatchError::Decode(format!(
                "json: cannot unmarshal {} into Go value of type jsonpatch.Patch",
                go_json_kind(other)
            )))
        }
    };
    if let Some(bad) = operations
        .iter()
        .find(|op| !(op.is_object() || op.is_null()))
    {
        return Err(PatchError::Decode(format!(
            "json: cannot unmarshal {} into Go value of type jsonpatch.Operation",
            go_json_kind(bad)
        )));
    }
    if operations.len() > MAX_JSON_PATCH_OPERATIONS {
        return Err(PatchError::TooManyOperations(operations.len()));
    }
    let mut document = original.clone();
    for operation in operations {
        apply_json_patch_operation(&mut document, operation)?;
    }
    Ok(document)
}

fn apply_json_patch_operation(document: &mut Value, operation: &Value) -> Result<(), PatchError> {
    let mut fields = operation.as_object().cloned().unwrap_or_default();
    let op = fields
        .get("op")
        .and_then(Value::as_str)
        .unwrap_or("unknown")
        .to_string();
    if !matches!(
        op.as_str(),
        "add" | "remove" | "replace" | "move" | "copy" | "test"
    ) {
        return Err(PatchError::JsonPatchFailed(format!(
            "Unexpected kind: {op}"
        )));
    }
    let Some(path) = fields
        .get("path")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return Err(PatchError::JsonPatchFailed(format!(
            "{op} operation failed to decode path: missing value"
        )));
    };
    let from = fields
        .get("from")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    // The Go library treats a missing value as null.
    if matches!(op.as_str(), "add" | "replace" | "test") && !fields.contains_key("value") {
        fields.insert("value".to_string(), Value::Null);
    }
    // The API server's json-patch library (evanphx v4) lets `replace` create a missing member.
    if op == "replace" && is_missing_object_member(document, &path) {
        fields.insert("op".to_string(), Value::String("add".to_string()));
    }
    let parsed: json_patch::PatchOperation = serde_json::from_value(Value::Object(fields))
        .map_err(|e| PatchError::JsonPatchFailed(format!("{op} operation is invalid: {e}")))?;
    json_patch::patch(document, std::slice::from_ref(&parsed)).map_err(|e| {
        PatchError::JsonPatchFailed(describe_json_patch_failure(&op, &path, &from, &e.kind))
    })
}

/// True when `pointer` names a member that its (existing) parent object lacks.
fn is_missing_object_member(document: &Value, pointer: &str) -> bool {
    let Some(split) = pointer.rfind('/') else {
        return false;
    };
    let (parent, last) = (&pointer[..split], &pointer[split + 1..]);
    let member = last.replace("~1", "/").replace("~0", "~");
    matches!(document.pointer(parent), Some(Value::Object(fields)) if !fields.contains_key(&member))
}

/// The evanphx/json-patch wording for a failed operation.
fn describe_json_patch_failure(
    op: &str,
    path: &str,
    from: &str,
    kind: &json_patch::PatchErrorKind,
) -> String {
    use json_patch::PatchErrorKind;
    match (kind, op) {
        (PatchErrorKind::TestFailed, _) => format!("testing value {path} failed: test failed"),
        (PatchErrorKind::InvalidFromPointer, _) => {
            format!(
                "{op} operation does not apply: doc is missing from path: {from}: missing value"
            )
        }
        (PatchErrorKind::CannotMoveInsideItself, _) => {
            format!("move operation does not apply: cannot move {from} inside itself")
        }
        (_, "test") => {
            format!("test operation does not apply: is missing path: {path}: missing value")
        }
        (_, "replace") => {
            format!("replace operation does not apply: doc is missing path: {path}: missing value")
        }
        (_, "move" | "copy") => {
            format!("{op} operation does not apply: doc is missing destination path: {path}: missing value")
        }
        _ => {
            format!("{op} operation does not apply: doc is missing path: \"{path}\": missing value")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::config_map;
    use super::super::{apply_patch, PatchType};
    use super::*;
    use crate::apiserver::kinds::CONFIG_MAPS;
    use serde_json::json;

    #[test]
    fn json_patch_cases() {
        let original = json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "cfg", "labels": {"app": "web"}, "finalizers": ["a"]},
            "data": {"a": "1"}
        });
        let with = |pointer: &str, value: Value| {
            let mut expected = original.clone();
            if let Some(slot) = expected.pointer_mut(pointer) {
                *slot = value;
            }
            expected
        };
        let failed = |message: &str| Err(PatchError::JsonPatchFailed(message.to_string()));
        let cases: Vec<(&str, Value, Result<Value, PatchError>)> = vec![
            (
                "add a label",
                json!([{"op": "add", "path": "/metadata/labels/tier", "value": "db"}]),
                Ok(with("/metadata/labels", json!({"app": "web", "tier": "db"}))),
            ),
            ("remove a key", json!([{"op": "remove", "path": "/data/a"}]), Ok(with("/data", json!({})))),
            (
                "replace a value",
                json!([{"op": "replace", "path": "/data/a", "value": "2"}]),
                Ok(with("/data/a", json!("2"))),
            ),
            (
                "replace creates a missing member, as the Go library does",
                json!([{"op": "replace", "path": "/data/b", "value": "2"}]),
                Ok(with("/data", json!({"a": "1", "b": "2"}))),
            ),
            (
                "test then replace",
                json!([{"op": "test", "path": "/data/a", "value": "1"}, {"op": "replace", "path": "/data/a", "value": "9"}]),
                Ok(with("/data/a", json!("9"))),
            ),
            (
                "move",
                json!([{"op": "move", "from": "/data/a", "path": "/data/c"}]),
                Ok(with("/data", json!({"c": "1"}))),
            ),
            (
                "copy",
                json!([{"op": "copy", "from": "/data/a", "path": "/data/c"}]),
                Ok(with("/data", json!({"a": "1", "c": "1"}))),
            ),
            (
                "append to a list",
                json!([{"op": "add", "path": "/metadata/finalizers/-", "value": "b"}]),
                Ok(with("/metadata/finalizers", json!(["a", "b"]))),
            ),
            ("null is an empty patch", Value::Null, Ok(original.clone())),
            (
                "failed test",
                json!([{"op": "test", "path": "/data/a", "value": "2"}, {"op": "remove", "path": "/data/a"}]),
                failed("testing value /data/a failed: test failed"),
            ),
            (
                "remove a missing key",
                json!([{"op": "remove", "path": "/data/zzz"}]),
                failed("remove operation does not apply: doc is missing path: \"/data/zzz\": missing value"),
            ),
            (
                "add below a missing parent",
                json!([{"op": "add", "path": "/spec/x", "value": 1}]),
                failed("add operation does not apply: doc is missing path: \"/spec/x\": missing value"),
            ),
            ("unknown operation", json!([{"op": "frobnicate", "path": "/data"}]), failed("Unexpected kind: frobnicate")),
            (
                "operation without a path",
                json!([{"op": "add", "value": 1}]),
                failed("add operation failed to decode path: missing value"),
            ),
            (
                "not a list",
                json!({"op": "add"}),
                Err(PatchError::Decode(
                    "json: cannot unmarshal object into Go value of type jsonpatch.Patch".to_string(),
                )),
            ),
            (
                "an operation that is not an object",
                json!(["add"]),
                Err(PatchError::Decode(
                    "json: cannot unmarshal string into Go value of type jsonpatch.Operation".to_string(),
                )),
            ),
        ];
        for (name, patch, expected) in cases {
            assert_eq!(
                apply_patch("ConfigMap", &original, &patch, PatchType::Json),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn json_patch_that_replaces_the_document_with_a_list_is_invalid() {
        let original = config_map(json!({}));
        let err = apply_patch(
            "ConfigMap",
            &original,
            &json!([{"op": "replace", "path": "", "value": [1]}]),
            PatchType::Json,
        )
        .expect_err("a list is not an object");
        assert!(
            matches!(&err, PatchError::PatchedNotAnObject { patched, .. } if patched == "[1]"),
            "{err:?}"
        );
        let api = err.into_api_error(&CONFIG_MAPS, "cfg");
        assert_eq!(api.code, 422);
        assert_eq!(api.reason, "Invalid");
        assert!(api.message.starts_with(" \"\" is invalid: patch: Invalid value: \"[1]\": couldn't get version/kind; json parse error: json: cannot unmarshal array"), "{}", api.message);
        assert_eq!(api.causes[0].field, "patch");
        assert_eq!(api.causes[0].reason, "FieldValueInvalid");
    }

    #[test]
    fn json_patch_operation_limit() {
        let original = config_map(json!({}));
        let ops: Vec<Value> = (0..=MAX_JSON_PATCH_OPERATIONS)
            .map(|_| json!({"op": "test", "path": "/kind", "value": "ConfigMap"}))
            .collect();
        let err = apply_patch("ConfigMap", &original, &Value::Array(ops), PatchType::Json)
            .expect_err("too many");
        assert_eq!(err, PatchError::TooManyOperations(10_001));
        let api = err.into_api_error(&CONFIG_MAPS, "cfg");
        assert_eq!(
            (api.code, api.reason.as_str()),
            (413, "RequestEntityTooLarge")
        );
        assert_eq!(
            api.message,
            "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001"
        );
    }
}
