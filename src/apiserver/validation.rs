//! Validation of the objects the embedded API server stores, with the field paths and
//! message texts of a real API server (`k8s.io/apimachinery/pkg/util/validation`,
//! `k8s.io/apimachinery/pkg/api/validation` and `pkg/apis/core/validation`, v1.33).
//!
//! Objects are validated after defaulting ([`super::defaults::apply_defaults`]), as on a
//! real server. Fields that defaulting always fills (restart policy, DNS policy, pull
//! policy, termination grace period, a volume's source, ...) are therefore not reported
//! as missing here; wrong values still are.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use serde_json::{Map, Value};

use super::codec;
use super::errors::{ApiError, FieldError, FieldErrorKind};
use super::kinds::ResourceInfo;

// =======================================================================================
// Public entry points.

/// 422 Invalid (ApiError::invalid) listing every field error of a new object, or Ok.
pub fn validate_create(resource: &ResourceInfo, obj: &Value) -> Result<(), ApiError> {
    let mut issues = Issues::default();
    resource.strategy.validate_create(obj, &mut issues);
    issues.into_result(resource, obj)
}

/// 422 Invalid for an update of `old` to `new`, or Ok.
pub fn validate_update(resource: &ResourceInfo, old: &Value, new: &Value) -> Result<(), ApiError> {
    let mut issues = Issues::default();
    resource.strategy.validate_update(old, new, &mut issues);
    issues.into_result(resource, new)
}

/// Strict decoding (fieldValidation=Strict): dotted paths of unknown fields, e.g. `spec.foo`,
/// `spec.containers[0].imagee`. Fields whose value is null are ignored, as Go's decoder does.
pub fn unknown_fields(resource: &ResourceInfo, obj: &Value) -> Vec<String> {
    let Ok(known) = codec::normalize(resource, &with_type_meta(resource, obj)) else {
        // Not decodable at all: `codec::normalize` reports that on the request path.
        return Vec::new();
    };
    unknown_fields_against(obj, &known)
}

/// The fields of `obj` that its typed round trip `round_tripped` has no place for, for
/// callers that already did the round trip (see `codec::normalize`).
pub fn unknown_fields_against(obj: &Value, round_tripped: &Value) -> Vec<String> {
    let mut unknown = Vec::new();
    collect_unknown(obj, Some(round_tripped), &mut String::new(), &mut unknown);
    unknown
}

/// The 400 BadRequest a real server gives for strict decoding failures.
pub fn strict_decoding_error(resource: &ResourceInfo, unknown: &[String]) -> ApiError {
    let fields: Vec<String> = unknown
        .iter()
        .map(|f| format!("unknown field \"{f}\""))
        .collect();
    ApiError::bad_request(format!(
        "{}strict decoding error: {}",
        codec::decode_error_prefix(resource),
        fields.join(", ")
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

// =======================================================================================
// Field errors.

/// A field error, or a `Not found` one (which `FieldErrorKind` has no variant for).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Issue {
    Field(FieldError),
    NotFound { field: String, value: String },
}

impl Issue {
    fn rendered(&self) -> String {
        match self {
            Issue::Field(e) => e.to_string(),
            Issue::NotFound { field, value } => format!("{field}: Not found: {value}"),
        }
    }
}

#[derive(Debug, Default)]
pub struct Issues(Vec<Issue>);

impl Issues {
    fn push(&mut self, field: impl Into<String>, kind: FieldErrorKind) {
        self.0.push(Issue::Field(FieldError {
            field: field.into(),
            kind,
        }));
    }

    fn required(&mut self, field: impl Into<String>) {
        self.push(field, FieldErrorKind::Required(None));
    }

    fn required_because(&mut self, field: impl Into<String>, detail: &str) {
        self.push(field, FieldErrorKind::Required(Some(detail.to_string())));
    }

    /// `Invalid value: "<value>": <detail>` for a string value.
    fn invalid(&mut self, field: impl Into<String>, value: &str, detail: impl Into<String>) {
        self.push(
            field,
            FieldErrorKind::Invalid {
                value: go_quote(value),
                detail: detail.into(),
            },
        );
    }

    /// `Invalid value: <rendered>: <detail>` for numbers, null and Go-printed structures.
    fn invalid_rendered(
        &mut self,
        field: impl Into<String>,
        rendered: String,
        detail: impl Into<String>,
    ) {
        self.push(
            field,
            FieldErrorKind::Invalid {
                value: rendered,
                detail: detail.into(),
            },
        );
    }

    fn forbidden(&mut self, field: impl Into<String>, detail: impl Into<String>) {
        self.push(field, FieldErrorKind::Forbidden(detail.into()));
    }

    fn not_supported(&mut self, field: impl Into<String>, value: &str, supported: &[&str]) {
        self.push(
            field,
            FieldErrorKind::NotSupported {
                value: go_quote(value),
                supported: supported.iter().map(|s| s.to_string()).collect(),
            },
        );
    }

    fn duplicate(&mut self, field: impl Into<String>, value: &str) {
        self.push(field, FieldErrorKind::Duplicate(go_quote(value)));
    }

    fn too_long(&mut self, field: impl Into<String>, max_bytes: usize) {
        self.push(
            field,
            FieldErrorKind::TooLong(format!("may not be more than {max_bytes} bytes")),
        );
    }

    fn not_found(&mut self, field: impl Into<String>, value: &str) {
        self.0.push(Issue::NotFound {
            field: field.into(),
            value: go_quote(value),
        });
    }

    /// One `Invalid` per message, the way the Go validators turn string lists into errors.
    fn invalid_each(&mut self, field: &str, value: &str, messages: Vec<String>) {
        for message in messages {
            self.invalid(field, value, message);
        }
    }

    pub(crate) fn into_result(self, resource: &ResourceInfo, obj: &Value) -> Result<(), ApiError> {
        if self.0.is_empty() {
            return Ok(());
        }
        // Go's aggregate drops repeated messages (some validators run twice on updates).
        let mut seen = BTreeSet::new();
        let issues: Vec<Issue> = self
            .0
            .into_iter()
            .filter(|i| seen.insert(i.rendered()))
            .collect();
        let name = str_at(obj, &["metadata", "name"]);
        Err(invalid_error(resource, name, issues))
    }
}

/// `ApiError::invalid`, extended with `Not found` causes.
fn invalid_error(resource: &ResourceInfo, name: &str, issues: Vec<Issue>) -> ApiError {
    let field_errors: Vec<FieldError> = issues
        .iter()
        .map(|issue| match issue {
            Issue::Field(e) => e.clone(),
            Issue::NotFound { field, value } => FieldError {
                field: field.clone(),
                kind: FieldErrorKind::Invalid {
                    value: value.clone(),
                    detail: String::new(),
                },
            },
        })
        .collect();
    let mut error = ApiError::invalid(resource, name, field_errors);
    if issues.iter().any(|i| matches!(i, Issue::NotFound { .. })) {
        for (cause, issue) in error.causes.iter_mut().zip(&issues) {
            if let Issue::NotFound { value, .. } = issue {
                cause.reason = "FieldValueNotFound".to_string();
                cause.message = format!("Not found: {value}");
            }
        }
        let rendered: Vec<String> = issues.iter().map(Issue::rendered).collect();
        let body = match rendered.as_slice() {
            [one] => one.clone(),
            many => format!("[{}]", many.join(", ")),
        };
        let kind = if resource.group.is_empty() {
            resource.kind.to_string()
        } else {
            format!("{}.{}", resource.kind, resource.group)
        };
        error.message = format!("{kind} \"{name}\" is invalid: {body}");
    }
    error
}

/// Go's `%q`: a double-quoted string with Go escapes.
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Go's `%#v` of a `[]string`.
fn go_string_slice(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| go_quote(s)).collect();
    format!("[]string{{{}}}", quoted.join(", "))
}

/// A JSON value as Go prints the field it decodes into (numbers plain, strings quoted).
fn go_value(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "null".to_string(),
        Some(Value::String(s)) => go_quote(s),
        Some(other) => other.to_string(),
    }
}

// =======================================================================================
// Format matchers (hand-written equivalents of the upstream regular expressions).

const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_LABEL_ERR: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_LABEL_MAX: usize = 63;
const DNS1123_SUBDOMAIN_FMT: &str =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1123_SUBDOMAIN_ERR: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_MAX: usize = 253;
const QUALIFIED_NAME_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const QUALIFIED_NAME_ERR: &str =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const QUALIFIED_NAME_MAX: usize = 63;
const LABEL_VALUE_FMT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
const LABEL_VALUE_ERR: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_MAX: usize = 63;
const CONFIG_MAP_KEY_FMT: &str = "[-._a-zA-Z0-9]+";
const CONFIG_MAP_KEY_ERR: &str =
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";
const TOTAL_ANNOTATION_SIZE_LIMIT: usize = 256 * 1024;
const MAX_SECRET_SIZE: usize = 1024 * 1024;
const FIELD_IMMUTABLE: &str = "field is immutable";
const IMMUTABLE_WHEN_SET: &str = "field is immutable when `immutable` is set";
const FILE_MODE_ERR: &str = "must be a number between 0 and 0777 (octal), both inclusive";
const IS_NEGATIVE_ERR: &str = "must be greater than or equal to 0";
const MAX_INT32: i64 = i32::MAX as i64;

fn max_len_error(length: usize) -> String {
    format!("must be no more than {length} characters")
}

fn regex_error(message: &str, format: &str, examples: &[&str]) -> String {
    if examples.is_empty() {
        return format!("{message} (regex used for validation is '{format}')");
    }
    let quoted: Vec<String> = examples.iter().map(|e| format!("'{e}', ")).collect();
    // Upstream joins "'a', " and "'b', " with " or ", hence the double space.
    format!(
        "{message} (e.g. {}regex used for validation is '{format}')",
        quoted.join(" or ")
    )
}

