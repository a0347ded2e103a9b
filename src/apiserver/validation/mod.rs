//! Validation of the objects the embedded API server stores, with the field paths and
//! message texts of a real API server (`k8s.io/apimachinery/pkg/util/validation`,
//! `k8s.io/apimachinery/pkg/api/validation` and `pkg/apis/core/validation`, v1.33).
//!
//! This module holds what every kind shares: the entry points, the list of field errors
//! ([`Issues`]) and its rendering, name and value formats (`names`), object metadata
//! (`meta`) and strict decoding (`unknown_fields`). Each kind's own rules live with its
//! strategy under `super::kinds`.
//!
//! Objects are validated after defaulting ([`super::kinds::Strategy::default`]), as on a
//! real server. Fields that defaulting always fills (restart policy, DNS policy, pull
//! policy, termination grace period, a volume's source, ...) are therefore not reported
//! as missing here; wrong values still are.

use std::collections::BTreeSet;

use serde_json::Value;

use super::errors::{ApiError, FieldError, FieldErrorKind};
use super::kinds::ResourceInfo;

mod field_order;
pub(crate) mod go_format;
mod json;
pub(crate) mod label_selector;
pub(crate) mod meta;
pub(crate) mod names;
mod unknown_fields;

pub use field_order::{json_field_problems, parse_noting_repeats};
pub(crate) use go_format::{go_quote, go_string_slice, go_time};
pub(crate) use json::{at, index, is_empty_value, is_set, items, str_at, str_of, string_map};
pub(crate) use label_selector::validate_label_selector;
pub(crate) use meta::{
    kube_finalizer_name_error, validate_labels, validate_object_meta, validate_object_meta_update,
    IS_NEGATIVE_ERR,
};
pub(crate) use names::{
    inclusive_range_error, is_config_map_key, is_dns1035_label, is_dns1123_label,
    is_dns1123_subdomain, is_qualified_name, is_relaxed_env_var_name, is_valid_label_value,
    is_valid_port_name, is_valid_port_num, name_is_dns1035_label, name_is_dns_label,
    name_is_dns_subdomain,
};
pub use unknown_fields::{
    strict_decoding_error, unknown_field_problems, unknown_fields, unknown_fields_against,
};

/// Upper bound of a Secret's (and a ConfigMap's) data, in bytes (`MaxSecretSize`).
pub(crate) const MAX_SECRET_SIZE: usize = 1024 * 1024;
/// Detail of an update that changes an immutable field.
pub(crate) const FIELD_IMMUTABLE: &str = "field is immutable";
/// Detail of an update to an object marked `immutable`.
pub(crate) const IMMUTABLE_WHEN_SET: &str = "field is immutable when `immutable` is set";

// =======================================================================================
// Public entry points.

/// The storage's key function (`NamespaceKeyFunc`), the first step of every store call on
/// a named object: 400 BadRequest `Name parameter required.` for an empty name, and
/// `Name parameter invalid: "a%b": may not contain '%'` for one that is not a path segment
/// (a name from a URL is percent-decoded by then).
pub(crate) fn check_key_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty() {
        return Err(ApiError::bad_request("Name parameter required."));
    }
    let problems = names::is_valid_path_segment_name(name);
    if problems.is_empty() {
        return Ok(());
    }
    Err(ApiError::bad_request(format!(
        "Name parameter invalid: {}: {}",
        go_quote(name),
        problems.join(";")
    )))
}

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

