//! `kubectl create token` against a bound-mode embedded cluster (spec-modern §9, §1, §3),
//! with the oldest and the newest kubectl: the token authenticates with its extra fields,
//! its claims are §2's, upstream's errors and the cap's warning come back, and pod-bound
//! tokens and tokens of a deleted account stop working. The token cache is off, as in
//! upstream's integration tests.

use std::path::Path;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use kube_sa::apiserver::components::ServiceAccountOptions;
use kube_sa::apiserver::ApiServer;
use kube_sa::Mode;
use serde_json::{json, Value};

use crate::support::{kubectl, kubectl_binaries, poll_until, token_kubeconfig, Output};

const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";

fn ok(out: Output, what: &str) -> String {
    assert!(out.success, "{what}: {}", out.stderr);
    out.stdout
}

/// The decoded header and payload of a JWT.
fn decode(token: &str) -> (Value, Value) {
    let part = |i: usize| -> Value {
        let text = token.split('.').nth(i).expect("three parts");
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(text).expect("base64url")).expect("json")
    };
    (part(0), part(1))
}

fn whoami(bin: &Path, admin: &Path, token: &str) -> Output {
    let kubeconfig = token_kubeconfig(admin, token);
    kubectl(bin, &kubeconfig, &["auth", "whoami", "-o", "json"], None)
}

/// The user of a SelfSubjectReview, or the failure's stderr.
fn user_of(bin: &Path, admin: &Path, token: &str) -> Result<Value, String> {
    let out = whoami(bin, admin, token);
    if !out.success {
        return Err(out.stderr);
    }
    let review: Value = serde_json::from_str(&out.stdout).expect("review json");
    Ok(review["status"]["userInfo"].clone())
}

fn wait_until_refused(bin: &Path, admin: &Path, token: &str, what: &str) {
    let stderr = poll_until(what, Duration::from_secs(20), || {
        user_of(bin, admin, token).err()
    });
    assert!(stderr.contains("Unauthorized"), "{what}: {stderr}");
}

