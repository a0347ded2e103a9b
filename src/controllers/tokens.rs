//! The token controller (spec §3.1–§3.5, Kubernetes v1.8 behaviour; in bound mode modern
//! spec §10.2, upstream pkg/controller/serviceaccount/tokens_controller.go of 1.26+).
//!
//! It keeps one signed API token in a Secret of type `kubernetes.io/service-account-token`
//! referenced from every ServiceAccount, fills in token Secrets that users create with only
//! the `kubernetes.io/service-account.name` annotation, removes references to deleted
//! Secrets, and deletes the tokens of deleted accounts.
//!
//! Two queues, fed by the ServiceAccount and token-Secret caches:
//! * [`ServiceAccountKey`] → [`TokensController::sync_service_account`];
//! * [`SecretKey`] → [`TokensController::sync_secret`].
//!
//! Each sync reads the caches, decides, and writes through [`CoreApi`]; a failed sync says
//! whether it wants a retry (`SyncFailure::retry`), and the key is re-queued rate-limited
//! at most `max_retries` times.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use k8s_openapi::api::core::v1::{ObjectReference, Secret, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::ByteString;
use kube::runtime::reflector::{ObjectRef, Store};
use tokio::time::Instant;
use tracing::{debug, error, info, info_span, warn, Instrument};

use super::api::{uid_precondition, ClientError, CoreApi};
use super::queue::{RateLimiterConfig, WorkQueue};
use crate::names::{NameGenerator, RandomNames};
use crate::serviceaccount::{
    is_service_account_token, TokenError, TokenGenerator, NAMESPACE_DATA_KEY, ROOT_CA_DATA_KEY,
    SERVICE_ACCOUNT_NAME_ANNOTATION, SERVICE_ACCOUNT_TOKEN_TYPE, SERVICE_ACCOUNT_UID_ANNOTATION,
    TOKEN_DATA_KEY,
};
use crate::Mode;

/// Retries of a key before it is given up on, when the options say 0.
pub const DEFAULT_MAX_RETRIES: u32 = 10;
/// Workers per queue (kube-controller-manager's `--concurrent-serviceaccount-token-syncs`).
pub const DEFAULT_WORKERS: usize = 5;

/// The account queue's name in `workqueue_*` metrics, as upstream's token controller
/// names it.
pub const SERVICE_ACCOUNT_QUEUE_NAME: &str = "serviceaccount_tokens_service";
/// The secret queue's name in `workqueue_*` metrics, as upstream's token controller names it.
pub const SECRET_QUEUE_NAME: &str = "serviceaccount_tokens_secret";
/// How long a Secret this controller created stays visible before the watch reports it.
const RECENTLY_CREATED_TTL: Duration = Duration::from_secs(60);

/// Makes the legacy JWT stored in a token Secret (§4.2). [`TokenGenerator`] is the real one;
/// tests and custom signers can provide their own.
pub trait LegacyTokenSource: Send + Sync + std::fmt::Debug {
    /// The signed token for the account `namespace/service_account_name` (with its UID),
    /// to be stored in the Secret `secret_name`.
    ///
    /// # Errors
    ///
    /// [`TokenError`] if signing fails.
    fn legacy_token(
        &self,
        namespace: &str,
        service_account_name: &str,
        service_account_uid: &str,
        secret_name: &str,
    ) -> Result<String, TokenError>;
}

impl LegacyTokenSource for TokenGenerator {
    fn legacy_token(
        &self,
        namespace: &str,
        service_account_name: &str,
        service_account_uid: &str,
        secret_name: &str,
    ) -> Result<String, TokenError> {
        TokenGenerator::legacy_token(
            self,
            namespace,
            service_account_name,
            service_account_uid,
            secret_name,
        )
    }
}

/// Configuration of the token controller (upstream `TokensControllerOptions`).
///
/// ```no_run
/// # fn example(generator: std::sync::Arc<kube_sa::serviceaccount::TokenGenerator>) {
/// use kube_sa::controllers::TokensControllerOptions;
/// let options = TokensControllerOptions::new(generator)
///     .root_ca(b"-----BEGIN CERTIFICATE-----...".to_vec())
///     .max_retries(5)
///     .workers(2);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct TokensControllerOptions {
    tokens: Arc<dyn LegacyTokenSource>,
    root_ca: Option<Vec<u8>>,
    max_retries: u32,
    names: Arc<dyn NameGenerator>,
    workers: usize,
    rate_limiter: RateLimiterConfig,
    mode: Mode,
}

impl TokensControllerOptions {
    /// Signs tokens with `token_generator`; no root CA, 10 retries, random names, 5 workers.
    pub fn new(token_generator: Arc<TokenGenerator>) -> Self {
        Self::with_token_source(token_generator)
    }

    /// Like [`new`](Self::new), with any [`LegacyTokenSource`].
    pub fn with_token_source(tokens: Arc<dyn LegacyTokenSource>) -> Self {
        Self {
            tokens,
            root_ca: None,
            max_retries: DEFAULT_MAX_RETRIES,
            names: Arc::new(RandomNames),
            workers: DEFAULT_WORKERS,
            rate_limiter: RateLimiterConfig::default(),
            mode: Mode::Legacy,
        }
    }

    /// CA bundle stored as `ca.crt` in every token Secret. An empty bundle means none.
    pub fn root_ca(mut self, root_ca: impl Into<Vec<u8>>) -> Self {
        let root_ca = root_ca.into();
        self.root_ca = (!root_ca.is_empty()).then_some(root_ca);
        self
    }

