//! Objects come back in the form upstream's storage gives them, with the newest and the
//! oldest kubectl: resource quantities as kubectl sends them from YAML (numbers and strings)
//! as upstream prints them (`0.5` → `500m`, `2048Ki` → `2Mi`), a malformed one refused with
//! upstream's text, and empty optional maps and lists left out.

use std::path::Path;

use crate::support::{kubectl, kubectl_binaries, Output, ServeProcess};

/// `kubectl create -f -` of `manifest`, printing the created object with `-o <output>`.
fn create(bin: &Path, kc: &Path, manifest: &str, output: &str) -> Output {
    kubectl(
        bin,
        kc,
        &["create", "-f", "-", "-o", output],
        Some(manifest),
    )
}

const POD: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: sized}
spec:
  containers:
  - name: c
    image: busybox
    resources:
      requests: {cpu: 0.5, memory: 1.5Ki}
      limits: {cpu: "1.500k", memory: 2048Ki}
"#;

const CLAIM: &str = r#"
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1024Mi}}
"#;

#[test]
fn objects_come_back_as_upstream_stores_them() {
    for bin in kubectl_binaries() {
        let name = bin.display().to_string();
        let server = ServeProcess::start(&["--mode=bound"]);
        let kc = server.kubeconfig.as_path();

        let pod = create(&bin, kc, POD, "jsonpath={.spec.containers[0].resources}");
        assert!(pod.success, "{name}: {}", pod.stderr);
        let resources: serde_json::Value =
            serde_json::from_str(&pod.stdout).expect("resources as JSON");
        assert_eq!(
            resources,
            serde_json::json!({"requests": {"cpu": "500m", "memory": "1536"},
                               "limits": {"cpu": "1.500k", "memory": "2Mi"}}),
            "{name}"
        );

        let claim = create(
            &bin,
            kc,
            CLAIM,
            "jsonpath={.spec.resources.requests.storage}",
        );
        assert!(claim.success, "{name}: {}", claim.stderr);
        assert_eq!(claim.stdout, "1Gi", "{name}");

        let bad = kubectl(
            &bin,
            kc,
            &["create", "-f", "-"],
            Some(&POD.replace("sized", "bad").replace("2048Ki", "2 GB")),
        );
        assert!(!bad.success, "{name}: a malformed quantity was accepted");
        assert!(
            bad.stderr.contains(
                "Pod in version \"v1\" cannot be handled as a Pod: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
            ),
            "{name}: {}",
            bad.stderr
        );
        let listed = kubectl(&bin, kc, &["get", "pods", "-o", "name"], None);
        assert_eq!(
            listed.stdout.trim(),
            "pod/sized",
            "{name}: the refused pod is stored"
        );

        let config = create(
            &bin,
            kc,
            r#"{"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "empty", "labels": {}, "finalizers": []}, "data": {}}"#,
            "json",
        );
        assert!(config.success, "{name}: {}", config.stderr);
        let config: serde_json::Value = serde_json::from_str(&config.stdout).expect("JSON");
        assert_eq!(config.get("data"), None, "{name}: {config}");
        assert_eq!(config["metadata"].get("labels"), None, "{name}: {config}");
        assert_eq!(
            config["metadata"].get("finalizers"),
            None,
            "{name}: {config}"
        );
    }
}

