//! Plugs the service-account components into the embedded API server: the token
//! authenticator, the ServiceAccount admission plugin, and (started beside the server)
//! the controllers.

use futures::future::BoxFuture;
use k8s_openapi::api::core::v1::{Node, Pod, Secret, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Deserialize;
use serde_json::Value;
use std::sync::{Arc, RwLock};

use super::admission::{AdmissionOperation, AdmissionPlugin, Attributes};
use super::errors::ApiError;
use super::kinds::{PODS, SECRETS, SERVICE_ACCOUNTS};
use super::store::Store;
use super::validation::go_format::go_quote;
use crate::admission::bound::EPHEMERAL_CONTAINERS_SUBRESOURCE;
use crate::admission::serviceaccount::{
    self as sa_admission, AccountLookup, Denial, LookupError, SERVICE_ACCOUNT_TOKEN_TYPE,
};
use crate::names::NameGenerator;
use crate::serviceaccount::{GetterError, ServiceAccountTokenGetter};

/// The authenticator's getter. Like kube-apiserver's own registry getters it reads the
/// store directly: it is part of the API server, not a client of it. The objects it
/// returns carry only what the token checks read: name, namespace, uid,
/// deletionTimestamp, and a Secret's data.
pub struct StoreTokenGetter {
    store: Arc<Store>,
}

impl StoreTokenGetter {
    /// A getter reading ServiceAccounts and Secrets from `store`.
    pub fn new(store: Arc<Store>) -> Self {
        Self { store }
    }

    /// The object's [`TokenCheckView`]: a NotFound for a missing one.
    fn get(
        &self,
        resource: &'static super::kinds::ResourceInfo,
        namespace: &str,
        name: &str,
    ) -> Result<TokenCheckView, GetterError> {
        self.store
            .get_as(resource, namespace, name)
            .map_err(|e| GetterError::Other(e.to_string()))?
            .ok_or_else(|| missing(resource, namespace, name))
    }

    /// The metadata the token checks read of an account, Pod or Node. The store keeps
    /// name, namespace and uid beside the stored JSON, so only an object being deleted
    /// (whose deletion timestamp a check compares) is parsed: most of an authentication's
    /// store reads were spent skipping over the JSON of whole Pods.
    fn metadata(
        &self,
        resource: &'static super::kinds::ResourceInfo,
        namespace: &str,
        name: &str,
    ) -> Result<ObjectMeta, GetterError> {
        let stored = self
            .store
            .get(resource, namespace, name)
            .ok_or_else(|| missing(resource, namespace, name))?;
        if stored.is_deleting() {
            return stored
                .decode::<TokenCheckView>()
                .map(|view| view.metadata().0)
                .map_err(|e| GetterError::Other(e.to_string()));
        }
        let text = |value: &str| (!value.is_empty()).then(|| value.to_string());
        Ok(ObjectMeta {
            name: text(stored.name()),
            namespace: text(stored.namespace()),
            uid: text(stored.uid()),
            ..ObjectMeta::default()
        })
    }
}

/// Why upstream's getter fails to find an object its informer cache lacks: it then asks the
/// API through client-go, whose request builder refuses a namespace or name that cannot be
/// a path segment (`Request.Namespace`, `Request.Name`, `IsValidPathSegmentName`) before
/// sending anything, and a namespaced kind asked for in no namespace is a path the server
/// does not serve. Only a token the cluster did not sign can name such objects.
fn missing(
    resource: &'static super::kinds::ResourceInfo,
    namespace: &str,
    name: &str,
) -> GetterError {
    if resource.namespaced {
        if let Some(why) = invalid_path_segment(namespace) {
            return GetterError::Other(format!(
                "invalid namespace {}: [{why}]",
                go_quote(namespace)
            ));
        }
    }
    if name.is_empty() {
        return GetterError::Other("resource name may not be empty".into());
    }
    if let Some(why) = invalid_path_segment(name) {
        return GetterError::Other(format!("invalid resource name {}: [{why}]", go_quote(name)));
    }
    if resource.namespaced && namespace.is_empty() {
        return GetterError::Other("the server could not find the requested resource".into());
    }
    GetterError::not_found(resource.plural, name)
}

/// `IsValidPathSegmentName`'s messages, joined as Go prints a `[]string`.
fn invalid_path_segment(segment: &str) -> Option<String> {
    if segment == "." || segment == ".." {
        return Some(format!("may not be '{segment}'"));
    }
    let found: Vec<String> = ["/", "%"]
        .iter()
        .filter(|bad| segment.contains(**bad))
        .map(|bad| format!("may not contain '{bad}'"))
        .collect();
    (!found.is_empty()).then(|| found.join(" "))
}

type SecretData = std::collections::BTreeMap<String, k8s_openapi::ByteString>;

/// What the token checks read of an account, Secret, Pod or Node, as upstream's
/// authenticators do (`pkg/serviceaccount/legacy.go`, `claims.go`): `metadata.name`,
/// `namespace`, `uid` and `deletionTimestamp`, and a Secret's `data`. Decoding only these
/// skips the managedFields, spec and status that make most of a typed decode's cost on
/// every request that carries a token; the getter's objects hold nothing else. Accounts,
/// Pods and Nodes are decoded only while being deleted ([`StoreTokenGetter::metadata`]).
#[derive(Deserialize)]
struct TokenCheckView {
    metadata: TokenCheckMeta,
    #[serde(default)]
    data: Option<SecretData>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenCheckMeta {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    uid: Option<String>,
    #[serde(default)]
    deletion_timestamp: Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>,
}

impl TokenCheckView {
    fn metadata(self) -> (ObjectMeta, Option<SecretData>) {
        let meta = self.metadata;
        (
            ObjectMeta {
                name: meta.name,
                namespace: meta.namespace,
                uid: meta.uid,
                deletion_timestamp: meta.deletion_timestamp,
                ..ObjectMeta::default()
            },
            self.data,
        )
    }

    fn secret(self) -> Secret {
        let (metadata, data) = self.metadata();
        Secret {
            metadata,
            data,
            ..Secret::default()
        }
    }
}

impl ServiceAccountTokenGetter for StoreTokenGetter {
    fn get_service_account<'a>(
        &'a self,
        namespace: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<ServiceAccount, GetterError>> {
        let result = self
            .metadata(&SERVICE_ACCOUNTS, namespace, name)
            .map(|metadata| ServiceAccount {
                metadata,
                ..ServiceAccount::default()
            });
        Box::pin(async move { result })
    }

    fn get_secret<'a>(
        &'a self,
        namespace: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Secret, GetterError>> {
        let result = self
            .get(&SECRETS, namespace, name)
            .map(TokenCheckView::secret);
        Box::pin(async move { result })
    }

    fn get_pod<'a>(
        &'a self,
        namespace: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Pod, GetterError>> {
        let result = self.metadata(&PODS, namespace, name).map(|metadata| Pod {
            metadata,
            ..Pod::default()
        });
        Box::pin(async move { result })
    }

    fn get_node<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Node, GetterError>> {
        let result = self
            .metadata(&super::kinds::NODES, "", name)
            .map(|metadata| Node {
                metadata,
                ..Node::default()
            });
        Box::pin(async move { result })
    }
}

/// The admission plugin's lookups. Like the authenticator's getter they read the store
/// directly: the plugin is part of the API server (kube-apiserver's reads its informer
/// cache, which here is the store itself), so there is no second copy of every account.
pub struct StoreAccountLookup {
    store: Arc<Store>,
}

impl StoreAccountLookup {
    /// Lookups reading ServiceAccounts and token Secrets from `store`.
    pub fn new(store: Arc<Store>) -> Self {
        Self { store }
    }

    fn service_account(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<Option<ServiceAccount>, LookupError> {
        self.store
            .get_as(&SERVICE_ACCOUNTS, namespace, name)
            .map_err(|e| LookupError::Other(e.to_string()))
    }
}

impl AccountLookup for StoreAccountLookup {
    fn cached_service_account<'a>(
        &'a self,
        namespace: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<ServiceAccount>, LookupError>> {
        let result = self.service_account(namespace, name);
        Box::pin(async move { result })
    }

    fn get_service_account<'a>(
        &'a self,
        namespace: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<ServiceAccount, LookupError>> {
        let result = self
            .service_account(namespace, name)
            .and_then(|found| found.ok_or_else(|| LookupError::NotFound(name.to_string())));
        Box::pin(async move { result })
    }

    fn list_secrets<'a>(
        &'a self,
        namespace: &'a str,
    ) -> BoxFuture<'a, Result<Vec<Secret>, LookupError>> {
        let (secrets, _) = self.store.list(&SECRETS, Some(namespace));
        let result = secrets
            .iter()
            .filter(|secret| secret.indexed_field("type") == Some(SERVICE_ACCOUNT_TOKEN_TYPE))
            .map(|secret| secret.decode())
            .collect::<Result<Vec<Secret>, _>>()
            .map_err(|e| LookupError::Other(e.to_string()));
        Box::pin(async move { result })
    }
}

/// The ServiceAccount admission plugin in the server's chain. Its lookups are set when the
/// server is assembled ([`StoreAccountLookup`]) and dropped at shutdown, after which pods
/// are refused with a retryable error.
pub struct ServiceAccountAdmission {
    lookup: RwLock<Option<Arc<dyn AccountLookup>>>,
    names: Arc<dyn NameGenerator>,
    config: sa_admission::Config,
}

impl ServiceAccountAdmission {
    /// A disconnected plugin: `names` makes token-volume suffixes, `config` its switches.
    /// It refuses pods until [`set_lookup`](Self::set_lookup).
    pub fn new(names: Arc<dyn NameGenerator>, config: sa_admission::Config) -> Self {
        Self {
            lookup: RwLock::new(None),
            names,
            config,
        }
    }

    /// Connects the plugin to the API; until then pods are refused with a retryable error.
    pub fn set_lookup(&self, lookup: Arc<dyn AccountLookup>) {
        *self.lookup.write().unwrap_or_else(|e| e.into_inner()) = Some(lookup);
    }

    /// Drops the lookup (and its watch); pods are refused with a retryable error after.
    pub fn disconnect(&self) {
        self.lookup
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .take();
    }
}

/// The Status a denial becomes: Forbidden wrapped in `pods "x" is forbidden: `, the
/// ServerTimeout unchanged.
pub fn denial_to_api_error(denial: &Denial, pod: &Pod) -> ApiError {
    match denial {
        Denial::Forbidden(message) => {
            ApiError::forbidden(&PODS, &sa_admission::forbidden_object_name(pod), message)
        }
        Denial::ServerTimeout {
            message,
            retry_after_seconds,
        } => ApiError::server_timeout(
            "serviceaccounts",
            "create pod",
            message.clone(),
            *retry_after_seconds,
        ),
        // A plain error: 500, no reason, no details.
        Denial::Plain(message) => ApiError::new(500, "", message.clone()),
    }
}

impl AdmissionPlugin for ServiceAccountAdmission {
    fn name(&self) -> &'static str {
        sa_admission::ADMISSION_PLUGIN_NAME
    }

    fn admit<'a>(
        &'a self,
        attrs: &'a Attributes,
        object: &'a mut Value,
    ) -> BoxFuture<'a, Result<bool, ApiError>> {
        // Decided before the pod future is built: that future is large, and every write of
        // every other kind passes through here.
        if attrs.resource.plural != PODS.plural {
            return Box::pin(std::future::ready(Ok(false)));
        }
        Box::pin(async move {
            let operation = match (attrs.operation, attrs.subresource.as_deref()) {
                (AdmissionOperation::Create, None) => sa_admission::Operation::Create,
                (AdmissionOperation::Update, None) => sa_admission::Operation::Update,
                (AdmissionOperation::Update, Some(EPHEMERAL_CONTAINERS_SUBRESOURCE)) => {
                    sa_admission::Operation::EphemeralContainersUpdate
                }
                _ => return Ok(false),
            };
            let lookup = self
                .lookup
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            let Some(lookup) = lookup else {
                return Err(ApiError::server_timeout(
                    "serviceaccounts",
                    "create pod",
                    "the ServiceAccount admission plugin is not ready yet",
                    1,
                ));
            };
            let mut pod: Pod =
                Pod::deserialize(&*object).map_err(|e| ApiError::bad_request(e.to_string()))?;
            match sa_admission::admit(
                &mut pod,
                operation,
                &attrs.namespace,
                lookup.as_ref(),
                self.names.as_ref(),
                &self.config,
            )
            .await
            {
                Ok(()) => {
                    *object = serde_json::to_value(&pod)
                        .map_err(|e| ApiError::internal(e.to_string()))?;
                    Ok(true)
                }
                Err(denial) => Err(denial_to_api_error(&denial, &pod)),
            }
        })
    }
}

