//! Admission webhooks: `kube-sa serve --disable-admission-plugins=ServiceAccount` with
//! `kube-sa webhook` in the plugin's place, failure policies, a denying validating webhook
//! and warnings as kubectl shows them; service references, reinvocation, and a serving
//! certificate that is its own `caBundle`, in-process.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kube::api::{Api, DynamicObject, PostParams};
use kube::core::ApiResource;
use kube_sa::apiserver::webhooks::service::ServiceDirectory;
use kube_sa::apiserver::ApiServer;

use crate::support::{kubectl, kubectl_binaries, ok, poll_until, send_signal, ServeProcess};
use crate::test_webhook::{allow, TestWebhook};

const HOOK: &str = "serviceaccounts.kube-sa.example.com";

/// Waits until the `default` account of namespace `default` has its token secret, which
/// ServiceAccount admission needs in legacy mode; answers the secret's name.
fn wait_for_token(bin: &Path, kubeconfig: &Path) -> String {
    poll_until(
        "the token of the default account",
        Duration::from_secs(20),
        || {
            let out = kubectl(
                bin,
                kubeconfig,
                &[
                    "get",
                    "serviceaccount",
                    "default",
                    "-o",
                    "jsonpath={.secrets[0].name}",
                ],
                None,
            );
            let name = out.stdout.trim();
            (out.success && !name.is_empty()).then(|| name.to_string())
        },
    )
}

/// `kube-sa webhook` as a child process, killed on drop.
struct WebhookProcess {
    child: Child,
    address: String,
}

impl WebhookProcess {
    fn start(kubeconfig: &Path, cert: &Path, key: &Path) -> Self {
        Self::start_with(kubeconfig, cert, key, &[])
    }

