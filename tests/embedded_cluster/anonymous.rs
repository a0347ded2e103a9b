//! Requests without credentials, as kube-apiserver 1.33 answers them: with
//! `--anonymous-auth` (the default) they are `system:anonymous`, whom the bootstrap policy
//! lets read only `/version` and the health paths; without it they are 401. A token that
//! fails is 401 either way. Also the v1 Endpoints deprecation warning, which every request
//! that reaches the endpoints handlers carries.

use std::time::{Duration, Instant};

use http::{HeaderMap, Request};
use kube_sa::apiserver::ApiServer;
use serde_json::{json, Value};

use crate::support::{kubectl, kubectl_binaries};

const ENDPOINTS_WARNING: &str =
    "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice";

/// A client that trusts the server's CA and sends no credentials of its own.
async fn anonymous_client(server: &ApiServer) -> kube::Client {
    let kubeconfig = kube::config::Kubeconfig::from_yaml(server.kubeconfig_yaml()).expect("yaml");
    let mut config = kube::Config::from_custom_kubeconfig(
        kubeconfig,
        &kube::config::KubeConfigOptions::default(),
    )
    .await
    .expect("config");
    config.auth_info = kube::config::AuthInfo::default();
    kube::Client::try_from(config).expect("client")
}

struct Answer {
    code: u16,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    fn warnings(&self) -> Vec<String> {
        self.headers
            .get_all(http::header::WARNING)
            .iter()
            .map(|v| v.to_str().expect("ascii").to_string())
            .collect()
    }
}