/// The service-account components an embedded cluster runs, and their keys.
#[derive(Clone)]
pub struct ServiceAccountOptions {
    /// `--service-account-private-key-file`; an ECDSA P-256 key is generated when unset.
    pub signing_key: Option<Arc<crate::serviceaccount::SigningKey>>,
    /// `--service-account-key-file`: the keys every service-account token is verified
    /// with; the signing key's public key when empty. In bound mode they are required once
    /// `issuer.signing_key` is set ([`crate::serviceaccount::IssuerOptions::validate_key_files`]).
    pub verification_keys: Vec<crate::serviceaccount::PublicKey>,
    /// `--root-ca-file` contents for `ca.crt`; the cluster CA when unset.
    pub root_ca: Option<Vec<u8>>,
    /// `--service-account-lookup`: tokens stay valid only while their secret does.
    pub lookup: bool,
    /// The ServiceAccount admission plugin's switches (`--admission-control-config-file`).
    pub admission: sa_admission::Config,
    /// Legacy (v1.8 token Secrets) or bound (v1.24+) service-account behaviour.
    pub mode: crate::Mode,
    /// How bound tokens are issued and accepted (`--service-account-issuer`,
    /// `--api-audiences`, ...); read in bound mode.
    pub issuer: crate::serviceaccount::IssuerOptions,
    /// `--legacy-service-account-token-clean-up-period`: how long an auto-generated legacy
    /// token may go unused before the cleaner invalidates it, and then deletes it.
    pub legacy_token_clean_up_period: std::time::Duration,
    /// Run the token and service-account controllers in-process.
    pub controllers: bool,
    /// Set once the in-process controllers' caches have synced (`/readyz` of `serve`).
    pub controllers_synced: crate::health::Readiness,
}