    /// As [`WebhookProcess::start`], with more flags (`--mode=bound`).
    fn start_with(kubeconfig: &Path, cert: &Path, key: &Path, extra: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kube-sa"))
            .arg("webhook")
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .arg("--tls-cert-file")
            .arg(cert)
            .arg("--tls-private-key-file")
            .arg(key)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("kube-sa webhook starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("reads the serving line");
        let address = line
            .trim()
            .strip_prefix("serving https://")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        Self { child, address }
    }

    /// Stops the webhook (SIGTERM) and waits for it to be gone.
    fn stop(mut self) {
        send_signal(self.child.id(), "TERM");
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait().expect("wait").is_none() {
            assert!(Instant::now() < deadline, "kube-sa webhook did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for WebhookProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn mutating_configuration(url: &str, ca_pem: &str, failure_policy: &str) -> String {
    use base64::Engine;
    let ca_bundle = base64::engine::general_purpose::STANDARD.encode(ca_pem);
    format!(
        r#"apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: kube-sa
webhooks:
- name: {HOOK}
  clientConfig:
    url: {url}
    caBundle: {ca_bundle}
  rules:
  - operations: ["CREATE"]
    apiGroups: [""]
    apiVersions: ["v1"]
    resources: ["pods"]
  sideEffects: None
  admissionReviewVersions: ["v1"]
  failurePolicy: {failure_policy}
"#
    )
}

fn pod(name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  containers:\n  - name: app\n    image: nginx:1.25\n"
    )
}

/// The pod's spec with the account's token secret name made neutral.
fn spec_of(bin: &Path, kubeconfig: &Path, name: &str, token: &str) -> Value {
    let text = ok(
        &kubectl(bin, kubeconfig, &["get", "pod", name, "-o", "json"], None),
        "get pod",
    );
    let pod: Value = serde_json::from_str(&text.replace(token, "TOKEN")).expect("pod json");
    pod["spec"].clone()
}

#[test]
fn kube_sa_webhook_takes_the_place_of_the_built_in_plugin() {
    let bin = &kubectl_binaries()[0];
    let server = ServeProcess::start(&["--disable-admission-plugins=ServiceAccount"]);
    let built_in = ServeProcess::start(&[]);
    let token = wait_for_token(bin, &server.kubeconfig);
    let built_in_token = wait_for_token(bin, &built_in.kubeconfig);

    // Without the plugin, and before the webhook is registered, pods are left alone.
    ok(
        &kubectl(
            bin,
            &server.kubeconfig,
            &["create", "-f", "-"],
            Some(&pod("bare")),
        ),
        "create bare",
    );
    assert!(spec_of(bin, &server.kubeconfig, "bare", &token)
        .get("volumes")
        .is_none());

    let files = tempfile::tempdir().expect("dir");
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).expect("certificate");
    let cert: PathBuf = files.path().join("tls.crt");
    let key: PathBuf = files.path().join("tls.key");
    std::fs::write(&cert, certified.cert.pem()).expect("write cert");
    std::fs::write(&key, certified.signing_key.serialize_pem()).expect("write key");
    let webhook = WebhookProcess::start(&server.kubeconfig, &cert, &key);
    let url = format!("https://{}/mutate", webhook.address);
    let configuration = mutating_configuration(&url, &certified.cert.pem(), "Fail");
    ok(
        &kubectl(
            bin,
            &server.kubeconfig,
            &["apply", "-f", "-"],
            Some(&configuration),
        ),
        "register the webhook",
    );
    let listed = ok(
        &kubectl(
            bin,
            &server.kubeconfig,
            &["get", "mutatingwebhookconfigurations"],
            None,
        ),
        "list configurations",
    );
    let columns: Vec<Vec<&str>> = listed
        .lines()
        .map(|line| line.split_whitespace().collect())
        .collect();
    assert_eq!(columns[0], ["NAME", "WEBHOOKS", "AGE"], "{listed}");
    assert_eq!(columns[1][..2], ["kube-sa", "1"], "{listed}");

    // Mutated through the webhook exactly as the built-in plugin mutates it.
    ok(
        &kubectl(
            bin,
            &server.kubeconfig,
            &["create", "-f", "-"],
            Some(&pod("web")),
        ),
        "create web through the webhook",
    );
    ok(
        &kubectl(
            bin,
            &built_in.kubeconfig,
            &["create", "-f", "-"],
            Some(&pod("web")),
        ),
        "create web with the built-in plugin",
    );
    let through_webhook = spec_of(bin, &server.kubeconfig, "web", &token);
    assert_eq!(
        through_webhook,
        spec_of(bin, &built_in.kubeconfig, "web", &built_in_token)
    );
    assert_eq!(through_webhook["serviceAccountName"], "default");
    assert_eq!(
        through_webhook["containers"][0]["volumeMounts"][0]["mountPath"],
        "/var/run/secrets/kubernetes.io/serviceaccount"
    );

    // With the webhook gone, failurePolicy Fail refuses pods with upstream's text...
    let address = webhook.address.clone();
    webhook.stop();
    let refused = kubectl(
        bin,
        &server.kubeconfig,
        &["create", "-f", "-"],
        Some(&pod("refused")),
    );
    assert!(!refused.success, "{}", refused.stdout);
    let expected = format!(
        "Error from server (InternalError): error when creating \"STDIN\": Internal error occurred: failed calling webhook \"{HOOK}\": failed to call webhook: Post \"https://{address}/mutate?timeout=10s\": dial tcp {address}: connect: connection refused"
    );
    assert!(refused.stderr.contains(&expected), "{}", refused.stderr);

    // ...and Ignore admits them unmutated.
    ok(
        &kubectl(
            bin,
            &server.kubeconfig,
            &[
                "patch",
                "mutatingwebhookconfiguration",
                "kube-sa",
                "--type=json",
                "-p",
                r#"[{"op": "replace", "path": "/webhooks/0/failurePolicy", "value": "Ignore"}]"#,
            ],
            None,
        ),
        "switch to Ignore",
    );
    ok(
        &kubectl(
            bin,
            &server.kubeconfig,
            &["create", "-f", "-"],
            Some(&pod("admitted")),
        ),
        "create admitted",
    );
    let admitted = spec_of(bin, &server.kubeconfig, "admitted", &token);
    assert!(admitted.get("volumes").is_none(), "{admitted}");
    assert!(admitted.get("serviceAccountName").is_none(), "{admitted}");
}

/// The pod's spec with the generated `kube-api-access-<5 chars>` suffix made neutral.
fn bound_spec_of(bin: &Path, kubeconfig: &Path, name: &str) -> Value {
    let text = ok(
        &kubectl(bin, kubeconfig, &["get", "pod", name, "-o", "json"], None),
        "get pod",
    );
    let mut neutral = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find("kube-api-access-") {
        let (head, tail) = rest.split_at(at + "kube-api-access-".len());
        neutral.push_str(head);
        neutral.push_str("xxxxx");
        rest = tail.get(5..).unwrap_or_default();
    }
    neutral.push_str(rest);
    let pod: Value = serde_json::from_str(&neutral).expect("pod json");
    pod["spec"].clone()
}

#[test]
fn kube_sa_webhook_in_bound_mode_answers_as_the_bound_plugin() {
    let bin = &kubectl_binaries()[0];
    let server =
        ServeProcess::start(&["--mode=bound", "--disable-admission-plugins=ServiceAccount"]);
    let built_in = ServeProcess::start(&["--mode=bound"]);
    for kubeconfig in [&server.kubeconfig, &built_in.kubeconfig] {
        poll_until("the default account", Duration::from_secs(20), || {
            kubectl(bin, kubeconfig, &["get", "serviceaccount", "default"], None)
                .success
                .then_some(())
        });
    }

    let files = tempfile::tempdir().expect("dir");
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).expect("certificate");
    let cert: PathBuf = files.path().join("tls.crt");
    let key: PathBuf = files.path().join("tls.key");
    std::fs::write(&cert, certified.cert.pem()).expect("write cert");
    std::fs::write(&key, certified.signing_key.serialize_pem()).expect("write key");
    let webhook = WebhookProcess::start_with(&server.kubeconfig, &cert, &key, &["--mode=bound"]);
    let url = format!("https://{}/mutate", webhook.address);
    let configuration = mutating_configuration(&url, &certified.cert.pem(), "Fail");
    ok(
        &kubectl(
            bin,
            &server.kubeconfig,
            &["apply", "-f", "-"],
            Some(&configuration),
        ),
        "register the webhook",
    );
    for kubeconfig in [&server.kubeconfig, &built_in.kubeconfig] {
        ok(
            &kubectl(bin, kubeconfig, &["create", "-f", "-"], Some(&pod("web"))),
            "create web",
        );
    }
    let through_webhook = bound_spec_of(bin, &server.kubeconfig, "web");
    assert_eq!(
        through_webhook,
        bound_spec_of(bin, &built_in.kubeconfig, "web")
    );
    assert_eq!(
        through_webhook["volumes"][0]["name"],
        "kube-api-access-xxxxx"
    );
    assert_eq!(
        through_webhook["volumes"][0]["projected"]["sources"][0]["serviceAccountToken"]
            ["expirationSeconds"],
        3607
    );

    // A missing account, refused in 1.33's words behind the webhook's prefix.
    let ghost = pod("ghost").replace("spec:\n", "spec:\n  serviceAccountName: ghost\n");
    let refused = kubectl(
        bin,
        &server.kubeconfig,
        &["create", "-f", "-"],
        Some(&ghost),
    );
    assert!(!refused.success, "{}", refused.stdout);
    assert!(
        refused.stderr.contains(&format!(
            "admission webhook \"{HOOK}\" denied the request: pods \"ghost\" is forbidden: error looking up service account default/ghost: serviceaccount \"ghost\" not found"
        )),
        "{}",
        refused.stderr
    );
}

fn validating_configuration(hook: &TestWebhook) -> String {
    format!(
        r#"apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: checks
webhooks:
- name: deny.kube-sa.example.com
  clientConfig:
    url: {deny}
    caBundle: {ca}
  rules:
  - operations: ["CREATE"]
    apiGroups: [""]
    apiVersions: ["v1"]
    resources: ["configmaps"]
  objectSelector:
    matchLabels:
      deny: "yes"
  sideEffects: None
  admissionReviewVersions: ["v1"]
- name: warn.kube-sa.example.com
  clientConfig:
    url: {warn}
    caBundle: {ca}
  rules:
  - operations: ["CREATE"]
    apiGroups: [""]
    apiVersions: ["v1"]
    resources: ["configmaps"]
  sideEffects: NoneOnDryRun
  admissionReviewVersions: ["v1beta1", "v1"]
"#,
        deny = hook.url("/deny"),
        warn = hook.url("/warn"),
        ca = hook.ca_bundle(),
    )
}

#[test]
fn a_validating_webhook_denies_and_warnings_reach_kubectl() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let hook = runtime.block_on(TestWebhook::start(
        &[],
        Arc::new(|path: &str, request: &Value| match path {
            "/deny" => json!({"allowed": false, "status": {"code": 403, "reason": "Forbidden",
                "message": "configmaps labelled deny are refused"}}),
            _ => json!({"allowed": true, "warnings": [format!(
                "configmap {} is watched (dry run: {})",
                request["name"].as_str().unwrap_or_default(),
                request["dryRun"]
            )]}),
        }),
    ));
    let server = ServeProcess::start(&[]);
    for (i, bin) in kubectl_binaries().iter().enumerate() {
        let kc = &server.kubeconfig;
        if i == 0 {
            ok(
                &kubectl(
                    bin,
                    kc,
                    &["apply", "-f", "-"],
                    Some(&validating_configuration(&hook)),
                ),
                "register the webhooks",
            );
        }
        let plain = format!("plain-{i}");
        let created = kubectl(
            bin,
            kc,
            &["create", "configmap", &plain, "--from-literal=a=b"],
            None,
        );
        ok(&created, "create plain");
        assert!(
            created.stderr.contains(&format!(
                "Warning: configmap {plain} is watched (dry run: false)"
            )),
            "{}",
            created.stderr
        );

        let denied_name = format!("denied-{i}");
        let denied = kubectl(
            bin,
            kc,
            &["create", "-f", "-"],
            Some(&format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {denied_name}\n  labels:\n    deny: \"yes\"\n"
            )),
        );
        assert!(!denied.success);
        assert!(
            denied.stderr.contains(
                "Error from server (Forbidden): error when creating \"STDIN\": admission webhook \"deny.kube-sa.example.com\" denied the request: configmaps labelled deny are refused"
            ),
            "{}",
            denied.stderr
        );
        // Warnings come with the error too.
        assert!(
            denied
                .stderr
                .contains(&format!("Warning: configmap {denied_name} is watched")),
            "{}",
            denied.stderr
        );

