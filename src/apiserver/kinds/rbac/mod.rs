//! `rbac.authorization.k8s.io/v1`: Role, ClusterRole, RoleBinding, ClusterRoleBinding
//! (pkg/registry/rbac/*). What the four kinds share lives here: validation of rules,
//! subjects and role references (pkg/apis/rbac/validation/validation.go), defaulting
//! (pkg/apis/rbac/v1/defaults.go), the binding table columns
//! (pkg/printers/internalversion/printers.go) and the escalation checks of the policy-based
//! storages (pkg/registry/rbac/*/policybased/storage.go).

use serde_json::{json, Value};

use super::WriteCheck;
use crate::apiserver::authz::rbac::escalation::{
    binding_authorized, confirm_no_escalation, escalation_allowed, full_authority, owner_rules,
    role_escalation_authorized,
};
use crate::apiserver::authz::rbac::rules::Rule;
use crate::apiserver::errors::ApiError;
use crate::apiserver::field_rules::{FieldRule, ATOMIC_RULE, DEFAULT_RULE};
use crate::apiserver::table::{self, column, Column, AGE_COLUMN, NAME_COLUMN};
use crate::apiserver::validation::go_format::{go_quote, go_string_slice};
use crate::apiserver::validation::{name_is_dns_subdomain, Issues};
use k8s_openapi::api::rbac::v1::{ClusterRole, PolicyRule, Role};

pub mod clusterrole;
pub mod clusterrolebinding;
pub mod role;
pub mod rolebinding;

pub use clusterrole::CLUSTER_ROLES;
pub use clusterrolebinding::CLUSTER_ROLE_BINDINGS;
pub use role::ROLES;
pub use rolebinding::ROLE_BINDINGS;

/// The group's name, which role references and User/Group subjects carry.
pub const GROUP: &str = "rbac.authorization.k8s.io";

/// `ValidateRBACName` (`path.IsValidPathSegmentName`): names of roles and bindings may
/// hold almost anything but `/` and `%`, and may not be `.` or `..`.
pub(crate) fn rbac_name(name: &str, _prefix: bool) -> Vec<String> {
    crate::apiserver::validation::names::is_valid_path_segment_name(name)
}