fn create(bin: &Path, admin: &Path, yaml: &str) {
    ok(
        kubectl(bin, admin, &["create", "-f", "-"], Some(yaml)),
        yaml,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_create_token_in_bound_mode() {
    let server = ApiServer::builder()
        .service_accounts(ServiceAccountOptions {
            mode: Mode::Bound,
            issuer: kube_sa::serviceaccount::IssuerOptions {
                max_token_expiration: Some(Duration::from_secs(2 * 60 * 60)),
                ..Default::default()
            },
            ..Default::default()
        })
        .token_cache_ttl(Duration::ZERO)
        .start()
        .await
        .expect("server starts");
    let kid = server
        .signing_key()
        .expect("signing key")
        .public_key()
        .key_id()
        .to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let admin = dir.path().join("kubeconfig");
    std::fs::write(&admin, server.kubeconfig_yaml()).expect("kubeconfig");
    let bins = kubectl_binaries();
    tokio::task::spawn_blocking(move || {
        for (index, bin) in bins.iter().enumerate() {
            let name = bin.display().to_string();
            let ns = format!("bound-{index}");
            let admin = admin.as_path();
            create(bin, admin, &format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n"));
            create(bin, admin, &format!("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\n  namespace: {ns}\n"));
            let sa_uid = ok(
                kubectl(bin, admin, &["get", "sa", "app", "-n", &ns, "-o", "jsonpath={.metadata.uid}"], None),
                "sa uid",
            );

            // No flags: the API audiences, an hour, bound to the account only.
            let token = ok(kubectl(bin, admin, &["create", "token", "app", "-n", &ns], None), &name);
            let token = token.trim();
            let (header, claims) = decode(token);
            assert_eq!(header, json!({"alg": "ES256", "kid": kid}), "{name}");
            assert_eq!(claims["aud"], json!([ISSUER]), "{name}");
            assert_eq!(claims["iss"], ISSUER, "{name}");
            assert_eq!(claims["sub"], format!("system:serviceaccount:{ns}:app"), "{name}");
            assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 3600);
            assert_eq!(claims["nbf"], claims["iat"]);
            assert_eq!(
                claims["kubernetes.io"],
                json!({"namespace": ns, "serviceaccount": {"name": "app", "uid": sa_uid}}),
                "{name}"
            );
            let keys: Vec<&String> = claims.as_object().unwrap().keys().collect();
            assert_eq!(keys, ["aud", "exp", "iat", "iss", "jti", "kubernetes.io", "nbf", "sub"]);
            let user = user_of(bin, admin, token).expect("token authenticates");
            assert_eq!(user["username"], format!("system:serviceaccount:{ns}:app"));
            assert_eq!(user["uid"], sa_uid);
            assert_eq!(
                user["groups"],
                json!(["system:serviceaccounts", format!("system:serviceaccounts:{ns}"), "system:authenticated"])
            );
            assert_eq!(
                user["extra"],
                json!({"authentication.kubernetes.io/credential-id": [format!("JTI={}", claims["jti"].as_str().unwrap())]}),
                "{name}"
            );

            // --duration below ten minutes: upstream's text through kubectl's wrapper.
            let short = kubectl(bin, admin, &["create", "token", "app", "-n", &ns, "--duration=5m"], None);
            assert!(!short.success);
            assert_eq!(
                short.stderr.trim(),
                "error: failed to create token: TokenRequest.authentication.k8s.io \"\" is invalid: spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes",
                "{name}"
            );
            let missing = kubectl(bin, admin, &["create", "token", "nobody", "-n", &ns], None);
            assert_eq!(
                missing.stderr.trim(),
                "error: failed to create token: serviceaccounts \"nobody\" not found",
                "{name}"
            );

            // --audience (repeatable, commas kept) and --duration, printed with -o json.
            let printed = ok(
                kubectl(
                    bin,
                    admin,
                    &["create", "token", "app", "-n", &ns, "--audience", "a,b", "--audience", "c", "--duration", "2h", "-o", "json"],
                    None,
                ),
                "audiences",
            );
            let request: Value = serde_json::from_str(&printed).expect("TokenRequest json");
            assert_eq!(request["kind"], "TokenRequest");
            assert_eq!(request["metadata"]["name"], "app");
            assert_eq!(request["spec"]["audiences"], json!(["a,b", "c"]));
            assert_eq!(request["spec"]["expirationSeconds"], 7200);
            let (_, claims) = decode(request["status"]["token"].as_str().unwrap());
            assert_eq!(claims["aud"], json!(["a,b", "c"]));
            assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 7200);
            // Longer than --service-account-max-token-expiration (2 h): cut, with a warning.
            let capped = kubectl(
                bin,
                admin,
                &["create", "token", "app", "-n", &ns, "--duration", "3h", "-o", "json"],
                None,
            );
            assert!(capped.success, "{name}: {}", capped.stderr);
            assert!(
                capped
                    .stderr
                    .contains("Warning: requested expiration of 10800 seconds shortened to 7200 seconds"),
                "{name}: {}",
                capped.stderr
            );
            let capped: Value = serde_json::from_str(&capped.stdout).expect("TokenRequest json");
            assert_eq!(capped["spec"]["expirationSeconds"], 7200);
            // A token for other audiences is not good for the API.
            let foreign = whoami(bin, admin, request["status"]["token"].as_str().unwrap());
            assert!(foreign.stderr.contains("Unauthorized"), "{name}: {}", foreign.stderr);

            // Pod-bound: pod name and uid in claims and extra; refused once the pod is gone.
            create(bin, admin, &format!(
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: {ns}\nspec:\n  serviceAccountName: app\n  automountServiceAccountToken: false\n  containers:\n  - name: c\n    image: busybox\n"
            ));
            let pod_uid = ok(
                kubectl(bin, admin, &["get", "pod", "web", "-n", &ns, "-o", "jsonpath={.metadata.uid}"], None),
                "pod uid",
            );
            let wrong_uid = kubectl(
                bin,
                admin,
                &["create", "token", "app", "-n", &ns, "--bound-object-kind", "Pod", "--bound-object-name", "web", "--bound-object-uid", "nope"],
                None,
            );
            assert_eq!(
                wrong_uid.stderr.trim(),
                "error: failed to create token: Operation cannot be fulfilled on Pod \"web\": the UID in the bound object reference (nope) does not match the UID in record. The object might have been deleted and then recreated",
                "{name}"
            );
            let token = ok(
                kubectl(
                    bin,
                    admin,
                    &["create", "token", "app", "-n", &ns, "--bound-object-kind", "Pod", "--bound-object-name", "web", "--bound-object-uid", &pod_uid],
                    None,
                ),
                "pod token",
            );
            let token = token.trim();
            let (_, claims) = decode(token);
            assert_eq!(claims["kubernetes.io"]["pod"], json!({"name": "web", "uid": pod_uid}));
            let user = user_of(bin, admin, token).expect("pod token authenticates");
            assert_eq!(user["extra"]["authentication.kubernetes.io/pod-name"], json!(["web"]));
            assert_eq!(user["extra"]["authentication.kubernetes.io/pod-uid"], json!([pod_uid]));
            ok(kubectl(bin, admin, &["delete", "pod", "web", "-n", &ns], None), "delete pod");
            wait_until_refused(bin, admin, token, "the pod-bound token to be refused");

            // Secret-bound.
            create(bin, admin, &format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: {ns}\n"));
            let token = ok(
                kubectl(bin, admin, &["create", "token", "app", "-n", &ns, "--bound-object-kind", "Secret", "--bound-object-name", "s"], None),
                "secret token",
            );
            assert_eq!(decode(token.trim()).1["kubernetes.io"]["secret"]["name"], "s");
            assert!(user_of(bin, admin, token.trim()).is_ok(), "{name}: secret token");

            // Node-bound: kubectl 1.31+ offers the kind; older ones refuse it themselves.
            let node = kubectl(
                bin,
                admin,
                &["create", "token", "app", "-n", &ns, "--bound-object-kind", "Node", "--bound-object-name", "n1"],
                None,
            );
            if name.ends_with("1.27") {
                assert_eq!(
                    node.stderr.trim(),
                    "error: supported --bound-object-kind values are Pod, Secret"
                );
            } else {
                assert_eq!(
                    node.stderr.trim(),
                    "error: failed to create token: nodes \"n1\" not found",
                    "{name}"
                );
            }

            // The account deleted: its tokens stop working.
            let token = ok(kubectl(bin, admin, &["create", "token", "app", "-n", &ns], None), "token");
            assert!(user_of(bin, admin, token.trim()).is_ok());
            ok(kubectl(bin, admin, &["delete", "sa", "app", "-n", &ns], None), "delete sa");
            wait_until_refused(bin, admin, token.trim(), "the deleted account's token to be refused");
        }
    })
    .await
    .expect("kubectl runs");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_mode_has_no_token_subresource() {
    let server = ApiServer::builder().start().await.expect("server starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let admin = dir.path().join("kubeconfig");
    std::fs::write(&admin, server.kubeconfig_yaml()).expect("kubeconfig");
    let bin = kubectl_binaries().remove(0);
    let out = tokio::task::spawn_blocking(move || {
        kubectl(&bin, &admin, &["create", "token", "default"], None)
    })
    .await
    .expect("kubectl runs");
    assert!(!out.success);
    assert!(
        out.stderr
            .contains("the server could not find the requested resource"),
        "{}",
        out.stderr
    );
    server.shutdown().await;
}

/// Legacy Secret tokens in bound mode (spec-modern §3.6 steps 4–6, §8.1): the tracking
/// ConfigMap exists from the start, an auto-generated token warns on every request, the
/// Secret is labelled with the day of its last use, and the invalid-since label refuses it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_tokens_are_tracked_in_bound_mode() {
    // 2030-01-02T03:04:05Z
    let clock = std::sync::Arc::new(kube_sa::clock::FakeClock::new(
        jiff::Timestamp::from_second(1_893_553_445).expect("timestamp"),
    ));
    let server = ApiServer::builder()
        .service_accounts(ServiceAccountOptions {
            mode: Mode::Bound,
            ..Default::default()
        })
        .clock(clock)
        .token_cache_ttl(Duration::ZERO)
        .start()
        .await
        .expect("server starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let admin = dir.path().join("kubeconfig");
    std::fs::write(&admin, server.kubeconfig_yaml()).expect("kubeconfig");
    let bin = kubectl_binaries().remove(0);
    tokio::task::spawn_blocking(move || {
        let admin = admin.as_path();
        let since = ok(
            kubectl(
                &bin,
                admin,
                &["get", "configmap", "-n", "kube-system", "kube-apiserver-legacy-service-account-token-tracking", "-o", "jsonpath={.data.since}"],
                None,
            ),
            "tracking config map",
        );
        assert_eq!(since, "2030-01-02");
        create(&bin, admin, "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: legacy\n  namespace: default\n");
        create(
            &bin,
            admin,
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: legacy-token\n  namespace: default\n  annotations:\n    kubernetes.io/service-account.name: legacy\ntype: kubernetes.io/service-account-token\n",
        );
        let token = poll_until("the token controller to fill the token in", Duration::from_secs(10), || {
            let out = kubectl(&bin, admin, &["get", "secret", "legacy-token", "-o", "jsonpath={.data.token}"], None);
            (out.success && !out.stdout.is_empty()).then_some(out.stdout)
        });
        let token = String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(token.trim())
                .expect("base64"),
        )
        .expect("utf-8");
        const WARNING: &str = "Warning: Use tokens from the TokenRequest API or manually created secret-based tokens instead of auto-generated secret-based tokens.";
        // A manually created token: no warning, but its use is recorded.
        let manual = whoami(&bin, admin, &token);
        assert!(manual.success, "{}", manual.stderr);
        assert!(!manual.stderr.contains(WARNING), "{}", manual.stderr);
        let last_used = |bin: &Path| {
            ok(
                kubectl(bin, admin, &["get", "secret", "legacy-token", "-o", "jsonpath={.metadata.labels.kubernetes\\.io/legacy-token-last-used}"], None),
                "last used",
            )
        };
        assert_eq!(last_used(&bin), "2030-01-02");
        // Listed in the account's secrets, it counts as auto-generated: a warning each time.
        ok(
            kubectl(&bin, admin, &["patch", "sa", "legacy", "-p", r#"{"secrets":[{"name":"legacy-token"}]}"#], None),
            "patch sa",
        );
        for _ in 0..2 {
            let auto = whoami(&bin, admin, &token);
            assert!(auto.success, "{}", auto.stderr);
            assert_eq!(auto.stderr.matches(WARNING).count(), 1, "{}", auto.stderr);
        }
        ok(
            kubectl(&bin, admin, &["label", "secret", "legacy-token", "kubernetes.io/legacy-token-invalid-since=2030-01-01"], None),
            "label",
        );
        let refused = whoami(&bin, admin, &token);
        assert!(refused.stderr.contains("Unauthorized"), "{}", refused.stderr);
    })
    .await
    .expect("kubectl runs");
    server.shutdown().await;
}
