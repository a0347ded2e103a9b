//! SubjectAccessReview (`pkg/registry/authorization/subjectaccessreview`): may a given user
//! or group do something anywhere in the cluster? Callers need `create` on
//! `subjectaccessreviews`.

use futures::future::BoxFuture;
use k8s_openapi::api::authorization::v1::SubjectAccessReview;
use serde_json::Value;

use super::super::{ResourceInfo, Review, Strategy, TypedSchema};
use crate::apiserver::errors::ApiError;
use crate::apiserver::validation::Issues;

/// `authorization.k8s.io/v1` `subjectaccessreviews`.
pub const SUBJECT_ACCESS_REVIEWS: ResourceInfo = ResourceInfo {
    group: super::GROUP,
    version: "v1",
    plural: "subjectaccessreviews",
    singular: "subjectaccessreview",
    kind: "SubjectAccessReview",
    list_kind: "SubjectAccessReviewList",
    namespaced: false,
    short_names: &[],
    categories: &[],
    verbs: super::REVIEW_VERBS,
    subresources: &[],
    create_only: true,
    strategy: &SubjectAccessReviewStrategy,
    schema: TypedSchema::of::<SubjectAccessReview>(),
};

/// Validates the spec (subject, exactly one kind of attributes, empty metadata) and asks
/// the authorizer about the spec's user.
pub struct SubjectAccessReviewStrategy;

impl Strategy for SubjectAccessReviewStrategy {
    fn normalize(&self, info: &ResourceInfo, object: &Value) -> Result<Value, ApiError> {
        super::super::normalize_as::<SubjectAccessReview>(info, object)
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
            super::validate_metadata(&object, false, &mut issues);
            super::check(info, issues)?;
            let status = super::decide(review.authorizer, &super::subject(&spec), &spec);
            Ok(super::answer(object, status))
        })
    }
}
