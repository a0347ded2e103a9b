//! Scale in bound mode: 10,000 namespaces created at once (16 API clients) → each has
//! `default` and `kube-root-ca.crt` (with the CA and upstream's description), made by the
//! in-process service-account controller and root CA publisher; no token Secret is signed.
//! Target: converged within 1.0 s of the first create.
//!
//! `cargo bench --bench scale_bound_namespaces`

mod common;
#[path = "common/load.rs"]
mod load;

use common::{median, report, spread, Target};
use kube_sa::apiserver::components::ServiceAccountOptions;
use kube_sa::apiserver::kinds::{CONFIG_MAPS, SERVICE_ACCOUNTS};
use kube_sa::apiserver::store::Store;
use kube_sa::apiserver::ApiServer;
use load::namespace_name;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

const NAMESPACES: usize = 10_000;
const CREATORS: usize = 16;
const DEADLINE: Duration = Duration::from_secs(300);
const DESCRIPTION: &str = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";

/// Whether `namespace` has `default` and a published `kube-root-ca.crt`.
fn converged(store: &Store, namespace: &str) -> bool {
    store.get(&SERVICE_ACCOUNTS, namespace, "default").is_some()
        && store
            .get(&CONFIG_MAPS, namespace, "kube-root-ca.crt")
            .is_some_and(|cm| {
                let cm = cm.value();
                cm["metadata"]["annotations"]["kubernetes.io/description"] == DESCRIPTION
                    && cm["data"]["ca.crt"]
                        .as_str()
                        .is_some_and(|ca| ca.starts_with("-----BEGIN CERTIFICATE-----"))
            })
}

struct Run {
    created: Duration,
    converged: Duration,
    cpu: Duration,
}

async fn run() -> Run {
    let server = ApiServer::builder()
        .service_accounts(ServiceAccountOptions {
            mode: kube_sa::Mode::Bound,
            ..Default::default()
        })
        .start()
        .await
        .expect("start");
    let store = server.store();
    let ready = Instant::now();
    while !converged(&store, "default") {
        assert!(ready.elapsed() < DEADLINE, "the cluster never converged");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let creators = load::NamespaceCreators::connect(&server, CREATORS, NAMESPACES).await;

    let cpu_start = common::process_cpu_time();
    let start = Instant::now();
    creators.create_all().await;
    let created = start.elapsed();

    let mut pending: BTreeSet<String> = (0..NAMESPACES).map(namespace_name).collect();
    loop {
        // Stop looking once a few are still pending, so that checking costs little CPU.
        let mut still_pending = 0;
        pending.retain(|namespace| {
            if still_pending >= 64 {
                return true;
            }
            let done = converged(&store, namespace);
            still_pending += usize::from(!done);
            !done
        });
        if pending.is_empty() {
            break;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "{} namespaces not converged after {DEADLINE:?}",
            pending.len()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let converged = start.elapsed();
    let cpu = common::process_cpu_time().saturating_sub(cpu_start);
    server.shutdown().await;
    Run {
        created,
        converged,
        cpu,
    }
}

fn main() {
    let rounds = common::rounds(3);
    let runtime = common::runtime();
    let mut seconds = vec![];
    for round in 1..=rounds {
        let run = runtime.block_on(run());
        println!(
            "round {round}: namespaces created in {:.2} s, converged in {:.2} s; process CPU {:.2} s",
            run.created.as_secs_f64(),
            run.converged.as_secs_f64(),
            run.cpu.as_secs_f64(),
        );
        seconds.push(run.converged.as_secs_f64());
    }
    println!("converged, s: {}", spread(&seconds));
    report(
        "scale (bound mode): 10,000 namespaces → default SA + kube-root-ca.crt",
        median(&seconds),
        "s",
        Target::AtMost(1.0),
    );
}
