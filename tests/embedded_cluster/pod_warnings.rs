//! The warnings kubectl prints when it creates a pod (upstream's `GetWarningsForPod`),
//! including those about image pull secrets that ServiceAccount admission copies from the
//! account, with the newest and the oldest kubectl.

use std::path::Path;
use std::time::Duration;

use crate::support::{kubectl, kubectl_binaries, poll_until, Output, ServeProcess};

/// Creates `manifest`, retrying while the account has no token yet (a 500 ServerTimeout
/// from admission in legacy mode); the successful run.
fn create(bin: &Path, kc: &Path, manifest: &str) -> Output {
    poll_until("the pod is created", Duration::from_secs(20), || {
        let out = kubectl(bin, kc, &["create", "-f", "-"], Some(manifest));
        if out.success {
            return Some(out);
        }
        assert!(
            out.stderr.contains("ServerTimeout") || out.stderr.contains("retry after the"),
            "{}: {}",
            bin.display(),
            out.stderr
        );
        None
    })
}

/// The `Warning: ` lines kubectl printed, in order.
fn warnings(out: &Output) -> Vec<&str> {
    out.stderr
        .lines()
        .filter_map(|l| l.strip_prefix("Warning: "))
        .collect()
}

#[test]
fn kubectl_prints_upstreams_pod_warnings() {
    for bin in kubectl_binaries() {
        let server = ServeProcess::start(&[]);
        let kc = server.kubeconfig.as_path();
        let name = bin.display().to_string();
        let ns = kubectl(&bin, kc, &["create", "namespace", "team"], None);
        assert!(ns.success, "{name}: {}", ns.stderr);

        let direct = create(
            &bin,
            kc,
            r#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "direct", "namespace": "team"},
                "spec": {"imagePullSecrets": [{"name": "a"}, {"name": "a"}, {"name": ""}],
                         "nodeSelector": {"beta.kubernetes.io/os": "linux"},
                         "containers": [{"name": "c", "image": "busybox",
                                         "resources": {"requests": {"memory": "1.5"}}}]}}"#,
        );
        assert_eq!(
            warnings(&direct),
            [
                "spec.nodeSelector[beta.kubernetes.io/os]: deprecated since v1.14; use \"kubernetes.io/os\" instead",
                "spec.imagePullSecrets[1].name: duplicate name \"a\"",
                "spec.imagePullSecrets[2].name: invalid empty name \"\"",
                "spec.containers[0].resources.requests[memory]: fractional byte value \"1500m\" is invalid, must be an integer",
            ],
            "{name}: {}",
            direct.stderr
        );

        // An account's pull secrets are copied into its pods, and warned about there.
        let account = kubectl(
            &bin,
            kc,
            &["create", "-f", "-"],
            Some(
                r#"{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "puller", "namespace": "team"},
                     "imagePullSecrets": [{"name": "registry"}, {"name": "registry"}]}"#,
            ),
        );
        assert!(account.success, "{name}: {}", account.stderr);
        let copied = create(
            &bin,
            kc,
            r#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "copied", "namespace": "team"},
                "spec": {"serviceAccountName": "puller", "containers": [{"name": "c", "image": "busybox"}]}}"#,
        );
        assert_eq!(
            warnings(&copied),
            ["spec.imagePullSecrets[1].name: duplicate name \"registry\""],
            "{name}: {}",
            copied.stderr
        );

        // Upstream warns on creates only; a clean pod gets nothing.
        let label = kubectl(
            &bin,
            kc,
            &["label", "pod", "direct", "-n", "team", "x=y"],
            None,
        );
        assert!(label.success, "{name}: {}", label.stderr);
        assert!(warnings(&label).is_empty(), "{name}: {}", label.stderr);
        let clean = create(
            &bin,
            kc,
            r#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "clean", "namespace": "team"},
                "spec": {"containers": [{"name": "c", "image": "busybox"}]}}"#,
        );
        assert!(warnings(&clean).is_empty(), "{name}: {}", clean.stderr);
    }
}
