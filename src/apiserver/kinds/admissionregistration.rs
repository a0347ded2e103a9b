//! What the two webhook configuration kinds of `admissionregistration.k8s.io/v1` share:
//! defaulting of a webhook (`pkg/apis/admissionregistration/v1/defaults.go`), its
//! validation (`pkg/apis/admissionregistration/validation/validation.go`, and
//! `ValidateWebhookURL` / `ValidateWebhookService` of `k8s.io/apiserver/pkg/util/webhook`),
//! the generation bump, the printer columns and the patch rules.
//!
//! `matchConditions` are checked for their shape (names, duplicates, a non-empty
//! expression); the CEL expressions themselves are not compiled.

use serde_json::{json, Map, Value};

use crate::apiserver::field_rules::{keyed, FieldRule, ATOMIC_RULE, DEFAULT_RULE};
use crate::apiserver::table::{self, column, Column, AGE_COLUMN, NAME_COLUMN};
use crate::apiserver::validation::{
    go_quote, go_string_slice, index, is_dns1035_label, is_dns1123_subdomain, is_qualified_name,
    is_valid_port_num, items, name_is_dns_subdomain, str_of, validate_label_selector,
    validate_object_meta, validate_object_meta_update, Issues,
};

/// Which of the two configuration kinds a webhook belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum WebhookType {
    /// `MutatingWebhookConfiguration`: has `reinvocationPolicy`.
    Mutating,
    /// `ValidatingWebhookConfiguration`.
    Validating,
}

/// The printer columns of both kinds.
pub(super) const COLUMNS: &[Column] = &[
    NAME_COLUMN,
    column(
        "Webhooks",
        "integer",
        "Webhooks indicates the number of webhooks registered in this configuration",
    ),
    AGE_COLUMN,
];

/// Name, number of webhooks, age.
pub(super) fn table_row(object: &Value, now: jiff::Timestamp) -> Vec<Value> {
    vec![
        json!(table::str_at(object, &["metadata", "name"])),
        json!(table::len_at(object, "webhooks")),
        json!(table::age(object, now)),
    ]
}

/// `webhooks` and `matchConditions` merge by name; the rest of a webhook's lists are atomic.
pub(super) fn field_rule(path: &[&str]) -> FieldRule {
    match path {
        ["webhooks"] | ["webhooks", "matchConditions"] => keyed("name", &["name"]),
        ["webhooks", "rules"] | ["webhooks", "admissionReviewVersions"] => ATOMIC_RULE,
        ["webhooks", "rules", _] => ATOMIC_RULE,
        _ => DEFAULT_RULE,
    }
}

/// Sets `field` to `value` when it is missing.
fn default_field(map: &mut Map<String, Value>, field: &str, value: Value) {
    if map.get(field).is_none_or(Value::is_null) {
        map.insert(field.to_string(), value);
    }
}

/// SetDefaults_MutatingWebhook / SetDefaults_ValidatingWebhook, SetDefaults_Rule and
/// SetDefaults_ServiceReference for every webhook of a configuration.
pub(super) fn default_webhooks(object: &mut Value, kind: WebhookType) {
    let Some(webhooks) = object.get_mut("webhooks").and_then(Value::as_array_mut) else {
        return;
    };
    for hook in webhooks.iter_mut().filter_map(Value::as_object_mut) {
        default_field(hook, "failurePolicy", json!("Fail"));
        default_field(hook, "matchPolicy", json!("Equivalent"));
        default_field(hook, "namespaceSelector", json!({}));
        default_field(hook, "objectSelector", json!({}));
        default_field(hook, "timeoutSeconds", json!(10));
        if kind == WebhookType::Mutating {
            default_field(hook, "reinvocationPolicy", json!("Never"));
        }
        if let Some(rules) = hook.get_mut("rules").and_then(Value::as_array_mut) {
            for rule in rules.iter_mut().filter_map(Value::as_object_mut) {
                default_field(rule, "scope", json!("*"));
            }
        }
        if let Some(service) = hook
            .get_mut("clientConfig")
            .and_then(|c| c.get_mut("service"))
            .and_then(Value::as_object_mut)
        {
            default_field(service, "port", json!(443));
        }
    }
}

/// PrepareForCreate: a new configuration is generation 1.
pub(super) fn prepare_for_create(object: &mut Value) {
    if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("generation".into(), json!(1));
    }
}

