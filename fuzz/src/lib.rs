//! What the fuzz targets share: the fixed keys the seed tokens are signed with, the
//! objects the authenticators and the admission webhook look up, and one entry function
//! per target, so that a target file is one line and `tests/corpus.rs` replays the corpus
//! through exactly the code the fuzzer runs.

use std::sync::{Arc, OnceLock};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use futures::executor::block_on;
use futures::future::BoxFuture;
use k8s_openapi::api::core::v1::{Node, Pod, Secret, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube_sa::admission::serviceaccount::{AccountLookup, LookupError};
use kube_sa::admission::{webhook, Config};
use kube_sa::apiserver::kinds::serviceaccount_token::{TokenRequestRest, TOKEN_REQUESTS};
use kube_sa::apiserver::kinds::{ResourceInfo, NAMESPACES, PODS, SECRETS, SERVICE_ACCOUNTS};
use kube_sa::apiserver::patch::{apply_patch, server_side_apply, PatchType};
use kube_sa::apiserver::selectors::{FieldSelector, LabelSelector};
use kube_sa::apiserver::store::Store;
use kube_sa::apiserver::{codec, decode_object_bytes};
use kube_sa::authn::Audiences;
use kube_sa::clock::{Clock, FakeClock};
use kube_sa::names::FixedSuffix;
use kube_sa::serviceaccount::authenticator::{
    GetterError, LegacyTokenAuthenticator, ServiceAccountTokenGetter,
};
use kube_sa::serviceaccount::bound::{unverified_issuer, BoundTokenAuthenticator};
use kube_sa::serviceaccount::keys::{parse_public_keys_pem, PublicKey, SigningKey};
use kube_sa::serviceaccount::options::IssuerOptions;
use kube_sa::Mode;
use serde_json::{json, Value};

/// The RSA key the seed tokens are signed with (`fixtures/sa-rsa.key`, test-only).
pub const RSA_KEY_PEM: &[u8] = include_bytes!("../fixtures/sa-rsa.key");
/// The P-256 key of the ES256 seed tokens (`fixtures/sa-ec.key`, test-only).
pub const EC_KEY_PEM: &[u8] = include_bytes!("../fixtures/sa-ec.key");
/// The bound tokens' issuer (upstream's default `--service-account-issuer` in kube-sa).
pub const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";
/// The namespace every fixture object lives in.
pub const NAMESPACE: &str = "default";
/// 2026-01-01T00:00:00Z, the fake clock's time: the seed tokens are valid then.
pub const NOW_SECONDS: i64 = 1_767_225_600;

fn public_keys() -> Vec<PublicKey> {
    let mut keys = Vec::new();
    for pem in [RSA_KEY_PEM, EC_KEY_PEM] {
        let key = SigningKey::from_pem(pem).expect("fixture key parses");
        keys.push(key.public_key().clone());
    }
    keys
}

fn clock() -> Arc<dyn Clock> {
    let start = jiff::Timestamp::from_second(NOW_SECONDS).expect("fixed time");
    Arc::new(FakeClock::new(start))
}

fn meta(name: &str, uid: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        namespace: Some(NAMESPACE.into()),
        uid: Some(uid.into()),
        ..Default::default()
    }
}

/// The account `default/default`, its token Secret `default-token-abcde` and the pod
/// `default/web`; anything else is NotFound.
#[derive(Debug, Default)]
pub struct Objects;

impl Objects {
    fn account() -> ServiceAccount {
        ServiceAccount {
            metadata: meta("default", "11111111-1111-1111-1111-111111111111"),
            ..Default::default()
        }
    }

    fn secret() -> Secret {
        let mut secret = Secret {
            metadata: meta(
                "default-token-abcde",
                "22222222-2222-2222-2222-222222222222",
            ),
            type_: Some("kubernetes.io/service-account-token".into()),
            ..Default::default()
        };
        secret.metadata.annotations = Some(
            [
                (
                    "kubernetes.io/service-account.name".into(),
                    "default".into(),
                ),
                (
                    "kubernetes.io/service-account.uid".into(),
                    "11111111-1111-1111-1111-111111111111".into(),
                ),
            ]
            .into(),
        );
        secret
    }

    fn pod() -> Pod {
        Pod {
            metadata: meta("web", "33333333-3333-3333-3333-333333333333"),
            ..Default::default()
        }
    }
}

impl ServiceAccountTokenGetter for Objects {
    fn get_service_account<'a>(
        &'a self,
        namespace: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<ServiceAccount, GetterError>> {
        let found = (namespace == NAMESPACE && name == "default").then(Self::account);
        Box::pin(
            async move { found.ok_or_else(|| GetterError::not_found("serviceaccounts", name)) },
        )
    }

