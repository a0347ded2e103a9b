//! Restart of a `--data-dir` cluster holding 10,000 namespaces, each with its `default`
//! ServiceAccount and, in bound mode, its `kube-root-ca.crt` ConfigMap (in legacy mode, its
//! token Secret): from the start of `ApiServer::builder().data_dir(DIR).start()` to ready,
//! that is serving, the first list answered and the in-process controllers' caches synced
//! (what `serve`'s `/readyz` waits for). Target: <= 1 s.
//!
//! The directory is filled once per mode (namespaces written to the store, the controllers
//! make the rest), then the cluster is restarted `KUBE_SA_BENCH_ROUNDS` times.
//!
//! `cargo bench --bench durable_restart`

mod common;

use common::{median, report, spread, Target};
use k8s_openapi::api::core::v1::Namespace;
use kube::Api;
use kube_sa::apiserver::kinds::{CONFIG_MAPS, NAMESPACES, SECRETS, SERVICE_ACCOUNTS};
use kube_sa::apiserver::{components::ServiceAccountOptions, ApiServer};
use kube_sa::Mode;
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

const NAMESPACES_COUNT: usize = 10_000;
const DEADLINE: Duration = Duration::from_secs(300);

fn options(mode: Mode) -> ServiceAccountOptions {
    ServiceAccountOptions {
        mode,
        ..Default::default()
    }
}

/// Fills `dir` with the namespaces and waits until the controllers gave each its objects.
async fn fill(dir: &Path, mode: Mode) -> usize {
    let server = ApiServer::builder()
        .data_dir(dir)
        .service_accounts(options(mode))
        .start()
        .await
        .expect("start");
    let store = server.store();
    for i in 0..NAMESPACES_COUNT {
        store
            .create(
                &NAMESPACES,
                json!({"apiVersion": "v1", "kind": "Namespace",
                       "metadata": {"name": format!("ns-{i:05}"), "uid": kube_sa::names::new_uid()},
                       "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}),
            )
            .expect("namespace");
    }
    let companions = match mode {
        Mode::Bound => &CONFIG_MAPS,
        Mode::Legacy => &SECRETS,
    };
    let started = Instant::now();
    let total = NAMESPACES_COUNT + 3;
    while store.list(&SERVICE_ACCOUNTS, None).0.len() < total
        || store.list(companions, None).0.len() < total
    {
        assert!(
            started.elapsed() < DEADLINE,
            "the controllers did not converge"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    store.synced().await.expect("on disk");
    let objects = store.list(&NAMESPACES, None).0.len()
        + store.list(&SERVICE_ACCOUNTS, None).0.len()
        + store.list(companions, None).0.len();
    server.shutdown().await;
    objects
}

/// One restart: seconds to serving, to the first list, to the controllers synced.
async fn restart(dir: &Path, mode: Mode) -> (f64, f64, f64) {
    let options = options(mode);
    let synced = options.controllers_synced.clone();
    let start = Instant::now();
    let server = ApiServer::builder()
        .data_dir(dir)
        .service_accounts(options)
        .start()
        .await
        .expect("restart");
    let serving = start.elapsed().as_secs_f64();
    let client = server.client().await.expect("client");
    let listed = Api::<Namespace>::all(client)
        .list(&Default::default())
        .await
        .expect("list");
    assert_eq!(listed.items.len(), NAMESPACES_COUNT + 3);
    let first_list = start.elapsed().as_secs_f64();
    while !synced.is_ready() {
        assert!(start.elapsed() < DEADLINE, "the controllers never synced");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let ready = start.elapsed().as_secs_f64();
    server.shutdown().await;
    (serving, first_list, ready)
}

fn main() {
    let rounds = common::rounds(5);
    let runtime = common::runtime();
    for mode in [Mode::Bound, Mode::Legacy] {
        let dir = tempfile::tempdir_in(common::bench_dir()).expect("data dir");
        let objects = runtime.block_on(fill(dir.path(), mode));
        let size = std::fs::metadata(dir.path().join("store.redb")).map_or(0, |m| m.len());
        println!(
            "{mode:?}: {objects} namespaces, accounts and companions; store.redb {:.1} MB",
            size as f64 / 1e6
        );
        let mut readies = Vec::new();
        for round in 1..=rounds {
            let (serving, listed, ready) = runtime.block_on(restart(dir.path(), mode));
            println!(
                "round {round}: serving {:.0} ms, first list {:.0} ms, controllers synced {:.0} ms",
                serving * 1e3,
                listed * 1e3,
                ready * 1e3
            );
            readies.push(ready);
        }
        println!("ready, s: {}", spread(&readies));
        report(
            &format!(
                "restart of a --data-dir cluster with 10,000 namespaces to ready ({mode:?} mode)"
            ),
            median(&readies),
            "s",
            Target::AtMost(1.0),
        );
    }
}
