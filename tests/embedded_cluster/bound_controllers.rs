//! The bound-mode controllers seen through kubectl (oldest and newest), against
//! `kube-sa serve --mode=bound` and against `kube-sa controller-manager --mode=bound`:
//! every namespace gets `default` and `kube-root-ca.crt` and no token Secret; the
//! ConfigMap comes back after a delete and is reset after an edit; an annotated token
//! Secret a user creates is filled in.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::support::{kubectl, kubectl_binaries, poll_until, ServeProcess};

const DESCRIPTION: &str = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";
const DEADLINE: Duration = Duration::from_secs(20);

fn json(bin: &Path, kc: &Path, args: &[&str]) -> Option<Value> {
    let mut args = args.to_vec();
    args.extend(["-o", "json"]);
    let out = kubectl(bin, kc, &args, None);
    out.success
        .then(|| serde_json::from_str(&out.stdout).expect("kubectl prints JSON"))
}

fn run(bin: &Path, kc: &Path, args: &[&str], stdin: Option<&str>) {
    let out = kubectl(bin, kc, args, stdin);
    assert!(out.success, "kubectl {args:?}: {}", out.stderr);
}

/// The cluster CA from the kubeconfig, as PEM text.
fn cluster_ca(kc: &Path) -> String {
    let text = std::fs::read_to_string(kc).expect("kubeconfig");
    let config: kube::config::Kubeconfig = serde_yaml::from_str(&text).expect("kubeconfig");
    let data = config.clusters[0]
        .cluster
        .as_ref()
        .and_then(|c| c.certificate_authority_data.clone())
        .expect("CA data");
    use base64::Engine;
    let pem = base64::engine::general_purpose::STANDARD
        .decode(data)
        .expect("base64");
    String::from_utf8(pem).expect("PEM")
}

/// A ConfigMap's data with CRLF line ends read as LF: `kube-sa controller-manager`
/// re-encodes the kubeconfig's CA with CRLF (the same bytes, another spelling).
fn data_lf(config_map: &Value) -> Value {
    let mut data = config_map["data"].clone();
    if let Some(map) = data.as_object_mut() {
        for value in map.values_mut() {
            if let Some(text) = value.as_str() {
                *value = Value::String(text.replace("\r\n", "\n"));
            }
        }
    }
    data
}

/// Checks one namespace with one kubectl: the published ConfigMap, `default` without
/// secrets, no token Secret, re-creation, reset, and a filled-in user token Secret.
fn check_namespace(bin: &Path, kc: &Path, ns: &str) {
    let ca = cluster_ca(kc);
    run(bin, kc, &["create", "namespace", ns], None);
    let published = poll_until("kube-root-ca.crt", DEADLINE, || {
        json(bin, kc, &["get", "configmap", "kube-root-ca.crt", "-n", ns])
    });
    assert_eq!(
        published["metadata"]["annotations"]["kubernetes.io/description"],
        DESCRIPTION
    );
    assert_eq!(data_lf(&published), serde_json::json!({"ca.crt": ca}));
    let account = poll_until("default", DEADLINE, || {
        json(bin, kc, &["get", "serviceaccount", "default", "-n", ns])
    });
    assert!(account.get("secrets").is_none(), "{account}");
    let tokens = kubectl(
        bin,
        kc,
        &[
            "get",
            "secrets",
            "-n",
            ns,
            "--field-selector",
            "type=kubernetes.io/service-account-token",
            "-o",
            "name",
        ],
        None,
    );
    assert!(tokens.success, "{}", tokens.stderr);
    assert_eq!(tokens.stdout.trim(), "", "no token Secret is generated");

    // Deleted: created again, with a new uid.
    let old_uid = published["metadata"]["uid"].clone();
    run(
        bin,
        kc,
        &["delete", "configmap", "kube-root-ca.crt", "-n", ns],
        None,
    );
    poll_until("kube-root-ca.crt re-created", DEADLINE, || {
        json(bin, kc, &["get", "configmap", "kube-root-ca.crt", "-n", ns])
            .filter(|cm| cm["metadata"]["uid"] != old_uid && data_lf(cm)["ca.crt"] == ca.as_str())
    });

    // Edited: reset, the extra key removed.
    run(
        bin,
        kc,
        &[
            "patch",
            "configmap",
            "kube-root-ca.crt",
            "-n",
            ns,
            "-p",
            r#"{"data":{"ca.crt":"","extra":"x"}}"#,
        ],
        None,
    );
    poll_until("kube-root-ca.crt reset", DEADLINE, || {
        json(bin, kc, &["get", "configmap", "kube-root-ca.crt", "-n", ns])
            .filter(|cm| data_lf(cm) == serde_json::json!({"ca.crt": ca}))
    });

    // An annotated token Secret made by hand is filled in.
    let manual = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: manual\n  namespace: {ns}\n  annotations: {{kubernetes.io/service-account.name: default}}\ntype: kubernetes.io/service-account-token\n"
    );
    run(bin, kc, &["create", "-f", "-"], Some(&manual));
    let filled = poll_until("the manual token filled in", DEADLINE, || {
        json(bin, kc, &["get", "secret", "manual", "-n", ns])
            .filter(|s| s["data"]["token"].as_str().is_some_and(|t| !t.is_empty()))
    });
    assert_eq!(
        filled["metadata"]["annotations"]["kubernetes.io/service-account.uid"],
        account["metadata"]["uid"]
    );
    use base64::Engine;
    let decode = |key: &str| {
        let text = filled["data"][key].as_str().expect("data key");
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .expect("base64"),
        )
        .expect("utf8")
    };
    assert_eq!(decode("namespace"), ns);
    assert_eq!(decode("ca.crt").replace("\r\n", "\n"), ca);
    let account = json(bin, kc, &["get", "serviceaccount", "default", "-n", ns]).expect("default");
    assert!(
        account.get("secrets").is_none(),
        "secrets only shrinks: {account}"
    );
}