fn inclusive_range_error(low: i64, high: i64) -> String {
    format!("must be between {low} and {high}, inclusive")
}

fn is_lower_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
fn matches_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(&first), Some(&last)) => {
            is_lower_alnum(first)
                && is_lower_alnum(last)
                && b.iter().all(|&c| is_lower_alnum(c) || c == b'-')
        }
        _ => false,
    }
}

/// DNS-1123 labels joined by dots.
fn matches_dns1123_subdomain(s: &str) -> bool {
    s.split('.').all(matches_dns1123_label)
}

/// `^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`
fn matches_qualified_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(first), Some(last)) => {
            first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && b.iter()
                    .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        }
        _ => false,
    }
}

pub(crate) fn is_dns1123_label(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if value.len() > DNS1123_LABEL_MAX {
        errors.push(max_len_error(DNS1123_LABEL_MAX));
    }
    if !matches_dns1123_label(value) {
        if matches_dns1123_subdomain(value) {
            // A valid subdomain that is not a valid label: the length was checked, so dots.
            errors.push("must not contain dots".to_string());
        } else {
            errors.push(regex_error(
                DNS1123_LABEL_ERR,
                DNS1123_LABEL_FMT,
                &["my-name", "123-abc"],
            ));
        }
    }
    errors
}

pub(crate) fn is_dns1123_subdomain(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if value.len() > DNS1123_SUBDOMAIN_MAX {
        errors.push(max_len_error(DNS1123_SUBDOMAIN_MAX));
    }
    if !matches_dns1123_subdomain(value) {
        errors.push(regex_error(
            DNS1123_SUBDOMAIN_ERR,
            DNS1123_SUBDOMAIN_FMT,
            &["example.com"],
        ));
    }
    errors
}

/// A "qualified name" (label keys, annotation keys, finalizers): optional DNS subdomain prefix and `/`.
pub(crate) fn is_qualified_name(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    let parts: Vec<&str> = value.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errors.push("prefix part must be non-empty".to_string());
            } else {
                errors.extend(
                    is_dns1123_subdomain(prefix)
                        .into_iter()
                        .map(|m| format!("prefix part {m}")),
                );
            }
            *name
        }
        _ => {
            errors.push(format!(
                "a qualified name {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(QUALIFIED_NAME_ERR, QUALIFIED_NAME_FMT, &["MyName", "my.name", "123-abc"])
            ));
            return errors;
        }
    };
    if name.is_empty() {
        errors.push("name part must be non-empty".to_string());
    } else if name.len() > QUALIFIED_NAME_MAX {
        errors.push(format!("name part {}", max_len_error(QUALIFIED_NAME_MAX)));
    }
    if !matches_qualified_name_part(name) {
        errors.push(format!(
            "name part {}",
            regex_error(
                QUALIFIED_NAME_ERR,
                QUALIFIED_NAME_FMT,
                &["MyName", "my.name", "123-abc"]
            )
        ));
    }
    errors
}

pub(crate) fn is_valid_label_value(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if value.len() > LABEL_VALUE_MAX {
        errors.push(max_len_error(LABEL_VALUE_MAX));
    }
    if !(value.is_empty() || matches_qualified_name_part(value)) {
        errors.push(regex_error(
            LABEL_VALUE_ERR,
            LABEL_VALUE_FMT,
            &["MyValue", "my_value", "12345"],
        ));
    }
    errors
}

/// A key of a Secret's or ConfigMap's data.
pub(crate) fn is_config_map_key(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if value.len() > DNS1123_SUBDOMAIN_MAX {
        errors.push(max_len_error(DNS1123_SUBDOMAIN_MAX));
    }
    let charset_ok = !value.is_empty()
        && value
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_'));
    if !charset_ok {
        errors.push(regex_error(
            CONFIG_MAP_KEY_ERR,
            CONFIG_MAP_KEY_FMT,
            &["key.name", "KEY_NAME", "key-name"],
        ));
    }
    if value == "." {
        errors.push("must not be '.'".to_string());
    } else if value == ".." {
        errors.push("must not be '..'".to_string());
    } else if value.starts_with("..") {
        errors.push("must not start with '..'".to_string());
    }
    errors
}

fn is_valid_port_name(port: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if port.len() > 15 {
        errors.push(max_len_error(15));
    }
    if port.is_empty()
        || !port
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    {
        errors.push(
            "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".to_string(),
        );
    }
    if !port.bytes().any(|c| c.is_ascii_lowercase()) {
        errors.push("must contain at least one letter (a-z)".to_string());
    }
    if port.contains("--") {
        errors.push("must not contain consecutive hyphens".to_string());
    }
    if port.starts_with('-') || port.ends_with('-') {
        errors.push("must not begin or end with a hyphen".to_string());
    }
    errors
}

fn is_valid_port_num(port: i64) -> Vec<String> {
    if (1..=65535).contains(&port) {
        Vec::new()
    } else {
        vec![inclusive_range_error(1, 65535)]
    }
}

/// Relaxed environment variable names (the default since v1.32).
fn is_relaxed_env_var_name(name: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if name.is_empty() {
        errors.push("environment variable name must be non-empty".to_string());
    }
    if name.chars().any(|c| !(' '..='~').contains(&c) || c == '=') {
        errors.push("a valid environment variable name must consist only of printable ASCII characters other than '='".to_string());
    }
    errors
}

/// A generateName prefix may end in a dash: mask it before checking, as upstream does.
fn mask_trailing_dash(name: &str) -> String {
    let bytes = name.as_bytes();
    if bytes.len() > 1 && name.ends_with('-') {
        format!("{}a", String::from_utf8_lossy(&bytes[..bytes.len() - 2]))
    } else {
        name.to_string()
    }
}

/// Checks a name (or, with `prefix`, a generateName) and returns the messages.
type NameCheck = fn(&str, bool) -> Vec<String>;

fn name_is_dns_subdomain(name: &str, prefix: bool) -> Vec<String> {
    if prefix {
        is_dns1123_subdomain(&mask_trailing_dash(name))
    } else {
        is_dns1123_subdomain(name)
    }
}

fn name_is_dns_label(name: &str, prefix: bool) -> Vec<String> {
    if prefix {
        is_dns1123_label(&mask_trailing_dash(name))
    } else {
        is_dns1123_label(name)
    }
}

// =======================================================================================
// JSON access.

fn at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, key| v.get(*key))
}

fn str_at<'a>(value: &'a Value, path: &[&str]) -> &'a str {
    at(value, path).and_then(Value::as_str).unwrap_or_default()
}

fn str_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn items(value: Option<&Value>) -> &[Value] {
    value
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// String entries of a string map (labels, annotations, data); other values count as "".
fn string_map(value: Option<&Value>) -> BTreeMap<&str, &str> {
    value
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default()
}

fn is_set(value: Option<&Value>) -> bool {
    value.is_some_and(|v| !v.is_null())
}

/// Go's zero-or-nil view of an optional field: null, "", [] and {} all count as unset.
fn is_empty_value(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        Some(_) => false,
    }
}

fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

// =======================================================================================
// ObjectMeta.

fn validate_object_meta(
    obj: &Value,
    requires_namespace: bool,
    name_check: NameCheck,
    issues: &mut Issues,
) {
    let meta = obj.get("metadata").unwrap_or(&Value::Null);
    let generate_name = str_of(meta, "generateName");
    if !generate_name.is_empty() {
        issues.invalid_each(
            "metadata.generateName",
            generate_name,
            name_check(generate_name, true),
        );
    }
    let name = str_of(meta, "name");
    if name.is_empty() {
        // With a generateName, the server generates the name before it validates.
        if generate_name.is_empty() {
            issues.required_because("metadata.name", "name or generateName is required");
        }
    } else {
        issues.invalid_each("metadata.name", name, name_check(name, false));
    }
    let namespace = str_of(meta, "namespace");
    if requires_namespace {
        if namespace.is_empty() {
            issues.required("metadata.namespace");
        } else {
            issues.invalid_each(
                "metadata.namespace",
                namespace,
                name_is_dns_label(namespace, false),
            );
        }
    } else if !namespace.is_empty() {
        issues.forbidden("metadata.namespace", "not allowed on this type");
    }
    if let Some(generation) = meta
        .get("generation")
        .and_then(Value::as_i64)
        .filter(|g| *g < 0)
    {
        issues.invalid_rendered(
            "metadata.generation",
            generation.to_string(),
            IS_NEGATIVE_ERR,
        );
    }
    validate_labels(meta.get("labels"), "metadata.labels", issues);
    validate_annotations(meta.get("annotations"), "metadata.annotations", issues);
    validate_owner_references(meta.get("ownerReferences"), issues);
    validate_finalizers(meta.get("finalizers"), issues);
}

fn validate_labels(labels: Option<&Value>, path: &str, issues: &mut Issues) {
    for (key, value) in string_map(labels) {
        issues.invalid_each(path, key, is_qualified_name(key));
        issues.invalid_each(path, value, is_valid_label_value(value));
    }
}

fn validate_annotations(annotations: Option<&Value>, path: &str, issues: &mut Issues) {
    let annotations = string_map(annotations);
    for key in annotations.keys() {
        // Qualified names, except that case does not matter.
        issues.invalid_each(path, key, is_qualified_name(&key.to_lowercase()));
    }
    let total: usize = annotations.iter().map(|(k, v)| k.len() + v.len()).sum();
    if total > TOTAL_ANNOTATION_SIZE_LIMIT {
        issues.too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT);
    }
}

