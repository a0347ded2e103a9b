//! Secrets (`pkg/registry/core/secret/strategy.go`): `stringData` folded into `data`, the
//! `Opaque` type by default, and the rules of each well-known type.

use std::collections::BTreeMap;

use base64::Engine;
use serde_json::{json, Map, Value};

use super::{ResourceInfo, Strategy, CRUD_VERBS};
use crate::apiserver::defaults::{default_string, object_entry};
use crate::apiserver::errors::ApiError;
use crate::apiserver::table::{self, column, Column, AGE_COLUMN, NAME_COLUMN};
use crate::apiserver::validation::{
    at, is_config_map_key, name_is_dns_subdomain, str_at, str_of, string_map, validate_object_meta,
    validate_object_meta_update, Issues, FIELD_IMMUTABLE, IMMUTABLE_WHEN_SET, MAX_SECRET_SIZE,
};
use k8s_openapi::api::core::v1::Secret;

/// `v1` `secrets`.
pub const SECRETS: ResourceInfo = ResourceInfo {
    group: "",
    version: "v1",
    plural: "secrets",
    singular: "secret",
    kind: "Secret",
    list_kind: "SecretList",
    namespaced: true,
    short_names: &[],
    categories: &[],
    verbs: CRUD_VERBS,
    subresources: &[],
    create_only: false,
    strategy: &SecretStrategy,
    schema: super::TypedSchema::of::<Secret>(),
};

/// Upstream's secret printer columns.
const COLUMNS: &[Column] = &[
    NAME_COLUMN,
    column(
        "Type",
        "string",
        "Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types",
    ),
    column(
        "Data",
        "string",
        "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4",
    ),
    AGE_COLUMN,
];

/// The secret strategy.
pub struct SecretStrategy;

impl Strategy for SecretStrategy {
    fn normalize(&self, info: &ResourceInfo, object: &Value) -> Result<Value, ApiError> {
        super::normalize_as::<Secret>(info, object)
    }

    fn default(&self, object: &mut Value) {
        if let Some(secret) = object.as_object_mut() {
            default_secret(secret);
        }
    }

    fn validate_create(&self, object: &Value, issues: &mut Issues) {
        validate_secret(object, issues);
    }

    fn validate_update(&self, old: &Value, new: &Value, issues: &mut Issues) {
        validate_secret_update(old, new, issues);
    }

    fn table_columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn table_row(&self, object: &Value, now: jiff::Timestamp) -> (Vec<Value>, Option<Value>) {
        let cells = vec![
            json!(table::str_at(object, &["metadata", "name"])),
            json!(table::str_at(object, &["type"])),
            json!(table::len_at(object, "data")),
            json!(table::age(object, now)),
        ];
        (cells, None)
    }

    /// `type`, besides the metadata (`SelectableFields`).
    fn convert_field_label(&self, label: &str) -> Result<String, String> {
        match label {
            "type" | "metadata.namespace" | "metadata.name" => Ok(label.to_string()),
            _ => Err(format!("field label not supported: {label}")),
        }
    }

    fn selectable_fields(&self) -> &'static [&'static str] {
        &["type"]
    }

    fn field_value(&self, object: &Value, field: &str) -> String {
        match field {
            "metadata.name" => str_at(object, &["metadata", "name"]).to_string(),
            "metadata.namespace" => str_at(object, &["metadata", "namespace"]).to_string(),
            "type" => str_of(object, "type").to_string(),
            _ => String::new(),
        }
    }
}

/// API defaulting of a secret: write-only `stringData` merged into `data`, type `Opaque`.
fn default_secret(secret: &mut Map<String, Value>) {
    // stringData is write-only: conversion merges it into data (overwriting) and it is
    // never stored or returned.
    if let Some(Value::Object(string_data)) = secret.remove("stringData") {
        if !string_data.is_empty() {
            if let Some(data) = object_entry(secret, "data") {
                for (key, value) in string_data {
                    let text = value.as_str().unwrap_or_default();
                    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
                    data.insert(key, json!(encoded));
                }
            }
        }
    }
    default_string(secret, "type", "Opaque");
}

const SERVICE_ACCOUNT_NAME_KEY: &str = "kubernetes.io/service-account.name";

