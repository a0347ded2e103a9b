//! Policy rules and subjects, and whether they apply to a request or a user
//! (`RuleAllows` in plugin/pkg/auth/authorizer/rbac/rbac.go, the matchers of
//! pkg/apis/rbac/v1/evaluation_helpers.go, and the service-account case of
//! `appliesToUser` in pkg/registry/rbac/validation/rule.go; users and groups are matched
//! by the index's lookups).

use k8s_openapi::api::rbac::v1::{PolicyRule, Subject};

use crate::apiserver::authz::{NonResourceRule, Request, ResourceRule};

/// `*`: every verb, group, resource or URL.
pub const ALL: &str = "*";

/// One rule of a role, as the authorizer keeps it (rbac/v1 `PolicyRule`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rule {
    /// Verbs, or `*`.
    pub verbs: Vec<String>,
    /// API groups (`""` is the core group), or `*`.
    pub api_groups: Vec<String>,
    /// Resources: `pods`, `pods/status`, `*/status`, `*`.
    pub resources: Vec<String>,
    /// Object names the rule is limited to; empty means any.
    pub resource_names: Vec<String>,
    /// Non-resource paths, a trailing `*` matching a prefix.
    pub non_resource_urls: Vec<String>,
}

impl From<&PolicyRule> for Rule {
    fn from(rule: &PolicyRule) -> Self {
        let list = |v: &Option<Vec<String>>| v.clone().unwrap_or_default();
        Self {
            verbs: rule.verbs.clone(),
            api_groups: list(&rule.api_groups),
            resources: list(&rule.resources),
            resource_names: list(&rule.resource_names),
            non_resource_urls: list(&rule.non_resource_urls),
        }
    }
}

impl From<&ResourceRule> for Rule {
    fn from(rule: &ResourceRule) -> Self {
        Self {
            verbs: rule.verbs.clone(),
            api_groups: rule.api_groups.clone(),
            resources: rule.resources.clone(),
            resource_names: rule.resource_names.clone(),
            non_resource_urls: Vec::new(),
        }
    }
}

impl From<&NonResourceRule> for Rule {
    fn from(rule: &NonResourceRule) -> Self {
        Self {
            verbs: rule.verbs.clone(),
            non_resource_urls: rule.non_resource_urls.clone(),
            ..Self::default()
        }
    }
}

impl Rule {
    /// Whether the rule allows `verb` on `request` (upstream's `RuleAllows`).
    pub fn allows(&self, verb: &str, request: &Request<'_>) -> bool {
        if !verb_matches(&self.verbs, verb) {
            return false;
        }
        match *request {
            Request::Resource {
                api_group,
                resource,
                subresource,
                name,
                ..
            } => {
                api_group_matches(&self.api_groups, api_group)
                    && resource_matches(&self.resources, resource, subresource)
                    && resource_name_matches(&self.resource_names, name)
            }
            Request::NonResource { path } => {
                non_resource_url_matches(&self.non_resource_urls, path)
            }
        }
    }
}

fn verb_matches(verbs: &[String], verb: &str) -> bool {
    verbs.iter().any(|v| v == ALL || v == verb)
}

fn api_group_matches(groups: &[String], group: &str) -> bool {
    groups.iter().any(|g| g == ALL || g == group)
}

/// `*`, the exact `resource` or `resource/subresource`, or `*/subresource`.
fn resource_matches(resources: &[String], resource: &str, subresource: &str) -> bool {
    resources.iter().any(|r| {
        if r == ALL {
            return true;
        }
        if subresource.is_empty() {
            return r == resource;
        }
        match r.split_once('/') {
            Some((res, sub)) => sub == subresource && (res == resource || res == ALL),
            None => false,
        }
    })
}

fn resource_name_matches(names: &[String], name: &str) -> bool {
    names.is_empty() || names.iter().any(|n| n == name)
}

/// `*`, the exact path, or a prefix ending in `*` (every trailing `*` trimmed, as Go's
/// `strings.TrimRight` does).
pub(super) fn non_resource_url_matches(urls: &[String], path: &str) -> bool {
    urls.iter().any(|url| url_covers(url, path))
}

/// Whether the rule path `owner` covers the request path `path`.
pub(super) fn url_covers(owner: &str, path: &str) -> bool {
    owner == ALL
        || owner == path
        || (owner.ends_with('*') && path.starts_with(owner.trim_end_matches('*')))
}

/// `system:serviceaccount:NS:NAME` for a ServiceAccount subject, its namespace defaulting
/// to the binding's; None when neither gives one.
pub fn service_account_username(subject: &Subject, binding_namespace: &str) -> Option<String> {
    let namespace = subject
        .namespace
        .as_deref()
        .filter(|ns| !ns.is_empty())
        .unwrap_or(binding_namespace);
    (!namespace.is_empty()).then(|| format!("system:serviceaccount:{namespace}:{}", subject.name))
}
