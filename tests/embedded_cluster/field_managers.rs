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
        // As on a real cluster: the name label (a default) is the creator's; the
        // `kubernetes` finalizer, which PrepareForCreate adds after the field manager, is not.
        let namespace = wait_for(&bin, kc, &["namespace", "team"], |_| true);
        assert_eq!(
            fields_of(&namespace, "kubectl-create"),
            &json!({"f:metadata": {"f:labels": {".": {}, "f:kubernetes.io/metadata.name": {}}}}),
            "{bin:?}"
        );
        assert_eq!(namespace["spec"]["finalizers"], json!(["kubernetes"]));
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

/// A controller's status writes through kube-rs, as controllers make them: a merge patch of
/// `status` and a server-side apply of it are each recorded in an entry that names the
/// status subresource, an apply to the status conflicts with the fields another manager
/// wrote there, and an apply to the status of a missing object is 404, not a create.
#[tokio::test]
async fn status_writes_are_recorded_with_their_subresource() {
    use k8s_openapi::api::apps::v1::Deployment;
    use kube::api::{Patch, PatchParams, PostParams};

    let (server, client) = crate::support::embedded().await;
    let deployments: kube::Api<Deployment> = kube::Api::namespaced(client, "default");
    let deployment: Deployment = serde_json::from_value(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx"}]}
            }
        }
    }))
    .expect("deployment");
    let create = PostParams {
        field_manager: Some("kubectl-create".into()),
        ..PostParams::default()
    };
    deployments
        .create(&create, &deployment)
        .await
        .expect("create");

    let controller = PatchParams {
        field_manager: Some("deployment-controller".into()),
        ..PatchParams::default()
    };
    let replicas = Patch::Merge(json!({"status": {"replicas": 1, "updatedReplicas": 1}}));
    deployments
        .patch_status("web", &controller, &replicas)
        .await
        .expect("status patch");
    let available = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "status": {"conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"}]}
    });
    let applied = deployments
        .patch_status(
            "web",
            &PatchParams::apply("availability"),
            &Patch::Apply(&available),
        )
        .await
        .expect("status apply");
    let status = applied.status.clone().expect("status");
    assert_eq!(status.replicas, Some(1));
    assert_eq!(status.conditions.map(|c| c.len()), Some(1));

    let entries = serde_json::to_value(applied.metadata.managed_fields.expect("managedFields"))
        .expect("entries");
    let entry = |manager: &str| {
        entries
            .as_array()
            .and_then(|list| list.iter().find(|e| e["manager"] == manager))
            .unwrap_or_else(|| panic!("no entry of {manager}: {entries:#}"))
            .clone()
    };
    assert_eq!(entry("kubectl-create")["subresource"], Value::Null);
    assert_eq!(
        entry("kubectl-create")["fieldsV1"].get("f:status"),
        None,
        "{entries:#}"
    );
    let updated = entry("deployment-controller");
    assert_eq!(
        (&updated["operation"], &updated["subresource"]),
        (&json!("Update"), &json!("status"))
    );
    assert_eq!(
        updated["fieldsV1"],
        json!({"f:status": {"f:replicas": {}, "f:updatedReplicas": {}}})
    );
    let apply = entry("availability");
    assert_eq!(
        (&apply["operation"], &apply["subresource"]),
        (&json!("Apply"), &json!("status"))
    );
    assert_eq!(
        apply["fieldsV1"]["f:status"]["f:conditions"]["k:{\"type\":\"Available\"}"]["f:status"],
        json!({})
    );

    // Another manager's apply of a value the controller wrote conflicts with it.
    let err = deployments
        .patch_status(
            "web",
            &PatchParams::apply("intruder"),
            &Patch::Apply(
                json!({"apiVersion": "apps/v1", "kind": "Deployment", "status": {"replicas": 3}}),
            ),
        )
        .await
        .expect_err("conflict");
    match err {
        kube::Error::Api(status) => {
            assert_eq!((status.code, status.reason.as_str()), (409, "Conflict"));
            assert!(
                status.message.contains(
                    "conflict with \"deployment-controller\" with subresource \"status\" using apps/v1: .status.replicas"
                ),
                "{}",
                status.message
            );
        }
        other => panic!("expected a conflict, got {other:?}"),
    }

    let err = deployments
        .patch_status(
            "missing",
            &PatchParams::apply("availability"),
            &Patch::Apply(&available),
        )
        .await
        .expect_err("missing");
    assert!(
        matches!(err, kube::Error::Api(ref s) if s.code == 404 && s.reason == "NotFound"),
        "{err:?}"
    );
    assert!(deployments.get_opt("missing").await.expect("get").is_none());
    server.shutdown().await;
}
