//! Reads that ask for a resource version the server has not reached yet, as upstream's
//! watch cache answers them (`waitUntilFreshAndBlock` in
//! `staging/src/k8s.io/apiserver/pkg/storage/cacher/watch_cache.go`): the get, list or
//! watch with `sendInitialEvents` waits up to 3 s for the store to get there (any other
//! watch opens at once, [`super::super::watch`]), then fails with
//! `504 Timeout: Too large resource version: <asked>, current: <current>` (a
//! `ResourceVersionTooLarge` cause, retry after 1 s), which client-go's reflector
//! recognises and answers by listing again. The watch gets that Status as the one ERROR
//! event of a 200 answer instead, as upstream's `newErrWatcher` sends it.

use std::time::Duration;

use super::super::errors::ApiError;
use super::super::kinds::NAMESPACES;
use super::super::store::Store;

/// How long a read waits for the store to reach the asked version (upstream's
/// `blockTimeout`).
const BLOCK_TIMEOUT: Duration = Duration::from_secs(3);

/// Waits until the store's revision is at least `resource_version` (a read's
/// `resourceVersion` parameter; `None`, `""`, `"0"` and non-numbers, `+5` included, ask
/// for nothing here: the reader refuses them).
///
/// Errors: the 504 above when the deadline passes first.
pub(super) async fn wait_until_fresh(
    store: &Store,
    resource_version: Option<&str>,
) -> Result<(), ApiError> {
    let Some(asked) = resource_version.and_then(|v| super::super::resource_version::parse(v).ok())
    else {
        return Ok(());
    };
    if asked == 0 || store.revision() >= asked {
        return Ok(());
    }
    // Subscribed before the revision is read again, so no write falls in between.
    let Ok(mut events) = store.subscribe(&NAMESPACES, None) else {
        return Err(too_large(asked, store.revision()));
    };
    let deadline = tokio::time::sleep(BLOCK_TIMEOUT);
    tokio::pin!(deadline);
    loop {
        if store.revision() >= asked {
            return Ok(());
        }
        tokio::select! {
            received = events.live.recv() => {
                if let Err(tokio::sync::broadcast::error::RecvError::Closed) = received {
                    break;
                }
            }
            () = &mut deadline => break,
        }
    }
    if store.revision() >= asked {
        return Ok(());
    }
    Err(too_large(asked, store.revision()))
}

/// `storage.NewTooLargeResourceVersionError(asked, current, 1)`.
fn too_large(asked: u64, current: u64) -> ApiError {
    let mut err = ApiError::new(
        504,
        "Timeout",
        format!("Timeout: Too large resource version: {asked}, current: {current}"),
    )
    .with_cause("ResourceVersionTooLarge", "Too large resource version", "");
    err.retry_after_seconds = Some(1);
    err
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn a_version_not_reached_waits_for_the_store_or_times_out() {
        let store = std::sync::Arc::new(Store::new(100));
        let current = store.revision();
        for asked in [None, Some(""), Some("0"), Some("abc")] {
            assert!(wait_until_fresh(&store, asked).await.is_ok(), "{asked:?}");
        }
        assert!(wait_until_fresh(&store, Some(&current.to_string()))
            .await
            .is_ok());

        // Reached by a write made while the read waits.
        let next = (current + 1).to_string();
        let writer = {
            let store = store.clone();
            tokio::spawn(async move {
                tokio::task::yield_now().await;
                store
                    .create(
                        &NAMESPACES,
                        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}),
                    )
                    .map(|_| ())
            })
        };
        assert!(wait_until_fresh(&store, Some(&next)).await.is_ok());
        writer.await.expect("joined").expect("created");

        tokio::time::pause();
        let far = store.revision() + 100;
        let err = wait_until_fresh(&store, Some(&far.to_string()))
            .await
            .expect_err("never reached");
        assert_eq!((err.code, err.reason.as_str()), (504, "Timeout"));
        assert_eq!(
            err.message,
            format!(
                "Timeout: Too large resource version: {far}, current: {}",
                store.revision()
            )
        );
        assert_eq!(err.causes[0].reason, "ResourceVersionTooLarge");
        assert_eq!(err.retry_after_seconds, Some(1));
    }
}