/// Secret data decoded from base64; values that are not valid base64 count as empty
/// (`codec::normalize` rejects them before validation).
fn secret_data(secret: &Value) -> BTreeMap<String, Vec<u8>> {
    let mut data: BTreeMap<String, Vec<u8>> = string_map(secret.get("data"))
        .into_iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                base64::engine::general_purpose::STANDARD
                    .decode(v)
                    .unwrap_or_default(),
            )
        })
        .collect();
    // stringData is merged over data by conversion, when defaulting has not done it yet.
    for (key, value) in string_map(secret.get("stringData")) {
        data.insert(key.to_string(), value.as_bytes().to_vec());
    }
    data
}

/// ValidateSecret: data keys and size, and the keys each well-known type requires.
fn validate_secret(secret: &Value, issues: &mut Issues) {
    validate_object_meta(secret, true, name_is_dns_subdomain, issues);
    let data = secret_data(secret);
    let mut total = 0;
    for (key, value) in &data {
        issues.invalid_each(&format!("data[{key}]"), key, is_config_map_key(key));
        total += value.len();
    }
    if total > MAX_SECRET_SIZE {
        issues.too_long("data", MAX_SECRET_SIZE);
    }
    match str_of(secret, "type") {
        "kubernetes.io/service-account-token" => {
            let annotations = string_map(at(secret, &["metadata", "annotations"]));
            if annotations
                .get(SERVICE_ACCOUNT_NAME_KEY)
                .is_none_or(|v| v.is_empty())
            {
                issues.required(format!("metadata.annotations[{SERVICE_ACCOUNT_NAME_KEY}]"));
            }
        }
        "kubernetes.io/dockercfg" => validate_docker_config(&data, ".dockercfg", issues),
        "kubernetes.io/dockerconfigjson" => {
            validate_docker_config(&data, ".dockerconfigjson", issues)
        }
        "kubernetes.io/basic-auth"
            if !data.contains_key("username") && !data.contains_key("password") =>
        {
            issues.required("data[username]");
            issues.required("data[password]");
        }
        "kubernetes.io/ssh-auth" if data.get("ssh-privatekey").is_none_or(Vec::is_empty) => {
            issues.required("data[ssh-privatekey]");
        }
        "kubernetes.io/tls" => {
            for key in ["tls.crt", "tls.key"] {
                if !data.contains_key(key) {
                    issues.required(format!("data[{key}]"));
                }
            }
        }
        _ => {}
    }
}

fn validate_docker_config(data: &BTreeMap<String, Vec<u8>>, key: &str, issues: &mut Issues) {
    let path = format!("data[{key}]");
    match data.get(key) {
        None => issues.required(path),
        Some(bytes) => {
            if let Some(message) = docker_config_error(bytes) {
                issues.invalid(path, "<secret contents redacted>", message);
            }
        }
    }
}