/// PrepareForUpdate: the generation goes up when the webhooks change.
pub(super) fn prepare_for_update(old: &Value, new: &mut Value) {
    if old.get("webhooks") == new.get("webhooks") {
        return;
    }
    let generation = old["metadata"]["generation"].as_i64().unwrap_or(0) + 1;
    if let Some(meta) = new.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("generation".into(), json!(generation));
    }
}

/// AdmissionReview versions this server understands (`AcceptedAdmissionReviewVersions`).
const ACCEPTED_REVIEW_VERSIONS: &[&str] = &["v1", "v1beta1"];
const FAILURE_POLICIES: &[&str] = &["Fail", "Ignore"];
const MATCH_POLICIES: &[&str] = &["Equivalent", "Exact"];
const SIDE_EFFECT_CLASSES: &[&str] = &["None", "NoneOnDryRun", "Some", "Unknown"];
const NO_SIDE_EFFECT_CLASSES: &[&str] = &["None", "NoneOnDryRun"];
const OPERATIONS: &[&str] = &["*", "CONNECT", "CREATE", "DELETE", "UPDATE"];
const REINVOCATION_POLICIES: &[&str] = &["IfNeeded", "Never"];
const SCOPES: &[&str] = &["*", "Cluster", "Namespaced"];
/// Upstream's limit on `matchConditions` per webhook.
const MAX_MATCH_CONDITIONS: usize = 64;

/// upstream's `validationOptions`: new configurations get the strict checks; an update
/// keeps a check off when the stored configuration already fails it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Options {
    require_no_side_effects: bool,
    require_recognized_review_version: bool,
    require_unique_names: bool,
    allow_invalid_label_value_in_selector: bool,
}

impl Options {
    /// The options of a create.
    pub(super) fn create() -> Self {
        Self {
            require_no_side_effects: true,
            require_recognized_review_version: true,
            require_unique_names: true,
            allow_invalid_label_value_in_selector: false,
        }
    }

    /// The options of an update from `old`.
    pub(super) fn update(old: &Value) -> Self {
        let hooks = items(old.get("webhooks"));
        let mut names = std::collections::BTreeSet::new();
        Self {
            require_no_side_effects: hooks
                .iter()
                .all(|h| NO_SIDE_EFFECT_CLASSES.contains(&str_of(h, "sideEffects"))),
            require_recognized_review_version: hooks.iter().all(|h| {
                let versions = items(h.get("admissionReviewVersions"));
                versions.is_empty()
                    || versions
                        .iter()
                        .any(|v| ACCEPTED_REVIEW_VERSIONS.contains(&v.as_str().unwrap_or_default()))
            }),
            require_unique_names: hooks.iter().all(|h| names.insert(str_of(h, "name"))),
            allow_invalid_label_value_in_selector: hooks.iter().any(|h| {
                ["namespaceSelector", "objectSelector"].iter().any(|s| {
                    let mut issues = Issues::default();
                    validate_label_selector(h.get(*s), "", false, &mut issues);
                    !issues.is_empty()
                })
            }),
        }
    }
}

/// Validate*WebhookConfiguration: metadata, then each webhook, its review versions and
/// the uniqueness of its name.
pub(super) fn validate_configuration(
    object: &Value,
    kind: WebhookType,
    options: Options,
    issues: &mut Issues,
) {
    validate_object_meta(object, false, name_is_dns_subdomain, issues);
    let mut names = std::collections::BTreeSet::new();
    for (i, hook) in items(object.get("webhooks")).iter().enumerate() {
        let path = index("webhooks", i);
        validate_webhook(hook, kind, options, &path, issues);
        validate_review_versions(
            hook,
            options,
            &format!("{path}.admissionReviewVersions"),
            issues,
        );
        let name = str_of(hook, "name");
        if options.require_unique_names && !name.is_empty() && !names.insert(name) {
            issues.duplicate(format!("{path}.name"), name);
        }
    }
}

/// Validate*WebhookConfigurationUpdate: metadata update rules, then the rules of a new
/// configuration with the options the stored one allows.
pub(super) fn validate_configuration_update(
    old: &Value,
    new: &Value,
    kind: WebhookType,
    issues: &mut Issues,
) {
    validate_object_meta_update(old, new, issues);
    validate_configuration(new, kind, Options::update(old), issues);
}

