//! The ServiceAccount admission plugin, Kubernetes v1.8 ("legacy") behaviour (spec §2),
//! and the entry points both modes share; bound mode's rules are in [`super::bound`].
//!
//! [`admit_pod`] is the whole decision as a pure function over an already resolved
//! service account and the namespace's secrets; [`admit`] adds the lookups (cache, then
//! live GETs with retries) through an [`AccountLookup`]. [`Config::mode`] picks the rules.

use std::collections::HashSet;
use std::time::Duration;

use futures::future::BoxFuture;
use k8s_openapi::api::core::v1::{
    Container, LocalObjectReference, Pod, PodSpec, Secret, SecretVolumeSource, ServiceAccount,
    Volume, VolumeMount,
};
use kube::core::response::StatusDetails;
use kube::core::Status;
use rand::Rng;

use crate::names::NameGenerator;

pub use crate::serviceaccount::{
    is_service_account_token, ADMISSION_PLUGIN_NAME, DEFAULT_SERVICE_ACCOUNT_NAME,
    ENFORCE_MOUNTABLE_SECRETS_ANNOTATION, MIRROR_POD_ANNOTATION, SERVICE_ACCOUNT_NAME_ANNOTATION,
    SERVICE_ACCOUNT_TOKEN_TYPE, SERVICE_ACCOUNT_UID_ANNOTATION, TOKEN_MOUNT_PATH,
};

/// Plugin switches, with the upstream defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Reject pods that reference secrets their service account does not reference.
    pub limit_secret_references: bool,
    /// Mount the account's API token into every container.
    pub mount_service_account_token: bool,
    /// Reject pods (ServerTimeout) while the account has no token yet (legacy mode only;
    /// bound mode never waits for a token).
    pub require_api_token: bool,
    /// Whose rules apply: Kubernetes v1.8 (a token Secret volume) or 1.33 (the projected
    /// `kube-api-access-*` volume, [`super::bound`]). The embedded server sets it from
    /// `ServiceAccountOptions::mode` (its own value here is ignored); `kube-sa webhook`
    /// from `--mode`.
    pub mode: crate::Mode,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            limit_secret_references: false,
            mount_service_account_token: true,
            require_api_token: true,
            mode: crate::Mode::Legacy,
        }
    }
}

/// The request operation; the plugin is registered for CREATE and UPDATE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// A pod is being created: the plugin defaults, mounts and checks.
    Create,
    /// A no-op: v1.8 only re-admitted uninitialized pods, and pods here are always initialized.
    Update,
    /// An UPDATE of the `pods/ephemeralcontainers` subresource. Bound mode checks the
    /// ephemeral containers' secret references (spec §4.5); legacy mode ignores it.
    EphemeralContainersUpdate,
}

/// Why the plugin refused a pod.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denial {
    /// HTTP 403, rendered by the API server as `pods "<name>" is forbidden: <message>`
    /// (see [`Denial::full_message`]).
    #[error("{0}")]
    Forbidden(String),
    /// HTTP 500 `ServerTimeout`, returned unwrapped: the account has no token yet.
    /// Details are `{kind: "serviceaccounts", name: "create pod", retryAfterSeconds}`.
    #[error("{message}")]
    ServerTimeout {
        /// The Status message, naming the account that has no token.
        message: String,
        /// Seconds the client should wait before retrying (the Status `retryAfterSeconds`).
        retry_after_seconds: u32,
    },
    /// An error the plugin returns as a plain Go error rather than an API status (the
    /// ephemeral containers' secret checks): kube-apiserver answers HTTP 500 with no
    /// reason and the message alone (`ErrorToAPIStatus` of a non-status error).
    #[error("{0}")]
    Plain(String),
}

impl Denial {
    /// HTTP status code of the error the API server returns.
    pub fn code(&self) -> u16 {
        match self {
            Denial::Forbidden(_) => 403,
            Denial::ServerTimeout { .. } | Denial::Plain(_) => 500,
        }
    }

    /// The `reason` of the returned Status.
    pub fn reason(&self) -> &'static str {
        match self {
            Denial::Forbidden(_) => "Forbidden",
            Denial::ServerTimeout { .. } => "ServerTimeout",
            Denial::Plain(_) => "",
        }
    }

    /// The Status message as a client sees it: Forbidden gets the admission wrapper
    /// `pods "<name|generateName|Unknown>" is forbidden: `, ServerTimeout is unchanged.
    pub fn full_message(&self, pod: &Pod) -> String {
        match self {
            Denial::Forbidden(message) => {
                format!(
                    "pods {:?} is forbidden: {message}",
                    forbidden_object_name(pod)
                )
            }
            Denial::ServerTimeout { message, .. } | Denial::Plain(message) => message.clone(),
        }
    }

    /// The complete failure Status the API server (or the webhook) returns for this denial.
    pub fn to_status(&self, pod: &Pod) -> Status {
        let details = match self {
            Denial::Forbidden(_) => StatusDetails {
                name: forbidden_object_name(pod),
                group: String::new(),
                kind: "pods".to_owned(),
                uid: String::new(),
                causes: Vec::new(),
                retry_after_seconds: 0,
            },
            Denial::ServerTimeout {
                retry_after_seconds,
                ..
            } => StatusDetails {
                name: "create pod".to_owned(),
                group: String::new(),
                kind: "serviceaccounts".to_owned(),
                uid: String::new(),
                causes: Vec::new(),
                retry_after_seconds: *retry_after_seconds,
            },
            Denial::Plain(message) => return Status::failure(message, "").with_code(self.code()),
        };
        Status::failure(&self.full_message(pod), self.reason())
            .with_code(self.code())
            .with_details(details)
    }
}

/// The name admission errors quote: the pod's name, else its generateName (names are not
/// generated yet at admission time), else `Unknown`.
pub fn forbidden_object_name(pod: &Pod) -> String {
    [&pod.metadata.name, &pod.metadata.generate_name]
        .into_iter()
        .flatten()
        .find(|name| !name.is_empty())
        .cloned()
        .unwrap_or_else(|| "Unknown".to_owned())
}

/// A failed lookup through [`AccountLookup`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// The live GET answered 404; the plugin keeps retrying on this one.
    #[error("serviceaccounts \"{0}\" not found")]
    NotFound(String),
    /// Anything else; the text ends up in the Forbidden message.
    #[error("{0}")]
    Other(String),
}

/// Where the plugin reads service accounts and secrets: informer caches and a live client.
pub trait AccountLookup: Send + Sync {
    /// The cached (lister) copy; `Ok(None)` on a cache miss.
    fn cached_service_account<'a>(
        &'a self,
        namespace: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<ServiceAccount>, LookupError>>;

    /// A live GET; a 404 must come back as [`LookupError::NotFound`].
    fn get_service_account<'a>(
        &'a self,
        namespace: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<ServiceAccount, LookupError>>;

    /// The cached (lister) copy of a token Secret; `Ok(None)` on a cache miss, and always
    /// where no Secrets are cached (the default).
    fn cached_secret<'a>(
        &'a self,
        _namespace: &'a str,
        _name: &'a str,
    ) -> BoxFuture<'a, Result<Option<Secret>, LookupError>> {
        Box::pin(async { Ok(None) })
    }

    /// The namespace's secrets (at least every `kubernetes.io/service-account-token` one).
    fn list_secrets<'a>(
        &'a self,
        namespace: &'a str,
    ) -> BoxFuture<'a, Result<Vec<Secret>, LookupError>>;
}

/// True if the pod carries the mirror-pod annotation (any value).
pub fn is_mirror_pod(pod: &Pod) -> bool {
    pod.metadata
        .annotations
        .as_ref()
        .is_some_and(|annotations| annotations.contains_key(MIRROR_POD_ANNOTATION))
}

/// Admits a CREATE of `pod` in `namespace`, given its resolved service account (`None` when it
/// does not exist) and the namespace's secrets. Mutates the pod (default account, token volume
/// and mounts, image-pull secrets) or denies. Mirror pods are checked and never mutated.
///
/// Follows upstream's `plugin/pkg/admission/serviceaccount` `Admit` (v1.8); with
/// [`Config::mode`] bound, its 1.33 `Admit` and `Validate` ([`super::bound::admit_resolved`]),
/// which read no secrets.
///
/// # Errors
///
/// A [`Denial`]: Forbidden for a missing account or a disallowed secret reference,
/// ServerTimeout (legacy only) while the account has no token Secret yet.
///
/// ```
/// use k8s_openapi::api::core::v1::{Container, Pod, PodSpec, ServiceAccount};
/// use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
/// use kube_sa::admission::{admit_pod, Config};
/// use kube_sa::names::FixedSuffix;
///
/// let mut pod = Pod {
///     spec: Some(PodSpec {
///         containers: vec![Container { name: "app".into(), ..Default::default() }],
///         ..Default::default()
///     }),
///     ..Default::default()
/// };
/// let account = ServiceAccount {
///     metadata: ObjectMeta {
///         name: Some("default".into()),
///         namespace: Some("ns".into()),
///         ..Default::default()
///     },
///     ..Default::default()
/// };
/// let config = Config { mount_service_account_token: false, ..Config::default() };
/// admit_pod(&mut pod, "ns", Some(&account), &[], &FixedSuffix("abc12".into()), &config)?;
/// assert_eq!(pod.spec.unwrap().service_account_name.as_deref(), Some("default"));
/// # Ok::<(), kube_sa::admission::Denial>(())
/// ```
pub fn admit_pod(
    pod: &mut Pod,
    namespace: &str,
    sa: Option<&ServiceAccount>,
    secrets: &[Secret],
    names: &dyn NameGenerator,
    config: &Config,
) -> Result<(), Denial> {
    if config.mode == crate::Mode::Bound {
        return super::bound::admit_resolved(pod, namespace, sa, names, config);
    }
    admit_resolved(pod, namespace, sa, Ok(secrets), names, config)
}

