//! `kubectl certificate approve|deny` (newest and oldest kubectl; 1.33 writes the approval
//! as protobuf) records its decision through the `approval` subresource, as on a real
//! cluster, with the conditions' timestamps filled in.

use base64::Engine as _;
use serde_json::Value;

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
                &kubectl(&bin, kc, &["get", "csr", name, "-o", "json"], None),
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
