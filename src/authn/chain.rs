//! The union of authenticators, tried in order (upstream's `request/union`).

use std::sync::Arc;

use super::{AuthError, TokenAuthenticator, UserInfo};

/// Tries each authenticator in order; the first that recognises the token wins.
#[derive(Clone, Default)]
pub struct AuthenticationChain {
    links: Vec<Arc<dyn TokenAuthenticator>>,
}

impl AuthenticationChain {
    /// Appends an authenticator, asked after every one pushed before it.
    pub fn push(&mut self, link: Arc<dyn TokenAuthenticator>) {
        self.links.push(link);
    }

    /// `Ok(user)` with `system:authenticated` added, or the reason for a 401: the last
    /// error an authenticator gave, or "invalid bearer token" if none recognised it.
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
