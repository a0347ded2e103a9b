//! Mirrors upstream's TestValidatePrivateClaims (pkg/serviceaccount/claims_test.go) and the
//! bound-token cases of TestTokenGenerateAndValidate (pkg/serviceaccount/jwt_test.go).

use std::collections::{BTreeMap, HashMap};

use futures::executor::block_on;
use k8s_openapi::api::core::v1::{Node, Pod, Secret, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::*;
use crate::clock::FakeClock;
use crate::serviceaccount::authenticator::GetterError;
use crate::serviceaccount::claims::{claims, AccountRef, BoundObjects, ClaimsRequest, ObjectRef};
use crate::serviceaccount::jws::{CRYPTO_ERROR, NO_KEYS_FOUND};
use crate::serviceaccount::keys::tests::{ec_fixture, rsa_fixture, signing_key};
use crate::serviceaccount::keys::{EcCurve, SigningKey};
use crate::serviceaccount::TokenGenerator;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

const NOW: i64 = 1_700_000_000;

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).expect("timestamp")
}

fn meta(name: &str, uid: &str, deleted: Option<i64>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        namespace: Some("ns".into()),
        uid: Some(uid.into()),
        deletion_timestamp: deleted.map(|s| Time(at(s))),
        ..Default::default()
    }
}

/// Objects by name; what is absent is NotFound.
#[derive(Default, Clone)]
struct Getter {
    service_accounts: HashMap<String, ServiceAccount>,
    secrets: HashMap<String, Secret>,
    pods: HashMap<String, Pod>,
    nodes: HashMap<String, Node>,
}

impl Getter {
    /// The account `saname`, secret `secretname`, pod `podname` and node `nodename`, with
    /// uids `<kind>uid`, and the deletion time of one of them.
    fn with(deleted: Option<(&str, i64)>) -> Self {
        let when = |kind: &str| deleted.filter(|(k, _)| *k == kind).map(|(_, t)| t);
        let mut getter = Self::default();
        getter.service_accounts.insert(
            "saname".into(),
            ServiceAccount {
                metadata: meta("saname", "sauid", when("serviceaccount")),
                ..Default::default()
            },
        );
        getter.secrets.insert(
            "secretname".into(),
            Secret {
                metadata: meta("secretname", "secretuid", when("secret")),
                ..Default::default()
            },
        );
        getter.pods.insert(
            "podname".into(),
            Pod {
                metadata: meta("podname", "poduid", when("pod")),
                ..Default::default()
            },
        );
        getter.nodes.insert(
            "nodename".into(),
            Node {
                metadata: meta("nodename", "nodeuid", when("node")),
                ..Default::default()
            },
        );
        getter
    }
}

fn found<T: Clone>(map: &HashMap<String, T>, resource: &str, name: &str) -> Result<T, GetterError> {
    map.get(name)
        .cloned()
        .ok_or_else(|| GetterError::not_found(resource, name))
}

impl ServiceAccountTokenGetter for Getter {
    fn get_service_account<'a>(
        &'a self,
        _namespace: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<ServiceAccount, GetterError>> {
        let result = found(&self.service_accounts, "serviceaccounts", name);
        Box::pin(async move { result })
    }
    fn get_secret<'a>(
        &'a self,
        _namespace: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Secret, GetterError>> {
        let result = found(&self.secrets, "secrets", name);
        Box::pin(async move { result })
    }
    fn get_pod<'a>(
        &'a self,
        _namespace: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Pod, GetterError>> {
        let result = found(&self.pods, "pods", name);
        Box::pin(async move { result })
    }
    fn get_node<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Node, GetterError>> {
        let result = found(&self.nodes, "nodes", name);
        Box::pin(async move { result })
    }
}

fn reference(name: &str, uid: &str) -> Option<ObjectRef> {
    Some(ObjectRef::new(name, uid))
}

