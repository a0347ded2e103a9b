//! `deploy/` as a real cluster gets it: applied with kubectl to a `kube-sa serve
//! --mode=bound` whose own service-account parts are switched off, completed by
//! `deploy/make-secrets.sh`, and then `kube-sa controller-manager` and `kube-sa webhook`
//! run as separate processes with tokens of the manifests' service accounts, so they
//! have the manifests' RBAC and nothing more. The webhook is reached the way
//! kube-apiserver reaches it: through the manifests' MutatingWebhookConfiguration and
//! Service, whose EndpointSlice names the local process.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use std::net::SocketAddr;

use crate::metrics::{free_port, http_get};
use crate::support::{kubectl, poll_until, token_kubeconfig, Output, ServeProcess};

#[path = "../shared/deploy.rs"]
mod deploy;

use deploy::{repo_path as repo, NAMESPACE};

fn ok(out: Output, what: &str) -> String {
    assert!(out.success, "{what}: {}{}", out.stdout, out.stderr);
    out.stdout
}

/// A kube-sa component as a child process, killed on drop.
struct Component(Child);

impl Component {
    /// Starts `kube-sa ARGS`, and with `serving` waits for its `serving https://...` line
    /// and answers the address it names.
    fn start(args: &[&str], serving: bool) -> (Self, Option<String>) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kube-sa"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("kube-sa starts");
        let address = serving.then(|| {
            let mut line = String::new();
            BufReader::new(child.stdout.take().expect("stdout"))
                .read_line(&mut line)
                .expect("reads the serving line");
            line.trim()
                .strip_prefix("serving https://")
                .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
                .to_string()
        });
        (Self(child), address)
    }
}