        // A server-side dry run reaches webhooks without side effects, and stores nothing.
        let dry_name = format!("dry-{i}");
        let dry = kubectl(
            bin,
            kc,
            &[
                "create",
                "configmap",
                &dry_name,
                "--from-literal=a=b",
                "--dry-run=server",
            ],
            None,
        );
        ok(&dry, "dry run");
        assert!(
            dry.stderr.contains(&format!(
                "Warning: configmap {dry_name} is watched (dry run: true)"
            )),
            "{}",
            dry.stderr
        );
        assert!(!kubectl(bin, kc, &["get", "configmap", &dry_name], None).success);
    }
    assert_eq!(hook.calls("/deny"), kubectl_binaries().len());
}

#[test]
fn unknown_admission_plugins_are_refused_at_start_up() {
    let out = Command::new(env!("CARGO_BIN_EXE_kube-sa"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--disable-admission-plugins=ServiceAccount,NoSuchPlugin",
        ])
        .output()
        .expect("kube-sa runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("disable-admission-plugins plugin \"NoSuchPlugin\" is unknown"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "nothing was served");
}

/// A directory with one Service, `hooks/labeller`, whose one EndpointSlice points at
/// `address`.
struct OneService(SocketAddr);

impl ServiceDirectory for OneService {
    fn service(&self, namespace: &str, name: &str) -> Option<Value> {
        (namespace == "hooks" && name == "labeller")
            .then(|| json!({"spec": {"ports": [{"name": "https", "port": 443, "targetPort": self.0.port()}]}}))
    }

