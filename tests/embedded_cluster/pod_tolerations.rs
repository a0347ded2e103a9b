//! The `DefaultTolerationSeconds` admission plugin as a client sees it: the two NoExecute
//! tolerations with the builder's (or `kube-sa serve`'s flags') seconds, none when the plugin
//! is switched off, and `kubectl describe pod` showing upstream's lines.

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, PostParams};
use kube_sa::apiserver::ApiServer;
use serde_json::{json, Value};

use crate::support::{kubectl, kubectl_binaries, ok, ServeProcess};

fn pod(name: &str) -> Pod {
    serde_json::from_value(json!({
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]},
    }))
    .expect("pod")
}

async fn created_tolerations(server: &ApiServer) -> Value {
    let pods: Api<Pod> = Api::namespaced(server.client().await.expect("client"), "default");
    let created = pods
        .create(&PostParams::default(), &pod("web"))
        .await
        .expect("created");
    json!(created.spec.expect("spec").tolerations)
}

#[tokio::test]
async fn the_builder_sets_the_seconds_of_both_tolerations() {
    let server = ApiServer::builder()
        .without_service_accounts()
        .default_not_ready_toleration_seconds(60)
        .default_unreachable_toleration_seconds(0)
        .start()
        .await
        .expect("server starts");
    assert_eq!(
        created_tolerations(&server).await,
        json!([
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 60},
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 0},
        ])
    );
    server.shutdown().await;
}

#[tokio::test]
async fn without_the_plugin_pods_have_no_tolerations() {
    let server = ApiServer::builder()
        .without_service_accounts()
        .disable_admission_plugins(["DefaultTolerationSeconds"])
        .start()
        .await
        .expect("server starts");
    assert_eq!(created_tolerations(&server).await, Value::Null);
    server.shutdown().await;
}

#[test]
fn serve_flags_set_the_seconds_that_kubectl_describe_shows() {
    let server = ServeProcess::start(&[
        "--disable-admission-plugins=ServiceAccount",
        // Given twice, the last value counts (pflag's rule).
        "--default-not-ready-toleration-seconds=5",
        "--default-not-ready-toleration-seconds=120",
        "--default-unreachable-toleration-seconds=-1",
    ]);
    let kubectl_bin = &kubectl_binaries()[0];
    let manifest = "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers: [{name: app, image: nginx}]\n";
    ok(
        &kubectl(
            kubectl_bin,
            &server.kubeconfig,
            &["create", "-f", "-"],
            Some(manifest),
        ),
        "kubectl create",
    );
    let described = ok(
        &kubectl(
            kubectl_bin,
            &server.kubeconfig,
            &["describe", "pod", "web"],
            None,
        ),
        "kubectl describe",
    );
    assert!(
        described.contains("node.kubernetes.io/not-ready:NoExecute op=Exists for 120s"),
        "{described}"
    );
    let seconds = ok(
        &kubectl(
            kubectl_bin,
            &server.kubeconfig,
            &[
                "get",
                "pod",
                "web",
                "-o",
                "jsonpath={.spec.tolerations[*].tolerationSeconds}",
            ],
            None,
        ),
        "kubectl get",
    );
    assert_eq!(seconds.trim(), "120 -1");
}
