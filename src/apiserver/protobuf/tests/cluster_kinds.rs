//! Bodies client-go's controllers and kubectl send for the cluster-facing kinds: an
//! events.k8s.io Event, a leader-election Lease, an EndpointSlice, a CertificateSigningRequest
//! with its approval, storage classes and CSI drivers, a FlowSchema, a
//! ValidatingAdmissionPolicy and its binding.

use super::*;
use crate::apiserver::kinds::builtin::{
    CERTIFICATE_SIGNING_REQUESTS, CSI_DRIVERS, FLOW_SCHEMAS, STORAGE_CLASSES,
    VALIDATING_ADMISSION_POLICIES, VALIDATING_ADMISSION_POLICY_BINDINGS,
};
use crate::apiserver::kinds::{ENDPOINT_SLICES, EVENTS_V1, LEASES};

/// 2024-05-01T12:00:00Z.
const SECONDS: i64 = 1_714_564_800;

fn meta(name: &str, namespace: &str) -> Pb {
    Pb::new().str(1, name).str(3, namespace).msg(8, Pb::new())
}

/// A `metav1.Time` or `metav1.MicroTime`: seconds and nanoseconds.
fn time(seconds: i64, nanos: i64) -> Pb {
    Pb::new().int(1, seconds).int(2, nanos)
}

#[test]
fn an_events_v1_event_decodes_with_its_go_presence() {
    let regarding = Pb::new()
        .str(1, "ServiceAccount")
        .str(2, "default")
        .str(3, "sa")
        .str(4, "")
        .str(5, "v1")
        .str(6, "")
        .str(7, "");
    let event = Pb::new()
        .msg(1, meta("e1", "default"))
        .msg(2, time(SECONDS, 123_456_789))
        .str(4, "kube-sa")
        .str(5, "kube-sa-1")
        .str(6, "")
        .str(7, "TokenCreated")
        .msg(8, regarding)
        .str(10, "")
        .str(11, "Normal")
        .msg(12, Pb::new().str(1, "").str(2, ""))
        .msg(13, Pb::new())
        .msg(14, Pb::new())
        .int(15, 0);

    let decoded = decode_object(&envelope("events.k8s.io/v1", "Event", event), &EVENTS_V1).unwrap();

    // Go: reportingController, reportingInstance, action, reason, note and type are
    // `omitempty` strings, deprecatedCount an `omitempty` int32; the structs always print.
    assert_eq!(
        decoded,
        json!({"kind":"Event","apiVersion":"events.k8s.io/v1",
               "metadata":{"name":"e1","namespace":"default","creationTimestamp":null},
               "eventTime":"2024-05-01T12:00:00.123456Z",
               "reportingController":"kube-sa","reportingInstance":"kube-sa-1","reason":"TokenCreated",
               "regarding":{"kind":"ServiceAccount","namespace":"default","name":"sa","apiVersion":"v1"},
               "type":"Normal","deprecatedSource":{},
               "deprecatedFirstTimestamp":null,"deprecatedLastTimestamp":null})
    );
}

#[test]
fn a_leader_election_lease_keeps_its_pointer_zeros() {
    let spec = Pb::new()
        .str(1, "replica-a")
        .int(2, 15)
        .msg(3, time(SECONDS, 0))
        .msg(4, time(SECONDS + 5, 500_000))
        .int(5, 0);
    let lease = Pb::new()
        .msg(1, meta("kube-sa-controller", "kube-system"))
        .msg(2, spec);

    let decoded =
        decode_object(&envelope("coordination.k8s.io/v1", "Lease", lease), &LEASES).unwrap();

    assert_eq!(
        decoded["spec"],
        json!({"holderIdentity":"replica-a","leaseDurationSeconds":15,
               "acquireTime":"2024-05-01T12:00:00.000000Z","renewTime":"2024-05-01T12:00:05.000500Z",
               "leaseTransitions":0})
    );
}

