//! Escalation prevention: a user may grant only permissions it holds
//! (pkg/registry/rbac/validation/policy_comparator.go `Covers`, policy_compact.go
//! `CompactRules`, rule.go `ConfirmNoEscalation`, and pkg/registry/rbac/escalation_check.go).

use std::collections::BTreeSet;

use super::rules::{url_covers, Rule, ALL};
use crate::apiserver::authz::{Attributes, Authorizer, Decision, Request};
use crate::apiserver::validation::go_format::go_quote;
use crate::authn::UserInfo;

/// The group whose members may grant anything (upstream's `EscalationAllowed`: the API
/// server's own loopback clients are in it).
const PRIVILEGED_GROUP: &str = "system:masters";

/// True for members of `system:masters`.
pub fn escalation_allowed(user: &UserInfo) -> bool {
    user.groups.iter().any(|g| g == PRIVILEGED_GROUP)
}

/// Whether the user may `escalate` the role being written (upstream's
/// `RoleEscalationAuthorized`): the request's own namespace, resource (`roles` or
/// `clusterroles`) and name (empty on a create).
pub fn role_escalation_authorized(
    authorizer: &dyn Authorizer,
    user: &UserInfo,
    namespace: &str,
    resource: &str,
    name: &str,
) -> bool {
    allowed(authorizer, user, "escalate", namespace, resource, name)
}

/// Whether the user may `bind` the role a binding refers to (upstream's
/// `BindingAuthorized`), checked in the binding's namespace (empty for ClusterRoleBindings).
pub fn binding_authorized(
    authorizer: &dyn Authorizer,
    user: &UserInfo,
    binding_namespace: &str,
    role_kind: &str,
    role_name: &str,
) -> bool {
    let resource = match role_kind {
        "Role" => "roles",
        "ClusterRole" => "clusterroles",
        _ => return false,
    };
    allowed(
        authorizer,
        user,
        "bind",
        binding_namespace,
        resource,
        role_name,
    )
}

fn allowed(
    authorizer: &dyn Authorizer,
    user: &UserInfo,
    verb: &str,
    namespace: &str,
    resource: &str,
    name: &str,
) -> bool {
    let attributes = Attributes {
        user,
        verb,
        request: Request::Resource {
            namespace,
            api_group: "rbac.authorization.k8s.io",
            api_version: "*",
            resource,
            subresource: "",
            name,
        },
    };
    authorizer.authorize(&attributes) == Decision::Allow
}

/// The rules `user` holds in `namespace` (cluster-wide ones when empty), as the
/// authorizer lists them, and the resolution error it reported.
pub fn owner_rules(
    authorizer: &dyn Authorizer,
    user: &UserInfo,
    namespace: &str,
) -> (Vec<Rule>, String) {
    let review = authorizer.rules_for(user, namespace);
    let rules = review
        .resource_rules
        .iter()
        .map(Rule::from)
        .chain(review.non_resource_rules.iter().map(Rule::from))
        .collect();
    (rules, review.evaluation_error)
}

/// Upstream's `ConfirmNoEscalation`: Ok when `owner` covers every rule of `requested`,
/// else the message naming the missing permissions:
/// `user "jane" (groups=["system:authenticated"]) is attempting to grant RBAC permissions
/// not currently held:\n{APIGroups:[""], Resources:["pods"], Verbs:["get"]}`.
pub fn confirm_no_escalation(
    user: &UserInfo,
    owner: &[Rule],
    resolution_error: &str,
    requested: &[Rule],
) -> Result<(), String> {
    let missing = uncovered(owner, requested);
    if missing.is_empty() {
        return Ok(());
    }
    let descriptions: BTreeSet<String> = compact(missing).iter().map(compact_string).collect();
    let groups: Vec<String> = user.groups.iter().map(|g| go_quote(g)).collect();
    let mut message = format!(
        "user {} (groups=[{}]) is attempting to grant RBAC permissions not currently held:\n{}",
        go_quote(&user.username),
        groups.join(" "),
        descriptions.into_iter().collect::<Vec<_>>().join("\n")
    );
    if !resolution_error.is_empty() {
        message.push_str(&format!("; resolution errors: [{resolution_error}]"));
    }
    Err(message)
}

/// The rules with every permission `*` gives: what using an `aggregationRule` needs.
pub fn full_authority() -> Vec<Rule> {
    let all = || vec![ALL.to_string()];
    vec![
        Rule {
            verbs: all(),
            api_groups: all(),
            resources: all(),
            ..Rule::default()
        },
        Rule {
            verbs: all(),
            non_resource_urls: all(),
            ..Rule::default()
        },
    ]
}

/// The parts of `requested`, broken down to one verb, group, resource and name each, that
/// no rule of `owner` covers (upstream's `Covers`).
pub fn uncovered(owner: &[Rule], requested: &[Rule]) -> Vec<Rule> {
    requested
        .iter()
        .flat_map(breakdown)
        .filter(|sub| !owner.iter().any(|o| covers(o, sub)))
        .collect()
}

