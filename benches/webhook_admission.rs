//! Admission webhooks: pods created over HTTPS on loopback by 16 concurrent clients (each
//! its own kube::Client and connection) against the embedded cluster started with
//! `--disable-admission-plugins=ServiceAccount`, whose ServiceAccount admission is the
//! `kube-sa webhook` server registered through a MutatingWebhookConfiguration
//! (`clientConfig.url`, `caBundle`, TLS on loopback). Every pod is mutated by the webhook
//! (its token volume); the figure counts created pods. Target: >= 5,000 pods/s.
//!
//! The webhook reads accounts and token secrets as `kube-sa webhook` does, through the
//! API (watch-fed caches of accounts and token secrets, live reads on a miss); a second line
//! reports the webhook reading the API server's store directly, which isolates the cost of
//! the webhook call itself. Clients, API server and webhook share this process and the
//! machine's 2 cores.
//!
//! `cargo bench --bench webhook_admission`

mod common;

use common::{median, report, spread, Target};
use k8s_openapi::api::admissionregistration::v1::MutatingWebhookConfiguration;
use k8s_openapi::api::core::v1::{Namespace, Pod, ServiceAccount};
use kube::api::{ObjectMeta, PostParams};
use kube::Api;
use kube_sa::admission::serviceaccount::AccountLookup;
use kube_sa::admission::webhook_server::{serve, tls_config, WebhookState};
use kube_sa::apiserver::ApiServer;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CLIENTS: usize = 16;
const PER_CLIENT: usize = 250;
const NAMESPACE: &str = "bench";

fn pod(name: String) -> Pod {
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": name, "labels": {"app": "bench"}},
        "spec": {"containers": [{"name": "app", "image": "nginx:1.25"}]},
    }))
    .expect("pod")
}

/// Where ServiceAccount admission happens, and how it reads accounts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lookups {
    /// In the webhook, through the API, as `kube-sa webhook` does.
    Api,
    /// In the webhook, reading the API server's store in-process.
    Store,
    /// No webhook: the built-in plugin (for comparison).
    BuiltIn,
}

/// Starts the webhook server on loopback; answers its URL and CA (PEM).
async fn start_webhook(lookup: Arc<dyn AccountLookup>) -> (String, String) {
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
        .expect("params")
        .self_signed(&key)
        .expect("cert");
    let tls = tls_config(
        vec![CertificateDer::from(cert.der().to_vec())],
        PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    )
    .expect("tls");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let state = Arc::new(WebhookState {
        lookup,
        names: Arc::new(kube_sa::names::RandomNames),
        config: Default::default(),
    });
    tokio::spawn(serve(listener, tls, state));
    (format!("https://{address}/mutate"), cert.pem())
}

async fn register(client: kube::Client, url: &str, ca_pem: &str) {
    let configuration: MutatingWebhookConfiguration = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "kube-sa"},
        "webhooks": [{
            "name": "serviceaccounts.kube-sa.example.com",
            "clientConfig": {"url": url, "caBundle": base64_encode(ca_pem)},
            "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
            "sideEffects": "None",
            "admissionReviewVersions": ["v1"],
            "failurePolicy": "Fail",
        }],
    }))
    .expect("configuration");
    Api::<MutatingWebhookConfiguration>::all(client)
        .create(&PostParams::default(), &configuration)
        .await
        .expect("register the webhook");
}

