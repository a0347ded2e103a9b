//! The RBAC authorizer (`--authorization-mode=RBAC`, plugin/pkg/auth/authorizer/rbac):
//! Roles, ClusterRoles and their bindings decide what a user may do. Members of
//! `system:masters` may do anything, as kube-apiserver's privileged-group authorizer
//! allows them before RBAC is asked.
//!
//! The authorizer keeps an [`index::Index`] of the RBAC objects, updated by the store's
//! synchronous observer, so a decision looks up only the bindings that name the user or
//! its groups, and a committed binding is honoured by the next request.
//! [`RbacAuthorizer::install`] also writes upstream's bootstrap policy ([`bootstrap`])
//! and runs the ClusterRole aggregation controller ([`aggregation`]).
//!
//! ```
//! use std::sync::Arc;
//! use kube_sa::apiserver::authz::rbac::RbacAuthorizer;
//! use kube_sa::apiserver::authz::{Attributes, Authorizer, Decision, Request};
//! use kube_sa::apiserver::store::Store;
//! use kube_sa::authn::UserInfo;
//!
//! let store = Arc::new(Store::default());
//! let rbac = RbacAuthorizer::new(&store);
//! let user = UserInfo { username: "jane".into(), groups: vec!["system:authenticated".into()], ..Default::default() };
//! let get_pods = Attributes { user: &user, verb: "get", request: Request::Resource {
//!     namespace: "default", api_group: "", api_version: "v1", resource: "pods", subresource: "", name: "web" } };
//! assert_eq!(rbac.authorize(&get_pods), Decision::NoOpinion(String::new()));
//! ```

pub mod aggregation;
pub mod bootstrap;
pub mod escalation;
pub mod index;
pub mod rules;

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::ops::ControlFlow;
use std::sync::{Arc, RwLock, RwLockReadGuard};

use super::{
    Attributes, Authorizer, Decision, NonResourceRule, Reasoned, Request, ResourceRule, RulesReview,
};
use crate::apiserver::kinds::rbac::{CLUSTER_ROLES, CLUSTER_ROLE_BINDINGS, ROLES, ROLE_BINDINGS};
use crate::apiserver::store::{Store, StoreError};
use crate::authn::UserInfo;
use index::Index;

/// The RBAC authorizer and rule resolver.
pub struct RbacAuthorizer {
    index: Arc<RwLock<Index>>,
}

impl RbacAuthorizer {
    /// An authorizer that follows the RBAC objects of `store` from now on (its observer
    /// is told of every current object first).
    pub fn new(store: &Store) -> Self {
        let index = Arc::new(RwLock::new(Index::new()));
        let writer = index.clone();
        store.observe(
            &[
                &ROLES,
                &CLUSTER_ROLES,
                &ROLE_BINDINGS,
                &CLUSTER_ROLE_BINDINGS,
            ],
            Box::new(move |event| {
                writer
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .apply(event);
            }),
        );
        Self { index }
    }

    /// The server's default authorizer: follows `store`, writes the bootstrap policy
    /// (upstream's `rbac/bootstrap-roles` post-start hook), fills the aggregated roles
    /// and, on a Tokio runtime, starts the aggregation controller that keeps them filled.
    pub fn install(store: Arc<Store>) -> Result<Arc<Self>, StoreError> {
        let authorizer = Arc::new(Self::new(&store));
        bootstrap::ensure_policy(&store)?;
        aggregation::aggregate_until_stable(&store);
        if tokio::runtime::Handle::try_current().is_ok() {
            aggregation::spawn(&store);
        }
        Ok(authorizer)
    }

    fn read(&self) -> RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(|e| e.into_inner())
    }
}

/// The namespace a request is authorized in: empty for non-resource requests.
fn namespace_of<'a>(request: &Request<'a>) -> &'a str {
    match request {
        Request::Resource { namespace, .. } => namespace,
        Request::NonResource { .. } => "",
    }
}

