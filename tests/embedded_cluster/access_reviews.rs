//! Access reviews, impersonation and token reviews with real clients: kubectl (newest and
//! oldest) `auth can-i`, `auth whoami`, `create -f` of a TokenReview and the Python client
//! against `kube-sa serve` (the default authorizer), and kubectl against an in-process
//! server whose authorizer is a test table.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use kube_sa::apiserver::authz::{
    Attributes, Authorizer, Decision, MastersOnly, NonResourceRule, Request, ResourceRule,
    RulesReview,
};
use kube_sa::apiserver::ApiServer;
use kube_sa::authn::{UserInfo, DEFAULT_API_AUDIENCE};
use serde_json::{json, Value};

use crate::support::{kubectl, kubectl_binaries, ok, poll_until, token_kubeconfig, ServeProcess};

/// kubectl's answer to `auth can-i`: exit status and the first word it printed.
fn can_i(bin: &Path, kubeconfig: &Path, args: &[&str]) -> (bool, String) {
    let mut full = vec!["auth", "can-i"];
    full.extend_from_slice(args);
    let out = kubectl(bin, kubeconfig, &full, None);
    let answer = out.stdout.trim().to_string();
    assert!(
        answer == "yes" || answer.starts_with("no"),
        "{} auth can-i {args:?}: stdout {:?}, stderr {:?}",
        bin.display(),
        out.stdout,
        out.stderr
    );
    assert_eq!(
        out.success,
        answer == "yes",
        "{} auth can-i {args:?}: exit status does not match {answer:?}",
        bin.display()
    );
    (out.success, answer)
}