/// Defaults the account, looks it up (cache first, then live GETs with retries), lists the
/// namespace's secrets when a token has to be picked, then runs [`admit_pod`]. An UPDATE is
/// admitted unchanged.
///
/// # Errors
///
/// A [`Denial`], as from [`admit_pod`]; a lookup that keeps failing becomes Forbidden.
///
/// ```no_run
/// # async fn example(mut pod: k8s_openapi::api::core::v1::Pod) -> Result<(), Box<dyn std::error::Error>> {
/// use kube_sa::admission::client_lookup::ClientAccountLookup;
/// use kube_sa::admission::{admit, Config, Operation};
/// use kube_sa::names::RandomNames;
///
/// let lookup = ClientAccountLookup::start(kube::Client::try_default().await?, kube_sa::Mode::Legacy);
/// admit(&mut pod, Operation::Create, "default", &lookup, &RandomNames, &Config::default()).await?;
/// # Ok(()) }
/// ```
pub async fn admit(
    pod: &mut Pod,
    operation: Operation,
    namespace: &str,
    lookup: &dyn AccountLookup,
    names: &dyn NameGenerator,
    config: &Config,
) -> Result<(), Denial> {
    let sleep = |wait| -> BoxFuture<'static, ()> { Box::pin(tokio::time::sleep(wait)) };
    admit_with_pause(pod, operation, namespace, lookup, names, config, &sleep).await
}

/// Waits between live GET attempts; injectable so tests need not sleep.
pub(super) type Pause = dyn Fn(Duration) -> BoxFuture<'static, ()> + Send + Sync;

pub(super) async fn admit_with_pause(
    pod: &mut Pod,
    operation: Operation,
    namespace: &str,
    lookup: &dyn AccountLookup,
    names: &dyn NameGenerator,
    config: &Config,
    pause: &Pause,
) -> Result<(), Denial> {
    if config.mode == crate::Mode::Bound {
        return super::bound::admit(pod, operation, namespace, lookup, names, config, pause).await;
    }
    if operation != Operation::Create {
        return Ok(());
    }
    if is_mirror_pod(pod) {
        // Mirror pods are only checked; they never need the account.
        return admit_pod(pod, namespace, None, &[], names, config);
    }
    let sa_name = set_default_service_account(pod);
    let mut sa = find_service_account(lookup, namespace, &sa_name, pause)
        .await
        .map_err(|err| {
            Denial::Forbidden(format!(
                "error looking up service account {namespace}/{sa_name}: {err}"
            ))
        })?;
    let mut secrets = match &sa {
        Some(sa) => secrets_for(pod, namespace, sa, lookup, config).await,
        None => Ok(Vec::new()),
    };
    // A cached account may lag behind the token controller (its token just added or
    // replaced): before the pod is refused for want of a token, the account is read once
    // more, live. Upstream's plugin reads only its listers and refuses (a retriable 500).
    if let (Some(cached), Ok(found)) = (&sa, &secrets) {
        let wants_token = config.mount_service_account_token && should_automount(cached, pod);
        if wants_token && referenced_token(cached, namespace, found).is_none() {
            if let Ok(live) = lookup.get_service_account(namespace, &sa_name).await {
                if live.metadata.resource_version != cached.metadata.resource_version {
                    secrets = secrets_for(pod, namespace, &live, lookup, config).await;
                    sa = Some(live);
                }
            }
        }
    }
    let secrets = secrets.as_deref();
    admit_resolved(pod, namespace, sa.as_ref(), secrets, names, config)
}

/// The Secrets to pick `sa`'s token from, fetched only when a token must be picked, as
/// upstream's lister read is.
async fn secrets_for(
    pod: &Pod,
    namespace: &str,
    sa: &ServiceAccount,
    lookup: &dyn AccountLookup,
    config: &Config,
) -> Result<Vec<Secret>, LookupError> {
    if needs_token_secrets(pod, sa, config) {
        token_secrets(lookup, namespace, sa).await
    } else {
        Ok(Vec::new())
    }
}

/// The live GET retry policy: 1 attempt, 10 for `default` (the controller should create it
/// shortly), one random wait in [100, 200) ms chosen per call; only NotFound is retried.
pub(super) async fn find_service_account(
    lookup: &dyn AccountLookup,
    namespace: &str,
    name: &str,
    pause: &Pause,
) -> Result<Option<ServiceAccount>, LookupError> {
    if let Some(sa) = lookup.cached_service_account(namespace, name).await? {
        return Ok(Some(sa));
    }
    let attempts = if name == DEFAULT_SERVICE_ACCOUNT_NAME {
        10
    } else {
        1
    };
    let retry_wait = Duration::from_millis(rand::rng().random_range(100..200));
    for attempt in 0..attempts {
        if attempt > 0 {
            pause(retry_wait).await;
        }
        match lookup.get_service_account(namespace, name).await {
            Ok(sa) => return Ok(Some(sa)),
            Err(LookupError::NotFound(_)) => {}
            Err(err) => return Err(err),
        }
    }
    Ok(None)
}

/// The Secrets to pick `sa`'s token from: the cached copies of those it references, up to
/// the first that is its token (upstream reads only its lister), else the namespace's,
/// listed live. The cache answers only when it holds every reference before that token: a
/// reference it lacks may be a token created a moment ago, which the account lists first.
async fn token_secrets(
    lookup: &dyn AccountLookup,
    namespace: &str,
    sa: &ServiceAccount,
) -> Result<Vec<Secret>, LookupError> {
    let mut cached = Vec::new();
    for name in sa
        .secrets
        .iter()
        .flatten()
        .filter_map(|r| r.name.as_deref())
    {
        let Some(secret) = lookup.cached_secret(namespace, name).await? else {
            break;
        };
        cached.push(secret);
        if referenced_token(sa, namespace, &cached).is_some() {
            return Ok(cached);
        }
    }
    lookup.list_secrets(namespace).await
}

fn needs_token_secrets(pod: &Pod, sa: &ServiceAccount, config: &Config) -> bool {
    config.mount_service_account_token
        && should_automount(sa, pod)
        && sa.secrets.as_ref().is_some_and(|refs| !refs.is_empty())
}

fn admit_resolved(
    pod: &mut Pod,
    namespace: &str,
    sa: Option<&ServiceAccount>,
    secrets: Result<&[Secret], &LookupError>,
    names: &dyn NameGenerator,
    config: &Config,
) -> Result<(), Denial> {
    if is_mirror_pod(pod) {
        return check_mirror_pod(pod);
    }
    let sa_name = set_default_service_account(pod);
    let Some(sa) = sa else {
        return Err(Denial::Forbidden(format!(
            "service account {namespace}/{sa_name} was not found, retry after the service account is created"
        )));
    };
    // Legacy order: enforcement sees the pod before the token volume is added.
    if enforce_mountable_secrets(sa, config) {
        limit_secret_references(sa, pod)?;
    }
    if config.mount_service_account_token && should_automount(sa, pod) {
        mount_service_account_token(pod, namespace, sa, secrets, names, config)?;
    }
    copy_image_pull_secrets(pod, sa);
    Ok(())
}

/// The name as the internal API sees it: `serviceAccountName`, or the deprecated
/// `serviceAccount` alias that v1 conversion copies into it when it is empty.
pub(super) fn effective_service_account_name(spec: &PodSpec) -> &str {
    [&spec.service_account_name, &spec.service_account]
        .into_iter()
        .flatten()
        .find(|name| !name.is_empty())
        .map(String::as_str)
        .unwrap_or("")
}

/// Writes the effective account name (or `default`) into `serviceAccountName` and returns it.
pub(super) fn set_default_service_account(pod: &mut Pod) -> String {
    let spec = pod.spec.get_or_insert_with(PodSpec::default);
    let name = match effective_service_account_name(spec) {
        "" => DEFAULT_SERVICE_ACCOUNT_NAME.to_owned(),
        name => name.to_owned(),
    };
    spec.service_account_name = Some(name.clone());
    name
}

fn check_mirror_pod(pod: &Pod) -> Result<(), Denial> {
    let Some(spec) = &pod.spec else {
        return Ok(());
    };
    if !effective_service_account_name(spec).is_empty() {
        return Err(Denial::Forbidden(
            "a mirror pod may not reference service accounts".to_owned(),
        ));
    }
    if references_any_secret(spec) {
        return Err(Denial::Forbidden(
            "a mirror pod may not reference secrets".to_owned(),
        ));
    }
    Ok(())
}

/// Every place a pod spec can name a secret (upstream `VisitPodSecretNames`, which in v1.8
/// did not skip empty names).
fn references_any_secret(spec: &PodSpec) -> bool {
    let pull_secrets = spec
        .image_pull_secrets
        .as_ref()
        .is_some_and(|refs| !refs.is_empty());
    let containers = spec
        .init_containers
        .iter()
        .flatten()
        .chain(&spec.containers)
        .any(container_references_secret);
    pull_secrets || containers || spec.volumes.iter().flatten().any(volume_references_secret)
}