    /// How often a failing key is retried before it is dropped; 0 means 10.
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = if max_retries == 0 {
            DEFAULT_MAX_RETRIES
        } else {
            max_retries
        };
        self
    }

    /// Where the 5-character suffixes of `<account>-token-xxxxx` come from.
    pub fn names(mut self, names: Arc<dyn NameGenerator>) -> Self {
        self.names = names;
        self
    }

    /// Workers per queue (at least 1).
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    /// Backoff of retried keys (client-go's default controller limiter unless changed).
    pub fn rate_limiter(mut self, rate_limiter: RateLimiterConfig) -> Self {
        self.rate_limiter = rate_limiter;
        self
    }

    /// [`Mode::Legacy`] (the default) gives every account a token Secret; [`Mode::Bound`]
    /// never generates one (modern spec §10.2, upstream's 1.26+ controller), and still fills
    /// in and cleans up the token Secrets users create.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }
}

/// Queue key of a ServiceAccount event.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServiceAccountKey {
    /// The account's namespace.
    pub namespace: String,
    /// The account's name.
    pub name: String,
    /// The account's UID, so a re-created account is a different key.
    pub uid: String,
}

impl ServiceAccountKey {
    /// The key of `account` (empty strings for missing metadata).
    pub fn of(account: &ServiceAccount) -> Self {
        let meta = &account.metadata;
        Self {
            namespace: meta.namespace.clone().unwrap_or_default(),
            name: meta.name.clone().unwrap_or_default(),
            uid: meta.uid.clone().unwrap_or_default(),
        }
    }

    /// Keys with an empty namespace, name or uid are dropped.
    pub fn is_valid(&self) -> bool {
        !self.namespace.is_empty() && !self.name.is_empty() && !self.uid.is_empty()
    }
}

/// Queue key of a token Secret event: the Secret plus the account its annotations name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SecretKey {
    /// The Secret's namespace.
    pub namespace: String,
    /// The Secret's name.
    pub name: String,
    /// The Secret's UID.
    pub uid: String,
    /// The account named by `kubernetes.io/service-account.name`.
    pub service_account_name: String,
    /// Empty when the Secret has no UID annotation yet.
    pub service_account_uid: String,
}

impl SecretKey {
    /// The key of `secret` (empty strings for missing metadata or annotations).
    pub fn of(secret: &Secret) -> Self {
        let meta = &secret.metadata;
        Self {
            namespace: meta.namespace.clone().unwrap_or_default(),
            name: meta.name.clone().unwrap_or_default(),
            uid: meta.uid.clone().unwrap_or_default(),
            service_account_name: annotation(meta, SERVICE_ACCOUNT_NAME_ANNOTATION).to_string(),
            service_account_uid: annotation(meta, SERVICE_ACCOUNT_UID_ANNOTATION).to_string(),
        }
    }

    /// Keys with an empty namespace, name, uid or account name are dropped: a token
    /// Secret without the name annotation is ignored.
    pub fn is_valid(&self) -> bool {
        !self.namespace.is_empty()
            && !self.name.is_empty()
            && !self.uid.is_empty()
            && !self.service_account_name.is_empty()
    }
}

fn annotation<'a>(meta: &'a ObjectMeta, key: &str) -> &'a str {
    meta.annotations
        .as_ref()
        .and_then(|annotations| annotations.get(key))
        .map(String::as_str)
        .unwrap_or_default()
}

fn name_of(meta: &ObjectMeta) -> &str {
    meta.name.as_deref().unwrap_or_default()
}

fn uid_of(meta: &ObjectMeta) -> &str {
    meta.uid.as_deref().unwrap_or_default()
}

fn resource_version_of(meta: &ObjectMeta) -> &str {
    meta.resource_version.as_deref().unwrap_or_default()
}

/// The key under which a cached token Secret records that its `token` was set. Data keys
/// of a real Secret match `[-._a-zA-Z0-9]+`, so this one (with a space) cannot collide.
const CACHED_TOKEN_SET: &str = " token is set";
/// The key under which a cached token Secret keeps the SHA-256 digest of its `ca.crt`.
const CACHED_CA_SHA256: &str = " ca.crt sha256";

/// What the token controller reads of a token Secret's data, for its cache (client-go's
/// `TransformFunc`): whether `token` is set and the SHA-256 of `ca.crt`, instead of the
/// values, which are most of the cache's memory with many accounts (an RS256 legacy token
/// is about 0.85 KB, the embedded cluster's ECDSA CA about 0.6 KB).
/// `namespace` and every other key stay as they are. Fresh copies for writes are always
/// read from the API, never from the cache.
pub fn keep_token_data_facts(secret: &mut Secret) {
    let Some(data) = secret.data.as_mut() else {
        return;
    };
    if let Some(token) = data.remove(TOKEN_DATA_KEY) {
        if !token.0.is_empty() {
            data.insert(CACHED_TOKEN_SET.to_string(), ByteString(Vec::new()));
        }
    }
    if let Some(ca) = data.remove(ROOT_CA_DATA_KEY) {
        data.insert(
            CACHED_CA_SHA256.to_string(),
            ByteString(sha256(&ca.0).to_vec()),
        );
    }
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    let mut out = [0; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

fn data_of<'a>(secret: &'a Secret, key: &str) -> &'a [u8] {
    secret
        .data
        .as_ref()
        .and_then(|data| data.get(key))
        .map(|bytes| bytes.0.as_slice())
        .unwrap_or_default()
}

/// Why a sync failed.
#[derive(Debug, thiserror::Error)]
pub enum TokensError {
    /// An API call failed.
    #[error("{context}: {source}")]
    Api {
        /// What the controller was doing, e.g. `updating secret ns/name`.
        context: String,
        /// The classified failure.
        #[source]
        source: ClientError,
    },
    /// Signing the token for a Secret failed.
    #[error("generating the token for secret {namespace}/{name}: {source}")]
    Token {
        /// The Secret's namespace.
        namespace: String,
        /// The Secret's name.
        name: String,
        /// Why signing failed.
        #[source]
        source: TokenError,
    },
    /// Several steps of one sync failed (e.g. deleting more than one Secret).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Several(Vec<TokensError>),
}

impl TokensError {
    fn api(context: impl Into<String>, source: ClientError) -> Self {
        Self::Api {
            context: context.into(),
            source,
        }
    }
}

