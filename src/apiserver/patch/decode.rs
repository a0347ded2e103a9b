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

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
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
    // Go reads invalid UTF-8 and unpaired surrogates in strings as U+FFFD.
    let replaced = crate::go_json_strings::with_go_replacements(body);
    let parsed = serde_json::from_slice(body).or_else(|e| {
        replaced
            .as_deref()
            .and_then(|replaced| serde_json::from_slice(replaced).ok())
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
            PatchType::Json => json_patch_type_error(replaced.as_deref().unwrap_or(body)),
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

/// `json.Unmarshal`'s first type error reading `body` (a document that parses) into
/// `[]jsonPatchOp`, whose `op`, `path` and `from` are strings and `value` anything. Go goes
/// on after a type error and reports the first one, in document order: a repeated key
/// whose first copy has the wrong type is an error even when a later copy is right.
fn json_patch_type_error(body: &[u8]) -> Option<String> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    Operations::deserialize(&mut deserializer)
        .ok()
        .and_then(|operations| operations.0)
}

/// The first type error of a JSON patch document, read in document order.
struct Operations(Option<String>);

/// The first type error of one operation.
struct Operation(Option<String>);

/// What Go says when a JSON value of `kind` cannot be read into `target`.
fn cannot_unmarshal(kind: &str, target: &str) -> Option<String> {
    Some(format!("json: cannot unmarshal {kind} into Go {target}"))
}

/// Visits the scalar kinds as type errors against `$target` (null is always fine).
macro_rules! scalars_are_type_errors {
    ($wrap:ident, $target:expr) => {
        fn visit_unit<E: serde::de::Error>(self) -> Result<$wrap, E> {
            Ok($wrap(None))
        }
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<$wrap, E> {
            Ok($wrap(cannot_unmarshal("bool", $target)))
        }
        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<$wrap, E> {
            Ok($wrap(cannot_unmarshal("number", $target)))
        }
        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<$wrap, E> {
            Ok($wrap(cannot_unmarshal("number", $target)))
        }
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<$wrap, E> {
            Ok($wrap(cannot_unmarshal("number", $target)))
        }
        fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<$wrap, E> {
            Ok($wrap(cannot_unmarshal("string", $target)))
        }
    };
}

const OPERATIONS_TARGET: &str = "value of type []handlers.jsonPatchOp";
const OPERATION_TARGET: &str = "value of type handlers.jsonPatchOp";

impl<'de> Deserialize<'de> for Operations {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OperationsVisitor;
        impl<'de> Visitor<'de> for OperationsVisitor {
            type Value = Operations;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON patch")
            }
            scalars_are_type_errors!(Operations, OPERATIONS_TARGET);
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Operations, A::Error> {
                let mut first = None;
                while let Some(Operation(error)) = seq.next_element()? {
                    first = first.or(error);
                }
                Ok(Operations(first))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Operations, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Operations(cannot_unmarshal("object", OPERATIONS_TARGET)))
            }
        }
        deserializer.deserialize_any(OperationsVisitor)
    }
}

impl<'de> Deserialize<'de> for Operation {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OperationVisitor;
        impl<'de> Visitor<'de> for OperationVisitor {
            type Value = Operation;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON patch operation")
            }
            scalars_are_type_errors!(Operation, OPERATION_TARGET);
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Operation, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Operation(cannot_unmarshal("array", OPERATION_TARGET)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Operation, A::Error> {
                let mut first = None;
                while let Some(key) = map.next_key::<String>()? {
                    if matches!(key.as_str(), "op" | "path" | "from") {
                        let value: Value = map.next_value()?;
                        if first.is_none() && !value.is_string() && !value.is_null() {
                            first = cannot_unmarshal(
                                go_json_kind(&value),
                                &format!("struct field jsonPatchOp.{key} of type string"),
                            );
                        }
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(Operation(first))
            }
        }
        deserializer.deserialize_any(OperationVisitor)
    }
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
            // Document order, and a wrong first copy of a repeated key counts.
            (PatchType::Json, r#"[{"path":1,"op":2}]"#, "error decoding patch: json: cannot unmarshal number into Go struct field jsonPatchOp.path of type string"),
            (PatchType::Json, r#"[{"op":1,"op":"add","path":"/a"}]"#, "error decoding patch: json: cannot unmarshal number into Go struct field jsonPatchOp.op of type string"),
            (PatchType::Json, r#"[{"op":"add","path":"/a","value":{"op":1}},{"from":true}]"#, "error decoding patch: json: cannot unmarshal bool into Go struct field jsonPatchOp.from of type string"),
            (PatchType::Json, r#"[[1],"x"]"#, "error decoding patch: json: cannot unmarshal array into Go value of type handlers.jsonPatchOp"),
            (PatchType::Json, r#""x""#, "error decoding patch: json: cannot unmarshal string into Go value of type []handlers.jsonPatchOp"),
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
