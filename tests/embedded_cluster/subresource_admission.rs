//! Two subresources of a bound-mode cluster as clients use them: a TokenRequest passes
//! mutating admission webhooks registered for `serviceaccounts/token` CREATE (upstream's
//! create handler runs them) and validating ones (TokenREST runs `createValidation` on
//! it), and `pods/ephemeralcontainers` adds ephemeral
//! containers through a strategic-merge PATCH (kube-rs) and `kubectl debug`, with
//! upstream's validation and the ServiceAccount plugin's check on that subresource.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::authentication::v1::TokenRequest;
use k8s_openapi::api::core::v1::{Pod, ServiceAccount};
use kube::api::{Api, ApiResource, DynamicObject, Patch, PatchParams, PostParams};
use kube_sa::apiserver::components::ServiceAccountOptions;
use kube_sa::apiserver::ApiServer;
use kube_sa::Mode;
use serde_json::{json, Value};

use crate::support::{eventually, kubectl, kubectl_binaries};
use crate::test_webhook::{allow, TestWebhook};

async fn bound_cluster() -> (ApiServer, kube::Client) {
    let server = ApiServer::builder()
        .service_accounts(ServiceAccountOptions {
            mode: Mode::Bound,
            ..Default::default()
        })
        .start()
        .await
        .expect("server");
    let client = server.client().await.expect("client");
    (server, client)
}

async fn default_account(client: &kube::Client, namespace: &str) {
    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), namespace);
    eventually("the default account", Duration::from_secs(10), || {
        let accounts = accounts.clone();
        async move { accounts.get_opt("default").await.ok().flatten().is_some() }
    })
    .await;
}

fn token_request(audience: &str) -> TokenRequest {
    serde_json::from_value(json!({"spec": {"audiences": [audience]}})).expect("token request")
}

/// Registers `hook` as the webhook `tokens.kube-sa.example.com` of configuration `K`
/// (mutating or validating) for `serviceaccounts/token` CREATE.
async fn register_token_webhook<K>(client: &kube::Client, hook: &TestWebhook)
where
    K: kube::Resource<DynamicType = ()>,
{
    let resource = ApiResource::erase::<K>(&());
    let configuration: DynamicObject = serde_json::from_value(json!({
        "apiVersion": resource.api_version, "kind": resource.kind,
        "metadata": {"name": "tokens"},
        "webhooks": [{
            "name": "tokens.kube-sa.example.com",
            "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"],
                       "resources": ["serviceaccounts/token"]}],
            "clientConfig": {"url": hook.url("/tokens"), "caBundle": hook.ca_bundle()},
            "sideEffects": "None", "admissionReviewVersions": ["v1"],
        }],
    }))
    .expect("configuration");
    Api::<DynamicObject>::all_with(client.clone(), &resource)
        .create(&PostParams::default(), &configuration)
        .await
        .expect("registered");
}

