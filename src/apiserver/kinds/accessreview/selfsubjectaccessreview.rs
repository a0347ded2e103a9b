//! SelfSubjectAccessReview (`pkg/registry/authorization/selfsubjectaccessreview`): may I do
//! something? What `kubectl auth can-i VERB RESOURCE` asks. Every user may create one
//! (`system:basic-user`).

use futures::future::BoxFuture;
use k8s_openapi::api::authorization::v1::SelfSubjectAccessReview;
use serde_json::Value;

use super::super::{ResourceInfo, Review, Strategy, TypedSchema};
use crate::apiserver::errors::ApiError;
use crate::apiserver::validation::Issues;

/// `authorization.k8s.io/v1` `selfsubjectaccessreviews`.
pub const SELF_SUBJECT_ACCESS_REVIEWS: ResourceInfo = ResourceInfo {
    group: super::GROUP,
    version: "v1",
    plural: "selfsubjectaccessreviews",
    singular: "selfsubjectaccessreview",
    kind: "SelfSubjectAccessReview",
    list_kind: "SelfSubjectAccessReviewList",
    namespaced: false,
    short_names: &[],
    categories: &[],
    verbs: super::REVIEW_VERBS,
    subresources: &[],
    create_only: true,
    strategy: &SelfSubjectAccessReviewStrategy,
    schema: TypedSchema::of::<SelfSubjectAccessReview>(),
};

/// Validates the spec and asks the authorizer about the caller.
pub struct SelfSubjectAccessReviewStrategy;

impl Strategy for SelfSubjectAccessReviewStrategy {
    fn normalize(&self, info: &ResourceInfo, object: &Value) -> Result<Value, ApiError> {
        super::super::normalize_as::<SelfSubjectAccessReview>(info, object)
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
            super::validate_metadata(&object, false, &mut issues);
            super::check(info, issues)?;
            let status = super::decide(review.authorizer, &review.request.user, &spec);
            Ok(super::answer(object, status))
        })
    }
}
