//! The authentication chain: bearer tokens in, a user out.

use aws_lc_rs::constant_time::verify_slices_are_equal;
use futures::future::BoxFuture;
use std::sync::Arc;

/// Who made a request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserInfo {
    pub username: String,
    pub uid: String,
    pub groups: Vec<String>,
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

/// One link of the chain.
pub trait TokenAuthenticator: Send + Sync {
    fn authenticate<'a>(&'a self, token: &'a str) -> BoxFuture<'a, AuthResult>;
}

/// The admin bearer token written into the kubeconfig.
#[derive(Debug, Clone)]
pub struct StaticTokenAuthenticator {
    token: String,
    user: UserInfo,
}

impl StaticTokenAuthenticator {
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
        // Constant time, so a wrong token does not reveal how much of it was right.
        let matches = verify_slices_are_equal(token.as_bytes(), self.token.as_bytes()).is_ok();
        let user = self.user.clone();
        Box::pin(async move { Ok(matches.then_some(user)) })
    }
}

/// Tries each authenticator in order; the first that recognises the token wins.
#[derive(Clone, Default)]
pub struct AuthenticationChain {
    links: Vec<Arc<dyn TokenAuthenticator>>,
}

impl AuthenticationChain {
    pub fn push(&mut self, link: Arc<dyn TokenAuthenticator>) {
        self.links.push(link);
    }

    /// `Ok(user)` with `system:authenticated` added, or the reason for a 401.
    pub async fn authenticate(&self, token: &str) -> Result<UserInfo, AuthError> {
        let mut last_error = None;
        for link in &self.links {
            match link.authenticate(token).await {
                Ok(Some(mut user)) => {
                    if !user.groups.iter().any(|g| g == "system:authenticated") {
                        user.groups.push("system:authenticated".to_string());
                    }
                    return Ok(user);
                }
                Ok(None) => {}
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| AuthError("invalid bearer token".to_string())))
    }
}
