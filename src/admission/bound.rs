//! The ServiceAccount admission plugin in bound mode: Kubernetes 1.33's
//! `plugin/pkg/admission/serviceaccount/admission.go` (`Admit`, `Validate`,
//! `mountServiceAccountToken`, `TokenVolumeSource`, `limitSecretReferences`,
//! `limitEphemeralContainerSecretReferences`), spec §4.
//!
//! Unlike v1.8 it never reads or waits for token Secrets: every pod that wants a token gets
//! the projected `kube-api-access-<5 chars>` volume (a bound token, the `kube-root-ca.crt`
//! CA and the namespace), which the kubelet fills in.

use std::collections::HashSet;

use k8s_openapi::api::core::v1::{
    ConfigMapProjection, Container, DownwardAPIProjection, DownwardAPIVolumeFile, EnvFromSource,
    EnvVar, EphemeralContainer, KeyToPath, ObjectFieldSelector, Pod, PodSpec,
    ProjectedVolumeSource, ServiceAccount, ServiceAccountTokenProjection, Volume, VolumeProjection,
};

use super::serviceaccount::{
    container_references_secret, copy_image_pull_secrets, effective_service_account_name,
    enforce_mountable_secrets, find_service_account, is_mirror_pod, mount_token_volume,
    set_default_service_account, should_automount, volume_references_secret, AccountLookup, Config,
    Denial, Operation, Pause,
};
use crate::names::NameGenerator;

/// Prefix of the projected token volume's name (upstream `ServiceAccountVolumeName + "-"`);
/// a pod volume whose name starts with it counts as the token volume, whatever its source.
pub const TOKEN_VOLUME_PREFIX: &str = "kube-api-access-";

/// The ConfigMap holding the cluster's CA bundle in every namespace (spec §5).
pub const ROOT_CA_CONFIG_MAP: &str = "kube-root-ca.crt";

/// Lifetime the projected token asks for (3607 s, so that the API server can tell it
/// apart and extend it, spec §1.6).
pub const TOKEN_EXPIRATION_SECONDS: i64 = 3607;

/// File mode of the projected volume: 0644, set explicitly since upstream #104464.
pub const TOKEN_VOLUME_MODE: i32 = 0o644;

/// The subresource whose UPDATE the plugin validates besides pod CREATE.
pub const EPHEMERAL_CONTAINERS_SUBRESOURCE: &str = "ephemeralcontainers";

/// Upstream's `TokenVolumeSource()`: a bound token, the root CA and the namespace, in that
/// order, already in v1-defaulted form (`defaultMode: 420`, `fieldRef.apiVersion: v1`) so
/// that API defaulting changes nothing. There is no audience (the kubelet then asks for
/// the API audiences), no `optional` and no per-file `mode`.
pub fn token_volume_source() -> ProjectedVolumeSource {
    ProjectedVolumeSource {
        default_mode: Some(TOKEN_VOLUME_MODE),
        sources: Some(vec![
            VolumeProjection {
                service_account_token: Some(ServiceAccountTokenProjection {
                    expiration_seconds: Some(TOKEN_EXPIRATION_SECONDS),
                    path: "token".to_owned(),
                    audience: None,
                }),
                ..VolumeProjection::default()
            },
            VolumeProjection {
                config_map: Some(ConfigMapProjection {
                    name: ROOT_CA_CONFIG_MAP.to_owned(),
                    items: Some(vec![KeyToPath {
                        key: "ca.crt".to_owned(),
                        path: "ca.crt".to_owned(),
                        mode: None,
                    }]),
                    optional: None,
                }),
                ..VolumeProjection::default()
            },
            VolumeProjection {
                downward_api: Some(DownwardAPIProjection {
                    items: Some(vec![DownwardAPIVolumeFile {
                        field_ref: Some(ObjectFieldSelector {
                            api_version: Some("v1".to_owned()),
                            field_path: "metadata.namespace".to_owned(),
                        }),
                        path: "namespace".to_owned(),
                        ..DownwardAPIVolumeFile::default()
                    }]),
                }),
                ..VolumeProjection::default()
            },
        ]),
    }
}

/// The lookups around [`admit_resolved`]: CREATE defaults the account, looks it up (cache,
/// then live GETs with upstream's retries) and admits; an `ephemeralcontainers` UPDATE
/// checks the ephemeral containers; any other UPDATE passes unchanged.
pub(super) async fn admit(
    pod: &mut Pod,
    operation: Operation,
    namespace: &str,
    lookup: &dyn AccountLookup,
    names: &dyn NameGenerator,
    config: &Config,
    pause: &Pause,
) -> Result<(), Denial> {
    match operation {
        Operation::Update => Ok(()),
        Operation::EphemeralContainersUpdate => {
            let sa_name = pod
                .spec
                .as_ref()
                .map(effective_service_account_name)
                .unwrap_or("")
                .to_owned();
            if sa_name.is_empty() {
                return Err(no_service_account(namespace, pod));
            }
            let sa = lookup_account(lookup, namespace, &sa_name, pause).await?;
            validate_ephemeral_containers(pod, &sa, config)
        }
        Operation::Create => {
            if is_mirror_pod(pod) {
                // Mirror pods are only checked; they never need the account.
                return check_mirror_pod(pod);
            }
            let sa_name = set_default_service_account(pod);
            let sa = lookup_account(lookup, namespace, &sa_name, pause).await?;
            admit_resolved(pod, namespace, Some(&sa), names, config)
        }
    }
}

