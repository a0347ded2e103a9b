//! Embedded cluster: start to ready, with the signing key given (RSA 2048, parsed before the
//! clock starts) and the kubeconfig written. Target: <= 20 ms.
//!
//! "Ready" is: `start()` returned (listening, CA and serving certificate made, system
//! namespaces stored, service-account components started), the kubeconfig is on disk,
//! and a client built from that file has had an authenticated request answered.
//! Also printed: when `default/default` has its token (controllers caught up).
//!
//! `cargo bench --bench startup`

mod common;

use common::{median, report, spread, Target};
use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use kube_sa::apiserver::components::ServiceAccountOptions;
use kube_sa::apiserver::kubeconfig::write_atomically;
use kube_sa::apiserver::ApiServer;
use kube_sa::serviceaccount::SigningKey;
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Sample {
    started: Duration,
    written: Duration,
    ready: Duration,
    default_token: Duration,
}

async fn one_start(key: &Arc<SigningKey>, dir: &std::path::Path, run: usize) -> Sample {
    let path = dir.join(format!("kubeconfig-{run}"));
    let t0 = Instant::now();
    let server = ApiServer::builder()
        .service_accounts(ServiceAccountOptions {
            signing_key: Some(key.clone()),
            ..Default::default()
        })
        .start()
        .await
        .expect("start");
    let started = t0.elapsed();
    write_atomically(&path, server.kubeconfig_yaml()).expect("kubeconfig");
    let written = t0.elapsed();
    // What a user of the kubeconfig does first.
    let kubeconfig = kube::config::Kubeconfig::read_from(&path).expect("read kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .expect("config");
    let client = kube::Client::try_from(config).expect("client");
    kube::Api::<Namespace>::all(client.clone())
        .get("default")
        .await
        .expect("GET namespace");
    let ready = t0.elapsed();
    let accounts = kube::Api::<ServiceAccount>::namespaced(client, "default");
    loop {
        if let Ok(account) = accounts.get("default").await {
            if account.secrets.is_some_and(|s| !s.is_empty()) {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let default_token = t0.elapsed();
    server.shutdown().await;
    Sample {
        started,
        written,
        ready,
        default_token,
    }
}

fn main() {
    let rounds = common::rounds(25);
    let runtime = common::runtime();
    let key = Arc::new(SigningKey::generate_rsa(2048).expect("RSA key"));
    let dir = tempfile::tempdir().expect("tempdir");
    let samples: Vec<Sample> = runtime.block_on(async {
        one_start(&key, dir.path(), 0).await; // warm-up: first TLS provider use, page faults
        let mut samples = Vec::new();
        for run in 1..=rounds {
            samples.push(one_start(&key, dir.path(), run).await);
        }
        samples
    });
    let ms = |f: fn(&Sample) -> Duration| {
        samples
            .iter()
            .map(|s| f(s).as_secs_f64() * 1000.0)
            .collect::<Vec<_>>()
    };
    let started = ms(|s| s.started);
    let written = ms(|s| s.written);
    let ready = ms(|s| s.ready);
    let default_token = ms(|s| s.default_token);
    println!(
        "start() returned, ms:                    {}",
        spread(&started)
    );
    println!(
        "+ kubeconfig written, ms:                {}",
        spread(&written)
    );
    println!(
        "+ first request from that kubeconfig, ms: {}",
        spread(&ready)
    );
    println!(
        "default/default has its token, ms:       {}",
        spread(&default_token)
    );
    report(
        "embedded cluster start to ready (keys given, kubeconfig written)",
        median(&ready),
        "ms",
        Target::AtMost(20.0),
    );
}
