//! The controllers' `/readyz` flag and their work queues' metrics, against the embedded
//! API server.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use kube::api::PostParams;
use kube::Api;
use tokio::time::Instant;

use super::{run, ControllersConfig, TokensControllerOptions};
use crate::apiserver::ApiServer;
use crate::health::Readiness;
use crate::metrics::{gather_text, sample_value};
use crate::serviceaccount::{SigningKey, TokenGenerator};

const DEADLINE: Duration = Duration::from_secs(8);

fn queue_sample(metric: &str, queue: &str) -> f64 {
    sample_value(&gather_text(), metric, &[("name", queue)]).unwrap_or(0.0)
}

/// Polls `check` until it holds or the deadline passes.
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn ready_once_caches_sync_and_the_queues_count_their_work() {
    let server = ApiServer::builder()
        .without_service_accounts()
        .start()
        .await
        .expect("server starts");
    let client = server.client().await.expect("client");
    let key = Arc::new(SigningKey::generate_ecdsa_p256().expect("key"));
    let generator = Arc::new(TokenGenerator::legacy(key));
    let synced = Readiness::new();
    let config = ControllersConfig::new(generator.clone())
        .tokens(TokensControllerOptions::new(generator))
        .synced(synced.clone());
    // Other tests' controllers count under the same names: only increases are asserted.
    let adds_before = queue_sample("workqueue_adds_total", "serviceaccount_tokens_service");
    let work_before = queue_sample("workqueue_work_duration_seconds_count", "serviceaccount");
    assert!(!synced.is_ready(), "not ready before the controllers run");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let controllers = tokio::spawn(run(client.clone(), config, async {
        let _ = stopped.await;
    }));
    tokio::time::timeout(DEADLINE, synced.wait())
        .await
        .expect("ready once the caches synced");

    let namespace = Namespace {
        metadata: kube::api::ObjectMeta {
            name: Some("metrics-queues".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &namespace)
        .await
        .expect("namespace created");
    let accounts: Api<ServiceAccount> = Api::namespaced(client, "metrics-queues");
    let deadline = Instant::now() + DEADLINE;
    while accounts.get_opt("default").await.expect("get").is_none() {
        assert!(Instant::now() < deadline, "no default account");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    eventually(
        "the token controller's account queue to count an add",
        || queue_sample("workqueue_adds_total", "serviceaccount_tokens_service") > adds_before,
    )
    .await;
    eventually("the service-account queue to time its work", || {
        queue_sample("workqueue_work_duration_seconds_count", "serviceaccount") > work_before
    })
    .await;
    let text = gather_text();
    for queue in ["serviceaccount_tokens_secret", "serviceaccount"] {
        assert!(
            sample_value(&text, "workqueue_depth", &[("name", queue)]).is_some(),
            "workqueue_depth of {queue}:\n{text}"
        );
    }
    let _ = stop.send(());
    controllers
        .await
        .expect("no panic")
        .expect("controllers stop cleanly");
}
