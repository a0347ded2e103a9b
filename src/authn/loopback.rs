//! kube-apiserver's loopback-token authenticator: the request authenticator that
//! `AuthorizeClientBearerToken` (in 1.8, `Config.Complete`) puts in front of all others,
//! accepting only the API server's own loopback token. For every other token it says
//! `invalid bearer token`, and the union keeps that beside the other authenticators'
//! errors, so a token a service-account authenticator refuses fails with `[invalid bearer
//! token, service account token has expired]`, as clusters log it. kube-sa's own components
//! use the admin token, so this link accepts nothing.

use futures::future::BoxFuture;

use super::{AudienceResult, Audiences, AuthError, AuthResult, TokenAuthenticator};

/// The error of the bearer-token authenticator for a token it does not accept.
pub const INVALID_BEARER_TOKEN: &str = "invalid bearer token";

/// Refuses every token with [`INVALID_BEARER_TOKEN`]; the API server's first link.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoopbackTokenAuthenticator;

impl TokenAuthenticator for LoopbackTokenAuthenticator {
    fn authenticate<'a>(&'a self, _token: &'a str) -> BoxFuture<'a, AuthResult> {
        Box::pin(async { Err(AuthError(INVALID_BEARER_TOKEN.to_string())) })
    }

    /// The same refusal for any audiences: upstream's token authenticator is
    /// audience-agnostic, but the bearer-token authenticator around it turns its "not mine"
    /// into `invalid bearer token` too.
    fn authenticate_for<'a>(
        &'a self,
        token: &'a str,
        _audiences: Audiences<'a>,
    ) -> BoxFuture<'a, AudienceResult> {
        Box::pin(async move { self.authenticate(token).await.map(|_| None) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authn::{AuthenticationChain, StaticTokenAuthenticator};
    use std::sync::Arc;

    /// In front of the other links, as the API server puts it: its refusal joins theirs.
    #[test]
    fn its_refusal_is_part_of_every_failure() {
        let mut chain = AuthenticationChain::default();
        chain.push(Arc::new(LoopbackTokenAuthenticator));
        chain.push(Arc::new(StaticTokenAuthenticator::admin("s3cret")));
        let review = |token: &str, audiences: &[&str]| {
            let audiences: Vec<String> = audiences.iter().map(|a| a.to_string()).collect();
            futures::executor::block_on(chain.review(token, &audiences))
        };
        assert!(review("s3cret", &[]).is_ok());
        assert_eq!(review("other", &[]).unwrap_err().0, INVALID_BEARER_TOKEN);
        assert_eq!(
            review("s3cret", &["vault"]).unwrap_err().0,
            INVALID_BEARER_TOKEN
        );
    }
}
