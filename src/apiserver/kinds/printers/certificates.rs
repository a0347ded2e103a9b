//! The printer of CertificateSigningRequests (`printCertificateSigningRequest` and
//! `extractCSRStatus` in `pkg/printers/internalversion/printers.go`).

use jiff::Timestamp;
use serde_json::{json, Value};

use crate::apiserver::kinds::generic::Printer;
use crate::apiserver::table::{
    age, column, human_duration, str_at, value_at, AGE_COLUMN, NAME_COLUMN,
};

/// CertificateSigningRequests: AGE second, SIGNERNAME, REQUESTOR, REQUESTEDDURATION,
/// CONDITION.
pub const CERTIFICATE_SIGNING_REQUEST: Printer = Printer {
    columns: &[
        NAME_COLUMN,
        AGE_COLUMN,
        column(
            "SignerName",
            "string",
            "signerName indicates the requested signer, and is a qualified name.\n\nList/watch requests for CertificateSigningRequests can filter on this field using a \"spec.signerName=NAME\" fieldSelector.\n\nWell-known Kubernetes signers are:\n 1. \"kubernetes.io/kube-apiserver-client\": issues client certificates that can be used to authenticate to kube-apiserver.\n  Requests for this signer are never auto-approved by kube-controller-manager, can be issued by the \"csrsigning\" controller in kube-controller-manager.\n 2. \"kubernetes.io/kube-apiserver-client-kubelet\": issues client certificates that kubelets use to authenticate to kube-apiserver.\n  Requests for this signer can be auto-approved by the \"csrapproving\" controller in kube-controller-manager, and can be issued by the \"csrsigning\" controller in kube-controller-manager.\n 3. \"kubernetes.io/kubelet-serving\" issues serving certificates that kubelets use to serve TLS endpoints, which kube-apiserver can connect to securely.\n  Requests for this signer are never auto-approved by kube-controller-manager, and can be issued by the \"csrsigning\" controller in kube-controller-manager.\n\nMore details are available at https://k8s.io/docs/reference/access-authn-authz/certificate-signing-requests/#kubernetes-signers\n\nCustom signerNames can also be specified. The signer defines:\n 1. Trust distribution: how trust (CA bundles) are distributed.\n 2. Permitted subjects: and behavior when a disallowed subject is requested.\n 3. Required, permitted, or forbidden x509 extensions in the request (including whether subjectAltNames are allowed, which types, restrictions on allowed values) and behavior when a disallowed extension is requested.\n 4. Required, permitted, or forbidden key usages / extended key usages.\n 5. Expiration/certificate lifetime: whether it is fixed by the signer, configurable by the admin.\n 6. Whether or not requests for CA certificates are allowed.",
        ),
        column(
            "Requestor",
            "string",
            "request contains an x509 certificate signing request encoded in a \"CERTIFICATE REQUEST\" PEM block. When serialized as JSON or YAML, the data is additionally base64-encoded.",
        ),
        column(
            "RequestedDuration",
            "string",
            "expirationSeconds is the requested duration of validity of the issued certificate. The certificate signer may issue a certificate with a different validity duration so a client must check the delta between the notBefore and and notAfter fields in the issued certificate to determine the actual duration.\n\nThe v1.22+ in-tree implementations of the well-known Kubernetes signers will honor this field as long as the requested duration is not greater than the maximum duration they will honor per the --cluster-signing-duration CLI flag to the Kubernetes controller manager.\n\nCertificate signers may not honor this field for various reasons:\n\n  1. Old signer that is unaware of the field (such as the in-tree\n     implementations prior to v1.22)\n  2. Signer whose configured maximum is shorter than the requested duration\n  3. Signer whose configured minimum is longer than the requested duration\n\nThe minimum valid value for expirationSeconds is 600, i.e. 10 minutes.",
        ),
        column(
            "Condition",
            "string",
            "conditions applied to the request. Known conditions are \"Approved\", \"Denied\", and \"Failed\".",
        ),
    ],
    row: certificate_signing_request_row,
};

fn certificate_signing_request_row(object: &Value, now: Timestamp) -> Vec<Value> {
    let signer = match str_at(object, &["spec", "signerName"]) {
        "" => "<none>",
        signer => signer,
    };
    let duration = match value_at(object, &["spec", "expirationSeconds"]).and_then(Value::as_i64) {
        Some(seconds) => human_duration(seconds),
        None => "<none>".to_string(),
    };
    vec![
        json!(str_at(object, &["metadata", "name"])),
        json!(age(object, now)),
        json!(signer),
        json!(str_at(object, &["spec", "username"])),
        json!(duration),
        json!(condition(object)),
    ]
}

/// `extractCSRStatus`: Denied over Approved over Pending, then `,Failed` and `,Issued`.
fn condition(csr: &Value) -> String {
    let has = |kind: &str| {
        value_at(csr, &["status", "conditions"])
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|c| c.get("type").and_then(Value::as_str) == Some(kind))
    };
    let mut status = if has("Denied") {
        "Denied"
    } else if has("Approved") {
        "Approved"
    } else {
        "Pending"
    }
    .to_string();
    if has("Failed") {
        status.push_str(",Failed");
    }
    if !str_at(csr, &["status", "certificate"]).is_empty() {
        status.push_str(",Issued");
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::table::testing::now;

    #[test]
    fn certificate_signing_request_rows() {
        let names: Vec<_> = CERTIFICATE_SIGNING_REQUEST
            .columns
            .iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(
            names,
            [
                "Name",
                "Age",
                "SignerName",
                "Requestor",
                "RequestedDuration",
                "Condition"
            ]
        );
        let csr = |spec: Value, status: Value| {
            json!({"metadata": {"name": "c", "creationTimestamp": "2024-05-01T11:00:00Z"},
                "spec": spec, "status": status})
        };
        let cases = [
            (
                csr(
                    json!({"signerName": "kubernetes.io/kube-apiserver-client", "username": "alice",
                        "expirationSeconds": 86400}),
                    json!({"conditions": [{"type": "Approved", "status": "True"}],
                        "certificate": "Y2VydA=="}),
                ),
                json!([
                    "c",
                    "60m",
                    "kubernetes.io/kube-apiserver-client",
                    "alice",
                    "24h",
                    "Approved,Issued"
                ]),
            ),
            (
                csr(json!({"username": "bob"}), json!({})),
                json!(["c", "60m", "<none>", "bob", "<none>", "Pending"]),
            ),
            (
                csr(
                    json!({"signerName": "x/y"}),
                    json!({"conditions": [{"type": "Approved"}, {"type": "Denied"}, {"type": "Failed"}]}),
                ),
                json!(["c", "60m", "x/y", "", "<none>", "Denied,Failed"]),
            ),
        ];
        for (object, expected) in cases {
            let row = (CERTIFICATE_SIGNING_REQUEST.row)(&object, now());
            assert_eq!(Value::Array(row), expected);
        }
    }
}