fn base64_encode(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// Pods per second in each measured round.
async fn measure(lookups: Lookups, rounds: usize) -> Vec<f64> {
    let disabled: &[&str] = if lookups == Lookups::BuiltIn {
        &[]
    } else {
        &["ServiceAccount"]
    };
    let server = ApiServer::builder()
        .disable_admission_plugins(disabled.iter().copied())
        .start()
        .await
        .expect("start");
    let admin = server.client().await.expect("client");
    let namespace = Namespace {
        metadata: ObjectMeta {
            name: Some(NAMESPACE.into()),
            ..Default::default()
        },
        ..Default::default()
    };
    Api::<Namespace>::all(admin.clone())
        .create(&PostParams::default(), &namespace)
        .await
        .expect("namespace");
    // The webhook refuses pods until the account has its token.
    let accounts = Api::<ServiceAccount>::namespaced(admin.clone(), NAMESPACE);
    let deadline = Instant::now() + Duration::from_secs(10);
    while accounts
        .get_opt("default")
        .await
        .expect("get account")
        .is_none_or(|sa| sa.secrets.unwrap_or_default().is_empty())
    {
        assert!(
            Instant::now() < deadline,
            "no token for the default account"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let lookup: Option<Arc<dyn AccountLookup>> = match lookups {
        Lookups::Api => Some(Arc::new(
            kube_sa::admission::client_lookup::ClientAccountLookup::start(
                server.client().await.expect("client"),
                kube_sa::Mode::Legacy,
            ),
        )),
        Lookups::Store => Some(Arc::new(
            kube_sa::apiserver::components::StoreAccountLookup::new(server.store()),
        )),
        Lookups::BuiltIn => None,
    };
    if let Some(lookup) = lookup {
        let (url, ca) = start_webhook(lookup).await;
        register(admin.clone(), &url, &ca).await;
    }
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let client = server.client().await.expect("client");
        // Connect (TLS handshake) before the clock starts.
        Api::<Namespace>::all(client.clone())
            .get(NAMESPACE)
            .await
            .expect("warm-up");
        clients.push(Api::<Pod>::namespaced(client, NAMESPACE));
    }
    let mut rates = Vec::new();
    for round in 0..=rounds {
        let start = Instant::now();
        let cpu = common::process_cpu_time();
        let tasks: Vec<_> = clients
            .iter()
            .enumerate()
            .map(|(c, api)| {
                let api = api.clone();
                tokio::spawn(async move {
                    for i in 0..PER_CLIENT {
                        api.create(&PostParams::default(), &pod(format!("p-{round}-{c}-{i}")))
                            .await
                            .expect("create");
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("client task");
        }
        let elapsed = start.elapsed().as_secs_f64();
        // Round 0 warms up the server, the webhook's pool and the allocator.
        if round > 0 {
            let cpu = common::process_cpu_time().saturating_sub(cpu).as_secs_f64();
            println!(
                "  round {round}: {} pods in {elapsed:.2} s, {:.0} µs of CPU per pod (whole process)",
                CLIENTS * PER_CLIENT,
                cpu * 1e6 / (CLIENTS * PER_CLIENT) as f64
            );
            rates.push((CLIENTS * PER_CLIENT) as f64 / elapsed);
        }
    }
    // Every pod was admitted (by the webhook, or the built-in plugin).
    let sample = clients[0].get("p-1-0-0").await.expect("a created pod");
    let volumes = sample.spec.and_then(|s| s.volumes).unwrap_or_default();
    assert!(
        volumes.iter().any(|v| v.name.starts_with("default-token-")),
        "the webhook mounted the token: {volumes:?}"
    );
    server.shutdown().await;
    rates
}

fn main() {
    let rounds = common::rounds(5);
    let runtime = common::runtime();
    // `KUBE_SA_BENCH_MODE=api|store|built-in` runs one configuration only (for profiling).
    let only = std::env::var("KUBE_SA_BENCH_MODE").ok();
    let wanted = |mode: &str| only.as_deref().is_none_or(|m| m == mode);
    let run = |mode: &str, title: &str, lookups: Lookups| {
        if !wanted(mode) {
            return Vec::new();
        }
        println!("{title}:");
        runtime.block_on(measure(lookups, rounds))
    };
    let through_api = run(
        "api",
        "webhook reading through the API (as kube-sa webhook does)",
        Lookups::Api,
    );
    let in_process = run(
        "store",
        "webhook reading the store in-process",
        Lookups::Store,
    );
    let built_in = run(
        "built-in",
        "the built-in plugin, no webhook (for comparison)",
        Lookups::BuiltIn,
    );
    for (label, rates) in [
        ("webhook, lookups through the API", &through_api),
        ("webhook, lookups in the store", &in_process),
        ("built-in plugin, no webhook", &built_in),
    ] {
        if !rates.is_empty() {
            println!("pods/s, {label}: {}", spread(rates));
        }
    }
    if !through_api.is_empty() {
        report(
            "mutating webhook over TLS on loopback, admission included, 16 clients",
            median(&through_api),
            "pods/s",
            Target::AtLeast(5_000.0),
        );
    }
}
