//! The patch document read from the request body, as `patch.go` reads it before applying
//! it, with upstream's error texts. Which decoder runs depends on `fieldValidation`:
//!
//! - Strict and Warn (the default): sigs.k8s.io/json's `UnmarshalStrict` into the patch's
//!   Go type (`[]jsonPatchOp` for a JSON patch, `map[string]interface{}` for a merge or
//!   strategic merge patch). JSON and merge patches put `error decoding patch: ` before
//!   its error (`applyJSPatch`); a strategic merge patch does not (`strategicPatchObject`).
//! - Ignore: a JSON patch is read by evanphx/json-patch's `DecodePatch` (Go's error alone;
//!   its type errors come from [`super::json_patch`]); a merge patch by `MergePatch`, which
//!   answers `Invalid JSON Patch` to any syntax error; a strategic merge patch as above.
//!
//! Only the bytes are read here; what a document that parses means is the patch modules' job.

use serde_json::Value;

use super::{PatchError, PatchType};
use crate::go_json_syntax::go_json_kind;

/// The prefix `applyJSPatch` gives a strict decoding failure.
const DECODING_PREFIX: &str = "error decoding patch: ";

/// The patch document of a JSON, merge or strategic merge patch (not server-side apply,
/// whose body is YAML), read as upstream reads it under `fieldValidation` (`strict` is
/// Strict or Warn).
///
/// # Errors
///
/// [`PatchError::Decode`] (400) with upstream's text: Go's syntax error
/// (`unexpected end of JSON input`, `invalid character '}' looking for beginning of object
/// key string`), or under Strict and Warn the type error of a document that is not the
/// patch's Go type (`json: cannot unmarshal object into Go value of type
/// []handlers.jsonPatchOp`); a merge patch under Ignore gets [`PatchError::InvalidMergePatch`].
pub(crate) fn decode_patch(
    patch_type: PatchType,
    body: &[u8],
    strict: bool,
) -> Result<Value, PatchError> {
    let parsed = serde_json::from_slice(body).or_else(|e| {
        // Go reads invalid UTF-8 and unpaired surrogates in strings as U+FFFD.
        crate::go_json_strings::with_go_replacements(body)
            .and_then(|replaced| serde_json::from_slice(&replaced).ok())
            .ok_or(e)
    });
    let document: Value = match parsed {
        Ok(document) => document,
        Err(e) => {
            // Documents Go reads and serde_json does not (nesting beyond 128 levels, a
            // number beyond f64) keep serde_json's text.
            let detail = crate::go_json_syntax::syntax_error(body).unwrap_or_else(|| e.to_string());
            return Err(match (patch_type, strict) {
                (PatchType::Merge, false) => PatchError::InvalidMergePatch,
                (PatchType::Json | PatchType::Merge, true) => {
                    PatchError::Decode(format!("{DECODING_PREFIX}{detail}"))
                }
                _ => PatchError::Decode(detail),
            });
        }
    };
    if strict {
        let type_error = match patch_type {
            PatchType::Json => json_patch_type_error(&document),
            PatchType::Merge => map_type_error(&document),
            PatchType::StrategicMerge | PatchType::Apply => None,
        };
        if let Some(error) = type_error {
            return Err(PatchError::Decode(format!("{DECODING_PREFIX}{error}")));
        }
    }
    Ok(document)
}

/// `json.Unmarshal`'s type error for a merge patch that is not an object (`null` decodes
/// into a nil map).
fn map_type_error(document: &Value) -> Option<String> {
    (!document.is_object() && !document.is_null()).then(|| {
        format!(
            "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            go_json_kind(document)
        )
    })
}