fn validate_webhook(
    hook: &Value,
    kind: WebhookType,
    options: Options,
    path: &str,
    issues: &mut Issues,
) {
    validate_fully_qualified_name(str_of(hook, "name"), &format!("{path}.name"), issues);
    for (i, rule) in items(hook.get("rules")).iter().enumerate() {
        validate_rule_with_operations(rule, &index(&format!("{path}.rules"), i), issues);
    }
    check_supported(hook, "failurePolicy", FAILURE_POLICIES, path, issues);
    check_supported(hook, "matchPolicy", MATCH_POLICIES, path, issues);
    let allowed_side_effects = if options.require_no_side_effects {
        NO_SIDE_EFFECT_CLASSES
    } else {
        SIDE_EFFECT_CLASSES
    };
    match hook.get("sideEffects").and_then(Value::as_str) {
        None => issues.required_because(
            format!("{path}.sideEffects"),
            &format!("must specify one of {}", allowed_side_effects.join(", ")),
        ),
        Some(value) if !allowed_side_effects.contains(&value) => {
            issues.not_supported(format!("{path}.sideEffects"), value, allowed_side_effects)
        }
        Some(_) => {}
    }
    if let Some(timeout) = hook.get("timeoutSeconds").and_then(Value::as_i64) {
        if !(1..=30).contains(&timeout) {
            issues.invalid_rendered(
                format!("{path}.timeoutSeconds"),
                timeout.to_string(),
                "the timeout value must be between 1 and 30 seconds",
            );
        }
    }
    for selector in ["namespaceSelector", "objectSelector"] {
        validate_label_selector(
            hook.get(selector),
            &format!("{path}.{selector}"),
            options.allow_invalid_label_value_in_selector,
            issues,
        );
    }
    if kind == WebhookType::Mutating {
        check_supported(
            hook,
            "reinvocationPolicy",
            REINVOCATION_POLICIES,
            path,
            issues,
        );
    }
    validate_client_config(
        hook.get("clientConfig"),
        &format!("{path}.clientConfig"),
        issues,
    );
    validate_match_conditions(hook, &format!("{path}.matchConditions"), issues);
}

/// A field that, when set, must be one of `supported`.
fn check_supported(hook: &Value, field: &str, supported: &[&str], path: &str, issues: &mut Issues) {
    if let Some(value) = hook.get(field).and_then(Value::as_str) {
        if !supported.contains(&value) {
            issues.not_supported(format!("{path}.{field}"), value, supported);
        }
    }
}

/// IsFullyQualifiedName: a DNS subdomain of at least three segments.
fn validate_fully_qualified_name(name: &str, path: &str, issues: &mut Issues) {
    if name.is_empty() {
        issues.required(path);
        return;
    }
    let errors = is_dns1123_subdomain(name);
    if !errors.is_empty() {
        issues.invalid(path, name, errors.join(","));
        return;
    }
    if name.split('.').count() < 3 {
        issues.invalid(
            path,
            name,
            "should be a domain with at least three segments separated by dots",
        );
    }
}

/// The strings of a list field (non-strings count as empty).
fn strings(value: Option<&Value>) -> Vec<String> {
    items(value)
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_string())
        .collect()
}

/// Go's `%#v` of a slice of a named string type.
fn go_typed_slice(type_name: &str, values: &[String]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| go_quote(v)).collect();
    format!("[]{type_name}{{{}}}", quoted.join(", "))
}

fn validate_rule_with_operations(rule: &Value, path: &str, issues: &mut Issues) {
    let operations = strings(rule.get("operations"));
    let operations_path = format!("{path}.operations");
    if operations.is_empty() {
        issues.required(&operations_path);
    }
    if operations.len() > 1 && operations.iter().any(|o| o == "*") {
        issues.invalid_rendered(
            &operations_path,
            go_typed_slice("admissionregistration.OperationType", &operations),
            "if '*' is present, must not specify other operations",
        );
    }
    for (i, operation) in operations.iter().enumerate() {
        if !OPERATIONS.contains(&operation.as_str()) {
            issues.not_supported(index(&operations_path, i), operation, OPERATIONS);
        }
    }
    validate_rule(rule, path, issues);
}

