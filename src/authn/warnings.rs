//! Warnings an authenticator gives the client (upstream's `warning.AddWarning` on the
//! request context during authentication, e.g. the legacy-token notice of
//! pkg/serviceaccount/legacy.go): recorded while [`collect`] runs the authentication, and
//! written by the API server as `Warning` headers of the response.

use std::future::Future;
use std::sync::{Arc, Mutex};

type Sink = Arc<Mutex<Vec<String>>>;

tokio::task_local! {
    static WARNINGS: Sink;
}

/// Records `text` for the request being authenticated; nothing happens outside [`collect`].
pub fn record(text: &str) {
    let _ = WARNINGS.try_with(|sink| {
        let mut texts = sink.lock().unwrap_or_else(|e| e.into_inner());
        if !texts.iter().any(|t| t == text) {
            texts.push(text.to_string());
        }
    });
}

/// Runs `authentication` and answers its output with the warnings recorded meanwhile.
pub async fn collect<F: Future>(authentication: F) -> (F::Output, Vec<String>) {
    let sink: Sink = Arc::default();
    let output = WARNINGS.scope(sink.clone(), authentication).await;
    let texts = sink.lock().unwrap_or_else(|e| e.into_inner()).clone();
    (output, texts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_are_collected_once_each_and_only_inside() {
        record("ignored");
        let ((), texts) = futures::executor::block_on(collect(async {
            record("a");
            record("b");
            record("a");
        }));
        assert_eq!(texts, ["a", "b"]);
        let ((), nested) = futures::executor::block_on(collect(async {
            let ((), inner) = collect(async { record("inner") }).await;
            for text in &inner {
                record(text);
            }
        }));
        assert_eq!(nested, ["inner"]);
    }
}
