//! The union of authenticators, tried in order (upstream's `request/union` around
//! `token/union`, with `group.AuthenticatedGroupAdder` and the bearer-token authenticator's
//! default error).

use std::sync::Arc;

use super::{
    AudienceResult, Audiences, AuthError, Authenticated, TokenAuthenticator, UserInfo,
    INVALID_BEARER_TOKEN,
};

/// The API audiences of a cluster started without `--api-audiences`: kube-apiserver then
/// takes its `--service-account-issuer`, which kubeadm and kind set to this URL.
pub const DEFAULT_API_AUDIENCE: &str = "https://kubernetes.default.svc.cluster.local";

/// What every authenticated user belongs to.
const ALL_AUTHENTICATED: &str = "system:authenticated";

/// Tries each authenticator in order; the first that recognises the token wins.
#[derive(Clone)]
pub struct AuthenticationChain {
    links: Vec<Arc<dyn TokenAuthenticator>>,
    api_audiences: Vec<String>,
}

impl Default for AuthenticationChain {
    fn default() -> Self {
        Self {
            links: Vec::new(),
            api_audiences: vec![DEFAULT_API_AUDIENCE.to_string()],
        }
    }
}

impl AuthenticationChain {
    /// Appends an authenticator, asked after every one pushed before it.
    pub fn push(&mut self, link: Arc<dyn TokenAuthenticator>) {
        self.links.push(link);
    }

    /// Sets the API server's own audiences (`--api-audiences`); by default
    /// [`DEFAULT_API_AUDIENCE`].
    pub fn set_api_audiences(&mut self, audiences: Vec<String>) {
        self.api_audiences = audiences;
    }

    /// The API server's own audiences.
    pub fn api_audiences(&self) -> &[String] {
        &self.api_audiences
    }

    /// `Ok(user)` with `system:authenticated` added, or the reason for a 401: the errors of
    /// the authenticators that failed (Go's aggregate text), or "invalid bearer token" if
    /// none recognised the token. A request asks for the API audiences, as upstream's
    /// authentication filter puts them on its context: the question a TokenReview without
    /// audiences asks too, so that both find the same entry of a token cache.
    pub async fn authenticate(&self, token: &str) -> Result<UserInfo, AuthError> {
        let audiences = Audiences {
            requested: &self.api_audiences,
            api: &self.api_audiences,
        };
        let mut errors = Vec::new();
        for link in &self.links {
            match link.authenticate_for(token, audiences).await {
                Ok(Some(found)) => return Ok(with_authenticated_group(found.user)),
                Ok(None) => {}
                Err(e) => errors.push(e.0),
            }
        }
        Err(failure(errors))
    }

    /// The chain run for a TokenReview (upstream's `tokenreview` REST storage): the token is
    /// checked for `requested` audiences, the API audiences when none are given. Answers the
    /// user and the audiences it was accepted for, or the error text a review reports.
    pub async fn review(
        &self,
        token: &str,
        requested: &[String],
    ) -> Result<Authenticated, AuthError> {
        let audiences = Audiences {
            requested: if requested.is_empty() {
                &self.api_audiences
            } else {
                requested
            },
            api: &self.api_audiences,
        };
        let mut errors = Vec::new();
        for link in &self.links {
            let result: AudienceResult = link.authenticate_for(token, audiences).await;
            match result {
                Ok(Some(mut found)) => {
                    found.user = with_authenticated_group(found.user);
                    return Ok(found);
                }
                Ok(None) => {}
                Err(e) => errors.push(e.0),
            }
        }
        Err(failure(errors))
    }
}

fn with_authenticated_group(mut user: UserInfo) -> UserInfo {
    if !user.groups.iter().any(|g| g == ALL_AUTHENTICATED) {
        user.groups.push(ALL_AUTHENTICATED.to_string());
    }
    user
}