/// validateRule: groups, versions, resources (with subresources) and scope.
fn validate_rule(rule: &Value, path: &str, issues: &mut Issues) {
    let groups = strings(rule.get("apiGroups"));
    if groups.is_empty() {
        issues.required(format!("{path}.apiGroups"));
    }
    if groups.len() > 1 && groups.iter().any(|g| g == "*") {
        issues.invalid_rendered(
            format!("{path}.apiGroups"),
            go_string_slice(&groups),
            "if '*' is present, must not specify other API groups",
        );
    }
    let versions = strings(rule.get("apiVersions"));
    let versions_path = format!("{path}.apiVersions");
    if versions.is_empty() {
        issues.required(&versions_path);
    }
    if versions.len() > 1 && versions.iter().any(|v| v == "*") {
        issues.invalid_rendered(
            &versions_path,
            go_string_slice(&versions),
            "if '*' is present, must not specify other API versions",
        );
    }
    for (i, version) in versions.iter().enumerate() {
        if version.is_empty() {
            issues.required(index(&versions_path, i));
        }
    }
    validate_resources(
        &strings(rule.get("resources")),
        &format!("{path}.resources"),
        issues,
    );
    if let Some(scope) = rule.get("scope").and_then(Value::as_str) {
        if !SCOPES.contains(&scope) {
            issues.not_supported(format!("{path}.scope"), scope, SCOPES);
        }
    }
}

/// validateResources: `x/*` excludes other `x/...`, `*/y` other `.../y`, `*/*` everything
/// else, and `*` every resource without a subresource.
fn validate_resources(resources: &[String], path: &str, issues: &mut Issues) {
    if resources.is_empty() {
        issues.required(path);
    }
    let mut with_wildcard_subresource = std::collections::BTreeSet::new();
    let mut subresources_with_wildcard_resource = std::collections::BTreeSet::new();
    let mut has_double_wildcard = false;
    let mut has_single_wildcard = false;
    let mut has_resource_without_subresource = false;
    for (i, resource_sub) in resources.iter().enumerate() {
        if resource_sub.is_empty() {
            issues.required(index(path, i));
            continue;
        }
        has_double_wildcard |= resource_sub == "*/*";
        has_single_wildcard |= resource_sub == "*";
        let Some((resource, sub)) = resource_sub.split_once('/') else {
            // Upstream assigns (not accumulates) here: the last plain entry decides.
            has_resource_without_subresource = resource_sub != "*";
            continue;
        };
        if with_wildcard_subresource.contains(resource) {
            issues.invalid(
                index(path, i),
                resource_sub,
                format!("if '{resource}/*' is present, must not specify {resource_sub}"),
            );
        }
        if subresources_with_wildcard_resource.contains(sub) {
            issues.invalid(
                index(path, i),
                resource_sub,
                format!("if '*/{sub}' is present, must not specify {resource_sub}"),
            );
        }
        if sub == "*" {
            with_wildcard_subresource.insert(resource.to_string());
        }
        if resource == "*" {
            subresources_with_wildcard_resource.insert(sub.to_string());
        }
    }
    if resources.len() > 1 && has_double_wildcard {
        issues.invalid_rendered(
            path,
            go_string_slice(resources),
            "if '*/*' is present, must not specify other resources",
        );
    }
    if has_single_wildcard && has_resource_without_subresource {
        issues.invalid_rendered(
            path,
            go_string_slice(resources),
            "if '*' is present, must not specify other resources without subresources",
        );
    }
}

