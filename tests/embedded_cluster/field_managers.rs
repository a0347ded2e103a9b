//! Who `metadata.managedFields` says wrote what the controllers write, as kubectl 1.27 and
//! 1.33 show it with `--show-managed-fields`: `kube-controller-manager`, from the agent of
//! upstream's controller clients, owning every field it set.

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};

use crate::support::{kubectl, kubectl_binaries, poll_until, ServeProcess};

/// The object, with its managed fields, once `ready` holds for it.
fn wait_for(bin: &Path, kc: &Path, args: &[&str], ready: impl Fn(&Value) -> bool) -> Value {
    let mut full = vec!["get", "-o", "json", "--show-managed-fields"];
    full.extend_from_slice(args);
    poll_until(&format!("{args:?}"), Duration::from_secs(20), || {
        let out = kubectl(bin, kc, &full, None);
        let object: Value = serde_json::from_str(&out.stdout).ok()?;
        ready(&object).then_some(object)
    })
}

/// The `fieldsV1` of the `Update` entry of `manager`.
fn fields_of<'a>(object: &'a Value, manager: &str) -> &'a Value {
    object["metadata"]["managedFields"]
        .as_array()
        .and_then(|entries| {
            entries
                .iter()
                .find(|e| e["manager"] == manager && e["operation"] == "Update")
        })
        .map(|e| &e["fieldsV1"])
        .unwrap_or_else(|| panic!("no entry of {manager:?}: {object:#}"))
}

fn ok(bin: &Path, kc: &Path, args: &[&str], stdin: Option<&str>) {
    let out = kubectl(bin, kc, args, stdin);
    assert!(out.success, "{args:?}: {}", out.stderr);
}

#[test]
fn legacy_controller_writes_are_kube_controller_managers() {
    for bin in kubectl_binaries() {
        let server = ServeProcess::start(&[]);
        let kc = server.kubeconfig.as_path();
        ok(&bin, kc, &["create", "namespace", "team"], None);
        // An account that owns a field from its create is tracked, so the token
        // controller's `.secrets` reference is recorded too.
        ok(
            &bin,
            kc,
            &["create", "-f", "-"],
            Some("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: robot\n  namespace: team\n  labels:\n    app: robot\n"),
        );
        // A token Secret the user creates is filled in by an update.
        ok(
            &bin,
            kc,
            &["create", "-f", "-"],
            Some("apiVersion: v1\nkind: Secret\nmetadata:\n  name: mine\n  namespace: team\n  annotations:\n    kubernetes.io/service-account.name: robot\ntype: kubernetes.io/service-account-token\n"),
        );

        let robot = wait_for(&bin, kc, &["serviceaccount", "robot", "-n", "team"], |sa| {
            sa["secrets"].as_array().is_some_and(|s| !s.is_empty())
        });
        let generated = robot["secrets"]
            .as_array()
            .and_then(|s| s.iter().find(|r| r["name"] != "mine"))
            .and_then(|r| r["name"].as_str())
            .expect("a generated token secret")
            .to_string();
        let secrets = fields_of(&robot, "kube-controller-manager")["f:secrets"]
            .as_object()
            .expect("the controller owns .secrets");
        assert!(
            secrets.contains_key(&format!("k:{{\"name\":\"{generated}\"}}")),
            "{robot:#}"
        );
        assert_eq!(
            fields_of(&robot, "kubectl-create"),
            &json!({"f:metadata": {"f:labels": {".": {}, "f:app": {}}}})
        );

        let token = wait_for(&bin, kc, &["secret", &generated, "-n", "team"], |_| true);
        let entries = token["metadata"]["managedFields"]
            .as_array()
            .expect("entries");
        assert_eq!(entries.len(), 1, "{token:#}");
        assert_eq!(
            fields_of(&token, "kube-controller-manager"),
            &json!({
                "f:data": {".": {}, "f:ca.crt": {}, "f:namespace": {}, "f:token": {}},
                "f:metadata": {"f:annotations": {".": {},
                    "f:kubernetes.io/service-account.name": {},
                    "f:kubernetes.io/service-account.uid": {}}},
                "f:type": {}
            })
        );

        let mine = wait_for(&bin, kc, &["secret", "mine", "-n", "team"], |s| {
            s["data"]["token"].is_string()
        });
        assert_eq!(
            fields_of(&mine, "kube-controller-manager"),
            &json!({
                "f:data": {".": {}, "f:ca.crt": {}, "f:namespace": {}, "f:token": {}},
                "f:metadata": {"f:annotations": {"f:kubernetes.io/service-account.uid": {}}}
            }),
            "{}",
            bin.display()
        );
        assert!(
            !mine.to_string().contains("\"manager\":\"\""),
            "no entry without a manager: {mine:#}"
        );
    }
}

#[test]
fn the_root_ca_publisher_writes_as_kube_controller_manager() {
    for bin in kubectl_binaries() {
        let server = ServeProcess::start(&["--mode", "bound"]);
        let kc = server.kubeconfig.as_path();
        ok(&bin, kc, &["create", "namespace", "team"], None);
        let published = wait_for(
            &bin,
            kc,
            &["configmap", "kube-root-ca.crt", "-n", "team"],
            |_| true,
        );
        let entries = published["metadata"]["managedFields"]
            .as_array()
            .expect("entries");
        assert_eq!(entries.len(), 1, "{published:#}");
        assert_eq!(
            fields_of(&published, "kube-controller-manager"),
            &json!({
                "f:data": {".": {}, "f:ca.crt": {}},
                "f:metadata": {"f:annotations": {".": {}, "f:kubernetes.io/description": {}}}
            }),
            "{}",
            bin.display()
        );
    }
}

/// Moving from client-side to server-side apply, as the Kubernetes docs describe it: kubectl's
/// first `apply --server-side` takes over the fields its last client-side apply set, without
/// conflicts, and rewrites the last-applied annotation, so that a later client-side apply
/// prunes from what was applied server-side.
#[test]
fn kubectl_moves_from_client_side_to_server_side_apply() {
    let manifest = |data: &str| {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m\n  namespace: default\ndata:\n{data}")
    };
    for bin in kubectl_binaries() {
        let server = ServeProcess::start(&[]);
        let kc = server.kubeconfig.as_path();
        ok(
            &bin,
            kc,
            &["apply", "-f", "-"],
            Some(&manifest("  a: \"1\"\n")),
        );
        ok(
            &bin,
            kc,
            &["apply", "--server-side", "-f", "-"],
            Some(&manifest("  a: \"2\"\n  b: \"2\"\n")),
        );
        let object = wait_for(&bin, kc, &["configmap", "m"], |_| true);
        assert_eq!(object["data"], json!({"a": "2", "b": "2"}), "{bin:?}");
        let last_applied: Value = serde_json::from_str(
            object["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
                .as_str()
                .expect("annotation"),
        )
        .expect("json");
        assert_eq!(last_applied["data"], json!({"a": "2", "b": "2"}), "{bin:?}");

        ok(
            &bin,
            kc,
            &["apply", "-f", "-"],
            Some(&manifest("  a: \"1\"\n")),
        );
        let object = wait_for(&bin, kc, &["configmap", "m"], |_| true);
        assert_eq!(object["data"], json!({"a": "1"}), "{bin:?}");
    }
}
