//! Table-driven tests of the token controller's sync functions against the recording fake:
//! objects before, one cache event, the API actions expected. The cases follow upstream's
//! tokens_controller_test.go, plus one per rule of spec §3.1–§3.5 that it does not cover.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use k8s_openapi::api::core::v1::{ObjectReference, Secret, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::ByteString;
use kube::api::Preconditions;
use kube::runtime::reflector::store::Writer;
use kube::runtime::watcher;

use super::*;
use crate::controllers::fake::{Action, FakeApi};
use crate::serviceaccount::SignError;

const NS: &str = "default";
const SA_UID: &str = "12345";
const SECRET_UID: &str = "23456";
const CA: &str = "CA Data";

/// Returns "ABC" (or fails), and remembers what it was asked to sign.
#[derive(Debug, Default)]
struct FakeTokens {
    fail: bool,
    calls: Mutex<Vec<[String; 4]>>,
}

impl LegacyTokenSource for FakeTokens {
    fn legacy_token(
        &self,
        namespace: &str,
        name: &str,
        uid: &str,
        secret: &str,
    ) -> Result<String, TokenError> {
        self.calls
            .lock()
            .expect("not poisoned")
            .push([namespace, name, uid, secret].map(String::from));
        if self.fail {
            Err(TokenError::Sign(SignError))
        } else {
            Ok("ABC".into())
        }
    }
}

/// The suffixes upstream's tests get from Go's math/rand seeded with 1.
#[derive(Debug)]
struct SeededNames(Mutex<VecDeque<&'static str>>);

impl SeededNames {
    fn new() -> Self {
        Self(Mutex::new(VecDeque::from([
            "p7w9c", "x50vb", "scq98", "bbbbb", "ccccc",
        ])))
    }
}

impl NameGenerator for SeededNames {
    fn generate(&self, base: &str) -> String {
        let suffix = self
            .0
            .lock()
            .expect("not poisoned")
            .pop_front()
            .unwrap_or("zzzzz");
        format!("{base}{suffix}")
    }
}

fn refs(names: &[&str]) -> Option<Vec<ObjectReference>> {
    Some(
        names
            .iter()
            .map(|name| ObjectReference {
                name: Some(name.to_string()),
                ..ObjectReference::default()
            })
            .collect(),
    )
}

/// `default/default`, uid 12345, resourceVersion 1, referencing `secrets`.
fn service_account(secrets: &[&str]) -> ServiceAccount {
    ServiceAccount {
        metadata: ObjectMeta {
            name: Some("default".into()),
            namespace: Some(NS.into()),
            uid: Some(SA_UID.into()),
            resource_version: Some("1".into()),
            ..ObjectMeta::default()
        },
        secrets: refs(secrets),
        ..ServiceAccount::default()
    }
}

/// The same account at resourceVersion 2.
fn updated_service_account(secrets: &[&str]) -> ServiceAccount {
    let mut account = service_account(secrets);
    account.metadata.resource_version = Some("2".into());
    account
}

fn data(entries: &[(&str, &str)]) -> Option<BTreeMap<String, ByteString>> {
    Some(
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), ByteString(v.as_bytes().to_vec())))
            .collect(),
    )
}

