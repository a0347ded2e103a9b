//! Decoding into the typed API objects: what a real server stores is what its Go types
//! can hold, so unknown fields are dropped and values take their canonical form.

use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;

use super::errors::ApiError;
use super::kinds::ResourceInfo;

/// The object as upstream stores it: its kind's typed form
/// ([`super::kinds::Strategy::normalize`]) brought to what the storage round trip gives back
/// ([`super::protobuf::drop_empty_collections`]).
pub fn normalize(resource: &ResourceInfo, object: &Value) -> Result<Value, ApiError> {
    to_stored_form(resource, typed_form(resource, object)?)
}

/// The object as its kind's typed form serializes it, before the storage round trip: every
/// field the request gave that the kind knows is still there (strict decoding compares
/// against it).
pub fn typed_form(resource: &ResourceInfo, object: &Value) -> Result<Value, ApiError> {
    resource.strategy.normalize(resource, object)
}

/// A typed form (see [`typed_form`]) as upstream's storage round trip leaves it.
pub fn to_stored_form(resource: &ResourceInfo, mut typed: Value) -> Result<Value, ApiError> {
    super::protobuf::drop_empty_collections(resource, &mut typed)?;
    Ok(typed)
}

/// The typed round trip through `T`; a type error is 400 BadRequest in Go's decoder words.
pub fn round_trip<T: DeserializeOwned + Serialize>(
    resource: &ResourceInfo,
    object: &Value,
) -> Result<Value, ApiError> {
    let read = super::protobuf::read_quantities(resource, object)?;
    let typed: T = T::deserialize(read.as_ref().unwrap_or(object)).map_err(|e| {
        ApiError::bad_request(format!(
            "{}{}",
            decode_error_prefix(resource),
            go_style_decode_error(&e)
        ))
    })?;
    serde_json::to_value(&typed).map_err(|e| ApiError::internal(e.to_string()))
}

/// Upstream's `transformDecodeError` for a body whose kind could not be read:
/// `the object provided is unrecognized (must be of type KIND): DETAIL (SUMMARY)`.
pub(crate) fn unrecognized(resource: &ResourceInfo, detail: &str, body: &[u8]) -> ApiError {
    ApiError::bad_request(format!(
        "the object provided is unrecognized (must be of type {}): {detail} ({})",
        resource.kind,
        summarize_data(body)
    ))
}

/// Bytes as Go's JSON encoder writes a string holding them: each byte that is not part of
/// valid UTF-8 becomes one U+FFFD (a cut-off character gives one per byte).
fn go_string(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        text.extend(chunk.invalid().iter().map(|_| char::REPLACEMENT_CHARACTER));
    }
    text
}

/// Upstream's `summarizeData(body, 30)`: `<empty>`, the text of a body that starts with
/// `{`, else its bytes in hex; the first 30 bytes, then ` ...` when there are more.
pub(crate) fn summarize_data(body: &[u8]) -> String {
    const MAX_LENGTH: usize = 30;
    let shown = &body[..body.len().min(MAX_LENGTH)];
    let mut summary = match body.first() {
        None => return "<empty>".into(),
        Some(b'{') => go_string(shown),
        Some(_) => shown.iter().map(|b| format!("{b:02x}")).collect(),
    };
    if body.len() > MAX_LENGTH {
        summary.push_str(" ...");
    }
    summary
}

/// `Pod in version "v1" cannot be handled as a Pod: `, as a real server words it.
pub(crate) fn decode_error_prefix(resource: &ResourceInfo) -> String {
    format!(
        "{kind} in version \"{version}\" cannot be handled as a {kind}: ",
        kind = resource.kind,
        version = resource.version
    )
}

