//! Field shapes and presence: pod, metadata, volume and authentication fields, special types.

use super::*;
use crate::apiserver::protobuf::json::{special, Decoder, GO_ZERO_TIME_SECONDS};
use crate::apiserver::protobuf::schema::Schema;

#[test]
fn pod_scheduling_fields_decode() {
    let selector = Pb::new().entry(1, "app", "web").msg(
        2,
        Pb::new()
            .str(1, "tier")
            .str(2, "In")
            .str(3, "a")
            .str(3, "b"),
    );
    let affinity = Pb::new()
        .msg(
            1,
            Pb::new()
                .msg(
                    1,
                    Pb::new().msg(
                        1,
                        Pb::new().msg(
                            2,
                            Pb::new()
                                .str(1, "metadata.name")
                                .str(2, "NotIn")
                                .str(3, "n1"),
                        ),
                    ),
                )
                .msg(
                    2,
                    Pb::new().int(1, 10).msg(
                        2,
                        Pb::new().msg(1, Pb::new().str(1, "disk").str(2, "Exists")),
                    ),
                ),
        )
        .msg(
            3,
            Pb::new().msg(
                2,
                Pb::new().int(1, 50).msg(
                    2,
                    Pb::new()
                        .msg(1, selector.clone())
                        .str(2, "other")
                        .str(3, "kubernetes.io/hostname"),
                ),
            ),
        );
    let spec = Pb::new()
        .msg(2, container("c", "i").msg(8, Pb::new()))
        .msg(18, affinity)
        .int(25, -5)
        .msg(
            26,
            Pb::new()
                .str(1, "1.1.1.1")
                .str(2, "svc.local")
                .msg(3, Pb::new().str(1, "ndots").str(2, "2")),
        )
        .msg(23, Pb::new().str(1, "10.0.0.1").str(2, "foo").str(2, "bar"))
        .msg(28, Pb::new().str(1, "ready/gate"))
        .msg(
            33,
            Pb::new()
                .int(1, 1)
                .str(2, "zone")
                .str(3, "DoNotSchedule")
                .msg(4, selector)
                .int(5, 2),
        )
        .msg(36, Pb::new().str(1, "linux"))
        .bool(27, true)
        .str(29, "")
        .quantity_entry(32, "cpu", "250m")
        // supplementalGroups packed, as a proto3 encoder would write them
        .msg(
            14,
            Pb::new()
                .msg(4, Pb::new().raw_varint(7).raw_varint(300))
                .msg(7, Pb::new().str(1, "net.x").str(2, "1")),
        );
    let pod = Pb::new().msg(1, object_meta("p")).msg(2, spec);

    let decoded = decode_object(&envelope("v1", "Pod", pod), &PODS).unwrap();

    let selector_json = json!({"matchLabels":{"app":"web"},"matchExpressions":[{"key":"tier","operator":"In","values":["a","b"]}]});
    assert_eq!(
        decoded["spec"],
        json!({
            "containers":[{"name":"c","image":"i","resources":{}}],
            "affinity":{
                "nodeAffinity":{
                    "requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchFields":[{"key":"metadata.name","operator":"NotIn","values":["n1"]}]}]},
                    "preferredDuringSchedulingIgnoredDuringExecution":[{"weight":10,"preference":{"matchExpressions":[{"key":"disk","operator":"Exists"}]}}]
                },
                "podAntiAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":50,"podAffinityTerm":{
                    "labelSelector":selector_json,"namespaces":["other"],"topologyKey":"kubernetes.io/hostname"}}]}
            },
            "priority":-5,
            "dnsConfig":{"nameservers":["1.1.1.1"],"searches":["svc.local"],"options":[{"name":"ndots","value":"2"}]},
            "hostAliases":[{"ip":"10.0.0.1","hostnames":["foo","bar"]}],
            "readinessGates":[{"conditionType":"ready/gate"}],
            "topologySpreadConstraints":[{"maxSkew":1,"topologyKey":"zone","whenUnsatisfiable":"DoNotSchedule","labelSelector":selector_json,"minDomains":2}],
            "os":{"name":"linux"},
            "shareProcessNamespace":true,
            "runtimeClassName":"",
            "overhead":{"cpu":"250m"},
            "securityContext":{"supplementalGroups":[7,300],"sysctls":[{"name":"net.x","value":"1"}]}
        })
    );
}