fn token_claims(bound: BoundObjects, sa_uid: &str, issued: i64, lifetime: i64) -> BoundClaims {
    claims(
        AccountRef {
            namespace: "ns",
            name: "saname",
            uid: sa_uid,
        },
        &bound,
        &ClaimsRequest {
            audiences: &["api".to_string()],
            now: issued,
            expiration_seconds: lifetime,
            warnafter_seconds: 0,
            jti: "jti-1".into(),
        },
    )
    .expect("claims")
}

/// TestValidatePrivateClaims: exact texts, and the 60 s deletion leeway for each kind.
#[test]
fn validate_private_claims() {
    let pod = || BoundObjects {
        pod: reference("podname", "poduid"),
        ..Default::default()
    };
    let secret = || BoundObjects {
        secret: reference("secretname", "secretuid"),
        ..Default::default()
    };
    let node = || BoundObjects {
        node: reference("nodename", "nodeuid"),
        ..Default::default()
    };
    let plain = |bound: BoundObjects| token_claims(bound, "sauid", NOW - 10, 100);
    let mut cases: Vec<(String, BoundClaims, Getter, Option<String>)> = vec![
        ("good".into(), plain(BoundObjects::default()), Getter::with(None), None),
        (
            "expired".into(),
            token_claims(BoundObjects::default(), "sauid", NOW - 1000, 100),
            Getter::with(None),
            Some("service account token has expired".into()),
        ),
        (
            "not yet valid".into(),
            token_claims(BoundObjects::default(), "sauid", NOW + 1000, 100),
            Getter::with(None),
            Some("service account token is not valid yet".into()),
        ),
        (
            "missing serviceaccount".into(),
            plain(BoundObjects::default()),
            Getter::default(),
            Some("serviceaccounts \"saname\" not found".into()),
        ),
        (
            "different uid serviceaccount".into(),
            token_claims(BoundObjects::default(), "sauidold", NOW - 10, 100),
            Getter::with(None),
            Some("service account UID (sauid) does not match claim (sauidold)".into()),
        ),
        (
            "different uid secret".into(),
            plain(BoundObjects {
                secret: reference("secretname", "secretuidold"),
                ..Default::default()
            }),
            Getter::with(None),
            Some("secret UID (secretuid) does not match service account secret ref claim (secretuidold)".into()),
        ),
        (
            "different uid pod".into(),
            plain(BoundObjects {
                pod: reference("podname", "poduidold"),
                ..Default::default()
            }),
            Getter::with(None),
            Some("pod UID (poduid) does not match service account pod ref claim (poduidold)".into()),
        ),
        (
            "different uid node".into(),
            plain(BoundObjects {
                node: reference("nodename", "nodeuidold"),
                ..Default::default()
            }),
            Getter::with(None),
            Some("node UID (nodeuid) does not match service account node ref claim (nodeuidold)".into()),
        ),
        (
            // A pod's node is not looked up.
            "pod with a node that does not exist".into(),
            plain(BoundObjects {
                pod: reference("podname", "poduid"),
                node: reference("gone", "goneuid"),
                secret: None,
            }),
            Getter::with(None),
            None,
        ),
    ];
    for (kind, bound) in [("secret", secret()), ("pod", pod()), ("node", node())] {
        let mut empty = Getter::with(None);
        match kind {
            "secret" => empty.secrets.clear(),
            "pod" => empty.pods.clear(),
            _ => empty.nodes.clear(),
        }
        cases.push((
            format!("missing {kind}"),
            plain(bound),
            empty,
            Some(INVALIDATED.into()),
        ));
    }
    for (kind, bound) in [
        ("serviceaccount", BoundObjects::default()),
        ("secret", secret()),
        ("pod", pod()),
        ("node", node()),
    ] {
        let invalid = if kind == "serviceaccount" {
            "service account ns/saname has been deleted".to_string()
        } else {
            INVALIDATED.to_string()
        };
        for (name, deleted, want) in [
            ("deleted now", NOW, None),
            ("deleted near past", NOW - 1, None),
            ("deleted near future", NOW + 1, None),
            ("deleted now-leeway", NOW - 60, None),
            ("deleted now-leeway-1", NOW - 61, Some(invalid.clone())),
        ] {
            cases.push((
                format!("{name} {kind}"),
                plain(bound.clone()),
                Getter::with(Some((kind, deleted))),
                want,
            ));
        }
    }
    for (name, claims, getter, want) in cases {
        let got = block_on(validate(&claims, &getter, at(NOW)));
        match want {
            None => assert!(got.is_ok(), "{name}: {got:?}"),
            Some(text) => assert_eq!(got.expect_err(&name).0, text, "{name}"),
        }
    }
}

