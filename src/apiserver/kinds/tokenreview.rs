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
use crate::authn::{anonymous_user, bearer_token, intersect, Authenticated, BearerHeader};

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
    /// 500 `error validating audiences`. The token is read as upstream's storage reads it,
    /// from a made-up `Authorization: Bearer <spec.token>` header (see [`bearer_of`]).
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
            let header = format!("Bearer {token}");
            let outcome = match bearer_of(&header) {
                Some(bearer) => review.authenticator.review(bearer, &asked).await.map(Some),
                // No credentials: the anonymous user where the server allows one (upstream's
                // anonymous authenticator answers for the audiences the request asks for),
                // else nobody and no error.
                None if review.anonymous_auth => Ok(Some(Authenticated {
                    user: anonymous_user(),
                    audiences: wanted.clone(),
                })),
                None => Ok(None),
            };
            let mut status = Map::new();
            match outcome {
                Ok(Some(found)) => {
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
                Ok(None) => {
                    status.insert("user".into(), json!({}));
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

/// The bearer token in `header` as the request path reads it: upstream's storage hands the
/// authenticator `Authorization: Bearer <spec.token>`, so surrounding whitespace is trimmed
/// and anything after a space is dropped (`"T junk"` reviews as `T`), while a token that
/// starts with a space or is blank is no bearer token at all (None).
fn bearer_of(header: &str) -> Option<&str> {
    match bearer_token(Some(header)) {
        BearerHeader::Token(token) => Some(token),
        BearerHeader::Absent | BearerHeader::SpaceBeforeToken => None,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use http::{HeaderMap, Method};

    use super::*;
    use crate::apiserver::http::RequestContext;
    use crate::authn::{AuthenticationChain, StaticTokenAuthenticator, UserInfo};

    /// Reviews `token` against a chain that knows only the admin token `s3cret`.
    fn review(token: &str, anonymous_auth: bool) -> Result<Value, ApiError> {
        let ctx = RequestContext {
            method: Method::POST,
            user: UserInfo::default(),
            query: HashMap::new(),
            headers: HeaderMap::new(),
            warnings: Default::default(),
        };
        let mut chain = AuthenticationChain::default();
        chain.push(Arc::new(StaticTokenAuthenticator::admin("s3cret")));
        let review = Review {
            request: &ctx,
            namespace: "",
            authorizer: &crate::apiserver::authz::MastersOnly,
            authenticator: &chain,
            anonymous_auth,
            clock: &crate::clock::SystemClock,
        };
        let body = json!({
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenReview",
            "spec": {"token": token},
        });
        let object = TokenReviewStrategy.normalize(&TOKEN_REVIEWS, &body)?;
        futures::executor::block_on(TokenReviewStrategy.create_review(
            &TOKEN_REVIEWS,
            &review,
            object,
        ))
    }

    /// The token goes through the request path's bearer parsing, as upstream's storage puts
    /// it in a made-up `Authorization: Bearer` header: trimmed, cut at the first space.
    #[test]
    fn the_token_is_read_as_a_bearer_header_would_be() {
        for token in ["s3cret", "s3cret junk", "s3cret\n", "s3cret\t", "s3cret  x"] {
            let answer = review(token, true).unwrap_or_else(|e| panic!("{token:?}: {e:?}"));
            assert_eq!(answer["status"]["authenticated"], json!(true), "{token:?}");
            assert_eq!(answer["status"]["user"]["username"], "kube-sa:admin");
        }
        for token in ["s3cretx", "nope", "s3cret\tjunk", "\ts3cret "] {
            let answer = review(token, true).expect("a refusal is an answer");
            assert_eq!(
                answer["status"]["error"], "invalid bearer token",
                "{token:?}"
            );
            assert_eq!(answer["status"]["user"], json!({}));
            assert_eq!(answer["status"].get("authenticated"), None);
        }
    }

    /// A token that reads as no bearer token at all (a leading space, only whitespace) is a
    /// request without credentials: the anonymous user, for the audiences asked for, or,
    /// without anonymous authentication, nobody and no error.
    #[test]
    fn a_token_that_is_no_bearer_token_is_a_request_without_credentials() {
        for token in [" s3cret", "   ", "\n"] {
            let answer = review(token, true).expect("an answer");
            assert_eq!(
                answer["status"],
                json!({
                    "authenticated": true,
                    "user": {"username": "system:anonymous", "groups": ["system:unauthenticated"]},
                    "audiences": [crate::authn::DEFAULT_API_AUDIENCE],
                }),
                "{token:?}"
            );
            let answer = review(token, false).expect("an answer");
            assert_eq!(answer["status"], json!({"user": {}}), "{token:?}");
        }
    }
}
