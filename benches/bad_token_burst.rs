//! Good requests during a burst of bad tokens (issue 13, item 5): the p99 latency of an
//! authenticated request over HTTPS (a SelfSubjectReview with a bound token of `default`)
//! on a quiet server, then while 10,000 requests with bad bearer tokens arrive from 64
//! concurrent clients. The bad tokens are all distinct (no cache helps): a third are JWS
//! of the cluster's issuer and key id with a wrong signature (the costly case: a signature
//! check), a third `alg: none`, a third not a JWT. Target: burst p99 <= 2 x quiet p99.
//!
//! The server paces its 401s (`--failed-authentication-qps`, default 1000/s), which is what
//! keeps the good requests' latency: `KUBE_SA_FAILED_AUTHENTICATION_QPS=0` measures the same
//! burst without pacing, for comparison.
//!
//! `cargo bench --bench bad_token_burst` (`KUBE_SA_BENCH_ROUNDS` rounds, default 3)

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::{fmt, median, report, spread, Target};
use futures::StreamExt as _;
use k8s_openapi::api::authentication::v1::TokenRequest;
use k8s_openapi::api::core::v1::ServiceAccount;
use kube::api::PostParams;
use kube::Api;
use kube_sa::apiserver::components::ServiceAccountOptions;
use kube_sa::apiserver::limits::{Limits, DEFAULT_FAILED_AUTHENTICATION_QPS};
use kube_sa::apiserver::ApiServer;
use serde_json::{json, Value};

const BAD_TOKENS: usize = 10_000;
const BAD_CLIENTS: usize = 64;
const QUIET_REQUESTS: usize = 1_000;
const WARM_UP: usize = 100;
const DEADLINE: Duration = Duration::from_secs(60);

/// A client of the server with no credentials of its own (each request brings its
/// bearer token).
async fn bare_client(server: &ApiServer, token: Option<&str>) -> kube::Client {
    let kubeconfig =
        kube::config::Kubeconfig::from_yaml(server.kubeconfig_yaml()).expect("kubeconfig");
    let mut config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .expect("config");
    config.auth_info = kube::config::AuthInfo {
        token: token.map(|t| t.to_string().into()),
        ..Default::default()
    };
    kube::Client::try_from(config).expect("client")
}

fn self_subject_review(bearer: Option<&str>) -> http::Request<Vec<u8>> {
    let body = json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"});
    let mut request = http::Request::post("/apis/authentication.k8s.io/v1/selfsubjectreviews")
        .header(http::header::CONTENT_TYPE, "application/json");
    if let Some(bearer) = bearer {
        request = request.header(http::header::AUTHORIZATION, format!("Bearer {bearer}"));
    }
    request
        .body(serde_json::to_vec(&body).expect("json"))
        .expect("request")
}

