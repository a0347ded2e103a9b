//! Fault injection end to end (`/debug/faults`, `ApiServer::faults`, `kube-sa serve
//! --fault-injection`): injected codes reach kube-rs and kubectl as upstream's Statuses,
//! a failed write stores nothing, and a dropped watch's stream just ends.

use std::time::Duration;

use http::Request;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Api, ListParams, PostParams};
use kube_sa::apiserver::ApiServer;
use serde_json::{json, Value};

use crate::support::{kubectl, kubectl_binaries, ServeProcess};

async fn faulty_server() -> (ApiServer, kube::Client) {
    let server = ApiServer::builder()
        .without_service_accounts()
        .fault_injection(true)
        .start()
        .await
        .expect("server starts");
    let client = server.client().await.expect("client");
    (server, client)
}

/// Status code, `Retry-After` and JSON body of a request, whatever the code.
async fn send(client: &kube::Client, request: Request<Vec<u8>>) -> (u16, Option<String>, Value) {
    let response = client
        .send(request.map(kube::client::Body::from))
        .await
        .expect("response");
    let code = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .expect("body")
        .to_bytes();
    (
        code,
        retry_after,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    )
}

fn request(method: &str, path: &str, body: &str) -> Request<Vec<u8>> {
    Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .body(body.as_bytes().to_vec())
        .expect("request")
}

fn secret_body(name: &str) -> String {
    json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "data": {}})
        .to_string()
}