#[test]
fn serve_in_bound_mode_publishes_the_root_ca_and_generates_no_tokens() {
    let server = ServeProcess::start(&["--mode", "bound"]);
    for (i, bin) in kubectl_binaries().iter().enumerate() {
        check_namespace(bin, &server.kubeconfig, &format!("bound-{i}"));
    }
    // The namespaces that exist from the start have it too; in bound mode (1.33) they
    // include kube-node-lease.
    let bin = &kubectl_binaries()[0];
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        poll_until("kube-root-ca.crt in a system namespace", DEADLINE, || {
            json(
                bin,
                &server.kubeconfig,
                &["get", "configmap", "kube-root-ca.crt", "-n", ns],
            )
        });
    }
}

#[test]
fn controller_manager_in_bound_mode_runs_the_same_controllers() {
    use std::process::{Command, Stdio};

    let keys = tempfile::tempdir().expect("dir");
    let key_file = keys.path().join("sa.key");
    let key = kube_sa::serviceaccount::SigningKey::generate_ecdsa_p256().expect("key");
    std::fs::write(&key_file, key.to_pkcs8_pem().expect("pem")).expect("write key");
    let key_arg = key_file.to_string_lossy().into_owned();
    let server = ServeProcess::start(&[
        "--mode",
        "bound",
        "--controllers=false",
        "--service-account-key-file",
        &key_arg,
    ]);
    let mut manager = Command::new(env!("CARGO_BIN_EXE_kube-sa"))
        .args(["controller-manager", "--mode=bound", "--kubeconfig"])
        .arg(&server.kubeconfig)
        .args(["--service-account-private-key-file", &key_arg])
        .args(["--legacy-service-account-token-clean-up-period", "8760h"])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("controller-manager starts");
    let bin = kubectl_binaries().remove(0);
    let outcome = std::panic::catch_unwind(|| check_namespace(&bin, &server.kubeconfig, "managed"));
    let _ = manager.kill();
    let _ = manager.wait();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn controller_manager_refuses_a_zero_clean_up_period() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kube-sa"))
        .args([
            "controller-manager",
            "--mode=bound",
            "--kubeconfig",
            "/nonexistent",
            "--service-account-private-key-file",
            "/nonexistent",
            "--legacy-service-account-token-clean-up-period",
            "0s",
        ])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("invalid CleanUpPeriod: 0s"), "{stderr}");
}