#[test]
fn object_meta_fields_decode() {
    let managed = Pb::new()
        .str(1, "kubectl-client-side-apply")
        .str(2, "Update")
        .str(3, "v1")
        .msg(4, Pb::new().int(1, 1_700_000_000).int(2, 123))
        .str(6, "FieldsV1")
        .msg(7, Pb::new().bytes(1, br#"{"f:data":{".":{},"f:a":{}}}"#))
        .str(8, "");
    let meta = Pb::new()
        .str(1, "")
        .str(2, "gen-")
        .str(3, "ns1")
        .str(5, "1234")
        .str(6, "42")
        .int(7, 3)
        .msg(8, Pb::new().int(1, 1_700_000_000))
        .msg(9, Pb::new().int(1, 1_700_000_030))
        .int(10, 0)
        .entry(11, "a", "1")
        .entry(12, "note", "")
        .msg(
            13,
            Pb::new()
                .str(1, "ReplicaSet")
                .str(3, "rs")
                .str(4, "u1")
                .str(5, "apps/v1")
                .bool(6, true)
                .bool(7, false),
        )
        .str(14, "example.com/f")
        .msg(17, managed);
    let secret = Pb::new()
        .msg(1, meta)
        .bool(5, false)
        .entry(4, "plain", "text")
        .str(3, "Opaque");

    let decoded = decode_object(&envelope("v1", "Secret", secret), &SECRETS).unwrap();

    assert_eq!(
        decoded,
        json!({
            "kind":"Secret","apiVersion":"v1",
            "metadata":{
                "generateName":"gen-","namespace":"ns1","uid":"1234","resourceVersion":"42","generation":3,
                "creationTimestamp":"2023-11-14T22:13:20Z","deletionTimestamp":"2023-11-14T22:13:50Z",
                "deletionGracePeriodSeconds":0,
                "labels":{"a":"1"},"annotations":{"note":""},
                "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"rs","uid":"u1","controller":true,"blockOwnerDeletion":false}],
                "finalizers":["example.com/f"],
                "managedFields":[{"manager":"kubectl-client-side-apply","operation":"Update","apiVersion":"v1",
                    "time":"2023-11-14T22:13:20Z","fieldsType":"FieldsV1","fieldsV1":{"f:data":{".":{},"f:a":{}}}}]
            },
            "immutable":false,
            "stringData":{"plain":"text"},
            "type":"Opaque"
        })
    );
}

#[test]
fn presence_follows_go_pointers_and_omitempty() {
    // ServiceAccount.automountServiceAccountToken is *bool: a present false stays.
    let sa = Pb::new()
        .msg(1, object_meta("sa"))
        .bool(4, false)
        .msg(3, Pb::new().str(1, ""));
    let decoded = decode_object(&envelope("v1", "ServiceAccount", sa), &SERVICE_ACCOUNTS).unwrap();
    assert_eq!(decoded["automountServiceAccountToken"], json!(false));
    // LocalObjectReference.name has omitempty: the entry stays, its empty name does not.
    assert_eq!(decoded["imagePullSecrets"], json!([{}]));

    // ConfigMap.immutable absent → omitted; a later occurrence of a scalar wins.
    let cm = Pb::new().msg(1, object_meta("c").str(1, "c2"));
    let decoded = decode_object(&envelope("v1", "ConfigMap", cm), &CONFIG_MAPS).unwrap();
    assert_eq!(
        decoded,
        json!({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c2","creationTimestamp":null}})
    );

    // Namespace status phase "" is omitempty; a condition's required type/status stay.
    let ns = Pb::new().msg(1, object_meta("n")).msg(
        3,
        Pb::new().str(1, "").msg(
            2,
            Pb::new()
                .str(1, "")
                .str(2, "")
                .msg(4, Pb::new())
                .str(5, "")
                .str(6, ""),
        ),
    );
    let decoded = decode_object(&envelope("v1", "Namespace", ns), &NAMESPACES).unwrap();
    assert_eq!(
        decoded["status"],
        json!({"conditions":[{"type":"","status":"","lastTransitionTime":null}]})
    );
    assert!(
        decoded.get("spec").is_none(),
        "an absent message is not invented"
    );
}

#[test]
fn self_subject_review_user_info_decodes() {
    let user = Pb::new()
        .str(1, "alice")
        .str(2, "u-1")
        .str(3, "dev")
        .str(3, "ops")
        .msg(
            4,
            Pb::new()
                .str(1, "scopes")
                .msg(2, Pb::new().str(1, "a").str(1, "b")),
        );
    let review = Pb::new()
        .msg(1, object_meta(""))
        .msg(2, Pb::new().msg(1, user));
    let decoded = decode_object(
        &envelope("authentication.k8s.io/v1", "SelfSubjectReview", review),
        &SELF_SUBJECT_REVIEWS,
    )
    .unwrap();
    assert_eq!(
        decoded["status"],
        json!({"userInfo":{"username":"alice","uid":"u-1","groups":["dev","ops"],"extra":{"scopes":["a","b"]}}})
    );
}

#[test]
fn volume_types_beyond_the_basics_decode() {
    let volumes = Pb::new()
        .msg(
            1,
            Pb::new().str(1, "n").msg(
                2,
                Pb::new().msg(7, Pb::new().str(1, "srv").str(2, "/x").bool(3, true)),
            ),
        )
        .msg(
            1,
            Pb::new().str(1, "csi").msg(
                2,
                Pb::new().msg(
                    28,
                    Pb::new()
                        .str(1, "d.example.com")
                        .bool(2, true)
                        .entry(4, "k", "v")
                        .msg(5, Pb::new().str(1, "sec")),
                ),
            ),
        )
        .msg(
            1,
            Pb::new().str(1, "img").msg(
                2,
                Pb::new().msg(30, Pb::new().str(1, "repo/img:1").str(2, "Always")),
            ),
        )
        .msg(
            1,
            Pb::new().str(1, "eph").msg(
                2,
                Pb::new().msg(
                    29,
                    Pb::new().msg(
                        1,
                        Pb::new().msg(1, object_meta("")).msg(
                            2,
                            Pb::new()
                                .str(1, "ReadWriteOnce")
                                .msg(2, Pb::new().quantity_entry(2, "storage", "1Gi"))
                                .str(3, "")
                                .str(5, "fast"),
                        ),
                    ),
                ),
            ),
        )
        .msg(2, container("c", "i").msg(8, Pb::new()));
    let pod = Pb::new().msg(1, object_meta("p")).msg(2, volumes);
    let decoded = decode_object(&envelope("v1", "Pod", pod), &PODS).unwrap();
    assert_eq!(
        decoded["spec"]["volumes"],
        json!([
            {"name":"n","nfs":{"server":"srv","path":"/x","readOnly":true}},
            {"name":"csi","csi":{"driver":"d.example.com","readOnly":true,"volumeAttributes":{"k":"v"},"nodePublishSecretRef":{"name":"sec"}}},
            {"name":"img","image":{"reference":"repo/img:1","pullPolicy":"Always"}},
            {"name":"eph","ephemeral":{"volumeClaimTemplate":{"metadata":{"creationTimestamp":null},
                "spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}},"storageClassName":"fast"}}}}
        ])
    );
}

/// TokenRequest and TokenReview (authentication/v1) decode for the bound-token endpoints.
#[test]
fn token_request_and_token_review_decode() {
    let token_requests = ResourceInfo {
        group: "authentication.k8s.io",
        kind: "TokenRequest",
        plural: "tokenrequests",
        ..SELF_SUBJECT_REVIEWS
    };
    let bound = Pb::new()
        .str(1, "Pod")
        .str(2, "v1")
        .str(3, "p")
        .str(4, "u-1");
    let request = Pb::new()
        .msg(1, object_meta("sa"))
        .msg(2, Pb::new().str(1, "api").int(4, 3600).msg(3, bound))
        .msg(3, Pb::new().str(1, "").msg(2, Pb::new()));
    let decoded = decode_object(
        &envelope("authentication.k8s.io/v1", "TokenRequest", request),
        &token_requests,
    )
    .unwrap();
    assert_eq!(
        decoded,
        json!({"kind":"TokenRequest","apiVersion":"authentication.k8s.io/v1",
               "metadata":{"name":"sa","creationTimestamp":null},
               "spec":{"audiences":["api"],"expirationSeconds":3600,
                       "boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":"p","uid":"u-1"}},
               "status":{"token":"","expirationTimestamp":null}})
    );

    let token_reviews = ResourceInfo {
        group: "authentication.k8s.io",
        kind: "TokenReview",
        plural: "tokenreviews",
        ..SELF_SUBJECT_REVIEWS
    };
    let review = Pb::new()
        .msg(1, object_meta(""))
        .msg(2, Pb::new().str(1, "jwt").str(2, "api"))
        .msg(3, Pb::new().bool(1, false).msg(2, Pb::new()).str(3, ""));
    let decoded = decode_object(
        &envelope("authentication.k8s.io/v1", "TokenReview", review),
        &token_reviews,
    )
    .unwrap();
    assert_eq!(
        decoded,
        json!({"kind":"TokenReview","apiVersion":"authentication.k8s.io/v1",
               "metadata":{"creationTimestamp":null},
               "spec":{"token":"jwt","audiences":["api"]},
               "status":{"user":{}}})
    );
}

/// Kinds the old tables refused now decode: ephemeral containers, deprecated volume plugins.
#[test]
fn every_core_field_decodes() {
    let pod = Pb::new().msg(
        2,
        Pb::new()
            .msg(
                1,
                Pb::new()
                    .str(1, "gce")
                    .msg(2, Pb::new().msg(3, Pb::new().str(1, "pd").bool(4, true))),
            )
            .msg(
                34,
                Pb::new().msg(1, container("dbg", "busybox")).str(2, "c1"),
            ),
    );
    let decoded = decode_object(&envelope("v1", "Pod", pod), &PODS).unwrap();
    assert_eq!(
        decoded["spec"],
        json!({"volumes":[{"name":"gce","gcePersistentDisk":{"pdName":"pd","readOnly":true}}],
               "ephemeralContainers":[{"name":"dbg","image":"busybox","targetContainerName":"c1"}]})
    );
}

#[test]
fn scalar_encodings_decode() {
    let schema = Schema::get().unwrap();
    let decode = |name: &str, message: &Pb| {
        let descriptor = schema
            .pool
            .get_message_by_name(name)
            .expect("upstream message");
        let special = special(&descriptor).expect("a type with its own JSON form");
        let mut decoder = Decoder {
            schema,
            path: Vec::new(),
        };
        decoder.special_json(special, &descriptor, &message.0)
    };
    let time = "k8s.io.apimachinery.pkg.apis.meta.v1.Time";
    let micro_time = "k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime";
    let int_or_string = "k8s.io.apimachinery.pkg.util.intstr.IntOrString";
    let quantity_type = "k8s.io.apimachinery.pkg.api.resource.Quantity";
    // Time: seconds only, zero time (Go's year 1) is null; IntOrString both ways.
    let cases: &[(&str, Pb, Value)] = &[
        (time, Pb::new().int(1, 0), json!("1970-01-01T00:00:00Z")),
        (time, Pb::new().int(1, GO_ZERO_TIME_SECONDS), Value::Null),
        (time, Pb::new(), Value::Null),
        (
            micro_time,
            Pb::new().int(1, 0).int(2, 1_234_567),
            json!("1970-01-01T00:00:00.001234Z"),
        ),
        (int_or_string, Pb::new().int(1, 0).int(2, 443), json!(443)),
        (
            int_or_string,
            Pb::new().int(1, 1).str(3, "https"),
            json!("https"),
        ),
        (int_or_string, Pb::new(), json!(0)),
        (quantity_type, Pb::new(), json!("0")),
        (quantity_type, quantity("1.5Gi"), json!("1.5Gi")),
    ];
    for (name, message, expected) in cases {
        assert_eq!(&decode(name, message).unwrap(), expected, "{name}");
    }
    assert!(decode(int_or_string, &Pb::new().int(1, 2)).is_err());
    assert!(decode(time, &Pb::new().int(1, i64::MAX)).is_err());
}
