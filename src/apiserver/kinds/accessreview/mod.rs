//! The access reviews of `authorization.k8s.io/v1` (`pkg/registry/authorization/*`): create-only
//! kinds that ask the server's authorizer a question and answer in `status`. One module per
//! kind; what they share is here: the spec's validation with upstream's texts
//! (`pkg/apis/authorization/validation`), the attributes a spec asks about
//! (`pkg/registry/authorization/util`) and the status a decision becomes.

pub mod localsubjectaccessreview;
pub mod selfsubjectaccessreview;
pub mod selfsubjectrulesreview;
pub mod subjectaccessreview;

use serde_json::{json, Map, Value};

use super::ResourceInfo;
use crate::apiserver::authz::{Attributes, Authorizer, Decision, Request};
use crate::apiserver::errors::ApiError;
use crate::apiserver::selectors::{is_field_selector, LabelSelector};
use crate::apiserver::validation::{
    go_quote, go_time, is_empty_value, is_qualified_name, is_valid_label_value, items, str_of,
    string_map, Issues,
};
use crate::authn::UserInfo;

/// The API group of the access reviews.
pub const GROUP: &str = "authorization.k8s.io";

/// The verbs of a review: create only.
const REVIEW_VERBS: &[&str] = &["create"];

const LABEL_OPERATORS: &[&str] = &["In", "NotIn", "Exists", "DoesNotExist"];

/// `spec.resourceAttributes` and `spec.nonResourceAttributes`: exactly one of them
/// (`ValidateSubjectAccessReviewSpec`), and the selectors of the first.
fn validate_attributes(spec: &Value, issues: &mut Issues) {
    let resource = present(spec.get("resourceAttributes"));
    let non_resource = present(spec.get("nonResourceAttributes"));
    match (resource, non_resource) {
        (Some(_), Some(non_resource)) => issues.invalid_rendered(
            "spec.nonResourceAttributes",
            go_non_resource_attributes(non_resource),
            "cannot be specified in combination with resourceAttributes",
        ),
        (None, None) => issues.invalid(
            "spec.resourceAttributes",
            "null",
            "exactly one of nonResourceAttributes or resourceAttributes must be specified",
        ),
        _ => {}
    }
    if let Some(attributes) = resource {
        validate_selector(
            attributes.get("fieldSelector"),
            "spec.resourceAttributes.fieldSelector",
            false,
            issues,
        );
        validate_selector(
            attributes.get("labelSelector"),
            "spec.resourceAttributes.labelSelector",
            true,
            issues,
        );
    }
}

/// The subject of a (Local)SubjectAccessReview: a user or a group.
fn validate_subject(spec: &Value, issues: &mut Issues) {
    if str_of(spec, "user").is_empty() && items(spec.get("groups")).is_empty() {
        issues.invalid(
            "spec.user",
            str_of(spec, "user"),
            "at least one of user or group must be specified",
        );
    }
}

/// `metadata` must be empty but for `managedFields` (and, for the namespaced review, its
/// namespace).
fn validate_metadata(object: &Value, namespace_allowed: bool, issues: &mut Issues) {
    let Some(Value::Object(meta)) = object.get("metadata") else {
        return;
    };
    let ignored = |key: &str| key == "managedFields" || (namespace_allowed && key == "namespace");
    let set = meta
        .iter()
        .any(|(key, value)| !ignored(key) && !is_empty_value(Some(value)));
    if set {
        issues.invalid_rendered(
            "metadata",
            go_object_meta(meta),
            if namespace_allowed {
                "must be empty except for namespace"
            } else {
                "must be empty"
            },
        );
    }
}

