//! Writes to the `status` subresource of pods and namespaces keep the request's metadata and
//! the stored spec, as upstream's `podStatusStrategy` and `namespaceStatusStrategy` do
//! (`PrepareForUpdate` copies only the old spec, and a pod's old owner references, into
//! the new object).

use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{Patch, PatchParams, PostParams};
use serde_json::json;

/// A PUT of `pods/status` of pod `web` with `body`, as kube-rs `replace_status` sends it.
async fn put_status(pods: &kube::Api<Pod>, body: serde_json::Value) -> Result<Pod, kube::Error> {
    let pod: Pod = serde_json::from_value(body).expect("pod");
    pods.replace_status("web", &PostParams::default(), &pod)
        .await
}

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
    let written = put_status(&pods, request).await.expect("status write");
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
    let err = put_status(&pods, invalid)
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

/// A server-side apply to `pods/status` applies and owns the labels it names too, and a
/// status write of a pod being deleted keeps its `deletionGracePeriodSeconds`
/// (`BeforeUpdate`: an update never removes it).
#[tokio::test]
async fn a_status_apply_owns_its_labels_and_a_deleting_pod_keeps_its_grace_period() {
    use kube::api::DeleteParams;
    let (_server, client) = crate::support::embedded().await;
    let pods: kube::Api<Pod> = kube::Api::namespaced(client, "default");
    let pod: Pod = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web", "finalizers": ["example.com/hold"]},
        "spec": {"containers": [{"name": "web", "image": "nginx"}]}
    }))
    .expect("pod");
    pods.create(&PostParams::default(), &pod)
        .await
        .expect("create");

    let applied = pods
        .patch_status(
            "web",
            &PatchParams::apply("kubelet"),
            &Patch::Apply(json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "web", "labels": {"ready": "yes"}},
                "status": {"message": "up"}
            })),
        )
        .await
        .expect("status apply");
    let applied = serde_json::to_value(&applied).expect("json");
    assert_eq!(applied["metadata"]["labels"]["ready"], "yes");
    assert_eq!(applied["status"]["message"], "up");
    let entry = applied["metadata"]["managedFields"]
        .as_array()
        .and_then(|entries| entries.iter().find(|e| e["manager"] == "kubelet"))
        .cloned()
        .expect("the kubelet's entry");
    assert_eq!(entry["subresource"], "status");
    assert_eq!(
        entry["fieldsV1"]["f:metadata"],
        json!({"f:labels": {"f:ready": {}}})
    );

    pods.delete("web", &DeleteParams::default())
        .await
        .expect("delete");
    let deleting = pods.get("web").await.expect("still there: finalizer");
    let grace = deleting.metadata.deletion_grace_period_seconds;
    assert!(grace.is_some(), "{:?}", deleting.metadata);
    let mut request = serde_json::to_value(&deleting).expect("json");
    request["metadata"]
        .as_object_mut()
        .map(|meta| meta.remove("deletionGracePeriodSeconds"));
    request["status"]["message"] = json!("stopping");
    let written = put_status(&pods, request).await.expect("status write");
    assert_eq!(written.metadata.deletion_grace_period_seconds, grace);
}