#[test]
fn time_checks_allow_a_minute_of_leeway() {
    let getter = Getter::with(None);
    let cases = [
        // (issued, lifetime, error)
        (NOW - 100, 40, None), // expired 60 s ago
        (NOW - 100, 39, Some("service account token has expired")), // 61 s ago
        (NOW + 60, 600, None),
        (
            NOW + 61,
            600,
            Some("service account token is not valid yet"),
        ),
    ];
    for (issued, lifetime, want) in cases {
        let claims = token_claims(BoundObjects::default(), "sauid", issued, lifetime);
        let got = block_on(validate(&claims, &getter, at(NOW)));
        assert_eq!(
            got.err().map(|e| e.0),
            want.map(String::from),
            "{issued} {lifetime}"
        );
    }
    let mut future = token_claims(BoundObjects::default(), "sauid", NOW, 600);
    future.iat = Some(NOW + 61);
    assert_eq!(
        block_on(validate(&future, &getter, at(NOW))).unwrap_err().0,
        "service account token is issued in the future"
    );
}

#[test]
fn expiry_is_checked_at_full_precision() {
    // go-jose compares the full-precision time with `exp + 60 s`: a token that expired
    // 60.001 s ago is refused, one that expired exactly 60 s ago is not; `nbf` and `iat`
    // are unaffected by the fraction (their bound is a whole second).
    let getter = Getter::with(None);
    let claims = token_claims(BoundObjects::default(), "sauid", NOW - 100, 40);
    let just_past = at(NOW)
        .checked_add(jiff::SignedDuration::from_millis(1))
        .expect("timestamp");
    assert_eq!(
        block_on(validate(&claims, &getter, just_past))
            .unwrap_err()
            .0,
        "service account token has expired"
    );
    assert!(block_on(validate(&claims, &getter, at(NOW))).is_ok());
    let early = token_claims(BoundObjects::default(), "sauid", NOW + 60, 600);
    let before_nbf_window = at(NOW)
        .checked_sub(jiff::SignedDuration::from_millis(1))
        .expect("timestamp");
    assert_eq!(
        block_on(validate(&early, &getter, before_nbf_window))
            .unwrap_err()
            .0,
        "service account token is not valid yet"
    );
    assert!(block_on(validate(&early, &getter, at(NOW))).is_ok());
}

#[test]
fn user_info_carries_the_extra_fields() {
    let getter = Getter::with(None);
    let user = |bound: BoundObjects| {
        block_on(validate(
            &token_claims(bound, "sauid", NOW, 600),
            &getter,
            at(NOW),
        ))
        .expect("valid")
    };
    let unbound = user(BoundObjects::default());
    assert_eq!(unbound.username, "system:serviceaccount:ns:saname");
    assert_eq!(unbound.uid, "sauid");
    assert_eq!(
        unbound.groups,
        ["system:serviceaccounts", "system:serviceaccounts:ns"]
    );
    assert_eq!(
        unbound.extra,
        BTreeMap::from([(
            CREDENTIAL_ID_EXTRA.to_string(),
            vec!["JTI=jti-1".to_string()]
        )])
    );
    let scheduled = user(BoundObjects {
        pod: reference("podname", "poduid"),
        node: reference("nodename", ""),
        secret: None,
    });
    let keys: Vec<&str> = scheduled.extra.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            CREDENTIAL_ID_EXTRA,
            NODE_NAME_EXTRA,
            POD_NAME_EXTRA,
            POD_UID_EXTRA
        ]
    );
    assert_eq!(scheduled.extra[POD_UID_EXTRA], ["poduid"]);
    let node = user(BoundObjects {
        node: reference("nodename", "nodeuid"),
        ..Default::default()
    });
    assert_eq!(node.extra[NODE_NAME_EXTRA], ["nodename"]);
    assert_eq!(node.extra[NODE_UID_EXTRA], ["nodeuid"]);
}

