//! The create workload of `api_create` and `durable_create`: 16 clients, each its own
//! kube::Client and TLS connection, creating Opaque Secrets in one namespace, timed per
//! round after a warm-up round.

use crate::common::{sample_secret as secret, spread};
use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::api::{ObjectMeta, PostParams};
use kube::Api;
use kube_sa::apiserver::ApiServer;
use std::time::Instant;

/// Concurrent clients.
pub const CLIENTS: usize = 16;
/// Creates per client and round.
pub const PER_CLIENT: usize = 500;

/// Objects created per second in each of `rounds` timed rounds against `server` (a round 0
/// warms up the server's maps and allocator and is not counted); prints each round and the
/// spread. The server is shut down at the end.
pub async fn create_rates(server: ApiServer, rounds: usize) -> Vec<f64> {
    let admin = server.client().await.expect("client");
    let namespace = Namespace {
        metadata: ObjectMeta {
            name: Some("bench".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    Api::<Namespace>::all(admin)
        .create(&PostParams::default(), &namespace)
        .await
        .expect("namespace");
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let client = server.client().await.expect("client");
        // Connect (TLS handshake) before the clock starts.
        Api::<Namespace>::all(client.clone())
            .get("bench")
            .await
            .expect("warm-up");
        clients.push(Api::<Secret>::namespaced(client, "bench"));
    }
    let mut rates = Vec::new();
    for round in 0..=rounds {
        let start = Instant::now();
        let tasks: Vec<_> = clients
            .iter()
            .enumerate()
            .map(|(c, api)| {
                let api = api.clone();
                tokio::spawn(async move {
                    for i in 0..PER_CLIENT {
                        api.create(
                            &PostParams::default(),
                            &secret(format!("s-{round}-{c}-{i}")),
                        )
                        .await
                        .expect("create");
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("client task");
        }
        let rate = (CLIENTS * PER_CLIENT) as f64 / start.elapsed().as_secs_f64();
        if round > 0 {
            println!(
                "round {round}: {} objects in {:.2} s",
                CLIENTS * PER_CLIENT,
                start.elapsed().as_secs_f64()
            );
            rates.push(rate);
        }
    }
    server.shutdown().await;
    println!("creates/s: {}", spread(&rates));
    rates
}
