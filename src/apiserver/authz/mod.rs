//! Authorization: who may do what, decided after authentication and before admission.
//!
//! Follows k8s.io/apiserver/pkg/authorization/authorizer: a request's [`Attributes`]
//! (upstream's `AttributesRecord`), an [`Authorizer`] that answers a [`Decision`], and the
//! rule listing that `SelfSubjectRulesReview` reports ([`Authorizer::rules_for`], upstream's
//! `RuleResolver.RulesFor`).
//!
//! ```
//! use kube_sa::apiserver::authz::{Attributes, Authorizer, Decision, MastersOnly, Request};
//! use kube_sa::authn::UserInfo;
//!
//! let admin = UserInfo { username: "admin".into(), groups: vec!["system:masters".into()], ..Default::default() };
//! let other = UserInfo { username: "jane".into(), ..Default::default() };
//! let list_pods = |user| Attributes {
//!     user,
//!     verb: "list",
//!     request: Request::Resource {
//!         namespace: "default", api_group: "", api_version: "v1",
//!         resource: "pods", subresource: "", name: "",
//!     },
//! };
//! assert_eq!(MastersOnly.authorize(&list_pods(&admin)), Decision::Allow);
//! assert!(matches!(MastersOnly.authorize(&list_pods(&other)), Decision::NoOpinion(_)));
//! ```

use crate::authn::UserInfo;

use super::errors::ApiError;

pub mod rbac;

/// What a request asks to do (upstream's `authorizer.Attributes`).
#[derive(Debug, Clone, Copy)]
pub struct Attributes<'a> {
    /// Who asks (after impersonation, the impersonated user).
    pub user: &'a UserInfo,
    /// The lower-case verb: `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`,
    /// `deletecollection`, or a special verb (`impersonate`, `bind`, `escalate`, `use`);
    /// for non-resource requests the lower-case HTTP method (`get`, `post`, ...).
    pub verb: &'a str,
    /// What the verb applies to.
    pub request: Request<'a>,
}

/// The object of a request: a resource (possibly a subresource or a named object) or a
/// non-resource URL such as `/version` or `/apis`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request<'a> {
    /// A request on a resource; empty strings mean "not given" (cluster scope, the core
    /// group, no subresource, a collection).
    Resource {
        /// The namespace; empty for cluster-scoped resources and all-namespace lists.
        namespace: &'a str,
        /// The API group; empty for the core group.
        api_group: &'a str,
        /// The API version, e.g. `v1`.
        api_version: &'a str,
        /// The plural resource name, e.g. `pods`; for impersonation `users`, `groups`,
        /// `serviceaccounts`, `uids` or `userextras/<key>`.
        resource: &'a str,
        /// The subresource, e.g. `status` or `token`.
        subresource: &'a str,
        /// The object's name.
        name: &'a str,
    },
    /// A request on a path that is not a resource (`/healthz`, `/api`, `/openapi/v3`).
    NonResource {
        /// The request path, e.g. `/version`.
        path: &'a str,
    },
}

/// An authorizer's answer (upstream's `authorizer.Decision` with its reason).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The request may proceed.
    Allow,
    /// The request is refused, whatever other authorizers would say.
    Deny(String),
    /// This authorizer neither allows nor denies; the reason (often empty) is appended to
    /// the 403 message when no authorizer allows.
    NoOpinion(String),
}

/// A decision as an access review reports it: upstream's `Authorize` returns a reason with
/// every decision, an allow included (`RBAC: allowed by RoleBinding ...`), and
/// `SubjectAccessReview` copies it into `status.reason`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reasoned {
    /// The decision itself.
    pub decision: Decision,
    /// Why the request is allowed; empty when the authorizer gives no reason (the
    /// privileged-group authorizer of `system:masters`) or the request is not allowed
    /// (a refusal carries its reason in [`Decision`]).
    pub allowed_reason: String,
}

