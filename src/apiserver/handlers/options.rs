//! The request options every verb validates before it does anything, as upstream's
//! handlers do: `CreateOptions`, `UpdateOptions` and `PatchOptions`
//! (`k8s.io/apimachinery/pkg/apis/meta/v1/validation`: `ValidateCreateOptions`,
//! `ValidatePatchOptions`, `ValidateDryRun`, `ValidateFieldManager`,
//! `ValidateFieldValidation`), `DeleteOptions` (`ValidateDeleteOptions`) and `ListOptions`
//! (`k8s.io/apimachinery/pkg/apis/meta/internalversion/validation.ValidateListOptions`,
//! with the WatchList gate on as in 1.33). A request that fails gets
//! `422 <Kind>Options.meta.k8s.io "" is invalid: ...` and changes nothing.

use serde_json::Value;

use super::super::errors::{ApiError, FieldError, FieldErrorKind};
use super::super::http::RequestContext;
use super::super::validation::{go_quote, go_string_slice};

/// The group of the options kinds.
const META_GROUP: &str = "meta.k8s.io";
/// `validation.FieldManagerMaxLength`.
const FIELD_MANAGER_MAX_LENGTH: usize = 128;

/// Checks the options of a create (`kind` "CreateOptions") or an update ("UpdateOptions").
pub(super) fn validate_write(ctx: &RequestContext, kind: &str) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    field_manager(ctx.param("fieldManager").unwrap_or_default(), &mut errors);
    dry_run(
        ctx.param("dryRun").map(|v| vec![v.to_string()]),
        &mut errors,
    );
    field_validation(
        ctx.param("fieldValidation").unwrap_or_default(),
        &mut errors,
    );
    finish(kind, errors)
}

/// Checks the options of a patch; `apply` for a server-side apply body.
pub(super) fn validate_patch(ctx: &RequestContext, apply: bool) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    let manager = ctx.param("fieldManager").unwrap_or_default();
    if !apply && ctx.param("force").is_some() {
        errors.push(FieldError::forbidden(
            "force",
            "may not be specified for non-apply patch",
        ));
    }
    if apply && manager.is_empty() {
        errors.push(FieldError {
            field: "fieldManager".into(),
            kind: FieldErrorKind::Required(Some("is required for apply patch".into())),
        });
    }
    field_manager(manager, &mut errors);
    dry_run(
        ctx.param("dryRun").map(|v| vec![v.to_string()]),
        &mut errors,
    );
    field_validation(
        ctx.param("fieldValidation").unwrap_or_default(),
        &mut errors,
    );
    finish("PatchOptions", errors)
}

/// Checks a delete's options: the query's, overridden by a `DeleteOptions` body's fields
/// where it has them, as upstream decodes the body over the query.
pub(super) fn validate_delete(ctx: &RequestContext, body: Option<&Value>) -> Result<(), ApiError> {
    let from_body = |field: &str| body.map(|b| &b[field]).filter(|v| !v.is_null());
    let mut errors = Vec::new();
    let propagation = match from_body("propagationPolicy") {
        Some(v) => Some(v.as_str().unwrap_or_default().to_string()),
        None => ctx.param("propagationPolicy").map(str::to_string),
    };
    let orphan = from_body("orphanDependents").is_some() || ctx.param("orphanDependents").is_some();
    if let Some(policy) = &propagation {
        if orphan {
            errors.push(FieldError {
                field: "propagationPolicy".into(),
                kind: FieldErrorKind::Invalid {
                    value: go_quote(policy),
                    detail: "orphanDependents and deletionPropagation cannot be both set".into(),
                },
            });
        }
        if !matches!(policy.as_str(), "Foreground" | "Background" | "Orphan") {
            errors.push(FieldError {
                field: "propagationPolicy".into(),
                kind: FieldErrorKind::NotSupported {
                    value: go_quote(policy),
                    supported: ["Foreground", "Background", "Orphan", "nil"]
                        .map(String::from)
                        .to_vec(),
                },
            });
        }
    }
    let dry_run_values = match from_body("dryRun") {
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .collect(),
        ),
        Some(_) => None,
        None => ctx.param("dryRun").map(|v| vec![v.to_string()]),
    };
    dry_run(dry_run_values, &mut errors);
    finish("DeleteOptions", errors)
}