/// `fieldSelector` / `labelSelector` attributes (`validateFieldSelectorAttributes`,
/// `validateLabelSelectorAttributes`, with unknown operators allowed).
fn validate_selector(selector: Option<&Value>, path: &str, labels: bool, issues: &mut Issues) {
    let Some(selector) = present(selector) else {
        return;
    };
    let raw = str_of(selector, "rawSelector");
    let requirements = items(selector.get("requirements"));
    if !raw.is_empty() && !requirements.is_empty() {
        issues.invalid(
            format!("{path}.rawSelector"),
            raw,
            "may not specified at the same time as requirements",
        );
    }
    if raw.is_empty() && requirements.is_empty() {
        issues.required_because(
            format!("{path}.requirements"),
            &format!("when {path} is specified, requirements or rawSelector is required"),
        );
    }
    for (i, requirement) in requirements.iter().enumerate() {
        let at = format!("{path}.requirements[{i}]");
        let values = items(requirement.get("values"));
        match str_of(requirement, "operator") {
            "In" | "NotIn" if values.is_empty() => issues.required_because(
                format!("{at}.values"),
                "must be specified when `operator` is 'In' or 'NotIn'",
            ),
            "Exists" | "DoesNotExist" if !values.is_empty() => issues.forbidden(
                format!("{at}.values"),
                "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ),
            _ => {}
        }
        let key = str_of(requirement, "key");
        if labels {
            issues.invalid_each(&format!("{at}.key"), key, is_qualified_name(key));
            for (j, value) in values.iter().enumerate() {
                let value = value.as_str().unwrap_or_default();
                issues.invalid_each(
                    &format!("{at}.values[{j}]"),
                    value,
                    is_valid_label_value(value),
                );
            }
        } else if key.is_empty() {
            issues.required_because(format!("{at}.key"), "must be specified");
        }
    }
}

/// The value if it is set (a JSON object), as Go's nil pointer test sees it.
fn present(value: Option<&Value>) -> Option<&Value> {
    value.filter(|v| v.is_object())
}

/// A review that failed validation: upstream's `NewInvalid(Kind(review.Kind), "", errs)`,
/// where the decoded internal object carries no kind, so the message begins
/// `.authorization.k8s.io "" is invalid`.
fn check(info: &ResourceInfo, issues: Issues) -> Result<(), ApiError> {
    issues.into_result(info, &json!({})).map_err(|mut err| {
        let qualified = format!("{}.{}", info.kind, info.group);
        err.message = err
            .message
            .replacen(&qualified, &format!(".{}", info.group), 1);
        err.kind = None;
        err
    })
}

/// The user a (Local)SubjectAccessReview asks about.
fn subject(spec: &Value) -> UserInfo {
    let extra = spec
        .get("extra")
        .and_then(Value::as_object)
        .map(|extra| {
            extra
                .iter()
                .map(|(key, values)| (key.clone(), strings(Some(values))))
                .collect()
        })
        .unwrap_or_default();
    UserInfo {
        username: str_of(spec, "user").to_string(),
        uid: str_of(spec, "uid").to_string(),
        groups: strings(spec.get("groups")),
        extra,
    }
}

fn strings(value: Option<&Value>) -> Vec<String> {
    items(value)
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_string())
        .collect()
}

/// Asks `authorizer` what `spec` asks about `user`, and answers the review's status:
/// `allowed`, `denied`, `reason` and `evaluationError` (upstream's `ResourceAttributesFrom`,
/// `NonResourceAttributesFrom` and `BuildEvaluationError`; an empty version is `*`).
fn decide(authorizer: &dyn Authorizer, user: &UserInfo, spec: &Value) -> Value {
    let empty = Value::Null;
    let (verb, request, evaluation_errors) = match present(spec.get("resourceAttributes")) {
        Some(attributes) => {
            let version = str_of(attributes, "version");
            let request = Request::Resource {
                namespace: str_of(attributes, "namespace"),
                api_group: str_of(attributes, "group"),
                api_version: if version.is_empty() { "*" } else { version },
                resource: str_of(attributes, "resource"),
                subresource: str_of(attributes, "subresource"),
                name: str_of(attributes, "name"),
            };
            (
                str_of(attributes, "verb"),
                request,
                selector_errors(attributes),
            )
        }
        None => {
            let attributes = spec.get("nonResourceAttributes").unwrap_or(&empty);
            (
                str_of(attributes, "verb"),
                Request::NonResource {
                    path: str_of(attributes, "path"),
                },
                Vec::new(),
            )
        }
    };
    let reasoned = authorizer.authorize_reasoned(&Attributes {
        user,
        verb,
        request,
    });
    let (allowed, denied, reason) = match reasoned.decision {
        Decision::Allow => (true, false, reasoned.allowed_reason),
        Decision::Deny(reason) => (false, true, reason),
        Decision::NoOpinion(reason) => (false, false, reason),
    };
    let mut status = Map::new();
    status.insert("allowed".into(), json!(allowed));
    if denied {
        status.insert("denied".into(), json!(true));
    }
    if !reason.is_empty() {
        status.insert("reason".into(), json!(reason));
    }
    if !evaluation_errors.is_empty() {
        status.insert(
            "evaluationError".into(),
            json!(evaluation_errors.join("; ")),
        );
    }
    Value::Object(status)
}