fn strings(value: &Value, field: &str) -> Vec<String> {
    value[field]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| i.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// `ValidatePolicyRule` for every rule of `object`; namespaced roles may not name URLs.
pub(crate) fn validate_rules(object: &Value, namespaced: bool, issues: &mut Issues) {
    for (i, rule) in object["rules"].as_array().into_iter().flatten().enumerate() {
        let path = format!("rules[{i}]");
        if strings(rule, "verbs").is_empty() {
            issues.required_because(
                format!("{path}.verbs"),
                "verbs must contain at least one value",
            );
        }
        let urls = strings(rule, "nonResourceURLs");
        if !urls.is_empty() {
            if namespaced {
                issues.invalid_rendered(
                    format!("{path}.nonResourceURLs"),
                    go_string_slice(&urls),
                    "namespaced rules cannot apply to non-resource URLs",
                );
            }
            if ["apiGroups", "resources", "resourceNames"]
                .iter()
                .any(|f| !strings(rule, f).is_empty())
            {
                issues.invalid_rendered(
                    format!("{path}.nonResourceURLs"),
                    go_string_slice(&urls),
                    "rules cannot apply to both regular resources and non-resource URLs",
                );
            }
            continue;
        }
        if strings(rule, "apiGroups").is_empty() {
            issues.required_because(
                format!("{path}.apiGroups"),
                "resource rules must supply at least one api group",
            );
        }
        if strings(rule, "resources").is_empty() {
            issues.required_because(
                format!("{path}.resources"),
                "resource rules must supply at least one resource",
            );
        }
    }
}

/// `ValidateRoleBinding` / `ValidateClusterRoleBinding` past the metadata: the role
/// reference (`kinds` it may name) and every subject.
pub(crate) fn validate_binding(
    object: &Value,
    kinds: &[&str],
    namespaced: bool,
    issues: &mut Issues,
) {
    let role_ref = &object["roleRef"];
    let group = role_ref["apiGroup"].as_str().unwrap_or_default();
    if group != GROUP {
        issues.not_supported("roleRef.apiGroup", group, &[GROUP]);
    }
    let kind = role_ref["kind"].as_str().unwrap_or_default();
    if !kinds.contains(&kind) {
        issues.not_supported("roleRef.kind", kind, kinds);
    }
    let name = role_ref["name"].as_str().unwrap_or_default();
    if name.is_empty() {
        issues.required("roleRef.name");
    } else {
        issues.invalid_each("roleRef.name", name, rbac_name(name, false));
    }
    for (i, subject) in object["subjects"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        validate_subject(subject, namespaced, &format!("subjects[{i}]"), issues);
    }
}

/// `ValidateRoleBindingSubject`.
fn validate_subject(subject: &Value, namespaced: bool, path: &str, issues: &mut Issues) {
    let text = |field: &str| subject[field].as_str().unwrap_or_default();
    let name = text("name");
    if name.is_empty() {
        issues.required(format!("{path}.name"));
    }
    let group = text("apiGroup");
    match text("kind") {
        "ServiceAccount" => {
            if !name.is_empty() {
                issues.invalid_each(
                    &format!("{path}.name"),
                    name,
                    name_is_dns_subdomain(name, false),
                );
            }
            if !group.is_empty() {
                issues.not_supported(format!("{path}.apiGroup"), group, &[""]);
            }
            if !namespaced && text("namespace").is_empty() {
                issues.required(format!("{path}.namespace"));
            }
        }
        "User" | "Group" => {
            if group != GROUP {
                issues.not_supported(format!("{path}.apiGroup"), group, &[GROUP]);
            }
        }
        other => issues.not_supported(
            format!("{path}.kind"),
            other,
            &["ServiceAccount", "User", "Group"],
        ),
    }
}

/// `ValidateRoleBindingUpdate`: the role reference never changes. Go prints the internal
/// struct with `%#v`.
pub(crate) fn validate_role_ref_unchanged(old: &Value, new: &Value, issues: &mut Issues) {
    if old["roleRef"] != new["roleRef"] {
        let text = |field: &str| new["roleRef"][field].as_str().unwrap_or_default();
        let rendered = format!(
            "rbac.RoleRef{{APIGroup:{}, Kind:{}, Name:{}}}",
            go_quote(text("apiGroup")),
            go_quote(text("kind")),
            go_quote(text("name"))
        );
        issues.invalid_rendered("roleRef", rendered, "cannot change roleRef");
    }
}

/// `SetDefaults_RoleBinding`/`ClusterRoleBinding` and `SetDefaults_Subject`: an empty
/// role reference group is RBAC's; User and Group subjects default to RBAC's group.
pub(crate) fn default_binding(object: &mut Value) {
    if let Some(role_ref) = object.get_mut("roleRef").and_then(Value::as_object_mut) {
        if role_ref
            .get("apiGroup")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .is_empty()
        {
            role_ref.insert("apiGroup".into(), json!(GROUP));
        }
    }
    for subject in object
        .get_mut("subjects")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        let Some(subject) = subject.as_object_mut() else {
            continue;
        };
        let kind = subject
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let group_missing = subject
            .get("apiGroup")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .is_empty();
        if group_missing && matches!(kind, "User" | "Group") {
            subject.insert("apiGroup".into(), json!(GROUP));
        }
    }
}

/// Rules, subjects and the lists inside rules are atomic (`+listType=atomic`).
pub(crate) fn rbac_field_rule(path: &[&str]) -> FieldRule {
    match path {
        ["rules"] | ["subjects"] | ["aggregationRule", "clusterRoleSelectors"] => ATOMIC_RULE,
        ["rules", _] => ATOMIC_RULE,
        _ => DEFAULT_RULE,
    }
}

const ROLE_REF_DESCRIPTION: &str = "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error. This field is immutable.";

/// The binding printer's columns: NAME, ROLE, AGE and, with `-o wide`, USERS, GROUPS,
/// SERVICEACCOUNTS.
pub(crate) const BINDING_COLUMNS: &[Column] = &[
    NAME_COLUMN,
    column("Role", "string", ROLE_REF_DESCRIPTION),
    AGE_COLUMN,
    Column {
        priority: 1,
        ..column("Users", "string", "Users in the roleBinding")
    },
    Column {
        priority: 1,
        ..column("Groups", "string", "Groups in the roleBinding")
    },
    Column {
        priority: 1,
        ..column(
            "ServiceAccounts",
            "string",
            "ServiceAccounts in the roleBinding",
        )
    },
];

/// `printRoleBinding`: `Kind/name` of the role, then the subjects by kind (`SubjectsStrings`;
/// service accounts as `namespace/name`).
pub(crate) fn binding_row(object: &Value, now: jiff::Timestamp) -> (Vec<Value>, Option<Value>) {
    let role_ref = &object["roleRef"];
    let role = format!(
        "{}/{}",
        role_ref["kind"].as_str().unwrap_or_default(),
        role_ref["name"].as_str().unwrap_or_default()
    );
    let (mut users, mut groups, mut accounts) = (Vec::new(), Vec::new(), Vec::new());
    for subject in object["subjects"].as_array().into_iter().flatten() {
        let text = |field: &str| subject[field].as_str().unwrap_or_default().to_string();
        match text("kind").as_str() {
            "ServiceAccount" => accounts.push(format!("{}/{}", text("namespace"), text("name"))),
            "User" => users.push(text("name")),
            "Group" => groups.push(text("name")),
            _ => {}
        }
    }
    let cells = vec![
        json!(table::str_at(object, &["metadata", "name"])),
        json!(role),
        json!(table::age(object, now)),
        json!(users.join(", ")),
        json!(groups.join(", ")),
        json!(accounts.join(", ")),
    ];
    (cells, None)
}