/// The legacy token of service account `default` in `namespace`, once the controllers
/// made it.
fn default_token(bin: &Path, kubeconfig: &Path, namespace: &str) -> String {
    poll_until("the token of default", Duration::from_secs(20), || {
        let out = kubectl(
            bin,
            kubeconfig,
            &[
                "get",
                "secrets",
                "-n",
                namespace,
                "--field-selector",
                "type=kubernetes.io/service-account-token",
                "-o",
                "jsonpath={.items[0].data.token}",
            ],
            None,
        );
        let encoded = out.stdout.trim();
        if !out.success || encoded.is_empty() {
            return None;
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .expect("base64 token");
        Some(String::from_utf8(bytes).expect("utf-8 token"))
    })
}

fn token_review(bin: &Path, kubeconfig: &Path, token: &str, audiences: &[&str]) -> Value {
    let review = json!({
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "TokenReview",
        "spec": {"token": token, "audiences": audiences},
    });
    let yaml = serde_yaml::to_string(&review).expect("yaml");
    let out = kubectl(
        bin,
        kubeconfig,
        &["create", "-f", "-", "-o", "yaml"],
        Some(&yaml),
    );
    serde_yaml::from_str(&ok(&out, "create tokenreview")).expect("yaml output")
}

#[test]
fn kubectl_auth_can_i_whoami_impersonation_and_token_reviews() {
    for bin in kubectl_binaries() {
        let server = ServeProcess::start(&[]);
        let admin = server.kubeconfig.as_path();
        let name = bin.display().to_string();
        ok(
            &kubectl(&bin, admin, &["create", "namespace", "demo"], None),
            "create namespace",
        );

        // The admin (system:masters) may do anything.
        for args in [
            &["create", "pods", "-n", "demo"][..],
            &["get", "pods", "--subresource=log", "-n", "demo"],
            &["delete", "serviceaccounts", "-A"],
            &["get", "/healthz"],
        ] {
            assert_eq!(can_i(&bin, admin, args).1, "yes", "{name}: {args:?}");
        }
        let list = ok(
            &kubectl(
                &bin,
                admin,
                &["auth", "can-i", "--list", "-n", "demo"],
                None,
            ),
            "can-i --list",
        );
        assert!(
            list.lines()
                .any(|l| l.starts_with("*.*") && l.contains("[*]")),
            "{name}: {list}"
        );

        // Anyone else, impersonated: only what system:basic-user and discovery give.
        let account = "system:serviceaccount:demo:default";
        for (args, answer) in [
            (vec!["list", "secrets", "-n", "demo", "--as", account], "no"),
            (
                vec![
                    "create",
                    "serviceaccounts/token",
                    "-n",
                    "demo",
                    "--as",
                    account,
                ],
                "no",
            ),
            (
                vec![
                    "create",
                    "selfsubjectaccessreviews.authorization.k8s.io",
                    "--as",
                    "jane",
                ],
                "yes",
            ),
            (
                vec![
                    "get",
                    "pods",
                    "--as",
                    "jane",
                    "--as-group",
                    "system:masters",
                ],
                "yes",
            ),
            (
                vec!["get", "pods", "--as", "jane", "--as-group", "devs"],
                "no",
            ),
        ] {
            assert_eq!(can_i(&bin, admin, &args).1, answer, "{name}: {args:?}");
        }
        let list = ok(
            &kubectl(
                &bin,
                admin,
                &["auth", "can-i", "--list", "-n", "demo", "--as", account],
                None,
            ),
            "can-i --list --as",
        );
        for resource in [
            "selfsubjectaccessreviews.authorization.k8s.io",
            "selfsubjectrulesreviews.authorization.k8s.io",
            "selfsubjectreviews.authentication.k8s.io",
        ] {
            assert!(
                list.lines()
                    .any(|l| l.starts_with(resource) && l.contains("[create]")),
                "{name}: {resource} in\n{list}"
            );
        }
        assert!(!list.contains("*.*"), "{name}: {list}");

        // whoami with and without --as.
        let whoami = |extra: &[&str]| -> Value {
            let mut args = vec!["auth", "whoami", "-o", "json"];
            args.extend_from_slice(extra);
            serde_json::from_str(&ok(&kubectl(&bin, admin, &args, None), "whoami")).expect("json")
        };
        assert_eq!(
            whoami(&[])["status"]["userInfo"]["username"],
            "kube-sa:admin"
        );
        let impersonated = whoami(&["--as", account]);
        assert_eq!(
            impersonated["status"]["userInfo"],
            json!({
                "username": account,
                "groups": ["system:serviceaccounts", "system:serviceaccounts:demo", "system:authenticated"],
            }),
            "{name}"
        );
        let grouped = whoami(&["--as", "jane", "--as-group", "devs"]);
        assert_eq!(
            grouped["status"]["userInfo"]["groups"],
            json!(["devs", "system:authenticated"]),
            "{name}"
        );

        // A service account's own token: no impersonation, its own answers.
        let token = default_token(&bin, admin, "demo");
        let as_account = token_kubeconfig(admin, &token);
        assert_eq!(
            can_i(&bin, &as_account, &["get", "pods", "-n", "demo"]).1,
            "no"
        );
        assert_eq!(
            can_i(&bin, &as_account, &["create", "selfsubjectrulesreviews"]).1,
            "yes"
        );
        let refused = kubectl(
            &bin,
            &as_account,
            &["get", "pods", "-n", "demo", "--as", "jane"],
            None,
        );
        assert!(!refused.success, "{name}");
        assert!(
            refused.stderr.contains(&format!(
                "users \"jane\" is forbidden: User \"{account}\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope"
            )),
            "{name}: {}",
            refused.stderr
        );

        // TokenReview, as the admin.
        let review = token_review(&bin, admin, &token, &[]);
        assert_eq!(review["kind"], "TokenReview");
        // Never stored: Go's zero creation time, which kubectl prints as null.
        assert_eq!(
            review["metadata"],
            json!({"creationTimestamp": null}),
            "{name}"
        );
        assert_eq!(review["spec"]["token"], json!(token));
        let status = &review["status"];
        assert_eq!(status["authenticated"], true, "{name}: {review:?}");
        assert_eq!(status["user"]["username"], account);
        assert_eq!(
            status["user"]["groups"],
            json!([
                "system:serviceaccounts",
                "system:serviceaccounts:demo",
                "system:authenticated"
            ])
        );
        assert!(status["user"]["uid"].is_string(), "{review:?}");
        assert_eq!(status["audiences"], json!([DEFAULT_API_AUDIENCE]));
        let garbage = token_review(&bin, admin, "not-a-token", &[]);
        assert_eq!(
            garbage["status"],
            json!({"user": {}, "error": "invalid bearer token"}),
            "{name}"
        );
        let elsewhere = token_review(&bin, admin, &token, &["https://vault.example.com"]);
        assert_eq!(
            elsewhere["status"]["error"],
            format!("[invalid bearer token, token audiences [\"{DEFAULT_API_AUDIENCE}\"] is invalid for the target audiences [\"https://vault.example.com\"]]"),
            "{name}"
        );
        // Reviewing tokens takes `create tokenreviews`, which a service account lacks.
        let denied = kubectl(
            &bin,
            &as_account,
            &["create", "-f", "-"],
            Some(&format!(
                "apiVersion: authentication.k8s.io/v1\nkind: TokenReview\nspec:\n  token: {token}\n"
            )),
        );
        assert!(
            denied.stderr.contains(&format!(
                "tokenreviews.authentication.k8s.io is forbidden: User \"{account}\" cannot create resource \"tokenreviews\" in API group \"authentication.k8s.io\" at the cluster scope"
            )),
            "{name}: {}",
            denied.stderr
        );

        // Discovery and OpenAPI carry the new kinds.
        let resources = ok(
            &kubectl(&bin, admin, &["api-resources", "--no-headers"], None),
            "api-resources",
        );
        for (resource, group, namespaced) in [
            ("tokenreviews", "authentication.k8s.io/v1", "false"),
            (
                "localsubjectaccessreviews",
                "authorization.k8s.io/v1",
                "true",
            ),
            (
                "selfsubjectaccessreviews",
                "authorization.k8s.io/v1",
                "false",
            ),
            (
                "selfsubjectrulesreviews",
                "authorization.k8s.io/v1",
                "false",
            ),
            ("subjectaccessreviews", "authorization.k8s.io/v1", "false"),
        ] {
            assert!(
                resources.lines().any(|l| {
                    let cells: Vec<&str> = l.split_whitespace().collect();
                    cells.first() == Some(&resource)
                        && cells.contains(&group)
                        && cells.contains(&namespaced)
                }),
                "{name}: {resource} in\n{resources}"
            );
        }
        let explain = ok(
            &kubectl(&bin, admin, &["explain", "subjectaccessreview.spec"], None),
            "explain",
        );
        for field in [
            "resourceAttributes",
            "nonResourceAttributes",
            "groups",
            "user",
        ] {
            assert!(explain.contains(field), "{name}: {field} in\n{explain}");
        }
    }
}

/// The official Python client's `AuthenticationV1Api().create_token_review`.
/// The status kubectl prints for an access review it creates from `manifest`.
fn review_status(bin: &Path, kubeconfig: &Path, manifest: &str) -> Value {
    let out = ok(
        &kubectl(
            bin,
            kubeconfig,
            &["create", "-f", "-", "-o", "json"],
            Some(manifest),
        ),
        "create review",
    );
    let review: Value = serde_json::from_str(&out).expect("review json");
    review["status"].clone()
}

#[test]
fn access_reviews_give_rbacs_reasons() {
    let account = "system:serviceaccount:team:default";
    let allowed_by = r#"RBAC: allowed by RoleBinding "rb1/team" of Role "pod-reader" to ServiceAccount "default/team""#;
    let sar = |user: &str, groups: &str, verb: &str| {
        format!(
            "apiVersion: authorization.k8s.io/v1\nkind: SubjectAccessReview\nspec:\n  user: {user}\n  groups: {groups}\n  resourceAttributes:\n    namespace: team\n    verb: {verb}\n    resource: pods\n"
        )
    };
    for bin in kubectl_binaries() {
        let server = ServeProcess::start(&[]);
        let admin = server.kubeconfig.as_path();
        let name = bin.display().to_string();
        let setup = [
            &["create", "namespace", "team"][..],
            &[
                "create",
                "role",
                "pod-reader",
                "-n",
                "team",
                "--verb=get,list",
                "--resource=pods",
            ],
            &[
                "create",
                "rolebinding",
                "rb1",
                "-n",
                "team",
                "--role=pod-reader",
                "--serviceaccount=team:default",
            ],
            &[
                "create",
                "rolebinding",
                "rb2",
                "-n",
                "team",
                "--role=gone",
                "--serviceaccount=team:default",
            ],
        ];
        for args in setup {
            ok(
                &kubectl(&bin, admin, args, None),
                &format!("{name}: {args:?}"),
            );
        }
        let allowed = review_status(
            &bin,
            admin,
            &sar(account, "[system:serviceaccounts]", "list"),
        );
        assert_eq!(
            allowed,
            json!({"allowed": true, "reason": allowed_by}),
            "{name}"
        );
        // Not allowed: the role reference that did not resolve is the reason.
        let refused = review_status(&bin, admin, &sar(account, "[]", "delete"));
        assert_eq!(
            refused,
            json!({"allowed": false, "reason": "RBAC: role.rbac.authorization.k8s.io \"gone\" not found"}),
            "{name}"
        );
        // The privileged group is allowed without a reason.
        let master = review_status(&bin, admin, &sar("root", "[system:masters]", "delete"));
        assert_eq!(master, json!({"allowed": true}), "{name}");
        let local = review_status(
            &bin,
            admin,
            &format!("apiVersion: authorization.k8s.io/v1\nkind: LocalSubjectAccessReview\nmetadata:\n  namespace: team\nspec:\n  user: {account}\n  resourceAttributes:\n    namespace: team\n    verb: get\n    resource: pods\n"),
        );
        assert_eq!(
            local,
            json!({"allowed": true, "reason": allowed_by}),
            "{name}"
        );

        // A SelfSubjectAccessReview as the account, and `auth can-i -v=8` showing it.
        let token = default_token(&bin, admin, "team");
        let as_account = token_kubeconfig(admin, &token);
        let own = review_status(
            &bin,
            &as_account,
            "apiVersion: authorization.k8s.io/v1\nkind: SelfSubjectAccessReview\nspec:\n  resourceAttributes:\n    namespace: team\n    verb: list\n    resource: pods\n",
        );
        assert_eq!(
            own,
            json!({"allowed": true, "reason": allowed_by}),
            "{name}"
        );
        let verbose = kubectl(
            &bin,
            &as_account,
            &["auth", "can-i", "list", "pods", "-n", "team", "-v=8"],
            None,
        );
        assert_eq!(verbose.stdout.trim(), "yes", "{name}: {}", verbose.stderr);
        assert!(
            verbose.stderr.replace('\\', "").contains(allowed_by),
            "{name}: the logged response carries the reason (kubectl 1.33 escapes it twice): {}",
            verbose.stderr
        );
    }
}

#[test]
fn python_client_reviews_tokens() {
    let bin = kubectl_binaries().remove(0);
    let server = ServeProcess::start(&[]);
    let admin = server.kubeconfig.as_path();
    ok(
        &kubectl(&bin, admin, &["create", "namespace", "demo"], None),
        "create namespace",
    );
    let token = default_token(&bin, admin, "demo");
    let script = r#"
import json, sys
from kubernetes import client, config
config.load_kube_config(config_file=sys.argv[1])
api = client.AuthenticationV1Api()
out = []
for token in sys.argv[2:]:
    review = api.create_token_review(client.V1TokenReview(spec=client.V1TokenReviewSpec(token=token)))
    s = review.status
    out.append({"authenticated": s.authenticated, "username": s.user.username if s.user else None,
                "groups": s.user.groups if s.user else None, "audiences": s.audiences, "error": s.error})
print(json.dumps(out))
"#;
    let output = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(admin)
        .arg(&token)
        .arg("garbage")
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "the Python client (pip install kubernetes) failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answers: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(
        answers,
        json!([
            {
                "authenticated": true,
                "username": "system:serviceaccount:demo:default",
                "groups": ["system:serviceaccounts", "system:serviceaccounts:demo", "system:authenticated"],
                "audiences": [DEFAULT_API_AUDIENCE],
                "error": null,
            },
            {
                "authenticated": null,
                "username": null,
                "groups": null,
                "audiences": null,
                "error": "invalid bearer token",
            },
        ])
    );
}