fn validate_owner_references(references: Option<&Value>, issues: &mut Issues) {
    let path = "metadata.ownerReferences";
    let mut first_controller: Option<String> = None;
    for reference in items(references) {
        let api_version = str_of(reference, "apiVersion");
        let version = match api_version.split('/').collect::<Vec<_>>().as_slice() {
            [version] => *version,
            [_, version] => *version,
            _ => "",
        };
        if version.is_empty() {
            issues.invalid(
                format!("{path}.apiVersion"),
                api_version,
                "version must not be empty",
            );
        }
        for (field, detail) in [
            ("kind", "must not be empty"),
            ("name", "must not be empty"),
            ("uid", "must not be empty"),
        ] {
            let value = str_of(reference, field);
            if value.is_empty() {
                issues.invalid(format!("{path}.{field}"), value, detail);
            }
        }
        if reference.get("controller").and_then(Value::as_bool) == Some(true) {
            let current = format!(
                "{}/{}",
                str_of(reference, "kind"),
                str_of(reference, "name")
            );
            match &first_controller {
                Some(first) => issues.invalid_rendered(
                    path,
                    "[]v1.OwnerReference{...}".to_string(),
                    format!("Only one reference can have Controller set to true. Found \"true\" in references for {first} and {current}"),
                ),
                None => first_controller = Some(current),
            }
        }
    }
}

const STANDARD_FINALIZERS: &[&str] = &["kubernetes", "orphan", "foregroundDeletion"];

fn validate_finalizers(finalizers: Option<&Value>, issues: &mut Issues) {
    let names: Vec<String> = items(finalizers)
        .iter()
        .map(|f| f.as_str().unwrap_or_default().to_string())
        .collect();
    for name in &names {
        issues.invalid_each("metadata.finalizers", name, is_qualified_name(name));
    }
    if names.iter().any(|n| n == "orphan") && names.iter().any(|n| n == "foregroundDeletion") {
        issues.invalid_rendered(
            "metadata.finalizers",
            go_string_slice(&names),
            "finalizer orphan and foregroundDeletion cannot be both set",
        );
    }
    validate_kube_finalizer_names(&names, issues);
}

/// A finalizer without a `/` must be one of the standard names.
fn kube_finalizer_name_error(name: &str) -> Option<&'static str> {
    (!name.contains('/') && !STANDARD_FINALIZERS.contains(&name))
        .then_some("name is neither a standard finalizer name nor is it fully qualified")
}

fn validate_kube_finalizer_names(names: &[String], issues: &mut Issues) {
    for (i, name) in names.iter().enumerate() {
        if let Some(message) = kube_finalizer_name_error(name) {
            issues.invalid(index("metadata.finalizers", i), name, message);
        }
    }
}

/// Go prints a metav1.Time value as `2006-01-02 15:04:05 +0000 UTC`.
fn go_time(value: Option<&Value>) -> String {
    match value.and_then(Value::as_str) {
        None => "null".to_string(),
        Some(text) => match text.parse::<jiff::Timestamp>() {
            Ok(ts) => ts.strftime("%Y-%m-%d %H:%M:%S +0000 UTC").to_string(),
            Err(_) => go_quote(text),
        },
    }
}

/// ValidateObjectMetaUpdate. Fields a real server copies from the stored object before it
/// validates (uid when absent, resourceVersion, generation) are not reported when absent.
pub(crate) fn validate_object_meta_update(old: &Value, new: &Value, issues: &mut Issues) {
    let old_meta = old.get("metadata").unwrap_or(&Value::Null);
    let new_meta = new.get("metadata").unwrap_or(&Value::Null);
    let new_finalizers: Vec<String> = items(new_meta.get("finalizers"))
        .iter()
        .map(|f| f.as_str().unwrap_or_default().to_string())
        .collect();
    if is_set(old_meta.get("deletionTimestamp")) {
        let old_finalizers: BTreeSet<&str> = items(old_meta.get("finalizers"))
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let extra: BTreeSet<String> = new_finalizers
            .iter()
            .filter(|f| !old_finalizers.contains(f.as_str()))
            .cloned()
            .collect();
        if !extra.is_empty() {
            let extra: Vec<String> = extra.into_iter().collect();
            issues.forbidden(
                "metadata.finalizers",
                format!(
                    "no new finalizers can be added if the object is being deleted, found new finalizers {}",
                    go_string_slice(&extra)
                ),
            );
        }
    }
    for field in ["name", "namespace"] {
        let (old_value, new_value) = (str_of(old_meta, field), str_of(new_meta, field));
        if old_value != new_value {
            issues.invalid(format!("metadata.{field}"), new_value, FIELD_IMMUTABLE);
        }
    }
    let new_uid = str_of(new_meta, "uid");
    if !new_uid.is_empty() && new_uid != str_of(old_meta, "uid") {
        issues.invalid("metadata.uid", new_uid, FIELD_IMMUTABLE);
    }
    for field in ["creationTimestamp", "deletionTimestamp"] {
        let new_value = new_meta.get(field).filter(|v| !v.is_null());
        if new_value.is_some() && !same_time(new_value, old_meta.get(field)) {
            issues.invalid_rendered(
                format!("metadata.{field}"),
                go_time(new_value),
                FIELD_IMMUTABLE,
            );
        }
    }
    let new_grace = new_meta
        .get("deletionGracePeriodSeconds")
        .filter(|v| !v.is_null());
    if new_grace.is_some() && new_grace != old_meta.get("deletionGracePeriodSeconds") {
        issues.invalid_rendered(
            "metadata.deletionGracePeriodSeconds",
            go_value(new_grace),
            FIELD_IMMUTABLE,
        );
    }
    validate_labels(new_meta.get("labels"), "metadata.labels", issues);
    validate_annotations(new_meta.get("annotations"), "metadata.annotations", issues);
    validate_owner_references(new_meta.get("ownerReferences"), issues);
    validate_kube_finalizer_names(&new_finalizers, issues);
}

fn same_time(a: Option<&Value>, b: Option<&Value>) -> bool {
    let parse = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .and_then(|s| s.parse::<jiff::Timestamp>().ok())
    };
    match (parse(a), parse(b)) {
        (Some(a), Some(b)) => a.as_second() == b.as_second(),
        _ => a == b,
    }
}

// =======================================================================================
// Namespaces and service accounts.

pub(crate) fn validate_namespace(obj: &Value, issues: &mut Issues) {
    validate_object_meta(obj, false, name_is_dns_label, issues);
    for finalizer in items(at(obj, &["spec", "finalizers"])) {
        let name = finalizer.as_str().unwrap_or_default();
        issues.invalid_each("spec.finalizers", name, is_qualified_name(name));
        if let Some(message) = kube_finalizer_name_error(name) {
            issues.invalid("spec.finalizers", name, message);
        }
    }
}

/// Upstream validates only the metadata of a ServiceAccount: its `secrets` and
/// `imagePullSecrets` references are not checked (dangling or odd names are accepted).
pub(crate) fn validate_service_account(obj: &Value, issues: &mut Issues) {
    validate_object_meta(obj, true, name_is_dns_subdomain, issues);
}

// =======================================================================================
// Secrets and config maps.

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

pub(crate) fn validate_secret(secret: &Value, issues: &mut Issues) {
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
            if let Err(e) = serde_json::from_slice::<Map<String, Value>>(bytes) {
                issues.invalid(path, "<secret contents redacted>", e.to_string());
            }
        }
    }
}