async fn send(client: &kube::Client, request: Request<Vec<u8>>) -> Answer {
    let response = client
        .send(request.map(kube::client::Body::from))
        .await
        .expect("response");
    let code = response.status().as_u16();
    let headers = response.headers().clone();
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .expect("body")
        .to_bytes();
    Answer {
        code,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn request(method: &str, path: &str, authorization: Option<&str>, body: &str) -> Request<Vec<u8>> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json");
    if let Some(value) = authorization {
        builder = builder.header("authorization", value);
    }
    builder.body(body.as_bytes().to_vec()).expect("request")
}

const SPACE_WARNING: &str = "299 - \"the provided Authorization header contains extra space before the bearer token, and is ignored\"";

const WHOAMI: &str = r#"{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}"#;

/// What the anonymous user gets on each path, with the exact 403 texts of upstream.
async fn assert_anonymous_answers(client: &kube::Client, authorization: Option<&str>) {
    // `Bearer  <token>` is no token, and upstream warns of it on every answer.
    let expected_warnings: Vec<String> = match authorization {
        Some(value) if value.starts_with("Bearer  ") => vec![SPACE_WARNING.to_string()],
        _ => Vec::new(),
    };
    let get = |path: &'static str| send(client, request("GET", path, authorization, ""));
    let version = get("/version").await;
    assert_eq!(version.code, 200, "{authorization:?}: {}", version.body);
    assert_eq!(version.json()["gitVersion"], "v1.33.0");
    assert_eq!(version.warnings(), expected_warnings, "{authorization:?}");
    // Upstream's `WithCacheControl` marks every answer, refusals included.
    assert_eq!(
        version.headers.get(http::header::CACHE_CONTROL),
        Some(&http::HeaderValue::from_static("no-cache, private"))
    );
    // Authorized on the decoded path, as it is routed.
    let escaped = get("/vers%69on").await;
    assert_eq!(escaped.code, 200, "{authorization:?}: {}", escaped.body);
    for path in ["/healthz", "/livez", "/readyz"] {
        let health = get(path).await;
        assert_eq!((health.code, health.body.as_str()), (200, "ok"), "{path}");
        assert_eq!(health.warnings(), expected_warnings, "{path}");
    }
    let forbidden_paths = [
        ("/api", "forbidden: User \"system:anonymous\" cannot get path \"/api\""),
        ("/apis", "forbidden: User \"system:anonymous\" cannot get path \"/apis\""),
        (
            "/readyz/ping",
            "forbidden: User \"system:anonymous\" cannot get path \"/readyz/ping\"",
        ),
        (
            "/api/v1/namespaces",
            "namespaces is forbidden: User \"system:anonymous\" cannot list resource \"namespaces\" in API group \"\" at the cluster scope",
        ),
        (
            "/api/v1/namespaces/default/endpoints",
            "endpoints is forbidden: User \"system:anonymous\" cannot list resource \"endpoints\" in API group \"\" in the namespace \"default\"",
        ),
        // A namespace object is authorized in that namespace, as upstream reads the path.
        (
            "/api/v1/namespaces/default",
            "namespaces \"default\" is forbidden: User \"system:anonymous\" cannot get resource \"namespaces\" in API group \"\" in the namespace \"default\"",
        ),
        // Authorization comes before the router: a subresource that is not served is a 403
        // here too, not the admin's 404.
        (
            "/api/v1/namespaces/default/serviceaccounts/default/foo",
            "serviceaccounts \"default\" is forbidden: User \"system:anonymous\" cannot get resource \"serviceaccounts/foo\" in API group \"\" in the namespace \"default\"",
        ),
    ];
    for (path, message) in forbidden_paths {
        let answer = get(path).await;
        assert_eq!(answer.code, 403, "{path}: {}", answer.body);
        assert_eq!(
            answer.headers.get(http::header::CACHE_CONTROL),
            Some(&http::HeaderValue::from_static("no-cache, private")),
            "{path}"
        );
        let status = answer.json();
        assert_eq!(status["reason"], "Forbidden", "{path}");
        assert_eq!(status["message"], message, "{path}");
        // Authorization refuses before the endpoints handlers run: no deprecation warning.
        assert_eq!(answer.warnings(), expected_warnings, "{path}");
    }
    // A method the resource does not serve is authorized as its verb first: a POST to a
    // named object is a `create` refused here, not the admin's 405.
    let named_post = send(
        client,
        request(
            "POST",
            "/api/v1/namespaces/default/configmaps/x",
            authorization,
            "{}",
        ),
    )
    .await;
    assert_eq!(named_post.code, 403, "{}", named_post.body);
    assert_eq!(
        named_post.json()["message"],
        "configmaps \"x\" is forbidden: User \"system:anonymous\" cannot create resource \"configmaps\" in API group \"\" in the namespace \"default\""
    );
    let whoami = send(
        client,
        request(
            "POST",
            "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            authorization,
            WHOAMI,
        ),
    )
    .await;
    assert_eq!(whoami.code, 403, "{}", whoami.body);
    assert_eq!(
        whoami.json()["message"],
        "selfsubjectreviews.authentication.k8s.io is forbidden: User \"system:anonymous\" cannot create resource \"selfsubjectreviews\" in API group \"authentication.k8s.io\" at the cluster scope"
    );
}

#[tokio::test]
async fn a_request_without_credentials_is_the_anonymous_user() {
    let server = ApiServer::builder()
        .without_service_accounts()
        .start()
        .await
        .expect("server starts");
    let anonymous = anonymous_client(&server).await;
    // No header at all, another scheme, and a bearer header without a token are all
    // "no credentials" to upstream's bearer-token authenticator.
    for authorization in [
        None,
        Some("Basic dXNlcjpwYXNz"),
        Some("Bearer "),
        Some("Bearer  x"),
    ] {
        assert_anonymous_answers(&anonymous, authorization).await;
    }

    // A token that fails is still a 401, on public paths too.
    for path in ["/version", "/healthz", "/api"] {
        let answer = send(
            &anonymous,
            request("GET", path, Some("Bearer not-a-token"), ""),
        )
        .await;
        assert_eq!(answer.code, 401, "{path}: {}", answer.body);
        assert_eq!(answer.json()["reason"], "Unauthorized", "{path}");
    }

    // Once the admin grants system:basic-user to the unauthenticated, whoami answers the
    // anonymous user (upstream's SelfSubjectReview returns whoever asks).
    let admin = server.client().await.expect("admin client");
    let binding = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
        "metadata": {"name": "anonymous-basic-user"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:basic-user"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:unauthenticated"}],
    });
    let created = send(
        &admin,
        request(
            "POST",
            "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
            None,
            &binding.to_string(),
        ),
    )
    .await;
    assert_eq!(created.code, 201, "{}", created.body);
    // The authorizer learns of the binding through its watch: poll, with a deadline.
    let deadline = Instant::now() + Duration::from_secs(10);
    let review = loop {
        let answer = send(
            &anonymous,
            request(
                "POST",
                "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                None,
                WHOAMI,
            ),
        )
        .await;
        if answer.code == 201 {
            break answer.json();
        }
        assert!(
            Instant::now() < deadline,
            "whoami still answers {}: {}",
            answer.code,
            answer.body
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(
        review["status"]["userInfo"],
        json!({"username": "system:anonymous", "groups": ["system:unauthenticated"]}),
        "{review}"
    );
    server.shutdown().await;
}

/// OIDC discovery is not public by default: upstream binds
/// `system:service-account-issuer-discovery` to `system:serviceaccounts` only.
#[tokio::test]
async fn oidc_discovery_is_forbidden_to_the_anonymous_user() {
    let mut options = kube_sa::apiserver::components::ServiceAccountOptions {
        mode: kube_sa::Mode::Bound,
        ..Default::default()
    };
    options.issuer.issuers = vec!["https://issuer.example.com".to_string()];
    let server = ApiServer::builder()
        .service_accounts(options)
        .start()
        .await
        .expect("server starts");
    let anonymous = anonymous_client(&server).await;
    for path in ["/.well-known/openid-configuration", "/openid/v1/jwks"] {
        let answer = send(&anonymous, request("GET", path, None, "")).await;
        assert_eq!(answer.code, 403, "{path}: {}", answer.body);
        assert_eq!(
            answer.json()["message"],
            format!("forbidden: User \"system:anonymous\" cannot get path \"{path}\""),
        );
    }
    // The admin reads them, so the documents are served.
    let admin = server.client().await.expect("admin client");
    let answer = send(&admin, request("GET", "/openid/v1/jwks", None, "")).await;
    assert_eq!(answer.code, 200, "{}", answer.body);
    server.shutdown().await;
}

#[tokio::test]
async fn without_anonymous_auth_a_request_without_credentials_is_401() {
    let server = ApiServer::builder()
        .without_service_accounts()
        .anonymous_auth(false)
        .start()
        .await
        .expect("server starts");
    let anonymous = anonymous_client(&server).await;
    for path in [
        "/version",
        "/healthz",
        "/readyz",
        "/api",
        "/api/v1/namespaces",
    ] {
        for authorization in [
            None,
            Some("Basic dXNlcjpwYXNz"),
            Some("Bearer not-a-token"),
            Some("Bearer  x"),
        ] {
            let answer = send(&anonymous, request("GET", path, authorization, "")).await;
            assert_eq!(
                answer.code, 401,
                "{path} {authorization:?}: {}",
                answer.body
            );
            assert_eq!(answer.json()["message"], "Unauthorized", "{path}");
            // The warning of authentication comes with its refusal.
            let expected: &[&str] = if authorization == Some("Bearer  x") {
                &[SPACE_WARNING]
            } else {
                &[]
            };
            assert_eq!(answer.warnings(), expected, "{path} {authorization:?}");
        }
    }
    // The admin's token still works, on the public paths too.
    let admin = server.client().await.expect("admin client");
    for path in ["/version", "/healthz", "/api"] {
        assert_eq!(
            send(&admin, request("GET", path, None, "")).await.code,
            200,
            "{path}"
        );
    }
    server.shutdown().await;
}

#[tokio::test]
async fn every_request_on_endpoints_carries_the_deprecation_warning() {
    let server = ApiServer::builder()
        .without_service_accounts()
        .start()
        .await
        .expect("server starts");
    let admin = server.client().await.expect("admin client");
    let collection = "/api/v1/namespaces/default/endpoints";
    let object = "/api/v1/namespaces/default/endpoints/web";
    let endpoints = json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "web"},
        "subsets": [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 80}]}]});
    let patch = r#"{"metadata":{"labels":{"a":"b"}}}"#;
    let steps: Vec<(&str, &str, String, u16)> = vec![
        ("POST", collection, endpoints.to_string(), 201),
        ("GET", object, String::new(), 200),
        ("GET", collection, String::new(), 200),
        ("GET", "/api/v1/endpoints", String::new(), 200),
        // A watch carries it in its response head.
        (
            "GET",
            "/api/v1/namespaces/default/endpoints?watch=1&timeoutSeconds=1",
            String::new(),
            200,
        ),
        ("PATCH", object, patch.to_string(), 200),
        ("DELETE", object, String::new(), 200),
        // Errors from the handlers carry it too.
        ("GET", object, String::new(), 404),
    ];
    for (method, path, body, code) in steps {
        let mut request = request(method, path, None, &body);
        if method == "PATCH" {
            request.headers_mut().insert(
                "content-type",
                http::HeaderValue::from_static("application/merge-patch+json"),
            );
        }
        let answer = send(&admin, request).await;
        assert_eq!(answer.code, code, "{method} {path}: {}", answer.body);
        assert_eq!(
            answer.warnings(),
            [format!("299 - \"{ENDPOINTS_WARNING}\"")],
            "{method} {path}"
        );
    }
    // Other kinds carry none, EndpointSlices included.
    for path in [
        "/api/v1/namespaces/default/configmaps",
        "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices",
    ] {
        let answer = send(&admin, request("GET", path, None, "")).await;
        assert_eq!(answer.code, 200, "{path}");
        assert!(
            answer.warnings().is_empty(),
            "{path}: {:?}",
            answer.warnings()
        );
    }
    server.shutdown().await;
}