    fn get_secret<'a>(
        &'a self,
        namespace: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Secret, GetterError>> {
        let found = (namespace == NAMESPACE && name == "default-token-abcde").then(Self::secret);
        Box::pin(async move { found.ok_or_else(|| GetterError::not_found("secrets", name)) })
    }

    fn get_pod<'a>(
        &'a self,
        namespace: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Pod, GetterError>> {
        let found = (namespace == NAMESPACE && name == "web").then(Self::pod);
        Box::pin(async move { found.ok_or_else(|| GetterError::not_found("pods", name)) })
    }

    fn get_node<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Node, GetterError>> {
        Box::pin(async move { Err(GetterError::not_found("nodes", name)) })
    }
}

impl AccountLookup for Objects {
    fn cached_service_account<'a>(
        &'a self,
        namespace: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<ServiceAccount>, LookupError>> {
        let found = (namespace == NAMESPACE && name == "default").then(Self::account);
        Box::pin(async move { Ok(found) })
    }

    fn get_service_account<'a>(
        &'a self,
        namespace: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<ServiceAccount, LookupError>> {
        let found = (namespace == NAMESPACE && name == "default").then(Self::account);
        Box::pin(async move { found.ok_or_else(|| LookupError::NotFound(name.into())) })
    }

    fn list_secrets<'a>(
        &'a self,
        namespace: &'a str,
    ) -> BoxFuture<'a, Result<Vec<Secret>, LookupError>> {
        let found = if namespace == NAMESPACE {
            vec![Self::secret()]
        } else {
            Vec::new()
        };
        Box::pin(async move { Ok(found) })
    }
}

/// The token a JWT target authenticates. With bit 1 of `pick` clear, `rest` is the token as
/// sent; with it set, `rest` is a claims set, signed here with the EC fixture key (header
/// `{"alg":"ES256","kid":..}`), so that the fuzzer reaches the claim checks behind the
/// signature, which it could never forge.
fn token(pick: u8, rest: &[u8]) -> Option<String> {
    if pick & 2 == 0 {
        return text(rest).map(str::to_string);
    }
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    let key = KEY.get_or_init(|| SigningKey::from_pem(EC_KEY_PEM).expect("fixture key parses"));
    let header = json!({"alg": "ES256", "kid": key.public_key().key_id()}).to_string();
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(rest)
    );
    let signature = key.sign(signing_input.as_bytes()).ok()?;
    Some(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    ))
}

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// Splits off the first byte, which the two-way targets use to pick a variant.
fn selector(data: &[u8]) -> Option<(u8, &[u8])> {
    data.split_first().map(|(first, rest)| (*first, rest))
}

/// `jwt_legacy`: the legacy (`--service-account-key-file`) authenticator, with lookup, in
/// both modes; the first byte's bit 0 picks the mode, bit 1 raw token or claims set (see
/// [`token`]).
pub fn jwt_legacy(data: &[u8]) {
    let Some((pick, rest)) = selector(data) else {
        return;
    };
    let Some(token) = token(pick, rest) else {
        return;
    };
    let token = token.as_str();
    let mode = if pick & 1 == 0 {
        Mode::Legacy
    } else {
        Mode::Bound
    };
    static AUTHN: OnceLock<[LegacyTokenAuthenticator; 2]> = OnceLock::new();
    let authn = AUTHN.get_or_init(|| {
        [Mode::Legacy, Mode::Bound].map(|mode| {
            LegacyTokenAuthenticator::new(public_keys(), true, Arc::new(Objects))
                .with_mode(mode)
                .with_clock(clock())
        })
    });
    let authn = &authn[usize::from(mode == Mode::Bound)];
    let api = vec![ISSUER.to_string()];
    let _ = block_on(authn.authenticate_token_for(
        token,
        Audiences {
            requested: &[],
            api: &api,
        },
    ));
}

/// `jwt_bound`: the bound (TokenRequest) authenticator: issuer sniffing, `kid` selection,
/// signature, claims, and the bound Secret/Pod/Node lookups. The first byte's bit 1 picks
/// raw token or claims set (see [`token`]).
pub fn jwt_bound(data: &[u8]) {
    let Some((pick, rest)) = selector(data) else {
        return;
    };
    let Some(token) = token(pick, rest) else {
        return;
    };
    let token = token.as_str();
    static AUTHN: OnceLock<BoundTokenAuthenticator> = OnceLock::new();
    let authn = AUTHN.get_or_init(|| {
        BoundTokenAuthenticator::new(
            vec![ISSUER.into()],
            public_keys(),
            vec![ISSUER.into()],
            Arc::new(Objects),
            clock(),
        )
    });
    let _ = unverified_issuer(token);
    let api = vec![ISSUER.to_string()];
    let _ = block_on(authn.authenticate_token_for(
        token,
        Audiences {
            requested: &[],
            api: &api,
        },
    ));
}

