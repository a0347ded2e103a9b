//! TokenRequest's steps against a store, mirroring the API checks of upstream's
//! TestServiceAccountTokenCreate (test/integration/auth/svcaccttoken_test.go).

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};

use super::*;
use crate::apiserver::kinds::NAMESPACES;
use crate::apiserver::namespaces::initial_namespace;
use crate::clock::FakeClock;
use crate::serviceaccount::keys::tests::{ec_fixture, signing_key};
use crate::serviceaccount::EcCurve;

const NOW: i64 = 1_700_000_000;

fn store() -> Store {
    let clock = Arc::new(FakeClock::new(
        jiff::Timestamp::from_second(NOW).expect("timestamp"),
    ));
    let store = Store::with_clock(100, clock);
    store
        .create(&NAMESPACES, initial_namespace("ns", "2023-11-14T22:13:20Z"))
        .expect("namespace");
    store
        .create(
            &SERVICE_ACCOUNTS,
            json!({"apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": {"name": "sa", "namespace": "ns", "uid": "sa-uid"}}),
        )
        .expect("service account");
    store
}

fn add_pod(store: &Store, name: &str, account: &str, node: Option<&str>) {
    let mut spec =
        json!({"serviceAccountName": account, "containers": [{"name": "c", "image": "i"}]});
    if let Some(node) = node {
        spec["nodeName"] = json!(node);
    }
    store
        .create(
            &PODS,
            json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "namespace": "ns", "uid": format!("{name}-uid")},
                "spec": spec}),
        )
        .expect("pod");
}

fn options() -> IssuerOptions {
    IssuerOptions {
        issuers: vec!["https://issuer.test".into()],
        api_audiences: vec!["api".into()],
        ..Default::default()
    }
}

fn rest(options: &IssuerOptions) -> TokenRequestRest {
    TokenRequestRest::new(options, Arc::new(signing_key(&ec_fixture(EcCurve::P256))))
}

fn request(spec: Value) -> Value {
    json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec})
}

fn payload(issued: &Issued) -> Value {
    let token = &issued.response.status.as_ref().expect("status").token;
    let part = token.split('.').nth(1).expect("payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64")).expect("json")
}

fn message(result: Result<Issued, ApiError>) -> (u16, String) {
    let error = result.expect_err("an error");
    (error.code, error.message.clone())
}

#[test]
fn bound_to_service_account() {
    let store = store();
    let rest = rest(&options());
    assert_eq!(
        message(rest.create(&store, "ns", "missing", request(json!({})))),
        (404, "serviceaccounts \"missing\" not found".into())
    );
    let mut named = request(json!({}));
    named["metadata"] = json!({"name": "other"});
    assert_eq!(
        message(rest.create(&store, "ns", "sa", named)),
        (422, "TokenRequest.authentication.k8s.io \"sa\" is invalid: metadata.name: Invalid value: \"other\": must match the service account name if specified".into())
    );
    // kubectl's body: every spec field null.
    let issued = rest
        .create(
            &store,
            "ns",
            "sa",
            request(json!({"audiences": null, "expirationSeconds": null, "boundObjectRef": null})),
        )
        .expect("token");
    assert!(issued.warnings.is_empty());
    let response = serde_json::to_value(&issued.response).expect("json");
    assert_eq!(response["metadata"]["name"], "sa");
    assert_eq!(response["metadata"]["namespace"], "ns");
    assert_eq!(
        response["metadata"]["creationTimestamp"],
        "2023-11-14T22:13:20Z"
    );
    assert_eq!(response["spec"]["audiences"], json!(["api"]));
    assert_eq!(response["spec"]["expirationSeconds"], 3600);
    assert_eq!(
        response["status"]["expirationTimestamp"],
        "2023-11-14T23:13:20Z"
    );
    let claims = payload(&issued);
    assert_eq!(claims["aud"], json!(["api"]));
    assert_eq!(claims["iss"], "https://issuer.test");
    assert_eq!(claims["sub"], "system:serviceaccount:ns:sa");
    assert_eq!(claims["exp"], NOW + 3600);
    assert_eq!(claims["iat"], NOW);
    assert_eq!(claims["nbf"], NOW);
    assert_eq!(
        claims["kubernetes.io"],
        json!({"namespace": "ns", "serviceaccount": {"name": "sa", "uid": "sa-uid"}})
    );
}