/// Checks the options of a list or (`watch`) a watch.
pub(super) fn validate_list(ctx: &RequestContext, watch: bool) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    let field = "resourceVersionMatch";
    let matching = ctx.param(field).unwrap_or_default();
    let has_continue = ctx.param("continue").is_some_and(|c| !c.is_empty());
    let send_initial_events = ctx.param("sendInitialEvents").is_some();
    let forbidden = |errors: &mut Vec<FieldError>, path: &str, why: &str| {
        errors.push(FieldError::forbidden(path, why));
    };
    let not_supported = |errors: &mut Vec<FieldError>, supported: &[&str]| {
        errors.push(FieldError {
            field: field.into(),
            kind: FieldErrorKind::NotSupported {
                value: go_quote(matching),
                supported: supported.iter().map(|s| s.to_string()).collect(),
            },
        });
    };
    if watch {
        if send_initial_events && matching != "NotOlderThan" {
            forbidden(
                &mut errors,
                field,
                "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
            );
        }
        if !matching.is_empty() {
            if !send_initial_events {
                forbidden(
                    &mut errors,
                    field,
                    "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
                );
            }
            if matching != "NotOlderThan" {
                not_supported(&mut errors, &["NotOlderThan"]);
            }
            if has_continue {
                forbidden(
                    &mut errors,
                    field,
                    "resourceVersionMatch is forbidden when continue is provided",
                );
            }
        }
    } else {
        if !matching.is_empty() {
            let version = ctx.param("resourceVersion").unwrap_or_default();
            if version.is_empty() {
                forbidden(
                    &mut errors,
                    field,
                    "resourceVersionMatch is forbidden unless resourceVersion is provided",
                );
            }
            if has_continue {
                forbidden(
                    &mut errors,
                    field,
                    "resourceVersionMatch is forbidden when continue is provided",
                );
            }
            if !matches!(matching, "Exact" | "NotOlderThan") {
                not_supported(&mut errors, &["Exact", "NotOlderThan", ""]);
            }
            if matching == "Exact" && version == "0" {
                forbidden(
                    &mut errors,
                    field,
                    "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"",
                );
            }
        }
        if send_initial_events {
            forbidden(
                &mut errors,
                "sendInitialEvents",
                "sendInitialEvents is forbidden for list",
            );
        }
    }
    finish("ListOptions", errors)
}

/// `ValidateFieldManager`: at most 128 bytes, printable characters only.
fn field_manager(manager: &str, errors: &mut Vec<FieldError>) {
    if manager.len() > FIELD_MANAGER_MAX_LENGTH {
        errors.push(FieldError {
            field: "fieldManager".into(),
            kind: FieldErrorKind::TooLong(format!(
                "may not be more than {FIELD_MANAGER_MAX_LENGTH} bytes"
            )),
        });
    }
    for (position, c) in manager.char_indices() {
        // Go's unicode.IsPrint: no control or space character but the ASCII space.
        if c != ' ' && (c.is_control() || c.is_whitespace()) {
            errors.push(FieldError {
                field: "fieldManager".into(),
                kind: FieldErrorKind::Invalid {
                    value: go_quote(manager),
                    detail: format!(
                        "invalid character U+{:04X} (at position {position})",
                        u32::from(c)
                    ),
                },
            });
        }
    }
}

/// `ValidateDryRun`: every value is `All`.
fn dry_run(values: Option<Vec<String>>, errors: &mut Vec<FieldError>) {
    let Some(values) = values else { return };
    if values.iter().any(|v| v != "All") {
        errors.push(FieldError {
            field: "dryRun".into(),
            kind: FieldErrorKind::NotSupported {
                value: go_string_slice(&values),
                supported: vec!["All".into()],
            },
        });
    }
}

/// `ValidateFieldValidation`: empty, `Ignore`, `Strict` or `Warn`.
fn field_validation(directive: &str, errors: &mut Vec<FieldError>) {
    if !matches!(directive, "" | "Ignore" | "Strict" | "Warn") {
        errors.push(FieldError {
            field: "fieldValidation".into(),
            kind: FieldErrorKind::NotSupported {
                value: go_quote(directive),
                supported: ["", "Ignore", "Strict", "Warn"].map(String::from).to_vec(),
            },
        });
    }
}