pub(crate) fn validate_secret_update(old: &Value, new: &Value, issues: &mut Issues) {
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

pub(crate) fn validate_config_map(config_map: &Value, issues: &mut Issues) {
    validate_object_meta(config_map, true, name_is_dns_subdomain, issues);
    let data = string_map(config_map.get("data"));
    let binary = string_map(config_map.get("binaryData"));
    let mut total = 0;
    for (key, value) in &data {
        let path = format!("data[{key}]");
        issues.invalid_each(&path, key, is_config_map_key(key));
        if binary.contains_key(key) {
            issues.invalid(&path, key, "duplicate of key present in binaryData");
        }
        total += value.len();
    }
    for (key, value) in &binary {
        issues.invalid_each(&format!("binaryData[{key}]"), key, is_config_map_key(key));
        total += base64::engine::general_purpose::STANDARD
            .decode(value)
            .map(|v| v.len())
            .unwrap_or(0);
    }
    if total > MAX_SECRET_SIZE {
        // The empty path means the whole object.
        issues.too_long("", MAX_SECRET_SIZE);
    }
}

pub(crate) fn validate_config_map_update(old: &Value, new: &Value, issues: &mut Issues) {
    validate_object_meta_update(old, new, issues);
    if old.get("immutable").and_then(Value::as_bool) == Some(true) {
        if new.get("immutable").and_then(Value::as_bool) != Some(true) {
            issues.forbidden("immutable", IMMUTABLE_WHEN_SET);
        }
        for field in ["data", "binaryData"] {
            if string_map(new.get(field)) != string_map(old.get(field)) {
                issues.forbidden(field, IMMUTABLE_WHEN_SET);
            }
        }
    }
    validate_config_map(new, issues);
}

// =======================================================================================
// Pods.

const MIRROR_POD_ANNOTATION: &str = "kubernetes.io/config.mirror";
const POD_DELETION_COST_ANNOTATION: &str = "controller.kubernetes.io/pod-deletion-cost";
const APPARMOR_ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

const UPDATABLE_POD_SPEC_FIELDS: &[&str] = &[
    "`spec.containers[*].image`",
    "`spec.initContainers[*].image`",
    "`spec.activeDeadlineSeconds`",
    "`spec.tolerations` (only additions to existing tolerations)",
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
];

pub(crate) fn validate_pod(pod: &Value, issues: &mut Issues) {
    validate_object_meta(pod, true, name_is_dns_subdomain, issues);
    let spec = pod.get("spec").unwrap_or(&Value::Null);
    validate_pod_annotations(pod, issues);
    validate_pod_spec(spec, issues);
    if str_of(spec, "serviceAccountName").is_empty() {
        for (vi, volume) in items(spec.get("volumes")).iter().enumerate() {
            for (si, source) in items(at(volume, &["projected", "sources"]))
                .iter()
                .enumerate()
            {
                if is_set(source.get("serviceAccountToken")) {
                    issues.forbidden(
                        format!("spec.volumes[{vi}].projected.sources[{si}].serviceAccountToken"),
                        "must not be specified when serviceAccountName is not set",
                    );
                }
            }
        }
    }
    for key in ["containers", "initContainers"] {
        for (i, container) in items(spec.get(key)).iter().enumerate() {
            let image = str_of(container, "image");
            if image.trim() != image {
                issues.invalid(
                    format!("spec.{key}[{i}].image"),
                    image,
                    "must not have leading or trailing whitespace",
                );
            }
        }
    }
}

fn validate_pod_annotations(pod: &Value, issues: &mut Issues) {
    let annotations = string_map(at(pod, &["metadata", "annotations"]));
    if let Some(value) = annotations.get(MIRROR_POD_ANNOTATION) {
        if str_at(pod, &["spec", "nodeName"]).is_empty() {
            issues.invalid(
                format!("metadata.annotations[{MIRROR_POD_ANNOTATION}]"),
                value,
                "must set spec.nodeName if mirror pod annotation is set",
            );
        }
    }
    if let Some(cost) = annotations.get(POD_DELETION_COST_ANNOTATION) {
        if cost.parse::<i32>().is_err() {
            issues.invalid(
                format!("metadata.annotations[{POD_DELETION_COST_ANNOTATION}]"),
                cost,
                "must be a 32bit integer",
            );
        }
    }
}

fn validate_pod_spec(spec: &Value, issues: &mut Issues) {
    let volumes = validate_volumes(spec.get("volumes"), issues);
    let containers = items(spec.get("containers"));
    if containers.is_empty() {
        issues.required("spec.containers");
    } else {
        let mut names = BTreeSet::new();
        for (i, container) in containers.iter().enumerate() {
            let path = index("spec.containers", i);
            validate_container_common(container, &volumes, &path, issues);
            let name = str_of(container, "name");
            if !names.insert(name) {
                issues.duplicate(format!("{path}.name"), name);
            }
            if is_set(container.get("restartPolicy")) {
                issues.forbidden(
                    format!("{path}.restartPolicy"),
                    "may not be set for non-init containers",
                );
            }
        }
    }
    let mut all_names: BTreeSet<&str> = containers.iter().map(|c| str_of(c, "name")).collect();
    for (i, container) in items(spec.get("initContainers")).iter().enumerate() {
        let path = index("spec.initContainers", i);
        validate_container_common(container, &volumes, &path, issues);
        let restart_policy = container.get("restartPolicy").and_then(Value::as_str);
        if let Some(policy) = restart_policy.filter(|p| *p != "Always") {
            issues.not_supported(format!("{path}.restartPolicy"), policy, &["Always"]);
        }
        let name = str_of(container, "name");
        if all_names.contains(name) {
            issues.duplicate(format!("{path}.name"), name);
        } else if !name.is_empty() {
            all_names.insert(name);
        }
        if restart_policy != Some("Always") {
            for field in [
                "lifecycle",
                "livenessProbe",
                "readinessProbe",
                "startupProbe",
            ] {
                if is_set(container.get(field)) {
                    issues.forbidden(
                        format!("{path}.{field}"),
                        "may not be set for init containers without restartPolicy=Always",
                    );
                }
            }
        }
    }
    if let Some(policy) = spec
        .get("restartPolicy")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
    {
        if !["Always", "OnFailure", "Never"].contains(&policy) {
            issues.not_supported(
                "spec.restartPolicy",
                policy,
                &["Always", "OnFailure", "Never"],
            );
        }
    }
    if let Some(policy) = spec
        .get("dnsPolicy")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
    {
        let supported = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"];
        if !supported.contains(&policy) {
            issues.not_supported("spec.dnsPolicy", policy, &supported);
        }
    }
    validate_labels(spec.get("nodeSelector"), "spec.nodeSelector", issues);
    for field in ["serviceAccountName", "nodeName"] {
        let value = str_of(spec, field);
        if !value.is_empty() {
            issues.invalid_each(
                &format!("spec.{field}"),
                value,
                name_is_dns_subdomain(value, false),
            );
        }
    }
    if let Some(deadline) = spec.get("activeDeadlineSeconds").and_then(Value::as_i64) {
        if !(1..=MAX_INT32).contains(&deadline) {
            issues.invalid_rendered(
                "spec.activeDeadlineSeconds",
                deadline.to_string(),
                inclusive_range_error(1, MAX_INT32),
            );
        }
    }
    for field in ["hostname", "subdomain"] {
        let value = str_of(spec, field);
        if !value.is_empty() {
            issues.invalid_each(&format!("spec.{field}"), value, is_dns1123_label(value));
        }
    }
    validate_tolerations(items(spec.get("tolerations")), issues);
    let priority_class = str_of(spec, "priorityClassName");
    if !priority_class.is_empty() {
        issues.invalid_each(
            "spec.priorityClassName",
            priority_class,
            name_is_dns_subdomain(priority_class, false),
        );
    }
    if let Some(policy) = spec
        .get("preemptionPolicy")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
    {
        if !["PreemptLowerPriority", "Never"].contains(&policy) {
            issues.not_supported(
                "spec.preemptionPolicy",
                policy,
                &["PreemptLowerPriority", "Never"],
            );
        }
    }
}

fn validate_container_common(
    container: &Value,
    volumes: &BTreeSet<String>,
    path: &str,
    issues: &mut Issues,
) {
    let name = str_of(container, "name");
    if name.is_empty() {
        issues.required(format!("{path}.name"));
    } else {
        issues.invalid_each(&format!("{path}.name"), name, is_dns1123_label(name));
    }
    if str_of(container, "image").is_empty() {
        issues.required(format!("{path}.image"));
    }
    if let Some(policy) = container
        .get("terminationMessagePolicy")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
    {
        if !["File", "FallbackToLogsOnError"].contains(&policy) {
            issues.not_supported(
                format!("{path}.terminationMessagePolicy"),
                policy,
                &["File", "FallbackToLogsOnError"],
            );
        }
    }
    validate_container_ports(
        items(container.get("ports")),
        &format!("{path}.ports"),
        issues,
    );
    validate_env(items(container.get("env")), &format!("{path}.env"), issues);
    validate_volume_mounts(
        items(container.get("volumeMounts")),
        volumes,
        &format!("{path}.volumeMounts"),
        issues,
    );
    if let Some(policy) = container
        .get("imagePullPolicy")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
    {
        let supported = ["Always", "IfNotPresent", "Never"];
        if !supported.contains(&policy) {
            issues.not_supported(format!("{path}.imagePullPolicy"), policy, &supported);
        }
    }
}

fn validate_container_ports(ports: &[Value], path: &str, issues: &mut Issues) {
    let mut names = BTreeSet::new();
    for (i, port) in ports.iter().enumerate() {
        let port_path = index(path, i);
        let name = str_of(port, "name");
        if !name.is_empty() {
            let errors = is_valid_port_name(name);
            if !errors.is_empty() {
                issues.invalid_each(&format!("{port_path}.name"), name, errors);
            } else if !names.insert(name) {
                issues.duplicate(format!("{port_path}.name"), name);
            }
        }
        let container_port = port
            .get("containerPort")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        if container_port == 0 {
            issues.required(format!("{port_path}.containerPort"));
        } else {
            for message in is_valid_port_num(container_port) {
                issues.invalid_rendered(
                    format!("{port_path}.containerPort"),
                    container_port.to_string(),
                    message,
                );
            }
        }
        let host_port = port.get("hostPort").and_then(Value::as_i64).unwrap_or(0);
        if host_port != 0 {
            for message in is_valid_port_num(host_port) {
                issues.invalid_rendered(
                    format!("{port_path}.hostPort"),
                    host_port.to_string(),
                    message,
                );
            }
        }
        if let Some(protocol) = port
            .get("protocol")
            .and_then(Value::as_str)
            .filter(|p| !p.is_empty())
        {
            if !["SCTP", "TCP", "UDP"].contains(&protocol) {
                issues.not_supported(
                    format!("{port_path}.protocol"),
                    protocol,
                    &["SCTP", "TCP", "UDP"],
                );
            }
        }
    }
}

fn validate_env(env: &[Value], path: &str, issues: &mut Issues) {
    for (i, var) in env.iter().enumerate() {
        let name_path = format!("{}.name", index(path, i));
        let name = str_of(var, "name");
        if name.is_empty() {
            issues.required(&name_path);
        }
        issues.invalid_each(&name_path, name, is_relaxed_env_var_name(name));
    }
}

fn validate_volume_mounts(
    mounts: &[Value],
    volumes: &BTreeSet<String>,
    path: &str,
    issues: &mut Issues,
) {
    let mut mount_points = BTreeSet::new();
    for (i, mount) in mounts.iter().enumerate() {
        let mount_path = index(path, i);
        let name = str_of(mount, "name");
        if name.is_empty() {
            issues.required(format!("{mount_path}.name"));
        }
        if !volumes.contains(name) {
            issues.not_found(format!("{mount_path}.name"), name);
        }
        let target = str_of(mount, "mountPath");
        if target.is_empty() {
            issues.required(format!("{mount_path}.mountPath"));
        }
        if !mount_points.insert(target) {
            issues.invalid(format!("{mount_path}.mountPath"), target, "must be unique");
        }
        let sub_path = str_of(mount, "subPath");
        if !sub_path.is_empty() {
            // Upstream reports subPath errors on the list's path, not the item's.
            validate_local_descending_path(sub_path, &format!("{path}.subPath"), issues);
        }
    }
}

/// Relative, and without `..` elements.
fn validate_local_descending_path(target: &str, path: &str, issues: &mut Issues) {
    if target.starts_with('/') {
        issues.invalid(path, target, "must be a relative path");
    }
    if target.split('/').any(|element| element == "..") {
        issues.invalid(path, target, "must not contain '..'");
    }
}

fn validate_local_non_reserved_path(target: &str, path: &str, issues: &mut Issues) {
    validate_local_descending_path(target, path, issues);
    if target.starts_with("..") && !target.starts_with("../") {
        issues.invalid(path, target, "must not start with '..'");
    }
}

/// Volume source keys in the order upstream checks them, with the path segment it reports
/// for "more than 1 volume type" (upstream misspells two of them).
const VOLUME_SOURCES: &[(&str, &str)] = &[
    ("emptyDir", "emptyDir"),
    ("hostPath", "hostPath"),
    ("gitRepo", "gitRepo"),
    ("gcePersistentDisk", "gcePersistentDisk"),
    ("awsElasticBlockStore", "awsElasticBlockStore"),
    ("secret", "secret"),
    ("nfs", "nfs"),
    ("iscsi", "iscsi"),
    ("glusterfs", "glusterfs"),
    ("flocker", "flocker"),
    ("persistentVolumeClaim", "persistentVolumeClaim"),
    ("rbd", "rbd"),
    ("cinder", "cinder"),
    ("cephfs", "cephFS"),
    ("quobyte", "quobyte"),
    ("downwardAPI", "downwarAPI"),
    ("fc", "fc"),
    ("flexVolume", "flexVolume"),
    ("configMap", "configMap"),
    ("azureFile", "azureFile"),
    ("vsphereVolume", "vsphereVolume"),
    ("photonPersistentDisk", "photonPersistentDisk"),
    ("portworxVolume", "portworxVolume"),
    ("azureDisk", "azureDisk"),
    ("storageos", "storageos"),
    ("projected", "projected"),
    ("scaleIO", "scaleIO"),
    ("csi", "csi"),
    ("ephemeral", "ephemeral"),
    ("image", "image"),
];

/// Validates the volumes; returns the names of the valid ones, which mounts may refer to.
fn validate_volumes(volumes: Option<&Value>, issues: &mut Issues) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (i, volume) in items(volumes).iter().enumerate() {
        let path = index("spec.volumes", i);
        let mut volume_issues = Issues::default();
        validate_volume_source(volume, &path, &mut volume_issues);
        let name = str_of(volume, "name");
        let name_path = format!("{path}.name");
        if name.is_empty() {
            volume_issues.required(&name_path);
        } else {
            volume_issues.invalid_each(&name_path, name, is_dns1123_label(name));
        }
        if names.contains(name) {
            volume_issues.duplicate(&name_path, name);
        }
        if volume_issues.0.is_empty() {
            names.insert(name.to_string());
        } else {
            issues.0.extend(volume_issues.0);
        }
    }
    names
}

