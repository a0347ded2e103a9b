//! Which webhooks a request goes to: the rules (operations, groups, versions, resources
//! with subresources, scope), the namespace and object selectors, and `matchPolicy`.
//! Follows `ShouldCallHook` of `k8s.io/apiserver/pkg/admission/plugin/webhook/generic/webhook.go`
//! and the matchers of `.../webhook/predicates/{rules,namespace,object}`.

use serde_json::{Map, Value};

use super::hook::{Hook, Rule};
use crate::apiserver::errors::ApiError;
use crate::apiserver::kinds::{ResourceInfo, ALL, NAMESPACES};
use crate::apiserver::selectors::LabelSelector;

/// A request as the matchers see it (upstream's `admission.Attributes`).
#[derive(Debug, Clone, Copy)]
pub struct MatchRequest<'a> {
    /// The resource addressed.
    pub resource: &'static ResourceInfo,
    /// The subresource, or `""`.
    pub subresource: &'a str,
    /// The namespace; for a namespace object itself, its name (as upstream sets it).
    pub namespace: &'a str,
    /// `CREATE`, `UPDATE` or `DELETE`.
    pub operation: &'a str,
    /// The new object (none on delete).
    pub object: Option<&'a Value>,
    /// The stored object (update, delete).
    pub old_object: Option<&'a Value>,
}

/// Looks a namespace's labels up by name; `None` when the namespace does not exist.
pub type NamespaceLabels<'a> = &'a (dyn Fn(&str) -> Option<Map<String, Value>> + Sync);

/// How a matching webhook is to be called: the resource (and so the version and kind) it
/// is sent, which under `matchPolicy: Equivalent` may be another version of the one
/// requested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// The resource the webhook sees in `request.resource` and `request.kind`.
    pub resource: &'static ResourceInfo,
    /// The subresource, or `""`.
    pub subresource: String,
}

/// Whether `hook` wants the request, and how to call it; `Err` when a selector cannot be
/// evaluated (a missing namespace is 404 NotFound, a broken selector 500). As upstream, a
/// selector error only counts when a rule matches.
pub fn should_call(
    hook: &Hook,
    request: &MatchRequest<'_>,
    namespace_labels: NamespaceLabels<'_>,
) -> Result<Option<Invocation>, ApiError> {
    let namespace = namespace_selector_matches(&hook.namespace_selector, request, namespace_labels);
    if matches!(namespace, Ok(false)) {
        return Ok(None);
    }
    let object = object_selector_matches(&hook.object_selector, request);
    if matches!(object, Ok(false)) {
        return Ok(None);
    }
    let mut invocation = hook
        .rules
        .iter()
        .any(|rule| rule_matches(rule, request, request.resource))
        .then(|| Invocation {
            resource: request.resource,
            subresource: request.subresource.to_string(),
        });
    if invocation.is_none() && hook.match_equivalent {
        let equivalents = equivalent_resources(request.resource);
        // Earlier rules first, then each equivalent in the registry's order.
        invocation = hook.rules.iter().find_map(|rule| {
            equivalents
                .iter()
                .find(|equivalent| rule_matches(rule, request, equivalent))
                .map(|equivalent| Invocation {
                    resource: equivalent,
                    subresource: request.subresource.to_string(),
                })
        });
    }
    let Some(invocation) = invocation else {
        return Ok(None);
    };
    namespace?;
    object?;
    Ok(Some(invocation))
}

/// The other served versions of the same resource (same group and plural), which
/// upstream's equivalent-resource mapper lists for `matchPolicy: Equivalent`.
pub fn equivalent_resources(resource: &ResourceInfo) -> Vec<&'static ResourceInfo> {
    ALL.iter()
        .filter(|r| {
            r.group == resource.group
                && r.plural == resource.plural
                && r.version != resource.version
        })
        .collect()
}

fn exact_or_wildcard(items: &[String], requested: &str) -> bool {
    items.iter().any(|item| item == "*" || item == requested)
}

/// rules.Matcher.Matches against `resource` (the requested one, or an equivalent).
pub fn rule_matches(rule: &Rule, request: &MatchRequest<'_>, resource: &ResourceInfo) -> bool {
    let is_namespace = *resource == NAMESPACES;
    let scope = match rule.scope.as_str() {
        "" | "*" => true,
        "Namespaced" => !is_namespace && !request.namespace.is_empty(),
        "Cluster" => is_namespace || request.namespace.is_empty(),
        _ => false,
    };
    let operation = rule
        .operations
        .iter()
        .any(|op| op == "*" || op == request.operation);
    let resource_match = rule.resources.iter().any(|entry| {
        let (res, sub) = entry.split_once('/').unwrap_or((entry, ""));
        (res == "*" || res == resource.plural) && (sub == "*" || sub == request.subresource)
    });
    scope
        && operation
        && exact_or_wildcard(&rule.api_groups, resource.group)
        && exact_or_wildcard(&rule.api_versions, resource.version)
        && resource_match
}

/// MatchNamespaceSelector: cluster-scoped requests (but namespaces) always match; a
/// namespace's own create or update is judged by the labels it is given.
pub fn namespace_selector_matches(
    selector: &Result<LabelSelector, String>,
    request: &MatchRequest<'_>,
    namespace_labels: NamespaceLabels<'_>,
) -> Result<bool, ApiError> {
    let is_namespace = *request.resource == NAMESPACES;
    if request.namespace.is_empty() && !is_namespace {
        return Ok(true);
    }
    let selector = selector.as_ref().map_err(ApiError::internal)?;
    if selector.is_empty() {
        return Ok(true);
    }
    let own_labels = is_namespace
        && request.subresource.is_empty()
        && matches!(request.operation, "CREATE" | "UPDATE");
    if own_labels {
        let labels = request
            .object
            .and_then(|o| o["metadata"]["labels"].as_object());
        return Ok(selector.matches(labels));
    }
    let labels = namespace_labels(request.namespace)
        .ok_or_else(|| ApiError::not_found(&NAMESPACES, request.namespace))?;
    Ok(selector.matches(Some(&labels)))
}

/// MatchObjectSelector: the new or the old object's labels must be selected.
pub fn object_selector_matches(
    selector: &Result<LabelSelector, String>,
    request: &MatchRequest<'_>,
) -> Result<bool, ApiError> {
    let selector = selector.as_ref().map_err(ApiError::internal)?;
    if selector.is_empty() {
        return Ok(true);
    }
    let selects = |object: Option<&Value>| {
        object.is_some_and(|o| selector.matches(o["metadata"]["labels"].as_object()))
    };
    Ok(selects(request.object) || selects(request.old_object))
}

#[cfg(test)]
mod tests;