struct Keys {
    rsa: Arc<SigningKey>,
    other_rsa: Arc<SigningKey>,
    ec: Arc<SigningKey>,
    other_ec: Arc<SigningKey>,
}

fn keys() -> Keys {
    Keys {
        rsa: Arc::new(signing_key(rsa_fixture())),
        other_rsa: Arc::new(SigningKey::generate_rsa(2048).expect("rsa")),
        ec: Arc::new(signing_key(&ec_fixture(EcCurve::P256))),
        other_ec: Arc::new(SigningKey::generate_ecdsa_p256().expect("ec")),
    }
}

fn bound_token(issuer: &str, key: &Arc<SigningKey>) -> String {
    TokenGenerator::with_key_id(issuer, key.clone())
        .bound_token(&token_claims(BoundObjects::default(), "sauid", NOW, 600))
        .expect("token")
}

/// TestTokenGenerateAndValidate, bound-token cases: "no keys", "invalid keys", "valid key",
/// "valid key, invalid issuer", "valid key, different issuer", "rotated keys", and a
/// non-JWT that is nobody's error.
#[test]
fn token_generate_and_validate() {
    let k = keys();
    let public = |key: &Arc<SigningKey>| key.public_key().clone();
    let issuers = vec!["foo".to_string(), "bar".to_string()];
    let authenticator = |keys: Vec<PublicKey>| {
        BoundTokenAuthenticator::new(
            issuers.clone(),
            keys,
            vec!["api".into()],
            Arc::new(Getter::with(None)),
            Arc::new(FakeClock::new(at(NOW))),
        )
    };
    type Want = Result<Option<&'static str>, &'static str>;
    let ok: Want = Ok(Some("system:serviceaccount:ns:saname"));
    let cases: Vec<(&str, String, Vec<PublicKey>, Want)> = vec![
        (
            "no keys",
            bound_token("foo", &k.rsa),
            vec![],
            Err(NO_KEYS_FOUND),
        ),
        (
            "invalid keys (rsa)",
            bound_token("foo", &k.rsa),
            vec![public(&k.other_rsa), public(&k.ec)],
            Err(NO_KEYS_FOUND),
        ),
        (
            "invalid keys (ecdsa)",
            bound_token("foo", &k.ec),
            vec![public(&k.other_ec), public(&k.rsa)],
            Err(NO_KEYS_FOUND),
        ),
        (
            "valid key (rsa)",
            bound_token("foo", &k.rsa),
            vec![public(&k.rsa)],
            ok,
        ),
        (
            "valid key, invalid issuer (rsa)",
            bound_token("other", &k.rsa),
            vec![public(&k.rsa)],
            Ok(None),
        ),
        (
            "valid key, different issuer (rsa)",
            bound_token("bar", &k.rsa),
            vec![public(&k.rsa)],
            ok,
        ),
        (
            "valid key (ecdsa)",
            bound_token("foo", &k.ec),
            vec![public(&k.ec)],
            ok,
        ),
        (
            "rotated keys (rsa)",
            bound_token("foo", &k.rsa),
            vec![public(&k.other_rsa), public(&k.rsa), public(&k.ec)],
            ok,
        ),
        (
            "rotated keys (ecdsa)",
            bound_token("foo", &k.ec),
            vec![public(&k.other_ec), public(&k.ec), public(&k.rsa)],
            ok,
        ),
        (
            "legacy token",
            TokenGenerator::legacy_with_key_id(k.rsa.clone())
                .legacy_token("ns", "saname", "sauid", "secretname")
                .expect("legacy token"),
            vec![public(&k.rsa)],
            Ok(None),
        ),
    ];
    for (name, token, keys, want) in cases {
        let authenticator = authenticator(keys);
        let got = block_on(authenticator.authenticate(&token))
            .map(|user| user.map(|u| u.username))
            .map_err(|e| e.0);
        let want = want
            .map(|user| user.map(String::from))
            .map_err(String::from);
        assert_eq!(got, want, "{name}");
        assert_eq!(
            block_on(authenticator.authenticate("invalid")),
            Ok(None),
            "{name}: non-JWT"
        );
    }
}