/// Upstream's `getServiceAccount` as the plugin reports it: a missing account is
/// `serviceaccount "<sa>" not found`, wrapped in `error looking up service account ...`.
async fn lookup_account(
    lookup: &dyn AccountLookup,
    namespace: &str,
    sa_name: &str,
    pause: &Pause,
) -> Result<ServiceAccount, Denial> {
    match find_service_account(lookup, namespace, sa_name, pause).await {
        Ok(Some(sa)) => Ok(sa),
        Ok(None) => Err(lookup_failed(
            namespace,
            sa_name,
            &format!("serviceaccount \"{sa_name}\" not found"),
        )),
        Err(err) => Err(lookup_failed(namespace, sa_name, &err.to_string())),
    }
}

fn lookup_failed(namespace: &str, sa_name: &str, err: &str) -> Denial {
    Denial::Forbidden(format!(
        "error looking up service account {namespace}/{sa_name}: {err}"
    ))
}

fn no_service_account(namespace: &str, pod: &Pod) -> Denial {
    Denial::Forbidden(format!(
        "no service account specified for pod {namespace}/{}",
        pod.metadata.name.as_deref().unwrap_or("")
    ))
}

/// Admit then Validate of a CREATE, given the resolved account (`None`: it does not
/// exist). Mirror pods are checked and never mutated. Otherwise: the default account,
/// the projected token volume and mounts when automount is wanted, the account's pull
/// secrets when the pod has none, then the mountable-secrets rules.
///
/// # Errors
///
/// [`Denial::Forbidden`] with upstream's texts (spec §4.5, §4.6); never a ServerTimeout.
pub(super) fn admit_resolved(
    pod: &mut Pod,
    namespace: &str,
    sa: Option<&ServiceAccount>,
    names: &dyn NameGenerator,
    config: &Config,
) -> Result<(), Denial> {
    if is_mirror_pod(pod) {
        return check_mirror_pod(pod);
    }
    let sa_name = set_default_service_account(pod);
    let Some(sa) = sa else {
        return Err(lookup_failed(
            namespace,
            &sa_name,
            &format!("serviceaccount \"{sa_name}\" not found"),
        ));
    };
    if config.mount_service_account_token && should_automount(sa, pod) {
        mount_service_account_token(pod, names);
    }
    copy_image_pull_secrets(pod, sa);
    // Validate sees the mutated pod: the projected volume is never checked.
    if enforce_mountable_secrets(sa, config) {
        limit_secret_references(sa, pod)?;
    }
    Ok(())
}

/// Mirror (static) pods: no account, no secret anywhere (ephemeral containers included),
/// no projected service-account token, checked in that order.
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
    let projects_token = spec.volumes.iter().flatten().any(|volume| {
        volume.projected.as_ref().is_some_and(|projected| {
            projected
                .sources
                .iter()
                .flatten()
                .any(|source| source.service_account_token.is_some())
        })
    });
    if projects_token {
        return Err(Denial::Forbidden(
            "a mirror pod may not use ServiceAccountToken volume projections".to_owned(),
        ));
    }
    Ok(())
}

/// `VisitPodSecretNames` over all containers, ephemeral ones included.
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
    let ephemeral = spec.ephemeral_containers.iter().flatten().any(|c| {
        env_secret_names(c.env.as_deref(), c.env_from.as_deref())
            .next()
            .is_some()
    });
    pull_secrets
        || containers
        || ephemeral
        || spec.volumes.iter().flatten().any(volume_references_secret)
}

/// Upstream's `mountServiceAccountToken`: reuse the first volume named `kube-api-access-*`,
/// else generate a name; mount it read-only in every init container and container with
/// no mount at the token path (never in ephemeral containers); add the volume only if no
/// volume was reused and some container got the mount.
fn mount_service_account_token(pod: &mut Pod, names: &dyn NameGenerator) {
    let spec = pod.spec.get_or_insert_with(PodSpec::default);
    let existing = spec
        .volumes
        .iter()
        .flatten()
        .find(|volume| volume.name.starts_with(TOKEN_VOLUME_PREFIX))
        .map(|volume| volume.name.clone());
    let has_token_volume = existing.is_some();
    let volume_name = existing.unwrap_or_else(|| names.generate(TOKEN_VOLUME_PREFIX));

    let mounted_somewhere = mount_token_volume(spec, &volume_name);
    if !has_token_volume && mounted_somewhere {
        spec.volumes.get_or_insert_with(Vec::new).push(Volume {
            name: volume_name,
            projected: Some(token_volume_source()),
            ..Volume::default()
        });
    }
}