/// A failed sync, and whether the key should be re-queued.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct SyncFailure {
    /// Whether the key goes back on the queue (rate-limited, up to the retry cap).
    pub retry: bool,
    /// What failed.
    #[source]
    pub error: TokensError,
}

impl SyncFailure {
    fn retry(error: TokensError) -> Self {
        Self { retry: true, error }
    }

    fn give_up(error: TokensError) -> Self {
        Self {
            retry: false,
            error,
        }
    }
}

type SyncResult = Result<(), SyncFailure>;

/// The token-Secret cache: the watch-fed store, plus Secrets this controller created and
/// the watch has not reported yet (v1.8 added them straight to its store). Without them,
/// the account update that references a new Secret would make a second token.
///
/// The store has no index, so the cache keeps the names of its token Secrets by namespace
/// (from the change events): a sync reads its own namespace's Secrets, not every one.
#[derive(Debug)]
struct SecretCache {
    store: Store<Secret>,
    token_names: Mutex<TokenNamesByNamespace>,
    recently_created: Mutex<RecentlyCreated>,
}

/// Names of the token Secrets in the store, by namespace.
type TokenNamesByNamespace = HashMap<String, BTreeSet<String>>;

/// Secrets by namespace and name, with the time they were created; expired entries are
/// dropped when their namespace is read and, for the others, at most once per TTL.
#[derive(Debug, Default)]
struct RecentlyCreated {
    by_namespace: HashMap<String, HashMap<String, (Arc<Secret>, Instant)>>,
    last_full_prune: Option<Instant>,
}

impl RecentlyCreated {
    fn prune(&mut self, namespace: &str, now: Instant) {
        let fresh =
            |(_, added): &(Arc<Secret>, Instant)| now.duration_since(*added) < RECENTLY_CREATED_TTL;
        if self
            .last_full_prune
            .is_none_or(|pruned| now.duration_since(pruned) >= RECENTLY_CREATED_TTL)
        {
            self.last_full_prune = Some(now);
            self.by_namespace.retain(|_, secrets| {
                secrets.retain(|_, entry| fresh(entry));
                !secrets.is_empty()
            });
        } else if let Some(secrets) = self.by_namespace.get_mut(namespace) {
            secrets.retain(|_, entry| fresh(entry));
            if secrets.is_empty() {
                self.by_namespace.remove(namespace);
            }
        }
    }
}

fn is_token_secret(secret: &Secret) -> bool {
    secret.type_.as_deref() == Some(SERVICE_ACCOUNT_TOKEN_TYPE)
}

impl SecretCache {
    /// Indexes what `store` already holds; later changes come through [`Self::observed`].
    fn new(store: Store<Secret>) -> Self {
        let mut token_names = TokenNamesByNamespace::new();
        for secret in store.state().iter().filter(|s| is_token_secret(s)) {
            if let Some(namespace) = secret.metadata.namespace.as_deref() {
                token_names
                    .entry(namespace.to_string())
                    .or_default()
                    .insert(name_of(&secret.metadata).to_string());
            }
        }
        Self {
            store,
            token_names: Mutex::new(token_names),
            recently_created: Mutex::new(RecentlyCreated::default()),
        }
    }

    fn recent(&self) -> MutexGuard<'_, RecentlyCreated> {
        self.recently_created
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn token_names(&self) -> MutexGuard<'_, TokenNamesByNamespace> {
        self.token_names
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn cached(&self, namespace: &str, name: &str) -> Option<Arc<Secret>> {
        self.store.get(&ObjectRef::new(name).within(namespace))
    }

    /// The store changed for this token Secret (added, updated or deleted): the index
    /// follows the store, which already reflects the change.
    fn observed(&self, namespace: &str, name: &str) {
        let in_store = self.cached(namespace, name).is_some();
        let mut token_names = self.token_names();
        if in_store {
            token_names
                .entry(namespace.to_string())
                .or_default()
                .insert(name.to_string());
        } else if let Some(names) = token_names.get_mut(namespace) {
            names.remove(name);
            if names.is_empty() {
                token_names.remove(namespace);
            }
        }
    }

    /// Recently created Secrets in `namespace`, dropping expired ones.
    fn recent_in(&self, namespace: &str) -> Vec<Arc<Secret>> {
        let mut recent = self.recent();
        recent.prune(namespace, Instant::now());
        recent
            .by_namespace
            .get(namespace)
            .map(|secrets| secrets.values().map(|(s, _)| Arc::clone(s)).collect())
            .unwrap_or_default()
    }

    fn get(&self, namespace: &str, name: &str) -> Option<Arc<Secret>> {
        let recent = self
            .recent_in(namespace)
            .into_iter()
            .find(|secret| name_of(&secret.metadata) == name);
        recent.or_else(|| self.cached(namespace, name))
    }