fn finish(kind: &str, errors: Vec<FieldError>) -> Result<(), ApiError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid_kind(META_GROUP, kind, "", errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(query: &str) -> RequestContext {
        RequestContext {
            method: http::Method::GET,
            user: Default::default(),
            query: crate::apiserver::http::parse_query(query),
            headers: Default::default(),
            warnings: Default::default(),
        }
    }

    fn message(result: Result<(), ApiError>) -> String {
        let err = result.expect_err("invalid");
        assert_eq!((err.code, err.reason.as_str()), (422, "Invalid"));
        err.message.clone()
    }

    #[test]
    fn write_options_are_checked_as_upstream() {
        assert!(validate_write(&ctx("dryRun=All&fieldManager=kubectl"), "CreateOptions").is_ok());
        let cases = [
            (
                "dryRun=true",
                r#"CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"true"}: supported values: "All""#,
            ),
            (
                "fieldValidation=Loose",
                r#"CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Loose": supported values: "", "Ignore", "Strict", "Warn""#,
            ),
            (
                "fieldManager=a%07b",
                r#"CreateOptions.meta.k8s.io "" is invalid: fieldManager: Invalid value: "a\ab": invalid character U+0007 (at position 1)"#,
            ),
        ];
        for (query, expected) in cases {
            assert_eq!(
                message(validate_write(&ctx(query), "CreateOptions")),
                expected,
                "{query}"
            );
        }
        let long = format!("fieldManager={}", "m".repeat(129));
        assert_eq!(
            message(validate_write(&ctx(&long), "UpdateOptions")),
            r#"UpdateOptions.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes"#
        );
    }

    #[test]
    fn force_belongs_to_apply_and_apply_needs_a_manager() {
        assert_eq!(
            message(validate_patch(&ctx("force=false"), false)),
            r#"PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch"#
        );
        assert!(validate_patch(&ctx("force=true&fieldManager=m"), true).is_ok());
        assert_eq!(
            message(validate_patch(&ctx(""), true)),
            r#"PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch"#
        );
    }

    #[test]
    fn delete_options_come_from_the_query_or_the_body() {
        assert!(validate_delete(&ctx("propagationPolicy=Foreground"), None).is_ok());
        assert_eq!(
            message(validate_delete(&ctx("propagationPolicy=Bogus"), None)),
            r#"DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Bogus": supported values: "Foreground", "Background", "Orphan", "nil""#
        );
        let body = serde_json::json!({"dryRun": ["true"], "propagationPolicy": "Orphan", "orphanDependents": true});
        assert_eq!(
            message(validate_delete(&ctx("dryRun=All"), Some(&body))),
            r#"DeleteOptions.meta.k8s.io "" is invalid: [propagationPolicy: Invalid value: "Orphan": orphanDependents and deletionPropagation cannot be both set, dryRun: Unsupported value: []string{"true"}: supported values: "All"]"#
        );
        let body = serde_json::json!({"dryRun": ["All"]});
        assert!(validate_delete(&ctx("dryRun=true"), Some(&body)).is_ok());
    }

    #[test]
    fn list_and_watch_options_are_checked_as_upstream() {
        let ok = [
            ("resourceVersion=5&resourceVersionMatch=Exact", false),
            ("resourceVersion=0&resourceVersionMatch=NotOlderThan", false),
            (
                "sendInitialEvents=true&resourceVersionMatch=NotOlderThan",
                true,
            ),
            ("resourceVersion=3", true),
        ];
        for (query, watch) in ok {
            assert!(validate_list(&ctx(query), watch).is_ok(), "{query}");
        }
        let refused = [
            (
                "resourceVersionMatch=Exact",
                false,
                r#"ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided"#,
            ),
            (
                "resourceVersion=1&resourceVersionMatch=Bogus",
                false,
                r#"ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Unsupported value: "Bogus": supported values: "Exact", "NotOlderThan", """#,
            ),
            (
                "resourceVersion=0&resourceVersionMatch=Exact",
                false,
                r#"ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0""#,
            ),
            (
                "sendInitialEvents=true",
                false,
                r#"ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list"#,
            ),
            (
                "sendInitialEvents=true",
                true,
                r#"ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"#,
            ),
            (
                "resourceVersionMatch=NotOlderThan",
                true,
                r#"ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"#,
            ),
        ];
        for (query, watch, expected) in refused {
            assert_eq!(
                message(validate_list(&ctx(query), watch)),
                expected,
                "{query}"
            );
        }
    }
}