/// Allows what [`MastersOnly`] allows; `jane` may read pods in `dev`; group `auditors` may read
/// secrets anywhere; `mallory` is denied with a reason.
struct TestAuthorizer;

impl Authorizer for TestAuthorizer {
    fn authorize(&self, a: &Attributes<'_>) -> Decision {
        // Discovery and the self reviews, as system:discovery and system:basic-user give.
        if MastersOnly.authorize(a) == Decision::Allow {
            return Decision::Allow;
        }
        if a.user.username == "mallory" {
            return Decision::Deny("mallory may not".into());
        }
        let Request::Resource {
            namespace,
            api_group: "",
            resource,
            ..
        } = a.request
        else {
            return Decision::NoOpinion(String::new());
        };
        let reads = matches!(a.verb, "get" | "list" | "watch");
        let jane = a.user.username == "jane" && resource == "pods" && namespace == "dev";
        let auditor = a.user.groups.iter().any(|g| g == "auditors") && resource == "secrets";
        if reads && (jane || auditor) {
            Decision::Allow
        } else {
            Decision::NoOpinion(String::new())
        }
    }

    fn rules_for(&self, user: &UserInfo, namespace: &str) -> RulesReview {
        let mut rules = RulesReview {
            non_resource_rules: vec![NonResourceRule {
                verbs: vec!["get".into()],
                non_resource_urls: vec!["/healthz".into()],
            }],
            ..RulesReview::default()
        };
        if user.username == "jane" && namespace == "dev" {
            rules.resource_rules.push(ResourceRule {
                verbs: vec!["get".into(), "list".into(), "watch".into()],
                api_groups: vec![String::new()],
                resources: vec!["pods".into()],
                resource_names: Vec::new(),
            });
        }
        rules
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_asks_the_servers_authorizer() {
    let server = ApiServer::builder()
        .without_service_accounts()
        .authorizer(Box::new(|_| Arc::new(TestAuthorizer)))
        .start()
        .await
        .expect("server starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let admin = dir.path().join("kubeconfig");
    std::fs::write(&admin, server.kubeconfig_yaml()).expect("kubeconfig");
    let bins = kubectl_binaries();
    let admin_path = admin.clone();
    tokio::task::spawn_blocking(move || {
        for bin in bins {
            let name = bin.display().to_string();
            for (args, answer) in [
                (vec!["get", "pods", "-n", "dev", "--as", "jane"], "yes"),
                (vec!["list", "pods", "-n", "dev", "--as", "jane"], "yes"),
                (vec!["get", "pods", "-n", "prod", "--as", "jane"], "no"),
                (vec!["delete", "pods", "-n", "dev", "--as", "jane"], "no"),
                (
                    vec![
                        "get",
                        "secrets",
                        "-A",
                        "--as",
                        "bob",
                        "--as-group",
                        "auditors",
                    ],
                    "yes",
                ),
                (vec!["get", "secrets", "-A", "--as", "bob"], "no"),
                (
                    vec!["get", "pods", "--as", "mallory"],
                    "no - mallory may not",
                ),
            ] {
                assert_eq!(
                    can_i(&bin, &admin_path, &args).1,
                    answer,
                    "{name}: {args:?}"
                );
            }
            let list = ok(
                &kubectl(
                    &bin,
                    &admin_path,
                    &["auth", "can-i", "--list", "-n", "dev", "--as", "jane"],
                    None,
                ),
                "can-i --list",
            );
            let rows: Vec<Vec<&str>> = list
                .lines()
                .skip(1)
                .map(|l| l.split_whitespace().collect())
                .collect();
            assert!(
                rows.contains(&vec!["pods", "[]", "[]", "[get", "list", "watch]"]),
                "{name}: {list}"
            );
            assert!(
                rows.contains(&vec!["[/healthz]", "[]", "[get]"]),
                "{name}: {list}"
            );
        }
    })
    .await
    .expect("kubectl checks");

    // A SubjectAccessReview and a LocalSubjectAccessReview, as the admin.
    let client = server.client().await.expect("client");
    let post = |path: &'static str, body: Value| post_json(&client, path, body);
    let sar = post(
        "/apis/authorization.k8s.io/v1/subjectaccessreviews",
        json!({"spec": {"user": "bob", "groups": ["auditors"],
            "resourceAttributes": {"verb": "list", "resource": "secrets", "namespace": "kube-system"}}}),
    )
    .await
    .expect("subject access review");
    assert_eq!(sar["kind"], "SubjectAccessReview");
    assert_eq!(sar["status"], json!({"allowed": true}));
    // Never stored: Go's zero creation time, written as null.
    assert_eq!(sar["metadata"], json!({"creationTimestamp": null}));
    let local = post(
        "/apis/authorization.k8s.io/v1/namespaces/dev/localsubjectaccessreviews",
        json!({"spec": {"user": "jane",
            "resourceAttributes": {"verb": "watch", "resource": "pods", "namespace": "dev"}}}),
    )
    .await
    .expect("local subject access review");
    assert_eq!(local["metadata"]["namespace"], "dev");
    assert_eq!(local["status"], json!({"allowed": true}));
    let err = post(
        "/apis/authorization.k8s.io/v1/namespaces/dev/localsubjectaccessreviews",
        json!({"metadata": {"namespace": "prod"}, "spec": {"user": "jane",
            "resourceAttributes": {"verb": "get", "resource": "pods", "namespace": "prod"}}}),
    )
    .await
    .expect_err("a review of another namespace than the URL's");
    let kube::Error::Api(status) = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (status.code, status.message.as_str()),
        (
            400,
            "the namespace of the provided object does not match the namespace sent on the request"
        )
    );
    let err = post(
        "/apis/authorization.k8s.io/v1/namespaces/dev/localsubjectaccessreviews",
        json!({"spec": {"user": "jane",
            "resourceAttributes": {"verb": "get", "resource": "pods", "namespace": "prod"}}}),
    )
    .await
    .expect_err("another namespace");
    let kube::Error::Api(status) = err else {
        panic!("{err:?}")
    };
    assert_eq!(status.code, 422);
    assert_eq!(
        status.message,
        ".authorization.k8s.io \"\" is invalid: spec.resourceAttributes.namespace: Invalid value: \"prod\": must match metadata.namespace"
    );
    let err = post(
        "/apis/authorization.k8s.io/v1/subjectaccessreviews",
        json!({"spec": {"resourceAttributes": {"verb": "get", "resource": "pods"}}}),
    )
    .await
    .expect_err("no subject");
    let kube::Error::Api(status) = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        status.message,
        ".authorization.k8s.io \"\" is invalid: spec.user: Invalid value: \"\": at least one of user or group must be specified"
    );

    // kubectl refuses `--as-uid` without `--as` itself; the server does too.
    let request = http::Request::get("/api/v1/namespaces")
        .header("impersonate-uid", "1234")
        .body(Vec::new())
        .expect("request");
    let err = client
        .request::<Value>(request)
        .await
        .expect_err("uid without user");
    let kube::Error::Api(status) = err else {
        panic!("{err:?}")
    };
    assert_eq!((status.code, status.reason.as_str()), (400, "BadRequest"));
    assert_eq!(
        status.message,
        "requested [{UID  1234  authentication.k8s.io/v1  }] without impersonating a user"
    );
    server.shutdown().await;
}

/// POSTs `body` as JSON to `path` and decodes the answer (a Status error for a failure).
async fn post_json(client: &kube::Client, path: &str, body: Value) -> Result<Value, kube::Error> {
    let request = http::Request::post(path)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&body).expect("json"))
        .expect("request");
    client.request::<Value>(request).await
}