#[tokio::test]
async fn validating_webhooks_see_token_requests_and_may_deny_them() {
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let recorded = seen.clone();
    let hook = TestWebhook::start(
        &[],
        Arc::new(move |_: &str, request: &Value| {
            recorded.lock().expect("seen").push(request.clone());
            if request["object"]["spec"]["audiences"][0] == "forbidden" {
                json!({"allowed": false, "status": {"code": 403, "message": "audience forbidden is not for you"}})
            } else {
                allow(None)
            }
        }),
    )
    .await;
    let (server, client) = bound_cluster().await;
    default_account(&client, "default").await;
    register_token_webhook::<
        k8s_openapi::api::admissionregistration::v1::ValidatingWebhookConfiguration,
    >(&client, &hook)
    .await;

    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), "default");
    let issued = accounts
        .create_token_request("default", &PostParams::default(), &token_request("vault"))
        .await
        .expect("allowed");
    assert!(issued.status.is_some_and(|s| !s.token.is_empty()));

    let refused = accounts
        .create_token_request(
            "default",
            &PostParams::default(),
            &token_request("forbidden"),
        )
        .await
        .expect_err("denied");
    let kube::Error::Api(status) = refused else {
        panic!("{refused}")
    };
    assert_eq!(status.code, 403);
    assert_eq!(
        status.message,
        "admission webhook \"tokens.kube-sa.example.com\" denied the request: audience forbidden is not for you"
    );

    // The review names the TokenRequest kind on the serviceaccounts resource, as upstream.
    let seen = seen.lock().expect("seen").clone();
    assert_eq!(seen.len(), 2, "one call per request");
    let review = &seen[0];
    assert_eq!(
        review["kind"],
        json!({"group": "authentication.k8s.io", "version": "v1", "kind": "TokenRequest"})
    );
    assert_eq!(review["requestKind"], review["kind"]);
    assert_eq!(
        review["resource"],
        json!({"group": "", "version": "v1", "resource": "serviceaccounts"})
    );
    assert_eq!(review["subResource"], "token");
    assert_eq!(review["name"], "default");
    assert_eq!(review["namespace"], "default");
    assert_eq!(review["operation"], "CREATE");
    assert_eq!(review["object"]["kind"], "TokenRequest");
    assert_eq!(review["object"]["apiVersion"], "authentication.k8s.io/v1");
    assert_eq!(review["object"]["spec"]["expirationSeconds"], 3600);
    assert!(review["object"]["status"].is_null() || review["object"]["status"]["token"] == "");
    server.shutdown().await;
}

#[tokio::test]
async fn mutating_webhooks_change_token_requests_before_they_are_issued() {
    let hook = TestWebhook::start(
        &[],
        Arc::new(|_: &str, request: &Value| {
            // Only the TokenRequest as the client sent it: not yet defaulted by TokenREST.
            assert!(
                request["object"]["spec"]["expirationSeconds"].is_null(),
                "{request}"
            );
            allow(Some(json!([
                {"op": "replace", "path": "/spec/audiences", "value": ["rewritten"]}
            ])))
        }),
    )
    .await;
    let (server, client) = bound_cluster().await;
    default_account(&client, "default").await;
    register_token_webhook::<
        k8s_openapi::api::admissionregistration::v1::MutatingWebhookConfiguration,
    >(&client, &hook)
    .await;

    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), "default");
    let issued = accounts
        .create_token_request("default", &PostParams::default(), &token_request("vault"))
        .await
        .expect("issued");
    assert_eq!(issued.spec.audiences, vec!["rewritten".to_string()]);
    let token = issued.status.expect("status").token;
    let payload = token.split('.').nth(1).expect("a JWT");
    use base64::Engine as _;
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("base64url"),
    )
    .expect("claims");
    assert_eq!(claims["aud"], json!(["rewritten"]));
    server.shutdown().await;
}

