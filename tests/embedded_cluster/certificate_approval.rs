//! `kubectl certificate approve|deny` (newest and oldest kubectl; 1.33 writes the approval
//! as protobuf) records its decision through the `approval` subresource, as on a real
//! cluster, with the conditions' timestamps filled in.

use base64::Engine as _;
use serde_json::{json, Value};

use crate::support::{kubectl, kubectl_binaries, ok, ServeProcess};

/// A CertificateSigningRequest manifest for `name` with a real PKCS#10 request.
fn csr_manifest(name: &str) -> String {
    let key = rcgen::KeyPair::generate().expect("key");
    let params = rcgen::CertificateParams::new(vec![name.to_string()]).expect("params");
    let pem = params
        .serialize_request(&key)
        .expect("request")
        .pem()
        .expect("pem");
    let request = base64::engine::general_purpose::STANDARD.encode(pem);
    format!(
        "apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata:\n  name: {name}\nspec:\n  request: {request}\n  signerName: kubernetes.io/kube-apiserver-client\n  usages: [client auth]\n"
    )
}

#[test]
fn approve_and_deny_are_recorded() {
    for bin in kubectl_binaries() {
        let server = ServeProcess::start(&[]);
        let kc = server.kubeconfig.as_path();
        let which = bin.display();
        for name in ["alice", "bob"] {
            ok(
                &kubectl(&bin, kc, &["create", "-f", "-"], Some(&csr_manifest(name))),
                "create csr",
            );
        }
        let approved = ok(
            &kubectl(&bin, kc, &["certificate", "approve", "alice"], None),
            "approve",
        );
        assert!(approved.contains("approved"), "{which}: {approved}");
        ok(
            &kubectl(&bin, kc, &["certificate", "deny", "bob"], None),
            "deny",
        );
        for (name, decision, reason) in [
            ("alice", "Approved", "KubectlApprove"),
            ("bob", "Denied", "KubectlDeny"),
        ] {
            let json = ok(
                &kubectl(
                    &bin,
                    kc,
                    &["get", "csr", name, "-o", "json", "--show-managed-fields"],
                    None,
                ),
                "get csr",
            );
            let csr: Value = serde_json::from_str(&json).expect("json");
            let condition = &csr["status"]["conditions"][0];
            assert_eq!(condition["type"], decision, "{which}: {csr}");
            assert_eq!(condition["status"], "True", "{which}: {csr}");
            assert_eq!(condition["reason"], reason, "{which}: {csr}");
            assert!(
                condition["lastUpdateTime"].is_string()
                    && condition["lastTransitionTime"].is_string(),
                "{which}: {csr}"
            );
            assert_eq!(
                csr["spec"]["signerName"],
                "kubernetes.io/kube-apiserver-client"
            );
            // The decision is recorded through the approval subresource, each condition
            // owned by its type (`+listType=map`, `+listMapKey=type`).
            let approval = csr["metadata"]["managedFields"]
                .as_array()
                .and_then(|entries| entries.iter().find(|e| e["subresource"] == "approval"))
                .unwrap_or_else(|| panic!("{which}: no approval entry: {csr}"));
            let key = format!("k:{{\"type\":\"{decision}\"}}");
            assert_eq!(
                approval["fieldsV1"]["f:status"]["f:conditions"][&key]["f:reason"],
                json!({}),
                "{which}: {approval}"
            );
        }
        let table = ok(&kubectl(&bin, kc, &["get", "csr"], None), "get csr");
        let conditions: Vec<&str> = table
            .lines()
            .skip(1)
            .filter_map(|l| l.split_whitespace().last())
            .collect();
        assert_eq!(conditions, ["Approved", "Denied"], "{which}: {table}");
    }
}

/// `csrStrategy.PrepareForCreate`: the request records who asked for it (after
/// impersonation), whatever the manifest claimed, with an empty status; an update changes
/// neither `spec` nor `status`.
#[test]
fn the_requestor_is_recorded_and_kept() {
    let bin = kubectl_binaries()
        .into_iter()
        .next()
        .expect("the newest kubectl");
    let server = ServeProcess::start(&[]);
    let kc = server.kubeconfig.as_path();
    let forged = csr_manifest("carol").replace(
        "  signerName:",
        "  username: mallory\n  groups: [system:masters]\n  uid: forged\n  signerName:",
    );
    ok(
        &kubectl(&bin, kc, &["create", "-f", "-"], Some(&forged)),
        "create csr",
    );
    let whoami: Value = serde_json::from_str(&ok(
        &kubectl(&bin, kc, &["auth", "whoami", "-o", "json"], None),
        "whoami",
    ))
    .expect("json");
    let get = |name: &str| -> Value {
        serde_json::from_str(&ok(
            &kubectl(&bin, kc, &["get", "csr", name, "-o", "json"], None),
            "get csr",
        ))
        .expect("json")
    };
    let csr = get("carol");
    let me = &whoami["status"]["userInfo"];
    assert_eq!(csr["spec"]["username"], me["username"], "{csr}");
    assert_eq!(csr["spec"]["groups"], me["groups"], "{csr}");
    assert_ne!(csr["spec"]["uid"], "forged", "{csr}");
    assert_eq!(csr["status"], serde_json::json!({}), "{csr}");
    let table = ok(&kubectl(&bin, kc, &["get", "csr", "carol"], None), "table");
    let requestor = me["username"].as_str().expect("a username");
    assert!(table.contains(requestor), "{table}");

    ok(
        &kubectl(
            &bin,
            kc,
            &[
                "--as=jane",
                "--as-group=system:masters",
                "create",
                "-f",
                "-",
            ],
            Some(&csr_manifest("dave")),
        ),
        "create csr as jane",
    );
    let csr = get("dave");
    assert_eq!(csr["spec"]["username"], "jane", "{csr}");
    assert_eq!(
        csr["spec"]["groups"],
        serde_json::json!(["system:masters", "system:authenticated"]),
        "{csr}"
    );

    let patched = ok(
        &kubectl(
            &bin,
            kc,
            &[
                "patch",
                "csr",
                "dave",
                "--type=merge",
                "-p",
                r#"{"metadata":{"labels":{"team":"a"}},"spec":{"username":"mallory"},"status":{"conditions":[{"type":"Approved","status":"True"}]}}"#,
            ],
            None,
        ),
        "patch",
    );
    assert!(patched.contains("patched"), "{patched}");
    let updated = get("dave");
    assert_eq!(updated["metadata"]["labels"]["team"], "a", "{updated}");
    assert_eq!(updated["spec"], csr["spec"], "{updated}");
    assert_eq!(updated["status"], serde_json::json!({}), "{updated}");
}
