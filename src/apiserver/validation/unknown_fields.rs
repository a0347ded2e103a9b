//! Strict decoding (`fieldValidation=Strict`): the fields of a request that the kind's
//! typed form has no place for, and the 400 BadRequest that reports them.

use serde_json::Value;

use crate::apiserver::codec;
use crate::apiserver::errors::ApiError;
use crate::apiserver::kinds::ResourceInfo;

/// Strict decoding (fieldValidation=Strict): dotted paths of unknown fields, e.g. `spec.foo`,
/// `spec.containers[0].imagee`. Fields whose value is null are ignored, as Go's decoder does.
pub fn unknown_fields(resource: &ResourceInfo, obj: &Value) -> Vec<String> {
    let Ok(known) = codec::typed_form(resource, &with_type_meta(resource, obj)) else {
        // Not decodable at all: `codec::normalize` reports that on the request path.
        return Vec::new();
    };
    unknown_fields_against(obj, &known)
}

/// The fields of `obj` that its typed round trip `round_tripped` has no place for, for
/// callers that already did the round trip (see `codec::typed_form`).
pub fn unknown_fields_against(obj: &Value, round_tripped: &Value) -> Vec<String> {
    let mut unknown = Vec::new();
    collect_unknown(obj, Some(round_tripped), &mut String::new(), &mut unknown);
    unknown
}

/// The problems of unknown fields at `paths`, in the given order: `unknown field "<path>"`.
pub fn unknown_field_problems(paths: &[String]) -> Vec<String> {
    paths
        .iter()
        .map(|path| super::field_order::unknown_field_problem(path))
        .collect()
}

/// The 400 BadRequest a real server gives for strict decoding failures; `problems` are
/// `unknown field "<path>"` and `duplicate field "<path>"`, in document order.
pub fn strict_decoding_error(resource: &ResourceInfo, problems: &[String]) -> ApiError {
    ApiError::bad_request(format!(
        "{}strict decoding error: {}",
        codec::decode_error_prefix(resource),
        problems.join(", ")
    ))
}

/// A copy whose apiVersion and kind are the resource's, so the typed decoders accept it
/// (mismatches are the handler's concern, with their own messages).
fn with_type_meta(resource: &ResourceInfo, obj: &Value) -> Value {
    let mut copy = obj.clone();
    if let Some(map) = copy.as_object_mut() {
        map.insert("apiVersion".into(), Value::String(resource.api_version()));
        map.insert("kind".into(), Value::String(resource.kind.to_string()));
    }
    copy
}

/// Keys of `input` (recursively, arrays by index) that the typed round trip dropped.
/// `path` is a scratch buffer holding the current field path; a path string is only
/// built for a dropped field, since almost every field is known.
fn collect_unknown(input: &Value, known: Option<&Value>, path: &mut String, out: &mut Vec<String>) {
    let parent_len = path.len();
    match input {
        Value::Object(map) => {
            for (key, value) in map {
                if value.is_null() {
                    continue;
                }
                if parent_len > 0 {
                    path.push('.');
                }
                path.push_str(key);
                match known.and_then(|k| k.get(key)) {
                    Some(known_value) => collect_unknown(value, Some(known_value), path, out),
                    None => out.push(path.clone()),
                }
                path.truncate(parent_len);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                use std::fmt::Write as _;
                let _ = write!(path, "[{i}]");
                collect_unknown(item, known.and_then(|k| k.get(i)), path, out);
                path.truncate(parent_len);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::kinds::{PODS, SECRETS, SELF_SUBJECT_REVIEWS};
    use serde_json::json;

    #[test]
    fn unknown_fields_by_path() {
        let obj = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "bogus": 1, "labels": {"a": "b"}},
            "spec": {"foo": true, "nodeName": null, "containers": [{"name": "c", "image": "i", "imagee": "x"},
                {"name": "d", "image": "i", "ports": [{"containerPort": 1, "hostport": 2}]}]},
            "extra": {"deep": 1}});
        assert_eq!(
            unknown_fields(&PODS, &obj),
            vec![
                "extra",
                "metadata.bogus",
                "spec.containers[0].imagee",
                "spec.containers[1].ports[0].hostport",
                "spec.foo",
            ]
        );
        let secret = json!({"metadata": {"name": "s"}, "data": {"any-key": "eA=="}, "stringData": {"x": "y"}, "type": "Opaque"});
        assert!(unknown_fields(&SECRETS, &secret).is_empty());
        let review = json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview", "metadata": {}, "spec": {}});
        assert_eq!(unknown_fields(&SELF_SUBJECT_REVIEWS, &review), vec!["spec"]);
    }

    #[test]
    fn strict_decoding_error_text() {
        let err = strict_decoding_error(
            &PODS,
            &unknown_field_problems(&[
                "spec.foo".to_string(),
                "spec.containers[0].imagee".to_string(),
            ]),
        );
        assert_eq!(err.code, 400);
        assert_eq!(err.reason, "BadRequest");
        assert_eq!(
            err.message,
            "Pod in version \"v1\" cannot be handled as a Pod: strict decoding error: unknown field \"spec.foo\", unknown field \"spec.containers[0].imagee\""
        );
    }
}
