//! A fixed bearer token for one fixed user (upstream's `token/tokenfile`, with one line).

use futures::future::BoxFuture;

use aws_lc_rs::constant_time::verify_slices_are_equal;

use super::{AuthResult, TokenAuthenticator, UserInfo};

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
        let matches = verify_slices_are_equal(token.as_bytes(), self.token.as_bytes()).is_ok();
        let user = self.user.clone();
        Box::pin(async move { Ok(matches.then_some(user)) })
    }
}
