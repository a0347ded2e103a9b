//! SelfSubjectReview (`authentication.k8s.io`, `pkg/registry/authentication/selfsubjectreview`):
//! create-only, answers who the caller is (`kubectl auth whoami`). Served at v1, and at
//! v1beta1 and v1alpha1, which kubectl 1.27 asks for.

use bytes::Bytes;
use serde_json::{json, Value};

use super::{ResourceInfo, Strategy};
use crate::apiserver::errors::ApiError;
use crate::apiserver::http::RequestContext;
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
    fn normalize(&self, info: &ResourceInfo, object: &Value) -> Result<Value, ApiError> {
        super::normalize_as::<SelfSubjectReview>(info, object)
    }

    /// kubectl sends the request as protobuf; its body carries nothing the answer depends
    /// on, so any encoding is accepted.
    fn create_review(
        &self,
        info: &ResourceInfo,
        ctx: &RequestContext,
        _body: &Bytes,
    ) -> Result<Value, ApiError> {
        let user = &ctx.user;
        let mut user_info = json!({"username": user.username, "groups": user.groups});
        if !user.uid.is_empty() {
            user_info["uid"] = json!(user.uid);
        }
        if !user.extra.is_empty() {
            user_info["extra"] = json!(user.extra);
        }
        Ok(json!({
            "kind": "SelfSubjectReview",
            "apiVersion": info.api_version(),
            "metadata": {"creationTimestamp": crate::apiserver::now_rfc3339()},
            "status": {"userInfo": user_info},
        }))
    }
}