    fn endpoints(&self, _: &str, _: &str) -> Option<Value> {
        None
    }

    fn endpoint_slices(&self, namespace: &str, service: &str) -> Option<Vec<Value>> {
        Some(if namespace == "hooks" && service == "labeller" {
            vec![json!({"ports": [{"name": "https", "port": self.0.port()}],
                "endpoints": [{"addresses": [self.0.ip().to_string()], "conditions": {"ready": true}}]})]
        } else {
            Vec::new()
        })
    }
}

fn configurations_api(client: kube::Client) -> Api<DynamicObject> {
    let resource = ApiResource::erase::<
        k8s_openapi::api::admissionregistration::v1::MutatingWebhookConfiguration,
    >(&());
    Api::all_with(client, &resource)
}

async fn register(client: &kube::Client, configuration: Value) {
    let object: DynamicObject = serde_json::from_value(configuration).expect("configuration");
    configurations_api(client.clone())
        .create(&PostParams::default(), &object)
        .await
        .expect("register");
}

/// Creates the ConfigMap `default/c`, which the labeller webhook at `/label` must have
/// labelled `labelled: yes`, in one call.
async fn create_labelled_config_map(client: &kube::Client, hook: &TestWebhook, why: &str) {
    let config_maps: Api<k8s_openapi::api::core::v1::ConfigMap> =
        Api::namespaced(client.clone(), "default");
    let created = config_maps
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": "c", "labels": {"app": "x"}}}))
                .expect("configmap"),
        )
        .await
        .expect(why);
    assert_eq!(
        created
            .metadata
            .labels
            .unwrap_or_default()
            .get("labelled")
            .map(String::as_str),
        Some("yes")
    );
    assert_eq!(hook.calls("/label"), 1);
}

