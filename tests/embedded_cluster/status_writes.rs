//! Writes to the `status` subresource of pods and namespaces keep the request's metadata and
//! the stored spec, as upstream's `podStatusStrategy` and `namespaceStatusStrategy` do
//! (`PrepareForUpdate` copies only the old spec, and a pod's old owner references, into
//! the new object).

use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{Patch, PatchParams, PostParams};
use serde_json::json;

/// A PUT of `pods/status` (kube-rs `replace_status`, as the kubelet writes it) with new
/// labels, annotations, owner references, spec and a status without a QoS class.
#[tokio::test]
async fn a_pod_status_write_keeps_the_requests_labels_but_the_stored_spec_and_owners() {
    let (_server, client) = crate::support::embedded().await;
    let pods: kube::Api<Pod> = kube::Api::namespaced(client, "default");
    let pod: Pod = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": "web",
            "labels": {"app": "web"},
            "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": "11111111-1111-1111-1111-111111111111"}]
        },
        "spec": {"containers": [{"name": "web", "image": "nginx"}]}
    }))
    .expect("pod");
    let created = pods
        .create(&PostParams::default(), &pod)
        .await
        .expect("create");
    let qos_class = created
        .status
        .as_ref()
        .and_then(|s| s.qos_class.clone())
        .expect("a created pod has its QoS class");

    let mut request = serde_json::to_value(&created).expect("json");
    request["metadata"]["labels"] = json!({"app": "web", "ready": "yes"});
    request["metadata"]["annotations"] = json!({"note": "from the kubelet"});
    request["metadata"]["ownerReferences"] = json!([]);
    request["spec"]["containers"][0]["image"] = json!("httpd");
    request["status"] = json!({"phase": "Running"});
    let written = pods
        .replace_status(
            "web",
            &PostParams::default(),
            &serde_json::from_value::<Pod>(request).expect("pod"),
        )
        .await
        .expect("status write");
    let written = serde_json::to_value(&written).expect("json");

    assert_eq!(
        written["metadata"]["labels"],
        json!({"app": "web", "ready": "yes"})
    );
    assert_eq!(
        written["metadata"]["annotations"],
        json!({"note": "from the kubelet"})
    );
    assert_eq!(written["metadata"]["ownerReferences"][0]["name"], "owner");
    assert_eq!(written["spec"]["containers"][0]["image"], "nginx");
    assert_eq!(written["status"]["phase"], "Running");
    assert_eq!(written["status"]["qosClass"], json!(qos_class));
    assert_eq!(written["metadata"]["uid"], json!(created.metadata.uid));

    // The request's metadata is validated as an update's is.
    let mut invalid = written.clone();
    invalid["metadata"]["labels"] = json!({"bad label": "x"});
    let err = pods
        .replace_status(
            "web",
            &PostParams::default(),
            &serde_json::from_value::<Pod>(invalid).expect("pod"),
        )
        .await
        .expect_err("an invalid label is refused");
    match err {
        kube::Error::Api(status) => {
            assert_eq!(status.code, 422, "{status:?}");
            assert!(
                status
                    .message
                    .contains("metadata.labels: Invalid value: \"bad label\""),
                "{}",
                status.message
            );
        }
        other => panic!("{other:?}"),
    }
    let stored = pods.get("web").await.expect("get");
    assert_eq!(
        serde_json::to_value(&stored.metadata.labels).expect("labels"),
        json!({"app": "web", "ready": "yes"})
    );
}

/// A merge patch of `namespaces/status` that also labels the namespace and changes its
/// spec: the label is kept, the spec is not.
#[tokio::test]
async fn a_namespace_status_patch_keeps_its_labels_but_not_its_spec() {
    let (_server, client) = crate::support::embedded().await;
    let namespaces: kube::Api<Namespace> = kube::Api::all(client);
    let namespace: Namespace =
        serde_json::from_value(json!({"metadata": {"name": "team"}})).expect("namespace");
    namespaces
        .create(&PostParams::default(), &namespace)
        .await
        .expect("create");
    let patch = json!({
        "metadata": {"labels": {"owner": "team-a"}},
        "spec": {"finalizers": []},
        "status": {"conditions": [{"type": "NamespaceDeletionDiscoveryFailure", "status": "False"}]}
    });
    let written = namespaces
        .patch_status("team", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("status patch");
    let written = serde_json::to_value(&written).expect("json");
    assert_eq!(written["metadata"]["labels"]["owner"], "team-a");
    assert_eq!(written["spec"]["finalizers"], json!(["kubernetes"]));
    assert_eq!(
        written["status"]["conditions"][0]["type"],
        "NamespaceDeletionDiscoveryFailure"
    );
}