pub(super) fn container_references_secret(container: &Container) -> bool {
    let env_from = container
        .env_from
        .iter()
        .flatten()
        .any(|source| source.secret_ref.is_some());
    let env = container.env.iter().flatten().any(|var| {
        var.value_from
            .as_ref()
            .is_some_and(|source| source.secret_key_ref.is_some())
    });
    env_from || env
}

pub(super) fn volume_references_secret(volume: &Volume) -> bool {
    volume.secret.is_some()
        || volume
            .azure_file
            .as_ref()
            .is_some_and(|source| !source.secret_name.is_empty())
        || volume.cephfs.as_ref().is_some_and(|s| s.secret_ref.is_some())
        || volume.cinder.as_ref().is_some_and(|s| s.secret_ref.is_some())
        || volume.flex_volume.as_ref().is_some_and(|s| s.secret_ref.is_some())
        || volume.rbd.as_ref().is_some_and(|s| s.secret_ref.is_some())
        || volume.iscsi.as_ref().is_some_and(|s| s.secret_ref.is_some())
        || volume.storageos.as_ref().is_some_and(|s| s.secret_ref.is_some())
        || volume
            .csi
            .as_ref()
            .is_some_and(|s| s.node_publish_secret_ref.is_some())
        // ScaleIO's secretRef is a required field.
        || volume.scale_io.is_some()
        || volume.projected.as_ref().is_some_and(|projected| {
            projected
                .sources
                .iter()
                .flatten()
                .any(|source| source.secret.is_some())
        })
}

/// Go `strconv.ParseBool`; anything it cannot parse counts as false here.
fn parse_go_bool(value: &str) -> bool {
    matches!(value, "1" | "t" | "T" | "TRUE" | "true" | "True")
}

pub(super) fn enforce_mountable_secrets(sa: &ServiceAccount, config: &Config) -> bool {
    config.limit_secret_references
        || sa
            .metadata
            .annotations
            .as_ref()
            .and_then(|annotations| annotations.get(ENFORCE_MOUNTABLE_SECRETS_ANNOTATION))
            .is_some_and(|value| parse_go_bool(value))
}

/// Pod's `automountServiceAccountToken` wins, then the account's, else true.
pub(super) fn should_automount(sa: &ServiceAccount, pod: &Pod) -> bool {
    pod.spec
        .as_ref()
        .and_then(|spec| spec.automount_service_account_token)
        .or(sa.automount_service_account_token)
        .unwrap_or(true)
}

fn limit_secret_references(sa: &ServiceAccount, pod: &Pod) -> Result<(), Denial> {
    let Some(spec) = &pod.spec else {
        return Ok(());
    };
    let sa_name = sa.metadata.name.as_deref().unwrap_or("");
    let mountable: HashSet<&str> = sa
        .secrets
        .iter()
        .flatten()
        .map(|reference| reference.name.as_deref().unwrap_or(""))
        .collect();
    let secret_not_referenced = |what: String, secret: &str| {
        Denial::Forbidden(format!(
            "{what} referencing secret.secretName=\"{secret}\" is not allowed because service account {sa_name} does not reference that secret"
        ))
    };

    // Only plain secret volumes; projected secret sources are not checked.
    for source in spec
        .volumes
        .iter()
        .flatten()
        .filter_map(|v| v.secret.as_ref())
    {
        let secret = source.secret_name.as_deref().unwrap_or("");
        if !mountable.contains(secret) {
            return Err(Denial::Forbidden(format!(
                "volume with secret.secretName=\"{secret}\" is not allowed because service account {sa_name} does not reference that secret"
            )));
        }
    }

    let init_containers = spec
        .init_containers
        .iter()
        .flatten()
        .map(|c| ("init container", c));
    let containers = spec.containers.iter().map(|c| ("container", c));
    for (kind, container) in init_containers.chain(containers) {
        // Legacy checks env valueFrom only; envFrom was added for CVE-2024-3177 much later.
        for var in container.env.iter().flatten() {
            let Some(selector) = var
                .value_from
                .as_ref()
                .and_then(|s| s.secret_key_ref.as_ref())
            else {
                continue;
            };
            if !mountable.contains(selector.name.as_str()) {
                return Err(secret_not_referenced(
                    format!("{kind} {} with envVar {}", container.name, var.name),
                    &selector.name,
                ));
            }
        }
    }

    let pullable: HashSet<&str> = sa
        .image_pull_secrets
        .iter()
        .flatten()
        .map(|reference| reference.name.as_str())
        .collect();
    for (index, reference) in spec.image_pull_secrets.iter().flatten().enumerate() {
        if !pullable.contains(reference.name.as_str()) {
            return Err(Denial::Forbidden(format!(
                "imagePullSecrets[{index}].name=\"{}\" is not allowed because service account {sa_name} does not reference that imagePullSecret",
                reference.name
            )));
        }
    }
    Ok(())
}

/// The first name in `sa.secrets` (in order) that is one of the account's token secrets.
fn referenced_token<'a>(
    sa: &'a ServiceAccount,
    namespace: &str,
    secrets: &[Secret],
) -> Option<&'a str> {
    let references = sa.secrets.as_deref().unwrap_or_default();
    if references.is_empty() {
        return None;
    }
    let tokens: HashSet<&str> = secrets
        .iter()
        .filter(|secret| {
            secret
                .metadata
                .namespace
                .as_deref()
                .is_none_or(|ns| ns == namespace)
        })
        .filter(|secret| is_service_account_token(secret, sa))
        .filter_map(|secret| secret.metadata.name.as_deref())
        .collect();
    references
        .iter()
        .filter_map(|reference| reference.name.as_deref())
        .find(|name| tokens.contains(name))
}

fn mount_service_account_token(
    pod: &mut Pod,
    namespace: &str,
    sa: &ServiceAccount,
    secrets: Result<&[Secret], &LookupError>,
    names: &dyn NameGenerator,
    config: &Config,
) -> Result<(), Denial> {
    let sa_name = sa.metadata.name.as_deref().unwrap_or("");
    let token = if sa.secrets.as_ref().is_some_and(|refs| !refs.is_empty()) {
        let secrets = secrets.map_err(|err| {
            let sa_namespace = sa.metadata.namespace.as_deref().unwrap_or(namespace);
            Denial::Forbidden(format!(
                "Error looking up service account token for {sa_namespace}/{sa_name}: {err}"
            ))
        })?;
        referenced_token(sa, namespace, secrets)
    } else {
        None
    };
    let Some(token) = token else {
        if config.require_api_token {
            return Err(Denial::ServerTimeout {
                message: format!(
                    "No API token found for service account {sa_name:?}, retry after the token is automatically created and added to the service account"
                ),
                retry_after_seconds: 1,
            });
        }
        return Ok(());
    };

    let spec = pod.spec.get_or_insert_with(PodSpec::default);
    let volumes = spec.volumes.as_deref().unwrap_or_default();
    let existing = volumes.iter().find(|volume| {
        volume
            .secret
            .as_ref()
            .is_some_and(|source| source.secret_name.as_deref() == Some(token))
    });
    let has_token_volume = existing.is_some();
    let volume_name = match existing {
        Some(volume) => volume.name.clone(),
        // v1.8 keeps dots in the name; only a clash gets a generated suffix.
        None if volumes.iter().any(|volume| volume.name == token) => {
            names.generate(&format!("{token}-"))
        }
        None => token.to_owned(),
    };

    let mounted_somewhere = mount_token_volume(spec, &volume_name);

    if !has_token_volume && mounted_somewhere {
        spec.volumes.get_or_insert_with(Vec::new).push(Volume {
            name: volume_name,
            secret: Some(SecretVolumeSource {
                secret_name: Some(token.to_owned()),
                ..SecretVolumeSource::default()
            }),
            ..Volume::default()
        });
    }
    Ok(())
}

/// Copies the account's pull secrets into a pod that has none; never merges.
pub(super) fn copy_image_pull_secrets(pod: &mut Pod, sa: &ServiceAccount) {
    let spec = pod.spec.get_or_insert_with(PodSpec::default);
    if spec
        .image_pull_secrets
        .as_ref()
        .is_some_and(|refs| !refs.is_empty())
    {
        return;
    }
    let from_account: Vec<LocalObjectReference> = sa
        .image_pull_secrets
        .iter()
        .flatten()
        .map(|reference| LocalObjectReference {
            name: reference.name.clone(),
        })
        .collect();
    // An empty list is left absent so the pod does not gain a `[]` it never had.
    if !from_account.is_empty() {
        spec.image_pull_secrets = Some(from_account);
    }
}