/// kubectl, newest and oldest: `get endpoints` and `get componentstatuses` print
/// upstream's deprecation warnings, `get configmaps` none. (kubectl itself cannot send a request without credentials: with none in its
/// kubeconfig it prompts for a basic-auth username, so the anonymous user is tested with a
/// bare HTTP client above, as `curl -k` would be.)
#[tokio::test]
async fn kubectl_prints_the_deprecation_warnings() {
    let server = ApiServer::builder()
        .without_service_accounts()
        .start()
        .await
        .expect("server starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let admin = dir.path().join("admin");
    std::fs::write(&admin, server.kubeconfig_yaml()).expect("write");
    for binary in kubectl_binaries() {
        let name = binary.display().to_string();
        let admin = admin.clone();
        tokio::task::spawn_blocking(move || {
            let got = kubectl(
                &binary,
                &admin,
                &["get", "endpoints", "-n", "default"],
                None,
            );
            assert!(got.success, "{name}: {}", got.stderr);
            assert!(
                got.stderr
                    .lines()
                    .any(|l| l == format!("Warning: {ENDPOINTS_WARNING}")),
                "{name}: {}",
                got.stderr
            );
            let got = kubectl(&binary, &admin, &["get", "componentstatuses"], None);
            assert!(got.success, "{name}: {}", got.stderr);
            assert!(
                got.stderr
                    .lines()
                    .any(|l| l == "Warning: v1 ComponentStatus is deprecated in v1.19+"),
                "{name}: {}",
                got.stderr
            );
            let got = kubectl(&binary, &admin, &["get", "configmaps", "-A"], None);
            assert!(
                got.success && !got.stderr.contains("Warning"),
                "{name}: {}",
                got.stderr
            );
        })
        .await
        .expect("kubectl runs");
    }
    server.shutdown().await;
}

/// `kube-sa serve --anonymous-auth=false`: the flag reaches the server.
#[tokio::test]
async fn serve_takes_the_anonymous_auth_flag() {
    for (flag, version_code) in [
        ("--anonymous-auth=true", 200),
        ("--anonymous-auth=false", 401),
    ] {
        let process = crate::support::ServeProcess::start(&[flag]);
        let yaml = std::fs::read_to_string(&process.kubeconfig).expect("kubeconfig");
        let kubeconfig = kube::config::Kubeconfig::from_yaml(&yaml).expect("yaml");
        let mut config = kube::Config::from_custom_kubeconfig(
            kubeconfig,
            &kube::config::KubeConfigOptions::default(),
        )
        .await
        .expect("config");
        config.auth_info = kube::config::AuthInfo::default();
        let client = kube::Client::try_from(config).expect("client");
        let answer = send(&client, request("GET", "/version", None, "")).await;
        assert_eq!(answer.code, version_code, "{flag}: {}", answer.body);
        let answer = send(&client, request("GET", "/api", None, "")).await;
        assert_eq!(
            answer.code,
            if version_code == 200 { 403 } else { 401 },
            "{flag}"
        );
        drop(process);
    }
}
