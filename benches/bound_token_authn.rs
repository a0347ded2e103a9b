//! Bound-token authentication on one core: the bound authenticator
//! (`kube_sa::serviceaccount::bound::BoundTokenAuthenticator`, without the server's 10 s
//! success cache) verifying pod-bound TokenRequest tokens: the signature, the claims, and
//! the ServiceAccount and Pod read from the embedded API server's store, as every request
//! carrying such a token costs the server. Per CPU-second of the verifying thread, against
//! `openssl speed` verify/s for the key type measured in the same round (`rsa2048` for
//! RS256, `ecdsap256` for ES256). Target: >= 0.9 × for each.
//!
//! `cargo bench --bench bound_token_authn`

mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::{fmt, median, report, single_core_rate, spread, Target};
use k8s_openapi::api::authentication::v1::{BoundObjectReference, TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::{Node, Pod, ServiceAccount};
use kube::api::PostParams;
use kube::Api;
use kube_sa::apiserver::components::{ServiceAccountOptions, StoreTokenGetter};
use kube_sa::apiserver::ApiServer;
use kube_sa::authn::{Audiences, UserInfo};
use kube_sa::serviceaccount::bound::{BoundTokenAuthenticator, POD_NAME_EXTRA};
use kube_sa::serviceaccount::ServiceAccountTokenGetter as _;
use kube_sa::serviceaccount::{IssuerOptions, JwtAlgorithm, PublicKey, SigningKey};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Distinct tokens verified in turn (each with its own `jti`).
const TOKENS: usize = 64;
const OPENSSL_SECONDS: u32 = 2;
const CPU_PER_ROUND: Duration = Duration::from_secs(2);
const DEADLINE: Duration = Duration::from_secs(60);

/// A scheduled pod as a Deployment makes it; admission adds the projected token volume.
fn typical_pod() -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web-7d4b9c8f6-x2x9q", "labels": {"app": "web", "pod-template-hash": "7d4b9c8f6"}},
        "spec": {
            "nodeName": "node-1",
            "containers": [
                {"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80}],
                 "env": [{"name": "MODE", "value": "production"}],
                 "volumeMounts": [{"name": "config", "mountPath": "/etc/web"}]},
                {"name": "sidecar", "image": "busybox:1.36", "command": ["sh", "-c", "sleep infinity"]}
            ],
            "volumes": [{"name": "config", "configMap": {"name": "web-config"}}]
        }
    }))
    .expect("pod")
}

/// A cluster signing with `key`, a pod of `default` on `node-1`, and tokens bound to it.
struct Setup {
    server: ApiServer,
    tokens: Vec<String>,
}

