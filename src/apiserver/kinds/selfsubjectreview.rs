//! SelfSubjectReview (`authentication.k8s.io`, `pkg/registry/authentication/selfsubjectreview`):
//! create-only, answers who the caller is (`kubectl auth whoami`). Served at v1, and at
//! v1beta1 and v1alpha1, which kubectl 1.27 asks for.

use futures::future::BoxFuture;
use serde_json::{json, Value};

use super::{ResourceInfo, Review, Strategy};
use crate::apiserver::errors::ApiError;
use k8s_openapi::api::authentication::v1::SelfSubjectReview;

/// `authentication.k8s.io/v1` `selfsubjectreviews`.
pub const SELF_SUBJECT_REVIEWS: ResourceInfo = ResourceInfo {
    group: "authentication.k8s.io",
    version: "v1",
    plural: "selfsubjectreviews",
    singular: "selfsubjectreview",
    kind: "SelfSubjectReview",
    list_kind: "SelfSubjectReviewList",
    namespaced: false,
    short_names: &[],
    categories: &[],
    verbs: &["create"],
    subresources: &[],
    create_only: true,
    strategy: &SelfSubjectReviewStrategy,
    schema: super::TypedSchema::of::<SelfSubjectReview>(),
};

/// The beta of the review, which kubectl 1.27 asks for.
pub const SELF_SUBJECT_REVIEWS_V1BETA1: ResourceInfo = ResourceInfo {
    version: "v1beta1",
    ..SELF_SUBJECT_REVIEWS
};

/// The alpha of the review.
pub const SELF_SUBJECT_REVIEWS_V1ALPHA1: ResourceInfo = ResourceInfo {
    version: "v1alpha1",
    ..SELF_SUBJECT_REVIEWS
};

/// The review strategy: nothing is stored.
pub struct SelfSubjectReviewStrategy;

impl Strategy for SelfSubjectReviewStrategy {
    /// The beta and the alpha have the v1 shape, and k8s-openapi only the v1 type: they
    /// round-trip through it under their own apiVersion.
    fn normalize(&self, info: &ResourceInfo, object: &Value) -> Result<Value, ApiError> {
        let v1 = SELF_SUBJECT_REVIEWS.api_version();
        let mut as_v1 = object.clone();
        if let Some(map) = as_v1.as_object_mut() {
            map.insert("apiVersion".into(), json!(v1));
        }
        let mut normalized = super::normalize_as::<SelfSubjectReview>(info, &as_v1)?;
        if let Some(map) = normalized.as_object_mut() {
            map.insert("apiVersion".into(), json!(info.api_version()));
        }
        Ok(normalized)
    }

    /// Who the caller is; the request's body carries nothing the answer depends on.
    fn create_review<'a>(
        &'a self,
        info: &'a ResourceInfo,
        review: &'a Review<'a>,
        _object: Value,
    ) -> BoxFuture<'a, Result<Value, ApiError>> {
        let user = &review.request.user;
        let mut user_info = json!({"username": user.username, "groups": user.groups});
        if !user.uid.is_empty() {
            user_info["uid"] = json!(user.uid);
        }
        if !user.extra.is_empty() {
            user_info["extra"] = json!(user.extra);
        }
        let answer = json!({
            "kind": "SelfSubjectReview",
            "apiVersion": info.api_version(),
            "metadata": {"creationTimestamp": crate::apiserver::now_rfc3339(review.clock)},
            "status": {"userInfo": user_info},
        });
        Box::pin(async move { Ok(answer) })
    }
}