/// validateAdmissionReviewVersions.
fn validate_review_versions(hook: &Value, options: Options, path: &str, issues: &mut Issues) {
    let versions = strings(hook.get("admissionReviewVersions"));
    let accepted = ACCEPTED_REVIEW_VERSIONS.join(", ");
    if versions.is_empty() {
        issues.required_because(path, &format!("must specify one of {accepted}"));
        return;
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut has_accepted = false;
    for (i, version) in versions.iter().enumerate() {
        if !seen.insert(version.as_str()) {
            issues.invalid(index(path, i), version, "duplicate version");
            continue;
        }
        issues.invalid_each(&index(path, i), version, is_dns1035_label(version));
        has_accepted |= ACCEPTED_REVIEW_VERSIONS.contains(&version.as_str());
    }
    if options.require_recognized_review_version && !has_accepted {
        issues.invalid_rendered(
            path,
            go_string_slice(&versions),
            format!("must include at least one of {accepted}"),
        );
    }
}

/// Exactly one of `url` and `service`, each in its own format.
fn validate_client_config(config: Option<&Value>, path: &str, issues: &mut Issues) {
    let config = config.unwrap_or(&Value::Null);
    let url = config.get("url").and_then(Value::as_str);
    let service = config.get("service").filter(|s| s.is_object());
    match (url, service) {
        (Some(url), None) => validate_webhook_url(url, &format!("{path}.url"), issues),
        (None, Some(service)) => {
            // Upstream passes the service's name where ValidateWebhookService expects the
            // namespace and the other way round, so an empty name is reported as a missing
            // namespace and vice versa; kept for identical messages.
            validate_webhook_service(
                service,
                str_of(service, "name"),
                str_of(service, "namespace"),
                &format!("{path}.service"),
                issues,
            )
        }
        _ => issues.required_because(path, "exactly one of url or service is required"),
    }
}

const URL_FORM: &str = "; desired format: https://host[/path]";

/// ValidateWebhookURL with `forceHttps`.
fn validate_webhook_url(url: &str, path: &str, issues: &mut Issues) {
    match crate::go_url::parse(url) {
        Err(e) => issues.required_because(path, &format!("url must be a valid URL: {e}{URL_FORM}")),
        Ok(parts) => {
            if parts.scheme != "https" {
                issues.invalid(
                    path,
                    &parts.scheme,
                    format!("'https' is the only allowed URL scheme{URL_FORM}"),
                );
            }
            if parts.host.is_empty() {
                issues.invalid(
                    path,
                    &parts.host,
                    format!("host must be provided{URL_FORM}"),
                );
            }
            if let Some(user) = &parts.user {
                issues.invalid(path, user, "user information is not permitted in the URL");
            }
            if !parts.fragment.is_empty() {
                issues.invalid(
                    path,
                    &parts.fragment,
                    "fragments are not permitted in the URL",
                );
            }
            if !parts.query.is_empty() {
                issues.invalid(
                    path,
                    &parts.query,
                    "query parameters are not permitted in the URL",
                );
            }
        }
    }
}

/// ValidateWebhookService(fldPath, namespace, name, path, port), called as upstream calls
/// it (see [`validate_client_config`]).
fn validate_webhook_service(
    service: &Value,
    namespace: &str,
    name: &str,
    path: &str,
    issues: &mut Issues,
) {
    if name.is_empty() {
        issues.required_because(format!("{path}.name"), "service name is required");
    }
    if namespace.is_empty() {
        issues.required_because(format!("{path}.namespace"), "service namespace is required");
    }
    let port = service.get("port").and_then(Value::as_i64).unwrap_or(443);
    let port_errors = is_valid_port_num(port);
    if !port_errors.is_empty() {
        issues.invalid_rendered(
            format!("{path}.port"),
            port.to_string(),
            format!("port is not valid: {}", port_errors.join(", ")),
        );
    }
    let Some(url_path) = service.get("path").and_then(Value::as_str) else {
        return;
    };
    let field = format!("{path}.path");
    if url_path.is_empty() || url_path == "/" {
        return;
    }
    if url_path == "//" {
        issues.invalid(&field, url_path, "segment[0] may not be empty");
        return;
    }
    if !url_path.starts_with('/') {
        issues.invalid(&field, url_path, "must start with a '/'");
    }
    let mut to_check = url_path.get(1..).unwrap_or_default();
    to_check = to_check.strip_suffix('/').unwrap_or(to_check);
    for (i, step) in to_check.split('/').enumerate() {
        if step.is_empty() {
            issues.invalid(&field, url_path, format!("segment[{i}] may not be empty"));
            continue;
        }
        for failure in is_dns1123_subdomain(step) {
            issues.invalid(&field, url_path, format!("segment[{i}]: {failure}"));
        }
    }
}

/// validateMatchConditions, without compiling the CEL expressions.
fn validate_match_conditions(hook: &Value, path: &str, issues: &mut Issues) {
    let conditions = items(hook.get("matchConditions"));
    if conditions.len() > MAX_MATCH_CONDITIONS {
        issues.invalid_rendered(
            path,
            conditions.len().to_string(),
            format!("must have at most {MAX_MATCH_CONDITIONS} items"),
        );
    }
    let mut names = std::collections::BTreeSet::new();
    for (i, condition) in conditions.iter().enumerate() {
        let at = index(path, i);
        if str_of(condition, "expression").trim().is_empty() {
            issues.required(format!("{at}.expression"));
        }
        let name = str_of(condition, "name");
        if name.is_empty() {
            issues.required(format!("{at}.name"));
        } else {
            issues.invalid_each(&format!("{at}.name"), name, is_qualified_name(name));
            if !names.insert(name) {
                issues.duplicate(format!("{at}.name"), name);
            }
        }
    }
}

#[cfg(test)]
mod tests;
