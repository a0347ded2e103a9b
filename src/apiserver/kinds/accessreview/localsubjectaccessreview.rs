//! LocalSubjectAccessReview (`pkg/registry/authorization/localsubjectaccessreview`): a
//! SubjectAccessReview confined to the namespace of its URL, so that namespace admins can be
//! allowed to ask it. Callers need `create` on `localsubjectaccessreviews` there.

use futures::future::BoxFuture;
use k8s_openapi::api::authorization::v1::LocalSubjectAccessReview;
use serde_json::Value;

use super::super::{ResourceInfo, Review, Strategy, TypedSchema};
use crate::apiserver::errors::ApiError;
use crate::apiserver::validation::{str_at, str_of, Issues};

/// `authorization.k8s.io/v1` `localsubjectaccessreviews` (namespaced).
pub const LOCAL_SUBJECT_ACCESS_REVIEWS: ResourceInfo = ResourceInfo {
    group: super::GROUP,
    version: "v1",
    plural: "localsubjectaccessreviews",
    singular: "localsubjectaccessreview",
    kind: "LocalSubjectAccessReview",
    list_kind: "LocalSubjectAccessReviewList",
    namespaced: true,
    short_names: &[],
    categories: &[],
    verbs: super::REVIEW_VERBS,
    subresources: &[],
    create_only: true,
    strategy: &LocalSubjectAccessReviewStrategy,
    schema: TypedSchema::of::<LocalSubjectAccessReview>(),
};

/// As SubjectAccessReview, with `spec.resourceAttributes.namespace` bound to the review's
/// namespace and no non-resource attributes. The create handler has already made
/// `metadata.namespace` the URL's (or refused a different one), which upstream's storage
/// checks again.
pub struct LocalSubjectAccessReviewStrategy;

impl Strategy for LocalSubjectAccessReviewStrategy {
    fn normalize(&self, info: &ResourceInfo, object: &Value) -> Result<Value, ApiError> {
        super::super::normalize_as::<LocalSubjectAccessReview>(info, object)
    }

    fn create_review<'a>(
        &'a self,
        info: &'a ResourceInfo,
        review: &'a Review<'a>,
        object: Value,
    ) -> BoxFuture<'a, Result<Value, ApiError>> {
        Box::pin(async move {
            let spec = object.get("spec").cloned().unwrap_or_default();
            let mut issues = Issues::default();
            super::validate_attributes(&spec, &mut issues);
            super::validate_subject(&spec, &mut issues);
            super::validate_metadata(&object, true, &mut issues);
            let namespace = str_at(&object, &["metadata", "namespace"]);
            if let Some(attributes) = super::present(spec.get("resourceAttributes")) {
                let asked = str_of(attributes, "namespace");
                if asked != namespace {
                    issues.invalid(
                        "spec.resourceAttributes.namespace",
                        asked,
                        "must match metadata.namespace",
                    );
                }
            }
            if let Some(attributes) = super::present(spec.get("nonResourceAttributes")) {
                issues.invalid_rendered(
                    "spec.nonResourceAttributes",
                    super::go_non_resource_attributes(attributes),
                    "disallowed on this kind of request",
                );
            }
            super::check(info, issues)?;
            let status = super::decide(review.authorizer, &super::subject(&spec), &spec);
            Ok(super::answer(object, status))
        })
    }
}