fn validate_volume_source(volume: &Value, path: &str, issues: &mut Issues) {
    let mut counted = 0;
    for (key, reported) in VOLUME_SOURCES {
        let Some(source) = volume.get(*key).filter(|v| !v.is_null()) else {
            continue;
        };
        if counted > 0 {
            issues.forbidden(
                format!("{path}.{reported}"),
                "may not specify more than 1 volume type",
            );
            continue;
        }
        counted += 1;
        let source_path = format!("{path}.{key}");
        match *key {
            "secret" => {
                if str_of(source, "secretName").is_empty() {
                    issues.required(format!("{source_path}.secretName"));
                }
                validate_default_mode(source, &source_path, issues);
                validate_key_to_paths(source, &source_path, issues);
            }
            "configMap" => {
                if str_of(source, "name").is_empty() {
                    issues.required(format!("{source_path}.name"));
                }
                validate_default_mode(source, &source_path, issues);
                validate_key_to_paths(source, &source_path, issues);
            }
            "downwardAPI" => {
                validate_default_mode(source, &source_path, issues);
                for item in items(source.get("items")) {
                    // Upstream reports item errors on the source's path, not the item's.
                    validate_downward_api_file(item, &source_path, issues);
                }
            }
            "projected" => validate_projected(source, &source_path, issues),
            "hostPath" => {
                let host_path = str_of(source, "path");
                if host_path.is_empty() {
                    issues.required(format!("{source_path}.path"));
                } else if host_path.split('/').any(|element| element == "..") {
                    issues.invalid(
                        format!("{source_path}.path"),
                        host_path,
                        "must not contain '..'",
                    );
                }
            }
            "persistentVolumeClaim" if str_of(source, "claimName").is_empty() => {
                issues.required(format!("{source_path}.claimName"));
            }
            "nfs" => {
                let nfs_path = str_of(source, "path");
                if str_of(source, "server").is_empty() {
                    issues.required(format!("{source_path}.server"));
                }
                if nfs_path.is_empty() {
                    issues.required(format!("{source_path}.path"));
                }
                if !nfs_path.starts_with('/') {
                    issues.invalid(
                        format!("{source_path}.path"),
                        nfs_path,
                        "must be an absolute path",
                    );
                }
            }
            _ => {}
        }
    }
}

fn validate_file_mode(value: Option<&Value>, path: String, issues: &mut Issues) {
    if let Some(mode) = value.and_then(Value::as_i64) {
        if !(0..=0o777).contains(&mode) {
            issues.invalid_rendered(path, mode.to_string(), FILE_MODE_ERR);
        }
    }
}

fn validate_default_mode(source: &Value, path: &str, issues: &mut Issues) {
    validate_file_mode(
        source.get("defaultMode"),
        format!("{path}.defaultMode"),
        issues,
    );
}

fn validate_key_to_paths(source: &Value, path: &str, issues: &mut Issues) {
    for (i, item) in items(source.get("items")).iter().enumerate() {
        validate_key_to_path(item, &index(&format!("{path}.items"), i), issues);
    }
}

fn validate_key_to_path(item: &Value, path: &str, issues: &mut Issues) {
    if str_of(item, "key").is_empty() {
        issues.required(format!("{path}.key"));
    }
    let target = str_of(item, "path");
    if target.is_empty() {
        issues.required(format!("{path}.path"));
    }
    validate_local_non_reserved_path(target, &format!("{path}.path"), issues);
    validate_file_mode(item.get("mode"), format!("{path}.mode"), issues);
}

fn validate_downward_api_file(item: &Value, path: &str, issues: &mut Issues) {
    let target = str_of(item, "path");
    if target.is_empty() {
        issues.required(format!("{path}.path"));
    }
    validate_local_non_reserved_path(target, &format!("{path}.path"), issues);
    let field_ref = is_set(item.get("fieldRef"));
    let resource_ref = is_set(item.get("resourceFieldRef"));
    if field_ref && resource_ref {
        issues.invalid(
            path,
            "resource",
            "fieldRef and resourceFieldRef can not be specified simultaneously",
        );
    } else if !field_ref && !resource_ref {
        issues.required_because(path, "one of fieldRef and resourceFieldRef is required");
    }
    validate_file_mode(item.get("mode"), format!("{path}.mode"), issues);
}

fn validate_projected(projected: &Value, path: &str, issues: &mut Issues) {
    validate_default_mode(projected, path, issues);
    let mut all_paths = BTreeSet::new();
    for (i, source) in items(projected.get("sources")).iter().enumerate() {
        let source_path = index(&format!("{path}.sources"), i);
        let mut kinds = 0;
        for kind in ["secret", "configMap"] {
            let Some(reference) = source.get(kind).filter(|v| !v.is_null()) else {
                continue;
            };
            kinds += 1;
            let kind_path = format!("{source_path}.{kind}");
            let name = str_of(reference, "name");
            if name.is_empty() {
                issues.required(format!("{kind_path}.name"));
            }
            for (j, item) in items(reference.get("items")).iter().enumerate() {
                validate_key_to_path(item, &index(&format!("{kind_path}.items"), j), issues);
                let target = str_of(item, "path");
                if !target.is_empty() && !all_paths.insert(target.to_string()) {
                    issues.invalid(path, name, "conflicting duplicate paths");
                }
            }
        }
        if let Some(downward) = source.get("downwardAPI").filter(|v| !v.is_null()) {
            kinds += 1;
            let kind_path = format!("{source_path}.downwardAPI");
            for item in items(downward.get("items")) {
                validate_downward_api_file(item, &kind_path, issues);
                let target = str_of(item, "path");
                if !target.is_empty() && !all_paths.insert(target.to_string()) {
                    issues.invalid(path, target, "conflicting duplicate paths");
                }
            }
        }
        if let Some(token) = source.get("serviceAccountToken").filter(|v| !v.is_null()) {
            kinds += 1;
            let kind_path = format!("{source_path}.serviceAccountToken");
            let expiration = token
                .get("expirationSeconds")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            if expiration < 10 * 60 {
                issues.invalid_rendered(
                    format!("{kind_path}.expirationSeconds"),
                    expiration.to_string(),
                    "may not specify a duration less than 10 minutes",
                );
            }
            if expiration > 1 << 32 {
                issues.invalid_rendered(
                    format!("{kind_path}.expirationSeconds"),
                    expiration.to_string(),
                    "may not specify a duration larger than 2^32 seconds",
                );
            }
            let token_path = str_of(token, "path");
            if token_path.is_empty() {
                // Upstream reports this one on the projected volume's path.
                issues.required(format!("{path}.path"));
            } else {
                validate_local_non_reserved_path(token_path, &format!("{path}.path"), issues);
            }
        }
        if is_set(source.get("clusterTrustBundle")) {
            kinds += 1;
        }
        if kinds > 1 {
            issues.forbidden(
                source_path,
                "may not specify more than 1 volume type per source",
            );
        }
    }
}

