//! RBAC with real kubectl (the newest and the oldest on the machine) against
//! `kube-sa serve`: roles, bindings, aggregation, `auth reconcile`, a service-account
//! token denied before a RoleBinding and allowed after it, and escalation prevention.

use std::path::Path;
use std::time::Duration;

use base64::Engine;
use serde_json::Value;

use crate::support::{kubectl, kubectl_binaries, ok, poll_until, Output, ServeProcess};

/// The one-line error kubectl prints for a refused request.
fn refused(out: &Output, what: &str) -> String {
    assert!(!out.success, "{what} succeeded:\n{}", out.stdout);
    out.stderr.trim().to_string()
}

/// Creates service account `name` in `demo` and a legacy token Secret for it; answers the
/// token once the token controller has filled it in.
fn account_token(bin: &Path, kc: &Path, name: &str) -> String {
    ok(
        &kubectl(
            bin,
            kc,
            &["create", "serviceaccount", name, "-n", "demo"],
            None,
        ),
        "create sa",
    );
    let secret = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}-token\n  namespace: demo\n  annotations:\n    kubernetes.io/service-account.name: {name}\ntype: kubernetes.io/service-account-token\n"
    );
    ok(
        &kubectl(bin, kc, &["create", "-f", "-"], Some(&secret)),
        "create token secret",
    );
    let secret_name = format!("{name}-token");
    poll_until(
        "the token controller to fill the token secret",
        Duration::from_secs(10),
        || {
            let out = kubectl(
                bin,
                kc,
                &[
                    "get",
                    "secret",
                    &secret_name,
                    "-n",
                    "demo",
                    "-o",
                    "jsonpath={.data.token}",
                ],
                None,
            );
            let encoded = out.stdout.trim();
            if !out.success || encoded.is_empty() {
                return None;
            }
            let token = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .ok()?;
            String::from_utf8(token).ok()
        },
    )
}

fn as_token(bin: &Path, kc: &Path, token: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut full = vec!["--token", token];
    full.extend_from_slice(args);
    kubectl(bin, kc, &full, stdin)
}

fn cluster_role_rules(bin: &Path, kc: &Path, name: &str) -> Vec<Value> {
    let out = ok(
        &kubectl(bin, kc, &["get", "clusterrole", name, "-o", "json"], None),
        "get clusterrole",
    );
    let role: Value = serde_json::from_str(&out).expect("json");
    role["rules"].as_array().cloned().unwrap_or_default()
}

fn mentions_resource(rules: &[Value], resource: &str) -> bool {
    rules.iter().any(|r| {
        r["resources"]
            .as_array()
            .is_some_and(|rs| rs.iter().any(|x| x == resource))
    })
}

#[test]
fn a_service_account_token_gets_exactly_what_its_role_binding_grants() {
    for bin in kubectl_binaries() {
        let server = ServeProcess::start(&[]);
        let kc = server.kubeconfig.as_path();
        ok(
            &kubectl(&bin, kc, &["create", "namespace", "demo"], None),
            "create namespace",
        );
        let token = account_token(&bin, kc, "robot");

        let denied = refused(
            &as_token(&bin, kc, &token, &["get", "pods", "-n", "demo"], None),
            "list before binding",
        );
        assert_eq!(
            denied,
            "Error from server (Forbidden): pods is forbidden: User \"system:serviceaccount:demo:robot\" cannot list resource \"pods\" in API group \"\" in the namespace \"demo\"",
            "{}",
            bin.display()
        );

        let out = ok(
            &kubectl(
                &bin,
                kc,
                &[
                    "create",
                    "role",
                    "pod-reader",
                    "--verb=get,list",
                    "--resource=pods",
                    "-n",
                    "demo",
                ],
                None,
            ),
            "create role",
        );
        assert!(
            out.contains("role.rbac.authorization.k8s.io/pod-reader created"),
            "{out}"
        );
        let out = ok(
            &kubectl(
                &bin,
                kc,
                &[
                    "create",
                    "rolebinding",
                    "robot-reads",
                    "--role=pod-reader",
                    "--serviceaccount=demo:robot",
                    "-n",
                    "demo",
                ],
                None,
            ),
            "create rolebinding",
        );
        assert!(
            out.contains("rolebinding.rbac.authorization.k8s.io/robot-reads created"),
            "{out}"
        );

        // The next request already sees the binding.
        let listed = as_token(&bin, kc, &token, &["get", "pods", "-n", "demo"], None);
        ok(&listed, "list after binding");
        assert!(
            listed
                .stderr
                .contains("No resources found in demo namespace."),
            "{}",
            listed.stderr
        );
        let others = [
            (vec!["get", "configmaps", "-n", "demo"], "configmaps is forbidden: User \"system:serviceaccount:demo:robot\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"demo\""),
            (vec!["get", "pods", "-n", "default"], "pods is forbidden: User \"system:serviceaccount:demo:robot\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\""),
            (vec!["delete", "pod", "web", "-n", "demo"], "pods \"web\" is forbidden: User \"system:serviceaccount:demo:robot\" cannot delete resource \"pods\" in API group \"\" in the namespace \"demo\""),
            (vec!["get", "pods", "-A"], "pods is forbidden: User \"system:serviceaccount:demo:robot\" cannot list resource \"pods\" in API group \"\" at the cluster scope"),
        ];
        for (args, message) in others {
            let out = refused(&as_token(&bin, kc, &token, &args, None), &args.join(" "));
            assert_eq!(
                out,
                format!("Error from server (Forbidden): {message}"),
                "{}",
                bin.display()
            );
        }

        let table = ok(
            &kubectl(
                &bin,
                kc,
                &[
                    "get",
                    "rolebinding",
                    "robot-reads",
                    "-n",
                    "demo",
                    "-o",
                    "wide",
                ],
                None,
            ),
            "get -o wide",
        );
        let mut lines = table.lines();
        let header: Vec<&str> = lines
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .collect();
        assert_eq!(
            header,
            ["NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS"],
            "{table}"
        );
        let row: Vec<&str> = lines
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .collect();
        assert_eq!(
            (row[0], row[1], row.last().copied()),
            ("robot-reads", "Role/pod-reader", Some("demo/robot")),
            "{table}"
        );

        // roleRef is immutable.
        let out = refused(
            &kubectl(
                &bin,
                kc,
                &[
                    "patch",
                    "rolebinding",
                    "robot-reads",
                    "-n",
                    "demo",
                    "--type=merge",
                    "-p",
                    r#"{"roleRef":{"name":"other"}}"#,
                ],
                None,
            ),
            "patch roleRef",
        );
        assert!(
            out.contains("roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"Role\", Name:\"other\"}: cannot change roleRef"),
            "{out}"
        );
    }
}