/// A bound-mode cluster and a token of `default` in `default`.
async fn setup() -> (ApiServer, String) {
    let qps = std::env::var("KUBE_SA_FAILED_AUTHENTICATION_QPS")
        .ok()
        .map(|qps| {
            qps.parse()
                .expect("KUBE_SA_FAILED_AUTHENTICATION_QPS is a count")
        })
        .unwrap_or(DEFAULT_FAILED_AUTHENTICATION_QPS);
    println!("failed authentications paced at {qps}/s (0: not paced)");
    let server = ApiServer::builder()
        .service_accounts(ServiceAccountOptions {
            mode: kube_sa::Mode::Bound,
            ..Default::default()
        })
        .limits(Limits {
            failed_authentication_qps: qps,
            ..Limits::default()
        })
        .start()
        .await
        .expect("start");
    let client = server.client().await.expect("client");
    let accounts = Api::<ServiceAccount>::namespaced(client, "default");
    let started = Instant::now();
    while accounts.get_opt("default").await.expect("get").is_none() {
        assert!(started.elapsed() < DEADLINE, "no default ServiceAccount");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let issued = accounts
        .create_token_request("default", &PostParams::default(), &TokenRequest::default())
        .await
        .expect("token request");
    (server, issued.status.expect("status").token)
}

/// `count` distinct bad tokens made from `good`: wrong signatures, `alg: none`, not JWTs.
fn bad_tokens(good: &str, count: usize) -> Vec<String> {
    let (header, rest) = good.split_once('.').expect("a JWS");
    let (claims, signature) = rest.split_once('.').expect("a JWS");
    let signature = URL_SAFE_NO_PAD.decode(signature).expect("base64url");
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#);
    (0..count)
        .map(|i| match i % 3 {
            0 => {
                let mut forged = signature.clone();
                forged[..8].copy_from_slice(&(i as u64).to_be_bytes());
                format!("{header}.{claims}.{}", URL_SAFE_NO_PAD.encode(&forged))
            }
            1 => format!(
                "{none_header}.{}.",
                URL_SAFE_NO_PAD
                    .encode(format!(r#"{{"sub":"system:serviceaccount:default:x{i}"}}"#))
            ),
            _ => format!("not-a-jwt-{i:08}"),
        })
        .collect()
}

/// One good request's latency (it must authenticate).
async fn good_request(client: &kube::Client) -> Duration {
    let started = Instant::now();
    let review: Value = client
        .request(self_subject_review(None))
        .await
        .expect("a good request");
    let elapsed = started.elapsed();
    assert_eq!(
        review.pointer("/status/userInfo/username"),
        Some(&json!("system:serviceaccount:default:default"))
    );
    elapsed
}

fn p99(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[(samples.len() * 99 / 100).min(samples.len() - 1)]
}

fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1e3)
}

/// One round: quiet p99, burst p99 (ms), the burst's duration, and bad requests per second.
async fn round(server: &ApiServer, good_token: &str, round: usize) -> (Duration, Duration) {
    let good = bare_client(server, Some(good_token)).await;
    for _ in 0..WARM_UP {
        good_request(&good).await;
    }
    let mut quiet = Vec::with_capacity(QUIET_REQUESTS);
    for _ in 0..QUIET_REQUESTS {
        quiet.push(good_request(&good).await);
    }

    let bad = bare_client(server, None).await;
    let tokens = bad_tokens(good_token, BAD_TOKENS);
    let done = Arc::new(AtomicBool::new(false));
    let burst = {
        let done = done.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let refused = futures::stream::iter(tokens)
                .map(|token| {
                    let bad = bad.clone();
                    async move {
                        match bad
                            .request::<Value>(self_subject_review(Some(&token)))
                            .await
                        {
                            Err(kube::Error::Api(status)) => status.code == 401,
                            _ => false,
                        }
                    }
                })
                .buffer_unordered(BAD_CLIENTS)
                .filter(|refused| futures::future::ready(*refused))
                .count()
                .await;
            done.store(true, Ordering::Release);
            (refused, started.elapsed())
        })
    };
    let mut during = Vec::new();
    while !done.load(Ordering::Acquire) {
        during.push(good_request(&good).await);
    }
    let (refused, burst_time) = burst.await.expect("burst");
    assert_eq!(refused, BAD_TOKENS, "every bad token is refused with 401");
    let (quiet_p99, burst_p99) = (p99(&mut quiet), p99(&mut during));
    println!(
        "round {round}: quiet p99 {} (n={}); during the burst p99 {} (n={}); {} bad tokens refused in {:.2} s ({}/s) by {BAD_CLIENTS} clients",
        ms(quiet_p99),
        quiet.len(),
        ms(burst_p99),
        during.len(),
        BAD_TOKENS,
        burst_time.as_secs_f64(),
        fmt(BAD_TOKENS as f64 / burst_time.as_secs_f64()),
    );
    (quiet_p99, burst_p99)
}

fn main() {
    let rounds = common::rounds(3);
    let runtime = common::runtime();
    let (server, good_token) = runtime.block_on(setup());
    let (mut quiet, mut burst, mut ratios) = (vec![], vec![], vec![]);
    for n in 1..=rounds {
        let (q, b) = runtime.block_on(round(&server, &good_token, n));
        quiet.push(q.as_secs_f64() * 1e3);
        burst.push(b.as_secs_f64() * 1e3);
        ratios.push(b.as_secs_f64() / q.as_secs_f64());
    }
    println!("quiet p99 (ms): {}", spread(&quiet));
    println!("burst p99 (ms): {}", spread(&burst));
    println!("burst p99 ÷ quiet p99: {}", spread(&ratios));
    runtime.block_on(server.shutdown());
    report(
        "good-request p99 during a 10,000-bad-token burst (64 clients, HTTPS) ÷ quiet p99",
        median(&ratios),
        "×",
        Target::AtMost(2.0),
    );
}