fn validate_tolerations(tolerations: &[Value], issues: &mut Issues) {
    for (i, toleration) in tolerations.iter().enumerate() {
        let path = index("spec.tolerations", i);
        let key = str_of(toleration, "key");
        let operator = str_of(toleration, "operator");
        let effect = str_of(toleration, "effect");
        let value = str_of(toleration, "value");
        if !key.is_empty() {
            issues.invalid_each(&format!("{path}.key"), key, is_qualified_name(key));
        }
        if key.is_empty() && operator != "Exists" {
            issues.invalid(
                format!("{path}.operator"),
                operator,
                "operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
            );
        }
        if is_set(toleration.get("tolerationSeconds")) && effect != "NoExecute" {
            issues.invalid(
                format!("{path}.effect"),
                effect,
                "effect must be 'NoExecute' when `tolerationSeconds` is set",
            );
        }
        match operator {
            "Equal" | "" => {
                let errors = is_valid_label_value(value);
                if !errors.is_empty() {
                    issues.invalid(format!("{path}.operator"), value, errors.join(";"));
                }
            }
            "Exists" => {
                if !value.is_empty() {
                    issues.invalid(
                        format!("{path}.operator"),
                        value,
                        "value must be empty when `operator` is 'Exists'",
                    );
                }
            }
            other => issues.not_supported(format!("{path}.operator"), other, &["Equal", "Exists"]),
        }
        let effects = ["NoSchedule", "PreferNoSchedule", "NoExecute"];
        if !effect.is_empty() && !effects.contains(&effect) {
            issues.not_supported(format!("{path}.effect"), effect, &effects);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Pod updates.

pub(crate) fn validate_pod_update(old: &Value, new: &Value, issues: &mut Issues) {
    validate_object_meta_update(old, new, issues);
    validate_pod(new, issues);
    validate_pod_annotation_updates(old, new, issues);

    let old_spec = old.get("spec").unwrap_or(&Value::Null);
    let new_spec = new.get("spec").unwrap_or(&Value::Null);
    for key in ["containers", "initContainers"] {
        let (old_containers, new_containers) = (items(old_spec.get(key)), items(new_spec.get(key)));
        if old_containers.len() != new_containers.len() {
            issues.forbidden(
                format!("spec.{key}"),
                "pod updates may not add or remove containers",
            );
            return;
        }
        for (i, container) in new_containers.iter().enumerate() {
            let image = str_of(container, "image");
            if image.is_empty() {
                issues.required(format!("spec.{key}[{i}].image"));
            }
            if image.trim() != image {
                issues.invalid(
                    format!("spec.{key}[{i}].image"),
                    image,
                    "must not have leading or trailing whitespace",
                );
            }
        }
    }

    let new_deadline = new_spec
        .get("activeDeadlineSeconds")
        .filter(|v| !v.is_null());
    let old_deadline = old_spec
        .get("activeDeadlineSeconds")
        .and_then(Value::as_i64);
    match (new_deadline.and_then(Value::as_i64), old_deadline) {
        (Some(new_value), _) if !(0..=MAX_INT32).contains(&new_value) => {
            issues.invalid_rendered(
                "spec.activeDeadlineSeconds",
                new_value.to_string(),
                inclusive_range_error(0, MAX_INT32),
            );
            return;
        }
        (Some(new_value), Some(old_value)) if old_value < new_value => {
            issues.invalid_rendered(
                "spec.activeDeadlineSeconds",
                new_value.to_string(),
                "must be less than or equal to previous value",
            );
            return;
        }
        (None, Some(_)) => {
            issues.invalid_rendered(
                "spec.activeDeadlineSeconds",
                "null".to_string(),
                "must not update from a positive integer to nil value",
            );
        }
        _ => {}
    }

    validate_only_added_tolerations(
        items(old_spec.get("tolerations")),
        items(new_spec.get("tolerations")),
        issues,
    );
    let old_gates: BTreeSet<&str> = items(old_spec.get("schedulingGates"))
        .iter()
        .map(|g| str_of(g, "name"))
        .collect();
    for (i, gate) in items(new_spec.get("schedulingGates")).iter().enumerate() {
        let name = str_of(gate, "name");
        if !old_gates.contains(name) {
            issues.forbidden(
                format!("spec.schedulingGates[{i}].name"),
                format!("only deletion is allowed, but found new scheduling gate '{name}'"),
            );
        }
    }

    if comparable_pod_spec(&munged_pod_spec(old_spec, new_spec)) != comparable_pod_spec(old_spec) {
        issues.forbidden(
            "spec",
            format!(
                "pod updates may not change fields other than {}",
                UPDATABLE_POD_SPEC_FIELDS.join(",")
            ),
        );
    }
}

fn validate_pod_annotation_updates(old: &Value, new: &Value, issues: &mut Issues) {
    let old_annotations = string_map(at(old, &["metadata", "annotations"]));
    let new_annotations = string_map(at(new, &["metadata", "annotations"]));
    for (key, old_value) in &old_annotations {
        if new_annotations.get(key) == Some(old_value) {
            continue;
        }
        let path = format!("metadata.annotations[{key}]");
        if key.starts_with(APPARMOR_ANNOTATION_PREFIX) {
            issues.forbidden(&path, "may not remove or update AppArmor annotations");
        }
        if *key == MIRROR_POD_ANNOTATION {
            issues.forbidden(&path, "may not remove or update mirror pod annotation");
        }
    }
    for key in new_annotations
        .keys()
        .filter(|k| !old_annotations.contains_key(*k))
    {
        let path = format!("metadata.annotations[{key}]");
        if key.starts_with(APPARMOR_ANNOTATION_PREFIX) {
            issues.forbidden(&path, "may not add AppArmor annotations");
        }
        if *key == MIRROR_POD_ANNOTATION {
            issues.forbidden(&path, "may not add mirror pod annotation");
        }
    }
}

fn validate_only_added_tolerations(old: &[Value], new: &[Value], issues: &mut Issues) {
    // tolerationSeconds of an existing toleration may change.
    let without_seconds = |t: &Value| {
        let mut copy = canonical(t);
        if let Some(map) = copy.as_object_mut() {
            map.remove("tolerationSeconds");
        }
        copy
    };
    let new_keys: Vec<Value> = new.iter().map(without_seconds).collect();
    if old.iter().any(|t| !new_keys.contains(&without_seconds(t))) {
        issues.forbidden(
            "spec.tolerations",
            "existing toleration can not be modified except its tolerationSeconds",
        );
        return;
    }
    validate_tolerations(new, issues);
}

/// The spec as the internal type holds it: without the deprecated v1 `serviceAccount`
/// alias, which conversion folds into `serviceAccountName`.
fn comparable_pod_spec(spec: &Value) -> Value {
    let mut comparable = canonical(spec);
    if let Some(map) = comparable.as_object_mut() {
        map.remove("serviceAccount");
    }
    comparable
}

/// The new spec with the fields a pod update may change reset to the old values.
fn munged_pod_spec(old_spec: &Value, new_spec: &Value) -> Value {
    let mut munged = new_spec.clone();
    let Some(spec) = munged.as_object_mut() else {
        return munged;
    };
    for key in ["containers", "initContainers"] {
        let old_containers = items(old_spec.get(key));
        if let Some(containers) = spec.get_mut(key).and_then(Value::as_array_mut) {
            for (container, old_container) in containers.iter_mut().zip(old_containers) {
                if let Some(container) = container.as_object_mut() {
                    match old_container.get("image") {
                        Some(image) => container.insert("image".into(), image.clone()),
                        None => container.remove("image"),
                    };
                }
            }
        }
    }
    for key in ["activeDeadlineSeconds", "schedulingGates", "tolerations"] {
        match old_spec.get(key) {
            Some(value) => spec.insert(key.into(), value.clone()),
            None => spec.remove(key),
        };
    }
    let old_grace = old_spec
        .get("terminationGracePeriodSeconds")
        .and_then(Value::as_i64);
    let new_grace = spec
        .get("terminationGracePeriodSeconds")
        .and_then(Value::as_i64);
    if old_grace.is_some_and(|g| g < 0) && new_grace == Some(1) {
        if let Some(old_value) = old_spec.get("terminationGracePeriodSeconds") {
            spec.insert("terminationGracePeriodSeconds".into(), old_value.clone());
        }
    }
    munged
}

/// A form for semantic comparison, as apimachinery's semantic DeepEqual sees values:
/// null, empty lists and empty maps equal absent; quantities compare by value.
fn canonical(value: &Value) -> Value {
    canonical_in(value, false)
}

fn canonical_in(value: &Value, quantities: bool) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !is_empty_value(Some(v)))
                .map(|(k, v)| {
                    let holds_quantities =
                        quantities || matches!(k.as_str(), "requests" | "limits" | "overhead");
                    (k.clone(), canonical_in(v, holds_quantities))
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| canonical_in(v, false)).collect()),
        Value::String(text) if quantities => match super::defaults::parse_quantity(text) {
            Some(number) => serde_json::json!(number),
            None => value.clone(),
        },
        Value::Number(n) => n
            .as_f64()
            .map(|f| serde_json::json!(f))
            .unwrap_or_else(|| value.clone()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::defaults::apply_defaults;
    use crate::apiserver::kinds::{
        CONFIG_MAPS, NAMESPACES, PODS, SECRETS, SELF_SUBJECT_REVIEWS, SERVICE_ACCOUNTS,
    };
    use serde_json::json;

    const SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    const LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

    fn create_errors(resource: &ResourceInfo, obj: Value) -> Vec<String> {
        let mut obj = obj;
        apply_defaults(resource, &mut obj);
        match validate_create(resource, &obj) {
            Ok(()) => Vec::new(),
            Err(e) => {
                assert_eq!(e.code, 422);
                assert_eq!(e.reason, "Invalid");
                e.causes
                    .iter()
                    .map(|c| format!("{}: {}", c.field, c.message))
                    .collect()
            }
        }
    }

    fn update_errors(resource: &ResourceInfo, old: Value, new: Value) -> Vec<String> {
        let (mut old, mut new) = (old, new);
        apply_defaults(resource, &mut old);
        apply_defaults(resource, &mut new);
        match validate_update(resource, &old, &new) {
            Ok(()) => Vec::new(),
            Err(e) => e
                .causes
                .iter()
                .map(|c| format!("{}: {}", c.field, c.message))
                .collect(),
        }
    }

    fn pod(spec: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}, "spec": spec})
    }

    fn simple_pod() -> Value {
        pod(json!({"containers": [{"name": "app", "image": "nginx:1"}]}))
    }

    #[test]
    fn the_regex_error_text_matches_upstream() {
        // Upstream's RegexError separates examples with "', " + " or " (note the double space).
        assert_eq!(is_dns1123_label("Bad_Name"), vec![LABEL_MSG.to_string()]);
        assert_eq!(is_dns1123_subdomain("-x"), vec![SUBDOMAIN_MSG.to_string()]);
    }

    #[test]
    fn format_matchers() {
        type Check = fn(&str) -> Vec<String>;
        let cases: &[(&str, Check, bool)] = &[
            ("a", is_dns1123_label, true),
            ("a-b-1", is_dns1123_label, true),
            ("-a", is_dns1123_label, false),
            ("a-", is_dns1123_label, false),
            ("A", is_dns1123_label, false),
            ("a.b", is_dns1123_label, false),
            ("", is_dns1123_label, false),
            ("a.b-c.d", is_dns1123_subdomain, true),
            ("a..b", is_dns1123_subdomain, false),
            ("a.", is_dns1123_subdomain, false),
            ("Example.com", is_dns1123_subdomain, false),
            ("app", is_qualified_name, true),
            ("example.com/App_1", is_qualified_name, true),
            ("/app", is_qualified_name, false),
            ("a/b/c", is_qualified_name, false),
            ("_app", is_qualified_name, false),
            ("", is_valid_label_value, true),
            ("v1.2_x-Y", is_valid_label_value, true),
            ("-v", is_valid_label_value, false),
            ("key.name", is_config_map_key, true),
            ("KEY_NAME", is_config_map_key, true),
            ("a/b", is_config_map_key, false),
            ("..x", is_config_map_key, false),
            (".", is_config_map_key, false),
        ];
        for (value, check, valid) in cases {
            assert_eq!(
                check(value).is_empty(),
                *valid,
                "{value:?}: {:?}",
                check(value)
            );
        }
        assert_eq!(
            is_dns1123_label("a.b"),
            vec!["must not contain dots".to_string()]
        );
        assert_eq!(
            is_dns1123_label(&"a".repeat(64)),
            vec!["must be no more than 63 characters".to_string()]
        );
        assert_eq!(
            is_config_map_key(".."),
            vec!["must not be '..'".to_string()]
        );
        assert_eq!(
            is_qualified_name("/a"),
            vec!["prefix part must be non-empty".to_string()]
        );
        assert!(is_qualified_name(&"a".repeat(64))
            .contains(&"name part must be no more than 63 characters".to_string()));
    }

    #[test]
    fn names_are_required_unless_generated() {
        assert_eq!(
            create_errors(&SECRETS, json!({"metadata": {"namespace": "ns"}})),
            vec!["metadata.name: Required value: name or generateName is required"]
        );
        assert!(create_errors(
            &SECRETS,
            json!({"metadata": {"namespace": "ns", "generateName": "s-"}})
        )
        .is_empty());
        assert_eq!(
            create_errors(
                &SECRETS,
                json!({"metadata": {"namespace": "ns", "generateName": "My-Secret-"}})
            ),
            vec![format!(
                "metadata.generateName: Invalid value: \"My-Secret-\": {SUBDOMAIN_MSG}"
            )]
        );
    }

    #[test]
    fn name_formats_per_resource() {
        let cases = [
            (&PODS, "a.b", None),
            (&SECRETS, "My-Secret", Some(SUBDOMAIN_MSG.to_string())),
            (&CONFIG_MAPS, "cm.v1", None),
            (&SERVICE_ACCOUNTS, "sa_1", Some(SUBDOMAIN_MSG.to_string())),
            (&NAMESPACES, "team-a", None),
            (
                &NAMESPACES,
                "team.a",
                Some("must not contain dots".to_string()),
            ),
            (&NAMESPACES, "Team", Some(LABEL_MSG.to_string())),
        ];
        for (resource, name, expected) in cases {
            let namespace = if resource.namespaced {
                json!("ns")
            } else {
                Value::Null
            };
            let mut obj = json!({"metadata": {"name": name, "namespace": namespace}});
            if resource.kind == "Pod" {
                obj["spec"] = json!({"containers": [{"name": "c", "image": "i"}]});
            }
            let errors = create_errors(resource, obj);
            match expected {
                None => assert!(errors.is_empty(), "{name}: {errors:?}"),
                Some(message) => {
                    assert_eq!(
                        errors,
                        vec![format!(
                            "metadata.name: Invalid value: \"{name}\": {message}"
                        )],
                        "{name}"
                    )
                }
            }
        }
    }

    #[test]
    fn namespaced_objects_need_a_namespace_and_cluster_objects_refuse_one() {
        assert_eq!(
            create_errors(&CONFIG_MAPS, json!({"metadata": {"name": "c"}})),
            vec!["metadata.namespace: Required value"]
        );
        assert_eq!(
            create_errors(
                &NAMESPACES,
                json!({"metadata": {"name": "n", "namespace": "x"}})
            ),
            vec!["metadata.namespace: Forbidden: not allowed on this type"]
        );
    }

    #[test]
    fn labels_and_annotations() {
        let errors = create_errors(
            &CONFIG_MAPS,
            json!({"metadata": {"name": "c", "namespace": "ns",
                "labels": {"ok": "fine", "bad key": "v", "k": "x".repeat(64)},
                "annotations": {"Example.COM/Upper": "ok", "bad/key/x": "v"}}}),
        );
        // 64 x's match the format and are only too long.
        assert_eq!(errors.len(), 3, "{errors:#?}");
        assert!(
            errors[0].starts_with(
                "metadata.labels: Invalid value: \"bad key\": name part must consist of"
            ),
            "{}",
            errors[0]
        );
        assert_eq!(
            errors[1],
            format!(
                "metadata.labels: Invalid value: \"{}\": must be no more than 63 characters",
                "x".repeat(64)
            )
        );
        assert!(errors[2].starts_with(
            "metadata.annotations: Invalid value: \"bad/key/x\": a qualified name must consist of"
        ));

        let big = "v".repeat(TOTAL_ANNOTATION_SIZE_LIMIT);
        let errors = create_errors(
            &CONFIG_MAPS,
            json!({"metadata": {"name": "c", "namespace": "ns", "annotations": {"k": big}}}),
        );
        assert_eq!(
            errors,
            vec!["metadata.annotations: Too long: may not be more than 262144 bytes"]
        );
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
    fn config_map_rules() {
        let errors = create_errors(
            &CONFIG_MAPS,
            json!({"metadata": {"name": "c", "namespace": "ns"}, "data": {"k": "v"}, "binaryData": {"k": "eA=="}}),
        );
        assert_eq!(
            errors,
            vec!["data[k]: Invalid value: \"k\": duplicate of key present in binaryData"]
        );
        let frozen = json!({"metadata": {"name": "c", "namespace": "ns"}, "immutable": true, "data": {"k": "v"}});
        let mut edited = frozen.clone();
        edited["data"]["k"] = json!("w");
        assert_eq!(
            update_errors(&CONFIG_MAPS, frozen, edited),
            vec!["data: Forbidden: field is immutable when `immutable` is set"]
        );
    }

    #[test]
    fn metadata_is_immutable_on_update() {
        let old = json!({"metadata": {"name": "a", "namespace": "ns", "uid": "u1", "creationTimestamp": "2024-01-02T03:04:05Z"}});
        let cases = [
            (json!({"metadata": {"name": "b", "namespace": "ns", "uid": "u1"}}), "metadata.name: Invalid value: \"b\": field is immutable"),
            (json!({"metadata": {"name": "a", "namespace": "other", "uid": "u1"}}), "metadata.namespace: Invalid value: \"other\": field is immutable"),
            (json!({"metadata": {"name": "a", "namespace": "ns", "uid": "u2"}}), "metadata.uid: Invalid value: \"u2\": field is immutable"),
            (
                json!({"metadata": {"name": "a", "namespace": "ns", "creationTimestamp": "2025-01-01T00:00:00Z"}}),
                "metadata.creationTimestamp: Invalid value: 2025-01-01 00:00:00 +0000 UTC: field is immutable",
            ),
        ];
        for (new, expected) in cases {
            let errors = update_errors(&SERVICE_ACCOUNTS, old.clone(), new.clone());
            assert!(errors.iter().any(|e| e == expected), "{new}: {errors:?}");
        }
        // Absent uid and creationTimestamp are filled in from the stored object, not errors.
        assert!(update_errors(
            &SERVICE_ACCOUNTS,
            old,
            json!({"metadata": {"name": "a", "namespace": "ns"}})
        )
        .is_empty());
    }

    #[test]
    fn namespace_update_cannot_rename() {
        let old = json!({"metadata": {"name": "a"}, "status": {"phase": "Active"}});
        let new = json!({"metadata": {"name": "b"}, "status": {"phase": "Active"}});
        assert_eq!(
            update_errors(&NAMESPACES, old, new),
            vec!["metadata.name: Invalid value: \"b\": field is immutable"]
        );
    }

    #[test]
    fn finalizer_names() {
        let errors = create_errors(
            &NAMESPACES,
            json!({"metadata": {"name": "n", "finalizers": ["custom"]}, "spec": {"finalizers": ["mine"]}}),
        );
        assert_eq!(
            errors,
            vec![
                "metadata.finalizers[0]: Invalid value: \"custom\": name is neither a standard finalizer name nor is it fully qualified",
                "spec.finalizers: Invalid value: \"mine\": name is neither a standard finalizer name nor is it fully qualified",
            ]
        );
        assert!(create_errors(
            &NAMESPACES,
            json!({"metadata": {"name": "n", "finalizers": ["example.com/x"]}})
        )
        .is_empty());
    }

    #[test]
    fn valid_pods_pass() {
        assert!(create_errors(&PODS, simple_pod()).is_empty());
        let full = pod(json!({
            "serviceAccountName": "default",
            "volumes": [{"name": "token", "secret": {"secretName": "default-token-abc"}},
                        {"name": "api", "projected": {"sources": [{"serviceAccountToken": {"path": "token", "expirationSeconds": 3607}}]}}],
            "containers": [{"name": "app", "image": "nginx", "ports": [{"name": "http", "containerPort": 80}],
                "env": [{"name": "A", "value": "b"}],
                "volumeMounts": [{"name": "token", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true}]}],
            "initContainers": [{"name": "init", "image": "busybox"}],
            "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]
        }));
        assert_eq!(create_errors(&PODS, full), Vec::<String>::new());
    }

    #[test]
    fn pod_create_rules() {
        let cases: Vec<(Value, Vec<&str>)> = vec![
            (pod(json!({"containers": []})), vec!["spec.containers: Required value"]),
            (pod(json!({"containers": [{"name": "app"}]})), vec!["spec.containers[0].image: Required value"]),
            (pod(json!({"containers": [{"image": "i"}]})), vec!["spec.containers[0].name: Required value"]),
            (
                pod(json!({"containers": [{"name": "a", "image": "i"}, {"name": "a", "image": "i"}]})),
                vec!["spec.containers[1].name: Duplicate value: \"a\""],
            ),
            (
                pod(json!({"containers": [{"name": "a", "image": "i", "volumeMounts": [{"name": "x", "mountPath": "/x"}]}]})),
                vec!["spec.containers[0].volumeMounts[0].name: Not found: \"x\""],
            ),
            (
                pod(json!({"volumes": [{"name": "v", "emptyDir": {}}, {"name": "v", "emptyDir": {}}],
                    "containers": [{"name": "a", "image": "i"}]})),
                vec!["spec.volumes[1].name: Duplicate value: \"v\""],
            ),
            (
                pod(json!({"volumes": [{"name": "v", "secret": {}}],
                    "containers": [{"name": "a", "image": "i", "volumeMounts": [{"name": "v", "mountPath": "/v"}]}]})),
                vec!["spec.volumes[0].secret.secretName: Required value", "spec.containers[0].volumeMounts[0].name: Not found: \"v\""],
            ),
            (
                pod(json!({"containers": [{"name": "a", "image": "i"}], "restartPolicy": "Sometimes"})),
                vec!["spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\""],
            ),
            (
                pod(json!({"containers": [{"name": "a", "image": "i"}], "serviceAccountName": "Bad_SA"})),
                vec!["spec.serviceAccountName: Invalid value: \"Bad_SA\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"],
            ),
            (
                pod(json!({"containers": [{"name": "a", "image": "i", "ports": [{"containerPort": 70000}]}]})),
                vec!["spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive"],
            ),
            (
                pod(json!({"containers": [{"name": "a", "image": " i"}]})),
                vec!["spec.containers[0].image: Invalid value: \" i\": must not have leading or trailing whitespace"],
            ),
            (
                pod(json!({"volumes": [{"name": "s", "secret": {"secretName": "x", "defaultMode": 1000}}],
                    "containers": [{"name": "a", "image": "i"}]})),
                vec!["spec.volumes[0].secret.defaultMode: Invalid value: 1000: must be a number between 0 and 0777 (octal), both inclusive"],
            ),
            (
                pod(json!({"volumes": [{"name": "t", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}}],
                    "containers": [{"name": "a", "image": "i"}]})),
                vec!["spec.volumes[0].projected.sources[0].serviceAccountToken: Forbidden: must not be specified when serviceAccountName is not set"],
            ),
            (
                pod(json!({"containers": [{"name": "a", "image": "i"}],
                    "tolerations": [{"operator": "Equal", "value": "x"}]})),
                vec!["spec.tolerations[0].operator: Invalid value: \"Equal\": operator must be Exists when `key` is empty, which means \"match all values and all keys\""],
            ),
        ];
        for (obj, expected) in cases {
            assert_eq!(create_errors(&PODS, obj.clone()), expected, "{obj}");
        }
    }

    #[test]
    fn not_found_errors_render_in_the_message_and_causes() {
        let mut obj = pod(
            json!({"containers": [{"name": "a", "image": "i", "volumeMounts": [{"name": "x", "mountPath": "/x"}]}]}),
        );
        apply_defaults(&PODS, &mut obj);
        let err = validate_create(&PODS, &obj).expect_err("invalid");
        assert_eq!(
            err.message,
            "Pod \"p\" is invalid: spec.containers[0].volumeMounts[0].name: Not found: \"x\""
        );
        assert_eq!(err.causes[0].reason, "FieldValueNotFound");
        assert_eq!(err.causes[0].message, "Not found: \"x\"");
        assert_eq!(
            err.causes[0].field,
            "spec.containers[0].volumeMounts[0].name"
        );
    }

    #[test]
    fn several_errors_are_listed_in_brackets() {
        let mut obj = pod(json!({"containers": [{"name": "A"}]}));
        apply_defaults(&PODS, &mut obj);
        let err = validate_create(&PODS, &obj).expect_err("invalid");
        assert_eq!(
            err.message,
            format!("Pod \"p\" is invalid: [spec.containers[0].name: Invalid value: \"A\": {LABEL_MSG}, spec.containers[0].image: Required value]")
        );
    }

    #[test]
    fn pod_updates_may_change_only_a_few_fields() {
        let old = simple_pod();
        let mut new_image = old.clone();
        new_image["spec"]["containers"][0]["image"] = json!("nginx:2");
        assert!(update_errors(&PODS, old.clone(), new_image).is_empty());

        let mut relabelled = old.clone();
        relabelled["metadata"]["labels"] = json!({"tier": "web"});
        assert!(update_errors(&PODS, old.clone(), relabelled).is_empty());

        let mut new_env = old.clone();
        new_env["spec"]["containers"][0]["env"] = json!([{"name": "A", "value": "b"}]);
        assert_eq!(
            update_errors(&PODS, old.clone(), new_env),
            vec!["spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"]
        );

        let mut more = old.clone();
        more["spec"]["containers"] =
            json!([{"name": "app", "image": "nginx:1"}, {"name": "b", "image": "b"}]);
        assert_eq!(
            update_errors(&PODS, old.clone(), more),
            vec!["spec.containers: Forbidden: pod updates may not add or remove containers"]
        );

        let mut deadline = old.clone();
        deadline["spec"]["activeDeadlineSeconds"] = json!(30);
        assert!(update_errors(&PODS, old.clone(), deadline.clone()).is_empty());
        let mut longer = deadline.clone();
        longer["spec"]["activeDeadlineSeconds"] = json!(60);
        assert_eq!(
            update_errors(&PODS, deadline, longer),
            vec!["spec.activeDeadlineSeconds: Invalid value: 60: must be less than or equal to previous value"]
        );

        let mut tolerated = old.clone();
        tolerated["spec"]["tolerations"] =
            json!([{"key": "k", "operator": "Exists", "effect": "NoSchedule"}]);
        assert!(update_errors(&PODS, old.clone(), tolerated.clone()).is_empty());
        assert_eq!(
            update_errors(&PODS, tolerated, old),
            vec!["spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds"]
        );
    }

    #[test]
    fn pod_update_compares_semantically() {
        let mut old = pod(json!({"containers": [{"name": "app", "image": "nginx:1",
            "resources": {"requests": {"cpu": "1"}}}], "nodeSelector": {}}));
        apply_defaults(&PODS, &mut old);
        let mut new = old.clone();
        new["spec"]["containers"][0]["resources"]["requests"]["cpu"] = json!("1000m");
        new["spec"]
            .as_object_mut()
            .map(|s| s.remove("nodeSelector"));
        assert!(validate_update(&PODS, &old, &new).is_ok());
    }

    #[test]
    fn pod_update_ignores_the_deprecated_service_account_alias() {
        let mut old = simple_pod();
        old["spec"]["serviceAccountName"] = json!("default");
        let mut new = old.clone();
        new["spec"]["serviceAccount"] = json!("default");
        assert!(update_errors(&PODS, old, new).is_empty());
    }

    #[test]
    fn mirror_pods() {
        let mut mirror = simple_pod();
        mirror["metadata"]["annotations"] = json!({"kubernetes.io/config.mirror": "x"});
        assert_eq!(
            create_errors(&PODS, mirror.clone()),
            vec!["metadata.annotations[kubernetes.io/config.mirror]: Invalid value: \"x\": must set spec.nodeName if mirror pod annotation is set"]
        );
        mirror["spec"]["nodeName"] = json!("node-1");
        assert!(create_errors(&PODS, mirror.clone()).is_empty());
        let mut unmirrored = mirror.clone();
        unmirrored["metadata"]["annotations"] = json!({});
        assert_eq!(
            update_errors(&PODS, mirror, unmirrored),
            vec!["metadata.annotations[kubernetes.io/config.mirror]: Forbidden: may not remove or update mirror pod annotation"]
        );
    }

    #[test]
    fn self_subject_reviews_have_nothing_to_validate() {
        assert!(validate_create(&SELF_SUBJECT_REVIEWS, &json!({"metadata": {}})).is_ok());
    }

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
            &[
                "spec.foo".to_string(),
                "spec.containers[0].imagee".to_string(),
            ],
        );
        assert_eq!(err.code, 400);
        assert_eq!(err.reason, "BadRequest");
        assert_eq!(
            err.message,
            "Pod in version \"v1\" cannot be handled as a Pod: strict decoding error: unknown field \"spec.foo\", unknown field \"spec.containers[0].imagee\""
        );
    }
}
