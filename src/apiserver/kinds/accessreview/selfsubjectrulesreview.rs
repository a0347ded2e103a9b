//! SelfSubjectRulesReview (`pkg/registry/authorization/selfsubjectrulesreview`): what may I
//! do in a namespace? What `kubectl auth can-i --list` shows. Every user may create one
//! (`system:basic-user`).

use futures::future::BoxFuture;
use k8s_openapi::api::authorization::v1::SelfSubjectRulesReview;
use serde_json::{json, Value};

use super::super::{ResourceInfo, Review, Strategy, TypedSchema};
use crate::apiserver::authz::{NonResourceRule, ResourceRule};
use crate::apiserver::errors::ApiError;
use crate::apiserver::validation::str_at;

/// `authorization.k8s.io/v1` `selfsubjectrulesreviews`.
pub const SELF_SUBJECT_RULES_REVIEWS: ResourceInfo = ResourceInfo {
    group: super::GROUP,
    version: "v1",
    plural: "selfsubjectrulesreviews",
    singular: "selfsubjectrulesreview",
    kind: "SelfSubjectRulesReview",
    list_kind: "SelfSubjectRulesReviewList",
    namespaced: false,
    short_names: &[],
    categories: &[],
    verbs: super::REVIEW_VERBS,
    subresources: &[],
    create_only: true,
    strategy: &SelfSubjectRulesReviewStrategy,
    schema: TypedSchema::of::<SelfSubjectRulesReview>(),
};

/// Lists the caller's rules in `spec.namespace` (required) from the authorizer.
pub struct SelfSubjectRulesReviewStrategy;

impl Strategy for SelfSubjectRulesReviewStrategy {
    fn normalize(&self, info: &ResourceInfo, object: &Value) -> Result<Value, ApiError> {
        super::super::normalize_as::<SelfSubjectRulesReview>(info, object)
    }

    /// Upstream answers a new object: empty metadata and spec, the rules in `status`.
    fn create_review<'a>(
        &'a self,
        info: &'a ResourceInfo,
        review: &'a Review<'a>,
        object: Value,
    ) -> BoxFuture<'a, Result<Value, ApiError>> {
        Box::pin(async move {
            let namespace = str_at(&object, &["spec", "namespace"]);
            if namespace.is_empty() {
                return Err(ApiError::bad_request("no namespace on request"));
            }
            let rules = review.authorizer.rules_for(&review.request.user, namespace);
            let mut status = json!({
                "resourceRules": rules.resource_rules.iter().map(resource_rule).collect::<Vec<_>>(),
                "nonResourceRules": rules.non_resource_rules.iter().map(non_resource_rule).collect::<Vec<_>>(),
                "incomplete": rules.incomplete,
            });
            if !rules.evaluation_error.is_empty() {
                status["evaluationError"] = json!(rules.evaluation_error);
            }
            Ok(json!({
                "kind": info.kind,
                "apiVersion": info.api_version(),
                "metadata": {},
                "spec": {},
                "status": status,
            }))
        })
    }
}

/// A `ResourceRule`, empty lists omitted as Go's `omitempty` does.
fn resource_rule(rule: &ResourceRule) -> Value {
    let mut out = json!({"verbs": rule.verbs});
    for (key, list) in [
        ("apiGroups", &rule.api_groups),
        ("resources", &rule.resources),
        ("resourceNames", &rule.resource_names),
    ] {
        if !list.is_empty() {
            out[key] = json!(list);
        }
    }
    out
}

/// A `NonResourceRule`, an empty URL list omitted.
fn non_resource_rule(rule: &NonResourceRule) -> Value {
    let mut out = json!({"verbs": rule.verbs});
    if !rule.non_resource_urls.is_empty() {
        out["nonResourceURLs"] = json!(rule.non_resource_urls);
    }
    out
}
