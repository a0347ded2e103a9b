//! The ServiceAccount admission plugin, Kubernetes v1.8 ("legacy") behaviour (spec §2).
//!
//! [`admit_pod`] is the whole decision as a pure function over an already resolved
//! service account and the namespace's secrets; [`admit`] adds the lookups (cache, then
//! live GETs with retries) through an [`AccountLookup`].

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

/// Name under which the plugin is registered.
pub const PLUGIN_NAME: &str = "ServiceAccount";
/// Service account given to pods that name none.
pub const DEFAULT_SERVICE_ACCOUNT_NAME: &str = "default";
/// Where the token volume is mounted in every container.
pub const DEFAULT_API_TOKEN_MOUNT_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
/// Service-account annotation that turns on mountable-secrets enforcement for that account.
pub const ENFORCE_MOUNTABLE_SECRETS_ANNOTATION: &str = "kubernetes.io/enforce-mountable-secrets";
/// Pod annotation that marks a mirror (static) pod, whatever its value.
pub const MIRROR_POD_ANNOTATION: &str = "kubernetes.io/config.mirror";
/// Secret type of service-account tokens.
pub const SERVICE_ACCOUNT_TOKEN_SECRET_TYPE: &str = "kubernetes.io/service-account-token";
/// Secret annotation naming the service account a token belongs to.
pub const SERVICE_ACCOUNT_NAME_ANNOTATION: &str = "kubernetes.io/service-account.name";
/// Secret annotation carrying the UID of the service account a token belongs to.
pub const SERVICE_ACCOUNT_UID_ANNOTATION: &str = "kubernetes.io/service-account.uid";

/// Plugin switches, with the upstream defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Reject pods that reference secrets their service account does not reference.
    pub limit_secret_references: bool,
    /// Mount the account's API token into every container.
    pub mount_service_account_token: bool,
    /// Reject pods (ServerTimeout) while the account has no token yet.
    pub require_api_token: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            limit_secret_references: false,
            mount_service_account_token: true,
            require_api_token: true,
        }
    }
}

/// The request operation; the plugin is registered for CREATE and UPDATE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    /// A no-op: v1.8 only re-admitted uninitialized pods, and pods here are always initialized.
    Update,
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
        message: String,
        retry_after_seconds: u32,
    },
}

impl Denial {
    /// HTTP status code of the error the API server returns.
    pub fn code(&self) -> u16 {
        match self {
            Denial::Forbidden(_) => 403,
            Denial::ServerTimeout { .. } => 500,
        }
    }

    /// The `reason` of the returned Status.
    pub fn reason(&self) -> &'static str {
        match self {
            Denial::Forbidden(_) => "Forbidden",
            Denial::ServerTimeout { .. } => "ServerTimeout",
        }
    }

    /// The Status message as a client sees it: Forbidden gets the admission wrapper
    /// `pods "<name|generateName|Unknown>" is forbidden: `, ServerTimeout is unchanged.
    pub fn full_message(&self, pod: &Pod) -> String {
        match self {
            Denial::Forbidden(message) => {
                format!("pods {:?} is forbidden: {message}", forbidden_object_name(pod))
            }
            Denial::ServerTimeout { message, .. } => message.clone(),
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

    /// The namespace's secrets (at least every `kubernetes.io/service-account-token` one).
    fn list_secrets<'a>(
        &'a self,
        namespace: &'a str,
    ) -> BoxFuture<'a, Result<Vec<Secret>, LookupError>>;
}

