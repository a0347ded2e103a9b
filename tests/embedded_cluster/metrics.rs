//! `/metrics` of the embedded API server (kube-rs in-process, and kubectl against
//! `kube-sa serve`), and serve's probe and metrics listeners.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use k8s_openapi::api::core::v1::ServiceAccount;
use kube_sa::metrics::sample_value;

use crate::support::{cluster, kubectl, kubectl_binaries, poll_until, ServeProcess};

async fn scrape(client: &kube::Client) -> String {
    let request = http::Request::get("/metrics")
        .body(Vec::new())
        .expect("request");
    client
        .request_text(request)
        .await
        .expect("/metrics answers")
}

#[tokio::test]
async fn metrics_count_requests_with_upstreams_labels() {
    let (_server, client) = cluster().await;
    // Other tests in this binary share the process's metrics: only increases are asserted.
    let not_found = [
        ("code", "404"),
        ("component", "apiserver"),
        ("dry_run", ""),
        ("group", ""),
        ("resource", "serviceaccounts"),
        ("scope", "resource"),
        ("subresource", ""),
        ("verb", "GET"),
        ("version", "v1"),
    ];
    let before = sample_value(
        &scrape(&client).await,
        "apiserver_request_total",
        &not_found,
    )
    .unwrap_or(0.0);
    let accounts: kube::Api<ServiceAccount> = kube::Api::namespaced(client.clone(), "default");
    for name in ["missing-1", "missing-2", "missing-3"] {
        assert!(accounts.get_opt(name).await.expect("a 404").is_none());
    }
    let text = scrape(&client).await;
    let after = sample_value(&text, "apiserver_request_total", &not_found).unwrap_or(0.0);
    assert!(after >= before + 3.0, "{before} -> {after}");
    let list = [
        ("resource", "serviceaccounts"),
        ("scope", "namespace"),
        ("verb", "LIST"),
    ];
    accounts.list(&Default::default()).await.expect("list");
    let text_after_list = scrape(&client).await;
    assert!(
        sample_value(
            &text_after_list,
            "apiserver_request_duration_seconds_count",
            &list
        )
        .is_some_and(|n| n >= 1.0),
        "{text_after_list}"
    );
    // The account the service-account controller made for `default` went through the
    // ServiceAccount plugin's mutating phase.
    let plugin = [
        ("name", "ServiceAccount"),
        ("operation", "CREATE"),
        ("type", "admit"),
    ];
    assert!(
        sample_value(
            &text,
            "apiserver_admission_controller_admission_duration_seconds_count",
            &plugin
        )
        .is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert!(text.contains("# TYPE apiserver_request_duration_seconds histogram"));
}

/// A port nobody listens on right now, for a flag that needs a fixed one.
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A plain HTTP GET; the status code and the body.
pub(crate) fn http_get(address: SocketAddr, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(address).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let code = response.get(9..12)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n")?.1.to_string();
    Some((code, body))
}

#[test]
fn serve_answers_probes_metrics_and_kubectl_get_raw_metrics() {
    let probes: SocketAddr = ([127, 0, 0, 1], free_port()).into();
    let metrics: SocketAddr = ([127, 0, 0, 1], free_port()).into();
    let (probe_arg, metrics_arg) = (probes.to_string(), metrics.to_string());
    let server = ServeProcess::start(&[
        "--health-probe-bind-address",
        &probe_arg,
        "--metrics-bind-address",
        &metrics_arg,
    ]);
    assert_eq!(http_get(probes, "/healthz").map(|r| r.0), Some(200));
    poll_until(
        "/readyz once the controllers' caches synced",
        Duration::from_secs(10),
        || (http_get(probes, "/readyz")?.0 == 200).then_some(()),
    );
    let scraped = poll_until(
        "the service-account controller's queue in /metrics",
        Duration::from_secs(10),
        || {
            let (code, body) = http_get(metrics, "/metrics")?;
            let adds = sample_value(&body, "workqueue_adds_total", &[("name", "serviceaccount")])?;
            (code == 200 && adds >= 1.0).then_some(body)
        },
    );
    assert!(scraped.contains("workqueue_depth{name=\"serviceaccount_tokens_secret\"}"));

    let binary = kubectl_binaries().into_iter().next().expect("a kubectl");
    let out = kubectl(
        &binary,
        &server.kubeconfig,
        &["get", "--raw", "/metrics"],
        None,
    );
    assert!(out.success, "{}", out.stderr);
    assert!(
        sample_value(
            &out.stdout,
            "apiserver_request_total",
            &[("resource", "serviceaccounts"), ("verb", "LIST")]
        )
        .is_some(),
        "{}",
        out.stdout
    );
    // Authorized as the non-resource URL `/metrics`, verb get: a user without a role
    // is refused with upstream's text.
    let refused = kubectl(
        &binary,
        &server.kubeconfig,
        &["get", "--raw", "/metrics", "--as", "nobody"],
        None,
    );
    assert!(!refused.success);
    assert!(
        refused
            .stderr
            .contains("forbidden: User \"nobody\" cannot get path \"/metrics\""),
        "{}",
        refused.stderr
    );
}
