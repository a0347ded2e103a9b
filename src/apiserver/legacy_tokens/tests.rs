//! Steps 4–6 of upstream's legacy validator (pkg/serviceaccount/jwt_test.go "secret is
//! marked as invalid", TestLegacyServiceAccountTokenTracking).

use futures::executor::block_on;
use jiff::Timestamp;

use super::*;
use crate::apiserver::kinds::NAMESPACES;
use crate::apiserver::namespaces::initial_namespace;
use crate::authn::UserInfo;
use crate::clock::FakeClock;

/// 2023-11-14T22:13:20Z
const NOW: i64 = 1_700_000_000;

/// Accepts every token as one user.
struct AcceptAll;

impl TokenAuthenticator for AcceptAll {
    fn authenticate<'a>(&'a self, _token: &'a str) -> BoxFuture<'a, AuthResult> {
        Box::pin(async {
            Ok(Some(UserInfo {
                username: "system:serviceaccount:ns:sa".into(),
                ..Default::default()
            }))
        })
    }
}

fn store() -> Arc<Store> {
    let clock = Arc::new(FakeClock::new(Timestamp::from_second(NOW).expect("time")));
    let store = Arc::new(Store::with_clock(100, clock));
    for ns in ["ns", TRACKING_NAMESPACE] {
        store
            .create(&NAMESPACES, initial_namespace(ns, "2023-11-14T22:13:20Z"))
            .expect("namespace");
    }
    store
        .create(
            &SERVICE_ACCOUNTS,
            json!({"apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": {"name": "sa", "namespace": "ns", "uid": "sa-uid"},
                "secrets": [{"name": "auto"}]}),
        )
        .expect("sa");
    store
}

fn add_secret(store: &Store, name: &str, labels: Value) {
    store
        .create(
            &SECRETS,
            json!({"apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": name, "namespace": "ns", "uid": format!("{name}-uid"), "labels": labels}}),
        )
        .expect("secret");
}

fn token(secret: &str) -> String {
    let claims = json!({
        "iss": "kubernetes/serviceaccount",
        NAMESPACE_CLAIM: "ns",
        SECRET_NAME_CLAIM: secret,
        SERVICE_ACCOUNT_NAME_CLAIM: "sa",
    });
    format!("x.{}.y", URL_SAFE_NO_PAD.encode(claims.to_string()))
}

fn authenticate(store: &Arc<Store>, lookup: bool, secret: &str) -> (AuthResult, Vec<String>) {
    let tracked = TrackedLegacyAuthenticator::new(Arc::new(AcceptAll), store.clone(), lookup);
    block_on(crate::authn::warnings::collect(
        tracked.authenticate(&token(secret)),
    ))
}

fn last_used(store: &Store, secret: &str) -> Option<String> {
    store.get(&SECRETS, "ns", secret).expect("secret").value()["metadata"]["labels"]
        [LAST_USED_LABEL]
        .as_str()
        .map(String::from)
}

#[test]
fn an_auto_generated_token_warns_and_is_marked_used_once_a_day() {
    let store = store();
    add_secret(&store, "auto", json!({}));
    let (result, warnings) = authenticate(&store, true, "auto");
    assert!(result.expect("accepted").is_some());
    assert_eq!(warnings, [AUTO_GENERATED_WARNING]);
    assert_eq!(last_used(&store, "auto").as_deref(), Some("2023-11-14"));
    // Used again the same day: a warning again, no write.
    let revision = store.revision();
    let (_, warnings) = authenticate(&store, true, "auto");
    assert_eq!(warnings, [AUTO_GENERATED_WARNING]);
    assert_eq!(store.revision(), revision);
}

#[test]
fn a_label_of_today_or_tomorrow_is_kept_and_older_ones_are_replaced() {
    let store = store();
    add_secret(&store, "tomorrow", json!({LAST_USED_LABEL: "2023-11-15"}));
    add_secret(&store, "old", json!({LAST_USED_LABEL: "2023-01-01"}));
    authenticate(&store, true, "tomorrow").0.expect("accepted");
    authenticate(&store, true, "old").0.expect("accepted");
    assert_eq!(last_used(&store, "tomorrow").as_deref(), Some("2023-11-15"));
    assert_eq!(last_used(&store, "old").as_deref(), Some("2023-11-14"));
}

#[test]
fn a_manual_token_does_not_warn() {
    let store = store();
    add_secret(&store, "manual", json!({}));
    let (result, warnings) = authenticate(&store, true, "manual");
    assert!(result.expect("accepted").is_some());
    assert!(warnings.is_empty());
    assert_eq!(last_used(&store, "manual").as_deref(), Some("2023-11-14"));
}

#[test]
fn a_secret_marked_invalid_is_refused_and_still_marked_used() {
    let store = store();
    add_secret(&store, "manual", json!({INVALID_SINCE_LABEL: "2023-10-01"}));
    let (result, warnings) = authenticate(&store, true, "manual");
    assert_eq!(
        result.unwrap_err().0,
        "the token in secret ns/manual for service account ns/sa has been marked invalid. Use tokens from the TokenRequest API or manually created secret-based tokens, or remove the 'kubernetes.io/legacy-token-invalid-since' label from the secret to temporarily allow use of this token"
    );
    assert!(warnings.is_empty());
    assert_eq!(last_used(&store, "manual").as_deref(), Some("2023-11-14"));
    // An empty label does not count.
    add_secret(&store, "empty", json!({INVALID_SINCE_LABEL: ""}));
    assert!(authenticate(&store, true, "empty").0.is_ok());
}

#[test]
fn without_lookup_nothing_is_read_or_written() {
    let store = store();
    add_secret(&store, "auto", json!({INVALID_SINCE_LABEL: "2023-10-01"}));
    let (result, warnings) = authenticate(&store, false, "auto");
    assert!(result.expect("accepted").is_some());
    assert!(warnings.is_empty());
    assert_eq!(last_used(&store, "auto"), None);
}