/// serde's "invalid type: string \"x\", expected i64" in the words of Go's decoder.
fn go_style_decode_error(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let Some(rest) = text.strip_prefix("invalid type: ") else {
        return format!("json: {text}");
    };
    let Some((found, expected)) = rest.split_once(", expected ") else {
        return format!("json: {text}");
    };
    let go_found = match found.split_whitespace().next().unwrap_or_default() {
        "string" => "string",
        "integer" | "floating" => "number",
        "boolean" => "bool",
        "map" => "object",
        "sequence" => "array",
        "null" => "null",
        other => other,
    };
    let go_expected = match expected {
        "i64" => "int64",
        "i32" => "int32",
        "u8" | "u16" | "u32" | "u64" => "uint",
        "f64" => "float64",
        "a boolean" => "bool",
        "a string" => "string",
        "a sequence" => "[]interface {}",
        "a map" => "map[string]interface {}",
        other => other,
    };
    format!("json: cannot unmarshal {go_found} into Go value of type {go_expected}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::kinds::{CLUSTER_ROLES, PODS, SECRETS, SERVICE_ACCOUNTS};
    use serde_json::json;

    #[test]
    fn unknown_fields_are_dropped_and_known_ones_kept() {
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "i", "bogus": 1}], "nope": true}});
        let normalized = normalize(&PODS, &pod).expect("valid");
        assert_eq!(
            normalized["spec"]["containers"][0],
            json!({"name": "c", "image": "i"})
        );
        assert!(normalized["spec"].get("nope").is_none());
    }

    #[test]
    fn quantities_are_stored_as_upstream_prints_them() {
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {
                "overhead": {"memory": 0.5},
                "volumes": [{"name": "v", "emptyDir": {"sizeLimit": "2048Ki"}}],
                "containers": [{"name": "c", "image": "i",
                    "env": [{"name": "E", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu", "divisor": "1000m"}}}],
                    "resources": {"requests": {"cpu": "1.500k", "memory": "1.5Ki"}, "limits": {"cpu": 2}}}],
                "initContainers": [{"name": "i", "image": "i", "resources": {"limits": {"cpu": " 0.25 "}}}]}});
        let normalized = normalize(&PODS, &pod).expect("valid");
        let spec = &normalized["spec"];
        assert_eq!(spec["overhead"], json!({"memory": "500m"}));
        assert_eq!(spec["volumes"][0]["emptyDir"]["sizeLimit"], "2Mi");
        let container = &spec["containers"][0];
        assert_eq!(
            container["env"][0]["valueFrom"]["resourceFieldRef"]["divisor"],
            "1"
        );
        assert_eq!(
            container["resources"],
            json!({"requests": {"cpu": "1.500k", "memory": "1536"}, "limits": {"cpu": "2"}})
        );
        assert_eq!(
            spec["initContainers"][0]["resources"]["limits"]["cpu"],
            "250m"
        );

        // What kubectl sends for YAML numbers and nulls, read as Go reads them; an unset
        // divisor (a Go value, not a pointer) prints as "0".
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "i",
                "env": [{"name": "E", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu"}}}],
                "resources": {"requests": {"cpu": 1e21, "memory": null}}}]}});
        let normalized = normalize(&PODS, &pod).expect("valid");
        let container = &normalized["spec"]["containers"][0];
        assert_eq!(
            container["resources"]["requests"],
            json!({"cpu": "1e+21", "memory": "0"})
        );
        assert_eq!(
            container["env"][0]["valueFrom"]["resourceFieldRef"]["divisor"],
            "0"
        );
        for bad in [json!(true), json!({}), json!([])] {
            let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                "spec": {"containers": [{"name": "c", "image": "i",
                    "resources": {"requests": {"cpu": bad}}}]}});
            let error = normalize(&PODS, &pod).expect_err("not a quantity");
            assert!(
                error.message.ends_with("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"),
                "{bad}: {}",
                error.message
            );
        }

        let bad = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "i", "resources": {"limits": {"memory": "1Qi"}}}]}});
        let error = normalize(&PODS, &bad).expect_err("not a quantity");
        assert_eq!(error.code, 400);
        assert_eq!(
            error.message,
            "Pod in version \"v1\" cannot be handled as a Pod: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
        );
    }

    #[test]
    fn empty_optional_collections_are_dropped_as_storage_drops_them() {
        let account = json!({"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "a", "labels": {}, "annotations": {"k": "v"}, "finalizers": []},
            "secrets": [], "imagePullSecrets": [{"name": "p"}]});
        let normalized = normalize(&SERVICE_ACCOUNTS, &account).expect("valid");
        assert_eq!(
            normalized,
            json!({"apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": {"name": "a", "annotations": {"k": "v"}},
                "imagePullSecrets": [{"name": "p"}]})
        );

        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "i", "args": [], "env": [],
                "resources": {"limits": {}}}], "volumes": [],
                // Not marked optional upstream, but `omitempty` in Go.
                "initContainers": [], "hostAliases": [{"ip": "1.2.3.4", "hostnames": []}]}});
        let normalized = normalize(&PODS, &pod).expect("valid");
        assert_eq!(
            normalized["spec"],
            json!({"containers": [{"name": "c", "image": "i", "resources": {}}],
                "hostAliases": [{"ip": "1.2.3.4"}]})
        );

        // The zeros of `omitempty` value scalars are left out; a pointer's zero stays.
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": ""},
            "spec": {"nodeName": "", "automountServiceAccountToken": false,
                "containers": [{"name": "c", "image": "i", "env": [{"name": "E", "value": ""}]}]}});
        let normalized = normalize(&PODS, &pod).expect("valid");
        assert_eq!(normalized["metadata"], json!({"name": "p"}));
        assert_eq!(
            normalized["spec"],
            json!({"automountServiceAccountToken": false,
                "containers": [{"name": "c", "image": "i", "env": [{"name": "E"}]}]})
        );

        // Without `omitempty` upstream prints an empty one (as `null`): it stays.
        let role = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "r"}, "rules": []});
        let normalized = normalize(&CLUSTER_ROLES, &role).expect("valid");
        assert_eq!(normalized["rules"], json!([]));
    }

    #[test]
    fn type_errors_are_bad_requests_in_go_decoder_words() {
        let cases = [
            (
                &PODS,
                json!({"apiVersion": "v1", "kind": "Pod", "spec": {"terminationGracePeriodSeconds": "30", "containers": []}}),
                "json: cannot unmarshal string into Go value of type int64",
            ),
            (
                &SECRETS,
                json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": 5}}),
                "json: cannot unmarshal number into Go value of type string",
            ),
            (
                &SECRETS,
                json!({"apiVersion": "v1", "kind": "Secret", "data": {"k": "not base64!"}}),
                "json: ",
            ),
        ];
        for (resource, obj, detail) in cases {
            let err = normalize(resource, &obj).expect_err("type error");
            assert_eq!(err.code, 400);
            let prefix = format!("{}{detail}", decode_error_prefix(resource));
            assert!(err.message.starts_with(&prefix), "{}", err.message);
        }
    }

    #[test]
    fn wrong_types_are_bad_requests() {
        let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": 5}});
        let err = normalize(&SECRETS, &secret).expect_err("invalid");
        assert_eq!(err.code, 400);
        assert!(
            err.message
                .starts_with("Secret in version \"v1\" cannot be handled as a Secret: "),
            "{}",
            err.message
        );
    }
}
