//! A fixed bearer token for one fixed user (upstream's `token/tokenfile`, with one line).

use futures::future::BoxFuture;

use super::{constant_time_eq, AuthResult, TokenAuthenticator, UserInfo};

/// The admin bearer token written into the kubeconfig.
#[derive(Debug, Clone)]
pub struct StaticTokenAuthenticator {
    token: String,
    user: UserInfo,
}

impl StaticTokenAuthenticator {
    /// Accepts `token` as `kube-sa:admin`, a member of `system:masters`.
    pub fn admin(token: impl Into<String>) -> Self {
        Self {
            token: token.into(),
            user: UserInfo {
                username: "kube-sa:admin".to_string(),
                uid: "kube-sa-admin".to_string(),
                groups: vec!["system:masters".to_string()],
                extra: Default::default(),
            },
        }
    }
}

impl TokenAuthenticator for StaticTokenAuthenticator {
    fn authenticate<'a>(&'a self, token: &'a str) -> BoxFuture<'a, AuthResult> {
        let matches = constant_time_eq(token.as_bytes(), self.token.as_bytes());
        let user = self.user.clone();
        Box::pin(async move { Ok(matches.then_some(user)) })
    }
}
