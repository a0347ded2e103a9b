//! The token-result cache kube-apiserver puts around its token authenticators
//! (k8s.io/apiserver/pkg/authentication/token/cache, `NewBuiltInAuthenticationOptions`:
//! successes for 10 s, failures not at all), here around a group of authenticators tried
//! in order (upstream's `token/union`).
//!
//! Entries are keyed by the SHA-256 of the token and the requested audiences, and expire on
//! the monotonic clock: the cache saves lookups in real time, whatever Kubernetes time the
//! authenticators measure token lifetimes on. A revoked token can keep working until its
//! entry expires, as upstream; a TTL of zero turns the cache off.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;

use super::{AudienceResult, Audiences, AuthError, AuthResult, Authenticated, TokenAuthenticator};

/// Upstream's success TTL.
pub const DEFAULT_SUCCESS_TTL: Duration = Duration::from_secs(10);

/// Most entries kept; the oldest expire first when full.
const MAX_ENTRIES: usize = 4096;

type Key = ([u8; 32], Vec<String>);

/// A remembered success and the warnings its authentication gave, replayed on each hit.
type Entry = (Instant, Authenticated, Vec<String>);

/// Tries `links` in order and remembers successes for `ttl`.
pub struct CachedTokenAuthenticator {
    links: Vec<Arc<dyn TokenAuthenticator>>,
    ttl: Duration,
    entries: Mutex<HashMap<Key, Entry>>,
}

impl CachedTokenAuthenticator {
    /// The union of `links`, successes cached for `ttl` (zero: no cache).
    pub fn new(links: Vec<Arc<dyn TokenAuthenticator>>, ttl: Duration) -> Self {
        Self {
            links,
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn key(token: &str, audiences: Audiences<'_>) -> Key {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
        let mut hash = [0u8; 32];
        hash.copy_from_slice(digest.as_ref());
        (hash, audiences.requested.to_vec())
    }

    fn cached(&self, key: &Key) -> Option<(Authenticated, Vec<String>)> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|(expires, _, _)| Instant::now() < *expires)
            .map(|(_, found, warnings)| (found.clone(), warnings.clone()))
    }

    fn remember(&self, key: Key, found: &Authenticated, warnings: Vec<String>) {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|_, (expires, _, _)| now < *expires);
        if entries.len() >= MAX_ENTRIES {
            return;
        }
        entries.insert(key, (now + self.ttl, found.clone(), warnings));
    }

    async fn run(&self, token: &str, audiences: Audiences<'_>) -> AudienceResult {
        let key = (!self.ttl.is_zero()).then(|| Self::key(token, audiences));
        if let Some((found, warnings)) = key.as_ref().and_then(|key| self.cached(key)) {
            for text in &warnings {
                super::warnings::record(text);
            }
            return Ok(Some(found));
        }
        let mut errors: Vec<String> = Vec::new();
        for link in &self.links {
            let (result, warnings) =
                super::warnings::collect(link.authenticate_for(token, audiences)).await;
            for text in &warnings {
                super::warnings::record(text);
            }
            match result {
                Ok(Some(found)) => {
                    if let Some(key) = key {
                        self.remember(key, &found, warnings);
                    }
                    return Ok(Some(found));
                }
                Ok(None) => {}
                Err(e) => {
                    if !errors.contains(&e.0) {
                        errors.push(e.0);
                    }
                }
            }
        }
        match errors.as_slice() {
            [] => Ok(None),
            [one] => Err(AuthError(one.clone())),
            many => Err(AuthError(format!("[{}]", many.join(", ")))),
        }
    }
}

impl TokenAuthenticator for CachedTokenAuthenticator {
    fn authenticate<'a>(&'a self, token: &'a str) -> BoxFuture<'a, AuthResult> {
        Box::pin(async move {
            Ok(self
                .run(token, Audiences::default())
                .await?
                .map(|found| found.user))
        })
    }

    fn authenticate_for<'a>(
        &'a self,
        token: &'a str,
        audiences: Audiences<'a>,
    ) -> BoxFuture<'a, AudienceResult> {
        Box::pin(self.run(token, audiences))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authn::UserInfo;
    use futures::executor::block_on;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Accepts "good" (counting calls), refuses "bad" with an error.
    #[derive(Default)]
    struct Counting(AtomicUsize);

    impl TokenAuthenticator for Counting {
        fn authenticate<'a>(&'a self, token: &'a str) -> BoxFuture<'a, AuthResult> {
            self.0.fetch_add(1, Ordering::SeqCst);
            let result = match token {
                "good" => Ok(Some(UserInfo {
                    username: "u".into(),
                    ..Default::default()
                })),
                "bad" => Err(AuthError("refused".into())),
                _ => Ok(None),
            };
            Box::pin(async move { result })
        }
    }

    #[test]
    fn successes_are_cached_for_the_ttl_and_failures_not_at_all() {
        for (ttl, calls_after_two) in [(DEFAULT_SUCCESS_TTL, 1), (Duration::ZERO, 2)] {
            let counting = Arc::new(Counting::default());
            let cache = CachedTokenAuthenticator::new(vec![counting.clone()], ttl);
            for _ in 0..2 {
                let user = block_on(cache.authenticate("good")).unwrap().unwrap();
                assert_eq!(user.username, "u");
            }
            assert_eq!(
                counting.0.load(Ordering::SeqCst),
                calls_after_two,
                "{ttl:?}"
            );
            for _ in 0..2 {
                assert_eq!(
                    block_on(cache.authenticate("bad")).unwrap_err().0,
                    "refused"
                );
            }
            assert_eq!(counting.0.load(Ordering::SeqCst), calls_after_two + 2);
            assert_eq!(block_on(cache.authenticate("other")), Ok(None));
        }
    }

    #[test]
    fn errors_of_several_links_aggregate() {
        let cache = CachedTokenAuthenticator::new(
            vec![Arc::new(Counting::default()), Arc::new(Counting::default())],
            Duration::ZERO,
        );
        assert_eq!(
            block_on(cache.authenticate("bad")).unwrap_err().0,
            "refused"
        );
    }
}