#[test]
fn an_endpoint_slice_keeps_pointer_strings_and_required_fields() {
    let endpoint = Pb::new()
        .str(1, "10.0.0.1")
        .msg(2, Pb::new().bool(1, true).bool(2, true).bool(3, false))
        .str(6, "node-1")
        .str(7, "");
    let port = Pb::new().str(1, "").str(2, "TCP").int(3, 80);
    let slice = Pb::new()
        .msg(1, meta("web-abc", "default"))
        .str(4, "IPv4")
        .msg(2, endpoint)
        .msg(3, port);

    let decoded = decode_object(
        &envelope("discovery.k8s.io/v1", "EndpointSlice", slice),
        &ENDPOINT_SLICES,
    )
    .unwrap();

    // Go: zone is a `*string`; a port's name and protocol are pointers upstream marks
    // required.
    assert_eq!(decoded["addressType"], "IPv4");
    assert_eq!(
        decoded["endpoints"],
        json!([{"addresses":["10.0.0.1"],"conditions":{"ready":true,"serving":true,"terminating":false},
                "nodeName":"node-1","zone":""}])
    );
    assert_eq!(
        decoded["ports"],
        json!([{"name":"","protocol":"TCP","port":80}])
    );
}

#[test]
fn a_certificate_signing_request_and_its_approval_decode() {
    let spec = Pb::new()
        .bytes(1, b"abc")
        .str(7, "kubernetes.io/kube-apiserver-client")
        .str(5, "client auth")
        .str(2, "")
        .str(3, "")
        .msg(
            6,
            Pb::new()
                .str(1, "scopes")
                .msg(2, Pb::new().str(1, "a").str(1, "b")),
        );
    let approved = Pb::new()
        .str(1, "Approved")
        .str(6, "True")
        .str(2, "KubectlApprove")
        .str(3, "This CSR was approved by kubectl certificate approve.")
        .msg(4, time(SECONDS, 0))
        .msg(5, Pb::new());
    let csr = Pb::new()
        .msg(1, meta("u", ""))
        .msg(2, spec)
        .msg(3, Pb::new().msg(1, approved));

    let decoded = decode_object(
        &envelope("certificates.k8s.io/v1", "CertificateSigningRequest", csr),
        &CERTIFICATE_SIGNING_REQUESTS,
    )
    .unwrap();

    assert_eq!(
        decoded["spec"],
        json!({"request":"YWJj","signerName":"kubernetes.io/kube-apiserver-client",
               "usages":["client auth"],"extra":{"scopes":["a","b"]}})
    );
    assert_eq!(
        decoded["status"],
        json!({"conditions":[{"type":"Approved","status":"True","reason":"KubectlApprove",
               "message":"This CSR was approved by kubectl certificate approve.",
               "lastUpdateTime":"2024-05-01T12:00:00Z","lastTransitionTime":null}]})
    );
}

#[test]
fn storage_classes_and_csi_drivers_keep_their_pointer_zeros() {
    let class = Pb::new()
        .msg(1, meta("fast", ""))
        .str(2, "csi.example.com")
        .entry(3, "type", "ssd")
        .str(4, "Retain")
        .bool(6, false)
        .str(7, "WaitForFirstConsumer");

    let decoded = decode_object(
        &envelope("storage.k8s.io/v1", "StorageClass", class),
        &STORAGE_CLASSES,
    )
    .unwrap();

    assert_eq!(
        decoded,
        json!({"kind":"StorageClass","apiVersion":"storage.k8s.io/v1",
               "metadata":{"name":"fast","creationTimestamp":null},
               "provisioner":"csi.example.com","parameters":{"type":"ssd"},"reclaimPolicy":"Retain",
               "allowVolumeExpansion":false,"volumeBindingMode":"WaitForFirstConsumer"})
    );

    // Go: TokenRequest.audience is a string without `omitempty`; attachRequired a `*bool`.
    let driver = Pb::new().msg(1, meta("csi.example.com", "")).msg(
        2,
        Pb::new()
            .bool(1, false)
            .msg(6, Pb::new().str(1, ""))
            .msg(6, Pb::new().str(1, "vault").int(2, 600)),
    );
    let decoded = decode_object(
        &envelope("storage.k8s.io/v1", "CSIDriver", driver),
        &CSI_DRIVERS,
    )
    .unwrap();
    assert_eq!(
        decoded["spec"],
        json!({"attachRequired":false,
               "tokenRequests":[{"audience":""},{"audience":"vault","expirationSeconds":600}]})
    );
}