    /// Every cached token Secret in `namespace`; a recently created one replaces the
    /// store's copy.
    fn list(&self, namespace: &str) -> Vec<Arc<Secret>> {
        let recent = self.recent_in(namespace);
        let recent_names: HashSet<&str> = recent.iter().map(|s| name_of(&s.metadata)).collect();
        let names: Vec<String> = self
            .token_names()
            .get(namespace)
            .map(|names| {
                names
                    .iter()
                    .filter(|name| !recent_names.contains(name.as_str()))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let mut secrets: Vec<Arc<Secret>> = names
            .iter()
            .filter_map(|name| self.cached(namespace, name))
            .collect();
        secrets.extend(recent.iter().cloned());
        secrets
    }

    fn remember_created(&self, mut secret: Secret) {
        keep_token_data_facts(&mut secret);
        let namespace = secret.metadata.namespace.clone().unwrap_or_default();
        let name = name_of(&secret.metadata).to_string();
        // The watch was faster: the store already has this very Secret, and the index
        // too (the store changes just before the index does).
        let indexed = self
            .token_names()
            .get(&namespace)
            .is_some_and(|names| names.contains(&name));
        let in_store = indexed
            && self
                .cached(&namespace, &name)
                .is_some_and(|cached| cached.metadata.uid == secret.metadata.uid);
        if !in_store {
            self.recent()
                .by_namespace
                .entry(namespace)
                .or_default()
                .insert(name, (Arc::new(secret), Instant::now()));
        }
    }

    /// The watch reported this Secret (or this controller deleted it): the store is current.
    fn forget_created(&self, namespace: &str, name: &str) {
        let mut recent = self.recent();
        if let Some(secrets) = recent.by_namespace.get_mut(namespace) {
            secrets.remove(name);
            if secrets.is_empty() {
                recent.by_namespace.remove(namespace);
            }
        }
    }
}

/// The token controller. Build it with [`new`](Self::new), feed it cache events with
/// [`service_account_changed`](Self::service_account_changed) and
/// [`secret_changed`](Self::secret_changed), and run workers with [`run_workers`](Self::run_workers).
#[derive(Debug)]
pub struct TokensController<A> {
    api: A,
    tokens: Arc<dyn LegacyTokenSource>,
    root_ca: Option<Vec<u8>>,
    /// SHA-256 of `root_ca`, to compare with cached Secrets (see [`keep_token_data_facts`]).
    root_ca_sha256: Option<[u8; 32]>,
    names: Arc<dyn NameGenerator>,
    max_retries: u32,
    workers: usize,
    mode: Mode,
    service_accounts: Store<ServiceAccount>,
    secrets: SecretCache,
    /// Token Secrets this controller created and could not reference or delete, by their
    /// account's UID: the account's next sync deletes them first.
    abandoned: Mutex<HashMap<String, Vec<Abandoned>>>,
    service_account_queue: WorkQueue<ServiceAccountKey>,
    secret_queue: WorkQueue<SecretKey>,
}

/// A created token Secret that is to be deleted (name and UID, in its account's namespace).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Abandoned {
    name: String,
    uid: String,
}

impl<A: CoreApi> TokensController<A> {
    /// `service_accounts` caches every ServiceAccount; `secrets` caches the Secrets of type
    /// `kubernetes.io/service-account-token` (other Secrets are ignored if present).
    pub fn new(
        api: A,
        options: TokensControllerOptions,
        service_accounts: Store<ServiceAccount>,
        secrets: Store<Secret>,
    ) -> Self {
        Self {
            api,
            tokens: options.tokens,
            root_ca_sha256: options.root_ca.as_deref().map(sha256),
            root_ca: options.root_ca,
            names: options.names,
            max_retries: options.max_retries,
            workers: options.workers,
            mode: options.mode,
            service_accounts,
            secrets: SecretCache::new(secrets),
            abandoned: Mutex::new(HashMap::new()),
            service_account_queue: WorkQueue::named(
                SERVICE_ACCOUNT_QUEUE_NAME,
                options.rate_limiter,
            ),
            secret_queue: WorkQueue::named(SECRET_QUEUE_NAME, options.rate_limiter),
        }
    }

    /// The ServiceAccount queue (for tests and idle checks).
    pub fn service_account_queue(&self) -> &WorkQueue<ServiceAccountKey> {
        &self.service_account_queue
    }

    /// The token Secret queue (for tests and idle checks).
    pub fn secret_queue(&self) -> &WorkQueue<SecretKey> {
        &self.secret_queue
    }

    /// A ServiceAccount was added, updated (pass the new object) or deleted.
    pub fn service_account_changed(&self, account: &ServiceAccount) {
        self.service_account_queue
            .add(ServiceAccountKey::of(account));
    }

    /// A token Secret was added, updated (pass the new object) or deleted.
    pub fn secret_changed(&self, secret: &Secret) {
        if !is_token_secret(secret) {
            return;
        }
        if let Some(namespace) = secret.metadata.namespace.as_deref() {
            let name = name_of(&secret.metadata);
            self.secrets.observed(namespace, name);
            self.secrets.forget_created(namespace, name);
        }
        self.secret_queue.add(SecretKey::of(secret));
    }

    /// Stops both queues; workers return.
    pub fn shut_down(&self) {
        self.service_account_queue.shut_down();
        self.secret_queue.shut_down();
    }

    /// Runs the workers of both queues until [`shut_down`](Self::shut_down).
    ///
    /// ```no_run
    /// # async fn example(client: kube::Client, key: std::sync::Arc<kube_sa::serviceaccount::SigningKey>) {
    /// use std::sync::Arc;
    /// use kube::runtime::reflector;
    /// use kube_sa::controllers::{KubeApi, TokensController, TokensControllerOptions};
    /// use kube_sa::serviceaccount::TokenGenerator;
    ///
    /// let options = TokensControllerOptions::new(Arc::new(TokenGenerator::legacy(key)));
    /// // The writers are fed by watches (see `controllers::run`).
    /// let (accounts, _accounts_writer) = reflector::store();
    /// let (secrets, _secrets_writer) = reflector::store();
    /// let controller = Arc::new(TokensController::new(KubeApi::new(client), options, accounts, secrets));
    /// let workers = tokio::spawn(Arc::clone(&controller).run_workers());
    /// controller.shut_down();
    /// let _ = workers.await;
    /// # }
    /// ```
    pub async fn run_workers(self: Arc<Self>) {
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..self.workers {
            let controller = Arc::clone(&self);
            workers.spawn(async move { while controller.process_next_service_account().await {} });
            let controller = Arc::clone(&self);
            workers.spawn(async move { while controller.process_next_secret().await {} });
        }
        while let Some(joined) = workers.join_next().await {
            if let Err(error) = joined {
                error!(%error, "token controller worker stopped");
            }
        }
    }

    /// Syncs one ServiceAccount key; false once the queue is shut down.
    pub async fn process_next_service_account(&self) -> bool {
        let Some(key) = self.service_account_queue.get().await else {
            return false;
        };
        let span = info_span!(
            "sync_service_account",
            namespace = %key.namespace,
            name = %key.name,
            uid = %key.uid
        );
        let result = self
            .sync_service_account(&key)
            .instrument(span.clone())
            .await;
        span.in_scope(|| self.retry_or_forget(&self.service_account_queue, &key, result));
        self.service_account_queue.done(&key);
        true
    }

