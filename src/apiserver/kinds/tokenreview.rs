//! TokenReview (`authentication.k8s.io/v1`, `pkg/registry/authentication/tokenreview`):
//! create-only; runs `spec.token` through the server's authentication chain, for the
//! audiences in `spec.audiences` (the API audiences when none are given), and answers who
//! the token stands for. Webhook authenticators and proxies use it; callers need `create`
//! on `tokenreviews` (`system:auth-delegator`).

use futures::future::BoxFuture;
use k8s_openapi::api::authentication::v1::TokenReview;
use serde_json::{json, Map, Value};

use super::{ResourceInfo, Review, Strategy, TypedSchema};
use crate::apiserver::errors::ApiError;
use crate::apiserver::validation::{items, str_at};
use crate::authn::intersect;

/// `authentication.k8s.io/v1` `tokenreviews`.
pub const TOKEN_REVIEWS: ResourceInfo = ResourceInfo {
    group: "authentication.k8s.io",
    version: "v1",
    plural: "tokenreviews",
    singular: "tokenreview",
    kind: "TokenReview",
    list_kind: "TokenReviewList",
    namespaced: false,
    short_names: &[],
    categories: &[],
    verbs: &["create"],
    subresources: &[],
    create_only: true,
    strategy: &TokenReviewStrategy,
    schema: TypedSchema::of::<TokenReview>(),
};

/// The review strategy: nothing is stored; the request comes back with its status set.
pub struct TokenReviewStrategy;

impl Strategy for TokenReviewStrategy {
    fn normalize(&self, info: &ResourceInfo, object: &Value) -> Result<Value, ApiError> {
        super::normalize_as::<TokenReview>(info, object)
    }

    /// A refused token is not an error: the review answers `authenticated` unset, an empty
    /// `user` and the chain's `error` (`invalid bearer token` for a token no authenticator
    /// recognised). A token accepted without any of the audiences asked for is upstream's
    /// 500 `error validating audiences`.
    fn create_review<'a>(
        &'a self,
        _info: &'a ResourceInfo,
        review: &'a Review<'a>,
        mut object: Value,
    ) -> BoxFuture<'a, Result<Value, ApiError>> {
        Box::pin(async move {
            let token = str_at(&object, &["spec", "token"]).to_string();
            if token.is_empty() {
                return Err(ApiError::bad_request(
                    "token is required for TokenReview in authentication",
                ));
            }
            let asked: Vec<String> = items(object.pointer("/spec/audiences"))
                .iter()
                .map(|a| a.as_str().unwrap_or_default().to_string())
                .collect();
            let wanted = if asked.is_empty() {
                review.authenticator.api_audiences().to_vec()
            } else {
                asked.clone()
            };
            let mut status = Map::new();
            match review.authenticator.review(&token, &asked).await {
                Ok(found) => {
                    if !wanted.is_empty() && intersect(&found.audiences, &wanted).is_empty() {
                        tracing::error!(
                            want = ?wanted,
                            got = ?found.audiences,
                            "error validating audience"
                        );
                        return Err(ApiError::internal("error validating audiences").with_cause(
                            "",
                            "error validating audiences",
                            "",
                        ));
                    }
                    let user = &found.user;
                    let mut info = json!({"username": user.username, "groups": user.groups});
                    if !user.uid.is_empty() {
                        info["uid"] = json!(user.uid);
                    }
                    if !user.extra.is_empty() {
                        info["extra"] = json!(user.extra);
                    }
                    status.insert("authenticated".into(), json!(true));
                    status.insert("user".into(), info);
                    if !found.audiences.is_empty() {
                        status.insert("audiences".into(), json!(found.audiences));
                    }
                }
                Err(refusal) => {
                    status.insert("user".into(), json!({}));
                    status.insert("error".into(), json!(refusal.0));
                }
            }
            if let Some(map) = object.as_object_mut() {
                map.insert("status".into(), Value::Object(status));
            }
            Ok(object)
        })
    }
}