/// Go's aggregate error text: one message as is, several (deduplicated) in brackets.
fn aggregate(errors: &[String]) -> String {
    let mut seen = BTreeSet::new();
    let unique: Vec<&String> = errors.iter().filter(|e| seen.insert(e.as_str())).collect();
    match unique.as_slice() {
        [] => String::new(),
        [one] => one.to_string(),
        many => format!(
            "[{}]",
            many.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// No rule allows: no opinion, with the role references that did not resolve as the
/// reason (upstream: `RBAC: ` and the aggregate of the visitor's errors).
fn no_opinion(errors: &[String]) -> Decision {
    if errors.is_empty() {
        Decision::NoOpinion(String::new())
    } else {
        Decision::NoOpinion(format!("RBAC: {}", aggregate(errors)))
    }
}

impl Authorizer for RbacAuthorizer {
    fn authorize(&self, attributes: &Attributes<'_>) -> Decision {
        if attributes.user.is_admin() {
            return Decision::Allow;
        }
        let mut allowed = false;
        let mut errors = Vec::new();
        self.read().visit_rules_for(
            attributes.user,
            namespace_of(&attributes.request),
            |_, rules| {
                match rules {
                    Ok(rules)
                        if rules
                            .iter()
                            .any(|r| r.allows(attributes.verb, &attributes.request)) =>
                    {
                        allowed = true;
                        return ControlFlow::Break(());
                    }
                    Ok(_) => {}
                    Err(e) => errors.push(e.to_string()),
                }
                ControlFlow::Continue(())
            },
        );
        if allowed {
            return Decision::Allow;
        }
        no_opinion(&errors)
    }

    /// As [`RbacAuthorizer::authorize`], naming the binding that allows (upstream's
    /// `authorizingVisitor`: `RBAC: allowed by <binding>`); `system:masters` is allowed
    /// without a reason, as upstream's privileged-group authorizer answers.
    fn authorize_reasoned(&self, attributes: &Attributes<'_>) -> Reasoned {
        let allowed = |allowed_reason| Reasoned {
            decision: Decision::Allow,
            allowed_reason,
        };
        if attributes.user.is_admin() {
            return allowed(String::new());
        }
        let mut source = None;
        let mut errors = Vec::new();
        let index = self.read();
        index.visit_rules_for(
            attributes.user,
            namespace_of(&attributes.request),
            |binding, rules| {
                match rules {
                    Ok(rules)
                        if rules
                            .iter()
                            .any(|r| r.allows(attributes.verb, &attributes.request)) =>
                    {
                        source = Some(binding);
                        return ControlFlow::Break(());
                    }
                    Ok(_) => {}
                    Err(e) => errors.push(e.to_string()),
                }
                ControlFlow::Continue(())
            },
        );
        if let Some(source) = source {
            return allowed(format!(
                "RBAC: allowed by {}",
                source.describe(attributes.user)
            ));
        }
        Reasoned {
            decision: no_opinion(&errors),
            allowed_reason: String::new(),
        }
    }

    fn rules_for(&self, user: &UserInfo, namespace: &str) -> RulesReview {
        let mut review = RulesReview::default();
        let mut errors = Vec::new();
        let mut visited = Vec::new();
        self.read()
            .visit_rules_for(user, namespace, |binding, rules| {
                if visited.contains(&binding.id()) {
                    return ControlFlow::Continue(());
                }
                visited.push(binding.id());
                match rules {
                    Ok(rules) => {
                        for rule in rules {
                            if !rule.resources.is_empty() {
                                review.resource_rules.push(ResourceRule {
                                    verbs: rule.verbs.clone(),
                                    api_groups: rule.api_groups.clone(),
                                    resources: rule.resources.clone(),
                                    resource_names: rule.resource_names.clone(),
                                });
                            }
                            if !rule.non_resource_urls.is_empty() {
                                review.non_resource_rules.push(NonResourceRule {
                                    verbs: rule.verbs.clone(),
                                    non_resource_urls: rule.non_resource_urls.clone(),
                                });
                            }
                        }
                    }
                    Err(e) => errors.push(e.to_string()),
                }
                ControlFlow::Continue(())
            });
        if !errors.is_empty() {
            review.incomplete = true;
            review.evaluation_error = aggregate(&errors);
        }
        review
    }
}