#[test]
fn expiration_limits_use_upstreams_texts() {
    let store = store();
    let rest = rest(&options());
    let cases = [
        (60, Some("TokenRequest.authentication.k8s.io \"\" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes")),
        (599, Some("TokenRequest.authentication.k8s.io \"\" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes")),
        (600, None),
        (1_i64 << 32, None),
        ((1_i64 << 32) + 1, Some("TokenRequest.authentication.k8s.io \"\" is invalid: spec.expirationSeconds: Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds")),
    ];
    for (seconds, want) in cases {
        let result = rest.create(
            &store,
            "ns",
            "sa",
            request(json!({"expirationSeconds": seconds})),
        );
        match want {
            None => assert!(result.is_ok(), "{seconds}"),
            Some(text) => {
                let error = result.expect_err("invalid");
                assert_eq!(error.code, 422);
                assert_eq!(error.message, text);
                assert_eq!(error.causes[0].field, "spec.expirationSeconds");
                assert_eq!(error.causes[0].reason, "FieldValueInvalid");
            }
        }
    }
}

#[test]
fn bound_to_pod_secret_and_node() {
    let store = store();
    let rest = rest(&options());
    let bind = |kind: &str, api_version: &str, name: &str, uid: Option<&str>| {
        let mut reference = json!({"kind": kind, "apiVersion": api_version, "name": name});
        if let Some(uid) = uid {
            reference["uid"] = json!(uid);
        }
        rest.create(
            &store,
            "ns",
            "sa",
            request(json!({"boundObjectRef": reference})),
        )
    };
    // The lookup's key function refuses names no object can have, before looking.
    assert_eq!(
        message(bind("Pod", "v1", "", None)),
        (400, "Name parameter required.".into())
    );
    assert_eq!(
        message(bind("Node", "v1", "a/b", None)),
        (
            400,
            "Name parameter invalid: \"a/b\": may not contain '/'".into()
        )
    );
    assert_eq!(
        message(bind("Pod", "v1", "p", None)),
        (404, "pods \"p\" not found".into())
    );
    add_pod(&store, "p", "sa", None);
    add_pod(&store, "other", "someone-else", None);
    add_pod(&store, "scheduled", "sa", Some("n"));
    assert_eq!(
        message(bind("Pod", "v1", "other", None)),
        (400, "cannot bind token for serviceaccount \"sa\" to pod running with different serviceaccount name.".into())
    );
    assert_eq!(
        message(bind("Pod", "v1", "p", Some("wrong"))),
        (409, "Operation cannot be fulfilled on Pod \"p\": the UID in the bound object reference (wrong) does not match the UID in record. The object might have been deleted and then recreated".into())
    );
    for (api_version, uid) in [("v1", None), ("", Some("p-uid")), ("v2", None)] {
        let issued = bind("Pod", api_version, "p", uid).expect("pod token");
        assert_eq!(
            payload(&issued)["kubernetes.io"]["pod"],
            json!({"name": "p", "uid": "p-uid"})
        );
        assert!(payload(&issued)["kubernetes.io"].get("node").is_none());
        // The reference is echoed as sent.
        let echoed = serde_json::to_value(&issued.response).expect("json");
        assert_eq!(
            echoed["spec"]["boundObjectRef"]
                .get("uid")
                .and_then(Value::as_str),
            uid
        );
    }
    assert_eq!(
        message(bind("Pod", "apps/v1", "p", None)),
        (
            400,
            "cannot bind token to object of type apps/v1, Kind=Pod".into()
        )
    );
    assert_eq!(
        message(bind("ConfigMap", "v1", "c", None)),
        (
            400,
            "cannot bind token to object of type /v1, Kind=ConfigMap".into()
        )
    );
    // A scheduled pod: the node's name, and its uid once the node exists.
    let issued = bind("Pod", "v1", "scheduled", None).expect("token");
    assert_eq!(
        payload(&issued)["kubernetes.io"]["node"],
        json!({"name": "n"})
    );
    assert_eq!(
        message(bind("Node", "v1", "n", None)),
        (404, "nodes \"n\" not found".into())
    );
    store
        .create(
            &NODES,
            json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n", "uid": "n-uid"}}),
        )
        .expect("node");
    let issued = bind("Pod", "v1", "scheduled", None).expect("token");
    assert_eq!(
        payload(&issued)["kubernetes.io"]["node"],
        json!({"name": "n", "uid": "n-uid"})
    );
    let issued = bind("Node", "v1", "n", Some("n-uid")).expect("node token");
    assert_eq!(
        payload(&issued)["kubernetes.io"],
        json!({"namespace": "ns", "node": {"name": "n", "uid": "n-uid"},
            "serviceaccount": {"name": "sa", "uid": "sa-uid"}})
    );
    assert_eq!(
        message(bind("Secret", "v1", "s", None)),
        (404, "secrets \"s\" not found".into())
    );
    store
        .create(
            &SECRETS,
            json!({"apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": "s", "namespace": "ns", "uid": "s-uid"}}),
        )
        .expect("secret");
    let issued = bind("Secret", "v1", "s", None).expect("secret token");
    assert_eq!(
        payload(&issued)["kubernetes.io"]["secret"],
        json!({"name": "s", "uid": "s-uid"})
    );
}