#[tokio::test]
async fn ephemeral_containers_are_added_through_their_subresource_only() {
    let (server, client) = bound_cluster().await;
    default_account(&client, "default").await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": "web"},
        "spec": {"containers": [{"name": "app", "image": "nginx"}]},
    }))
    .expect("pod");
    pods.create(&PostParams::default(), &pod)
        .await
        .expect("created");

    // What `kubectl debug` sends: a strategic merge patch of the ephemeral containers.
    let patch = json!({"spec": {"ephemeralContainers": [
        {"name": "dbg", "image": "busybox", "targetContainerName": "app"}]}});
    let patched = pods
        .patch_ephemeral_containers("web", &PatchParams::default(), &Patch::Strategic(&patch))
        .await
        .expect("added");
    let spec = patched.spec.expect("spec");
    let ephemeral = spec.ephemeral_containers.expect("ephemeral containers");
    assert_eq!(ephemeral.len(), 1);
    assert_eq!(ephemeral[0].name, "dbg");
    // Defaulted like any container, and never given the token mount.
    assert_eq!(
        ephemeral[0].termination_message_path.as_deref(),
        Some("/dev/termination-log")
    );
    assert!(ephemeral[0].volume_mounts.is_none());
    let read = pods.get_ephemeral_containers("web").await.expect("get");
    assert_eq!(
        read.spec
            .and_then(|s| s.ephemeral_containers)
            .map(|e| e.len()),
        Some(1)
    );

    // Changing an existing one is refused with upstream's field error.
    let changed = json!({"spec": {"ephemeralContainers": [
        {"name": "dbg", "image": "alpine", "targetContainerName": "app"}]}});
    let refused = pods
        .patch_ephemeral_containers("web", &PatchParams::default(), &Patch::Strategic(&changed))
        .await
        .expect_err("changed");
    let kube::Error::Api(status) = refused else {
        panic!("{refused}")
    };
    assert_eq!(status.code, 422);
    assert!(
        status.message.starts_with(
            "Pod \"web\" is invalid: spec.ephemeralContainers[dbg]: Forbidden: existing ephemeral containers \"dbg\" may not be changed"
        ),
        "{}",
        status.message
    );

    // An ordinary update cannot add one (the pod spec is immutable there).
    let mut current = pods.get("web").await.expect("get");
    if let Some(spec) = current.spec.as_mut() {
        spec.ephemeral_containers
            .get_or_insert_with(Vec::new)
            .push(serde_json::from_value(json!({"name": "dbg2", "image": "busybox"})).expect("ec"));
    }
    let refused = pods
        .replace("web", &PostParams::default(), &current)
        .await
        .expect_err("not through the pod");
    let kube::Error::Api(status) = refused else {
        panic!("{refused}")
    };
    assert_eq!(status.code, 422, "{}", status.message);

    // The ServiceAccount plugin checks the subresource in bound mode: with enforced
    // mountable secrets, an ephemeral container may not read a secret the account lacks.
    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), "default");
    accounts
        .patch(
            "default",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"annotations": {"kubernetes.io/enforce-mountable-secrets": "true"}}})),
        )
        .await
        .expect("annotated");
    let with_secret = json!({"spec": {"ephemeralContainers": [
        {"name": "peek", "image": "busybox",
         "env": [{"name": "PW", "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}}}]}]}});
    let refused = pods
        .patch_ephemeral_containers(
            "web",
            &PatchParams::default(),
            &Patch::Strategic(&with_secret),
        )
        .await
        .expect_err("secret not listed");
    let kube::Error::Api(status) = refused else {
        panic!("{refused}")
    };
    // Upstream's plugin returns a plain error here: 500, no reason, the text alone.
    assert_eq!(status.code, 500);
    assert_eq!(status.reason, "");
    assert_eq!(
        status.message,
        "ephemeral container peek with envVar PW referencing secret.secretName=\"db\" is not allowed because service account default does not reference that secret"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn kubectl_debug_adds_an_ephemeral_container() {
    let (server, client) = bound_cluster().await;
    default_account(&client, "default").await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": "web"},
        "spec": {"containers": [{"name": "app", "image": "nginx"}]},
    }))
    .expect("pod");
    pods.create(&PostParams::default(), &pod)
        .await
        .expect("created");
    let dir = tempfile::tempdir().expect("tempdir");
    let admin = dir.path().join("kubeconfig");
    std::fs::write(&admin, server.kubeconfig_yaml()).expect("kubeconfig");
    for (i, bin) in kubectl_binaries().into_iter().enumerate() {
        let name = format!("dbg{i}");
        let admin = admin.clone();
        let container = name.clone();
        let out = tokio::task::spawn_blocking(move || {
            kubectl(
                &bin,
                &admin,
                &["debug", "web", "--image=busybox", "-c", &container],
                None,
            )
        })
        .await
        .expect("kubectl");
        assert!(out.success, "kubectl debug: {}", out.stderr);
        let spec = pods.get("web").await.expect("get").spec.expect("spec");
        let names: Vec<String> = spec
            .ephemeral_containers
            .unwrap_or_default()
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert!(names.contains(&name), "{names:?}");
    }
    server.shutdown().await;
}