/// The Status refusing the Secret `default/s` (`why` it must be refused).
async fn refused_secret(client: kube::Client, why: &str) -> kube::core::Status {
    let secrets: Api<k8s_openapi::api::core::v1::Secret> = Api::namespaced(client, "default");
    let refused = secrets
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": "s"}})).expect("secret"),
        )
        .await
        .expect_err(why);
    let kube::Error::Api(status) = refused else {
        panic!("{refused}")
    };
    *status
}

fn rule(resource: &str) -> Value {
    json!([{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": [resource]}])
}

#[tokio::test]
async fn a_service_reference_reaches_an_endpoint_of_the_service() {
    let hook = TestWebhook::start(
        &["labeller.hooks.svc"],
        Arc::new(|_: &str, _: &Value| {
            allow(Some(
                json!([{"op": "add", "path": "/metadata/labels/labelled", "value": "yes"}]),
            ))
        }),
    )
    .await;
    let server = ApiServer::builder()
        .without_service_accounts()
        .service_directory(Arc::new(OneService(hook.address)))
        .start()
        .await
        .expect("server");
    let client = server.client().await.expect("client");
    register(&client, json!({
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": "services"},
        "webhooks": [
            {"name": "labeller.kube-sa.example.com", "rules": rule("configmaps"),
             "clientConfig": {"service": {"namespace": "hooks", "name": "labeller", "path": "/label"}, "caBundle": hook.ca_bundle()},
             "sideEffects": "None", "admissionReviewVersions": ["v1"]},
            {"name": "missing.kube-sa.example.com", "rules": rule("secrets"),
             "clientConfig": {"service": {"namespace": "hooks", "name": "missing"}, "caBundle": hook.ca_bundle()},
             "sideEffects": "None", "admissionReviewVersions": ["v1"]},
        ],
    }))
    .await;

    create_labelled_config_map(&client, &hook, "created through the service's endpoint").await;
    let status = refused_secret(client, "no such service").await;
    assert_eq!(status.code, 500);
    assert_eq!(
        status.message,
        "Internal error occurred: failed calling webhook \"missing.kube-sa.example.com\": failed to call webhook: Post \"https://missing.hooks.svc:443/?timeout=10s\": service \"missing\" not found"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn if_needed_webhooks_see_later_changes_in_a_second_round() {
    let hook = TestWebhook::start(
        &[],
        Arc::new(|path: &str, request: &Value| match path {
            // Records what it saw of the label the other webhook adds.
            "/seen" => {
                let b = request["object"]["metadata"]["labels"]["b"]
                    .as_str()
                    .unwrap_or("none");
                allow(Some(
                    json!([{"op": "add", "path": "/metadata/annotations/seen-b", "value": b}]),
                ))
            }
            _ => allow(Some(
                json!([{"op": "add", "path": "/metadata/labels/b", "value": "1"}]),
            )),
        }),
    )
    .await;
    let server = ApiServer::builder()
        .without_service_accounts()
        .start()
        .await
        .expect("server");
    let client = server.client().await.expect("client");
    let webhook = |name: &str, path: &str, reinvocation: &str| {
        json!({"name": name, "rules": rule("configmaps"), "reinvocationPolicy": reinvocation,
            "clientConfig": {"url": hook.url(path), "caBundle": hook.ca_bundle()},
            "sideEffects": "None", "admissionReviewVersions": ["v1"]})
    };
    register(&client, json!({
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": "reinvocation"},
        "webhooks": [webhook("seen.kube-sa.example.com", "/seen", "IfNeeded"), webhook("add.kube-sa.example.com", "/add-b", "Never")],
    }))
    .await;
    let config_maps: Api<k8s_openapi::api::core::v1::ConfigMap> =
        Api::namespaced(client, "default");
    let created = config_maps
        .create(
            &PostParams::default(),
            &serde_json::from_value(
                json!({"metadata": {"name": "c", "labels": {"a": "1"}, "annotations": {"x": "y"}}}),
            )
            .expect("configmap"),
        )
        .await
        .expect("created");
    let annotations = created.metadata.annotations.unwrap_or_default();
    assert_eq!(
        annotations.get("seen-b").map(String::as_str),
        Some("1"),
        "{annotations:?}"
    );
    assert_eq!((hook.calls("/seen"), hook.calls("/add-b")), (2, 1));
    server.shutdown().await;
}

#[tokio::test]
async fn a_ca_certificate_that_is_its_own_ca_bundle_is_trusted_as_go_trusts_it() {
    let hook = TestWebhook::start_as_ca(
        &[],
        Arc::new(|_: &str, _: &Value| {
            allow(Some(
                json!([{"op": "add", "path": "/metadata/labels/labelled", "value": "yes"}]),
            ))
        }),
    )
    .await;
    let stranger = TestWebhook::start_as_ca(&[], Arc::new(|_: &str, _: &Value| allow(None))).await;
    let server = ApiServer::builder()
        .without_service_accounts()
        .start()
        .await
        .expect("server");
    let client = server.client().await.expect("client");
    register(
        &client,
        json!({
            "apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
            "metadata": {"name": "self-signed"},
            "webhooks": [
                {"name": "labeller.kube-sa.example.com", "rules": rule("configmaps"),
                 "clientConfig": {"url": hook.url("/label"), "caBundle": hook.ca_bundle()},
                 "sideEffects": "None", "admissionReviewVersions": ["v1"]},
                // Served a CA certificate the bundle does not hold: no chain, as in Go.
                {"name": "mistrusted.kube-sa.example.com", "rules": rule("secrets"),
                 "clientConfig": {"url": hook.url("/other"), "caBundle": stranger.ca_bundle()},
                 "sideEffects": "None", "admissionReviewVersions": ["v1"]},
            ],
        }),
    )
    .await;

    create_labelled_config_map(
        &client,
        &hook,
        "admitted by the webhook whose certificate is its own caBundle",
    )
    .await;
    let status = refused_secret(client, "an unknown authority").await;
    assert_eq!(
        status.message,
        format!(
            "Internal error occurred: failed calling webhook \"mistrusted.kube-sa.example.com\": failed to call webhook: Post \"{}?timeout=10s\": tls: failed to verify certificate: x509: certificate signed by unknown authority",
            hook.url("/other")
        )
    );
    assert_eq!(hook.calls("/other"), 0);
    server.shutdown().await;
}
