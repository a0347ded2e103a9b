//! The kinds beyond service accounts through real kubectl (newest and oldest): a Deployment
//! applied, patched and deleted, server-side dry runs of imperative creates, events, leases,
//! the `kubernetes` Service behind `cluster-info`, discovery and `explain`, a CRD.

use std::path::Path;

use serde_json::Value;

use crate::support::{kubectl, kubectl_binaries, ok, ServeProcess};

const DEPLOYMENT: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: app
        image: nginx:1.25
        env:
        - name: MODE
          value: prod
      - name: sidecar
        image: busybox
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

fn images(deployment: &Value) -> Vec<(String, String)> {
    deployment["spec"]["template"]["spec"]["containers"]
        .as_array()
        .expect("containers")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or_default().to_string(),
                c["image"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_deployment_is_applied_patched_and_deleted() {
    for bin in kubectl_binaries() {
        let server = ServeProcess::start(&[]);
        let kc = server.kubeconfig.as_path();
        let which = bin.display();
        let out = ok(
            &kubectl(&bin, kc, &["apply", "-f", "-"], Some(DEPLOYMENT)),
            "apply",
        );
        assert!(
            out.contains("deployment.apps/web created"),
            "{which}: {out}"
        );
        let out = ok(&kubectl(&bin, kc, &["get", "deploy"], None), "get deploy");
        assert_eq!(
            header(&out),
            ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
            "{which}: {out}"
        );
        assert!(
            out.lines().nth(1).is_some_and(|l| l.starts_with("web ")),
            "{which}: {out}"
        );
        let stored = get_json(&bin, kc, &["deployment", "web"]);
        assert_eq!(stored["spec"]["replicas"], 2);
        assert_eq!(stored["metadata"]["generation"], 1);

        // Client-side apply of a changed manifest: a strategic merge patch by container name.
        let changed = DEPLOYMENT
            .replace("replicas: 2", "replicas: 3")
            .replace("nginx:1.25", "nginx:1.26");
        let out = ok(
            &kubectl(&bin, kc, &["apply", "-f", "-"], Some(&changed)),
            "re-apply",
        );
        assert!(
            out.contains("deployment.apps/web configured"),
            "{which}: {out}"
        );
        let stored = get_json(&bin, kc, &["deployment", "web"]);
        assert_eq!(stored["spec"]["replicas"], 3);
        assert_eq!(
            stored["metadata"]["generation"], 2,
            "{which}: the spec changed"
        );

        // A strategic merge patch of one container keeps the other.
        let smp = r#"{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox:1.36"}]}}}}"#;
        ok(
            &kubectl(&bin, kc, &["patch", "deployment", "web", "-p", smp], None),
            "patch",
        );
        let stored = get_json(&bin, kc, &["deployment", "web"]);
        assert_eq!(
            images(&stored),
            [
                ("app".to_string(), "nginx:1.26".to_string()),
                ("sidecar".to_string(), "busybox:1.36".to_string())
            ],
            "{which}"
        );
        assert_eq!(
            stored["spec"]["template"]["spec"]["containers"][0]["env"][0]["name"],
            "MODE"
        );
        for (kind, patch) in [
            ("merge", r#"{"metadata":{"labels":{"tier":"front"}}}"#),
            (
                "json",
                r#"[{"op":"replace","path":"/spec/replicas","value":1}]"#,
            ),
        ] {
            ok(
                &kubectl(
                    &bin,
                    kc,
                    &["patch", "deployment", "web", "--type", kind, "-p", patch],
                    None,
                ),
                kind,
            );
        }
        let stored = get_json(&bin, kc, &["deployment", "web"]);
        assert_eq!(stored["metadata"]["labels"]["tier"], "front");
        assert_eq!(stored["spec"]["replicas"], 1);
        // Server-side apply of another Deployment, twice: the second changes nothing.
        let api = changed.replace("name: web", "name: api");
        for _ in 0..2 {
            let out = ok(
                &kubectl(&bin, kc, &["apply", "--server-side", "-f", "-"], Some(&api)),
                "server-side apply",
            );
            assert!(
                out.contains("deployment.apps/api serverside-applied"),
                "{which}: {out}"
            );
        }
        let api = get_json(&bin, kc, &["deployment", "api"]);
        assert_eq!(api["spec"]["replicas"], 3);
        assert_eq!(
            api["metadata"]["generation"], 1,
            "{which}: no change, no new generation"
        );

        // Unknown fields are refused as for every kind.
        let bad = DEPLOYMENT.replace("replicas: 2", "replicas: 2\n  replicaz: 2");
        let out = kubectl(&bin, kc, &["apply", "-f", "-"], Some(&bad));
        assert!(!out.success, "{which}: {}", out.stdout);
        assert!(
            out.stderr.contains("unknown field \"spec.replicaz\""),
            "{which}: {}",
            out.stderr
        );

        let out = ok(
            &kubectl(&bin, kc, &["delete", "deployment", "web"], None),
            "delete",
        );
        assert!(
            out.contains("deployment.apps \"web\" deleted"),
            "{which}: {out}"
        );
        let out = kubectl(&bin, kc, &["get", "deployment", "web"], None);
        assert!(
            out.stderr.contains("deployments.apps \"web\" not found"),
            "{which}: {}",
            out.stderr
        );
    }
}

#[test]
fn imperative_creates_dry_run_on_the_server() {
    for bin in kubectl_binaries() {
        let server = ServeProcess::start(&[]);
        let kc = server.kubeconfig.as_path();
        let which = bin.display();
        let out = ok(
            &kubectl(
                &bin,
                kc,
                &[
                    "create",
                    "deployment",
                    "x",
                    "--image=nginx",
                    "--dry-run=server",
                    "-o",
                    "yaml",
                ],
                None,
            ),
            "create deployment --dry-run=server",
        );
        for expected in [
            "kind: Deployment",
            "name: x",
            "image: nginx",
            "uid:",
            "generation: 1",
        ] {
            assert!(out.contains(expected), "{which}: {expected:?} in {out}");
        }
        let out = kubectl(&bin, kc, &["get", "deployment", "x"], None);
        assert!(!out.success, "{which}: a dry run stores nothing");
        let out = ok(
            &kubectl(
                &bin,
                kc,
                &[
                    "create",
                    "service",
                    "clusterip",
                    "db",
                    "--tcp=5432:5432",
                    "--dry-run=server",
                    "-o",
                    "json",
                ],
                None,
            ),
            "create service --dry-run=server",
        );
        let svc: Value = serde_json::from_str(&out).expect("json");
        let ip = svc["spec"]["clusterIP"].as_str().expect("cluster IP");
        assert!(ip.starts_with("10."), "{which}: {ip}");
    }
}

const OBJECTS: &str = r#"
apiVersion: v1
kind: Event
metadata:
  name: web.17a
  namespace: default
involvedObject:
  kind: Pod
  name: web
  namespace: default
reason: Scheduled
message: Successfully assigned default/web to node-1
type: Normal
source:
  component: default-scheduler
firstTimestamp: "2024-05-01T12:00:00Z"
lastTimestamp: "2024-05-01T12:00:00Z"
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata:
  name: kube-sa-controller
  namespace: kube-system
spec:
  holderIdentity: replica-a
  leaseDurationSeconds: 15
---
apiVersion: v1
kind: Node
metadata:
  name: node-1
  labels:
    node-role.kubernetes.io/control-plane: ""
status:
  conditions:
  - type: Ready
    status: "True"
  nodeInfo:
    kubeletVersion: v1.33.0
    architecture: amd64
    bootID: ""
    containerRuntimeVersion: ""
    kernelVersion: ""
    kubeProxyVersion: ""
    machineID: ""
    operatingSystem: linux
    osImage: ""
    systemUUID: ""
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names:
    kind: Widget
    plural: widgets
    singular: widget
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
"#;

#[test]
fn events_leases_nodes_services_and_discovery_read_as_on_a_real_cluster() {
    for bin in kubectl_binaries() {
        let server = ServeProcess::start(&[]);
        let kc = server.kubeconfig.as_path();
        let which = bin.display();
        let out = kubectl(&bin, kc, &["get", "events"], None);
        assert!(out.success, "{which}: {}", out.stderr);
        assert!(
            out.stderr
                .contains("No resources found in default namespace."),
            "{which}: {}",
            out.stderr
        );

        let out = ok(
            &kubectl(&bin, kc, &["create", "-f", "-"], Some(OBJECTS)),
            "create -f",
        );
        for line in [
            "event/web.17a created",
            "lease.coordination.k8s.io/kube-sa-controller created",
            "node/node-1 created",
            "customresourcedefinition.apiextensions.k8s.io/widgets.example.com created",
        ] {
            assert!(out.contains(line), "{which}: {line:?} in {out}");
        }

        let tables: &[(&[&str], &[&str], &str)] = &[
            (
                &["get", "events"],
                &["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"],
                "pod/web",
            ),
            (
                &["get", "leases", "-A"],
                &["NAMESPACE", "NAME", "HOLDER", "AGE"],
                "replica-a",
            ),
            (
                &["get", "nodes"],
                &["NAME", "STATUS", "ROLES", "AGE", "VERSION"],
                "Ready",
            ),
            (
                &["get", "svc"],
                &[
                    "NAME",
                    "TYPE",
                    "CLUSTER-IP",
                    "EXTERNAL-IP",
                    "PORT(S)",
                    "AGE",
                ],
                "10.96.0.1",
            ),
            (
                &["get", "endpoints"],
                &["NAME", "ENDPOINTS", "AGE"],
                "127.0.0.1:",
            ),
            (&["get", "crd"], &["NAME", "AGE"], "widgets.example.com"),
        ];
        for (args, columns, cell) in tables {
            let out = ok(&kubectl(&bin, kc, args, None), &args.join(" "));
            assert_eq!(header(&out), *columns, "{which}: {args:?}:\n{out}");
            assert!(out.contains(cell), "{which}: {args:?}: {cell:?} in\n{out}");
        }
        let out = ok(&kubectl(&bin, kc, &["get", "nodes"], None), "get nodes");
        assert!(out.contains("control-plane"), "{which}: {out}");

        let out = ok(&kubectl(&bin, kc, &["cluster-info"], None), "cluster-info");
        let url = server.url.as_str();
        assert!(
            out.contains("Kubernetes control plane") && out.contains(url),
            "{which}: {out}"
        );

        let out = ok(
            &kubectl(&bin, kc, &["api-resources"], None),
            "api-resources",
        );
        for (name, short, version, kind) in [
            ("deployments", "deploy", "apps/v1", "Deployment"),
            ("events", "ev", "events.k8s.io/v1", "Event"),
            ("leases", "", "coordination.k8s.io/v1", "Lease"),
            ("endpointslices", "", "discovery.k8s.io/v1", "EndpointSlice"),
            ("nodes", "no", "v1", "Node"),
            ("services", "svc", "v1", "Service"),
            (
                "customresourcedefinitions",
                "crd,crds",
                "apiextensions.k8s.io/v1",
                "CustomResourceDefinition",
            ),
            (
                "horizontalpodautoscalers",
                "hpa",
                "autoscaling/v2",
                "HorizontalPodAutoscaler",
            ),
        ] {
            let found = out.lines().any(|line| {
                let words: Vec<&str> = line.split_whitespace().collect();
                words.first() == Some(&name)
                    && words.contains(&version)
                    && words.last() == Some(&kind)
                    && (short.is_empty() || words.contains(&short))
            });
            assert!(found, "{which}: {name} in\n{out}");
        }

        let out = ok(
            &kubectl(&bin, kc, &["explain", "deployment.spec.replicas"], None),
            "explain",
        );
        let text = out.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            text.contains("Number of desired pods. This is a pointer to distinguish between explicit zero and not specified. Defaults to 1."),
            "{which}: {out}"
        );
    }
}