#[tokio::test]
async fn injected_failures_are_upstream_statuses_and_store_nothing() {
    let (server, client) = faulty_server().await;
    assert_eq!(
        send(&client, request("GET", "/debug/faults", "")).await.2,
        json!({"rules": []})
    );
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "default");
    // 429 and 504 are left to the unit tests: kube-rs retries them with back-off.
    let expected: [(u16, &str, Option<&str>); 2] =
        [(500, "InternalError", None), (409, "Conflict", None)];
    for (code, reason, retry_after) in expected {
        let rules = json!({"rules": [{"verbs": ["create"], "resources": ["secrets"],
            "namespaces": ["default"], "code": code}]});
        let (answer, _, config) = send(
            &client,
            request("POST", "/debug/faults", &rules.to_string()),
        )
        .await;
        assert_eq!(answer, 200);
        assert_eq!(config["rules"][0]["code"], code);

        let name = format!("s{code}");
        let (got, got_retry, status) = send(
            &client,
            request(
                "POST",
                "/api/v1/namespaces/default/secrets",
                &secret_body(&name),
            ),
        )
        .await;
        assert_eq!(got, code, "{status}");
        assert_eq!(status["kind"], "Status");
        assert_eq!(status["reason"], reason);
        assert_eq!(status["code"], code);
        assert_eq!(got_retry.as_deref(), retry_after, "Retry-After for {code}");
        // Nothing was stored, and other verbs and resources are untouched.
        assert!(secrets.get_opt(&name).await.expect("get").is_none());
        let maps: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
        let mut map = ConfigMap::default();
        map.metadata.name = Some(format!("m{code}"));
        maps.create(&PostParams::default(), &map)
            .await
            .expect("configmaps are not failed");
    }

    // kube-rs sees the Status as an API error.
    let mut secret = Secret::default();
    secret.metadata.name = Some("typed".into());
    match secrets.create(&PostParams::default(), &secret).await {
        Err(kube::Error::Api(status)) => assert_eq!(status.code, 409),
        other => panic!("expected the injected 409, got {other:?}"),
    }

    // A bad body is a 400 naming the field and changes nothing.
    let (code, _, status) = send(
        &client,
        request("POST", "/debug/faults", r#"{"rules": [{"code": 418}]}"#),
    )
    .await;
    assert_eq!(code, 400);
    assert_eq!(status["reason"], "BadRequest");
    assert!(
        status["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("rules[0].code: Unsupported value: 418")),
        "{status}"
    );
    assert_eq!(status["details"]["causes"][0]["field"], "rules[0].code");
    assert_eq!(
        server.faults().expect("on").config().rules[0].code,
        Some(409)
    );

    // Only admins may change the faults.
    let (mut parts, body) = request("DELETE", "/debug/faults", "").into_parts();
    parts
        .headers
        .insert("impersonate-user", "jane".parse().expect("header"));
    assert_eq!(send(&client, Request::from_parts(parts, body)).await.0, 403);

    // DELETE clears them: the write goes through.
    let (code, _, config) = send(&client, request("DELETE", "/debug/faults", "")).await;
    assert_eq!((code, config), (200, json!({"rules": []})));
    secrets
        .create(&PostParams::default(), &secret)
        .await
        .expect("created once the faults are gone");
    server.shutdown().await;
}

#[tokio::test]
async fn without_fault_injection_the_endpoint_is_not_there() {
    let server = ApiServer::builder()
        .without_service_accounts()
        .start()
        .await
        .expect("server starts");
    let client = server.client().await.expect("client");
    assert!(server.faults().is_none());
    for method in ["GET", "POST", "DELETE"] {
        let (code, _, status) = send(
            &client,
            request(method, "/debug/faults", r#"{"rules": []}"#),
        )
        .await;
        assert_eq!(code, 404, "{method}");
        assert_eq!(status["reason"], "NotFound");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_dropped_watch_just_ends_and_a_compacted_resume_is_gone() {
    let (server, client) = faulty_server().await;
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let from = maps
        .list(&ListParams::default())
        .await
        .expect("list")
        .metadata
        .resource_version
        .expect("resourceVersion");
    for i in 0..5 {
        let mut map = ConfigMap::default();
        map.metadata.name = Some(format!("m{i}"));
        maps.create(&PostParams::default(), &map)
            .await
            .expect("created");
    }
    let faults = server.faults().expect("on");
    faults.set(
        kube_sa::apiserver::faults::FaultConfig::from_json(br#"{"watchDropAfterEvents": 3}"#)
            .expect("valid"),
    );
    let watch = format!(
        "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={from}&timeoutSeconds=60"
    );
    // The stream ends by itself long before its timeout: the body completes.
    let response = tokio::time::timeout(Duration::from_secs(20), async {
        let response = client
            .send(request("GET", &watch, "").map(kube::client::Body::from))
            .await
            .expect("response");
        assert_eq!(response.status().as_u16(), 200);
        http_body_util::BodyExt::collect(response.into_body())
            .await
            .expect("body")
            .to_bytes()
    })
    .await
    .expect("the dropped watch ended");
    let events: Vec<Value> = String::from_utf8_lossy(&response)
        .lines()
        .map(|line| serde_json::from_str(line).expect("event"))
        .collect();
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(events.iter().all(|e| e["type"] == "ADDED"));

    // Resuming after a compaction is 410 Gone, sent as an ERROR event.
    faults.clear();
    server.compact_history();
    let body = tokio::time::timeout(Duration::from_secs(20), async {
        let response = client
            .send(request("GET", &watch, "").map(kube::client::Body::from))
            .await
            .expect("response");
        http_body_util::BodyExt::collect(response.into_body())
            .await
            .expect("body")
            .to_bytes()
    })
    .await
    .expect("the expired watch ended");
    let event: Value = serde_json::from_slice(&body).expect("one event");
    assert_eq!(event["type"], "ERROR");
    assert_eq!(event["object"]["code"], 410);
    server.shutdown().await;
}

#[test]
fn kubectl_sets_faults_with_create_raw_and_meets_them() {
    let serve = ServeProcess::start(&["--fault-injection"]);
    let kubectl_binary = kubectl_binaries().remove(0);
    let run = |args: &[&str], stdin: Option<&str>| {
        kubectl(&kubectl_binary, &serve.kubeconfig, args, stdin)
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("rules.json");
    std::fs::write(
        &rules,
        r#"{"rules": [{"verbs": ["create"], "resources": ["secrets"], "rate": 1, "code": 500}]}"#,
    )
    .expect("rules written");
    let rules_arg = rules.to_string_lossy().into_owned();

    let set = run(
        &["create", "--raw", "/debug/faults", "-f", &rules_arg],
        None,
    );
    assert!(set.success, "{}", set.stderr);
    let config: Value = serde_json::from_str(&set.stdout).expect("json");
    assert_eq!(config["rules"][0]["code"], 500);

    let create = run(
        &[
            "create",
            "secret",
            "generic",
            "s",
            "-n",
            "default",
            "--from-literal=a=b",
        ],
        None,
    );
    assert!(!create.success);
    assert!(
        create
            .stderr
            .contains("Internal error occurred: injected fault"),
        "{}",
        create.stderr
    );
    let get = run(&["get", "secret", "s", "-n", "default"], None);
    assert!(
        get.stderr.contains("NotFound"),
        "nothing was stored: {}",
        get.stderr
    );

    let cleared = run(&["delete", "--raw", "/debug/faults"], None);
    assert!(cleared.success, "{}", cleared.stderr);
    let create = run(
        &[
            "create",
            "secret",
            "generic",
            "s",
            "-n",
            "default",
            "--from-literal=a=b",
        ],
        None,
    );
    assert!(create.success, "{}", create.stderr);
    drop(serve);

    let plain = ServeProcess::start(&[]);
    let get = kubectl(
        &kubectl_binary,
        &plain.kubeconfig,
        &["get", "--raw", "/debug/faults"],
        None,
    );
    assert!(!get.success);
    assert!(get.stderr.contains("NotFound"), "{}", get.stderr);
}