/// A rule on resources, as `SelfSubjectRulesReview` reports it
/// (authorization/v1 `ResourceRule`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceRule {
    /// Verbs, or `*`.
    pub verbs: Vec<String>,
    /// API groups, or `*`; `""` is the core group.
    pub api_groups: Vec<String>,
    /// Resources (`pods`, `pods/status`, `*`, `*/status`).
    pub resources: Vec<String>,
    /// Object names the rule is limited to; empty means all.
    pub resource_names: Vec<String>,
}

/// A rule on non-resource URLs (authorization/v1 `NonResourceRule`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NonResourceRule {
    /// Verbs, or `*`.
    pub verbs: Vec<String>,
    /// Paths, with a trailing `*` as a prefix match.
    pub non_resource_urls: Vec<String>,
}

/// Everything a user may do in a namespace (upstream's `RulesFor` result).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RulesReview {
    /// Rules on resources.
    pub resource_rules: Vec<ResourceRule>,
    /// Rules on non-resource URLs.
    pub non_resource_rules: Vec<NonResourceRule>,
    /// True when the list may be missing rules (an authorizer that cannot list them).
    pub incomplete: bool,
    /// Why the list is incomplete, if it is.
    pub evaluation_error: String,
}

/// Decides whether a request may proceed (upstream's `authorizer.Authorizer` plus
/// `authorizer.RuleResolver`). Called on every request, so it must be fast and must not
/// block: implementations keep their own indexes.
pub trait Authorizer: Send + Sync {
    /// The decision for one request.
    fn authorize(&self, attributes: &Attributes<'_>) -> Decision;

    /// The decision for an access review, with the reason of an allow. Separate from
    /// [`Authorizer::authorize`] because only reviews show the reason, and building it
    /// costs every request otherwise; the default gives no reason.
    fn authorize_reasoned(&self, attributes: &Attributes<'_>) -> Reasoned {
        Reasoned {
            decision: self.authorize(attributes),
            allowed_reason: String::new(),
        }
    }

    /// The rules `user` holds in `namespace` (empty: cluster-wide rules only).
    fn rules_for(&self, user: &UserInfo, namespace: &str) -> RulesReview;
}

/// Asks `authorizer`; a request it does not allow is a 403 with upstream's message
/// ([`ApiError::forbidden_request`]).
pub fn require(authorizer: &dyn Authorizer, attributes: &Attributes<'_>) -> Result<(), ApiError> {
    match authorizer.authorize(attributes) {
        Decision::Allow => Ok(()),
        Decision::Deny(reason) | Decision::NoOpinion(reason) => {
            Err(ApiError::forbidden_request(attributes, &reason))
        }
    }
}

/// An authorizer for a cluster without RBAC (the server's default is
/// [`rbac::RbacAuthorizer`]): members of `system:masters` may do anything; every user may
/// read the non-resource discovery and health paths and create the reviews about
/// themselves, `selfsubjectreviews`, `selfsubjectaccessreviews` and
/// `selfsubjectrulesreviews` (what upstream's `system:discovery`,
/// `system:public-info-viewer` and `system:basic-user` give every authenticated user);
/// the anonymous user (group `system:unauthenticated`) may only read the paths of
/// `system:public-info-viewer`, [`PUBLIC_INFO_PATHS`]; nothing else is allowed.
#[derive(Debug, Clone, Copy, Default)]
pub struct MastersOnly;

const MASTERS: &str = "system:masters";

/// The paths upstream's `system:public-info-viewer` lets everyone, the anonymous user
/// included, `get` (exactly these: no sub-checks such as `/readyz/ping`).
pub const PUBLIC_INFO_PATHS: &[&str] = &["/livez", "/readyz", "/healthz", "/version", "/version/"];

fn is_unauthenticated(user: &UserInfo) -> bool {
    user.groups
        .iter()
        .any(|g| g == crate::authn::UNAUTHENTICATED_GROUP)
}

/// What `system:basic-user` lets every user create: (API group, resources).
const BASIC_USER_CREATES: &[(&str, &[&str])] = &[
    (
        "authorization.k8s.io",
        &["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
    ),
    ("authentication.k8s.io", &["selfsubjectreviews"]),
];

impl Authorizer for MastersOnly {
    fn authorize(&self, attributes: &Attributes<'_>) -> Decision {
        if attributes.user.groups.iter().any(|g| g == MASTERS) {
            return Decision::Allow;
        }
        if is_unauthenticated(attributes.user) {
            return match attributes.request {
                Request::NonResource { path }
                    if attributes.verb == "get" && PUBLIC_INFO_PATHS.contains(&path) =>
                {
                    Decision::Allow
                }
                _ => Decision::NoOpinion(String::new()),
            };
        }
        match attributes.request {
            Request::NonResource { .. } if attributes.verb == "get" => Decision::Allow,
            Request::Resource {
                api_group,
                resource,
                subresource: "",
                ..
            } if attributes.verb == "create"
                && BASIC_USER_CREATES.iter().any(|(group, resources)| {
                    *group == api_group && resources.contains(&resource)
                }) =>
            {
                Decision::Allow
            }
            _ => Decision::NoOpinion(String::new()),
        }
    }

    fn rules_for(&self, user: &UserInfo, _namespace: &str) -> RulesReview {
        let all = || vec!["*".to_string()];
        if user.groups.iter().any(|g| g == MASTERS) {
            return RulesReview {
                resource_rules: vec![ResourceRule {
                    verbs: all(),
                    api_groups: all(),
                    resources: all(),
                    resource_names: Vec::new(),
                }],
                non_resource_rules: vec![NonResourceRule {
                    verbs: all(),
                    non_resource_urls: all(),
                }],
                ..RulesReview::default()
            };
        }
        if is_unauthenticated(user) {
            return RulesReview {
                non_resource_rules: vec![NonResourceRule {
                    verbs: vec!["get".into()],
                    non_resource_urls: PUBLIC_INFO_PATHS.iter().map(|p| p.to_string()).collect(),
                }],
                ..RulesReview::default()
            };
        }
        RulesReview {
            resource_rules: BASIC_USER_CREATES
                .iter()
                .map(|(group, resources)| ResourceRule {
                    verbs: vec!["create".into()],
                    api_groups: vec![group.to_string()],
                    resources: resources.iter().map(|r| r.to_string()).collect(),
                    resource_names: Vec::new(),
                })
                .collect(),
            non_resource_rules: vec![NonResourceRule {
                verbs: vec!["get".into()],
                non_resource_urls: all(),
            }],
            ..RulesReview::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> UserInfo {
        UserInfo {
            username: "system:serviceaccount:ns:sa".into(),
            ..UserInfo::default()
        }
    }

    fn resource<'a>(namespace: &'a str, subresource: &'a str, name: &'a str) -> Request<'a> {
        Request::Resource {
            namespace,
            api_group: "",
            api_version: "v1",
            resource: "serviceaccounts",
            subresource,
            name,
        }
    }

    #[test]
    fn forbidden_messages_are_upstreams() {
        let user = user();
        // (request, verb, reason, message, the Status's details)
        let cases = [
            (
                resource("ns", "", ""),
                "list",
                "",
                "serviceaccounts is forbidden: User \"system:serviceaccount:ns:sa\" cannot list resource \"serviceaccounts\" in API group \"\" in the namespace \"ns\"",
                serde_json::json!({"kind": "serviceaccounts"}),
            ),
            (
                resource("ns", "token", "default"),
                "create",
                "",
                "serviceaccounts \"default\" is forbidden: User \"system:serviceaccount:ns:sa\" cannot create resource \"serviceaccounts/token\" in API group \"\" in the namespace \"ns\"",
                serde_json::json!({"kind": "serviceaccounts", "name": "default"}),
            ),
            (
                resource("", "", ""),
                "watch",
                "no RBAC policy matched",
                "serviceaccounts is forbidden: User \"system:serviceaccount:ns:sa\" cannot watch resource \"serviceaccounts\" in API group \"\" at the cluster scope: no RBAC policy matched",
                serde_json::json!({"kind": "serviceaccounts"}),
            ),
            (
                Request::NonResource { path: "/metrics" },
                "get",
                "",
                "forbidden: User \"system:serviceaccount:ns:sa\" cannot get path \"/metrics\"",
                // NewForbidden always sets Details: a path's are all empty, `{}`.
                serde_json::json!({}),
            ),
        ];
        for (request, verb, reason, message, details) in cases {
            let attributes = Attributes {
                user: &user,
                verb,
                request,
            };
            let err = ApiError::forbidden_request(&attributes, reason);
            assert_eq!(err.code, 403);
            assert_eq!(err.reason, "Forbidden");
            assert_eq!(err.message, message);
            assert_eq!(err.to_status()["details"], details, "{message}");
        }
    }

    #[test]
    fn masters_only_allows_discovery_and_self_reviews_to_everyone() {
        let user = user();
        let ask = |verb, request| {
            MastersOnly.authorize(&Attributes {
                user: &user,
                verb,
                request,
            })
        };
        assert_eq!(
            ask("get", Request::NonResource { path: "/apis" }),
            Decision::Allow
        );
        assert_ne!(
            ask("post", Request::NonResource { path: "/apis" }),
            Decision::Allow
        );
        assert_ne!(ask("get", resource("ns", "", "")), Decision::Allow);
        let review = Request::Resource {
            namespace: "",
            api_group: "authentication.k8s.io",
            api_version: "v1",
            resource: "selfsubjectreviews",
            subresource: "",
            name: "",
        };
        assert_eq!(ask("create", review), Decision::Allow);
        for resource in ["selfsubjectaccessreviews", "selfsubjectrulesreviews"] {
            let review = Request::Resource {
                namespace: "",
                api_group: "authorization.k8s.io",
                api_version: "v1",
                resource,
                subresource: "",
                name: "",
            };
            assert_eq!(ask("create", review), Decision::Allow, "{resource}");
            assert_ne!(ask("list", review), Decision::Allow, "{resource}");
        }
        let others = Request::Resource {
            namespace: "",
            api_group: "authorization.k8s.io",
            api_version: "v1",
            resource: "subjectaccessreviews",
            subresource: "",
            name: "",
        };
        assert_ne!(ask("create", others), Decision::Allow);
        let rules = MastersOnly.rules_for(&user, "ns");
        assert!(rules
            .resource_rules
            .iter()
            .any(|rule| rule.api_groups == ["authorization.k8s.io"]
                && rule.resources == ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]));
    }

    #[test]
    fn masters_only_lets_the_anonymous_user_read_public_info_only() {
        let anonymous = crate::authn::anonymous_user();
        let ask = |verb, request| {
            MastersOnly.authorize(&Attributes {
                user: &anonymous,
                verb,
                request,
            })
        };
        for path in PUBLIC_INFO_PATHS {
            assert_eq!(
                ask("get", Request::NonResource { path }),
                Decision::Allow,
                "{path}"
            );
        }
        for path in ["/api", "/apis", "/openapi/v3", "/readyz/ping", "/metrics"] {
            assert_ne!(
                ask("get", Request::NonResource { path }),
                Decision::Allow,
                "{path}"
            );
        }
        assert_ne!(
            ask("post", Request::NonResource { path: "/version" }),
            Decision::Allow
        );
        let whoami = Request::Resource {
            namespace: "",
            api_group: "authentication.k8s.io",
            api_version: "v1",
            resource: "selfsubjectreviews",
            subresource: "",
            name: "",
        };
        assert_ne!(ask("create", whoami), Decision::Allow);
        let rules = MastersOnly.rules_for(&anonymous, "");
        assert!(rules.resource_rules.is_empty());
        assert_eq!(rules.non_resource_rules.len(), 1);
        assert_eq!(
            rules.non_resource_rules[0].non_resource_urls,
            PUBLIC_INFO_PATHS
        );
    }
}