async fn setup(key: SigningKey) -> Setup {
    let server = ApiServer::builder()
        .service_accounts(ServiceAccountOptions {
            mode: kube_sa::Mode::Bound,
            signing_key: Some(Arc::new(key)),
            ..Default::default()
        })
        .start()
        .await
        .expect("start");
    let client = server.client().await.expect("client");
    let accounts = Api::<ServiceAccount>::namespaced(client.clone(), "default");
    let started = Instant::now();
    while accounts.get_opt("default").await.expect("get").is_none() {
        assert!(started.elapsed() < DEADLINE, "no default ServiceAccount");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let node: Node = serde_json::from_value(json!({"metadata": {"name": "node-1"}})).expect("node");
    Api::<Node>::all(client.clone())
        .create(&PostParams::default(), &node)
        .await
        .expect("node");
    let pod = Api::<Pod>::namespaced(client, "default")
        .create(&PostParams::default(), &typical_pod())
        .await
        .expect("pod");
    let request = TokenRequest {
        spec: TokenRequestSpec {
            bound_object_ref: Some(BoundObjectReference {
                api_version: Some("v1".into()),
                kind: Some("Pod".into()),
                name: pod.metadata.name.clone(),
                uid: pod.metadata.uid.clone(),
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let mut tokens = Vec::new();
    for _ in 0..TOKENS {
        let issued = accounts
            .create_token_request("default", &PostParams::default(), &request)
            .await
            .expect("token request");
        tokens.push(issued.status.expect("status").token);
    }
    Setup { server, tokens }
}

fn authenticate(authenticator: &BoundTokenAuthenticator, token: &str) -> UserInfo {
    futures::executor::block_on(authenticator.authenticate_token_for(token, Audiences::default()))
        .expect("valid")
        .expect("ours")
        .user
}

/// Verifications per CPU-second and per wall-second of this thread.
fn verify_all(authenticator: &BoundTokenAuthenticator, tokens: &[String]) -> (f64, f64) {
    single_core_rate(CPU_PER_ROUND, tokens.len() as u64, || {
        for token in tokens {
            std::hint::black_box(authenticate(authenticator, token));
        }
    })
}

/// The split of one authentication: the signature check alone (the key's `verify` on the
/// token's signing input) and the two store reads alone, per CPU-second of this thread.
fn split(
    public: &PublicKey,
    algorithm: JwtAlgorithm,
    getter: &StoreTokenGetter,
    tokens: &[String],
) -> (f64, f64) {
    let signed: Vec<(&str, Vec<u8>)> = tokens
        .iter()
        .map(|token| {
            let (input, signature) = token.rsplit_once('.').expect("a JWS");
            (input, URL_SAFE_NO_PAD.decode(signature).expect("base64url"))
        })
        .collect();
    let (signatures, _) = single_core_rate(CPU_PER_ROUND / 4, signed.len() as u64, || {
        for (input, signature) in &signed {
            public
                .verify(algorithm, input.as_bytes(), signature)
                .expect("signature");
        }
    });
    let (lookups, _) = single_core_rate(CPU_PER_ROUND / 4, 64, || {
        futures::executor::block_on(async {
            for _ in 0..64 {
                let account = getter.get_service_account("default", "default").await;
                let pod = getter.get_pod("default", "web-7d4b9c8f6-x2x9q").await;
                std::hint::black_box((account.expect("account"), pod.expect("pod")));
            }
        })
    });
    (signatures, lookups)
}

/// Runs the rounds for one key type; returns the median ratio to openssl's verify/s.
fn measure(
    runtime: &tokio::runtime::Runtime,
    label: &str,
    key: SigningKey,
    openssl_algorithm: &str,
    rounds: usize,
) -> f64 {
    let Setup { server, tokens } = runtime.block_on(setup(key));
    let public = server
        .signing_key()
        .expect("signing key")
        .public_key()
        .clone();
    let algorithm = server.signing_key().expect("signing key").algorithm();
    let issuer = IssuerOptions::default();
    let getter = Arc::new(StoreTokenGetter::new(server.store()));
    let authenticator = BoundTokenAuthenticator::new(
        issuer.issuers.clone(),
        vec![public.clone()],
        issuer.effective_api_audiences(),
        getter.clone(),
        server.clock(),
    );
    let user = authenticate(&authenticator, &tokens[0]);
    assert_eq!(user.username, "system:serviceaccount:default:default");
    assert_eq!(
        user.extra.get(POD_NAME_EXTRA),
        Some(&vec!["web-7d4b9c8f6-x2x9q".to_string()]),
        "a pod-bound token"
    );
    verify_all(&authenticator, &tokens[..8]); // warm-up

    let (mut theirs, mut ours, mut ours_wall, mut ratios) = (vec![], vec![], vec![], vec![]);
    for round in 1..=rounds {
        let verify = match common::openssl_speed(openssl_algorithm, OPENSSL_SECONDS) {
            Ok(rates) => rates.verify,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        };
        let (rate, wall_rate) = verify_all(&authenticator, &tokens);
        println!(
            "{label} round {round}: openssl speed {openssl_algorithm} {} verify/s; kube-sa {} authentications per CPU-second ({} per wall-second); {:.2} ×",
            fmt(verify),
            fmt(rate),
            fmt(wall_rate),
            rate / verify
        );
        theirs.push(verify);
        ours.push(rate);
        ours_wall.push(wall_rate);
        ratios.push(rate / verify);
    }
    let (signatures, lookups) = split(&public, algorithm, &getter, &tokens);
    let per_auth = 1e6 / median(&ours);
    println!(
        "{label} split: one authentication {per_auth:.1} µs = signature check {:.1} µs ({} verify/s alone) + ServiceAccount and Pod read from the store {:.1} µs + the rest (JWS and claims parsing, checks, user info) {:.1} µs",
        1e6 / signatures,
        fmt(signatures),
        1e6 / lookups,
        per_auth - 1e6 / signatures - 1e6 / lookups,
    );
    println!(
        "{label}: openssl speed {openssl_algorithm} verify/s (CPU): {}",
        spread(&theirs)
    );
    println!("{label}: bound authentications/s (CPU):  {}", spread(&ours));
    println!(
        "{label}: bound authentications/s (wall): {}",
        spread(&ours_wall)
    );
    runtime.block_on(server.shutdown());
    median(&ratios)
}

fn main() {
    let rounds = common::rounds(5);
    let runtime = common::runtime();
    let rs256 = measure(
        &runtime,
        "RS256",
        SigningKey::generate_rsa(2048).expect("RSA key"),
        "rsa2048",
        rounds,
    );
    let es256 = measure(
        &runtime,
        "ES256",
        SigningKey::generate_ecdsa_p256().expect("P-256 key"),
        "ecdsap256",
        rounds,
    );
    report(
        "bound-token authentication (pod-bound, RS256-2048, store lookups), one core ÷ openssl speed rsa2048 verify/s",
        rs256,
        "×",
        Target::AtLeast(0.9),
    );
    report(
        "bound-token authentication (pod-bound, ES256, store lookups), one core ÷ openssl speed ecdsap256 verify/s",
        es256,
        "×",
        Target::AtLeast(0.9),
    );
}
