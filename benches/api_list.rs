//! API: list of 10,000 Secrets over HTTPS (one namespace, created through the API first;
//! the namespace's own service-account token secret makes it 10,001).
//! Timed: request sent until the whole JSON body has been received by the client.
//! Target: <= 50 ms. Also printed: the same list decoded into typed Secrets by kube-rs.
//!
//! `cargo bench --bench api_list`

mod common;

use common::{median, report, sample_secret as secret, spread, Target};
use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::api::{ListParams, ObjectMeta, PostParams};
use kube::Api;
use kube_sa::apiserver::ApiServer;
use std::time::Instant;

const SECRETS: usize = 10_000;
const WRITERS: usize = 16;

fn main() {
    let rounds = common::rounds(21);
    let runtime = common::runtime();
    runtime.block_on(async {
        let server = ApiServer::builder().start().await.expect("start");
        let client = server.client().await.expect("client");
        let namespace = Namespace {
            metadata: ObjectMeta {
                name: Some("bench".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        Api::<Namespace>::all(client.clone())
            .create(&PostParams::default(), &namespace)
            .await
            .expect("namespace");
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let api = Api::<Secret>::namespaced(client.clone(), "bench");
                tokio::spawn(async move {
                    for i in (w..SECRETS).step_by(WRITERS) {
                        api.create(&PostParams::default(), &secret(format!("secret-{i:05}")))
                            .await
                            .expect("create");
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.await.expect("writer");
        }

        let request = || {
            http::Request::get("/api/v1/namespaces/bench/secrets")
                .body(Vec::new())
                .expect("request")
        };
        let body = client.request_text(request()).await.expect("list");
        let parsed: serde_json::Value = serde_json::from_str(&body).expect("json");
        // The namespace also holds its `default` account's token secret.
        let items = parsed["items"].as_array().map(Vec::len).unwrap_or_default();
        assert!((SECRETS..SECRETS + 2).contains(&items), "{items} items");
        println!(
            "list: {items} items, {:.1} MiB of JSON",
            body.len() as f64 / (1024.0 * 1024.0)
        );

        let mut raw = Vec::new();
        for _ in 0..rounds {
            let start = Instant::now();
            let body = client.request_text(request()).await.expect("list");
            raw.push(start.elapsed().as_secs_f64() * 1000.0);
            assert!(body.len() > SECRETS * 100);
        }
        let typed_api = Api::<Secret>::namespaced(client.clone(), "bench");
        let mut typed = Vec::new();
        for _ in 0..5 {
            let start = Instant::now();
            let list = typed_api.list(&ListParams::default()).await.expect("list");
            typed.push(start.elapsed().as_secs_f64() * 1000.0);
            assert!(list.items.len() >= SECRETS);
        }
        println!(
            "list of {SECRETS} secrets, body received, ms:     {}",
            spread(&raw)
        );
        println!(
            "list of {SECRETS} secrets, kube-rs typed list, ms: {}",
            spread(&typed)
        );
        server.shutdown().await;
        report(
            "API list of 10,000 secrets (HTTPS, body received)",
            median(&raw),
            "ms",
            Target::AtMost(50.0),
        );
    });
}
