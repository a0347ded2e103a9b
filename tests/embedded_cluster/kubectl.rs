//! Real kubectl binaries (the newest and the oldest on the machine) against `kube-sa serve`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use crate::support::{kubectl, kubectl_binaries, ok, ServeProcess};

const OBJECTS: &str = r#"
apiVersion: v1
kind: Namespace
metadata:
  name: demo
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: demo
data:
  color: blue
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
  namespace: demo
stringData:
  password: hunter2
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: builder
  namespace: demo
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: demo
spec:
  containers:
  - name: app
    image: nginx:1.25
    env:
    - name: MODE
      value: prod
"#;

fn header(stdout: &str) -> Vec<String> {
    let first = stdout.lines().next().unwrap_or_default();
    first
        .split("  ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

fn get_json(bin: &Path, kc: &Path, args: &[&str]) -> Value {
    let mut full = vec!["get"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["-o", "json"]);
    serde_json::from_str(&ok(&kubectl(bin, kc, &full, None), "get -o json")).expect("json output")
}

#[test]
fn create_get_describe_label_patch_delete() {
    for bin in kubectl_binaries() {
        let server = ServeProcess::start(&[]);
        let kc = server.kubeconfig.as_path();
        let out = ok(
            &kubectl(&bin, kc, &["create", "-f", "-"], Some(OBJECTS)),
            "create -f",
        );
        for line in [
            "namespace/demo created",
            "configmap/settings created",
            "secret/creds created",
            "serviceaccount/builder created",
            "pod/web created",
        ] {
            assert!(
                out.contains(line),
                "{}: missing {line:?} in {out}",
                bin.display()
            );
        }

        let tables = [
            ("serviceaccounts", vec!["NAME", "SECRETS", "AGE"]),
            ("secrets", vec!["NAME", "TYPE", "DATA", "AGE"]),
            ("configmaps", vec!["NAME", "DATA", "AGE"]),
            ("pods", vec!["NAME", "READY", "STATUS", "RESTARTS", "AGE"]),
        ];
        for (resource, columns) in tables {
            let out = ok(
                &kubectl(&bin, kc, &["get", resource, "-n", "demo"], None),
                resource,
            );
            assert_eq!(
                header(&out),
                columns,
                "{}: {resource} table:\n{out}",
                bin.display()
            );
        }
        let ns_out = ok(&kubectl(&bin, kc, &["get", "namespaces"], None), "get ns");
        assert_eq!(header(&ns_out), ["NAME", "STATUS", "AGE"]);
        assert!(
            ns_out
                .lines()
                .any(|l| l.starts_with("demo") && l.contains("Active")),
            "{ns_out}"
        );
        let secrets = ok(
            &kubectl(&bin, kc, &["get", "secret", "creds", "-n", "demo"], None),
            "get secret",
        );
        assert!(
            secrets
                .lines()
                .nth(1)
                .is_some_and(|l| l.contains("Opaque") && l.contains(" 1 ")),
            "{secrets}"
        );

        let yaml = ok(
            &kubectl(
                &bin,
                kc,
                &["get", "configmap", "settings", "-n", "demo", "-o", "yaml"],
                None,
            ),
            "-o yaml",
        );
        let parsed: Value = serde_yaml::from_str(&yaml).expect("yaml output");
        assert_eq!(parsed["data"]["color"], "blue");
        let secret = get_json(&bin, kc, &["secret", "creds", "-n", "demo"]);
        assert_eq!(
            secret["data"]["password"], "aHVudGVyMg==",
            "stringData is folded into data"
        );

        let described = ok(
            &kubectl(&bin, kc, &["describe", "pod", "web", "-n", "demo"], None),
            "describe",
        );
        assert!(
            described.contains("Name:")
                && described.contains("web")
                && described.contains("nginx:1.25"),
            "{described}"
        );

        ok(
            &kubectl(
                &bin,
                kc,
                &["label", "configmap", "settings", "-n", "demo", "tier=front"],
                None,
            ),
            "label",
        );
        let named = ok(
            &kubectl(
                &bin,
                kc,
                &["get", "cm", "-n", "demo", "-l", "tier=front", "-o", "name"],
                None,
            ),
            "get -l",
        );
        assert_eq!(named.trim(), "configmap/settings");

        ok(
            &kubectl(
                &bin,
                kc,
                &[
                    "patch",
                    "configmap",
                    "settings",
                    "-n",
                    "demo",
                    "--type",
                    "merge",
                    "-p",
                    r#"{"data":{"size":"xl"}}"#,
                ],
                None,
            ),
            "merge patch",
        );
        ok(
            &kubectl(
                &bin,
                kc,
                &[
                    "patch",
                    "configmap",
                    "settings",
                    "-n",
                    "demo",
                    "--type",
                    "json",
                    "-p",
                    r#"[{"op":"replace","path":"/data/color","value":"red"}]"#,
                ],
                None,
            ),
            "json patch",
        );
        ok(
            &kubectl(
                &bin,
                kc,
                &[
                    "patch",
                    "pod",
                    "web",
                    "-n",
                    "demo",
                    "--type",
                    "strategic",
                    "-p",
                    r#"{"metadata":{"labels":{"app":"web"}}}"#,
                ],
                None,
            ),
            "strategic patch",
        );
        let cm = get_json(&bin, kc, &["configmap", "settings", "-n", "demo"]);
        assert_eq!(
            cm["data"],
            serde_json::json!({"color": "red", "size": "xl"})
        );
        let pod = get_json(&bin, kc, &["pod", "web", "-n", "demo"]);
        assert_eq!(pod["metadata"]["labels"]["app"], "web");

        let out = ok(
            &kubectl(
                &bin,
                kc,
                &["delete", "configmap", "settings", "-n", "demo"],
                None,
            ),
            "delete",
        );
        assert!(out.contains("configmap \"settings\" deleted"), "{out}");
        let out = kubectl(
            &bin,
            kc,
            &["get", "configmap", "settings", "-n", "demo"],
            None,
        );
        assert!(!out.success);
        assert!(
            out.stderr
                .contains("Error from server (NotFound): configmaps \"settings\" not found"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn apply_is_idempotent_client_side_and_server_side() {
    for bin in kubectl_binaries() {
        let server = ServeProcess::start(&[]);
        let kc = server.kubeconfig.as_path();
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("cm.yaml");
        let write = |color: &str| {
            std::fs::write(&file, format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  namespace: default\ndata:\n  color: {color}\n")).expect("write");
        };
        let f = file.to_string_lossy().into_owned();
        write("blue");
        assert!(
            ok(&kubectl(&bin, kc, &["apply", "-f", &f], None), "apply 1")
                .contains("configmap/applied created")
        );
        assert!(
            ok(&kubectl(&bin, kc, &["apply", "-f", &f], None), "apply 2")
                .contains("configmap/applied unchanged")
        );
        write("green");
        assert!(
            ok(&kubectl(&bin, kc, &["apply", "-f", &f], None), "apply 3")
                .contains("configmap/applied configured")
        );
        let cm = get_json(&bin, kc, &["configmap", "applied"]);
        assert_eq!(cm["data"]["color"], "green");

        let ssa = dir.path().join("ssa.yaml");
        std::fs::write(&ssa, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: default\n  labels:\n    a: b\ndata:\n  k: v\n").expect("write");
        let s = ssa.to_string_lossy().into_owned();
        for round in 1..=2 {
            let out = ok(
                &kubectl(&bin, kc, &["apply", "--server-side", "-f", &s], None),
                "apply --server-side",
            );
            assert!(
                out.contains("configmap/ssa serverside-applied"),
                "round {round}: {out}"
            );
        }
        let cm = get_json(&bin, kc, &["configmap", "ssa"]);
        assert_eq!(cm["data"]["k"], "v");
        assert_eq!(cm["metadata"]["labels"]["a"], "b");
    }
}

/// `(manager, operation, fieldsV1)` of each `managedFields` entry of configmap `x`.
fn managers(bin: &Path, kc: &Path) -> Vec<(String, String, Value)> {
    let cm = get_json(bin, kc, &["configmap", "x", "--show-managed-fields"]);
    cm["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|entry| {
            (
                entry["manager"].as_str().unwrap_or_default().to_string(),
                entry["operation"].as_str().unwrap_or_default().to_string(),
                entry["fieldsV1"].clone(),
            )
        })
        .collect()
}

#[test]
fn managed_fields_name_every_writer_and_apply_conflicts_with_them() {
    let entry = |manager: &str, operation: &str, fields: Value| {
        (manager.to_string(), operation.to_string(), fields)
    };
    for bin in kubectl_binaries() {
        let server = ServeProcess::start(&[]);
        let kc = server.kubeconfig.as_path();
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("cm.yaml");
        let f = file.to_string_lossy().into_owned();
        let write = |value: &str| {
            std::fs::write(&file, format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: default\ndata:\n  k: {value}\n")).expect("write");
        };
        ok(
            &kubectl(
                &bin,
                kc,
                &["create", "configmap", "x", "--from-literal=k=v"],
                None,
            ),
            "create configmap",
        );
        assert_eq!(
            managers(&bin, kc),
            [entry(
                "kubectl-create",
                "Update",
                serde_json::json!({"f:data": {".": {}, "f:k": {}}})
            )]
        );

        // The same value applied: both managers own the field.
        write("v");
        ok(
            &kubectl(&bin, kc, &["apply", "--server-side", "-f", &f], None),
            "apply --server-side",
        );
        assert_eq!(
            managers(&bin, kc),
            [
                entry(
                    "kubectl",
                    "Apply",
                    serde_json::json!({"f:data": {"f:k": {}}})
                ),
                entry(
                    "kubectl-create",
                    "Update",
                    serde_json::json!({"f:data": {".": {}, "f:k": {}}})
                ),
            ]
        );

        // A patch takes the field from everyone.
        ok(
            &kubectl(
                &bin,
                kc,
                &[
                    "patch",
                    "configmap",
                    "x",
                    "-p",
                    r#"{"data":{"k":"patched"}}"#,
                ],
                None,
            ),
            "patch",
        );
        assert_eq!(
            managers(&bin, kc),
            [
                entry(
                    "kubectl-create",
                    "Update",
                    serde_json::json!({"f:data": {}})
                ),
                entry(
                    "kubectl-patch",
                    "Update",
                    serde_json::json!({"f:data": {"f:k": {}}})
                ),
            ]
        );

        // Another manager applying another value conflicts, unless it forces.
        write("applied");
        let apply = ["apply", "--server-side", "--field-manager=other", "-f", &f];
        let out = kubectl(&bin, kc, &apply, None);
        assert!(!out.success, "{}: conflict expected", bin.display());
        let expected =
            "Apply failed with 1 conflict: conflict with \"kubectl-patch\" using v1: .data.k";
        assert!(
            out.stderr.contains(expected),
            "{}: expected {expected:?}\ngot: {}",
            bin.display(),
            out.stderr
        );
        let forced = [&apply[..], &["--force-conflicts"]].concat();
        ok(&kubectl(&bin, kc, &forced, None), "apply --force-conflicts");
        let cm = get_json(&bin, kc, &["configmap", "x"]);
        assert_eq!(cm["data"]["k"], "applied");
        assert_eq!(
            managers(&bin, kc),
            [
                entry("other", "Apply", serde_json::json!({"f:data": {"f:k": {}}})),
                entry(
                    "kubectl-create",
                    "Update",
                    serde_json::json!({"f:data": {}})
                ),
            ]
        );
    }
}

#[test]
fn errors_read_as_on_a_real_cluster() {
    for bin in kubectl_binaries() {
        let server = ServeProcess::start(&[]);
        let kc = server.kubeconfig.as_path();
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: twice\n";
        ok(
            &kubectl(&bin, kc, &["create", "-f", "-"], Some(cm)),
            "create",
        );
        let cases: [(&str, &str); 4] = [
            (cm, "Error from server (AlreadyExists): error when creating \"STDIN\": configmaps \"twice\" already exists"),
            (
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\n",
                "The ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
            ),
            (
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: tok\ntype: kubernetes.io/service-account-token\n",
                "The Secret \"tok\" is invalid: metadata.annotations[kubernetes.io/service-account.name]: Required value",
            ),
            (
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lost\n  namespace: nowhere\n",
                "Error from server (NotFound): error when creating \"STDIN\": namespaces \"nowhere\" not found",
            ),
        ];
        for (input, expected) in cases {
            let out = kubectl(&bin, kc, &["create", "-f", "-"], Some(input));
            assert!(
                !out.success,
                "{}: expected failure for {input}",
                bin.display()
            );
            assert!(
                out.stderr.contains(expected),
                "{}: expected {expected:?}\ngot: {}",
                bin.display(),
                out.stderr
            );
        }
    }
}

#[test]
fn auth_whoami_names_the_admin() {
    // kubectl 1.28+ asks authentication.k8s.io/v1, 1.27 v1beta1: both are served.
    for bin in kubectl_binaries() {
        let server = ServeProcess::start(&[]);
        let out = ok(
            &kubectl(
                &bin,
                &server.kubeconfig,
                &["auth", "whoami", "-o", "json"],
                None,
            ),
            "auth whoami",
        );
        let review: Value = serde_json::from_str(&out).expect("json");
        assert_eq!(
            review["status"]["userInfo"]["username"],
            "kube-sa:admin",
            "{}",
            bin.display()
        );
        let groups = review["status"]["userInfo"]["groups"]
            .as_array()
            .expect("groups");
        assert!(
            groups.iter().any(|g| g == "system:masters")
                && groups.iter().any(|g| g == "system:authenticated")
        );
    }
}

#[test]
fn explain_prints_upstream_field_descriptions() {
    for bin in kubectl_binaries() {
        let server = ServeProcess::start(&[]);
        let out = ok(
            &kubectl(
                &bin,
                &server.kubeconfig,
                &["explain", "pod.spec.serviceAccountName"],
                None,
            ),
            "explain",
        );
        // kubectl wraps the description; compare it with the line breaks folded.
        let text = out.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            text.contains(
                "ServiceAccountName is the name of the ServiceAccount to use to run this pod"
            ),
            "{}: {out}",
            bin.display()
        );
    }
}

#[test]
fn get_watch_streams_new_objects() {
    for bin in kubectl_binaries() {
        let server = ServeProcess::start(&[]);
        let kc = server.kubeconfig.clone();
        let listed = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: listed\n";
        ok(
            &kubectl(&bin, &kc, &["create", "-f", "-"], Some(listed)),
            "create",
        );
        let mut watcher = Command::new(&bin)
            .arg("--kubeconfig")
            .arg(&kc)
            .args(["get", "configmaps", "-w"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("kubectl get -w");
        let stdout = watcher.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // `listed` is in the initial list; `watched` is created after the watcher printed
        // it, so it can only arrive through the watch stream.
        let wait_for = |name: &str| {
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            let mut seen = Vec::new();
            loop {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                match rx.recv_timeout(left) {
                    Ok(line) if line.starts_with(name) => return,
                    Ok(line) => seen.push(line),
                    Err(_) => panic!(
                        "{}: `get -w` never showed configmap `{name}`; saw {seen:?}",
                        bin.display()
                    ),
                }
            }
        };
        wait_for("listed");
        let watched =
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: watched\ndata:\n  a: b\n";
        ok(
            &kubectl(&bin, &kc, &["create", "-f", "-"], Some(watched)),
            "create",
        );
        wait_for("watched");
        let _ = watcher.kill();
        let _ = watcher.wait();
    }
}

#[test]
fn imperative_creates_work_whatever_encoding_kubectl_picks() {
    // kubectl 1.33's typed clients send protobuf bodies; older ones send JSON.
    for bin in kubectl_binaries() {
        let server = ServeProcess::start(&[]);
        let kc = server.kubeconfig.as_path();
        let steps: [&[&str]; 5] = [
            &["create", "namespace", "team"],
            &["create", "serviceaccount", "bob", "-n", "team"],
            &[
                "create",
                "secret",
                "generic",
                "s",
                "--from-literal=a=b",
                "-n",
                "team",
            ],
            &[
                "create",
                "configmap",
                "c",
                "--from-literal=x=y",
                "-n",
                "team",
            ],
            &[
                "run",
                "app",
                "--image=busybox",
                "--labels=app=demo",
                "--env=A=B",
                "-n",
                "team",
            ],
        ];
        for args in steps {
            ok(&kubectl(&bin, kc, args, None), &args.join(" "));
        }
        let secret = get_json(&bin, kc, &["secret", "s", "-n", "team"]);
        assert_eq!(secret["data"]["a"], "Yg==");
        let cm = get_json(&bin, kc, &["configmap", "c", "-n", "team"]);
        assert_eq!(cm["data"]["x"], "y");
        let pod = get_json(&bin, kc, &["pod", "app", "-n", "team"]);
        assert_eq!(pod["metadata"]["labels"]["app"], "demo");
        assert_eq!(
            pod["spec"]["containers"][0]["env"][0],
            serde_json::json!({"name": "A", "value": "B"})
        );
        assert_eq!(pod["spec"]["serviceAccountName"], "default");
    }
}

#[test]
fn server_dry_run_deletes_delete_nothing() {
    // kubectl sends `dryRun: ["All"]` in the DeleteOptions body, not in the query.
    for bin in kubectl_binaries() {
        let server = ServeProcess::start(&[]);
        let kc = &server.kubeconfig;
        ok(
            &kubectl(&bin, kc, &["apply", "-f", "-"], Some(OBJECTS)),
            "apply",
        );
        let out = ok(
            &kubectl(
                &bin,
                kc,
                &[
                    "-n",
                    "demo",
                    "delete",
                    "configmap",
                    "settings",
                    "--dry-run=server",
                ],
                None,
            ),
            "delete --dry-run=server",
        );
        assert!(out.contains("deleted (server dry run)"), "{out}");
        ok(
            &kubectl(
                &bin,
                kc,
                &[
                    "-n",
                    "demo",
                    "delete",
                    "configmaps,secrets",
                    "--all",
                    "--dry-run=server",
                ],
                None,
            ),
            "delete --all --dry-run=server",
        );
        let settings = get_json(&bin, kc, &["-n", "demo", "configmap", "settings"]);
        assert_eq!(settings["data"]["color"], "blue", "{}", bin.display());
        get_json(&bin, kc, &["-n", "demo", "secret", "creds"]);
        ok(
            &kubectl(
                &bin,
                kc,
                &["-n", "demo", "delete", "configmap", "settings"],
                None,
            ),
            "delete",
        );
        let gone = kubectl(
            &bin,
            kc,
            &["-n", "demo", "get", "configmap", "settings"],
            None,
        );
        assert!(
            !gone.success && gone.stderr.contains("NotFound"),
            "{}",
            gone.stderr
        );
    }
}

#[test]
fn server_side_apply_after_client_side_apply_keeps_the_object() {
    // kubectl moves the client-side applier's fields to the server-side one, owning `data`
    // as a whole (`"."`); the same manifest applied again must change nothing.
    for bin in kubectl_binaries() {
        let server = ServeProcess::start(&[]);
        let kc = &server.kubeconfig;
        ok(
            &kubectl(&bin, kc, &["apply", "-f", "-"], Some(OBJECTS)),
            "apply",
        );
        ok(
            &kubectl(
                &bin,
                kc,
                &["apply", "--server-side", "-f", "-"],
                Some(OBJECTS),
            ),
            "apply --server-side",
        );
        let settings = get_json(&bin, kc, &["-n", "demo", "configmap", "settings"]);
        assert_eq!(settings["data"]["color"], "blue", "{}", bin.display());
        let web = get_json(&bin, kc, &["-n", "demo", "pod", "web"]);
        assert_eq!(web["spec"]["containers"][0]["image"], "nginx:1.25");
    }
}

/// `kubectl get --raw` of the health endpoints, as people check a server: `?verbose` lists
/// the checks as kube-apiserver does, a check answers alone, an unknown one is 404.
#[test]
fn health_checks_are_listed_with_get_raw() {
    let bin = &kubectl_binaries()[0];
    let server = ServeProcess::start(&["--mode=bound"]);
    let kc = server.kubeconfig.as_path();
    let readyz = ok(
        &kubectl(bin, kc, &["get", "--raw", "/readyz?verbose"], None),
        "get --raw /readyz?verbose",
    );
    assert!(
        readyz.starts_with("[+]ping ok\n[+]log ok\n[+]etcd ok\n[+]etcd-readiness ok\n")
            && readyz.contains("[+]poststarthook/start-legacy-token-tracking-controller ok\n")
            && readyz.contains("[+]poststarthook/rbac/bootstrap-roles ok\n")
            && readyz.ends_with("[+]shutdown ok\nreadyz check passed\n"),
        "{readyz}"
    );
    let livez = ok(
        &kubectl(
            bin,
            kc,
            &["get", "--raw", "/livez?verbose&exclude=etcd&exclude=nope"],
            None,
        ),
        "get --raw /livez?verbose&exclude=...",
    );
    assert!(
        livez.contains("[+]etcd excluded: ok\n")
            && !livez.contains("shutdown")
            && livez.ends_with(
                "warn: some health checks cannot be excluded: no matches for \"nope\"\nlivez check passed\n"
            ),
        "{livez}"
    );
    let one = ok(
        &kubectl(
            bin,
            kc,
            &[
                "get",
                "--raw",
                "/healthz/poststarthook/bootstrap-controller",
            ],
            None,
        ),
        "get --raw one check",
    );
    assert_eq!(one, "ok");
    // An unknown check, and the endpoint with a trailing slash, which upstream's exact
    // mux does not serve either.
    for path in ["/readyz/nope", "/readyz/"] {
        let unknown = kubectl(bin, kc, &["get", "--raw", path], None);
        assert!(!unknown.success, "{path}");
        assert!(
            unknown
                .stderr
                .contains("the server could not find the requested resource"),
            "{path}: {}",
            unknown.stderr
        );
    }
}