/// An authenticator of issuer `foo` and audience `api` that knows only `key`, at `NOW`.
fn issuer_foo_authenticator(key: &Arc<SigningKey>) -> BoundTokenAuthenticator {
    BoundTokenAuthenticator::new(
        vec!["foo".into()],
        vec![key.public_key().clone()],
        vec!["api".into()],
        Arc::new(Getter::with(None)),
        Arc::new(FakeClock::new(at(NOW))),
    )
}

#[test]
fn a_tampered_token_or_foreign_header_fails_the_signature() {
    let k = keys();
    let token = bound_token("foo", &k.ec);
    let authenticator = issuer_foo_authenticator(&k.ec);
    let mut parts: Vec<String> = token.split('.').map(String::from).collect();
    let mut payload: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
    payload["sub"] = "system:serviceaccount:ns:admin".into();
    parts[1] = URL_SAFE_NO_PAD.encode(payload.to_string());
    assert_eq!(
        block_on(authenticator.authenticate(&parts.join(".")))
            .unwrap_err()
            .0,
        CRYPTO_ERROR
    );
    // Not a JWS of ours: JSON serialization, two parts, an undecodable or non-string iss.
    for token in [
        "{\"payload\":\"x\"}".to_string(),
        "a.b".to_string(),
        format!("x.{}.y", URL_SAFE_NO_PAD.encode(r#"{"iss":5}"#)),
        format!("x.{}.y", URL_SAFE_NO_PAD.encode("not json")),
    ] {
        assert_eq!(
            block_on(authenticator.authenticate(&token)),
            Ok(None),
            "{token}"
        );
    }
}

/// Rewrites the last character of `part` so that its unused low bits are set: the same
/// bytes to Go's lenient decoder, a different text.
fn with_trailing_bits(part: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let unused = match part.len() % 4 {
        2 => 0x0f,
        3 => 0x03,
        _ => panic!("{part}: no unused bits"),
    };
    let last = *part.as_bytes().last().expect("a part");
    let value = ALPHABET.iter().position(|&c| c == last).expect("base64url");
    format!(
        "{}{}",
        &part[..part.len() - 1],
        ALPHABET[value | unused] as char
    )
}

/// go-jose drops whitespace anywhere in a token before parsing it, and upstream's issuer
/// pre-check reads the payload with Go's decoder, which skips line breaks; both decode
/// base64url without insisting on zero trailing bits, and the signature covers the
/// canonical text. So these variants of a genuine token verify, and a space in the payload
/// (which the pre-check cannot decode) makes it nobody's.
#[test]
fn a_token_is_parsed_as_go_jose_parses_it() {
    let k = keys();
    let authenticator = issuer_foo_authenticator(&k.rsa);
    let token = bound_token("foo", &k.rsa);
    let parts: Vec<&str> = token.split('.').collect();
    let (header, payload, signature) = (parts[0], parts[1], parts[2]);
    let split = |part: &str, with: &str| format!("{}{with}{}", &part[..10], &part[10..]);
    let verifying = [
        format!("{}.{}.{}", split(header, "\t"), payload, signature),
        format!("{}.{}.{}", header, split(payload, "\r\n"), signature),
        format!("{}.{}.{}", header, payload, split(signature, " ")),
        format!(
            "{}.{}.{}",
            header,
            split(payload, "\n"),
            split(signature, "\u{a0}")
        ),
        format!("{}.{}.{}", header, payload, with_trailing_bits(signature)),
    ];
    for variant in &verifying {
        let user = block_on(authenticator.authenticate(variant)).map(|u| u.map(|u| u.username));
        assert_eq!(
            user,
            Ok(Some("system:serviceaccount:ns:saname".into())),
            "{variant:?}"
        );
    }
    // Trailing bits in any part that has unused bits: the same bytes, so the same
    // signature (the header's 90 characters always have some).
    let with_bits: Vec<String> = (0..3)
        .filter(|&i| !parts[i].len().is_multiple_of(4))
        .map(|i| {
            let mut changed: Vec<String> = parts.iter().map(|p| p.to_string()).collect();
            changed[i] = with_trailing_bits(parts[i]);
            changed.join(".")
        })
        .collect();
    assert!(
        !parts[0].len().is_multiple_of(4),
        "the header part has unused bits"
    );
    for variant in &with_bits {
        assert!(
            matches!(block_on(authenticator.authenticate(variant)), Ok(Some(_))),
            "{variant:?}"
        );
    }
    for variant in [
        format!("{}.{}.{}", header, split(payload, " "), signature),
        format!("{}.{}.{}", header, split(payload, "\t"), signature),
        format!("{header}=.{payload}.{signature}"),
    ] {
        assert_eq!(
            block_on(authenticator.authenticate(&variant)),
            Ok(None),
            "{variant:?}"
        );
    }
}

/// go-jose verifies no token with a critical header extension, even one signed by the
/// right key, and reads `crit` as a list of names.
#[test]
fn a_critical_header_extension_is_refused_even_when_signed() {
    let k = keys();
    let authenticator = issuer_foo_authenticator(&k.ec);
    let token = bound_token("foo", &k.ec);
    let payload = token.split('.').nth(1).unwrap();
    let with_crit = |crit: serde_json::Value| {
        let header = serde_json::json!({
            "alg": "ES256",
            "kid": k.ec.public_key().key_id(),
            "crit": crit,
            "exp": 1,
        });
        let signing_input = format!("{}.{payload}", URL_SAFE_NO_PAD.encode(header.to_string()));
        let signature = URL_SAFE_NO_PAD.encode(k.ec.sign(signing_input.as_bytes()).unwrap());
        format!("{signing_input}.{signature}")
    };
    let refusal = |crit| block_on(authenticator.authenticate(&with_crit(crit))).map_err(|e| e.0);
    assert_eq!(
        refusal(serde_json::json!(["exp"])),
        Err(CRYPTO_ERROR.into())
    );
    assert_eq!(
        refusal(serde_json::json!("exp")),
        Err("json: cannot unmarshal string into Go value of type []string".into())
    );
    assert_eq!(
        refusal(serde_json::json!([1])),
        Err("json: cannot unmarshal number into Go value of type string".into())
    );
    // An empty list names no extension: the token verifies.
    assert!(matches!(refusal(serde_json::json!([])), Ok(Some(_))));
}

#[test]
fn audiences_are_checked_with_upstreams_text() {
    let k = keys();
    let authenticator = issuer_foo_authenticator(&k.ec);
    let token = bound_token("foo", &k.ec);
    let api = ["api".to_string()];
    let other = ["not-the-api".to_string()];
    let found = block_on(authenticator.authenticate_for(
        &token,
        Audiences {
            requested: &api,
            api: &api,
        },
    ))
    .expect("valid")
    .expect("mine");
    assert_eq!(found.audiences, ["api"]);
    assert_eq!(
        block_on(authenticator.authenticate_for(
            &token,
            Audiences {
                requested: &other,
                api: &api,
            },
        ))
        .unwrap_err()
        .0,
        r#"token audiences ["api"] is invalid for the target audiences ["not-the-api"]"#
    );
}