/// `key_loading`: `--service-account-key-file` PEM bundles and the DER forms inside them,
/// public and private.
pub fn key_loading(data: &[u8]) {
    let _ = parse_public_keys_pem(data);
    let _ = SigningKey::from_pem(data);
    let _ = SigningKey::from_der(data);
    let _ = PublicKey::from_pkix_der(data);
    let _ = PublicKey::from_pkcs1_der(data);
    let _ = PublicKey::from_certificate_der(data);
}

/// `admission_review`: the `kube-sa webhook` endpoint: an AdmissionReview body answered in
/// either mode (first byte).
pub fn admission_review(data: &[u8]) {
    let Some((mode, body)) = selector(data) else {
        return;
    };
    let config = Config {
        mode: if mode & 1 == 0 {
            Mode::Legacy
        } else {
            Mode::Bound
        },
        ..Config::default()
    };
    let names = FixedSuffix("abcde".into());
    // The plugin waits (tokio time) for a token Secret that has not appeared; with paused
    // time the wait runs instantly, as the fake clock does in the unit tests.
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    let runtime = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("a current-thread runtime starts")
    });
    let answer = runtime.block_on(webhook::review(body, &Objects, &names, &config));
    // The webhook always answers with an AdmissionReview.
    let review: Value = serde_json::from_slice(&answer).expect("the webhook answers JSON");
    assert!(review.get("response").is_some(), "no response: {review}");
}

const BODY_RESOURCES: [&ResourceInfo; 4] = [&PODS, &SERVICE_ACCOUNTS, &SECRETS, &NAMESPACES];
const MEDIA_TYPES: [&str; 3] = [
    "application/json",
    "application/yaml",
    "application/vnd.kubernetes.protobuf",
];

/// `request_body`: create/update bodies: the first byte picks the media type (JSON, YAML,
/// protobuf) and the kind (pod, service account, secret, namespace); the rest is decoded
/// and normalized as the server does.
pub fn request_body(data: &[u8]) {
    let Some((pick, body)) = selector(data) else {
        return;
    };
    let media = MEDIA_TYPES[usize::from(pick % 3)];
    let resource = BODY_RESOURCES[usize::from(pick / 3 % 4)];
    if let Ok(value) = decode_object_bytes(media, resource, body) {
        let _ = codec::normalize(resource, &value);
    }
}

/// The kinds the patch targets patch (the strategic-merge list keys differ per kind).
const PATCH_KINDS: [&str; 4] = ["Pod", "ServiceAccount", "Secret", "Namespace"];

/// The patch targets' input: a JSON array `[original, patch]`.
fn patch_input(data: &[u8]) -> Option<(&'static str, Value, Value)> {
    let (pick, rest) = selector(data)?;
    let Value::Array(mut pair) = serde_json::from_slice::<Value>(rest).ok()? else {
        return None;
    };
    if pair.len() != 2 {
        return None;
    }
    let patch = pair.pop()?;
    let original = pair.pop()?;
    Some((PATCH_KINDS[usize::from(pick % 4)], original, patch))
}

fn patch(data: &[u8], ty: PatchType) {
    let Some((kind, original, patch)) = patch_input(data) else {
        return;
    };
    let _ = apply_patch(kind, &original, &patch, ty);
}

/// `patch_json`: RFC 6902 JSON patches (`[original, patch]`, first byte the kind).
pub fn patch_json(data: &[u8]) {
    patch(data, PatchType::Json);
}

/// `patch_merge`: RFC 7386 merge patches (`[original, patch]`, first byte the kind).
pub fn patch_merge(data: &[u8]) {
    patch(data, PatchType::Merge);
}

/// `patch_strategic`: strategic merge patches, with `$patch`, `$retainKeys`,
/// `$setElementOrder` and `$deleteFromPrimitiveList` directives.
pub fn patch_strategic(data: &[u8]) {
    patch(data, PatchType::StrategicMerge);
}