#[test]
fn cap_and_extension() {
    let store = store();
    add_pod(&store, "p", "sa", None);
    let pod_ref = json!({"kind": "Pod", "apiVersion": "v1", "name": "p"});
    let extended = rest(&options())
        .create(
            &store,
            "ns",
            "sa",
            request(json!({"expirationSeconds": 3607, "boundObjectRef": pod_ref})),
        )
        .expect("token");
    let claims = payload(&extended);
    assert_eq!(claims["exp"], NOW + EXPIRATION_EXTENSION_SECONDS);
    assert_eq!(claims["kubernetes.io"]["warnafter"], NOW + 3607);
    let response = serde_json::to_value(&extended.response).expect("json");
    assert_eq!(response["spec"]["expirationSeconds"], 3607);
    assert_eq!(
        response["status"]["expirationTimestamp"],
        "2023-11-14T23:13:27Z"
    );

    // Another audience, no pod, or the extension off: no extension.
    let plain = |spec: Value, options: &IssuerOptions| {
        payload(
            &rest(options)
                .create(&store, "ns", "sa", request(spec))
                .expect("token"),
        )
    };
    for (spec, options) in [
        (
            json!({"expirationSeconds": 3607, "boundObjectRef": pod_ref, "audiences": ["not-the-api", "api"]}),
            options(),
        ),
        (json!({"expirationSeconds": 3607}), options()),
        (
            json!({"expirationSeconds": 3607, "boundObjectRef": pod_ref}),
            IssuerOptions {
                extend_token_expiration: false,
                ..options()
            },
        ),
    ] {
        let claims = plain(spec.clone(), &options);
        assert_eq!(claims["exp"], NOW + 3607, "{spec}");
        assert!(claims["kubernetes.io"].get("warnafter").is_none(), "{spec}");
    }

    let capped = IssuerOptions {
        max_token_expiration: Some(Duration::from_secs(7200)),
        ..options()
    };
    let within = rest(&capped)
        .create(
            &store,
            "ns",
            "sa",
            request(json!({"expirationSeconds": 7200})),
        )
        .expect("token");
    assert!(within.warnings.is_empty());
    let over = rest(&capped)
        .create(
            &store,
            "ns",
            "sa",
            request(json!({"expirationSeconds": 10000})),
        )
        .expect("token");
    assert_eq!(
        over.warnings,
        ["requested expiration of 10000 seconds shortened to 7200 seconds"]
    );
    assert_eq!(over.response.spec.expiration_seconds, Some(7200));
    assert_eq!(payload(&over)["exp"], NOW + 7200);
}

#[test]
fn discovery_lists_the_subresource_after_service_accounts() {
    use crate::apiserver::discovery::{aggregated_discovery, api_resource_list, DiscoveryVersion};
    let mut list = api_resource_list("", "v1").expect("core list");
    add_to_resource_list(&mut list);
    let resources = list["resources"].as_array().expect("resources");
    let at = resources
        .iter()
        .position(|r| r["name"] == "serviceaccounts")
        .expect("serviceaccounts");
    assert_eq!(
        resources[at + 1],
        json!({"name": "serviceaccounts/token", "singularName": "", "namespaced": true,
            "group": "authentication.k8s.io", "version": "v1", "kind": "TokenRequest",
            "verbs": ["create"]})
    );
    let mut aggregated = aggregated_discovery(true, DiscoveryVersion::V2);
    add_to_aggregated(&mut aggregated);
    let service_accounts = aggregated["items"][0]["versions"][0]["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .find(|r| r["resource"] == "serviceaccounts")
        .expect("serviceaccounts")
        .clone();
    assert_eq!(
        service_accounts["subresources"],
        json!([{"subresource": "token",
            "responseKind": {"group": "authentication.k8s.io", "version": "v1", "kind": "TokenRequest"},
            "verbs": ["create"]}])
    );
}
