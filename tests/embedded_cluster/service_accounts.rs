//! The service-account components end to end: kubectl against `kube-sa serve`, and kube-rs
//! against an in-process cluster under concurrency.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use futures::future::join_all;
use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
use kube::api::{DeleteParams, ListParams, PostParams};
use kube::Api;
use serde_json::{json, Value};

use crate::support::{
    cluster, kubectl, kubectl_binaries, ok, token_kubeconfig, Output, ServeProcess,
};

/// Polls a kubectl jsonpath query until it returns something non-empty.
fn wait_for_jsonpath(bin: &Path, kc: &Path, args: &[&str], what: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = kubectl(bin, kc, args, None);
        if out.success && !out.stdout.trim().is_empty() {
            return out.stdout.trim().to_string();
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {}",
            out.stderr
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `kubectl auth whoami` with only a bearer token.
fn whoami_with_token(bin: &Path, server: &ServeProcess, token: &str) -> Output {
    kubectl(
        bin,
        &token_kubeconfig(&server.kubeconfig, token),
        &["auth", "whoami", "-o", "json"],
        None,
    )
}

#[test]
fn kubectl_sees_accounts_tokens_mounts_and_revocation() {
    // `auth whoami` needs authentication.k8s.io/v1: the newest kubectl.
    let bin = kubectl_binaries().remove(0);
    let server = ServeProcess::start(&[]);
    let kc = server.kubeconfig.as_path();

    ok(
        &kubectl(
            &bin,
            kc,
            &["create", "-f", "-"],
            Some("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n"),
        ),
        "create ns",
    );
    let token_name = wait_for_jsonpath(
        &bin,
        kc,
        &[
            "get",
            "sa",
            "default",
            "-n",
            "team",
            "-o",
            "jsonpath={.secrets[0].name}",
        ],
        "default's token",
    );
    assert!(
        token_name.starts_with("default-token-") && token_name.len() == "default-token-".len() + 5,
        "{token_name}"
    );
    let secret: Value = serde_json::from_str(&ok(
        &kubectl(
            &bin,
            kc,
            &["get", "secret", &token_name, "-n", "team", "-o", "json"],
            None,
        ),
        "get secret",
    ))
    .expect("json");
    assert_eq!(secret["type"], "kubernetes.io/service-account-token");
    assert_eq!(
        secret["metadata"]["annotations"]["kubernetes.io/service-account.name"],
        "default"
    );
    for key in ["token", "namespace", "ca.crt"] {
        assert!(secret["data"][key].is_string(), "token secret has {key}");
    }

    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\n  namespace: team\nspec:\n  containers:\n  - name: c\n    image: busybox\n";
    ok(
        &kubectl(&bin, kc, &["create", "-f", "-"], Some(pod)),
        "create pod",
    );
    let pod: Value = serde_json::from_str(&ok(
        &kubectl(
            &bin,
            kc,
            &["get", "pod", "app", "-n", "team", "-o", "json"],
            None,
        ),
        "get pod",
    ))
    .expect("json");
    assert_eq!(pod["spec"]["serviceAccountName"], "default");
    assert_eq!(
        pod["spec"]["containers"][0]["volumeMounts"][0],
        json!({"name": token_name, "readOnly": true, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"})
    );
    assert_eq!(
        pod["spec"]["volumes"][0]["secret"]["secretName"],
        token_name.as_str()
    );

    use base64::Engine;
    let token = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(secret["data"]["token"].as_str().expect("token"))
            .expect("b64"),
    )
    .expect("utf8");
    let who = whoami_with_token(&bin, &server, &token);
    let review: Value = serde_json::from_str(&ok(&who, "whoami with the token")).expect("json");
    assert_eq!(
        review["status"]["userInfo"]["username"],
        "system:serviceaccount:team:default"
    );
    assert_eq!(
        review["status"]["userInfo"]["groups"],
        json!([
            "system:serviceaccounts",
            "system:serviceaccounts:team",
            "system:authenticated"
        ])
    );

    // The account is authenticated but, as under default RBAC, not authorized to read pods.
    let denied = kubectl(
        &bin,
        &token_kubeconfig(&server.kubeconfig, &token),
        &["get", "pods", "-n", "team"],
        None,
    );
    assert!(!denied.success);
    assert!(
        denied.stderr.contains("Error from server (Forbidden): pods is forbidden: User \"system:serviceaccount:team:default\" cannot list resource \"pods\" in API group \"\" in the namespace \"team\""),
        "{}",
        denied.stderr
    );

    ok(
        &kubectl(
            &bin,
            kc,
            &["delete", "secret", &token_name, "-n", "team"],
            None,
        ),
        "delete token secret",
    );
    let who = whoami_with_token(&bin, &server, &token);
    assert!(
        !who.success,
        "a deleted secret's token must not authenticate"
    );
    assert!(who.stderr.contains("Unauthorized"), "{}", who.stderr);
    // Legacy: a new token replaces the deleted one.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let current = wait_for_jsonpath(
            &bin,
            kc,
            &[
                "get",
                "sa",
                "default",
                "-n",
                "team",
                "-o",
                "jsonpath={.secrets[*].name}",
            ],
            "a new token",
        );
        if !current.is_empty() && current != token_name {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no replacement token; secrets: {current}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // A token Secret created by hand with only the account annotation is filled in.
    let manual = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: manual\n  namespace: team\n  annotations:\n    kubernetes.io/service-account.name: default\ntype: kubernetes.io/service-account-token\n";
    ok(
        &kubectl(&bin, kc, &["create", "-f", "-"], Some(manual)),
        "create manual token secret",
    );
    let filled = wait_for_jsonpath(
        &bin,
        kc,
        &[
            "get",
            "secret",
            "manual",
            "-n",
            "team",
            "-o",
            "jsonpath={.data.token}",
        ],
        "the manual token",
    );
    assert!(!filled.is_empty());
    let uid = ok(
        &kubectl(
            &bin,
            kc,
            &[
                "get",
                "sa",
                "default",
                "-n",
                "team",
                "-o",
                "jsonpath={.metadata.uid}",
            ],
            None,
        ),
        "sa uid",
    );
    let annotated = ok(
        &kubectl(
            &bin,
            kc,
            &[
                "get",
                "secret",
                "manual",
                "-n",
                "team",
                "-o",
                "jsonpath={.metadata.annotations.kubernetes\\.io/service-account\\.uid}",
            ],
            None,
        ),
        "uid annotation",
    );
    assert_eq!(annotated.trim(), uid.trim());

    // Deleting the account removes its tokens.
    ok(&kubectl(&bin, kc, &["create", "-f", "-"], Some("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: builder\n  namespace: team\n")), "create sa");
    let builder_token = wait_for_jsonpath(
        &bin,
        kc,
        &[
            "get",
            "sa",
            "builder",
            "-n",
            "team",
            "-o",
            "jsonpath={.secrets[0].name}",
        ],
        "builder's token",
    );
    ok(
        &kubectl(&bin, kc, &["delete", "sa", "builder", "-n", "team"], None),
        "delete sa",
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = kubectl(
            &bin,
            kc,
            &["get", "secret", &builder_token, "-n", "team"],
            None,
        );
        if !out.success && out.stderr.contains("NotFound") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "token {builder_token} survived its account"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Every account has exactly one referenced token; no token secret is orphaned.
async fn converged(client: &kube::Client, namespace: &str) -> Result<(), String> {
    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), namespace);
    let secrets: Api<Secret> = Api::namespaced(client.clone(), namespace);
    let accounts = accounts
        .list(&ListParams::default())
        .await
        .map_err(|e| e.to_string())?
        .items;
    let tokens = secrets
        .list(&ListParams::default().fields("type=kubernetes.io/service-account-token"))
        .await
        .map_err(|e| e.to_string())?
        .items;
    let token_names: BTreeSet<String> = tokens
        .iter()
        .filter_map(|s| s.metadata.name.clone())
        .collect();
    let mut referenced = BTreeSet::new();
    for account in &accounts {
        let name = account.metadata.name.clone().unwrap_or_default();
        let refs: Vec<String> = account
            .secrets
            .iter()
            .flatten()
            .filter_map(|r| r.name.clone())
            .collect();
        let live: Vec<&String> = refs.iter().filter(|r| token_names.contains(*r)).collect();
        if live.len() != 1 || refs.len() != 1 {
            return Err(format!("account {name} references {refs:?}"));
        }
        referenced.insert(live[0].clone());
    }
    let orphans: Vec<&String> = token_names.difference(&referenced).collect();
    if !orphans.is_empty() {
        return Err(format!("orphaned token secrets: {orphans:?}"));
    }
    Ok(())
}

#[tokio::test]
async fn many_accounts_created_and_deleted_at_once_converge() {
    let (server, client) = cluster().await;
    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), "default");
    let names: Vec<String> = (0..60).map(|i| format!("worker-{i}")).collect();
    let creates = names.iter().map(|name| {
        let accounts = accounts.clone();
        let account: ServiceAccount =
            serde_json::from_value(json!({"metadata": {"name": name}})).expect("sa");
        async move { accounts.create(&PostParams::default(), &account).await }
    });
    for result in join_all(creates).await {
        result.expect("create account");
    }
    // Delete every third account while the controller is still minting tokens.
    let deletes = names.iter().step_by(3).map(|name| {
        let accounts = accounts.clone();
        async move { accounts.delete(name, &DeleteParams::default()).await }
    });
    for result in join_all(deletes).await {
        result.expect("delete account");
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match converged(&client, "default").await {
            Ok(()) => break,
            Err(why) => assert!(Instant::now() < deadline, "not converged after 30 s: {why}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let remaining = accounts
        .list(&ListParams::default())
        .await
        .expect("list")
        .items
        .len();
    assert_eq!(remaining, 60 - 20 + 1, "40 workers and `default` remain");
    server.shutdown().await;
}

#[tokio::test]
async fn components_work_when_the_advertised_address_is_not_reachable() {
    // As behind a container's port mapping: the advertised port is not where it listens.
    // The in-process components do not use the network at all.
    let server = kube_sa::apiserver::ApiServer::builder()
        .advertise("127.0.0.1", Some(1))
        .start()
        .await
        .expect("start");
    assert!(server.url().ends_with(":1"));
    let actual = format!("https://127.0.0.1:{}", server.local_addr().port());
    let yaml = server.kubeconfig_yaml().replace(server.url(), &actual);
    let kubeconfig: kube::config::Kubeconfig = serde_yaml::from_str(&yaml).expect("yaml");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .expect("config");
    let client = kube::Client::try_from(config).expect("client");
    let accounts: Api<ServiceAccount> = Api::namespaced(client, "default");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let has_token = accounts
            .get_opt("default")
            .await
            .ok()
            .flatten()
            .is_some_and(|sa| sa.secrets.is_some_and(|s| !s.is_empty()));
        if has_token {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the controllers never gave `default` a token"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.shutdown().await;
}