/// `patch_apply`: server-side apply of `[existing or null, configuration]`; the first
/// byte's bit 2 is `force`.
pub fn patch_apply(data: &[u8]) {
    let Some((kind, existing, applied)) = patch_input(data) else {
        return;
    };
    let force = data[0] & 4 != 0;
    // Applies to the object itself and to its status subresource.
    let subresource = if data[0] & 8 != 0 { "status" } else { "" };
    let existing = (!existing.is_null()).then_some(&existing);
    let _ = server_side_apply(
        kind,
        subresource,
        existing,
        &applied,
        "kubectl",
        force,
        "2026-01-01T00:00:00Z",
    );
}

/// `label_selector`: `?labelSelector=` strings, and matching the result against a label
/// set; and the same bytes as a `metav1.LabelSelector` object (webhook selectors).
pub fn label_selector(data: &[u8]) {
    if let Some(s) = text(data) {
        if let Ok(selector) = LabelSelector::parse(s) {
            let labels = json!({"app": "web", "tier": "1", "env": ""});
            let _ = selector.matches(labels.as_object());
        }
    }
    if let Ok(value) = serde_json::from_slice::<Value>(data) {
        let _ = LabelSelector::from_label_selector(&value);
    }
}

/// `field_selector`: `?fieldSelector=` strings on pods (first byte even) or secrets, and
/// matching the result against a fixture object.
pub fn field_selector(data: &[u8]) {
    let Some((pick, rest)) = selector(data) else {
        return;
    };
    let Some(s) = text(rest) else { return };
    let (resource, object): (&'static ResourceInfo, Value) = if pick & 1 == 0 {
        (
            &PODS,
            json!({"metadata": {"name": "web", "namespace": NAMESPACE},
                   "spec": {"nodeName": "node-1", "serviceAccountName": "default"},
                   "status": {"phase": "Running"}}),
        )
    } else {
        (
            &SECRETS,
            json!({"metadata": {"name": "default-token-abcde", "namespace": NAMESPACE},
                   "type": "kubernetes.io/service-account-token"}),
        )
    };
    if let Ok(selector) = FieldSelector::parse(resource, s) {
        let _ = selector.matches(&object);
    }
}

fn token_request_fixture() -> &'static (Store, TokenRequestRest) {
    static FIXTURE: OnceLock<(Store, TokenRequestRest)> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let store = Store::with_clock(16, clock());
        let create = |resource: &'static ResourceInfo, object: Value| {
            store
                .create(resource, object)
                .expect("fixture object stored");
        };
        create(
            &NAMESPACES,
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}),
        );
        create(
            &SERVICE_ACCOUNTS,
            json!({"apiVersion": "v1", "kind": "ServiceAccount",
                   "metadata": {"name": "default", "namespace": NAMESPACE}}),
        );
        create(
            &PODS,
            json!({"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": "web", "namespace": NAMESPACE},
                   "spec": {"serviceAccountName": "default", "nodeName": "node-1",
                            "containers": [{"name": "app", "image": "nginx"}]}}),
        );
        create(
            &SECRETS,
            json!({"apiVersion": "v1", "kind": "Secret",
                   "metadata": {"name": "db", "namespace": NAMESPACE}}),
        );
        let key = SigningKey::from_pem(RSA_KEY_PEM).expect("fixture key parses");
        let options = IssuerOptions {
            issuers: vec![ISSUER.into()],
            max_token_expiration: Some(std::time::Duration::from_secs(86_400)),
            extend_token_expiration: true,
            ..IssuerOptions::default()
        };
        let rest = TokenRequestRest::new(&options, Arc::new(key));
        (store, rest)
    })
}

/// `token_request`: a TokenRequest body for `serviceaccounts/default/token`: decoding,
/// validation (name, audiences, expirationSeconds, boundObjectRef) and issuing.
pub fn token_request(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let (store, rest) = token_request_fixture();
    let Ok(object) = codec::normalize(&TOKEN_REQUESTS, &value) else {
        return;
    };
    let _ = rest.create(store, NAMESPACE, "default", object);
}

/// A fuzz target's entry point: one input, any bytes.
pub type Target = fn(&[u8]);

/// Every target by name, for the corpus replay (`tests/fuzz_corpus.rs`).
pub const TARGETS: &[(&str, Target)] = &[
    ("jwt_legacy", jwt_legacy),
    ("jwt_bound", jwt_bound),
    ("key_loading", key_loading),
    ("admission_review", admission_review),
    ("request_body", request_body),
    ("patch_json", patch_json),
    ("patch_merge", patch_merge),
    ("patch_strategic", patch_strategic),
    ("patch_apply", patch_apply),
    ("label_selector", label_selector),
    ("field_selector", field_selector),
    ("token_request", token_request),
];