/// 422 Invalid for a write to `subresource` changing `old` to `new`, or Ok.
pub fn validate_subresource_update(
    resource: &ResourceInfo,
    subresource: &str,
    old: &Value,
    new: &Value,
) -> Result<(), ApiError> {
    let mut issues = Issues::default();
    resource
        .strategy
        .validate_subresource_update(subresource, old, new, &mut issues);
    issues.into_result(resource, new)
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

/// The field errors of one object, in the order found; `Issues::into_result` turns
/// them into the 422 Invalid a real server answers with.
#[derive(Debug, Default)]
pub struct Issues(Vec<Issue>);

impl Issues {
    /// True when no error was found.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds the errors of `other` after the ones found so far.
    pub(crate) fn append(&mut self, other: Issues) {
        self.0.extend(other.0);
    }

    pub(crate) fn push(&mut self, field: impl Into<String>, kind: FieldErrorKind) {
        self.0.push(Issue::Field(FieldError {
            field: field.into(),
            kind,
        }));
    }

    pub(crate) fn required(&mut self, field: impl Into<String>) {
        self.push(field, FieldErrorKind::Required(None));
    }

    pub(crate) fn required_because(&mut self, field: impl Into<String>, detail: &str) {
        self.push(field, FieldErrorKind::Required(Some(detail.to_string())));
    }

    /// `Invalid value: "<value>": <detail>` for a string value.
    pub(crate) fn invalid(
        &mut self,
        field: impl Into<String>,
        value: &str,
        detail: impl Into<String>,
    ) {
        self.push(
            field,
            FieldErrorKind::Invalid {
                value: go_quote(value),
                detail: detail.into(),
            },
        );
    }

    /// `Invalid value: <rendered>: <detail>` for numbers, null and Go-printed structures.
    pub(crate) fn invalid_rendered(
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

    pub(crate) fn forbidden(&mut self, field: impl Into<String>, detail: impl Into<String>) {
        self.push(field, FieldErrorKind::Forbidden(detail.into()));
    }

    pub(crate) fn not_supported(
        &mut self,
        field: impl Into<String>,
        value: &str,
        supported: &[&str],
    ) {
        self.push(
            field,
            FieldErrorKind::NotSupported {
                value: go_quote(value),
                supported: supported.iter().map(|s| s.to_string()).collect(),
            },
        );
    }

    pub(crate) fn duplicate(&mut self, field: impl Into<String>, value: &str) {
        self.push(field, FieldErrorKind::Duplicate(go_quote(value)));
    }

    pub(crate) fn too_long(&mut self, field: impl Into<String>, max_bytes: usize) {
        self.push(
            field,
            FieldErrorKind::TooLong(format!("may not be more than {max_bytes} bytes")),
        );
    }

    pub(crate) fn not_found(&mut self, field: impl Into<String>, value: &str) {
        self.0.push(Issue::NotFound {
            field: field.into(),
            value: go_quote(value),
        });
    }

    /// One `Invalid` per message, the way the Go validators turn string lists into errors.
    pub(crate) fn invalid_each(&mut self, field: &str, value: &str, messages: Vec<String>) {
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

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers for the validation tests of every kind.

    use super::*;
    use serde_json::json;

    pub(crate) const SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    pub(crate) const LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

    pub(crate) fn create_errors(resource: &ResourceInfo, obj: Value) -> Vec<String> {
        let mut obj = obj;
        resource.strategy.default(&mut obj);
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

    pub(crate) fn update_errors(resource: &ResourceInfo, old: Value, new: Value) -> Vec<String> {
        let (mut old, mut new) = (old, new);
        resource.strategy.default(&mut old);
        resource.strategy.default(&mut new);
        cause_lines(validate_update(resource, &old, &new))
    }

    /// The causes of a write to `subresource`, `field: message` each, as written.
    pub(crate) fn subresource_update_errors(
        resource: &ResourceInfo,
        subresource: &str,
        old: &Value,
        new: &Value,
    ) -> Vec<String> {
        cause_lines(validate_subresource_update(resource, subresource, old, new))
    }

    fn cause_lines(result: Result<(), ApiError>) -> Vec<String> {
        match result {
            Ok(()) => Vec::new(),
            Err(e) => e
                .causes
                .iter()
                .map(|c| format!("{}: {}", c.field, c.message))
                .collect(),
        }
    }

    pub(crate) fn pod(spec: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}, "spec": spec})
    }

    pub(crate) fn simple_pod() -> Value {
        pod(json!({"containers": [{"name": "app", "image": "nginx:1"}]}))
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{pod, LABEL_MSG};
    use super::*;
    use crate::apiserver::kinds::{PODS, SELF_SUBJECT_REVIEWS};
    use serde_json::json;

    #[test]
    fn not_found_errors_render_in_the_message_and_causes() {
        let mut obj = pod(
            json!({"containers": [{"name": "a", "image": "i", "volumeMounts": [{"name": "x", "mountPath": "/x"}]}]}),
        );
        PODS.strategy.default(&mut obj);
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
        PODS.strategy.default(&mut obj);
        let err = validate_create(&PODS, &obj).expect_err("invalid");
        assert_eq!(
            err.message,
            format!("Pod \"p\" is invalid: [spec.containers[0].name: Invalid value: \"A\": {LABEL_MSG}, spec.containers[0].image: Required value]")
        );
    }

    #[test]
    fn self_subject_reviews_have_nothing_to_validate() {
        assert!(validate_create(&SELF_SUBJECT_REVIEWS, &json!({"metadata": {}})).is_ok());
    }
}
