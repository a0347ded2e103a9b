//! Authentication: bearer tokens in, a user out. Shared by the API server, which runs the
//! chain on every request, and by [`crate::serviceaccount`], whose token authenticator is
//! one link of it.
//!
//! Follows k8s.io/apiserver/pkg/authentication: `user.Info` ([`UserInfo`]),
//! `authenticator.Token` ([`TokenAuthenticator`]), `request/union` ([`AuthenticationChain`]),
//! `token/tokenfile` ([`StaticTokenAuthenticator`]), the loopback-token authenticator
//! ([`LoopbackTokenAuthenticator`]), `request/bearertoken`
//! ([`bearer_token`]) and `request/anonymous` ([`anonymous_user`]).
//!
//! ```
//! use std::sync::Arc;
//! use kube_sa::authn::{AuthenticationChain, StaticTokenAuthenticator};
//!
//! let mut chain = AuthenticationChain::default();
//! chain.push(Arc::new(StaticTokenAuthenticator::admin("s3cret")));
//! let user = futures::executor::block_on(chain.authenticate("s3cret")).unwrap();
//! assert_eq!(user.username, "kube-sa:admin");
//! assert!(user.groups.contains(&"system:authenticated".to_string()));
//! assert!(futures::executor::block_on(chain.authenticate("wrong")).is_err());
//! ```

pub mod anonymous;
mod bearer;
pub mod cache;
mod chain;
mod loopback;
mod static_token;
pub mod warnings;

pub use anonymous::{anonymous_user, ANONYMOUS_USER, UNAUTHENTICATED_GROUP};
pub use bearer::{bearer_token, BearerHeader, SPACE_BEFORE_TOKEN_WARNING};
pub use cache::CachedTokenAuthenticator;
pub use chain::{AuthenticationChain, DEFAULT_API_AUDIENCE};
pub use loopback::{LoopbackTokenAuthenticator, INVALID_BEARER_TOKEN};
pub use static_token::StaticTokenAuthenticator;

use futures::future::BoxFuture;

/// Who made a request (upstream's `user.DefaultInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserInfo {
    /// The name authorization and audit see, e.g. `system:serviceaccount:NS:NAME`.
    pub username: String,
    /// A unique, stable identifier (the service account's UID for account tokens).
    pub uid: String,
    /// Groups the user belongs to; the chain adds `system:authenticated`.
    pub groups: Vec<String>,
    /// Further attributes an authenticator recorded (e.g. the bound pod of a token).
    pub extra: std::collections::BTreeMap<String, Vec<String>>,
}

impl UserInfo {
    /// True for members of `system:masters`, who may do anything.
    pub fn is_admin(&self) -> bool {
        self.groups.iter().any(|g| g == "system:masters")
    }
}

/// Why a token was rejected; it becomes a 401 and a log line, never a message to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AuthError(pub String);

/// Result of one authenticator: `Ok(None)` means "not mine, ask the next".
pub type AuthResult = Result<Option<UserInfo>, AuthError>;

/// A user together with the audiences the token was accepted for (upstream's
/// `authenticator.Response`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Authenticated {
    /// Who the token stands for.
    pub user: UserInfo,
    /// The requested audiences the token is good for; empty when none were asked for.
    pub audiences: Vec<String>,
}

/// Result of one authenticator asked for audiences: `Ok(None)` means "not mine, or not for
/// these audiences; ask the next".
pub type AudienceResult = Result<Option<Authenticated>, AuthError>;

/// The audiences of one authentication (upstream's `authenticator.WithAudiences` on the
/// request context, and the server's `--api-audiences`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Audiences<'a> {
    /// What the caller asks the token to be good for; empty: nothing asked, any audience.
    pub requested: &'a [String],
    /// The API server's own audiences, which tokens without audiences of their own (the
    /// admin token, legacy service-account tokens) are implicitly issued for.
    pub api: &'a [String],
}

/// The members of `wanted` that `have` contains, in `wanted`'s order (upstream's
/// `Audiences.Intersect`).
pub fn intersect(have: &[String], wanted: &[String]) -> Vec<String> {
    wanted
        .iter()
        .filter(|audience| have.contains(audience))
        .cloned()
        .collect()
}

/// One link of the chain (upstream's `authenticator.Token`).
pub trait TokenAuthenticator: Send + Sync {
    /// `Ok(Some(user))` if the token is recognised and valid, `Ok(None)` if it is not this
    /// authenticator's kind of token, `Err` if it is but fails verification.
    fn authenticate<'a>(&'a self, token: &'a str) -> BoxFuture<'a, AuthResult>;

    /// As [`authenticate`](Self::authenticate), for `audiences`. The default treats the
    /// authenticator as audience-agnostic, as upstream's `WrapAudienceAgnosticToken` does:
    /// its tokens are good for the API audiences only, so a request for none of them is
    /// "not mine" (`Ok(None)`), and an accepted token reports the requested API audiences.
    fn authenticate_for<'a>(
        &'a self,
        token: &'a str,
        audiences: Audiences<'a>,
    ) -> BoxFuture<'a, AudienceResult> {
        Box::pin(async move {
            if audiences.requested.is_empty() {
                return Ok(self.authenticate(token).await?.map(|user| Authenticated {
                    user,
                    audiences: Vec::new(),
                }));
            }
            let granted = intersect(audiences.api, audiences.requested);
            if granted.is_empty() {
                return Ok(None);
            }
            Ok(self.authenticate(token).await?.map(|user| Authenticated {
                user,
                audiences: granted,
            }))
        })
    }
}