impl Drop for Component {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The container arguments of Deployment `name`, with the flags in `local` replaced.
fn deployment_args(rendered: &str, name: &str, local: &[(&str, String)]) -> Vec<String> {
    deploy::deployment_args(rendered, name, local).unwrap_or_else(|e| panic!("{e}"))
}

/// `args` with `--kubeconfig PATH` added (in a pod, the in-cluster configuration).
fn with_kubeconfig<'a>(args: &'a [String], kubeconfig: &'a Path) -> Vec<&'a str> {
    let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
    all.push("--kubeconfig");
    all.push(kubeconfig.to_str().expect("utf-8 path"));
    all
}

/// A kubeconfig for the cluster whose only credential is a TokenRequest token of the
/// manifests' service account `account`.
fn account_kubeconfig(admin: &Path, account: &str) -> PathBuf {
    let token = ok(
        kubectl(
            Path::new("kubectl"),
            admin,
            &["create", "token", account, "-n", NAMESPACE, "--duration=1h"],
            None,
        ),
        "kubectl create token",
    );
    let path = token_kubeconfig(admin, token.trim());
    let named = path.with_file_name(format!("{account}.kubeconfig"));
    std::fs::rename(&path, &named).expect("rename kubeconfig");
    named
}

fn openssl(args: &[&str]) {
    let status = Command::new("openssl")
        .args(args)
        .stderr(Stdio::null())
        .status()
        .expect("openssl runs (deploy/make-secrets.sh needs it too)");
    assert!(status.success(), "openssl {args:?}");
}

#[test]
fn deploy_manifests_run_the_components_with_their_own_rbac() {
    let kubectl_bin = Path::new("kubectl");
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("sa.key");
    let key_arg = key.to_str().expect("utf-8 path");
    openssl(&["genrsa", "-out", key_arg, "2048"]);
    let serve = ServeProcess::start(&[
        "--mode=bound",
        "--controllers=false",
        "--disable-admission-plugins=ServiceAccount",
        "--service-account-private-key-file",
        key_arg,
    ]);
    let admin = serve.kubeconfig.as_path();
    let run = |args: &[&str], stdin: Option<&str>| kubectl(kubectl_bin, admin, args, stdin);
    let deploy = repo("deploy");
    let deploy_arg = deploy.to_str().expect("utf-8 path");

    ok(
        run(&["apply", "-k", deploy_arg], None),
        "kubectl apply -k deploy/",
    );
    let dry_run = ok(
        run(&["apply", "-k", deploy_arg, "--dry-run=server"], None),
        "kubectl apply -k deploy/ --dry-run=server",
    );
    assert!(dry_run.contains("unchanged (server dry run)"), "{dry_run}");
    let legacy = repo("deploy/legacy");
    ok(
        run(
            &[
                "apply",
                "-k",
                legacy.to_str().expect("utf-8 path"),
                "--dry-run=server",
            ],
            None,
        ),
        "kubectl apply -k deploy/legacy --dry-run=server",
    );

    deploy::make_secrets(admin, &key).unwrap_or_else(|e| panic!("{e}"));

    // The controller-manager, with its account's token: a new namespace gets `default`
    // and `kube-root-ca.crt`, and a token Secret made by hand is filled in.
    let manager_kubeconfig = account_kubeconfig(admin, "kube-sa-controller-manager");
    let rendered = ok(
        run(&["kustomize", deploy_arg], None),
        "kubectl kustomize deploy/",
    );
    let manager_health: SocketAddr = ([127, 0, 0, 1], free_port()).into();
    let manager_args = deployment_args(
        &rendered,
        "kube-sa-controller-manager",
        &[
            ("--service-account-private-key-file", key_arg.to_string()),
            ("--health-probe-bind-address", manager_health.to_string()),
            ("--metrics-bind-address", manager_health.to_string()),
        ],
    );
    let (_manager, _) =
        Component::start(&with_kubeconfig(&manager_args, &manager_kubeconfig), false);
    ok(
        run(&["create", "namespace", "demo"], None),
        "create namespace",
    );
    poll_until(
        "default and kube-root-ca.crt in namespace demo",
        Duration::from_secs(20),
        || {
            let sa = run(&["get", "serviceaccount", "default", "-n", "demo"], None);
            let cm = run(
                &["get", "configmap", "kube-root-ca.crt", "-n", "demo"],
                None,
            );
            (sa.success && cm.success).then_some(())
        },
    );
    ok(
        run(
            &["create", "-n", "demo", "-f", "-"],
            Some(
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: by-hand\n  annotations: \
                 {kubernetes.io/service-account.name: default}\n\
                 type: kubernetes.io/service-account-token\n",
            ),
        ),
        "create a token Secret by hand",
    );
    poll_until(
        "the hand-made token Secret filled in",
        Duration::from_secs(20),
        || {
            let out = run(
                &[
                    "get",
                    "secret",
                    "by-hand",
                    "-n",
                    "demo",
                    "-o",
                    "jsonpath={.data.token}",
                ],
                None,
            );
            (out.success && !out.stdout.is_empty()).then_some(())
        },
    );

    // The webhook, with its account's token and the certificate the script made, behind
    // the manifests' Service.
    let secret_field = |field: &str| -> Vec<u8> {
        let encoded = ok(
            run(
                &[
                    "get",
                    "secret",
                    "kube-sa-webhook-tls",
                    "-n",
                    NAMESPACE,
                    "-o",
                    &format!("jsonpath={{.data.{}}}", field.replace('.', "\\.")),
                ],
                None,
            ),
            "read the webhook certificate",
        );
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .expect("base64")
    };
    let (cert, cert_key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
    std::fs::write(&cert, secret_field("tls.crt")).expect("write tls.crt");
    std::fs::write(&cert_key, secret_field("tls.key")).expect("write tls.key");
    let webhook_kubeconfig = account_kubeconfig(admin, "kube-sa-webhook");
    let webhook_health: SocketAddr = ([127, 0, 0, 1], free_port()).into();
    let webhook_args = deployment_args(
        &rendered,
        "kube-sa-webhook",
        &[
            ("--listen", "127.0.0.1:0".to_string()),
            ("--tls-cert-file", cert.to_string_lossy().into_owned()),
            (
                "--tls-private-key-file",
                cert_key.to_string_lossy().into_owned(),
            ),
            ("--health-probe-bind-address", webhook_health.to_string()),
            ("--metrics-bind-address", webhook_health.to_string()),
        ],
    );
    let (_webhook, address) =
        Component::start(&with_kubeconfig(&webhook_args, &webhook_kubeconfig), true);
    let address = address.expect("the webhook's address");
    let port = address.rsplit(':').next().expect("a port");
    let slice = format!(
        "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: kube-sa-webhook-local\n  \
         namespace: {NAMESPACE}\n  labels: {{kubernetes.io/service-name: kube-sa-webhook}}\n\
         addressType: IPv4\nendpoints:\n- addresses: [127.0.0.1]\n  conditions: {{ready: true}}\n\
         ports:\n- {{name: https, port: {port}, protocol: TCP}}\n"
    );
    ok(
        run(&["create", "-f", "-"], Some(&slice)),
        "create EndpointSlice",
    );
    ok(
        run(
            &[
                "run",
                "app",
                "-n",
                "demo",
                "--image=busybox",
                "--restart=Never",
            ],
            None,
        ),
        "kubectl run through the webhook",
    );
    let volumes = ok(
        run(
            &[
                "get",
                "pod",
                "app",
                "-n",
                "demo",
                "-o",
                "jsonpath={.spec.volumes[*].name}",
            ],
            None,
        ),
        "read the pod",
    );
    assert!(volumes.starts_with("kube-api-access-"), "{volumes}");

    // The Deployments' probes answer, and the controller-manager leads through the Role
    // on Leases the manifests give it.
    for (what, health) in [
        ("controller-manager", manager_health),
        ("webhook", webhook_health),
    ] {
        poll_until(
            &format!("the {what}'s /readyz"),
            Duration::from_secs(20),
            || (http_get(health, "/readyz")?.0 == 200).then_some(()),
        );
    }
    let holder = ok(
        run(
            &[
                "get",
                "lease",
                "kube-sa-controller-manager",
                "-n",
                "kube-system",
                "-o",
                "jsonpath={.spec.holderIdentity}",
            ],
            None,
        ),
        "read the leader-election Lease",
    );
    assert!(!holder.trim().is_empty(), "the Lease has no holder");

    // Least privilege: what neither component uses, neither may do.
    for (account, verb, resource) in [
        ("kube-sa-controller-manager", "delete", "serviceaccounts"),
        ("kube-sa-controller-manager", "list", "nodes"),
        ("kube-sa-webhook", "list", "secrets"),
        ("kube-sa-webhook", "create", "pods"),
    ] {
        let out = run(
            &[
                "auth",
                "can-i",
                verb,
                resource,
                "--all-namespaces",
                &format!("--as=system:serviceaccount:{NAMESPACE}:{account}"),
            ],
            None,
        );
        assert_eq!(out.stdout.trim(), "no", "{account} may {verb} {resource}");
    }
}
