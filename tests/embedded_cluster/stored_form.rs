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