/// Go's `utilerrors.NewAggregate(errs).Error()`: one message alone, several (repeats
/// dropped) as `[a, b]`; no error at all is the bearer-token authenticator's default.
fn failure(errors: Vec<String>) -> AuthError {
    let mut distinct: Vec<String> = Vec::new();
    for error in errors {
        if !distinct.contains(&error) {
            distinct.push(error);
        }
    }
    AuthError(match distinct.as_slice() {
        [] => INVALID_BEARER_TOKEN.to_string(),
        [one] => one.clone(),
        many => format!("[{}]", many.join(", ")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authn::{AuthResult, StaticTokenAuthenticator};
    use futures::future::BoxFuture;
    use std::time::Duration;

    /// Refuses every token with a fixed error.
    struct Failing(&'static str);

    impl TokenAuthenticator for Failing {
        fn authenticate<'a>(&'a self, _token: &'a str) -> BoxFuture<'a, AuthResult> {
            let error = AuthError(self.0.to_string());
            Box::pin(async move { Err(error) })
        }
    }

    fn chain(links: Vec<Arc<dyn TokenAuthenticator>>) -> AuthenticationChain {
        let mut chain = AuthenticationChain::default();
        for link in links {
            chain.push(link);
        }
        chain
    }

    #[test]
    fn errors_aggregate_as_go_prints_them() {
        let cases: Vec<(Vec<Arc<dyn TokenAuthenticator>>, &str)> = vec![
            (vec![], "invalid bearer token"),
            (vec![Arc::new(Failing("a"))], "a"),
            (
                vec![Arc::new(Failing("a")), Arc::new(Failing("b"))],
                "[a, b]",
            ),
            (vec![Arc::new(Failing("a")), Arc::new(Failing("a"))], "a"),
        ];
        for (links, want) in cases {
            let chain = chain(links);
            let got = futures::executor::block_on(chain.authenticate("t")).unwrap_err();
            assert_eq!(got.0, want);
            let got = futures::executor::block_on(chain.review("t", &[])).unwrap_err();
            assert_eq!(got.0, want);
        }
    }

    /// Accepts every token, counting how often it was asked.
    #[derive(Default)]
    struct Counting(std::sync::atomic::AtomicUsize);

    impl TokenAuthenticator for Counting {
        fn authenticate<'a>(&'a self, _token: &'a str) -> BoxFuture<'a, AuthResult> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Box::pin(async {
                Ok(Some(UserInfo {
                    username: "u".into(),
                    ..Default::default()
                }))
            })
        }
    }

    #[test]
    fn requests_and_token_reviews_share_the_token_cache() {
        use crate::authn::cache::{CachedTokenAuthenticator, DEFAULT_SUCCESS_TTL};
        use std::sync::atomic::Ordering;
        for (ttl, calls) in [
            (DEFAULT_SUCCESS_TTL, [1, 1, 1, 2]),
            (Duration::ZERO, [1, 2, 3, 4]),
        ] {
            let counting = Arc::new(Counting::default());
            let chain = chain(vec![Arc::new(CachedTokenAuthenticator::new(
                vec![counting.clone()],
                ttl,
            ))]);
            let asked = || counting.0.load(Ordering::SeqCst);
            let api = [DEFAULT_API_AUDIENCE.to_string()];
            futures::executor::block_on(chain.authenticate("t")).expect("request");
            assert_eq!(asked(), calls[0], "{ttl:?}: request");
            futures::executor::block_on(chain.review("t", &[])).expect("review");
            assert_eq!(asked(), calls[1], "{ttl:?}: review without audiences");
            futures::executor::block_on(chain.review("t", &api)).expect("review");
            assert_eq!(asked(), calls[2], "{ttl:?}: review for the API audiences");
            let other = ["other".to_string(), DEFAULT_API_AUDIENCE.to_string()];
            futures::executor::block_on(chain.review("t", &other)).expect("review");
            assert_eq!(asked(), calls[3], "{ttl:?}: review for other audiences");
        }
    }

    #[test]
    fn an_audience_agnostic_token_is_good_for_the_api_audiences_only() {
        let chain = chain(vec![Arc::new(StaticTokenAuthenticator::admin("s3cret"))]);
        let review = |audiences: &[&str]| {
            let audiences: Vec<String> = audiences.iter().map(|a| a.to_string()).collect();
            futures::executor::block_on(chain.review("s3cret", &audiences))
        };
        let found = review(&[]).expect("API audiences");
        assert_eq!(found.audiences, [DEFAULT_API_AUDIENCE]);
        assert_eq!(
            found.user.groups,
            ["system:masters", "system:authenticated"]
        );
        let found = review(&["other", DEFAULT_API_AUDIENCE]).expect("one API audience");
        assert_eq!(found.audiences, [DEFAULT_API_AUDIENCE]);
        assert_eq!(review(&["other"]).unwrap_err().0, "invalid bearer token");
    }
}