    /// Syncs one Secret key; false once the queue is shut down.
    pub async fn process_next_secret(&self) -> bool {
        let Some(key) = self.secret_queue.get().await else {
            return false;
        };
        let span = info_span!(
            "sync_secret",
            namespace = %key.namespace,
            name = %key.name,
            service_account = %key.service_account_name
        );
        let result = self.sync_secret(&key).instrument(span.clone()).await;
        span.in_scope(|| self.retry_or_forget(&self.secret_queue, &key, result));
        self.secret_queue.done(&key);
        true
    }

    fn retry_or_forget<K>(&self, queue: &WorkQueue<K>, key: &K, result: SyncResult)
    where
        K: Eq + std::hash::Hash + Clone,
    {
        match result {
            Ok(()) => queue.forget(key),
            Err(failure) if !failure.retry => {
                warn!(error = %failure.error, "sync failed; not retrying");
                queue.forget(key);
            }
            Err(failure) => {
                let requeues = queue.num_requeues(key);
                if requeues < self.max_retries {
                    warn!(error = %failure.error, attempt = requeues + 1, "sync failed; retrying");
                    queue.add_rate_limited(key.clone());
                } else {
                    warn!(error = %failure.error, retries = requeues, "sync failed; giving up");
                    queue.forget(key);
                }
            }
        }
    }

    /// The cached account `namespace/name`, if its UID is `uid` (any UID when `uid` is empty).
    fn cached_service_account(
        &self,
        namespace: &str,
        name: &str,
        uid: &str,
    ) -> Option<Arc<ServiceAccount>> {
        self.service_accounts
            .get(&ObjectRef::new(name).within(namespace))
            .filter(|account| uid.is_empty() || uid_of(&account.metadata) == uid)
    }

