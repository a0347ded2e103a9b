//! API: create over HTTPS on loopback, 16 concurrent clients, as `api_create`, but with a
//! data directory (`serve --data-dir`): every create is on disk (fsync) before it is
//! acknowledged, by group commit. Target: >= 2,000 objects/s.
//! Clients and server share this process and the machine's 2 cores; the data directory is
//! a temporary directory under `KUBE_SA_BENCH_DIR` (default: the target directory), which
//! should be on the disk a server would use.
//!
//! `cargo bench --bench durable_create`

mod common;

use common::{median, report, sample_secret as secret, spread, Target};
use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::api::{ObjectMeta, PostParams};
use kube::Api;
use kube_sa::apiserver::ApiServer;
use std::time::Instant;

const CLIENTS: usize = 16;
const PER_CLIENT: usize = 500;

fn main() {
    let rounds = common::rounds(3);
    let runtime = common::runtime();
    let rates = runtime.block_on(async {
        let dir = tempfile::tempdir_in(common::bench_dir()).expect("data dir");
        let server = ApiServer::builder()
            .data_dir(dir.path())
            .start()
            .await
            .expect("start");
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
            // Round 0 warms up the server's maps and allocator.
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
        rates
    });
    println!("creates/s: {}", spread(&rates));
    report(
        "API create over HTTPS, loopback, 16 concurrent clients, --data-dir (fsync per acknowledged write, group commit)",
        median(&rates),
        "objects/s",
        Target::AtLeast(2_000.0),
    );
}