/// Go decodes a number inside the map as a `float64` and refuses one beyond its range
/// (`convertNumber`): the first such number of a document the scanner accepted, in Go's
/// words.
fn out_of_range_number(data: &[u8]) -> Option<String> {
    let mut in_string = false;
    let mut escaped = false;
    let mut i = 0;
    while i < data.len() {
        let c = data[i];
        if in_string {
            match c {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            i += 1;
        } else if c == b'"' {
            in_string = true;
            i += 1;
        } else if c == b'-' || c.is_ascii_digit() {
            let end = data[i..]
                .iter()
                .position(|b| !matches!(b, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'))
                .map_or(data.len(), |n| i + n);
            let literal = std::str::from_utf8(&data[i..end]).unwrap_or_default();
            if literal.parse::<f64>().is_ok_and(f64::is_infinite) {
                return Some(format!(
                    "json: cannot unmarshal number {literal} into Go value of type float64"
                ));
            }
            i = end;
        } else {
            i += 1;
        }
    }
    None
}

/// What Go's `json.Unmarshal(data, &map[string]interface{}{})` says of a docker config:
/// its syntax error, or for a valid document that is not an object (nor `null`, which
/// Go takes as an empty map) that it cannot unmarshal that kind into the map.
fn docker_config_error(data: &[u8]) -> Option<String> {
    if let Some(syntax) = crate::go_json_syntax::syntax_error(data) {
        return Some(syntax);
    }
    let kind = match data.iter().find(|b| !b.is_ascii_whitespace())? {
        b'{' => return out_of_range_number(data),
        b'n' => return None,
        b'[' => "array",
        b'"' => "string",
        b't' | b'f' => "bool",
        _ => "number",
    };
    Some(format!(
        "json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}"
    ))
}

/// ValidateSecretUpdate: the type never changes, nor the data of an immutable secret.
fn validate_secret_update(old: &Value, new: &Value, issues: &mut Issues) {
    validate_object_meta_update(old, new, issues);
    // An unset type is Opaque (defaulting), on both sides.
    let type_of = |s: &Value| match str_of(s, "type") {
        "" => "Opaque".to_string(),
        other => other.to_string(),
    };
    let new_type = type_of(new);
    if new_type != type_of(old) {
        issues.invalid("type", &new_type, FIELD_IMMUTABLE);
    }
    if old.get("immutable").and_then(Value::as_bool) == Some(true) {
        if new.get("immutable").and_then(Value::as_bool) != Some(true) {
            issues.forbidden("immutable", IMMUTABLE_WHEN_SET);
        }
        if secret_data(new) != secret_data(old) {
            issues.forbidden("data", IMMUTABLE_WHEN_SET);
        }
    }
    validate_secret(new, issues);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::table::testing::{column_names, now};
    use crate::apiserver::table::{table, IncludeObject};
    use crate::apiserver::validation::testing::{create_errors, update_errors};
    use crate::apiserver::validation::validate_create;

    fn defaulted(mut obj: Value) -> Value {
        SECRETS.strategy.default(&mut obj);
        obj
    }

    /// A docker config that Go's `json.Unmarshal` refuses gets Go's text.
    #[test]
    fn a_docker_config_that_is_not_a_json_object_is_refused_in_go_words() {
        let cases = [
            (
                "notjson",
                Some("invalid character 'o' in literal null (expecting 'u')"),
            ),
            (
                "{\"a\":1,}",
                Some("invalid character '}' looking for beginning of object key string"),
            ),
            ("", Some("unexpected end of JSON input")),
            (
                "[1]",
                Some("json: cannot unmarshal array into Go value of type map[string]interface {}"),
            ),
            (
                " \"x\"",
                Some("json: cannot unmarshal string into Go value of type map[string]interface {}"),
            ),
            (
                "true",
                Some("json: cannot unmarshal bool into Go value of type map[string]interface {}"),
            ),
            (
                "-1",
                Some("json: cannot unmarshal number into Go value of type map[string]interface {}"),
            ),
            ("null", None),
            (
                "{\"a\": [1, -1e400]}",
                Some("json: cannot unmarshal number -1e400 into Go value of type float64"),
            ),
            ("{\"1e999\": 1e-400}", None),
            ("{\"auths\": {}}", None),
        ];
        for (config, expected) in cases {
            assert_eq!(
                docker_config_error(config.as_bytes()).as_deref(),
                expected,
                "{config:?}"
            );
        }
        let errors = create_errors(
            &SECRETS,
            json!({"metadata": {"name": "d", "namespace": "n"}, "type": "kubernetes.io/dockercfg", "data": {".dockercfg": "ew=="}}),
        );
        assert_eq!(
            errors,
            vec!["data[.dockercfg]: Invalid value: \"<secret contents redacted>\": unexpected end of JSON input"]
        );
    }

    #[test]
    fn secret_type_defaults_to_opaque_and_keeps_a_given_type() {
        let plain = defaulted(json!({"metadata": {"name": "s"}}));
        assert_eq!(plain["type"], "Opaque");
        let token = defaulted(json!({"type": "kubernetes.io/service-account-token"}));
        assert_eq!(token["type"], "kubernetes.io/service-account-token");
    }

    #[test]
    fn secret_string_data_is_merged_into_data_and_dropped() {
        let secret = defaulted(
            json!({"data": {"a": "b2xk", "keep": "eA=="}, "stringData": {"a": "new", "b": "x"}}),
        );
        assert_eq!(
            secret["data"],
            json!({"a": "bmV3", "b": "eA==", "keep": "eA=="})
        );
        assert!(secret.get("stringData").is_none());
    }

    #[test]
    fn service_account_token_secret_needs_the_account_name() {
        let secret = |annotations: Value| {
            json!({"metadata": {"name": "t", "namespace": "ns", "annotations": annotations},
                "type": "kubernetes.io/service-account-token"})
        };
        let expected = vec![
            "metadata.annotations[kubernetes.io/service-account.name]: Required value".to_string(),
        ];
        assert_eq!(create_errors(&SECRETS, secret(json!({}))), expected);
        assert_eq!(
            create_errors(
                &SECRETS,
                secret(json!({"kubernetes.io/service-account.name": ""}))
            ),
            expected
        );
        assert!(create_errors(
            &SECRETS,
            secret(json!({"kubernetes.io/service-account.name": "default"}))
        )
        .is_empty());
        let err = validate_create(&SECRETS, &secret(json!({}))).expect_err("invalid");
        assert_eq!(
            err.message,
            "Secret \"t\" is invalid: metadata.annotations[kubernetes.io/service-account.name]: Required value"
        );
        assert_eq!(err.causes[0].reason, "FieldValueRequired");
    }

    #[test]
    fn secret_data_keys_and_size() {
        let errors = create_errors(
            &SECRETS,
            json!({"metadata": {"name": "s", "namespace": "ns"}, "data": {"bad/key": "eA==", "ok": "eA=="}}),
        );
        assert_eq!(errors.len(), 1);
        assert!(errors[0].starts_with("data[bad/key]: Invalid value: \"bad/key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"), "{}", errors[0]);
        let big = base64::engine::general_purpose::STANDARD.encode(vec![0u8; MAX_SECRET_SIZE + 1]);
        let errors = create_errors(
            &SECRETS,
            json!({"metadata": {"name": "s", "namespace": "ns"}, "data": {"k": big}}),
        );
        assert_eq!(
            errors,
            vec!["data: Too long: may not be more than 1048576 bytes"]
        );
        let errors = create_errors(
            &SECRETS,
            json!({"metadata": {"name": "s", "namespace": "ns"}, "type": "kubernetes.io/tls"}),
        );
        assert_eq!(
            errors,
            vec![
                "data[tls.crt]: Required value",
                "data[tls.key]: Required value"
            ]
        );
    }

    #[test]
    fn secret_updates() {
        let token = json!({"metadata": {"name": "s", "namespace": "ns", "uid": "u1",
            "annotations": {"kubernetes.io/service-account.name": "default"}},
            "type": "kubernetes.io/service-account-token"});
        let mut changed = token.clone();
        changed["type"] = json!("Opaque");
        assert_eq!(
            update_errors(&SECRETS, token.clone(), changed),
            vec!["type: Invalid value: \"Opaque\": field is immutable"]
        );
        let mut untyped = token.clone();
        untyped.as_object_mut().map(|m| m.remove("type"));
        assert_eq!(
            update_errors(&SECRETS, token, untyped),
            vec!["type: Invalid value: \"Opaque\": field is immutable"]
        );

        let frozen = json!({"metadata": {"name": "s", "namespace": "ns"}, "immutable": true, "data": {"k": "eA=="}});
        let mut edited = frozen.clone();
        edited["data"]["k"] = json!("eQ==");
        assert_eq!(
            update_errors(&SECRETS, frozen.clone(), edited),
            vec!["data: Forbidden: field is immutable when `immutable` is set"]
        );
        let mut thawed = frozen.clone();
        thawed["immutable"] = json!(false);
        assert_eq!(
            update_errors(&SECRETS, frozen.clone(), thawed),
            vec!["immutable: Forbidden: field is immutable when `immutable` is set"]
        );
        let mut relabelled = frozen.clone();
        relabelled["metadata"]["labels"] = json!({"a": "b"});
        assert!(update_errors(&SECRETS, frozen, relabelled).is_empty());
    }

    #[test]
    fn secret_cells() {
        let created = "2024-05-01T11:59:55Z";
        let secret = json!({"metadata": {"name": "default-token-abcde", "creationTimestamp": created},
            "type": "kubernetes.io/service-account-token", "data": {"token": "eA==", "ca.crt": "eA==", "namespace": "eA=="}});
        let secret_table = table(
            &SECRETS,
            &[&secret],
            json!({}),
            IncludeObject::Metadata,
            now(),
        );
        assert_eq!(
            column_names(&secret_table),
            [
                ("Name".into(), 0),
                ("Type".into(), 0),
                ("Data".into(), 0),
                ("Age".into(), 0)
            ]
        );
        assert_eq!(
            secret_table["rows"][0]["cells"],
            json!([
                "default-token-abcde",
                "kubernetes.io/service-account-token",
                3,
                "5s"
            ])
        );
    }
}