    /// Like [`cached_service_account`](Self::cached_service_account), with a live GET on a miss.
    async fn service_account_or_fetch(
        &self,
        namespace: &str,
        name: &str,
        uid: &str,
    ) -> Result<Option<Arc<ServiceAccount>>, ClientError> {
        if let Some(account) = self.cached_service_account(namespace, name, uid) {
            return Ok(Some(account));
        }
        match self.api.get_service_account(namespace, name).await {
            Ok(account) if uid.is_empty() || uid_of(&account.metadata) == uid => {
                Ok(Some(Arc::new(account)))
            }
            Ok(_) => Ok(None),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Cached token Secrets of the account `namespace/name` with UID `uid`.
    fn token_secrets(&self, namespace: &str, name: &str, uid: &str) -> Vec<Arc<Secret>> {
        let account = ServiceAccount {
            metadata: ObjectMeta {
                namespace: Some(namespace.to_string()),
                name: Some(name.to_string()),
                uid: Some(uid.to_string()),
                ..ObjectMeta::default()
            },
            ..ServiceAccount::default()
        };
        self.secrets
            .list(namespace)
            .into_iter()
            .filter(|secret| is_service_account_token(secret, &account))
            .collect()
    }

    /// §3.2: an account that exists gets a referenced token (legacy mode only; in bound
    /// mode nothing is generated, modern spec §10.2); a deleted one loses its tokens.
    pub async fn sync_service_account(&self, key: &ServiceAccountKey) -> SyncResult {
        if !key.is_valid() {
            error!(?key, "dropping invalid service account key");
            return Ok(());
        }
        match self.cached_service_account(&key.namespace, &key.name, &key.uid) {
            None => {
                debug!("service account deleted, removing its tokens");
                self.delete_tokens(key).await
            }
            Some(_) if self.mode == Mode::Bound => Ok(()),
            Some(account) => self.ensure_referenced_token(&account).await,
        }
    }

    /// §3.2 step 3: deletes every cached token Secret of a deleted account.
    async fn delete_tokens(&self, key: &ServiceAccountKey) -> SyncResult {
        // The account's own tokens below include any abandoned one.
        self.abandoned_of().remove(&key.uid);
        let mut retry = false;
        let mut errors = Vec::new();
        for secret in self.token_secrets(&key.namespace, &key.name, &key.uid) {
            let name = name_of(&secret.metadata);
            match self
                .delete_token(&key.namespace, name, uid_of(&secret.metadata))
                .await
            {
                Ok(()) => info!(
                    "deleted token secret {}/{name} of deleted service account {}/{}",
                    key.namespace, key.namespace, key.name
                ),
                Err(failure) => {
                    retry |= failure.retry;
                    errors.push(failure.error);
                }
            }
        }
        match errors.len() {
            0 => Ok(()),
            1 => Err(SyncFailure {
                retry,
                error: errors.remove(0),
            }),
            _ => Err(SyncFailure {
                retry,
                error: TokensError::Several(errors),
            }),
        }
    }

    /// Deletes a token Secret if it still has `uid`; gone already or replaced counts as done.
    ///
    /// Upstream takes any 409 for the UID precondition failing. Here a 409 is believed only
    /// once a read shows the Secret gone or replaced: a 409 from anything else (a proxy, an
    /// injected fault) would otherwise leave the Secret behind with nothing to retry it.
    async fn delete_token(&self, namespace: &str, name: &str, uid: &str) -> SyncResult {
        let failed = |error| {
            SyncFailure::retry(TokensError::api(
                format!("deleting token secret {namespace}/{name}"),
                error,
            ))
        };
        match self
            .api
            .delete_secret(namespace, name, uid_precondition(uid))
            .await
        {
            Ok(()) => {
                self.secrets.forget_created(namespace, name);
                Ok(())
            }
            Err(error) if error.is_not_found() => Ok(()),
            Err(error) if error.is_conflict() => match self.api.get_secret(namespace, name).await {
                Ok(live) if uid.is_empty() || uid_of(&live.metadata) == uid => Err(failed(error)),
                Ok(_) => Ok(()),
                Err(read) if read.is_not_found() => Ok(()),
                Err(read) => Err(failed(read)),
            },
            Err(error) => Err(failed(error)),
        }
    }

    fn abandoned_of(&self) -> MutexGuard<'_, HashMap<String, Vec<Abandoned>>> {
        self.abandoned.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Deletes the token Secrets of `account` that an earlier sync created and could neither
    /// reference nor delete; those that still fail stay for the next sync.
    async fn delete_abandoned(&self, namespace: &str, account_uid: &str) -> SyncResult {
        let Some(secrets) = self.abandoned_of().remove(account_uid) else {
            return Ok(());
        };
        let mut left = Vec::new();
        let mut failure = None;
        for secret in secrets {
            match self
                .delete_token(namespace, &secret.name, &secret.uid)
                .await
            {
                Ok(()) => info!(
                    "deleted unreferenced token secret {namespace}/{}",
                    secret.name
                ),
                Err(error) => {
                    left.push(secret);
                    failure = Some(error);
                }
            }
        }
        if !left.is_empty() {
            self.abandoned_of()
                .entry(account_uid.to_string())
                .or_default()
                .extend(left);
        }
        failure.map_or(Ok(()), Err)
    }

    /// §3.3: makes sure the account references one of its token Secrets, creating one if not.
    async fn ensure_referenced_token(&self, account: &ServiceAccount) -> SyncResult {
        let namespace = account.metadata.namespace.as_deref().unwrap_or_default();
        let account_name = name_of(&account.metadata);
        let account_uid = uid_of(&account.metadata);
        self.delete_abandoned(namespace, account_uid).await?;
        let references = account.secrets.as_deref().unwrap_or_default();
        if !references.is_empty() {
            let referenced: HashSet<&str> = references
                .iter()
                .filter_map(|reference| reference.name.as_deref())
                .collect();
            let tokens = self.token_secrets(namespace, account_name, account_uid);
            if tokens
                .iter()
                .any(|secret| referenced.contains(name_of(&secret.metadata)))
            {
                debug!("service account already references a token secret");
                return Ok(());
            }
        }

        // The reference goes into a fresh copy, never into the cached object.
        let mut live = match self.api.get_service_account(namespace, account_name).await {
            Ok(live) => live,
            Err(error) => {
                let retry = !error.is_not_found();
                let error = TokensError::api(
                    format!("getting service account {namespace}/{account_name}"),
                    error,
                );
                return Err(SyncFailure { retry, error });
            }
        };
        if resource_version_of(&live.metadata) != resource_version_of(&account.metadata) {
            // An update event for the newer version is on its way and will sync again.
            info!("service account {namespace}/{account_name} is not up to date, skipping token creation");
            return Ok(());
        }

        let secret_name = self.names.generate(&format!("{account_name}-token-"));
        let token = self
            .tokens
            .legacy_token(namespace, account_name, account_uid, &secret_name)
            .map_err(|source| {
                SyncFailure::retry(TokensError::Token {
                    namespace: namespace.to_string(),
                    name: secret_name.clone(),
                    source,
                })
            })?;
        let secret =
            self.new_token_secret(namespace, account_name, account_uid, &secret_name, token);

        let created = self
            .api
            .create_secret(namespace, &secret)
            .await
            .map_err(|error| {
                SyncFailure::retry(TokensError::api(
                    format!("creating token secret {namespace}/{secret_name}"),
                    error,
                ))
            })?;
        let created_uid = uid_of(&created.metadata).to_string();
        self.secrets.remember_created(created);

        live.secrets
            .get_or_insert_with(Vec::new)
            .push(ObjectReference {
                name: Some(secret_name.clone()),
                ..ObjectReference::default()
            });
        match self.api.update_service_account(namespace, &live).await {
            Ok(_) => {
                info!("created token secret {secret_name} for service account {namespace}/{account_name}");
                Ok(())
            }
            Err(update_error) => {
                // The account does not reference the new Secret: delete it, so it cannot linger.
                info!(
                    error = %update_error,
                    "deleting token secret {namespace}/{secret_name} because the reference could not be added"
                );
                if let Err(delete_error) = self
                    .delete_token(namespace, &secret_name, &created_uid)
                    .await
                {
                    // Upstream only logs this and the Secret lingers; here the retry of
                    // the account's sync deletes it first.
                    warn!(error = %delete_error, "could not delete unreferenced token secret {namespace}/{secret_name}");
                    self.abandoned_of()
                        .entry(account_uid.to_string())
                        .or_default()
                        .push(Abandoned {
                            name: secret_name.clone(),
                            uid: created_uid,
                        });
                }
                // NotFound: the account is gone (its Secrets' syncs delete what is left).
                // Upstream (v1.8) does not retry a Conflict either, as the update event of
                // whoever changed the account syncs it again; but a 409 that no change
                // caused (a proxy, an injected fault) brings no event, so it is retried too.
                let retry = !update_error.is_not_found();
                Err(SyncFailure {
                    retry,
                    error: TokensError::api(
                        format!("adding token secret {secret_name} to service account {namespace}/{account_name}"),
                        update_error,
                    ),
                })
            }
        }
    }

    fn new_token_secret(
        &self,
        namespace: &str,
        account_name: &str,
        account_uid: &str,
        secret_name: &str,
        token: String,
    ) -> Secret {
        let mut data = BTreeMap::new();
        data.insert(TOKEN_DATA_KEY.to_string(), ByteString(token.into_bytes()));
        data.insert(
            NAMESPACE_DATA_KEY.to_string(),
            ByteString(namespace.as_bytes().to_vec()),
        );
        if let Some(root_ca) = &self.root_ca {
            data.insert(ROOT_CA_DATA_KEY.to_string(), ByteString(root_ca.clone()));
        }
        Secret {
            metadata: ObjectMeta {
                name: Some(secret_name.to_string()),
                namespace: Some(namespace.to_string()),
                annotations: Some(BTreeMap::from([
                    (
                        SERVICE_ACCOUNT_NAME_ANNOTATION.to_string(),
                        account_name.to_string(),
                    ),
                    (
                        SERVICE_ACCOUNT_UID_ANNOTATION.to_string(),
                        account_uid.to_string(),
                    ),
                ])),
                ..ObjectMeta::default()
            },
            type_: Some(SERVICE_ACCOUNT_TOKEN_TYPE.to_string()),
            data: Some(data),
            ..Secret::default()
        }
    }

    /// §3.4: a deleted Secret loses its references; a Secret whose account is gone is
    /// deleted; any other Secret gets its missing token, namespace and CA filled in.
    pub async fn sync_secret(&self, key: &SecretKey) -> SyncResult {
        if !key.is_valid() {
            error!(?key, "dropping invalid secret key");
            return Ok(());
        }
        let cached = self
            .secrets
            .get(&key.namespace, &key.name)
            .filter(|secret| uid_of(&secret.metadata) == key.uid);
        let Some(secret) = cached else {
            // Upstream retries a conflict here in the worker, sleeping between attempts
            // (`RemoveTokenBackoff`: 10 steps from 100 ms), and only logs other errors. Here
            // every failure goes back on the rate-limited queue (up to `max_retries`): no
            // worker sleeps, and a failed update does not leave a dangling reference.
            if self
                .cached_service_account(
                    &key.namespace,
                    &key.service_account_name,
                    &key.service_account_uid,
                )
                .is_some()
            {
                self.remove_secret_reference(key).await.map_err(|error| {
                    SyncFailure::retry(TokensError::api(
                        format!(
                            "removing secret {} from service account {}/{}",
                            key.name, key.namespace, key.service_account_name
                        ),
                        error,
                    ))
                })?;
            }
            return Ok(());
        };

        let account = self
            .service_account_or_fetch(
                &key.namespace,
                &key.service_account_name,
                &key.service_account_uid,
            )
            .await
            .map_err(|error| {
                SyncFailure::retry(TokensError::api(
                    format!(
                        "getting service account {}/{}",
                        key.namespace, key.service_account_name
                    ),
                    error,
                ))
            })?;
        match account {
            None => {
                self.delete_token(&key.namespace, &key.name, &key.uid)
                    .await?;
                info!(
                    "deleted token secret {}/{} because service account {} does not exist",
                    key.namespace, key.name, key.service_account_name
                );
                Ok(())
            }
            Some(account) => self.populate_if_needed(&account, &secret).await,
        }
    }

    /// Which of `ca.crt`, `namespace` and `token` the Secret lacks; for a live Secret and for
    /// a cached one (whose facts [`keep_token_data_facts`] kept) alike.
    fn missing_data(&self, secret: &Secret) -> MissingData {
        let ca_is_root = |root_ca: &Vec<u8>| {
            data_of(secret, ROOT_CA_DATA_KEY) == root_ca.as_slice()
                || self
                    .root_ca_sha256
                    .is_some_and(|digest| data_of(secret, CACHED_CA_SHA256) == digest)
        };
        let token_set = !data_of(secret, TOKEN_DATA_KEY).is_empty()
            || secret
                .data
                .as_ref()
                .is_some_and(|data| data.contains_key(CACHED_TOKEN_SET));
        MissingData {
            ca: self
                .root_ca
                .as_ref()
                .is_some_and(|root_ca| !ca_is_root(root_ca)),
            namespace: data_of(secret, NAMESPACE_DATA_KEY).is_empty(),
            token: !token_set,
        }
    }

    /// §3.4 step 3: fills in what the Secret lacks and sets both account annotations.
    async fn populate_if_needed(&self, account: &ServiceAccount, cached: &Secret) -> SyncResult {
        if self.missing_data(cached).is_none() {
            return Ok(());
        }
        let namespace = cached.metadata.namespace.as_deref().unwrap_or_default();
        let name = name_of(&cached.metadata);
        // The changes go into a fresh copy, never into the cached object.
        let mut live = match self.api.get_secret(namespace, name).await {
            Ok(live) => live,
            Err(error) => {
                let retry = !error.is_not_found();
                let error = TokensError::api(format!("getting secret {namespace}/{name}"), error);
                return Err(SyncFailure { retry, error });
            }
        };
        if resource_version_of(&live.metadata) != resource_version_of(&cached.metadata) {
            info!("secret {namespace}/{name} is not up to date, skipping token population");
            return Ok(());
        }
        let missing = self.missing_data(&live);
        if missing.is_none() {
            return Ok(());
        }

        let account_name = name_of(&account.metadata);
        let account_uid = uid_of(&account.metadata);
        let data = live.data.get_or_insert_with(BTreeMap::new);
        if missing.ca {
            if let Some(root_ca) = &self.root_ca {
                data.insert(ROOT_CA_DATA_KEY.to_string(), ByteString(root_ca.clone()));
            }
        }
        if missing.namespace {
            data.insert(
                NAMESPACE_DATA_KEY.to_string(),
                ByteString(namespace.as_bytes().to_vec()),
            );
        }
        if missing.token {
            let token = self
                .tokens
                .legacy_token(namespace, account_name, account_uid, name)
                .map_err(|source| {
                    // Unlike token creation (§3.3), a failure here is not retried.
                    SyncFailure::give_up(TokensError::Token {
                        namespace: namespace.to_string(),
                        name: name.to_string(),
                        source,
                    })
                })?;
            data.insert(TOKEN_DATA_KEY.to_string(), ByteString(token.into_bytes()));
        }
        let annotations = live.metadata.annotations.get_or_insert_with(BTreeMap::new);
        annotations.insert(
            SERVICE_ACCOUNT_NAME_ANNOTATION.to_string(),
            account_name.to_string(),
        );
        annotations.insert(
            SERVICE_ACCOUNT_UID_ANNOTATION.to_string(),
            account_uid.to_string(),
        );

        match self.api.update_secret(namespace, &live).await {
            Ok(_) => {
                info!(
                    ca = missing.ca,
                    namespace_data = missing.namespace,
                    token = missing.token,
                    "populated token secret {namespace}/{name} for service account {namespace}/{account_name}"
                );
                Ok(())
            }
            // NotFound: nothing left to populate. Upstream does not retry a Conflict either,
            // counting on the update event of whoever changed the Secret; a 409 no change
            // caused brings none, so it is retried (a retry that finds the Secret changed
            // stops at the resourceVersion check above).
            Err(error) if error.is_not_found() => {
                info!(%error, "token secret {namespace}/{name} is gone; not populating");
                Ok(())
            }
            Err(error) => Err(SyncFailure::retry(TokensError::api(
                format!("updating token secret {namespace}/{name}"),
                error,
            ))),
        }
    }

    /// Removes every reference to the deleted Secret from a fresh copy of its account.
    async fn remove_secret_reference(&self, key: &SecretKey) -> Result<(), ClientError> {
        let namespace = &key.namespace;
        let account_name = &key.service_account_name;
        let mut account = match self.api.get_service_account(namespace, account_name).await {
            Ok(account) => account,
            Err(error) if error.is_not_found() => return Ok(()),
            Err(error) => return Err(error),
        };
        if !key.service_account_uid.is_empty()
            && uid_of(&account.metadata) != key.service_account_uid
        {
            return Ok(());
        }
        let references = account.secrets.take().unwrap_or_default();
        let is_deleted_secret =
            |reference: &ObjectReference| reference.name.as_deref() == Some(key.name.as_str());
        if !references.iter().any(is_deleted_secret) {
            account.secrets = Some(references);
            return Ok(());
        }
        account.secrets = Some(
            references
                .into_iter()
                .filter(|r| !is_deleted_secret(r))
                .collect(),
        );
        match self.api.update_service_account(namespace, &account).await {
            Ok(_) => {
                info!(
                    "removed deleted token secret {} from service account {namespace}/{account_name}",
                    key.name
                );
                Ok(())
            }
            Err(error) if error.is_not_found() => Ok(()),
            Err(error) => Err(error),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct MissingData {
    ca: bool,
    namespace: bool,
    token: bool,
}

impl MissingData {
    fn is_none(self) -> bool {
        !(self.ca || self.namespace || self.token)
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod secret_cache_tests {
    use super::*;
    use kube::runtime::reflector::store::Writer;
    use kube::runtime::watcher;

    fn secret(namespace: &str, name: &str, type_: &str) -> Secret {
        Secret {
            metadata: ObjectMeta {
                namespace: Some(namespace.to_string()),
                name: Some(name.to_string()),
                uid: Some(format!("uid-{namespace}-{name}")),
                ..ObjectMeta::default()
            },
            type_: Some(type_.to_string()),
            ..Secret::default()
        }
    }

    fn token(namespace: &str, name: &str) -> Secret {
        secret(namespace, name, SERVICE_ACCOUNT_TOKEN_TYPE)
    }

    fn sorted_names(secrets: &[Arc<Secret>]) -> Vec<&str> {
        let mut names: Vec<&str> = secrets.iter().map(|s| name_of(&s.metadata)).collect();
        names.sort_unstable();
        names
    }

    /// Applies `event` to the store and reports it, as the informer does.
    fn deliver(writer: &mut Writer<Secret>, cache: &SecretCache, event: watcher::Event<Secret>) {
        writer.apply_watcher_event(&event);
        let (watcher::Event::Apply(secret) | watcher::Event::Delete(secret)) = event else {
            unreachable!("only applies and deletes are delivered");
        };
        let namespace = secret.metadata.namespace.as_deref().unwrap_or_default();
        cache.observed(namespace, name_of(&secret.metadata));
        cache.forget_created(namespace, name_of(&secret.metadata));
    }

    #[tokio::test]
    async fn lists_one_namespace_and_follows_the_store() {
        let mut writer = Writer::default();
        writer.apply_watcher_event(&watcher::Event::Apply(token("a", "seeded")));
        writer.apply_watcher_event(&watcher::Event::Apply(secret("a", "opaque", "Opaque")));
        let cache = SecretCache::new(writer.as_reader());

        use watcher::Event::{Apply, Delete};
        let steps: Vec<(watcher::Event<Secret>, &str, Vec<&str>)> = vec![
            (Apply(token("b", "other")), "a", vec!["seeded"]),
            (Apply(token("a", "added")), "a", vec!["added", "seeded"]),
            (Apply(token("a", "added")), "a", vec!["added", "seeded"]),
            (Apply(token("b", "other")), "b", vec!["other"]),
            (Delete(token("a", "seeded")), "a", vec!["added"]),
            (Delete(token("a", "added")), "a", vec![]),
            (Delete(token("a", "never-seen")), "a", vec![]),
        ];
        for (step, (event, namespace, expected)) in steps.into_iter().enumerate() {
            deliver(&mut writer, &cache, event);
            assert_eq!(
                sorted_names(&cache.list(namespace)),
                expected,
                "step {step}"
            );
        }
        assert!(
            !cache.token_names().contains_key("a"),
            "empty namespaces are dropped"
        );
    }

    #[tokio::test]
    async fn a_created_secret_is_listed_once_before_and_after_the_watch_reports_it() {
        let mut writer = Writer::default();
        let cache = SecretCache::new(writer.as_reader());
        cache.remember_created(token("a", "new"));
        assert_eq!(sorted_names(&cache.list("a")), ["new"]);
        assert!(cache.get("a", "new").is_some());
        assert!(cache.list("b").is_empty());

        deliver(
            &mut writer,
            &cache,
            watcher::Event::Apply(token("a", "new")),
        );
        assert_eq!(sorted_names(&cache.list("a")), ["new"]);
        // Once indexed, creating the same Secret again is not remembered twice.
        cache.remember_created(token("a", "new"));
        assert!(cache.recent().by_namespace.is_empty());
    }
}