/// A cluster without API audiences: legacy tokens are not checked against any, and a review
/// that asks for audiences gets upstream's 500, as the token reports none.
#[tokio::test]
async fn token_reviews_without_api_audiences() {
    let server = ApiServer::builder()
        .api_audiences(Vec::new())
        .start()
        .await
        .expect("cluster starts");
    let client = server.client().await.expect("client");
    let secrets: kube::Api<k8s_openapi::api::core::v1::Secret> =
        kube::Api::namespaced(client.clone(), "default");
    let deadline = Instant::now() + Duration::from_secs(20);
    let token = loop {
        let list = secrets.list(&Default::default()).await.expect("list");
        let found = list.items.into_iter().find_map(|s| {
            let data = s.data?;
            String::from_utf8(data.get("token")?.0.clone()).ok()
        });
        if let Some(token) = found {
            break token;
        }
        assert!(Instant::now() < deadline, "no token for default/default");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let review = |audiences: Vec<&str>| {
        let body = json!({"spec": {"token": token, "audiences": audiences}});
        post_json(&client, "/apis/authentication.k8s.io/v1/tokenreviews", body)
    };
    let answer = review(vec![]).await.expect("review");
    assert_eq!(answer["status"]["authenticated"], true, "{answer}");
    assert!(answer["status"].get("audiences").is_none(), "{answer}");
    let err = review(vec!["https://vault.example.com"])
        .await
        .expect_err("audiences the token cannot report");
    let kube::Error::Api(status) = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (status.code, status.reason.as_str()),
        (500, "InternalError")
    );
    assert_eq!(
        status.message,
        "Internal error occurred: error validating audiences"
    );
    server.shutdown().await;
}