#[test]
fn aggregation_reconcile_and_escalation() {
    for bin in kubectl_binaries() {
        let server = ServeProcess::start(&[]);
        let kc = server.kubeconfig.as_path();
        ok(
            &kubectl(&bin, kc, &["create", "namespace", "demo"], None),
            "create namespace",
        );

        // The bootstrap roles are aggregated from the start.
        assert!(
            mentions_resource(&cluster_role_rules(&bin, kc, "view"), "pods"),
            "view"
        );
        assert!(
            mentions_resource(&cluster_role_rules(&bin, kc, "admin"), "rolebindings"),
            "admin"
        );

        let out = ok(
            &kubectl(
                &bin,
                kc,
                &[
                    "create",
                    "clusterrole",
                    "monitoring",
                    "--aggregation-rule=example.com/aggregate-to-monitoring=true",
                ],
                None,
            ),
            "create clusterrole --aggregation-rule",
        );
        assert!(
            out.contains("clusterrole.rbac.authorization.k8s.io/monitoring created"),
            "{out}"
        );
        ok(
            &kubectl(
                &bin,
                kc,
                &[
                    "create",
                    "clusterrole",
                    "widget-reader",
                    "--verb=get,list",
                    "--resource=configmaps",
                ],
                None,
            ),
            "create clusterrole",
        );
        ok(
            &kubectl(
                &bin,
                kc,
                &[
                    "label",
                    "clusterrole",
                    "widget-reader",
                    "example.com/aggregate-to-monitoring=true",
                    "rbac.authorization.k8s.io/aggregate-to-view=true",
                ],
                None,
            ),
            "label",
        );
        poll_until(
            "monitoring to aggregate widget-reader",
            Duration::from_secs(10),
            || {
                mentions_resource(&cluster_role_rules(&bin, kc, "monitoring"), "configmaps")
                    .then_some(())
            },
        );
        poll_until(
            "view to aggregate widget-reader",
            Duration::from_secs(10),
            || {
                let view = cluster_role_rules(&bin, kc, "view");
                view.iter()
                    .any(|r| {
                        r["verbs"] == serde_json::json!(["get", "list"])
                            && r["resources"] == serde_json::json!(["configmaps"])
                    })
                    .then_some(())
            },
        );

        // auth reconcile creates what is missing.
        let manager = account_token(&bin, kc, "manager");
        let policy = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: role-writer
  namespace: demo
rules:
- apiGroups: ["rbac.authorization.k8s.io"]
  resources: ["roles"]
  verbs: ["create", "get", "list"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: manager-writes-roles
  namespace: demo
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: role-writer
subjects:
- kind: ServiceAccount
  name: manager
  namespace: demo
"#;
        let out = ok(
            &kubectl(&bin, kc, &["auth", "reconcile", "-f", "-"], Some(policy)),
            "auth reconcile",
        );
        assert!(
            out.contains("role.rbac.authorization.k8s.io/role-writer reconciled"),
            "{out}"
        );
        assert!(
            out.contains("rolebinding.rbac.authorization.k8s.io/manager-writes-roles reconciled"),
            "{out}"
        );
        // Reconciling again changes nothing and still succeeds.
        ok(
            &kubectl(&bin, kc, &["auth", "reconcile", "-f", "-"], Some(policy)),
            "auth reconcile again",
        );

        // The manager may create roles but holds no pods permission: no escalation.
        let create_pod_getter = [
            "create",
            "role",
            "pod-getter",
            "--verb=get",
            "--resource=pods",
            "-n",
            "demo",
        ];
        let out = refused(
            &as_token(&bin, kc, &manager, &create_pod_getter, None),
            "escalating create role",
        );
        assert_eq!(
            out,
            "Error from server (Forbidden): roles.rbac.authorization.k8s.io \"pod-getter\" is forbidden: user \"system:serviceaccount:demo:manager\" (groups=[\"system:serviceaccounts\" \"system:serviceaccounts:demo\" \"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"get\"]}",
            "{}",
            bin.display()
        );
        // A role within what the manager holds is fine.
        ok(
            &as_token(
                &bin,
                kc,
                &manager,
                &[
                    "create",
                    "role",
                    "role-lister",
                    "--verb=list",
                    "--resource=roles.rbac.authorization.k8s.io",
                    "-n",
                    "demo",
                ],
                None,
            ),
            "non-escalating create role",
        );
        // With `escalate` the manager may grant more than it holds.
        ok(
            &kubectl(
                &bin,
                kc,
                &[
                    "create",
                    "role",
                    "escalator",
                    "--verb=escalate",
                    "--resource=roles.rbac.authorization.k8s.io",
                    "-n",
                    "demo",
                ],
                None,
            ),
            "create escalator",
        );
        ok(
            &kubectl(
                &bin,
                kc,
                &[
                    "create",
                    "rolebinding",
                    "manager-escalates",
                    "--role=escalator",
                    "--serviceaccount=demo:manager",
                    "-n",
                    "demo",
                ],
                None,
            ),
            "bind escalator",
        );
        let out = ok(
            &as_token(&bin, kc, &manager, &create_pod_getter, None),
            "create role with escalate",
        );
        assert!(
            out.contains("role.rbac.authorization.k8s.io/pod-getter created"),
            "{out}"
        );
    }
}

/// A list naming one object by `fieldSelector=metadata.name=...` is authorized as a request
/// for that object, as upstream's request info makes it, so a Role limited by
/// `resourceNames` may list (and watch) exactly its object.
#[test]
fn a_role_limited_by_resource_names_may_list_its_one_object_by_field_selector() {
    let bin = kubectl_binaries().into_iter().next().expect("a kubectl");
    let server = ServeProcess::start(&[]);
    let kc = server.kubeconfig.as_path();
    ok(
        &kubectl(&bin, kc, &["create", "namespace", "demo"], None),
        "create namespace",
    );
    for name in ["mine", "other"] {
        ok(
            &kubectl(&bin, kc, &["create", "configmap", name, "-n", "demo"], None),
            "create configmap",
        );
    }
    let token = account_token(&bin, kc, "robot");
    ok(
        &kubectl(
            &bin,
            kc,
            &[
                "create",
                "role",
                "one-map",
                "--verb=list,watch",
                "--resource=configmaps",
                "--resource-name=mine",
                "-n",
                "demo",
            ],
            None,
        ),
        "create role",
    );
    ok(
        &kubectl(
            &bin,
            kc,
            &[
                "create",
                "rolebinding",
                "robot-one-map",
                "--role=one-map",
                "--serviceaccount=demo:robot",
                "-n",
                "demo",
            ],
            None,
        ),
        "create rolebinding",
    );
    let listed = ok(
        &as_token(
            &bin,
            kc,
            &token,
            &[
                "get",
                "configmaps",
                "-n",
                "demo",
                "--field-selector=metadata.name=mine",
                "-o",
                "name",
            ],
            None,
        ),
        "list the named configmap",
    );
    assert_eq!(listed.trim(), "configmap/mine");
    let refusals = [
        (
            "--field-selector=metadata.name=other",
            "configmaps \"other\" is forbidden: User \"system:serviceaccount:demo:robot\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"demo\"",
        ),
        (
            "--field-selector=metadata.name!=other",
            "configmaps is forbidden: User \"system:serviceaccount:demo:robot\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"demo\"",
        ),
    ];
    // Authorized by the name, then refused for the field the resource lacks, as upstream.
    let unsupported = refused(
        &as_token(
            &bin,
            kc,
            &token,
            &[
                "get",
                "configmaps",
                "-n",
                "demo",
                "--field-selector=metadata.name=mine,bogus=x",
            ],
            None,
        ),
        "an unsupported field",
    );
    assert!(
        unsupported.contains("\"bogus\" is not a known field selector")
            && !unsupported.contains("Forbidden"),
        "{unsupported}"
    );
    for (selector, message) in refusals {
        let out = refused(
            &as_token(
                &bin,
                kc,
                &token,
                &["get", "configmaps", "-n", "demo", selector],
                None,
            ),
            selector,
        );
        assert_eq!(out, format!("Error from server (Forbidden): {message}"));
    }
}