/// Mounts `volume_name` read-only at the token path in every init container and container
/// that does not already mount something there (any mount at the path, whatever its
/// volume, means the container opted out; ephemeral containers never get it). True when
/// at least one container got the mount. Both modes share it (upstream's
/// `mountServiceAccountToken`).
pub(crate) fn mount_token_volume(spec: &mut PodSpec, volume_name: &str) -> bool {
    let mount = VolumeMount {
        name: volume_name.to_owned(),
        read_only: Some(true),
        mount_path: TOKEN_MOUNT_PATH.to_owned(),
        ..VolumeMount::default()
    };
    let mut mounted_somewhere = false;
    let init_containers = spec.init_containers.iter_mut().flatten();
    for container in init_containers.chain(spec.containers.iter_mut()) {
        let mounts = container.volume_mounts.get_or_insert_with(Vec::new);
        if mounts
            .iter()
            .all(|existing| existing.mount_path != TOKEN_MOUNT_PATH)
        {
            mounts.push(mount.clone());
            mounted_somewhere = true;
        }
    }
    mounted_somewhere
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::FixedSuffix;
    use serde_json::{json, Value};
    use std::collections::VecDeque;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    const NS: &str = "myns";
    const MOUNT: &str = TOKEN_MOUNT_PATH;

    fn names() -> FixedSuffix {
        FixedSuffix("abc123".into())
    }

    fn pod(value: Value) -> Pod {
        serde_json::from_value(value).expect("test pod")
    }

    fn pod_with_spec(spec: Value) -> Pod {
        pod(json!({"metadata": {"name": "mypod"}, "spec": spec}))
    }

    fn account(value: Value) -> ServiceAccount {
        serde_json::from_value(value).expect("test service account")
    }

    /// `default` in `myns`, uid 12345, referencing the secret `token-name`.
    fn default_account() -> ServiceAccount {
        account(json!({
            "metadata": {"name": "default", "namespace": NS, "uid": "12345"},
            "secrets": [{"name": "token-name"}],
        }))
    }

    fn token_secret(name: &str, sa_name: &str, sa_uid: &str) -> Secret {
        serde_json::from_value(json!({
            "metadata": {
                "name": name,
                "namespace": NS,
                "annotations": {
                    SERVICE_ACCOUNT_NAME_ANNOTATION: sa_name,
                    SERVICE_ACCOUNT_UID_ANNOTATION: sa_uid,
                },
            },
            "type": SERVICE_ACCOUNT_TOKEN_TYPE,
            "data": {"token": "dG9rZW4tZGF0YQ=="},
        }))
        .expect("test secret")
    }

    fn spec_json(pod: &Pod) -> Value {
        serde_json::to_value(pod.spec.as_ref().expect("spec")).expect("serializable")
    }

    fn token_mount(volume: &str) -> Value {
        json!({"name": volume, "readOnly": true, "mountPath": MOUNT})
    }

    fn token_volume(volume: &str, secret: &str) -> Value {
        json!({"name": volume, "secret": {"secretName": secret}})
    }

    /// Admits `spec` with the default account and its token present.
    fn admit_default(spec: Value, config: &Config) -> (Pod, Result<(), Denial>) {
        let mut pod = pod_with_spec(spec);
        let secrets = [token_secret("token-name", "default", "12345")];
        let result = admit_pod(
            &mut pod,
            NS,
            Some(&default_account()),
            &secrets,
            &names(),
            config,
        );
        (pod, result)
    }

    #[test]
    fn is_service_account_token_checks_type_name_and_uid() {
        let sa = default_account();
        let mut wrong_type = token_secret("t", "default", "12345");
        wrong_type.type_ = Some("kubernetes.io/dockercfg".into());
        let mut no_uid_annotation = token_secret("t", "default", "");
        no_uid_annotation.metadata.annotations = Some(
            [(
                SERVICE_ACCOUNT_NAME_ANNOTATION.to_owned(),
                "default".to_owned(),
            )]
            .into(),
        );
        let cases = [
            (
                "matching name and uid",
                token_secret("t", "default", "12345"),
                true,
            ),
            (
                "empty uid annotation",
                token_secret("t", "default", ""),
                true,
            ),
            ("absent uid annotation", no_uid_annotation, true),
            ("other uid", token_secret("t", "default", "99999"), false),
            (
                "other account",
                token_secret("t", "builder", "12345"),
                false,
            ),
            ("not a token secret", wrong_type, false),
        ];
        for (name, secret, expected) in cases {
            assert_eq!(is_service_account_token(&secret, &sa), expected, "{name}");
        }
    }

    #[test]
    fn annotation_values_are_read_like_go_parse_bool() {
        for value in ["1", "t", "T", "TRUE", "true", "True"] {
            assert!(parse_go_bool(value), "{value}");
        }
        for value in ["0", "f", "false", "FALSE", "", "yes", "tRUE", " true", "2"] {
            assert!(!parse_go_bool(value), "{value}");
        }
    }

    #[test]
    fn automount_pod_setting_wins_over_account_setting() {
        // (pod automountServiceAccountToken, account automountServiceAccountToken, mounted)
        let cases = [
            (Some(true), Some(true), true),
            (Some(true), Some(false), true),
            (Some(true), None, true),
            (Some(false), Some(true), false),
            (Some(false), Some(false), false),
            (Some(false), None, false),
            (None, Some(true), true),
            (None, Some(false), false),
            (None, None, true),
        ];
        for (pod_setting, sa_setting, mounted) in cases {
            let mut sa = default_account();
            sa.automount_service_account_token = sa_setting;
            let mut pod = pod_with_spec(json!({"containers": [{"name": "c"}]}));
            pod.spec
                .as_mut()
                .expect("spec")
                .automount_service_account_token = pod_setting;
            let secrets = [token_secret("token-name", "default", "12345")];
            let result = admit_pod(
                &mut pod,
                NS,
                Some(&sa),
                &secrets,
                &names(),
                &Config::default(),
            );
            assert_eq!(result, Ok(()), "pod {pod_setting:?}, sa {sa_setting:?}");
            let spec = spec_json(&pod);
            let expected_mounts = if mounted {
                json!([token_mount("token-name")])
            } else {
                Value::Null
            };
            assert_eq!(
                spec["containers"][0]["volumeMounts"], expected_mounts,
                "pod {pod_setting:?}, sa {sa_setting:?}"
            );
            let expected_volumes = if mounted {
                json!([token_volume("token-name", "token-name")])
            } else {
                Value::Null
            };
            assert_eq!(
                spec["volumes"], expected_volumes,
                "pod {pod_setting:?}, sa {sa_setting:?}"
            );
        }
    }

    #[test]
    fn mounts_token_volume_and_assigns_default_account() {
        let (pod, result) =
            admit_default(json!({"containers": [{"name": "c"}]}), &Config::default());
        assert_eq!(result, Ok(()));
        assert_eq!(
            spec_json(&pod),
            json!({
                "serviceAccountName": "default",
                "containers": [{"name": "c", "volumeMounts": [token_mount("token-name")]}],
                "volumes": [token_volume("token-name", "token-name")],
            })
        );
    }

    /// (case, sa.secrets, namespace secrets, mounted token or None for "no token").
    type TokenCase = (
        &'static str,
        Vec<&'static str>,
        Vec<Secret>,
        Option<&'static str>,
    );

    /// (case, plugin switch, SA annotation, SA secrets, SA imagePullSecrets, pod spec,
    /// expected Forbidden message).
    type EnforcementCase = (
        &'static str,
        bool,
        Option<&'static str>,
        Vec<&'static str>,
        Vec<&'static str>,
        Value,
        Option<String>,
    );

    #[test]
    fn picks_the_first_referenced_token_in_account_order() {
        let sa = account(json!({
            "metadata": {"name": "mysa", "namespace": NS, "uid": "mysauid"},
        }));
        let mut opaque = token_secret("opaque", "mysa", "mysauid");
        opaque.type_ = Some("Opaque".into());
        let mut elsewhere = token_secret("elsewhere", "mysa", "mysauid");
        elsewhere.metadata.namespace = Some("other".into());
        let cases: Vec<TokenCase> = vec![
            (
                "account order, not list order",
                vec!["token1", "token2"],
                vec![
                    token_secret("token2", "mysa", "mysauid"),
                    token_secret("token1", "mysa", "mysauid"),
                ],
                Some("token1"),
            ),
            (
                "referenced secret of another type is skipped",
                vec!["opaque", "token2"],
                vec![opaque, token_secret("token2", "mysa", "mysauid")],
                Some("token2"),
            ),
            (
                "another account's token is skipped",
                vec!["theirs", "mine"],
                vec![
                    token_secret("theirs", "builder", ""),
                    token_secret("mine", "mysa", ""),
                ],
                Some("mine"),
            ),
            (
                "stale uid is skipped",
                vec!["stale", "fresh"],
                vec![
                    token_secret("stale", "mysa", "old-uid"),
                    token_secret("fresh", "mysa", "mysauid"),
                ],
                Some("fresh"),
            ),
            (
                "unreferenced token is not used",
                vec![],
                vec![token_secret("token1", "mysa", "mysauid")],
                None,
            ),
            (
                "referenced secret does not exist",
                vec!["gone"],
                vec![],
                None,
            ),
            (
                "token in another namespace",
                vec!["elsewhere"],
                vec![elsewhere],
                None,
            ),
        ];
        for (case, references, secrets, expected) in cases {
            let mut sa = sa.clone();
            sa.secrets = Some(
                references
                    .iter()
                    .map(|name| serde_json::from_value(json!({"name": name})).expect("reference"))
                    .collect(),
            );
            let mut pod =
                pod_with_spec(json!({"serviceAccountName": "mysa", "containers": [{"name": "c"}]}));
            let result = admit_pod(
                &mut pod,
                NS,
                Some(&sa),
                &secrets,
                &names(),
                &Config::default(),
            );
            match expected {
                Some(token) => {
                    assert_eq!(result, Ok(()), "{case}");
                    assert_eq!(
                        spec_json(&pod)["volumes"],
                        json!([token_volume(token, token)]),
                        "{case}"
                    );
                }
                None => assert!(
                    matches!(result, Err(Denial::ServerTimeout { .. })),
                    "{case}: {result:?}"
                ),
            }
        }
    }

    #[test]
    fn token_volume_is_reused_or_named_after_the_secret() {
        // (case, token secret name, existing volumes, expected volumes, expected mount volume)
        let cases = [
            (
                "no volumes",
                "token-name",
                json!(null),
                json!([token_volume("token-name", "token-name")]),
                "token-name",
            ),
            (
                "existing volume for the token is reused",
                "token-name",
                json!([{"name": "data", "emptyDir": {}}, token_volume("mine", "token-name"), token_volume("again", "token-name")]),
                json!([{"name": "data", "emptyDir": {}}, token_volume("mine", "token-name"), token_volume("again", "token-name")]),
                "mine",
            ),
            (
                "name collision gets a generated suffix",
                "token-name",
                json!([{"name": "token-name", "emptyDir": {}}]),
                json!([{"name": "token-name", "emptyDir": {}}, token_volume("token-name-abc123", "token-name")]),
                "token-name-abc123",
            ),
            (
                "collision with another secret's volume",
                "token-name",
                json!([token_volume("token-name", "other-secret")]),
                json!([
                    token_volume("token-name", "other-secret"),
                    token_volume("token-name-abc123", "token-name")
                ]),
                "token-name-abc123",
            ),
            (
                "dots are kept (v1.8)",
                "default.token.x",
                json!(null),
                json!([token_volume("default.token.x", "default.token.x")]),
                "default.token.x",
            ),
        ];
        for (case, token, volumes, expected_volumes, mount_volume) in cases {
            let mut sa = default_account();
            sa.secrets = Some(vec![
                serde_json::from_value(json!({"name": token})).expect("reference")
            ]);
            let mut spec = json!({"containers": [{"name": "c"}]});
            if !volumes.is_null() {
                spec["volumes"] = volumes;
            }
            let mut pod = pod_with_spec(spec);
            let secrets = [token_secret(token, "default", "12345")];
            let result = admit_pod(
                &mut pod,
                NS,
                Some(&sa),
                &secrets,
                &names(),
                &Config::default(),
            );
            assert_eq!(result, Ok(()), "{case}");
            let spec = spec_json(&pod);
            assert_eq!(spec["volumes"], expected_volumes, "{case}");
            assert_eq!(
                spec["containers"][0]["volumeMounts"],
                json!([token_mount(mount_volume)]),
                "{case}"
            );
        }
    }

    #[test]
    fn mounts_init_containers_and_containers_except_those_already_using_the_path() {
        let custom = json!({"name": "my-custom-mount", "mountPath": MOUNT, "readOnly": false});
        let data = json!({"name": "data", "mountPath": "/data"});
        let (pod, result) = admit_default(
            json!({
                "initContainers": [{"name": "i1"}, {"name": "i2", "volumeMounts": [custom]}],
                "containers": [{"name": "c1", "volumeMounts": [data]}, {"name": "c2", "volumeMounts": [custom]}],
            }),
            &Config::default(),
        );
        assert_eq!(result, Ok(()));
        assert_eq!(
            spec_json(&pod),
            json!({
                "serviceAccountName": "default",
                "initContainers": [
                    {"name": "i1", "volumeMounts": [token_mount("token-name")]},
                    {"name": "i2", "volumeMounts": [custom]},
                ],
                "containers": [
                    {"name": "c1", "volumeMounts": [data, token_mount("token-name")]},
                    {"name": "c2", "volumeMounts": [custom]},
                ],
                "volumes": [token_volume("token-name", "token-name")],
            })
        );
    }

    #[test]
    fn no_volume_is_added_when_no_container_needs_it() {
        let custom = json!({"name": "my-custom-mount", "mountPath": MOUNT, "readOnly": false});
        let cases = [
            (
                "container",
                json!({"containers": [{"name": "c", "volumeMounts": [custom]}]}),
            ),
            (
                "init container",
                json!({"containers": [], "initContainers": [{"name": "i", "volumeMounts": [custom]}]}),
            ),
            ("no containers", json!({"containers": []})),
        ];
        for (case, spec) in cases {
            let (pod, result) = admit_default(spec.clone(), &Config::default());
            assert_eq!(result, Ok(()), "{case}");
            let mut expected = spec;
            expected["serviceAccountName"] = json!("default");
            assert_eq!(spec_json(&pod), expected, "{case}");
        }
    }

    #[test]
    fn missing_token_is_a_server_timeout() {
        let mut sa = default_account();
        sa.secrets = None;
        let mut pod = pod_with_spec(json!({"containers": [{"name": "c"}]}));
        let result = admit_pod(&mut pod, NS, Some(&sa), &[], &names(), &Config::default());
        let denial = result.expect_err("no token");
        assert_eq!(
            denial,
            Denial::ServerTimeout {
                message: "No API token found for service account \"default\", retry after the token is automatically created and added to the service account".into(),
                retry_after_seconds: 1,
            }
        );
        assert_eq!(denial.code(), 500);
        let status = serde_json::to_value(denial.to_status(&pod)).expect("status");
        assert_eq!(
            status,
            json!({
                "status": "Failure",
                "code": 500,
                "reason": "ServerTimeout",
                "message": denial.to_string(),
                "details": {"kind": "serviceaccounts", "name": "create pod", "retryAfterSeconds": 1},
            })
        );
    }

    #[test]
    fn missing_token_is_tolerated_or_ignored_when_configured() {
        let cases = [
            (
                "require_api_token=false",
                Config {
                    require_api_token: false,
                    ..Config::default()
                },
            ),
            (
                "mount_service_account_token=false",
                Config {
                    mount_service_account_token: false,
                    ..Config::default()
                },
            ),
        ];
        for (case, config) in cases {
            let mut pod = pod_with_spec(json!({"containers": [{"name": "c"}]}));
            let result = admit_pod(
                &mut pod,
                NS,
                Some(&default_account()),
                &[],
                &names(),
                &config,
            );
            assert_eq!(result, Ok(()), "{case}");
            assert_eq!(
                spec_json(&pod),
                json!({"serviceAccountName": "default", "containers": [{"name": "c"}]}),
                "{case}"
            );
        }
    }

    #[test]
    fn mount_switch_off_never_mounts_an_existing_token() {
        let config = Config {
            mount_service_account_token: false,
            ..Config::default()
        };
        let (pod, result) = admit_default(json!({"containers": [{"name": "c"}]}), &config);
        assert_eq!(result, Ok(()));
        assert_eq!(
            spec_json(&pod),
            json!({"serviceAccountName": "default", "containers": [{"name": "c"}]})
        );
    }

    #[test]
    fn missing_account_is_forbidden() {
        let cases = [
            ("defaulted", json!({"containers": []}), "myns/default"),
            (
                "named",
                json!({"serviceAccountName": "builder", "containers": []}),
                "myns/builder",
            ),
            (
                "deprecated alias",
                json!({"serviceAccount": "legacy", "containers": []}),
                "myns/legacy",
            ),
        ];
        for (case, spec, account) in cases {
            let mut pod = pod_with_spec(spec);
            let result = admit_pod(&mut pod, NS, None, &[], &names(), &Config::default());
            assert_eq!(
                result,
                Err(Denial::Forbidden(format!(
                    "service account {account} was not found, retry after the service account is created"
                ))),
                "{case}"
            );
        }
    }

    #[test]
    fn named_account_is_kept() {
        let sa = account(json!({"metadata": {"name": "builder", "namespace": NS}}));
        let mut pod = pod_with_spec(json!({"serviceAccountName": "builder", "containers": []}));
        let config = Config {
            require_api_token: false,
            ..Config::default()
        };
        assert_eq!(
            admit_pod(&mut pod, NS, Some(&sa), &[], &names(), &config),
            Ok(())
        );
        assert_eq!(spec_json(&pod)["serviceAccountName"], json!("builder"));
    }

    #[test]
    fn mirror_pods_are_checked_and_never_mutated() {
        let service_accounts = "a mirror pod may not reference service accounts";
        let secrets = "a mirror pod may not reference secrets";
        let env_secret =
            json!([{"name": "e", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]);
        let cases: Vec<(&str, Value, Option<&str>)> = vec![
            (
                "empty volume source",
                json!({"containers": [], "volumes": [{"name": "v"}]}),
                None,
            ),
            (
                "config map only",
                json!({"containers": [{"name": "c", "env": [{"name": "e", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "k"}}}]}], "volumes": [{"name": "v", "configMap": {"name": "cm"}}]}),
                None,
            ),
            (
                "azure file without secret name",
                json!({"containers": [], "volumes": [{"name": "v", "azureFile": {"secretName": "", "shareName": "s"}}]}),
                None,
            ),
            (
                "service account",
                json!({"serviceAccountName": "default", "containers": []}),
                Some(service_accounts),
            ),
            (
                "deprecated service account alias",
                json!({"serviceAccount": "default", "containers": []}),
                Some(service_accounts),
            ),
            (
                "service account checked before secrets",
                json!({"serviceAccountName": "default", "containers": [], "volumes": [{"name": "v", "secret": {}}]}),
                Some(service_accounts),
            ),
            (
                "secret volume without a name",
                json!({"containers": [], "volumes": [{"name": "v", "secret": {}}]}),
                Some(secrets),
            ),
            (
                "image pull secret",
                json!({"containers": [], "imagePullSecrets": [{"name": "pull"}]}),
                Some(secrets),
            ),
            (
                "init container env",
                json!({"containers": [], "initContainers": [{"name": "i", "env": env_secret}]}),
                Some(secrets),
            ),
            (
                "container env",
                json!({"containers": [{"name": "c", "env": env_secret}]}),
                Some(secrets),
            ),
            (
                "container envFrom",
                json!({"containers": [{"name": "c", "envFrom": [{"secretRef": {"name": "s"}}]}]}),
                Some(secrets),
            ),
            (
                "projected secret",
                json!({"containers": [], "volumes": [{"name": "v", "projected": {"sources": [{"secret": {"name": "s"}}]}}]}),
                Some(secrets),
            ),
            (
                "azure file",
                json!({"containers": [], "volumes": [{"name": "v", "azureFile": {"secretName": "az", "shareName": "s"}}]}),
                Some(secrets),
            ),
            (
                "cephfs",
                json!({"containers": [], "volumes": [{"name": "v", "cephfs": {"monitors": ["m"], "secretRef": {"name": "s"}}}]}),
                Some(secrets),
            ),
            (
                "rbd",
                json!({"containers": [], "volumes": [{"name": "v", "rbd": {"monitors": ["m"], "image": "i", "secretRef": {"name": "s"}}}]}),
                Some(secrets),
            ),
            (
                "flex volume",
                json!({"containers": [], "volumes": [{"name": "v", "flexVolume": {"driver": "d", "secretRef": {"name": "s"}}}]}),
                Some(secrets),
            ),
            (
                "scaleIO",
                json!({"containers": [], "volumes": [{"name": "v", "scaleIO": {"gateway": "g", "system": "s", "secretRef": {"name": "s"}}}]}),
                Some(secrets),
            ),
            (
                "iscsi",
                json!({"containers": [], "volumes": [{"name": "v", "iscsi": {"targetPortal": "t", "iqn": "q", "lun": 0, "secretRef": {"name": "s"}}}]}),
                Some(secrets),
            ),
            (
                "storageos",
                json!({"containers": [], "volumes": [{"name": "v", "storageos": {"secretRef": {"name": "s"}}}]}),
                Some(secrets),
            ),
        ];
        for (case, spec, expected) in cases {
            let original = pod(json!({
                "metadata": {"name": "static", "annotations": {MIRROR_POD_ANNOTATION: ""}},
                "spec": spec,
            }));
            let mut admitted = original.clone();
            // Even with an account and its token at hand, nothing is added.
            let secrets = [token_secret("token-name", "default", "12345")];
            let result = admit_pod(
                &mut admitted,
                NS,
                Some(&default_account()),
                &secrets,
                &names(),
                &Config::default(),
            );
            assert_eq!(
                result,
                expected
                    .map(|m| Err(Denial::Forbidden(m.into())))
                    .unwrap_or(Ok(())),
                "{case}"
            );
            assert_eq!(admitted, original, "{case}: mirror pod mutated");
        }
    }

    #[test]
    fn mountable_secrets_enforcement_rules_and_messages() {
        let env = |container: &str, secret: &str| {
            json!({"name": container, "env": [
                {"name": "plain", "value": "x"},
                {"name": "env-1", "valueFrom": {"secretKeyRef": {"name": secret, "key": "k"}}},
            ]})
        };
        let secret_volume = |secret: &str| json!({"name": "v", "secret": {"secretName": secret}});
        let not_referenced = |what: &str, secret: &str| {
            format!("{what} referencing secret.secretName=\"{secret}\" is not allowed because service account default does not reference that secret")
        };
        let volume_message = "volume with secret.secretName=\"foo\" is not allowed because service account default does not reference that secret".to_owned();
        let cases: Vec<EnforcementCase> = vec![
            ("off by default", false, None, vec![], vec![], json!({"containers": [], "volumes": [secret_volume("foo")]}), None),
            ("plugin switch", true, None, vec![], vec![], json!({"containers": [], "volumes": [secret_volume("foo")]}), Some(volume_message.clone())),
            ("annotation true", false, Some("true"), vec![], vec![], json!({"containers": [], "volumes": [secret_volume("foo")]}), Some(volume_message.clone())),
            ("annotation 1", false, Some("1"), vec![], vec![], json!({"containers": [], "volumes": [secret_volume("foo")]}), Some(volume_message.clone())),
            ("annotation T", false, Some("T"), vec![], vec![], json!({"containers": [], "volumes": [secret_volume("foo")]}), Some(volume_message.clone())),
            ("annotation unparsable", false, Some("yes"), vec![], vec![], json!({"containers": [], "volumes": [secret_volume("foo")]}), None),
            ("annotation false", false, Some("false"), vec![], vec![], json!({"containers": [], "volumes": [secret_volume("foo")]}), None),
            ("referenced volume", true, None, vec!["foo"], vec![], json!({"containers": [], "volumes": [secret_volume("foo")]}), None),
            (
                "volume without a secret name",
                true, None, vec!["foo"], vec![],
                json!({"containers": [], "volumes": [{"name": "v", "secret": {}}]}),
                Some("volume with secret.secretName=\"\" is not allowed because service account default does not reference that secret".into()),
            ),
            ("init container env", true, None, vec![], vec![], json!({"containers": [], "initContainers": [env("init-1", "foo")]}), Some(not_referenced("init container init-1 with envVar env-1", "foo"))),
            ("container env", true, None, vec![], vec![], json!({"containers": [env("container-1", "foo")]}), Some(not_referenced("container container-1 with envVar env-1", "foo"))),
            ("referenced env", true, None, vec!["foo"], vec![], json!({"containers": [env("container-1", "foo")], "initContainers": [env("init-1", "foo")]}), None),
            ("envFrom is not checked in v1.8", true, None, vec![], vec![], json!({"containers": [{"name": "c", "envFrom": [{"secretRef": {"name": "foo"}}]}]}), None),
            ("projected secrets are not checked", true, None, vec![], vec![], json!({"containers": [], "volumes": [{"name": "v", "projected": {"sources": [{"secret": {"name": "foo"}}]}}]}), None),
            ("referenced pull secret", true, None, vec![], vec!["a", "b"], json!({"containers": [], "imagePullSecrets": [{"name": "b"}, {"name": "a"}]}), None),
            (
                "unreferenced pull secret",
                true, None, vec![], vec!["a"],
                json!({"containers": [], "imagePullSecrets": [{"name": "a"}, {"name": "b"}]}),
                Some("imagePullSecrets[1].name=\"b\" is not allowed because service account default does not reference that imagePullSecret".into()),
            ),
            (
                "mountable secret is not a pull secret",
                true, None, vec!["a"], vec![],
                json!({"containers": [], "imagePullSecrets": [{"name": "a"}]}),
                Some("imagePullSecrets[0].name=\"a\" is not allowed because service account default does not reference that imagePullSecret".into()),
            ),
            (
                "volumes first",
                true, None, vec![], vec![],
                json!({"containers": [env("container-1", "bar")], "initContainers": [env("init-1", "bar")], "imagePullSecrets": [{"name": "x"}], "volumes": [secret_volume("foo")]}),
                Some(volume_message.clone()),
            ),
            (
                "init containers before containers",
                true, None, vec![], vec![],
                json!({"containers": [env("container-1", "bar")], "initContainers": [env("init-1", "baz")], "imagePullSecrets": [{"name": "x"}]}),
                Some(not_referenced("init container init-1 with envVar env-1", "baz")),
            ),
            (
                "containers before pull secrets",
                true, None, vec![], vec![],
                json!({"containers": [env("container-1", "bar")], "imagePullSecrets": [{"name": "x"}]}),
                Some(not_referenced("container container-1 with envVar env-1", "bar")),
            ),
        ];
        for (case, limit, annotation, mountable, pullable, spec, expected) in cases {
            let mut sa = account(json!({
                "metadata": {"name": "default", "namespace": NS},
                "secrets": mountable.iter().map(|name| json!({"name": name})).collect::<Vec<_>>(),
                "imagePullSecrets": pullable.iter().map(|name| json!({"name": name})).collect::<Vec<_>>(),
            }));
            if let Some(value) = annotation {
                sa.metadata.annotations = Some(
                    [(
                        ENFORCE_MOUNTABLE_SECRETS_ANNOTATION.to_owned(),
                        value.to_owned(),
                    )]
                    .into(),
                );
            }
            let config = Config {
                limit_secret_references: limit,
                require_api_token: false,
                ..Config::default()
            };
            let mut pod = pod_with_spec(spec);
            let result = admit_pod(&mut pod, NS, Some(&sa), &[], &names(), &config);
            assert_eq!(
                result,
                expected
                    .map(|m| Err(Denial::Forbidden(m)))
                    .unwrap_or(Ok(())),
                "{case}"
            );
        }
    }

    #[test]
    fn enforcement_runs_before_the_token_mount() {
        let mut sa = default_account();
        sa.secrets = None;
        let config = Config {
            limit_secret_references: true,
            ..Config::default()
        };
        let mut pod = pod_with_spec(
            json!({"containers": [], "volumes": [{"name": "v", "secret": {"secretName": "foo"}}]}),
        );
        let result = admit_pod(&mut pod, NS, Some(&sa), &[], &names(), &config);
        assert_eq!(
            result,
            Err(Denial::Forbidden(
                "volume with secret.secretName=\"foo\" is not allowed because service account default does not reference that secret".into()
            ))
        );

        // The volume admission adds itself is never checked (and is referenced anyway).
        let (pod, result) = admit_default(json!({"containers": [{"name": "c"}]}), &config);
        assert_eq!(result, Ok(()));
        assert_eq!(
            spec_json(&pod)["volumes"],
            json!([token_volume("token-name", "token-name")])
        );
    }

    #[test]
    fn image_pull_secrets_are_copied_only_into_pods_without_any() {
        // (case, SA pull secrets, pod pull secrets, expected pod pull secrets)
        let cases = [
            (
                "copied in order",
                json!([{"name": "foo"}, {"name": "bar"}]),
                json!(null),
                json!([{"name": "foo"}, {"name": "bar"}]),
            ),
            (
                "empty pod list counts as none",
                json!([{"name": "foo"}]),
                json!([]),
                json!([{"name": "foo"}]),
            ),
            (
                "pod list kept, no merge",
                json!([{"name": "foo"}, {"name": "bar"}]),
                json!([{"name": "foo"}]),
                json!([{"name": "foo"}]),
            ),
            ("nothing to copy", json!(null), json!(null), json!(null)),
        ];
        for (case, from_account, from_pod, expected) in cases {
            let mut sa = default_account();
            sa.image_pull_secrets = serde_json::from_value(from_account).expect("pull secrets");
            let mut spec = json!({"containers": []});
            if !from_pod.is_null() {
                spec["imagePullSecrets"] = from_pod;
            }
            let mut pod = pod_with_spec(spec);
            let config = Config {
                require_api_token: false,
                ..Config::default()
            };
            assert_eq!(
                admit_pod(&mut pod, NS, Some(&sa), &[], &names(), &config),
                Ok(()),
                "{case}"
            );
            assert_eq!(spec_json(&pod)["imagePullSecrets"], expected, "{case}");
        }
    }

    #[test]
    fn copied_image_pull_secrets_are_independent_of_the_account() {
        let mut sa = default_account();
        sa.image_pull_secrets = Some(vec![
            LocalObjectReference { name: "foo".into() },
            LocalObjectReference { name: "bar".into() },
        ]);
        let before = sa.clone();
        let mut pod = pod_with_spec(json!({"containers": []}));
        let config = Config {
            require_api_token: false,
            ..Config::default()
        };
        assert_eq!(
            admit_pod(&mut pod, NS, Some(&sa), &[], &names(), &config),
            Ok(())
        );
        let pulls = pod
            .spec
            .as_mut()
            .and_then(|s| s.image_pull_secrets.as_mut())
            .expect("copied");
        assert_eq!(
            pulls,
            before.image_pull_secrets.as_ref().expect("account list")
        );
        pulls[1] = LocalObjectReference { name: "baz".into() };
        assert_eq!(sa, before);
    }

    #[test]
    fn forbidden_messages_name_the_pod_or_its_generate_name() {
        let denial = Denial::Forbidden("no".into());
        let cases = [
            (
                json!({"metadata": {"name": "x", "generateName": "web-"}}),
                "pods \"x\" is forbidden: no",
            ),
            (
                json!({"metadata": {"generateName": "web-"}}),
                "pods \"web-\" is forbidden: no",
            ),
            (
                json!({"metadata": {"name": ""}}),
                "pods \"Unknown\" is forbidden: no",
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(denial.full_message(&pod(value)), expected);
        }
        let status =
            serde_json::to_value(denial.to_status(&pod(json!({"metadata": {"name": "x"}}))))
                .expect("status");
        assert_eq!(
            status,
            json!({
                "status": "Failure",
                "code": 403,
                "reason": "Forbidden",
                "message": "pods \"x\" is forbidden: no",
                "details": {"name": "x", "kind": "pods"},
            })
        );
    }

    // ---- the async wrapper -------------------------------------------------------------

    #[derive(Default)]
    struct FakeLookup {
        cached: Option<ServiceAccount>,
        cache_error: Option<LookupError>,
        /// Live GET answers in order; NotFound once they run out.
        live: Mutex<VecDeque<Result<ServiceAccount, LookupError>>>,
        secrets: Vec<Secret>,
        /// The token Secret cache's contents.
        cached_secrets: Vec<Secret>,
        list_error: Option<LookupError>,
        cache_calls: AtomicUsize,
        live_calls: AtomicUsize,
        list_calls: AtomicUsize,
    }

    impl FakeLookup {
        fn live(answers: Vec<Result<ServiceAccount, LookupError>>) -> Self {
            Self {
                live: Mutex::new(answers.into()),
                ..Self::default()
            }
        }

        fn calls(&self) -> (usize, usize, usize) {
            (
                self.cache_calls.load(Ordering::SeqCst),
                self.live_calls.load(Ordering::SeqCst),
                self.list_calls.load(Ordering::SeqCst),
            )
        }
    }

    impl AccountLookup for FakeLookup {
        fn cached_service_account<'a>(
            &'a self,
            _namespace: &'a str,
            _name: &'a str,
        ) -> BoxFuture<'a, Result<Option<ServiceAccount>, LookupError>> {
            self.cache_calls.fetch_add(1, Ordering::SeqCst);
            let answer = match &self.cache_error {
                Some(err) => Err(err.clone()),
                None => Ok(self.cached.clone()),
            };
            Box::pin(async move { answer })
        }

        fn get_service_account<'a>(
            &'a self,
            _namespace: &'a str,
            name: &'a str,
        ) -> BoxFuture<'a, Result<ServiceAccount, LookupError>> {
            self.live_calls.fetch_add(1, Ordering::SeqCst);
            let answer = self
                .live
                .lock()
                .expect("lock")
                .pop_front()
                .unwrap_or_else(|| Err(LookupError::NotFound(name.to_owned())));
            Box::pin(async move { answer })
        }

        fn cached_secret<'a>(
            &'a self,
            namespace: &'a str,
            name: &'a str,
        ) -> BoxFuture<'a, Result<Option<Secret>, LookupError>> {
            let found = self
                .cached_secrets
                .iter()
                .find(|s| {
                    s.metadata.namespace.as_deref() == Some(namespace)
                        && s.metadata.name.as_deref() == Some(name)
                })
                .cloned();
            Box::pin(async move { Ok(found) })
        }

        fn list_secrets<'a>(
            &'a self,
            _namespace: &'a str,
        ) -> BoxFuture<'a, Result<Vec<Secret>, LookupError>> {
            self.list_calls.fetch_add(1, Ordering::SeqCst);
            let answer = match &self.list_error {
                Some(err) => Err(err.clone()),
                None => Ok(self.secrets.clone()),
            };
            Box::pin(async move { answer })
        }
    }

    /// Runs the wrapper with a pause that records its waits instead of sleeping.
    async fn run(
        pod: &mut Pod,
        operation: Operation,
        lookup: &FakeLookup,
        config: &Config,
    ) -> (Result<(), Denial>, Vec<Duration>) {
        let waits = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&waits);
        let pause = move |wait: Duration| -> BoxFuture<'static, ()> {
            recorded.lock().expect("lock").push(wait);
            Box::pin(async {})
        };
        let result = admit_with_pause(pod, operation, NS, lookup, &names(), config, &pause).await;
        let waits = waits.lock().expect("lock").clone();
        (result, waits)
    }

    fn not_found_message(name: &str) -> Denial {
        Denial::Forbidden(format!(
            "service account myns/{name} was not found, retry after the service account is created"
        ))
    }

    #[tokio::test]
    async fn a_cached_referenced_token_is_used_without_listing_secrets() {
        let lookup = FakeLookup {
            cached: Some(default_account()),
            cached_secrets: vec![token_secret("token-name", "default", "12345")],
            ..FakeLookup::default()
        };
        let mut pod = pod_with_spec(json!({"containers": [{"name": "c"}]}));
        let (result, _) = run(&mut pod, Operation::Create, &lookup, &Config::default()).await;
        assert_eq!(result, Ok(()));
        assert_eq!(lookup.calls(), (1, 0, 0), "no live list");
        assert_eq!(
            spec_json(&pod)["volumes"],
            json!([token_volume("token-name", "token-name")])
        );
    }

    #[tokio::test]
    async fn a_cache_without_the_accounts_token_falls_back_to_a_live_list() {
        // The cache has missed the token (just created), or holds a Secret of the account's
        // predecessor of the same name (another UID): the live list decides.
        for cached_secrets in [vec![], vec![token_secret("token-name", "default", "old")]] {
            let lookup = FakeLookup {
                cached: Some(default_account()),
                cached_secrets,
                secrets: vec![token_secret("token-name", "default", "12345")],
                ..FakeLookup::default()
            };
            let mut pod = pod_with_spec(json!({"containers": [{"name": "c"}]}));
            let (result, _) = run(&mut pod, Operation::Create, &lookup, &Config::default()).await;
            assert_eq!(result, Ok(()));
            assert_eq!(lookup.calls(), (1, 0, 1), "one live list");
            assert_eq!(
                spec_json(&pod)["volumes"],
                json!([token_volume("token-name", "token-name")])
            );
        }
    }

    #[tokio::test]
    async fn a_cache_missing_an_earlier_reference_falls_back_to_a_live_list() {
        // The account lists `one` before `two`; the cache has seen only `two` so far. The
        // token the account lists first is mounted, as the up-to-date Secrets say.
        let mut account = default_account();
        account.secrets = Some(
            ["one", "two"]
                .into_iter()
                .map(|name| k8s_openapi::api::core::v1::ObjectReference {
                    name: Some(name.into()),
                    ..k8s_openapi::api::core::v1::ObjectReference::default()
                })
                .collect(),
        );
        let lookup = FakeLookup {
            cached: Some(account),
            cached_secrets: vec![token_secret("two", "default", "12345")],
            secrets: vec![
                token_secret("two", "default", "12345"),
                token_secret("one", "default", "12345"),
            ],
            ..FakeLookup::default()
        };
        let mut pod = pod_with_spec(json!({"containers": [{"name": "c"}]}));
        let (result, _) = run(&mut pod, Operation::Create, &lookup, &Config::default()).await;
        assert_eq!(result, Ok(()));
        assert_eq!(lookup.calls(), (1, 0, 1), "one live list");
        assert_eq!(
            spec_json(&pod)["volumes"],
            json!([token_volume("one", "one")])
        );
    }

    #[tokio::test]
    async fn a_cached_account_without_its_token_yet_is_read_again_live() {
        let mut stale = default_account();
        stale.secrets = None;
        stale.metadata.resource_version = Some("1".into());
        let mut fresh = default_account();
        fresh.metadata.resource_version = Some("2".into());
        let lookup = FakeLookup {
            cached: Some(stale),
            secrets: vec![token_secret("token-name", "default", "12345")],
            ..FakeLookup::live(vec![Ok(fresh)])
        };
        let mut pod = pod_with_spec(json!({"containers": [{"name": "c"}]}));
        let (result, waits) = run(&mut pod, Operation::Create, &lookup, &Config::default()).await;
        assert_eq!(result, Ok(()));
        assert_eq!(lookup.calls(), (1, 1, 1), "cache, one live GET, one list");
        assert!(waits.is_empty());
        assert_eq!(
            spec_json(&pod)["volumes"],
            json!([token_volume("token-name", "token-name")])
        );
    }

    #[tokio::test]
    async fn an_account_without_a_token_live_too_is_refused_after_one_live_read() {
        let mut account = default_account();
        account.secrets = None;
        account.metadata.resource_version = Some("1".into());
        let lookup = FakeLookup {
            cached: Some(account.clone()),
            ..FakeLookup::live(vec![Ok(account)])
        };
        let mut pod = pod_with_spec(json!({"containers": [{"name": "c"}]}));
        let (result, _) = run(&mut pod, Operation::Create, &lookup, &Config::default()).await;
        assert!(
            matches!(result, Err(Denial::ServerTimeout { .. })),
            "{result:?}"
        );
        assert_eq!(lookup.calls(), (1, 1, 0));
    }

    #[tokio::test]
    async fn default_account_gets_ten_live_attempts_with_one_wait() {
        let lookup = FakeLookup::default();
        let mut pod = pod_with_spec(json!({"containers": []}));
        let (result, waits) = run(&mut pod, Operation::Create, &lookup, &Config::default()).await;
        assert_eq!(result, Err(not_found_message("default")));
        assert_eq!(lookup.calls(), (1, 10, 0));
        assert_eq!(waits.len(), 9);
        assert!(
            waits.iter().all(|wait| *wait == waits[0]),
            "one wait per call: {waits:?}"
        );
        assert!((100..200).contains(&waits[0].as_millis()), "{waits:?}");
    }

    #[tokio::test]
    async fn other_accounts_get_one_live_attempt() {
        let lookup = FakeLookup::default();
        let mut pod = pod_with_spec(json!({"serviceAccountName": "builder", "containers": []}));
        let (result, waits) = run(&mut pod, Operation::Create, &lookup, &Config::default()).await;
        assert_eq!(result, Err(not_found_message("builder")));
        assert_eq!(lookup.calls(), (1, 1, 0));
        assert!(waits.is_empty());
    }

    #[tokio::test]
    async fn not_found_keeps_retrying_until_the_account_appears() {
        let lookup = FakeLookup {
            secrets: vec![token_secret("token-name", "default", "12345")],
            ..FakeLookup::live(vec![
                Err(LookupError::NotFound("default".into())),
                Err(LookupError::NotFound("default".into())),
                Ok(default_account()),
            ])
        };
        let mut pod = pod_with_spec(json!({"containers": [{"name": "c"}]}));
        let (result, waits) = run(&mut pod, Operation::Create, &lookup, &Config::default()).await;
        assert_eq!(result, Ok(()));
        assert_eq!(lookup.calls(), (1, 3, 1));
        assert_eq!(waits.len(), 2);
        assert_eq!(
            spec_json(&pod)["volumes"],
            json!([token_volume("token-name", "token-name")])
        );
    }

    #[tokio::test]
    async fn other_lookup_errors_stop_at_once() {
        let cases = [
            (
                "live GET",
                FakeLookup::live(vec![Err(LookupError::Other("etcd unavailable".into()))]),
                (1, 1, 0),
            ),
            (
                "cache",
                FakeLookup {
                    cache_error: Some(LookupError::Other("etcd unavailable".into())),
                    ..FakeLookup::default()
                },
                (1, 0, 0),
            ),
        ];
        for (case, lookup, calls) in cases {
            let mut pod = pod_with_spec(json!({"containers": []}));
            let (result, waits) =
                run(&mut pod, Operation::Create, &lookup, &Config::default()).await;
            assert_eq!(
                result,
                Err(Denial::Forbidden(
                    "error looking up service account myns/default: etcd unavailable".into()
                )),
                "{case}"
            );
            assert_eq!(lookup.calls(), calls, "{case}");
            assert!(waits.is_empty(), "{case}");
        }
    }

    #[tokio::test]
    async fn cached_account_skips_live_lookups() {
        let lookup = FakeLookup {
            cached: Some(default_account()),
            secrets: vec![token_secret("token-name", "default", "12345")],
            ..FakeLookup::default()
        };
        let mut pod = pod_with_spec(json!({"containers": [{"name": "c"}]}));
        let (result, _) = run(&mut pod, Operation::Create, &lookup, &Config::default()).await;
        assert_eq!(result, Ok(()));
        assert_eq!(lookup.calls(), (1, 0, 1));
        assert_eq!(
            spec_json(&pod)["containers"][0]["volumeMounts"],
            json!([token_mount("token-name")])
        );
    }

    #[tokio::test]
    async fn updates_and_mirror_pods_need_no_lookups() {
        let lookup = FakeLookup {
            cached: Some(default_account()),
            ..FakeLookup::default()
        };
        let original = pod_with_spec(json!({"containers": [{"name": "c"}]}));
        let mut updated = original.clone();
        let (result, _) = run(&mut updated, Operation::Update, &lookup, &Config::default()).await;
        assert_eq!(result, Ok(()));
        assert_eq!(updated, original);

        let mut mirror = pod(json!({
            "metadata": {"name": "static", "annotations": {MIRROR_POD_ANNOTATION: "hash"}},
            "spec": {"serviceAccountName": "default", "containers": []},
        }));
        let (result, _) = run(&mut mirror, Operation::Create, &lookup, &Config::default()).await;
        assert_eq!(
            result,
            Err(Denial::Forbidden(
                "a mirror pod may not reference service accounts".into()
            ))
        );
        assert_eq!(lookup.calls(), (0, 0, 0));
    }

    #[tokio::test]
    async fn secrets_are_listed_only_when_a_token_must_be_picked() {
        let mut no_automount = default_account();
        no_automount.automount_service_account_token = Some(false);
        let mut no_secrets = default_account();
        no_secrets.secrets = None;
        let cases = [
            ("automount off", no_automount, Config::default(), 0),
            (
                "no referenced secrets",
                no_secrets,
                Config {
                    require_api_token: false,
                    ..Config::default()
                },
                0,
            ),
            (
                "mount switch off",
                default_account(),
                Config {
                    mount_service_account_token: false,
                    ..Config::default()
                },
                0,
            ),
            ("token needed", default_account(), Config::default(), 1),
        ];
        for (case, sa, config, lists) in cases {
            let lookup = FakeLookup {
                cached: Some(sa),
                secrets: vec![token_secret("token-name", "default", "12345")],
                ..FakeLookup::default()
            };
            let mut pod = pod_with_spec(json!({"containers": [{"name": "c"}]}));
            let (result, _) = run(&mut pod, Operation::Create, &lookup, &config).await;
            assert_eq!(result, Ok(()), "{case}");
            assert_eq!(lookup.calls().2, lists, "{case}");
        }
    }

    #[tokio::test]
    async fn secret_listing_failure_is_reported_after_enforcement() {
        let failing = || FakeLookup {
            cached: Some(default_account()),
            list_error: Some(LookupError::Other("informer not synced".into())),
            ..FakeLookup::default()
        };
        let mut pod = pod_with_spec(json!({"containers": [{"name": "c"}]}));
        let (result, _) = run(&mut pod, Operation::Create, &failing(), &Config::default()).await;
        assert_eq!(
            result,
            Err(Denial::Forbidden(
                "Error looking up service account token for myns/default: informer not synced"
                    .into()
            ))
        );

        let config = Config {
            limit_secret_references: true,
            ..Config::default()
        };
        let mut pod = pod_with_spec(json!({"containers": [], "imagePullSecrets": [{"name": "p"}]}));
        let (result, _) = run(&mut pod, Operation::Create, &failing(), &config).await;
        assert_eq!(
            result,
            Err(Denial::Forbidden(
                "imagePullSecrets[0].name=\"p\" is not allowed because service account default does not reference that imagePullSecret".into()
            ))
        );
    }

    fn require_send<F: std::future::Future + Send>(future: F) -> F {
        future
    }

    #[tokio::test]
    async fn public_wrapper_is_send_and_admits() {
        // A non-default missing account takes one attempt, so nothing sleeps.
        let lookup = FakeLookup::default();
        let mut pod = pod_with_spec(json!({"serviceAccountName": "builder", "containers": []}));
        let result = require_send(admit(
            &mut pod,
            Operation::Create,
            NS,
            &lookup,
            &names(),
            &Config::default(),
        ))
        .await;
        assert_eq!(result, Err(not_found_message("builder")));
        assert_eq!(lookup.calls(), (1, 1, 0));
    }
}