// =======================================================================================
// Escalation checks of the policy-based storages.

fn forbidden(check: &WriteCheck<'_>, why: &str) -> ApiError {
    ApiError::forbidden(check.resource, check.object_name(), why)
}

/// Whether the write changes only what the garbage collector changes (owner references,
/// finalizers), which needs no escalation check (`IsOnlyMutatingGCFields`).
fn only_gc_fields(check: &WriteCheck<'_>) -> bool {
    let Some(old) = check.old else {
        return false;
    };
    let strip = |object: &Value| {
        let mut copy = object.clone();
        if let Some(meta) = copy.get_mut("metadata").and_then(Value::as_object_mut) {
            for field in [
                "ownerReferences",
                "finalizers",
                "selfLink",
                "managedFields",
                "resourceVersion",
            ] {
                meta.remove(field);
            }
        }
        copy
    };
    strip(old) == strip(check.object)
}

fn policy_rules(object: &Value) -> Vec<Rule> {
    serde_json::from_value::<Vec<PolicyRule>>(object["rules"].clone())
        .unwrap_or_default()
        .iter()
        .map(Rule::from)
        .collect()
}

/// The role storage's create and update: a user who may not `escalate` the role may
/// write only rules it holds in the role's namespace; using an `aggregationRule` needs
/// every permission.
pub(crate) fn authorize_role_write(check: &WriteCheck<'_>) -> Result<(), ApiError> {
    if escalation_allowed(check.user)
        || role_escalation_authorized(
            check.authorizer,
            check.user,
            check.namespace,
            check.resource.plural,
            check.request_name,
        )
        || only_gc_fields(check)
    {
        return Ok(());
    }
    let (owner, resolution_error) = owner_rules(check.authorizer, check.user, check.namespace);
    confirm_no_escalation(
        check.user,
        &owner,
        &resolution_error,
        &policy_rules(check.object),
    )
    .map_err(|why| forbidden(check, &why))?;
    let aggregates =
        |object: Option<&Value>| object.is_some_and(|o| o["aggregationRule"].is_object());
    if aggregates(Some(check.object)) || aggregates(check.old) {
        confirm_no_escalation(check.user, &owner, &resolution_error, &full_authority()).map_err(
            |_| {
                forbidden(
                    check,
                    "must have cluster-admin privileges to use the aggregationRule",
                )
            },
        )?;
    }
    Ok(())
}

/// The binding storage's create and update: a user who may not `bind` the referenced
/// role must hold every rule it grants. A missing role is 404, as the registry's lookup
/// answers.
pub(crate) fn authorize_binding_write(check: &WriteCheck<'_>) -> Result<(), ApiError> {
    if escalation_allowed(check.user) || only_gc_fields(check) {
        return Ok(());
    }
    let role_ref = &check.object["roleRef"];
    let kind = role_ref["kind"].as_str().unwrap_or_default();
    let name = role_ref["name"].as_str().unwrap_or_default();
    if binding_authorized(check.authorizer, check.user, check.namespace, kind, name) {
        return Ok(());
    }
    let rules = match kind {
        "Role" => check
            .store
            .get_as::<Role>(&ROLES, check.namespace, name)
            .ok()
            .flatten()
            .map(|r| r.rules)
            .ok_or_else(|| ApiError::not_found(&ROLES, name))?,
        "ClusterRole" => check
            .store
            .get_as::<ClusterRole>(&CLUSTER_ROLES, "", name)
            .ok()
            .flatten()
            .map(|r| r.rules)
            .ok_or_else(|| ApiError::not_found(&CLUSTER_ROLES, name))?,
        other => {
            return Err(ApiError::internal(format!(
                "unsupported role reference kind: {}",
                go_quote(other)
            )))
        }
    };
    let rules: Vec<Rule> = rules.iter().flatten().map(Rule::from).collect();
    let (owner, resolution_error) = owner_rules(check.authorizer, check.user, check.namespace);
    confirm_no_escalation(check.user, &owner, &resolution_error, &rules)
        .map_err(|why| forbidden(check, &why))
}