/// `IsServiceAccountToken`: the secret is a token whose name annotation equals the
/// account's name and whose UID annotation is absent, empty, or the account's UID.
pub fn is_service_account_token(secret: &Secret, sa: &ServiceAccount) -> bool {
    if secret.type_.as_deref() != Some(SERVICE_ACCOUNT_TOKEN_SECRET_TYPE) {
        return false;
    }
    let annotation = |key: &str| {
        secret
            .metadata
            .annotations
            .as_ref()
            .and_then(|annotations| annotations.get(key))
            .map(String::as_str)
            .unwrap_or_default()
    };
    if annotation(SERVICE_ACCOUNT_NAME_ANNOTATION) != sa.metadata.name.as_deref().unwrap_or("") {
        return false;
    }
    let uid = annotation(SERVICE_ACCOUNT_UID_ANNOTATION);
    uid.is_empty() || uid == sa.metadata.uid.as_deref().unwrap_or("")
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
pub fn admit_pod(
    pod: &mut Pod,
    namespace: &str,
    sa: Option<&ServiceAccount>,
    secrets: &[Secret],
    names: &dyn NameGenerator,
    config: &Config,
) -> Result<(), Denial> {
    admit_resolved(pod, namespace, sa, Ok(secrets), names, config)
}

/// Defaults the account, looks it up (cache first, then live GETs with retries), lists the
/// namespace's secrets when a token has to be picked, then runs [`admit_pod`].
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
type Pause = dyn Fn(Duration) -> BoxFuture<'static, ()> + Send + Sync;

async fn admit_with_pause(
    pod: &mut Pod,
    operation: Operation,
    namespace: &str,
    lookup: &dyn AccountLookup,
    names: &dyn NameGenerator,
    config: &Config,
    pause: &Pause,
) -> Result<(), Denial> {
    if operation == Operation::Update {
        return Ok(());
    }
    if is_mirror_pod(pod) {
        // Mirror pods are only checked; they never need the account.
        return admit_pod(pod, namespace, None, &[], names, config);
    }
    let sa_name = set_default_service_account(pod);
    let sa = find_service_account(lookup, namespace, &sa_name, pause)
        .await
        .map_err(|err| {
            Denial::Forbidden(format!(
                "error looking up service account {namespace}/{sa_name}: {err}"
            ))
        })?;
    let secrets = match &sa {
        // Like upstream's lister read, secrets are only fetched when a token must be picked.
        Some(sa) if needs_token_secrets(pod, sa, config) => lookup.list_secrets(namespace).await,
        _ => Ok(Vec::new()),
    };
    let secrets = secrets.as_deref();
    admit_resolved(pod, namespace, sa.as_ref(), secrets, names, config)
}

/// The live GET retry policy: 1 attempt, 10 for `default` (the controller should create it
/// shortly), one random wait in [100, 200) ms chosen per call; only NotFound is retried.
async fn find_service_account(
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
fn effective_service_account_name(spec: &PodSpec) -> &str {
    [&spec.service_account_name, &spec.service_account]
        .into_iter()
        .flatten()
        .find(|name| !name.is_empty())
        .map(String::as_str)
        .unwrap_or("")
}

/// Writes the effective account name (or `default`) into `serviceAccountName` and returns it.
fn set_default_service_account(pod: &mut Pod) -> String {
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
    let pull_secrets = spec.image_pull_secrets.as_ref().is_some_and(|refs| !refs.is_empty());
    let containers = spec
        .init_containers
        .iter()
        .flatten()
        .chain(&spec.containers)
        .any(container_references_secret);
    pull_secrets || containers || spec.volumes.iter().flatten().any(volume_references_secret)
}

fn container_references_secret(container: &Container) -> bool {
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

fn volume_references_secret(volume: &Volume) -> bool {
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

fn enforce_mountable_secrets(sa: &ServiceAccount, config: &Config) -> bool {
    config.limit_secret_references
        || sa
            .metadata
            .annotations
            .as_ref()
            .and_then(|annotations| annotations.get(ENFORCE_MOUNTABLE_SECRETS_ANNOTATION))
            .is_some_and(|value| parse_go_bool(value))
}

/// Pod's `automountServiceAccountToken` wins, then the account's, else true.
fn should_automount(sa: &ServiceAccount, pod: &Pod) -> bool {
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
    for source in spec.volumes.iter().flatten().filter_map(|v| v.secret.as_ref()) {
        let secret = source.secret_name.as_deref().unwrap_or("");
        if !mountable.contains(secret) {
            return Err(Denial::Forbidden(format!(
                "volume with secret.secretName=\"{secret}\" is not allowed because service account {sa_name} does not reference that secret"
            )));
        }
    }

    let init_containers = spec.init_containers.iter().flatten().map(|c| ("init container", c));
    let containers = spec.containers.iter().map(|c| ("container", c));
    for (kind, container) in init_containers.chain(containers) {
        // Legacy checks env valueFrom only; envFrom was added for CVE-2024-3177 much later.
        for var in container.env.iter().flatten() {
            let Some(selector) = var.value_from.as_ref().and_then(|s| s.secret_key_ref.as_ref())
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

    let mount = VolumeMount {
        name: volume_name.clone(),
        read_only: Some(true),
        mount_path: DEFAULT_API_TOKEN_MOUNT_PATH.to_owned(),
        ..VolumeMount::default()
    };
    let mut mounted_somewhere = false;
    let init_containers = spec.init_containers.iter_mut().flatten();
    for container in init_containers.chain(spec.containers.iter_mut()) {
        let mounts = container.volume_mounts.get_or_insert_with(Vec::new);
        // Any mount at the path, whatever its volume, means the container opted out.
        if mounts
            .iter()
            .all(|existing| existing.mount_path != DEFAULT_API_TOKEN_MOUNT_PATH)
        {
            mounts.push(mount.clone());
            mounted_somewhere = true;
        }
    }

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
fn copy_image_pull_secrets(pod: &mut Pod, sa: &ServiceAccount) {
    let spec = pod.spec.get_or_insert_with(PodSpec::default);
    if spec.image_pull_secrets.as_ref().is_some_and(|refs| !refs.is_empty()) {
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
