//! The fake clock end to end (`/debug/clock`, `ApiServer::advance_clock`, object
//! timestamps) and OIDC discovery in bound mode (spec-modern §7), through kube-rs.

use std::sync::Arc;
use std::time::Duration;

use http::Request;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, PostParams};
use kube_sa::apiserver::components::ServiceAccountOptions;
use kube_sa::apiserver::ApiServer;
use kube_sa::clock::FakeClock;
use serde_json::{json, Value};

const START: &str = "2030-01-01T00:00:00Z";

async fn fake_clock_server() -> (ApiServer, kube::Client) {
    let clock = Arc::new(FakeClock::new(START.parse().expect("timestamp")));
    let server = ApiServer::builder()
        .fake_clock(clock)
        .start()
        .await
        .expect("server starts");
    let client = server.client().await.expect("client");
    (server, client)
}

/// Status code and body of a request, whatever the code.
async fn send(client: &kube::Client, request: Request<Vec<u8>>) -> (u16, Value) {
    let response = client
        .send(request.map(kube::client::Body::from))
        .await
        .expect("response");
    let code = response.status().as_u16();
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .expect("body")
        .to_bytes();
    (code, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn get(path: &str) -> Request<Vec<u8>> {
    Request::get(path).body(Vec::new()).expect("request")
}

fn post(path: &str, body: &str) -> Request<Vec<u8>> {
    Request::post(path)
        .header("content-type", "application/json")
        .body(body.as_bytes().to_vec())
        .expect("request")
}

async fn create_namespace(client: &kube::Client, name: &str) -> Namespace {
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let mut namespace = Namespace::default();
    namespace.metadata.name = Some(name.into());
    namespaces
        .create(&PostParams::default(), &namespace)
        .await
        .expect("namespace created")
}

fn created_at(namespace: &Namespace) -> String {
    serde_json::to_value(&namespace.metadata.creation_timestamp)
        .expect("json")
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn the_fake_clock_is_read_and_moved_through_debug_clock() {
    let (server, client) = fake_clock_server().await;

    // The system namespaces were created at the clock's time.
    let default: Api<Namespace> = Api::all(client.clone());
    let default = default.get("default").await.expect("default");
    assert_eq!(created_at(&default), START);

    assert_eq!(
        send(&client, get("/debug/clock")).await,
        (200, json!({"now": START}))
    );
    assert_eq!(
        send(&client, post("/debug/clock", r#"{"advanceSeconds": 3600}"#)).await,
        (200, json!({"now": "2030-01-01T01:00:00Z"}))
    );
    let created = create_namespace(&client, "after-an-hour").await;
    assert_eq!(created_at(&created), "2030-01-01T01:00:00Z");
    let managed = created.metadata.managed_fields.unwrap_or_default();
    assert_eq!(
        managed
            .first()
            .and_then(|m| serde_json::to_value(&m.time).ok())
            .and_then(|t| t.as_str().map(str::to_string))
            .as_deref(),
        Some("2030-01-01T01:00:00Z"),
        "managedFields time"
    );

    // The Rust handle moves the same clock, and whoever waits on it wakes.
    let clock = server.clock();
    let deadline: jiff::Timestamp = "2030-01-02T01:00:00Z".parse().expect("timestamp");
    let sleeper = tokio::spawn({
        let clock = clock.clone();
        async move { clock.sleep_until(deadline).await }
    });
    let now = server
        .advance_clock(Duration::from_secs(24 * 60 * 60))
        .expect("a fake clock");
    assert_eq!(now, deadline);
    tokio::time::timeout(Duration::from_secs(10), sleeper)
        .await
        .expect("the waiter woke")
        .expect("joined");
    assert_eq!(
        send(&client, get("/debug/clock")).await,
        (200, json!({"now": "2030-01-02T01:00:00Z"}))
    );

    // A bad body is a 400 Status and moves nothing.
    for body in [
        "",
        "{}",
        r#"{"advanceSeconds": -5}"#,
        r#"{"advanceSeconds": "1"}"#,
    ] {
        let (code, status) = send(&client, post("/debug/clock", body)).await;
        assert_eq!(code, 400, "{body:?}");
        assert_eq!(status["kind"], "Status");
        assert_eq!(status["reason"], "BadRequest");
    }
    assert_eq!(
        send(&client, get("/debug/clock")).await.1,
        json!({"now": "2030-01-02T01:00:00Z"})
    );

    // Only admins: anyone else gets upstream's non-resource 403.
    let as_user = |request: Request<Vec<u8>>| {
        let (mut parts, body) = request.into_parts();
        parts
            .headers
            .insert("impersonate-user", "jane".parse().expect("header"));
        Request::from_parts(parts, body)
    };
    let (code, status) = send(
        &client,
        as_user(post("/debug/clock", r#"{"advanceSeconds": 60}"#)),
    )
    .await;
    assert_eq!(code, 403);
    assert_eq!(
        status["message"],
        "forbidden: User \"jane\" cannot post path \"/debug/clock\""
    );
    assert_eq!(send(&client, as_user(get("/debug/clock"))).await.0, 403);
    assert_eq!(
        send(&client, get("/debug/clock")).await.1,
        json!({"now": "2030-01-02T01:00:00Z"})
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_real_clock_has_no_debug_clock() {
    let server = ApiServer::builder()
        .without_service_accounts()
        .start()
        .await
        .expect("server starts");
    let client = server.client().await.expect("client");
    let (code, status) = send(&client, get("/debug/clock")).await;
    assert_eq!(code, 404);
    assert_eq!(status["reason"], "NotFound");
    assert_eq!(
        send(&client, post("/debug/clock", r#"{"advanceSeconds": 60}"#))
            .await
            .0,
        404
    );
    assert!(server.advance_clock(Duration::from_secs(1)).is_err());
    server.shutdown().await;
}

async fn bound_server(issuer: &str) -> (ApiServer, kube::Client) {
    let mut options = ServiceAccountOptions {
        mode: kube_sa::Mode::Bound,
        ..Default::default()
    };
    options.issuer.issuers = vec![issuer.to_string()];
    let server = ApiServer::builder()
        .service_accounts(options)
        .start()
        .await
        .expect("server starts");
    let client = server.client().await.expect("client");
    (server, client)
}

/// Request as a service account (group `system:serviceaccounts`), through impersonation.
fn as_service_account(path: &str) -> Request<Vec<u8>> {
    Request::get(path)
        .header("impersonate-user", "system:serviceaccount:default:default")
        .header("impersonate-group", "system:serviceaccounts")
        .body(Vec::new())
        .expect("request")
}

#[tokio::test]
async fn bound_mode_serves_oidc_discovery_that_verifies_the_servers_tokens() {
    let issuer = "https://issuer.example.com";
    let (server, client) = bound_server(issuer).await;
    let key = server.signing_key().expect("signing key").clone();
    let address = server.url().trim_start_matches("https://").to_string();

    let response = client
        .send(as_service_account("/.well-known/openid-configuration").map(kube::client::Body::from))
        .await
        .expect("response");
    assert_eq!(response.status().as_u16(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["cache-control"], "public, max-age=3600");
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .expect("body")
        .to_bytes();
    let algorithm = key.algorithm().as_str();
    assert_eq!(
        String::from_utf8_lossy(&body),
        format!(
            r#"{{"issuer":"{issuer}","jwks_uri":"https://{address}/openid/v1/jwks","response_types_supported":["id_token"],"subject_types_supported":["public"],"id_token_signing_alg_values_supported":["{algorithm}"]}}"#
        )
    );

    let response = client
        .send(as_service_account("/openid/v1/jwks?format=yaml").map(kube::client::Body::from))
        .await
        .expect("response");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/jwk-set+json"
    );
    assert_eq!(response.headers()["cache-control"], "public, max-age=3600");
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .expect("body")
        .to_bytes();
    let keys: jsonwebtoken::jwk::JwkSet = serde_json::from_slice(&body).expect("a JWK set");
    assert_eq!(keys.keys.len(), 1);
    let jwk = keys
        .find(key.public_key().key_id())
        .expect("the signing key's kid is published");

    // A token the server's key signed verifies against the published key.
    let token = kube_sa::serviceaccount::TokenGenerator::legacy(key.clone())
        .legacy_token("default", "default", "1234", "default-token-abcde")
        .expect("token");
    let decoding = jsonwebtoken::DecodingKey::from_jwk(jwk).expect("decoding key");
    let mut validation = jsonwebtoken::Validation::new(
        <jsonwebtoken::Algorithm as std::str::FromStr>::from_str(algorithm).expect("algorithm"),
    );
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.set_issuer(&["kubernetes/serviceaccount"]);
    let claims = jsonwebtoken::decode::<Value>(&token, &decoding, &validation)
        .expect("verified with the published key")
        .claims;
    assert_eq!(claims["sub"], "system:serviceaccount:default:default");
    let mut forged = token.clone();
    forged.replace_range(forged.len() - 4.., "AAAA");
    assert!(jsonwebtoken::decode::<Value>(&forged, &decoding, &validation).is_err());

    // go-restful serves both documents with GET alone: other methods are its 405.
    for path in ["/.well-known/openid-configuration", "/openid/v1/jwks"] {
        let (code, status) = send(&client, post(path, "{}")).await;
        assert_eq!(
            (code, &status["reason"]),
            (405, &json!("MethodNotAllowed")),
            "{path}"
        );
    }

    // URL boundaries: sub-paths are not served; others need a binding.
    assert_eq!(send(&client, get("/.well-known")).await.0, 404);
    assert_eq!(send(&client, get("/openid/v1/jwks/foo")).await.0, 404);
    let (code, status) = send(
        &client,
        Request::get("/openid/v1/jwks")
            .header("impersonate-user", "jane")
            .body(Vec::new())
            .expect("request"),
    )
    .await;
    assert_eq!(code, 403);
    assert_eq!(
        status["message"],
        "forbidden: User \"jane\" cannot get path \"/openid/v1/jwks\""
    );
    server.shutdown().await;
}

#[tokio::test]
async fn discovery_is_not_installed_in_legacy_mode_or_when_it_cannot_be_built() {
    let (server, client) = bound_server("http://not-https.example.com").await;
    assert_eq!(
        send(&client, get("/.well-known/openid-configuration"))
            .await
            .0,
        404
    );
    assert_eq!(send(&client, get("/openid/v1/jwks")).await.0, 404);
    server.shutdown().await;

    let server = ApiServer::builder().start().await.expect("legacy server");
    let client = server.client().await.expect("client");
    assert_eq!(
        send(&client, get("/.well-known/openid-configuration"))
            .await
            .0,
        404
    );
    assert_eq!(send(&client, get("/openid/v1/jwks")).await.0, 404);
    // Not installed, so no route to refuse the method: a POST is a 404 too.
    assert_eq!(send(&client, post("/openid/v1/jwks", "{}")).await.0, 404);
    server.shutdown().await;
}

/// `kube-sa serve --clock=fake --mode=bound` through kubectl's raw requests, with the
/// oldest and the newest kubectl.
#[test]
fn kubectl_reads_and_moves_the_clock_and_reads_discovery_of_a_served_cluster() {
    use crate::support::{kubectl, kubectl_binaries, ServeProcess};
    let server = ServeProcess::start(&[
        "--clock=fake",
        "--mode=bound",
        "--service-account-issuer=https://issuer.example.com",
    ]);
    for binary in kubectl_binaries() {
        let run = |args: &[&str], stdin: Option<&str>| {
            let out = kubectl(&binary, &server.kubeconfig, args, stdin);
            (out.success, out.stdout, out.stderr)
        };
        let now = |text: &str| -> jiff::Timestamp {
            let value: Value = serde_json::from_str(text).expect("clock JSON");
            value["now"]
                .as_str()
                .expect("now")
                .parse()
                .expect("RFC 3339")
        };
        let (ok, before, err) = run(&["get", "--raw", "/debug/clock"], None);
        assert!(ok, "{err}");
        let before = now(&before);
        let (ok, after, err) = run(
            &["create", "--raw", "/debug/clock", "-f", "-"],
            Some(r#"{"advanceSeconds": 86400}"#),
        );
        assert!(ok, "{err}");
        assert_eq!(now(&after).as_second() - before.as_second(), 86400);
        let (ok, _, err) = run(
            &["create", "--raw", "/debug/clock", "-f", "-"],
            Some(r#"{"advanceSeconds": "soon"}"#),
        );
        assert!(!ok);
        assert!(err.contains("BadRequest") || err.contains("400"), "{err}");

        let (ok, config, err) = run(&["get", "--raw", "/.well-known/openid-configuration"], None);
        assert!(ok, "{err}");
        let config: Value = serde_json::from_str(&config).expect("discovery JSON");
        assert_eq!(config["issuer"], "https://issuer.example.com");
        assert_eq!(
            config["jwks_uri"],
            format!("{}/openid/v1/jwks", server.url).as_str()
        );
        let (ok, keys, err) = run(&["get", "--raw", "/openid/v1/jwks"], None);
        assert!(ok, "{err}");
        let keys: Value = serde_json::from_str(&keys).expect("JWKS JSON");
        assert_eq!(keys["keys"][0]["use"], "sig");
    }
    server.terminate();
}