/// The secret names a container's `env` (`secretKeyRef`) and `envFrom` (`secretRef`) use,
/// each tagged with how the message names the reference (`envVar <name>` or `envFrom`).
fn env_secret_names<'a>(
    env: Option<&'a [EnvVar]>,
    env_from: Option<&'a [EnvFromSource]>,
) -> impl Iterator<Item = (String, &'a str)> + 'a {
    let env = env.into_iter().flatten().filter_map(|var| {
        let selector = var.value_from.as_ref()?.secret_key_ref.as_ref()?;
        Some((format!("envVar {}", var.name), selector.name.as_str()))
    });
    let env_from = env_from.into_iter().flatten().filter_map(|source| {
        let reference = source.secret_ref.as_ref()?;
        Some(("envFrom".to_owned(), reference.name.as_str()))
    });
    env.chain(env_from)
}

fn mountable_secrets(sa: &ServiceAccount) -> HashSet<&str> {
    sa.secrets
        .iter()
        .flatten()
        .map(|reference| reference.name.as_deref().unwrap_or(""))
        .collect()
}

fn secret_not_referenced(what: &str, secret: &str, sa_name: &str) -> Denial {
    Denial::Forbidden(format!(
        "{what} referencing secret.secretName=\"{secret}\" is not allowed because service account {sa_name} does not reference that secret"
    ))
}

/// Checks the env and envFrom of `containers`; `kind` starts each message
/// (`init container`, `container`, `ephemeral container`).
fn check_containers<'a>(
    kind: &str,
    containers: impl Iterator<Item = (&'a str, Option<&'a [EnvVar]>, Option<&'a [EnvFromSource]>)>,
    mountable: &HashSet<&str>,
    sa_name: &str,
) -> Result<(), Denial> {
    for (name, env, env_from) in containers {
        // Upstream checks all env entries of a container before its envFrom entries.
        for (reference, secret) in env_secret_names(env, env_from) {
            if !mountable.contains(secret) {
                return Err(secret_not_referenced(
                    &format!("{kind} {name} with {reference}"),
                    secret,
                    sa_name,
                ));
            }
        }
    }
    Ok(())
}

fn container_env(c: &Container) -> (&str, Option<&[EnvVar]>, Option<&[EnvFromSource]>) {
    (c.name.as_str(), c.env.as_deref(), c.env_from.as_deref())
}

fn ephemeral_env(c: &EphemeralContainer) -> (&str, Option<&[EnvVar]>, Option<&[EnvFromSource]>) {
    (c.name.as_str(), c.env.as_deref(), c.env_from.as_deref())
}

/// Upstream's `limitSecretReferences` (1.33): plain `secret` volumes (projected sources are
/// not checked), init containers' then containers' env and envFrom, then pull secrets.
fn limit_secret_references(sa: &ServiceAccount, pod: &Pod) -> Result<(), Denial> {
    let Some(spec) = &pod.spec else {
        return Ok(());
    };
    let sa_name = sa.metadata.name.as_deref().unwrap_or("");
    let mountable = mountable_secrets(sa);
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
    let init = spec.init_containers.iter().flatten().map(container_env);
    check_containers("init container", init, &mountable, sa_name)?;
    let containers = spec.containers.iter().map(container_env);
    check_containers("container", containers, &mountable, sa_name)?;

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

/// Upstream's `limitEphemeralContainerSecretReferences` after the account is found: when
/// enforcement applies, every ephemeral container's env and envFrom secret must be listed
/// in the account's `secrets`.
///
/// # Errors
///
/// [`Denial::Plain`] (upstream returns a plain error here, so clients get 500 and the
/// text alone) `ephemeral container <c> with envVar <e> referencing ...` or
/// `ephemeral container <c> with envFrom referencing ...`.
pub(super) fn validate_ephemeral_containers(
    pod: &Pod,
    sa: &ServiceAccount,
    config: &Config,
) -> Result<(), Denial> {
    if !enforce_mountable_secrets(sa, config) {
        return Ok(());
    }
    let Some(spec) = &pod.spec else {
        return Ok(());
    };
    let sa_name = sa.metadata.name.as_deref().unwrap_or("");
    let ephemeral = spec
        .ephemeral_containers
        .iter()
        .flatten()
        .map(ephemeral_env);
    // Upstream returns these as plain errors, not wrapped in a Forbidden status.
    check_containers(
        "ephemeral container",
        ephemeral,
        &mountable_secrets(sa),
        sa_name,
    )
    .map_err(|denial| Denial::Plain(denial.to_string()))
}

#[cfg(test)]
#[path = "bound_tests.rs"]
mod tests;