/// `json.Unmarshal`'s first type error for a JSON patch read into `[]jsonPatchOp`, whose
/// `op`, `path` and `from` are strings and `value` anything. Go goes on after a type error
/// and reports the first one; fields of one operation are checked in the order serde_json
/// keeps them (alphabetical), which is the document's order when only one is wrong.
fn json_patch_type_error(document: &Value) -> Option<String> {
    let operations = match document {
        Value::Array(operations) => operations,
        Value::Null => return None,
        other => {
            return Some(format!(
                "json: cannot unmarshal {} into Go value of type []handlers.jsonPatchOp",
                go_json_kind(other)
            ))
        }
    };
    operations.iter().find_map(|operation| match operation {
        Value::Object(fields) => fields
            .iter()
            .filter(|(key, _)| matches!(key.as_str(), "op" | "path" | "from"))
            .find(|(_, value)| !value.is_string() && !value.is_null())
            .map(|(key, value)| {
                format!(
                    "json: cannot unmarshal {} into Go struct field jsonPatchOp.{key} of type string",
                    go_json_kind(value)
                )
            }),
        Value::Null => None,
        other => Some(format!(
            "json: cannot unmarshal {} into Go value of type handlers.jsonPatchOp",
            go_json_kind(other)
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(patch_type: PatchType, body: &str, strict: bool) -> Result<Value, String> {
        decode_patch(patch_type, body.as_bytes(), strict).map_err(|e| e.to_string())
    }

    #[test]
    fn syntax_errors_in_upstreams_words_by_type_and_field_validation() {
        let cases = [
            (
                PatchType::Json,
                true,
                "error decoding patch: unexpected end of JSON input",
            ),
            (PatchType::Json, false, "unexpected end of JSON input"),
            (
                PatchType::Merge,
                true,
                "error decoding patch: unexpected end of JSON input",
            ),
            (PatchType::Merge, false, "Invalid JSON Patch"),
            (
                PatchType::StrategicMerge,
                true,
                "unexpected end of JSON input",
            ),
            (
                PatchType::StrategicMerge,
                false,
                "unexpected end of JSON input",
            ),
        ];
        for (patch_type, strict, expected) in cases {
            assert_eq!(
                decode(patch_type, r#"{"data":"#, strict),
                Err(expected.to_string()),
                "{patch_type:?} strict={strict}"
            );
        }
        assert_eq!(
            decode(PatchType::Merge, r#"{"data":{"a":"1",}}"#, true),
            Err("error decoding patch: invalid character '}' looking for beginning of object key string".to_string())
        );
        assert_eq!(
            decode(PatchType::StrategicMerge, "{} x", false),
            Err("invalid character 'x' after top-level value".to_string())
        );
    }

    #[test]
    fn strict_decoding_type_errors() {
        let cases = [
            (PatchType::Json, r#"{"op":"add"}"#, "error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp"),
            (PatchType::Json, r#"[{"op":"add","path":"/a"},1]"#, "error decoding patch: json: cannot unmarshal number into Go value of type handlers.jsonPatchOp"),
            (PatchType::Json, r#"[{"op":"add","path":7}]"#, "error decoding patch: json: cannot unmarshal number into Go struct field jsonPatchOp.path of type string"),
            (PatchType::Json, r#"[{"op":["add"]}]"#, "error decoding patch: json: cannot unmarshal array into Go struct field jsonPatchOp.op of type string"),
            (PatchType::Merge, r#"["x"]"#, "error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}"),
            (PatchType::Merge, "true", "error decoding patch: json: cannot unmarshal bool into Go value of type map[string]interface {}"),
        ];
        for (patch_type, body, expected) in cases {
            assert_eq!(
                decode(patch_type, body, true),
                Err(expected.to_string()),
                "{body}"
            );
        }
    }

    #[test]
    fn documents_that_decode_are_returned_as_they_are() {
        for (patch_type, body) in [
            (
                PatchType::Json,
                r#"[{"op":"add","path":"/a","value":1,"from":null},null]"#,
            ),
            (PatchType::Json, "null"),
            (PatchType::Merge, "null"),
            (PatchType::Merge, r#"{"data":{"a":null}}"#),
            // The patch modules refuse these under Ignore, in the libraries' words.
            (PatchType::Json, r#"{"op":"add"}"#),
            (PatchType::Merge, r#"["x"]"#),
        ] {
            let strict = !matches!(body, r#"{"op":"add"}"# | r#"["x"]"#);
            let expected: Value = serde_json::from_str(body).expect("test body");
            assert_eq!(decode(patch_type, body, strict), Ok(expected), "{body}");
        }
    }
}