/// One rule per group × resource × verb (× name), and per URL × verb (`BreakdownRule`).
pub fn breakdown(rule: &Rule) -> Vec<Rule> {
    let one = |s: &String| vec![s.clone()];
    let mut subrules = Vec::new();
    for group in &rule.api_groups {
        for resource in &rule.resources {
            for verb in &rule.verbs {
                if rule.resource_names.is_empty() {
                    subrules.push(Rule {
                        api_groups: one(group),
                        resources: one(resource),
                        verbs: one(verb),
                        ..Rule::default()
                    });
                } else {
                    for name in &rule.resource_names {
                        subrules.push(Rule {
                            api_groups: one(group),
                            resources: one(resource),
                            verbs: one(verb),
                            resource_names: one(name),
                            ..Rule::default()
                        });
                    }
                }
            }
        }
    }
    for url in &rule.non_resource_urls {
        for verb in &rule.verbs {
            subrules.push(Rule {
                non_resource_urls: one(url),
                verbs: one(verb),
                ..Rule::default()
            });
        }
    }
    subrules
}

fn has(set: &[String], item: &str) -> bool {
    set.iter().any(|s| s == item)
}

fn has_all(set: &[String], items: &[String]) -> bool {
    items.iter().all(|i| has(set, i))
}

fn resources_cover(owner: &[String], requested: &[String]) -> bool {
    if has(owner, ALL) || has_all(owner, requested) {
        return true;
    }
    requested.iter().all(|path| {
        has(owner, path)
            || path
                .split_once('/')
                .is_some_and(|(_, sub)| has(owner, &format!("*/{sub}")))
    })
}

fn urls_cover(owner: &[String], requested: &[String]) -> bool {
    requested.iter().all(|path| {
        owner
            .iter()
            .any(|o| o == path || (o.ends_with('*') && url_covers(o, path)))
    })
}

/// Whether `owner` covers the broken-down rule `sub` (`ruleCovers`).
fn covers(owner: &Rule, sub: &Rule) -> bool {
    let verbs = has(&owner.verbs, ALL) || has_all(&owner.verbs, &sub.verbs);
    let groups = has(&owner.api_groups, ALL) || has_all(&owner.api_groups, &sub.api_groups);
    let resources = resources_cover(&owner.resources, &sub.resources);
    let urls = urls_cover(&owner.non_resource_urls, &sub.non_resource_urls);
    let names = owner.resource_names.is_empty()
        || (!sub.resource_names.is_empty() && has_all(&owner.resource_names, &sub.resource_names));
    verbs && groups && resources && names && urls
}

/// Group, resource and (optional) name of a rule on one of each.
type SimpleKey = (String, String, Option<String>);

/// Merges rules on the same single group and resource (and at most one name) that differ
/// only in verbs (`CompactRules`); the others are kept as they are.
pub fn compact(rules: Vec<Rule>) -> Vec<Rule> {
    let mut compacted = Vec::with_capacity(rules.len());
    // Keyed by (group, resource, name): the shape `isSimpleResourceRule` accepts.
    let mut simple: Vec<(SimpleKey, Rule)> = Vec::new();
    for rule in rules {
        let is_simple = rule.resource_names.len() <= 1
            && rule.non_resource_urls.is_empty()
            && rule.api_groups.len() == 1
            && rule.resources.len() == 1;
        if !is_simple {
            compacted.push(rule);
            continue;
        }
        let key = (
            rule.api_groups[0].clone(),
            rule.resources[0].clone(),
            rule.resource_names.first().cloned(),
        );
        match simple.iter_mut().find(|(k, _)| *k == key) {
            Some((_, existing)) => {
                for verb in rule.verbs {
                    if !existing.verbs.contains(&verb) {
                        existing.verbs.push(verb);
                    }
                }
            }
            None => simple.push((key, rule)),
        }
    }
    compacted.extend(simple.into_iter().map(|(_, rule)| rule));
    compacted
}

/// `{APIGroups:[""], Resources:["pods"], Verbs:["get"]}` (upstream's `CompactString`):
/// the non-empty fields, each a Go `%q` of the list.
pub fn compact_string(rule: &Rule) -> String {
    let quoted = |items: &[String]| {
        format!(
            "[{}]",
            items
                .iter()
                .map(|s| go_quote(s))
                .collect::<Vec<_>>()
                .join(" ")
        )
    };
    let mut parts = Vec::new();
    for (label, items) in [
        ("APIGroups", &rule.api_groups),
        ("Resources", &rule.resources),
        ("NonResourceURLs", &rule.non_resource_urls),
        ("ResourceNames", &rule.resource_names),
        ("Verbs", &rule.verbs),
    ] {
        if !items.is_empty() {
            parts.push(format!("{label}:{}", quoted(items)));
        }
    }
    format!("{{{}}}", parts.join(", "))
}