/// Upstream's create handler wipes the system fields of every created object
/// (`rest.WipeObjectMetaSystemFields`), a TokenRequest and a review included: a uid, a
/// deletion timestamp or a grace period in the request does not come back, and a review's
/// creation time is the zero time.
#[tokio::test]
async fn token_requests_and_reviews_do_not_echo_system_fields() {
    let server = ApiServer::builder()
        .service_accounts(kube_sa::apiserver::components::ServiceAccountOptions {
            mode: kube_sa::Mode::Bound,
            ..Default::default()
        })
        .start()
        .await
        .expect("cluster starts");
    let client = server.client().await.expect("client");
    let system_fields = json!({
        "uid": "abc",
        "creationTimestamp": "2020-01-01T00:00:00Z",
        "deletionTimestamp": "2020-01-01T00:00:00Z",
        "deletionGracePeriodSeconds": 5
    });
    let post = |path: &'static str, body: Value| post_json(&client, path, body);
    let token_request = json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "metadata": system_fields, "spec": {}});
    let deadline = Instant::now() + Duration::from_secs(20);
    let answer = loop {
        let path = "/api/v1/namespaces/default/serviceaccounts/default/token";
        match post(path, token_request.clone()).await {
            Ok(answer) => break answer,
            // The service-account controller has not made `default` yet.
            Err(kube::Error::Api(status)) if status.code == 404 => {
                assert!(Instant::now() < deadline, "no default/default: {status:?}")
            }
            Err(e) => panic!("token request: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let meta = &answer["metadata"];
    for field in ["uid", "deletionTimestamp", "deletionGracePeriodSeconds"] {
        assert!(meta.get(field).is_none(), "{field} in {answer}");
    }
    assert_ne!(
        meta["creationTimestamp"], "2020-01-01T00:00:00Z",
        "{answer}"
    );

    let review = json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "metadata": system_fields, "spec": {"token": "x"}});
    let answer = post("/apis/authentication.k8s.io/v1/tokenreviews", review)
        .await
        .expect("review");
    assert_eq!(
        answer["metadata"],
        json!({"creationTimestamp": null}),
        "{answer}"
    );
    server.shutdown().await;
}
