//! Writes that race on one object. A patch, an apply, or a PUT without a resourceVersion
//! is made again on the object as the winning write left it, as upstream's
//! `GuaranteedUpdate` retries its transaction. So none of them answers 409 for a race:
//! every client's change lands. A PUT with a stale resourceVersion still does.

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Patch, PatchParams, PostParams};
use kube::Api;
use kube_sa::apiserver::ApiServer;
use serde_json::json;

use crate::support::embedded;

const WRITERS: usize = 12;
const WRITES_EACH: usize = 25;

/// An embedded cluster (kept alive by the returned server) and its ConfigMaps in
/// `default`, with `map` created there.
async fn with_config_map(map: serde_json::Value) -> (ApiServer, Api<ConfigMap>, ConfigMap) {
    let (server, client) = embedded().await;
    let maps: Api<ConfigMap> = Api::namespaced(client, "default");
    let map: ConfigMap = serde_json::from_value(map).expect("config map");
    let created = maps
        .create(&PostParams::default(), &map)
        .await
        .expect("create");
    (server, maps, created)
}

/// Every writer's own labels, all there after the race.
fn assert_every_label(map: &ConfigMap, prefix: &str) {
    let labels = map.metadata.labels.clone().unwrap_or_default();
    for writer in 0..WRITERS {
        assert_eq!(
            labels.get(&format!("{prefix}{writer}")).map(String::as_str),
            Some((WRITES_EACH - 1).to_string().as_str()),
            "{labels:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_patches_and_applies_all_land_without_a_conflict() {
    let (_server, maps, _) = with_config_map(json!({"metadata": {"name": "shared"}})).await;

    let mut writers = tokio::task::JoinSet::new();
    for writer in 0..WRITERS {
        let maps = maps.clone();
        writers.spawn(async move {
            for i in 0..WRITES_EACH {
                let labels = json!({"metadata": {"labels": {format!("merge{writer}"): i.to_string()}}});
                maps.patch("shared", &PatchParams::default(), &Patch::Merge(&labels))
                    .await
                    .map_err(|e| format!("merge patch {writer}/{i}: {e}"))?;
                let labels = json!({"metadata": {"labels": {format!("strategic{writer}"): i.to_string()}}});
                maps.patch("shared", &PatchParams::default(), &Patch::Strategic(&labels))
                    .await
                    .map_err(|e| format!("strategic patch {writer}/{i}: {e}"))?;
                let applied = json!({
                    "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "shared", "labels": {format!("apply{writer}"): i.to_string()}}
                });
                maps.patch(
                    "shared",
                    &PatchParams::apply(&format!("writer-{writer}")),
                    &Patch::Apply(&applied),
                )
                .await
                .map_err(|e| format!("apply {writer}/{i}: {e}"))?;
            }
            Ok::<(), String>(())
        });
    }
    while let Some(joined) = writers.join_next().await {
        joined.expect("writer task").expect("no write is refused");
    }
    let map = maps.get("shared").await.expect("get");
    assert_every_label(&map, "merge");
    assert_every_label(&map, "strategic");
    assert_every_label(&map, "apply");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_puts_without_a_resource_version_all_land() {
    let (_server, maps, created) =
        with_config_map(json!({"metadata": {"name": "shared"}, "data": {"k": "0"}})).await;

    let mut writers = tokio::task::JoinSet::new();
    for writer in 0..WRITERS {
        let maps = maps.clone();
        writers.spawn(async move {
            for i in 0..WRITES_EACH {
                let body: ConfigMap = serde_json::from_value(json!({
                    "metadata": {"name": "shared"},
                    "data": {"k": format!("{writer}-{i}")}
                }))
                .expect("config map");
                maps.replace("shared", &PostParams::default(), &body)
                    .await
                    .map_err(|e| format!("put {writer}/{i}: {e}"))?;
            }
            Ok::<(), String>(())
        });
    }
    while let Some(joined) = writers.join_next().await {
        joined.expect("writer task").expect("no PUT is refused");
    }

    // The revision the object was created at is stale by now: that PUT conflicts.
    let mut stale = created.clone();
    stale.data = Some([("k".to_string(), "stale".to_string())].into());
    let err = maps
        .replace("shared", &PostParams::default(), &stale)
        .await
        .expect_err("a stale resourceVersion conflicts");
    assert!(
        matches!(&err, kube::Error::Api(status) if status.code == 409 && status.reason == "Conflict"),
        "{err:?}"
    );
}

/// A patch that renames the object or moves it to another namespace is refused with
/// upstream's `checkName` and `EnsureObjectNamespaceMatchesRequestNamespace` texts.
#[tokio::test]
async fn a_patch_cannot_change_the_name_or_namespace() {
    let (_server, maps, _) = with_config_map(json!({"metadata": {"name": "keep"}})).await;
    let cases = [
        (
            Patch::Merge(json!({"metadata": {"name": "other"}})),
            "the name of the object (other) does not match the name on the URL (keep)",
        ),
        (
            Patch::Merge(json!({"metadata": {"namespace": "kube-system"}})),
            "the namespace of the provided object does not match the namespace sent on the request",
        ),
        (
            Patch::Json(
                serde_json::from_value(
                    json!([{"op": "replace", "path": "/metadata/name", "value": "other"}]),
                )
                .expect("json patch"),
            ),
            "the name of the object (other) does not match the name on the URL (keep)",
        ),
    ];
    for (patch, message) in cases {
        let err = maps
            .patch("keep", &PatchParams::default(), &patch)
            .await
            .expect_err("refused");
        match err {
            kube::Error::Api(status) => {
                assert_eq!(
                    (status.code, status.reason.as_str(), status.message.as_str()),
                    (400, "BadRequest", message)
                );
            }
            other => panic!("{other:?}"),
        }
    }
    // The same namespace, spelled out, is no change of namespace.
    maps.patch(
        "keep",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"namespace": "default", "labels": {"a": "b"}}})),
    )
    .await
    .expect("patch naming its own namespace");
}

/// A cluster-scoped object given a namespace by a PUT or a patch has it cleared, as
/// `EnsureObjectNamespaceMatchesRequestNamespace` clears it (and as a create does).
#[tokio::test]
async fn a_namespace_on_a_cluster_scoped_object_is_cleared() {
    use k8s_openapi::api::core::v1::Namespace;
    let (_server, client) = embedded().await;
    let namespaces: Api<Namespace> = Api::all(client);
    let patched = namespaces
        .patch(
            "default",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"namespace": "elsewhere", "labels": {"a": "b"}}})),
        )
        .await
        .expect("patch");
    assert_eq!(patched.metadata.namespace, None);
    assert_eq!(
        patched
            .metadata
            .labels
            .unwrap_or_default()
            .get("a")
            .map(String::as_str),
        Some("b")
    );
    let mut body = namespaces.get("default").await.expect("get");
    body.metadata.namespace = Some("elsewhere".into());
    let replaced = namespaces
        .replace("default", &PostParams::default(), &body)
        .await
        .expect("put");
    assert_eq!(replaced.metadata.namespace, None);
}
