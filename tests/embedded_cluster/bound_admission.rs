//! Bound mode's ServiceAccount admission through real kubectl binaries (the newest and the
//! oldest on the machine, 1.33 and 1.27) against `kube-sa serve --mode=bound`: the pod
//! shows the projected `kube-api-access-*` volume in `get -o yaml`, a missing account is
//! refused in 1.33's words, and the enforce-mountable-secrets annotation is warned about.

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};

use crate::support::{kubectl, kubectl_binaries, poll_until, Output, ServeProcess};

const POD: &str = r#"
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: demo
spec:
  initContainers: [{name: setup, image: busybox}]
  containers: [{name: app, image: nginx:1.25}]
"#;

const WARNING: &str = "Warning: metadata.annotations[kubernetes.io/enforce-mountable-secrets]: deprecated in v1.32+; prefer separate namespaces to isolate access to mounted secrets";

fn ok(out: &Output, bin: &Path, what: &str) -> String {
    assert!(
        out.success,
        "{}: {what} failed:\nstdout: {}\nstderr: {}",
        bin.display(),
        out.stdout,
        out.stderr
    );
    out.stdout.clone()
}

/// A namespace whose `default` account the controller has created.
fn namespace_with_default_account(bin: &Path, kc: &Path) {
    ok(
        &kubectl(bin, kc, &["create", "namespace", "demo"], None),
        bin,
        "create ns",
    );
    poll_until(
        "the default service account",
        Duration::from_secs(10),
        || {
            kubectl(bin, kc, &["get", "sa", "default", "-n", "demo"], None)
                .success
                .then_some(())
        },
    );
}

#[test]
fn kubectl_sees_the_projected_token_volume() {
    let expected_source = json!({"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}, "path": "namespace"}]}},
    ]});
    for bin in kubectl_binaries() {
        let server = ServeProcess::start(&["--mode", "bound"]);
        let kc = server.kubeconfig.as_path();
        namespace_with_default_account(&bin, kc);
        ok(
            &kubectl(&bin, kc, &["create", "-f", "-"], Some(POD)),
            &bin,
            "create pod",
        );

        let yaml = ok(
            &kubectl(
                &bin,
                kc,
                &["get", "pod", "web", "-n", "demo", "-o", "yaml"],
                None,
            ),
            &bin,
            "get -o yaml",
        );
        let pod: Value = serde_yaml::from_str(&yaml).expect("kubectl prints YAML");
        let spec = &pod["spec"];
        assert_eq!(spec["serviceAccountName"], "default", "{yaml}");
        let volumes = spec["volumes"].as_array().expect("volumes");
        assert_eq!(volumes.len(), 1, "{yaml}");
        let name = volumes[0]["name"].as_str().expect("volume name");
        let suffix = name.strip_prefix("kube-api-access-").expect("prefix");
        assert!(
            suffix.len() == 5
                && suffix
                    .chars()
                    .all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c)),
            "{}: volume name {name}",
            bin.display()
        );
        assert_eq!(volumes[0]["projected"], expected_source, "{yaml}");
        let mount = json!([{"name": name, "readOnly": true,
                            "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]);
        assert_eq!(spec["initContainers"][0]["volumeMounts"], mount, "{yaml}");
        assert_eq!(spec["containers"][0]["volumeMounts"], mount, "{yaml}");
        // No token Secret is mounted anywhere.
        assert!(!yaml.contains("secretName"), "{yaml}");

        let ghost = POD
            .replace("name: web", "name: ghost")
            .replace("spec:\n", "spec:\n  serviceAccountName: ghost\n");
        let refused = kubectl(&bin, kc, &["create", "-f", "-"], Some(&ghost));
        assert!(!refused.success, "{}: {}", bin.display(), refused.stdout);
        assert!(
            refused.stderr.contains(
                "pods \"ghost\" is forbidden: error looking up service account demo/ghost: serviceaccount \"ghost\" not found"
            ),
            "{}: {}",
            bin.display(),
            refused.stderr
        );
    }
}

#[test]
fn enforce_mountable_secrets_annotation_is_warned_about_in_bound_mode_only() {
    let annotated = r#"
apiVersion: v1
kind: ServiceAccount
metadata:
  name: strict
  namespace: demo
  annotations: {kubernetes.io/enforce-mountable-secrets: "true"}
"#;
    for bin in kubectl_binaries() {
        let server = ServeProcess::start(&["--mode", "bound"]);
        let kc = server.kubeconfig.as_path();
        namespace_with_default_account(&bin, kc);
        let created = kubectl(&bin, kc, &["create", "-f", "-"], Some(annotated));
        ok(&created, &bin, "create annotated account");
        assert!(
            created.stderr.contains(WARNING),
            "{}: {}",
            bin.display(),
            created.stderr
        );

        // Newly set on update (a patch): warned; already there: not warned.
        let args = [
            "annotate",
            "sa",
            "default",
            "-n",
            "demo",
            "kubernetes.io/enforce-mountable-secrets=false",
        ];
        let annotated_later = kubectl(&bin, kc, &args, None);
        ok(&annotated_later, &bin, "annotate");
        assert!(
            annotated_later.stderr.contains(WARNING),
            "{}: {}",
            bin.display(),
            annotated_later.stderr
        );
        let relabelled = kubectl(
            &bin,
            kc,
            &["label", "sa", "strict", "-n", "demo", "tier=x"],
            None,
        );
        ok(&relabelled, &bin, "label");
        assert!(
            !relabelled.stderr.contains("Warning"),
            "{}: {}",
            bin.display(),
            relabelled.stderr
        );
        // A pod using such an account is not warned about.
        let pod = POD.replace("spec:\n", "spec:\n  serviceAccountName: strict\n");
        let pod_created = kubectl(&bin, kc, &["create", "-f", "-"], Some(&pod));
        ok(&pod_created, &bin, "create pod");
        assert!(
            !pod_created.stderr.contains("Warning"),
            "{}: {}",
            bin.display(),
            pod_created.stderr
        );
        drop(server);

        // Legacy mode (v1.8) has no such warning.
        let legacy = ServeProcess::start(&[]);
        let kc = legacy.kubeconfig.as_path();
        ok(
            &kubectl(&bin, kc, &["create", "namespace", "demo"], None),
            &bin,
            "create ns",
        );
        let created = kubectl(&bin, kc, &["create", "-f", "-"], Some(annotated));
        ok(&created, &bin, "create annotated account (legacy)");
        assert!(
            !created.stderr.contains("Warning"),
            "{}: {}",
            bin.display(),
            created.stderr
        );
    }
}