fn annotations(entries: &[(&str, &str)]) -> Option<BTreeMap<String, String>> {
    Some(
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// A persisted Opaque secret `regular-secret-1`.
fn opaque_secret() -> Secret {
    Secret {
        metadata: ObjectMeta {
            name: Some("regular-secret-1".into()),
            namespace: Some(NS.into()),
            uid: Some(SECRET_UID.into()),
            resource_version: Some("1".into()),
            ..ObjectMeta::default()
        },
        type_: Some("Opaque".into()),
        data: data(&[("mykey", "mydata")]),
        ..Secret::default()
    }
}

/// The token Secret the controller posts for `default`, named `name`.
fn created_token_secret(name: &str) -> Secret {
    Secret {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some(NS.into()),
            annotations: annotations(&[
                (SERVICE_ACCOUNT_NAME_ANNOTATION, "default"),
                (SERVICE_ACCOUNT_UID_ANNOTATION, SA_UID),
            ]),
            ..ObjectMeta::default()
        },
        type_: Some(SERVICE_ACCOUNT_TOKEN_TYPE.into()),
        data: data(&[("token", "ABC"), ("ca.crt", CA), ("namespace", NS)]),
        ..Secret::default()
    }
}

/// A persisted, complete token Secret `token-secret-1` of `default`.
fn token_secret() -> Secret {
    let mut secret = created_token_secret("token-secret-1");
    secret.metadata.uid = Some(SECRET_UID.into());
    secret.metadata.resource_version = Some("1".into());
    secret
}

/// `token-secret-1` deleted and created again: same name, another UID.
fn replaced_token_secret() -> Secret {
    let mut secret = token_secret();
    secret.metadata.uid = Some("replaced-uid".into());
    secret
}

fn token_secret_without(key: &str) -> Secret {
    let mut secret = token_secret();
    secret.data.as_mut().expect("has data").remove(key);
    secret
}

fn token_secret_with(key: &str, value: &str) -> Secret {
    let mut secret = token_secret();
    secret
        .data
        .as_mut()
        .expect("has data")
        .insert(key.into(), ByteString(value.as_bytes().to_vec()));
    secret
}

fn token_secret_without_uid_annotation() -> Secret {
    let mut secret = token_secret();
    secret.metadata.annotations = annotations(&[(SERVICE_ACCOUNT_NAME_ANNOTATION, "default")]);
    secret
}

fn get_service_account() -> Action {
    Action::GetServiceAccount {
        namespace: NS.into(),
        name: "default".into(),
    }
}

fn update_service_account(account: ServiceAccount) -> Action {
    Action::UpdateServiceAccount {
        namespace: NS.into(),
        account,
    }
}

fn get_secret(name: &str) -> Action {
    Action::GetSecret {
        namespace: NS.into(),
        name: name.into(),
    }
}

fn create_secret(secret: Secret) -> Action {
    Action::CreateSecret {
        namespace: NS.into(),
        secret,
    }
}

fn update_secret(secret: Secret) -> Action {
    Action::UpdateSecret {
        namespace: NS.into(),
        secret,
    }
}

fn delete_secret(name: &str, uid: &str) -> Action {
    Action::DeleteSecret {
        namespace: NS.into(),
        name: name.into(),
        preconditions: Some(Preconditions {
            uid: Some(uid.into()),
            resource_version: None,
        }),
    }
}

#[derive(Clone)]
enum Object {
    Account(ServiceAccount),
    Secret(Secret),
}

/// The cache event a case starts with.
#[derive(Clone, Default)]
enum Event {
    #[default]
    Nothing,
    AddedAccount(ServiceAccount),
    UpdatedAccount(ServiceAccount),
    DeletedAccount(ServiceAccount),
    /// Only the queue key: the cache already holds an account with another uid.
    QueuedAccount(ServiceAccount),
    AddedSecret(Secret),
    UpdatedSecret(Secret),
    DeletedSecret(Secret),
}

/// API calls matching `verb resource` fail with `error`, the first `times` times.
#[derive(Clone)]
struct Failure {
    verb: &'static str,
    resource: &'static str,
    times: usize,
    error: ClientError,
}

fn fail(verb: &'static str, resource: &'static str, times: usize, error: ClientError) -> Failure {
    Failure {
        verb,
        resource,
        times,
        error,
    }
}

fn forbidden() -> ClientError {
    ClientError::Forbidden {
        message: "secrets \"foo\" is forbidden: No can do".into(),
        causes: vec![],
    }
}

fn namespace_terminating() -> ClientError {
    ClientError::Forbidden {
        message: "unable to create new content in namespace default because it is being terminated"
            .into(),
        causes: vec![crate::controllers::api::NAMESPACE_TERMINATING_CAUSE.into()],
    }
}

fn conflict() -> ClientError {
    ClientError::Conflict {
        message: "conflict".into(),
    }
}

fn not_found() -> ClientError {
    ClientError::NotFound {
        message: "not found".into(),
    }
}

fn server_error() -> ClientError {
    ClientError::Other {
        message: "etcd is sad".into(),
        causes: vec![],
    }
}

#[derive(Clone)]
struct Case {
    name: &'static str,
    /// Objects the API server holds.
    api: Vec<Object>,
    failures: Vec<Failure>,
    max_retries: u32,
    root_ca: &'static str,
    failing_tokens: bool,
    /// Objects in the caches before the event.
    cached_accounts: Vec<ServiceAccount>,
    cached_secrets: Vec<Secret>,
    event: Event,
    expected: Vec<Action>,
    /// Legacy unless a bound-mode row says otherwise.
    mode: Mode,
}

impl Default for Case {
    fn default() -> Self {
        Self {
            name: "",
            api: vec![],
            failures: vec![],
            max_retries: 0,
            root_ca: CA,
            failing_tokens: false,
            cached_accounts: vec![],
            cached_secrets: vec![],
            event: Event::Nothing,
            expected: vec![],
            mode: Mode::Legacy,
        }
    }
}

/// Retries wait about a millisecond, so retry cases finish quickly.
fn fast_retries() -> RateLimiterConfig {
    RateLimiterConfig {
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(4),
        qps: 1e6,
        burst: 1_000_000,
    }
}

struct Harness {
    api: FakeApi,
    tokens: Arc<FakeTokens>,
    controller: TokensController<FakeApi>,
    accounts: Writer<ServiceAccount>,
    secrets: Writer<Secret>,
    /// What the Secret cache keeps of each Secret (the informer's transform).
    cached: fn(&mut Secret),
}

/// Caches whole Secrets, as a cache without the informer's transform does.
fn whole(_: &mut Secret) {}

impl Harness {
    fn new(case: &Case) -> Self {
        Self::caching(case, whole)
    }

    fn caching(case: &Case, cached: fn(&mut Secret)) -> Self {
        let mut api = FakeApi::new();
        for object in &case.api {
            api = match object.clone() {
                Object::Account(account) => api.with_service_account(account),
                Object::Secret(secret) => api.with_secret(secret),
            };
        }
        for failure in case.failures.clone() {
            let mut remaining = failure.times;
            api = api.with_reactor(move |action| {
                let matches = action.verb_and_resource() == (failure.verb, failure.resource);
                (matches && remaining > 0).then(|| {
                    remaining -= 1;
                    failure.error.clone()
                })
            });
        }
        let tokens = Arc::new(FakeTokens {
            fail: case.failing_tokens,
            ..FakeTokens::default()
        });
        let options = TokensControllerOptions::with_token_source(tokens.clone())
            .root_ca(case.root_ca.as_bytes().to_vec())
            .max_retries(case.max_retries)
            .names(Arc::new(SeededNames::new()))
            .rate_limiter(fast_retries())
            .mode(case.mode);
        let mut accounts = Writer::default();
        let mut secrets = Writer::default();
        for account in &case.cached_accounts {
            accounts.apply_watcher_event(&watcher::Event::Apply(account.clone()));
        }
        for secret in &case.cached_secrets {
            let mut secret = secret.clone();
            cached(&mut secret);
            secrets.apply_watcher_event(&watcher::Event::Apply(secret));
        }
        let controller = TokensController::new(
            api.clone(),
            options,
            accounts.as_reader(),
            secrets.as_reader(),
        );
        Self {
            api,
            tokens,
            controller,
            accounts,
            secrets,
            cached,
        }
    }

    /// Updates the cache the way the watch would, then tells the controller.
    fn send(&mut self, event: &Event) {
        match event.clone() {
            Event::Nothing => {}
            Event::AddedAccount(account) | Event::UpdatedAccount(account) => {
                self.accounts
                    .apply_watcher_event(&watcher::Event::Apply(account.clone()));
                self.controller.service_account_changed(&account);
            }
            Event::DeletedAccount(account) => {
                self.accounts
                    .apply_watcher_event(&watcher::Event::Delete(account.clone()));
                self.controller.service_account_changed(&account);
            }
            Event::QueuedAccount(account) => self.controller.service_account_changed(&account),
            Event::AddedSecret(mut secret) | Event::UpdatedSecret(mut secret) => {
                (self.cached)(&mut secret);
                self.secrets
                    .apply_watcher_event(&watcher::Event::Apply(secret.clone()));
                self.controller.secret_changed(&secret);
            }
            Event::DeletedSecret(mut secret) => {
                (self.cached)(&mut secret);
                self.secrets
                    .apply_watcher_event(&watcher::Event::Delete(secret.clone()));
                self.controller.secret_changed(&secret);
            }
        }
    }

    /// Works both queues until nothing is queued, delayed or in process.
    async fn drain(&self) {
        let work = async {
            loop {
                if !self.controller.service_account_queue().is_idle() {
                    self.controller.process_next_service_account().await;
                } else if !self.controller.secret_queue().is_idle() {
                    self.controller.process_next_secret().await;
                } else {
                    break;
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(5), work)
            .await
            .expect("queues drained");
    }
}

/// Runs every case twice: with whole Secrets cached, and with the facts the informer's
/// transform keeps ([`keep_token_data_facts`]); both must act the same.
async fn run_cases(cases: Vec<Case>) {
    for case in cases {
        for (cache, cached) in [
            ("whole", whole as fn(&mut Secret)),
            ("facts", keep_token_data_facts),
        ] {
            let mut harness = Harness::caching(&case, cached);
            harness.send(&case.event);
            harness.drain().await;
            let actions = harness.api.actions();
            assert_eq!(
                actions.len(),
                case.expected.len(),
                "{} ({cache} cache): wrong number of actions:\n{actions:#?}",
                case.name
            );
            for (index, (actual, expected)) in actions.iter().zip(&case.expected).enumerate() {
                assert_eq!(
                    actual, expected,
                    "{} ({cache} cache): action {index}",
                    case.name
                );
            }
        }
    }
}

#[tokio::test]
async fn service_account_events() {
    let cases = vec![
        Case {
            name: "new serviceaccount with no secrets",
            api: vec![Object::Account(service_account(&[]))],
            event: Event::AddedAccount(service_account(&[])),
            expected: vec![
                get_service_account(),
                create_secret(created_token_secret("default-token-p7w9c")),
                update_service_account(service_account(&["default-token-p7w9c"])),
            ],
            ..Case::default()
        },
        Case {
            name: "new serviceaccount with no secrets encountering create error",
            api: vec![Object::Account(service_account(&[]))],
            max_retries: 10,
            failures: vec![fail("create", "secrets", 2, forbidden())],
            event: Event::AddedAccount(service_account(&[])),
            expected: vec![
                get_service_account(),
                create_secret(created_token_secret("default-token-p7w9c")),
                get_service_account(),
                create_secret(created_token_secret("default-token-x50vb")),
                get_service_account(),
                create_secret(created_token_secret("default-token-scq98")),
                update_service_account(service_account(&["default-token-scq98"])),
            ],
            ..Case::default()
        },
        Case {
            name: "new serviceaccount with no secrets encountering unending create error",
            api: vec![
                Object::Account(service_account(&[])),
                Object::Secret(created_token_secret("default-token-p7w9c")),
            ],
            max_retries: 2,
            failures: vec![fail("create", "secrets", usize::MAX, forbidden())],
            event: Event::AddedAccount(service_account(&[])),
            expected: vec![
                get_service_account(),
                create_secret(created_token_secret("default-token-p7w9c")),
                get_service_account(),
                create_secret(created_token_secret("default-token-x50vb")),
                get_service_account(),
                create_secret(created_token_secret("default-token-scq98")),
            ],
            ..Case::default()
        },
        Case {
            name: "new serviceaccount with missing secrets",
            api: vec![Object::Account(service_account(&["missing-secret-1"]))],
            event: Event::AddedAccount(service_account(&["missing-secret-1"])),
            expected: vec![
                get_service_account(),
                create_secret(created_token_secret("default-token-p7w9c")),
                update_service_account(service_account(&[
                    "missing-secret-1",
                    "default-token-p7w9c",
                ])),
            ],
            ..Case::default()
        },
        Case {
            name: "new serviceaccount with non-token secrets",
            api: vec![
                Object::Account(service_account(&["regular-secret-1"])),
                Object::Secret(opaque_secret()),
            ],
            event: Event::AddedAccount(service_account(&["regular-secret-1"])),
            expected: vec![
                get_service_account(),
                create_secret(created_token_secret("default-token-p7w9c")),
                update_service_account(service_account(&[
                    "regular-secret-1",
                    "default-token-p7w9c",
                ])),
            ],
            ..Case::default()
        },
        Case {
            name: "new serviceaccount with token secrets",
            api: vec![
                Object::Account(service_account(&["token-secret-1"])),
                Object::Secret(token_secret()),
            ],
            cached_secrets: vec![token_secret()],
            event: Event::AddedAccount(service_account(&["token-secret-1"])),
            expected: vec![],
            ..Case::default()
        },
        Case {
            name: "new serviceaccount with an unreferenced token secret gets a referenced one",
            api: vec![
                Object::Account(service_account(&[])),
                Object::Secret(token_secret()),
            ],
            cached_secrets: vec![token_secret()],
            event: Event::AddedAccount(service_account(&[])),
            expected: vec![
                get_service_account(),
                create_secret(created_token_secret("default-token-p7w9c")),
                update_service_account(service_account(&["default-token-p7w9c"])),
            ],
            ..Case::default()
        },
        Case {
            name: "a referenced token secret of an older account with the same name does not count",
            api: vec![Object::Account(service_account(&["token-secret-1"]))],
            cached_secrets: vec![{
                let mut secret = token_secret();
                secret.metadata.annotations = annotations(&[
                    (SERVICE_ACCOUNT_NAME_ANNOTATION, "default"),
                    (SERVICE_ACCOUNT_UID_ANNOTATION, "older-uid"),
                ]);
                secret
            }],
            event: Event::AddedAccount(service_account(&["token-secret-1"])),
            expected: vec![
                get_service_account(),
                create_secret(created_token_secret("default-token-p7w9c")),
                update_service_account(service_account(&["token-secret-1", "default-token-p7w9c"])),
            ],
            ..Case::default()
        },
        Case {
            name: "new serviceaccount with no secrets with resource conflict",
            api: vec![
                Object::Account(updated_service_account(&[])),
                Object::Secret(created_token_secret("default-token-p7w9c")),
            ],
            event: Event::AddedAccount(service_account(&[])),
            expected: vec![get_service_account()],
            ..Case::default()
        },
        Case {
            name: "updated serviceaccount with no secrets",
            api: vec![Object::Account(service_account(&[]))],
            event: Event::UpdatedAccount(service_account(&[])),
            expected: vec![
                get_service_account(),
                create_secret(created_token_secret("default-token-p7w9c")),
                update_service_account(service_account(&["default-token-p7w9c"])),
            ],
            ..Case::default()
        },
        Case {
            name: "updated serviceaccount with missing secrets",
            api: vec![Object::Account(service_account(&["missing-secret-1"]))],
            event: Event::UpdatedAccount(service_account(&["missing-secret-1"])),
            expected: vec![
                get_service_account(),
                create_secret(created_token_secret("default-token-p7w9c")),
                update_service_account(service_account(&[
                    "missing-secret-1",
                    "default-token-p7w9c",
                ])),
            ],
            ..Case::default()
        },
        Case {
            name: "updated serviceaccount with non-token secrets",
            api: vec![
                Object::Account(service_account(&["regular-secret-1"])),
                Object::Secret(opaque_secret()),
            ],
            event: Event::UpdatedAccount(service_account(&["regular-secret-1"])),
            expected: vec![
                get_service_account(),
                create_secret(created_token_secret("default-token-p7w9c")),
                update_service_account(service_account(&[
                    "regular-secret-1",
                    "default-token-p7w9c",
                ])),
            ],
            ..Case::default()
        },
        Case {
            name: "updated serviceaccount with token secrets",
            cached_secrets: vec![token_secret()],
            event: Event::UpdatedAccount(service_account(&["token-secret-1"])),
            expected: vec![],
            ..Case::default()
        },
        Case {
            name: "updated serviceaccount with no secrets with resource conflict",
            api: vec![Object::Account(updated_service_account(&[]))],
            event: Event::UpdatedAccount(service_account(&[])),
            expected: vec![get_service_account()],
            ..Case::default()
        },
        Case {
            name: "deleted serviceaccount with no secrets",
            event: Event::DeletedAccount(service_account(&[])),
            expected: vec![],
            ..Case::default()
        },
        Case {
            name: "deleted serviceaccount with missing secrets",
            event: Event::DeletedAccount(service_account(&["missing-secret-1"])),
            expected: vec![],
            ..Case::default()
        },
        Case {
            name: "deleted serviceaccount with non-token secrets",
            api: vec![Object::Secret(opaque_secret())],
            event: Event::DeletedAccount(service_account(&["regular-secret-1"])),
            expected: vec![],
            ..Case::default()
        },
        Case {
            name: "deleted serviceaccount with token secrets",
            api: vec![Object::Secret(token_secret())],
            cached_secrets: vec![token_secret()],
            event: Event::DeletedAccount(service_account(&["token-secret-1"])),
            expected: vec![delete_secret("token-secret-1", SECRET_UID)],
            ..Case::default()
        },
    ];
    run_cases(cases).await;
}

#[tokio::test]
async fn service_account_rules_of_the_spec() {
    let other_account_token = {
        let mut secret = token_secret();
        secret.metadata.name = Some("other-token".into());
        secret.metadata.uid = Some("34567".into());
        secret.metadata.annotations = annotations(&[
            (SERVICE_ACCOUNT_NAME_ANNOTATION, "default"),
            (SERVICE_ACCOUNT_UID_ANNOTATION, "99999"),
        ]);
        secret
    };
    let mut without_uid = service_account(&[]);
    without_uid.metadata.uid = None;
    let cases = vec![
        Case {
            name: "§3.1 a key without uid is dropped",
            event: Event::AddedAccount(without_uid),
            expected: vec![],
            ..Case::default()
        },
        Case {
            name: "§3.2 an account recreated with another uid counts as deleted: only the old tokens go",
            api: vec![
                Object::Secret(token_secret()),
                Object::Secret(other_account_token.clone()),
            ],
            cached_accounts: vec![{
                let mut account = service_account(&["other-token"]);
                account.metadata.uid = Some("99999".into());
                account
            }],
            cached_secrets: vec![token_secret(), other_account_token],
            event: Event::QueuedAccount(service_account(&[])),
            expected: vec![delete_secret("token-secret-1", SECRET_UID)],
            ..Case::default()
        },
        Case {
            name: "§3.2 a token without uid annotation of a deleted account is deleted",
            api: vec![Object::Secret(token_secret_without_uid_annotation())],
            cached_secrets: vec![token_secret_without_uid_annotation()],
            event: Event::DeletedAccount(service_account(&[])),
            expected: vec![delete_secret("token-secret-1", SECRET_UID)],
            ..Case::default()
        },
        Case {
            name: "§3.2 a failed uid precondition counts as deleted once a read shows the replacement",
            api: vec![Object::Secret(replaced_token_secret())],
            failures: vec![fail("delete", "secrets", usize::MAX, conflict())],
            cached_secrets: vec![token_secret()],
            event: Event::DeletedAccount(service_account(&[])),
            expected: vec![
                delete_secret("token-secret-1", SECRET_UID),
                get_secret("token-secret-1"),
            ],
            ..Case::default()
        },
        Case {
            name: "§3.2 a 409 while the token still has its uid is retried",
            api: vec![Object::Secret(token_secret())],
            max_retries: 1,
            failures: vec![fail("delete", "secrets", 1, conflict())],
            cached_secrets: vec![token_secret()],
            event: Event::DeletedAccount(service_account(&[])),
            expected: vec![
                delete_secret("token-secret-1", SECRET_UID),
                get_secret("token-secret-1"),
                delete_secret("token-secret-1", SECRET_UID),
            ],
            ..Case::default()
        },
        Case {
            name: "§3.2 a token already gone counts as deleted",
            cached_secrets: vec![token_secret()],
            event: Event::DeletedAccount(service_account(&[])),
            expected: vec![delete_secret("token-secret-1", SECRET_UID)],
            ..Case::default()
        },
        Case {
            name: "§3.2 other delete errors are retried up to max retries",
            api: vec![Object::Secret(token_secret())],
            max_retries: 2,
            failures: vec![fail("delete", "secrets", usize::MAX, server_error())],
            cached_secrets: vec![token_secret()],
            event: Event::DeletedAccount(service_account(&[])),
            expected: vec![delete_secret("token-secret-1", SECRET_UID); 3],
            ..Case::default()
        },
        Case {
            name: "§3.3 a failing live get is retried",
            api: vec![Object::Account(service_account(&[]))],
            max_retries: 1,
            failures: vec![fail("get", "serviceaccounts", 1, server_error())],
            event: Event::AddedAccount(service_account(&[])),
            expected: vec![
                get_service_account(),
                get_service_account(),
                create_secret(created_token_secret("default-token-p7w9c")),
                update_service_account(service_account(&["default-token-p7w9c"])),
            ],
            ..Case::default()
        },
        Case {
            name: "§3.3 an account missing on the live get is not retried",
            event: Event::AddedAccount(service_account(&[])),
            expected: vec![get_service_account()],
            ..Case::default()
        },
        Case {
            name: "§3.3 a token generation error is retried",
            api: vec![Object::Account(service_account(&[]))],
            max_retries: 2,
            failing_tokens: true,
            event: Event::AddedAccount(service_account(&[])),
            expected: vec![get_service_account(); 3],
            ..Case::default()
        },
        Case {
            name: "§3.3 without a root CA the secret has no ca.crt",
            api: vec![Object::Account(service_account(&[]))],
            root_ca: "",
            event: Event::AddedAccount(service_account(&[])),
            expected: vec![
                get_service_account(),
                create_secret({
                    let mut secret = created_token_secret("default-token-p7w9c");
                    secret.data.as_mut().expect("has data").remove("ca.crt");
                    secret
                }),
                update_service_account(service_account(&["default-token-p7w9c"])),
            ],
            ..Case::default()
        },
        Case {
            // v1.8 does not retry, counting on an update event that a 409 no change caused
            // (a proxy's, an injected one) never brings.
            name: "§3.3 a conflicting account update deletes the new secret and is retried",
            api: vec![Object::Account(service_account(&[]))],
            max_retries: 1,
            failures: vec![fail("update", "serviceaccounts", 1, conflict())],
            event: Event::AddedAccount(service_account(&[])),
            expected: vec![
                get_service_account(),
                create_secret(created_token_secret("default-token-p7w9c")),
                update_service_account(service_account(&["default-token-p7w9c"])),
                // The fake gives the first object it creates uid-1.
                delete_secret("default-token-p7w9c", "uid-1"),
                get_service_account(),
                create_secret(created_token_secret("default-token-x50vb")),
                update_service_account(service_account(&["default-token-x50vb"])),
            ],
            ..Case::default()
        },
        Case {
            name: "§3.3 a new secret that can be neither referenced nor deleted is deleted by the retry first",
            api: vec![Object::Account(service_account(&[]))],
            max_retries: 1,
            failures: vec![
                fail("update", "serviceaccounts", 1, server_error()),
                fail("delete", "secrets", 1, server_error()),
            ],
            event: Event::AddedAccount(service_account(&[])),
            expected: vec![
                get_service_account(),
                create_secret(created_token_secret("default-token-p7w9c")),
                update_service_account(service_account(&["default-token-p7w9c"])),
                delete_secret("default-token-p7w9c", "uid-1"),
                delete_secret("default-token-p7w9c", "uid-1"),
                get_service_account(),
                create_secret(created_token_secret("default-token-x50vb")),
                update_service_account(service_account(&["default-token-x50vb"])),
            ],
            ..Case::default()
        },
        Case {
            name: "§3.3 an account deleted before the update: the new secret is deleted, no retry",
            api: vec![Object::Account(service_account(&[]))],
            failures: vec![fail("update", "serviceaccounts", usize::MAX, not_found())],
            event: Event::AddedAccount(service_account(&[])),
            expected: vec![
                get_service_account(),
                create_secret(created_token_secret("default-token-p7w9c")),
                update_service_account(service_account(&["default-token-p7w9c"])),
                delete_secret("default-token-p7w9c", "uid-1"),
            ],
            ..Case::default()
        },
        Case {
            name: "§3.3 other update errors delete the new secret and retry",
            api: vec![Object::Account(service_account(&[]))],
            max_retries: 1,
            failures: vec![fail("update", "serviceaccounts", 1, server_error())],
            event: Event::AddedAccount(service_account(&[])),
            expected: vec![
                get_service_account(),
                create_secret(created_token_secret("default-token-p7w9c")),
                update_service_account(service_account(&["default-token-p7w9c"])),
                delete_secret("default-token-p7w9c", "uid-1"),
                get_service_account(),
                create_secret(created_token_secret("default-token-x50vb")),
                update_service_account(service_account(&["default-token-x50vb"])),
            ],
            ..Case::default()
        },
        Case {
            name: "§3.5 v1.8: a terminating namespace is retried up to max retries, then dropped",
            api: vec![Object::Account(service_account(&[]))],
            max_retries: 3,
            failures: vec![fail("create", "secrets", usize::MAX, namespace_terminating())],
            event: Event::AddedAccount(service_account(&[])),
            expected: ["p7w9c", "x50vb", "scq98", "bbbbb"]
                .iter()
                .flat_map(|suffix| {
                    [
                        get_service_account(),
                        create_secret(created_token_secret(&format!("default-token-{suffix}"))),
                    ]
                })
                .collect(),
            ..Case::default()
        },
    ];
    run_cases(cases).await;
}

#[tokio::test]
async fn secret_events() {
    run_cases(secret_event_cases()).await;
}

/// Upstream's secret-event rows, which read the same in both modes.
fn secret_event_cases() -> Vec<Case> {
    let referencing = || vec![service_account(&["token-secret-1"])];
    let mut cases = vec![];
    for (event_name, event) in [
        ("added", Event::AddedSecret as fn(Secret) -> Event),
        ("updated", Event::UpdatedSecret),
    ] {
        let name = |what: &str| -> &'static str { format!("{event_name} {what}").leak() };
        cases.extend([
            Case {
                name: name("secret without serviceaccount"),
                api: vec![Object::Secret(token_secret())],
                event: event(token_secret()),
                expected: vec![
                    get_service_account(),
                    delete_secret("token-secret-1", SECRET_UID),
                ],
                ..Case::default()
            },
            Case {
                name: name("secret with serviceaccount"),
                cached_accounts: referencing(),
                event: event(token_secret()),
                expected: vec![],
                ..Case::default()
            },
            Case {
                name: name("token secret without token data"),
                api: vec![Object::Secret(token_secret_without("token"))],
                cached_accounts: referencing(),
                event: event(token_secret_without("token")),
                expected: vec![get_secret("token-secret-1"), update_secret(token_secret())],
                ..Case::default()
            },
            Case {
                name: name("token secret without ca data"),
                api: vec![Object::Secret(token_secret_without("ca.crt"))],
                cached_accounts: referencing(),
                event: event(token_secret_without("ca.crt")),
                expected: vec![get_secret("token-secret-1"), update_secret(token_secret())],
                ..Case::default()
            },
            Case {
                name: name("token secret with mismatched ca data"),
                api: vec![Object::Secret(token_secret_with("ca.crt", "mismatched"))],
                cached_accounts: referencing(),
                event: event(token_secret_with("ca.crt", "mismatched")),
                expected: vec![get_secret("token-secret-1"), update_secret(token_secret())],
                ..Case::default()
            },
            Case {
                name: name("token secret without namespace data"),
                api: vec![Object::Secret(token_secret_without("namespace"))],
                cached_accounts: referencing(),
                event: event(token_secret_without("namespace")),
                expected: vec![get_secret("token-secret-1"), update_secret(token_secret())],
                ..Case::default()
            },
            Case {
                name: name("token secret with custom namespace data"),
                api: vec![Object::Secret(token_secret_with("namespace", "custom"))],
                cached_accounts: referencing(),
                event: event(token_secret_with("namespace", "custom")),
                // The custom namespace is preserved: no update at all.
                expected: vec![],
                ..Case::default()
            },
        ]);
    }
    cases.extend([
        Case {
            name: "deleted secret without serviceaccount",
            event: Event::DeletedSecret(token_secret()),
            expected: vec![],
            ..Case::default()
        },
        Case {
            name: "deleted secret with serviceaccount with reference",
            api: vec![Object::Account(service_account(&["token-secret-1"]))],
            cached_accounts: referencing(),
            event: Event::DeletedSecret(token_secret()),
            expected: vec![
                get_service_account(),
                update_service_account(service_account(&[])),
            ],
            ..Case::default()
        },
        Case {
            name: "deleted secret with serviceaccount without reference",
            cached_accounts: vec![service_account(&[])],
            api: vec![Object::Account(service_account(&[]))],
            event: Event::DeletedSecret(token_secret()),
            expected: vec![get_service_account()],
            ..Case::default()
        },
    ]);
    cases
}

mod bound;

#[tokio::test]
async fn secret_rules_of_the_spec() {
    // A user's "manually created long-lived token": only the name annotation.
    let manual = || Secret {
        metadata: ObjectMeta {
            name: Some("manual".into()),
            namespace: Some(NS.into()),
            uid: Some("45678".into()),
            resource_version: Some("7".into()),
            annotations: annotations(&[(SERVICE_ACCOUNT_NAME_ANNOTATION, "default")]),
            ..ObjectMeta::default()
        },
        type_: Some(SERVICE_ACCOUNT_TOKEN_TYPE.into()),
        ..Secret::default()
    };
    let manual_filled_in = {
        let mut secret = manual();
        secret.metadata.annotations = annotations(&[
            (SERVICE_ACCOUNT_NAME_ANNOTATION, "default"),
            (SERVICE_ACCOUNT_UID_ANNOTATION, SA_UID),
        ]);
        secret.data = data(&[("token", "ABC"), ("ca.crt", CA), ("namespace", NS)]);
        secret
    };
    let mut recreated_account = service_account(&[]);
    recreated_account.metadata.uid = Some("99999".into());
    let three_refs = service_account(&["token-secret-1", "other", "token-secret-1"]);

    let cases = vec![
        Case {
            name: "§3.1 a token secret without the name annotation is ignored",
            api: vec![Object::Secret(token_secret())],
            event: Event::AddedSecret({
                let mut secret = token_secret_without("token");
                secret.metadata.annotations = None;
                secret
            }),
            expected: vec![],
            ..Case::default()
        },
        Case {
            name: "§3.4 a manually created secret is filled in, uid annotation included",
            api: vec![Object::Secret(manual())],
            cached_accounts: vec![service_account(&[])],
            event: Event::AddedSecret(manual()),
            expected: vec![get_secret("manual"), update_secret(manual_filled_in)],
            ..Case::default()
        },
        Case {
            name: "§3.4 an account missing from the cache is fetched live",
            api: vec![
                Object::Account(service_account(&[])),
                Object::Secret(token_secret_without("token")),
            ],
            event: Event::AddedSecret(token_secret_without("token")),
            expected: vec![
                get_service_account(),
                get_secret("token-secret-1"),
                update_secret(token_secret()),
            ],
            ..Case::default()
        },
        Case {
            name: "§3.4 a failing live account lookup is retried",
            api: vec![Object::Secret(token_secret())],
            max_retries: 1,
            failures: vec![fail("get", "serviceaccounts", 1, server_error())],
            event: Event::AddedSecret(token_secret()),
            expected: vec![
                get_service_account(),
                get_service_account(),
                delete_secret("token-secret-1", SECRET_UID),
            ],
            ..Case::default()
        },
        Case {
            name: "§3.4 a secret of a recreated account is deleted",
            api: vec![
                Object::Account(recreated_account.clone()),
                Object::Secret(token_secret()),
            ],
            cached_accounts: vec![recreated_account],
            event: Event::AddedSecret(token_secret()),
            expected: vec![
                get_service_account(),
                delete_secret("token-secret-1", SECRET_UID),
            ],
            ..Case::default()
        },
        Case {
            name: "§3.4 a failed precondition deleting an orphan is not retried",
            api: vec![Object::Secret(replaced_token_secret())],
            failures: vec![fail("delete", "secrets", usize::MAX, conflict())],
            event: Event::AddedSecret(token_secret()),
            expected: vec![
                get_service_account(),
                delete_secret("token-secret-1", SECRET_UID),
                get_secret("token-secret-1"),
            ],
            ..Case::default()
        },
        Case {
            name: "§3.4 a 409 deleting an orphan that still has its uid is retried",
            api: vec![Object::Secret(token_secret())],
            max_retries: 1,
            failures: vec![fail("delete", "secrets", 1, conflict())],
            event: Event::AddedSecret(token_secret()),
            expected: vec![
                get_service_account(),
                delete_secret("token-secret-1", SECRET_UID),
                get_secret("token-secret-1"),
                get_service_account(),
                delete_secret("token-secret-1", SECRET_UID),
            ],
            ..Case::default()
        },
        Case {
            name: "§3.4 other errors deleting an orphan are retried",
            api: vec![Object::Secret(token_secret())],
            max_retries: 1,
            failures: vec![fail("delete", "secrets", 1, server_error())],
            event: Event::AddedSecret(token_secret()),
            expected: vec![
                get_service_account(),
                delete_secret("token-secret-1", SECRET_UID),
                get_service_account(),
                delete_secret("token-secret-1", SECRET_UID),
            ],
            ..Case::default()
        },
        Case {
            name: "§3.4 a secret gone on the live get is not retried",
            cached_accounts: vec![service_account(&["token-secret-1"])],
            event: Event::AddedSecret(token_secret_without("token")),
            expected: vec![get_secret("token-secret-1")],
            ..Case::default()
        },
        Case {
            name: "§3.4 a failing live secret get is retried",
            api: vec![Object::Secret(token_secret_without("token"))],
            max_retries: 1,
            failures: vec![fail("get", "secrets", 1, server_error())],
            cached_accounts: vec![service_account(&["token-secret-1"])],
            event: Event::AddedSecret(token_secret_without("token")),
            expected: vec![
                get_secret("token-secret-1"),
                get_secret("token-secret-1"),
                update_secret(token_secret()),
            ],
            ..Case::default()
        },
        Case {
            name: "§3.4 a live secret newer than the cache is left for its own event",
            api: vec![Object::Secret({
                let mut secret = token_secret_without("token");
                secret.metadata.resource_version = Some("2".into());
                secret
            })],
            cached_accounts: vec![service_account(&["token-secret-1"])],
            event: Event::AddedSecret(token_secret_without("token")),
            expected: vec![get_secret("token-secret-1")],
            ..Case::default()
        },
        Case {
            name: "§3.4 a token generation error while populating is not retried",
            api: vec![Object::Secret(token_secret_without("token"))],
            failing_tokens: true,
            cached_accounts: vec![service_account(&["token-secret-1"])],
            event: Event::AddedSecret(token_secret_without("token")),
            expected: vec![get_secret("token-secret-1")],
            ..Case::default()
        },
        Case {
            // v1.8 does not retry, counting on an update event that a 409 no change caused
            // never brings.
            name: "§3.4 a conflicting secret update is retried",
            api: vec![Object::Secret(token_secret_without("token"))],
            max_retries: 1,
            failures: vec![fail("update", "secrets", 1, conflict())],
            cached_accounts: vec![service_account(&["token-secret-1"])],
            event: Event::AddedSecret(token_secret_without("token")),
            expected: vec![
                get_secret("token-secret-1"),
                update_secret(token_secret()),
                get_secret("token-secret-1"),
                update_secret(token_secret()),
            ],
            ..Case::default()
        },
        Case {
            name: "§3.4 other secret update errors are retried",
            api: vec![Object::Secret(token_secret_without("token"))],
            max_retries: 1,
            failures: vec![fail("update", "secrets", 1, server_error())],
            cached_accounts: vec![service_account(&["token-secret-1"])],
            event: Event::AddedSecret(token_secret_without("token")),
            expected: vec![
                get_secret("token-secret-1"),
                update_secret(token_secret()),
                get_secret("token-secret-1"),
                update_secret(token_secret()),
            ],
            ..Case::default()
        },
        Case {
            name: "§3.4 a deleted secret is removed from every entry of the account",
            api: vec![Object::Account(three_refs.clone())],
            cached_accounts: vec![three_refs],
            event: Event::DeletedSecret(token_secret()),
            expected: vec![
                get_service_account(),
                update_service_account(service_account(&["other"])),
            ],
            ..Case::default()
        },
        Case {
            name: "§3.4 a deleted secret without uid annotation is still unreferenced",
            api: vec![Object::Account(service_account(&["token-secret-1"]))],
            cached_accounts: vec![service_account(&["token-secret-1"])],
            event: Event::DeletedSecret(token_secret_without_uid_annotation()),
            expected: vec![
                get_service_account(),
                update_service_account(service_account(&[])),
            ],
            ..Case::default()
        },
        Case {
            name: "§3.4 a deleted secret of another account uid leaves the account alone",
            api: vec![Object::Account(service_account(&["token-secret-1"]))],
            cached_accounts: vec![{
                let mut account = service_account(&["token-secret-1"]);
                account.metadata.uid = Some("99999".into());
                account
            }],
            event: Event::DeletedSecret(token_secret()),
            expected: vec![],
            ..Case::default()
        },
        Case {
            name: "§3.4 an account gone on the live get has no reference to remove",
            cached_accounts: vec![service_account(&["token-secret-1"])],
            event: Event::DeletedSecret(token_secret()),
            expected: vec![get_service_account()],
            ..Case::default()
        },
        Case {
            // Upstream only logs it, leaving the reference behind.
            name: "§3.4 removing a reference: a server error is retried through the queue",
            api: vec![Object::Account(service_account(&["token-secret-1"]))],
            max_retries: 1,
            failures: vec![fail("update", "serviceaccounts", 1, server_error())],
            cached_accounts: vec![service_account(&["token-secret-1"])],
            event: Event::DeletedSecret(token_secret()),
            expected: vec![
                get_service_account(),
                update_service_account(service_account(&[])),
                get_service_account(),
                update_service_account(service_account(&[])),
            ],
            ..Case::default()
        },
    ];
    run_cases(cases).await;
}

#[tokio::test]
async fn removing_a_reference_retries_conflicts_through_the_queue() {
    let case = Case {
        api: vec![Object::Account(service_account(&["token-secret-1"]))],
        failures: vec![fail("update", "serviceaccounts", 1, conflict())],
        cached_accounts: vec![service_account(&["token-secret-1"])],
        event: Event::DeletedSecret(token_secret()),
        ..Case::default()
    };
    let mut harness = Harness::new(&case);
    harness.send(&case.event);
    harness.drain().await;
    assert_eq!(
        harness.api.actions(),
        [
            get_service_account(),
            update_service_account(service_account(&[])),
            get_service_account(),
            update_service_account(service_account(&[])),
        ]
    );
    assert_eq!(
        harness
            .controller
            .secret_queue()
            .num_requeues(&SecretKey::of(&token_secret())),
        0,
        "forgotten once it succeeded"
    );
    let account = harness
        .api
        .service_account(NS, "default")
        .expect("still there");
    assert_eq!(account.secrets, Some(vec![]));
}

#[tokio::test]
async fn the_account_update_event_does_not_make_a_second_token() {
    let case = Case {
        api: vec![Object::Account(service_account(&[]))],
        ..Case::default()
    };
    let mut harness = Harness::new(&case);
    harness.send(&Event::AddedAccount(service_account(&[])));
    harness.drain().await;
    assert_eq!(harness.api.actions().len(), 3, "get, create, update");

    // The watch reports the account update before the new Secret.
    let updated = harness.api.service_account(NS, "default").expect("stored");
    harness.send(&Event::UpdatedAccount(updated.clone()));
    harness.drain().await;
    assert_eq!(harness.api.actions().len(), 3, "no second token");
    assert_eq!(harness.api.secrets().len(), 1);

    // Then the Secret arrives: it replaces the remembered copy and needs nothing.
    let secret = harness
        .api
        .secret(NS, "default-token-p7w9c")
        .expect("stored");
    harness.send(&Event::AddedSecret(secret));
    harness.send(&Event::UpdatedAccount(updated));
    harness.drain().await;
    assert_eq!(harness.api.actions().len(), 3);
}

#[tokio::test]
async fn tokens_are_signed_for_the_account_and_the_new_secret() {
    let case = Case {
        api: vec![Object::Account(service_account(&[]))],
        ..Case::default()
    };
    let mut harness = Harness::new(&case);
    harness.send(&Event::AddedAccount(service_account(&[])));
    harness.drain().await;
    let calls = harness.tokens.calls.lock().expect("not poisoned").clone();
    assert_eq!(
        calls,
        [[NS, "default", SA_UID, "default-token-p7w9c"].map(String::from)]
    );
}

#[tokio::test]
async fn a_real_generator_signs_a_verifiable_legacy_token() {
    let key = Arc::new(crate::serviceaccount::SigningKey::generate_ecdsa_p256().expect("key"));
    let generator = Arc::new(TokenGenerator::legacy(key));
    let api = FakeApi::new().with_service_account(service_account(&[]));
    let mut accounts = Writer::default();
    accounts.apply_watcher_event(&watcher::Event::Apply(service_account(&[])));
    let controller = TokensController::new(
        api.clone(),
        TokensControllerOptions::new(generator).names(Arc::new(SeededNames::new())),
        accounts.as_reader(),
        Writer::<Secret>::default().as_reader(),
    );
    controller.service_account_changed(&service_account(&[]));
    assert!(controller.process_next_service_account().await);
    let secret = api.secret(NS, "default-token-p7w9c").expect("created");
    let token = String::from_utf8(data_of(&secret, TOKEN_DATA_KEY).to_vec()).expect("utf-8");
    let payload = token.split('.').nth(1).expect("three parts");
    use base64::Engine as _;
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("base64url"),
    )
    .expect("json");
    assert_eq!(claims["sub"], "system:serviceaccount:default:default");
    assert_eq!(
        claims["kubernetes.io/serviceaccount/secret.name"],
        "default-token-p7w9c"
    );
    assert_eq!(
        claims["kubernetes.io/serviceaccount/service-account.uid"],
        SA_UID
    );
    assert!(
        data_of(&secret, ROOT_CA_DATA_KEY).is_empty(),
        "no root CA configured"
    );
}

#[test]
fn options_default_and_clamp() {
    let tokens: Arc<dyn LegacyTokenSource> = Arc::new(FakeTokens::default());
    let options = TokensControllerOptions::with_token_source(tokens);
    assert_eq!(options.max_retries, 10);
    assert_eq!(options.workers, DEFAULT_WORKERS);
    let options = options.max_retries(0).workers(0).root_ca(Vec::new());
    assert_eq!(options.max_retries, 10, "0 means 10");
    assert_eq!(options.workers, 1);
    assert!(options.root_ca.is_none(), "an empty CA is no CA");
    assert_eq!(options.max_retries(3).max_retries, 3);
}

#[test]
fn keys_are_built_from_objects_and_validated() {
    let secret = token_secret_without_uid_annotation();
    let key = SecretKey::of(&secret);
    assert_eq!(
        key,
        SecretKey {
            namespace: NS.into(),
            name: "token-secret-1".into(),
            uid: SECRET_UID.into(),
            service_account_name: "default".into(),
            service_account_uid: String::new(),
        }
    );
    assert!(key.is_valid(), "the account uid is optional");
    let cases = [
        (
            "namespace",
            SecretKey {
                namespace: String::new(),
                ..key.clone()
            },
        ),
        (
            "name",
            SecretKey {
                name: String::new(),
                ..key.clone()
            },
        ),
        (
            "uid",
            SecretKey {
                uid: String::new(),
                ..key.clone()
            },
        ),
        (
            "account",
            SecretKey {
                service_account_name: String::new(),
                ..key.clone()
            },
        ),
    ];
    for (missing, key) in cases {
        assert!(!key.is_valid(), "missing {missing}");
    }
    let key = ServiceAccountKey::of(&service_account(&[]));
    assert!(key.is_valid());
    assert!(!ServiceAccountKey {
        uid: String::new(),
        ..key.clone()
    }
    .is_valid());
    assert!(!ServiceAccountKey {
        name: String::new(),
        ..key.clone()
    }
    .is_valid());
    assert!(!ServiceAccountKey {
        namespace: String::new(),
        ..key
    }
    .is_valid());
}
