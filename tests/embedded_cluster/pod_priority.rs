//! Pod priority as the `Priority` admission plugin sets it: from the class, in mutating
//! admission (so not owned by the request's field manager), refused when the pod disagrees,
//! and absent when the plugin is switched off.

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, PostParams};
use kube_sa::apiserver::ApiServer;
use serde_json::json;

fn pod(name: &str, spec: serde_json::Value) -> Pod {
    let mut spec = spec;
    spec["containers"] = json!([{"name": "c", "image": "nginx"}]);
    serde_json::from_value(json!({"metadata": {"name": name}, "spec": spec})).expect("pod")
}

fn as_tester() -> PostParams {
    PostParams {
        field_manager: Some("tester".into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn pods_get_their_class_priority_from_admission() {
    let server = ApiServer::builder()
        .without_service_accounts()
        .start()
        .await
        .expect("server starts");
    let pods: Api<Pod> = Api::namespaced(server.client().await.expect("client"), "default");

    let plain = pods
        .create(&as_tester(), &pod("plain", json!({})))
        .await
        .expect("created");
    let spec = plain.spec.as_ref().expect("spec");
    assert_eq!(spec.priority, Some(0));
    assert_eq!(
        spec.preemption_policy.as_deref(),
        Some("PreemptLowerPriority")
    );
    // Set by admission after the field manager: the writer owns neither field.
    let owned = serde_json::to_string(&plain.metadata.managed_fields).expect("json");
    assert!(owned.contains("f:containers"), "{owned}");
    assert!(!owned.contains("f:priority"), "{owned}");
    assert!(!owned.contains("f:preemptionPolicy"), "{owned}");

    let critical = pods
        .create(
            &as_tester(),
            &pod(
                "critical",
                json!({"priorityClassName": "system-node-critical"}),
            ),
        )
        .await
        .expect("created");
    assert_eq!(
        critical.spec.as_ref().expect("spec").priority,
        Some(2_000_001_000)
    );

    let refused = pods
        .create(
            &as_tester(),
            &pod("missing", json!({"priorityClassName": "nosuch"})),
        )
        .await
        .expect_err("refused");
    let kube::Error::Api(status) = refused else {
        panic!("{refused:?}")
    };
    assert_eq!(
        (status.code, status.message.as_str()),
        (
            403,
            "pods \"missing\" is forbidden: no PriorityClass with name nosuch was found"
        )
    );
    server.shutdown().await;
}

#[tokio::test]
async fn without_the_plugin_pods_have_no_priority() {
    let server = ApiServer::builder()
        .without_service_accounts()
        .disable_admission_plugins(["Priority"])
        .start()
        .await
        .expect("server starts");
    let pods: Api<Pod> = Api::namespaced(server.client().await.expect("client"), "default");
    let created = pods
        .create(&as_tester(), &pod("plain", json!({})))
        .await
        .expect("created");
    let spec = created.spec.as_ref().expect("spec");
    assert_eq!(
        (spec.priority, spec.preemption_policy.as_deref()),
        (None, None)
    );
    server.shutdown().await;
}