#[test]
fn a_flow_schema_omits_its_omitempty_zeros() {
    let rule = Pb::new()
        .msg(
            1,
            Pb::new()
                .str(1, "ServiceAccount")
                .msg(4, Pb::new().str(1, "kube-system").str(2, "*")),
        )
        .msg(
            2,
            Pb::new()
                .str(1, "*")
                .str(2, "")
                .str(3, "leases")
                .bool(4, false)
                .str(5, "kube-system"),
        );
    let spec = Pb::new()
        .msg(1, Pb::new().str(1, "workload-high"))
        .int(2, 0)
        .msg(3, Pb::new().str(1, "ByUser"))
        .msg(4, rule);
    let condition = Pb::new()
        .str(1, "Dangling")
        .str(2, "False")
        .msg(3, Pb::new())
        .str(4, "")
        .str(5, "");
    let schema = Pb::new()
        .msg(1, meta("leases", ""))
        .msg(2, spec)
        .msg(3, Pb::new().msg(1, condition));

    let decoded = decode_object(
        &envelope("flowcontrol.apiserver.k8s.io/v1", "FlowSchema", schema),
        &FLOW_SCHEMAS,
    )
    .unwrap();

    // Go: matchingPrecedence has no `omitempty`; clusterScope and the condition's strings do.
    assert_eq!(
        decoded["spec"],
        json!({"priorityLevelConfiguration":{"name":"workload-high"},"matchingPrecedence":0,
               "distinguisherMethod":{"type":"ByUser"},
               "rules":[{"subjects":[{"kind":"ServiceAccount","serviceAccount":{"namespace":"kube-system","name":"*"}}],
                         "resourceRules":[{"verbs":["*"],"apiGroups":[""],"resources":["leases"],"namespaces":["kube-system"]}]}]})
    );
    assert_eq!(
        decoded["status"],
        json!({"conditions":[{"type":"Dangling","status":"False","lastTransitionTime":null}]})
    );
}

#[test]
fn a_validating_admission_policy_and_its_binding_decode() {
    let rule = Pb::new().msg(
        2,
        Pb::new().str(1, "CREATE").msg(
            2,
            Pb::new().str(1, "apps").str(2, "v1").str(3, "deployments"),
        ),
    );
    let spec = Pb::new()
        .msg(1, Pb::new().str(1, "v1").str(2, "ConfigMap"))
        .msg(2, Pb::new().msg(3, rule).str(7, "Equivalent"))
        .msg(
            3,
            Pb::new()
                .str(1, "object.spec.replicas <= 5")
                .str(2, "")
                .str(3, "Invalid")
                .str(4, ""),
        )
        .str(4, "Fail")
        .msg(
            7,
            Pb::new().str(1, "replicas").str(2, "object.spec.replicas"),
        );
    let policy = Pb::new()
        .msg(1, meta("max-replicas", ""))
        .msg(2, spec)
        .msg(3, Pb::new().int(1, 0));

    let decoded = decode_object(
        &envelope(
            "admissionregistration.k8s.io/v1",
            "ValidatingAdmissionPolicy",
            policy,
        ),
        &VALIDATING_ADMISSION_POLICIES,
    )
    .unwrap();

    // Go: Validation.Expression and the Variable fields are renamed; the rule with
    // operations is inlined into its named rule; observedGeneration is `omitempty`.
    assert_eq!(
        decoded["spec"],
        json!({"paramKind":{"apiVersion":"v1","kind":"ConfigMap"},
               "matchConstraints":{"resourceRules":[{"operations":["CREATE"],"apiGroups":["apps"],
                                                     "apiVersions":["v1"],"resources":["deployments"]}],
                                   "matchPolicy":"Equivalent"},
               "validations":[{"expression":"object.spec.replicas <= 5","reason":"Invalid"}],
               "failurePolicy":"Fail",
               "variables":[{"name":"replicas","expression":"object.spec.replicas"}]})
    );
    assert_eq!(decoded["status"], json!({}));

    let binding = Pb::new().msg(1, meta("max-replicas-binding", "")).msg(
        2,
        Pb::new()
            .str(1, "max-replicas")
            .msg(2, Pb::new().str(1, "").str(2, "default").str(4, "Deny"))
            .str(4, "Deny"),
    );
    let decoded = decode_object(
        &envelope(
            "admissionregistration.k8s.io/v1",
            "ValidatingAdmissionPolicyBinding",
            binding,
        ),
        &VALIDATING_ADMISSION_POLICY_BINDINGS,
    )
    .unwrap();
    assert_eq!(
        decoded["spec"],
        json!({"policyName":"max-replicas",
               "paramRef":{"namespace":"default","parameterNotFoundAction":"Deny"},
               "validationActions":["Deny"]})
    );
}