/// What of the selectors the authorizer could not be told (upstream's
/// `BuildEvaluationError`): a selector that does not parse is ignored, one with some
/// requirements not understood is partly ignored.
fn selector_errors(attributes: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    for (key, labels) in [("fieldSelector", false), ("labelSelector", true)] {
        let Some(selector) = present(attributes.get(key)) else {
            continue;
        };
        let requirements = items(selector.get("requirements"));
        let raw = str_of(selector, "rawSelector");
        let (understood, failed) = if !requirements.is_empty() {
            let understood = requirements
                .iter()
                .filter(|r| requirement_understood(r, labels))
                .count();
            (understood, understood < requirements.len())
        } else if raw.is_empty() {
            (0, false)
        } else {
            let parses = if labels {
                LabelSelector::parse(raw).is_ok()
            } else {
                is_field_selector(raw)
            };
            (0, !parses)
        };
        if failed {
            let how = if understood > 0 {
                "partially ignored"
            } else {
                "ignored"
            };
            errors.push(format!(
                "spec.resourceAttributes.{key} {how} due to parse error"
            ));
        }
    }
    errors
}

/// Whether a requirement becomes part of the selector the authorizer sees: a known label
/// operator, or a field `In`/`NotIn` with one value.
fn requirement_understood(requirement: &Value, labels: bool) -> bool {
    let operator = str_of(requirement, "operator");
    if labels {
        return LABEL_OPERATORS.contains(&operator);
    }
    matches!(operator, "In" | "NotIn") && items(requirement.get("values")).len() == 1
}

/// Go's `%#v` of an internal `authorization.NonResourceAttributes`.
fn go_non_resource_attributes(attributes: &Value) -> String {
    format!(
        "authorization.NonResourceAttributes{{Path:{}, Verb:{}}}",
        go_quote(str_of(attributes, "path")),
        go_quote(str_of(attributes, "verb"))
    )
}

/// The generated `String()` of a `metav1.ObjectMeta`, as upstream prints it in the
/// `metadata` error.
fn go_object_meta(meta: &Map<String, Value>) -> String {
    let text = |key: &str| meta.get(key).and_then(Value::as_str).unwrap_or_default();
    let map = |key: &str| {
        let entries: String = string_map(meta.get(key))
            .iter()
            .map(|(k, v)| format!("{k}: {v},"))
            .collect();
        format!("map[string]string{{{entries}}}")
    };
    let creation = match meta.get("creationTimestamp") {
        Some(Value::String(_)) => go_time(meta.get("creationTimestamp")),
        _ => "0001-01-01 00:00:00 +0000 UTC".to_string(),
    };
    let deletion = match meta.get("deletionTimestamp") {
        Some(Value::String(_)) => go_time(meta.get("deletionTimestamp")),
        _ => "<nil>".to_string(),
    };
    let grace = match meta.get("deletionGracePeriodSeconds") {
        Some(Value::Number(n)) => format!("*{n}"),
        _ => "nil".to_string(),
    };
    let owners: String = items(meta.get("ownerReferences"))
        .iter()
        .map(|owner| {
            let flag = |key: &str| match owner.get(key).and_then(Value::as_bool) {
                Some(b) => format!("*{b}"),
                None => "nil".to_string(),
            };
            format!(
                "OwnerReference{{Kind:{},Name:{},UID:{},APIVersion:{},Controller:{},BlockOwnerDeletion:{},}},",
                str_of(owner, "kind"),
                str_of(owner, "name"),
                str_of(owner, "uid"),
                str_of(owner, "apiVersion"),
                flag("controller"),
                flag("blockOwnerDeletion"),
            )
        })
        .collect();
    format!(
        "&ObjectMeta{{Name:{},GenerateName:{},Namespace:{},SelfLink:{},UID:{},ResourceVersion:{},\
         Generation:{},CreationTimestamp:{creation},DeletionTimestamp:{deletion},\
         DeletionGracePeriodSeconds:{grace},Labels:{},Annotations:{},\
         OwnerReferences:[]OwnerReference{{{owners}}},Finalizers:[{}],\
         ManagedFields:[]ManagedFieldsEntry{{}},}}",
        text("name"),
        text("generateName"),
        text("namespace"),
        text("selfLink"),
        text("uid"),
        text("resourceVersion"),
        meta.get("generation").and_then(Value::as_i64).unwrap_or(0),
        map("labels"),
        map("annotations"),
        strings(meta.get("finalizers")).join(" "),
    )
}

/// The answer of an access review: the request object with its status set.
fn answer(mut object: Value, status: Value) -> Value {
    if let Some(map) = object.as_object_mut() {
        map.insert("status".into(), status);
    }
    object
}

#[cfg(test)]
mod tests;