/// A kind with a status subresource is created with the zero status, which Go's JSON
/// always carries (`"status":{}`): clients that read `deployment.status` (the Python
/// client's models) find an object, not nothing. A status write without one stores it
/// empty too.
#[tokio::test]
async fn a_new_object_has_the_empty_status_upstream_prints() {
    let (server, client) = crate::support::embedded().await;
    let raw = |method: &str, uri: &str, body: serde_json::Value| {
        http::Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&body).expect("json"))
            .expect("request")
    };
    let deployments = "/apis/apps/v1/namespaces/default/deployments";
    let created = client
        .request_text(raw(
            "POST",
            deployments,
            serde_json::json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "web"},
                "spec": {
                    "selector": {"matchLabels": {"app": "web"}},
                    "template": {"metadata": {"labels": {"app": "web"}},
                                 "spec": {"containers": [{"name": "c", "image": "nginx"}]}},
                },
                // A client's status is dropped on create.
                "status": {"replicas": 3},
            }),
        ))
        .await
        .expect("created");
    let created: serde_json::Value = serde_json::from_str(&created).expect("JSON");
    assert_eq!(created["status"], serde_json::json!({}));
    // The status is reset on writes to the object itself, so its writer never owns it.
    let owns_status = |object: &serde_json::Value| {
        object["metadata"]["managedFields"]
            .as_array()
            .expect("managed fields")
            .iter()
            .any(|entry| entry["fieldsV1"].get("f:status").is_some())
    };
    assert!(!owns_status(&created), "{created}");

    // A Service's status always carries its load balancer's (a Go struct value too).
    let service = client
        .request_text(raw(
            "POST",
            "/api/v1/namespaces/default/services",
            serde_json::json!({
                "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                "spec": {"ports": [{"port": 80}]},
            }),
        ))
        .await
        .expect("service created");
    let service: serde_json::Value = serde_json::from_str(&service).expect("JSON");
    assert_eq!(service["status"], serde_json::json!({"loadBalancer": {}}));
    assert!(!owns_status(&service), "{service}");

    // The zero status is the typed one: what the type requires is there, so clients whose
    // models require it (the Python client's V1StatefulSetStatus.replicas) can read it.
    let set = client
        .request_text(raw(
            "POST",
            "/apis/apps/v1/namespaces/default/statefulsets",
            serde_json::json!({
                "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
                "spec": {
                    "selector": {"matchLabels": {"app": "db"}},
                    "template": {"metadata": {"labels": {"app": "db"}},
                                 "spec": {"containers": [{"name": "c", "image": "db"}]}},
                },
            }),
        ))
        .await
        .expect("statefulset created");
    let set: serde_json::Value = serde_json::from_str(&set).expect("JSON");
    assert_eq!(set["status"], serde_json::json!({"replicas": 0}));
    // A server-side apply to the object itself neither sets nor owns the status.
    let applied = client
        .request_text(
            http::Request::patch(
                "/apis/apps/v1/namespaces/default/statefulsets/db?fieldManager=applier&force=true",
            )
            .header("content-type", "application/apply-patch+yaml")
            .body(
                b"apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nstatus: {replicas: 7}\n"
                    .to_vec(),
            )
            .expect("request"),
        )
        .await
        .expect("applied");
    let applied: serde_json::Value = serde_json::from_str(&applied).expect("JSON");
    assert_eq!(applied["status"], serde_json::json!({"replicas": 0}));
    assert!(!owns_status(&applied), "{applied}");
    // A status write that removes the status stores the zero one.
    client
        .request_text(
            http::Request::patch("/apis/apps/v1/namespaces/default/statefulsets/db/status")
                .header("content-type", "application/merge-patch+json")
                .body(br#"{"status":{"replicas":3}}"#.to_vec())
                .expect("request"),
        )
        .await
        .expect("status written");
    client
        .request_text(
            http::Request::patch("/apis/apps/v1/namespaces/default/statefulsets/db/status")
                .header("content-type", "application/merge-patch+json")
                .body(br#"{"status":null}"#.to_vec())
                .expect("request"),
        )
        .await
        .expect("status removed");

    let status_uri = format!("{deployments}/web/status");
    let mut written = created.clone();
    written["status"] = serde_json::json!({"replicas": 1});
    client
        .request_text(raw("PUT", &status_uri, written))
        .await
        .expect("status written");
    let mut cleared = created.clone();
    cleared.as_object_mut().expect("object").remove("status");
    cleared["metadata"]
        .as_object_mut()
        .expect("metadata")
        .remove("resourceVersion");
    client
        .request_text(raw("PUT", &status_uri, cleared))
        .await
        .expect("status cleared");
    let read = client
        .request_text(
            http::Request::get(format!("{deployments}/web"))
                .body(Vec::new())
                .expect("request"),
        )
        .await
        .expect("read");
    let read: serde_json::Value = serde_json::from_str(&read).expect("JSON");
    assert_eq!(read["status"], serde_json::json!({}));
    let set = client
        .request_text(
            http::Request::get("/apis/apps/v1/namespaces/default/statefulsets/db")
                .body(Vec::new())
                .expect("request"),
        )
        .await
        .expect("read");
    let set: serde_json::Value = serde_json::from_str(&set).expect("JSON");
    assert_eq!(set["status"], serde_json::json!({"replicas": 0}));
    server.shutdown().await;
}