impl Default for ServiceAccountOptions {
    fn default() -> Self {
        Self {
            signing_key: None,
            verification_keys: Vec::new(),
            root_ca: None,
            lookup: true,
            admission: sa_admission::Config::default(),
            mode: crate::Mode::Legacy,
            issuer: crate::serviceaccount::IssuerOptions::default(),
            legacy_token_clean_up_period:
                crate::serviceaccount::options::DEFAULT_LEGACY_TOKEN_CLEAN_UP_PERIOD,
            controllers: true,
            controllers_synced: crate::health::Readiness::new(),
        }
    }
}

/// Why the service-account components could not start.
#[derive(Debug, thiserror::Error)]
pub enum ComponentsError {
    /// Generating the signing key or deriving its public key failed.
    #[error("service account key: {0}")]
    Key(#[from] crate::serviceaccount::KeyError),
    /// A service-account flag kube-apiserver refuses at start.
    #[error(transparent)]
    Options(#[from] crate::serviceaccount::options::OptionsError),
}

/// Keys resolved and plugins built, before the server listens.
pub(crate) struct PreparedComponents {
    pub(crate) options: ServiceAccountOptions,
    pub(crate) generator: Arc<crate::serviceaccount::TokenGenerator>,
    pub(crate) admission: Arc<ServiceAccountAdmission>,
}

impl PreparedComponents {
    pub(crate) fn new(
        mut options: ServiceAccountOptions,
        names: Arc<dyn NameGenerator>,
    ) -> Result<Self, ComponentsError> {
        if options.mode == crate::Mode::Bound {
            options
                .issuer
                .validate_key_files(!options.verification_keys.is_empty())?;
        }
        let signing_key = match options.signing_key.clone() {
            Some(key) => key,
            // ECDSA P-256: generated in microseconds, where RSA takes tens of milliseconds.
            None => Arc::new(crate::serviceaccount::SigningKey::generate_ecdsa_p256()?),
        };
        if options.verification_keys.is_empty() {
            options
                .verification_keys
                .push(signing_key.public_key().clone());
        }
        options.signing_key = Some(signing_key.clone());
        let generator = Arc::new(crate::serviceaccount::TokenGenerator::legacy_for_mode(
            options.mode,
            signing_key,
        ));
        // `mode` is the one switch every component reads; the plugin takes it from there.
        let admission_config = sa_admission::Config {
            mode: options.mode,
            ..options.admission
        };
        let admission = Arc::new(ServiceAccountAdmission::new(names, admission_config));
        Ok(Self {
            options,
            generator,
            admission,
        })
    }

    /// TokenRequest's issuer (bound mode), signing with `--service-account-signing-key-file`
    /// or the service-account key.
    pub(crate) fn token_requests(
        &self,
    ) -> Option<Arc<super::kinds::serviceaccount_token::TokenRequestRest>> {
        let key = self.options.signing_key.clone()?;
        Some(Arc::new(
            super::kinds::serviceaccount_token::TokenRequestRest::new(&self.options.issuer, key),
        ))
    }

    /// The service-account token authenticator, reading through the store. In bound mode
    /// the legacy one (for `kubernetes/serviceaccount` tokens only) and the bound one
    /// ([`super::bound_authn`]), their successes cached for `cache_ttl`.
    pub(crate) fn authenticator(
        &self,
        store: Arc<Store>,
        cache_ttl: std::time::Duration,
    ) -> Arc<dyn crate::authn::TokenAuthenticator> {
        let getter = Arc::new(StoreTokenGetter::new(store.clone()));
        let legacy = Arc::new(
            crate::serviceaccount::LegacyTokenAuthenticator::new(
                self.options.verification_keys.clone(),
                self.options.lookup,
                getter.clone(),
            )
            .with_mode(self.options.mode)
            .with_clock(store.clock().clone()),
        );
        match self.options.mode {
            crate::Mode::Legacy => legacy,
            crate::Mode::Bound => {
                super::bound_authn::authenticators(&self.options, legacy, getter, store, cache_ttl)
            }
        }
    }

    /// Connects admission to the API and starts the controllers (watching through `client`,
    /// writing through `api`); they stop when
    /// `shutdown` flips or the returned task is aborted.
    pub(crate) fn start(
        &self,
        client: kube::Client,
        api: super::in_process_api::InProcessApi,
        cluster_ca_pem: &str,
        names: Arc<dyn NameGenerator>,
        clock: Arc<dyn crate::clock::Clock>,
        mut shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> Option<tokio::task::JoinHandle<()>> {
        if !self.options.controllers {
            return None;
        }
        let root_ca = self
            .options
            .root_ca
            .clone()
            .unwrap_or_else(|| cluster_ca_pem.as_bytes().to_vec());
        let tokens = crate::controllers::TokensControllerOptions::new(self.generator.clone())
            .root_ca(root_ca.clone())
            .names(names);
        // The period was validated with the flags; an invalid one keeps the default.
        let cleaner = crate::controllers::LegacyTokenCleanerOptions::new(
            self.options.legacy_token_clean_up_period,
        );
        let mut config = crate::controllers::ControllersConfig::new(self.generator.clone())
            .tokens(tokens)
            .mode(self.options.mode)
            .root_ca_publisher(crate::controllers::RootCaPublisherOptions::new(root_ca))
            .clock(clock)
            .synced(self.options.controllers_synced.clone());
        if let Ok(cleaner) = cleaner {
            config = config.legacy_token_cleaner(cleaner);
        }
        Some(tokio::spawn(async move {
            let stop = async move {
                let _ = shutdown.wait_for(|stopped| *stopped).await;
            };
            // The caches watch through the kube client; the controllers write through the
            // handler directly, each as its own client.
            let apis = |controller: &'static str| api.as_controller(controller);
            if let Err(e) = crate::controllers::run_with_apis(client, apis, config, stop).await {
                tracing::error!(error = %e, "controllers stopped");
            }
        }))
    }
}

#[cfg(test)]
mod getter_tests {
    use super::*;
    use crate::apiserver::kinds::{NAMESPACES, NODES};
    use serde_json::json;

    fn getter() -> StoreTokenGetter {
        let store = Arc::new(Store::new(1000));
        store
            .create(
                &NAMESPACES,
                json!({"metadata": {"name": "ns", "uid": "n1"}}),
            )
            .expect("namespace");
        store
            .create(
                &SERVICE_ACCOUNTS,
                json!({"metadata": {"name": "robot", "namespace": "ns", "uid": "sa1",
                    "labels": {"a": "b"}}, "secrets": [{"name": "t"}]}),
            )
            .expect("account");
        store
            .create(
                &PODS,
                json!({"metadata": {"name": "web", "namespace": "ns", "uid": "p1",
                    "deletionTimestamp": "2026-12-01T10:00:00Z", "finalizers": ["x"]},
                    "spec": {"containers": [{"name": "c", "image": "i"}]}}),
            )
            .expect("pod");
        store
            .create(
                &NODES,
                json!({"metadata": {"name": "node-1", "uid": "nd1"}}),
            )
            .expect("node");
        StoreTokenGetter::new(store)
    }

    #[tokio::test]
    async fn the_checked_metadata_is_read_with_the_deletion_timestamp_of_a_deleting_object() {
        let getter = getter();
        let account = getter
            .get_service_account("ns", "robot")
            .await
            .expect("account");
        let expected = ObjectMeta {
            name: Some("robot".into()),
            namespace: Some("ns".into()),
            uid: Some("sa1".into()),
            ..ObjectMeta::default()
        };
        assert_eq!(account.metadata, expected);
        assert_eq!(account.secrets, None, "only the metadata is read");

        let pod = getter.get_pod("ns", "web").await.expect("pod");
        assert_eq!(pod.metadata.uid.as_deref(), Some("p1"));
        assert_eq!(
            pod.metadata.deletion_timestamp.map(|t| t.0.to_string()),
            Some("2026-12-01T10:00:00Z".to_string())
        );

        let node = getter.get_node("node-1").await.expect("node");
        assert_eq!(node.metadata.namespace, None);
        assert_eq!(node.metadata.uid.as_deref(), Some("nd1"));

        assert!(matches!(
            getter.get_pod("ns", "gone").await,
            Err(GetterError::NotFound { .. })
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::kinds::NODES;

    /// client-go's request builder, as the token getter meets it.
    #[test]
    fn a_name_that_cannot_be_asked_for_fails_as_client_go_refuses_it() {
        let cases: &[(&'static super::super::kinds::ResourceInfo, &str, &str, &str)] = &[
            (
                &SERVICE_ACCOUNTS,
                "demo",
                "robot",
                "serviceaccounts \"robot\" not found",
            ),
            (
                &SERVICE_ACCOUNTS,
                "demo",
                "",
                "resource name may not be empty",
            ),
            (
                &SERVICE_ACCOUNTS,
                "demo",
                "..",
                "invalid resource name \"..\": [may not be '..']",
            ),
            (
                &SERVICE_ACCOUNTS,
                "demo",
                "a/b%",
                "invalid resource name \"a/b%\": [may not contain '/' may not contain '%']",
            ),
            (
                &SERVICE_ACCOUNTS,
                "..",
                "",
                "invalid namespace \"..\": [may not be '..']",
            ),
            (
                &SERVICE_ACCOUNTS,
                "",
                "robot",
                "the server could not find the requested resource",
            ),
            (&NODES, "", "n1", "nodes \"n1\" not found"),
        ];
        for (resource, namespace, name, want) in cases {
            assert_eq!(
                missing(resource, namespace, name).to_string(),
                *want,
                "{namespace}/{name}"
            );
        }
    }
}
