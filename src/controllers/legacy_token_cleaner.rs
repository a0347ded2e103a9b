//! The legacy-token cleaner, `legacy-serviceaccount-token-cleaner` (modern spec §8.3;
//! bound mode only): auto-generated legacy token Secrets that nobody used or mounted for
//! the clean-up period are first labelled invalid, then, a period later, deleted.
//!
//! Follows upstream pkg/controller/serviceaccount/legacy_serviceaccount_token_cleaner.go
//! (1.28+). One evaluation per sync interval (24 h) on the injected [`Clock`], so a fake
//! clock moved past the next run's time triggers it. It reads the token-Secret and
//! ServiceAccount caches; the tracking ConfigMap is read with a GET and a namespace's pods
//! with a LIST, only for Secrets that pass every earlier check (upstream reads informer
//! caches for both; a daily run does not justify a cache of every pod).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use jiff::{civil::Date, SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::{Pod, PodSpec, Secret, ServiceAccount, Volume};
use kube::api::Preconditions;
use kube::runtime::reflector::{ObjectRef, Store};
use tracing::{debug, error, info, info_span, warn, Instrument};

use super::api::CoreApi;
use crate::clock::Clock;
use crate::serviceaccount::{
    SERVICE_ACCOUNT_NAME_ANNOTATION, SERVICE_ACCOUNT_TOKEN_TYPE, SERVICE_ACCOUNT_UID_ANNOTATION,
};

/// Namespace of the tracking ConfigMap.
pub const TRACKING_CONFIG_MAP_NAMESPACE: &str = "kube-system";
/// The ConfigMap in which the API server records since when legacy tokens are tracked
/// (upstream `legacytokentracking.ConfigMapName`).
pub const TRACKING_CONFIG_MAP_NAME: &str = "kube-apiserver-legacy-service-account-token-tracking";
/// Its data key, a UTC date `YYYY-MM-DD` (upstream `ConfigMapDataKey`).
pub const TRACKING_SINCE_KEY: &str = "since";
/// Label the API server sets on each use of a legacy token (UTC date).
pub const LAST_USED_LABEL: &str = "kubernetes.io/legacy-token-last-used";
/// Label the cleaner sets when it invalidates a token (UTC date).
pub const INVALID_SINCE_LABEL: &str = "kubernetes.io/legacy-token-invalid-since";
/// Time between evaluations (upstream `DefaultCleanerSyncInterval`).
pub const DEFAULT_SYNC_INTERVAL: Duration = Duration::from_secs(24 * 60 * 60);

/// Options the cleaner refuses (upstream `NewLegacySATokenCleaner`'s checks).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LegacyTokenCleanerError {
    /// The clean-up period is not positive.
    #[error("invalid CleanUpPeriod: {0}")]
    CleanUpPeriod(String),
    /// The sync interval is not positive.
    #[error("invalid SyncInterval: {0}")]
    SyncInterval(String),
}

/// Configuration of the cleaner (upstream `LegacySATokenCleanerOptions`).
///
/// ```
/// use std::time::Duration;
/// use kube_sa::controllers::LegacyTokenCleanerOptions;
/// let options = LegacyTokenCleanerOptions::new(Duration::from_secs(365 * 24 * 3600))?;
/// assert_eq!(options.sync_interval(), Duration::from_secs(24 * 3600));
/// assert_eq!(
///     LegacyTokenCleanerOptions::new(Duration::ZERO).unwrap_err().to_string(),
///     "invalid CleanUpPeriod: 0s"
/// );
/// # Ok::<(), kube_sa::controllers::LegacyTokenCleanerError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct LegacyTokenCleanerOptions {
    clean_up_period: Duration,
    sync_interval: Duration,
}

impl LegacyTokenCleanerOptions {
    /// `--legacy-service-account-token-clean-up-period`, and a daily sync.
    ///
    /// # Errors
    ///
    /// [`LegacyTokenCleanerError::CleanUpPeriod`] when `clean_up_period` is zero.
    pub fn new(clean_up_period: Duration) -> Result<Self, LegacyTokenCleanerError> {
        if clean_up_period.is_zero() {
            return Err(LegacyTokenCleanerError::CleanUpPeriod("0s".into()));
        }
        Ok(Self {
            clean_up_period,
            sync_interval: DEFAULT_SYNC_INTERVAL,
        })
    }

    /// Time between evaluations.
    ///
    /// # Errors
    ///
    /// [`LegacyTokenCleanerError::SyncInterval`] when `sync_interval` is zero.
    pub fn with_sync_interval(
        mut self,
        sync_interval: Duration,
    ) -> Result<Self, LegacyTokenCleanerError> {
        if sync_interval.is_zero() {
            return Err(LegacyTokenCleanerError::SyncInterval("0s".into()));
        }
        self.sync_interval = sync_interval;
        Ok(self)
    }

    /// The clean-up period.
    pub fn clean_up_period(&self) -> Duration {
        self.clean_up_period
    }

    /// The time between evaluations.
    pub fn sync_interval(&self) -> Duration {
        self.sync_interval
    }
}

/// What one evaluation did to one Secret (for logs and tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Labelled `kubernetes.io/legacy-token-invalid-since` (or tried to: a failed patch is
    /// only logged).
    Invalidated,
    /// Deleted (or tried to: Conflict and NotFound are ignored, other errors logged).
    Deleted,
}

/// The cleaner. Run it with [`run`](Self::run), or call [`evaluate`](Self::evaluate).
pub struct LegacyTokenCleaner<A> {
    api: A,
    clock: Arc<dyn Clock>,
    options: LegacyTokenCleanerOptions,
    service_accounts: Store<ServiceAccount>,
    secrets: Store<Secret>,
}

impl<A> std::fmt::Debug for LegacyTokenCleaner<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LegacyTokenCleaner")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// Go's `time.Parse("2006-01-02", value)`: exactly four, two and two digits, a real date.
pub fn parse_date(value: &str) -> Option<Date> {
    let bytes = value.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes[range.clone()]
            .iter()
            .all(u8::is_ascii_digit)
            .then(|| value[range].parse::<i16>().ok())
            .flatten()
    };
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let year = digits(0..4)?;
    let month = i8::try_from(digits(5..7)?).ok()?;
    let day = i8::try_from(digits(8..10)?).ok()?;
    Date::new(year, month, day).ok()
}

/// A UTC date as the labels and the tracking ConfigMap spell it.
pub fn format_date(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d").to_string()
}

fn label<'a>(secret: &'a Secret, key: &str) -> Option<&'a str> {
    secret
        .metadata
        .labels
        .as_ref()
        .and_then(|labels| labels.get(key))
        .map(String::as_str)
}

fn annotation<'a>(secret: &'a Secret, key: &str) -> &'a str {
    secret
        .metadata
        .annotations
        .as_ref()
        .and_then(|annotations| annotations.get(key))
        .map(String::as_str)
        .unwrap_or_default()
}

/// Every Secret name a pod spec refers to (upstream `podutil.VisitPodSecretNames`): pull
/// secrets, env and envFrom of every container kind, and every volume kind with a Secret.
pub fn pod_secret_names(spec: &PodSpec) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for reference in spec.image_pull_secrets.iter().flatten() {
        names.push(reference.name.as_str());
    }
    let containers = spec
        .init_containers
        .iter()
        .flatten()
        .chain(&spec.containers)
        .map(|c| (c.env.as_ref(), c.env_from.as_ref()));
    let ephemeral = spec
        .ephemeral_containers
        .iter()
        .flatten()
        .map(|c| (c.env.as_ref(), c.env_from.as_ref()));
    for (env, env_from) in containers.chain(ephemeral) {
        for source in env_from.into_iter().flatten() {
            if let Some(secret) = &source.secret_ref {
                names.push(secret.name.as_str());
            }
        }
        for var in env.into_iter().flatten() {
            let selector = var
                .value_from
                .as_ref()
                .and_then(|v| v.secret_key_ref.as_ref());
            if let Some(selector) = selector {
                names.push(selector.name.as_str());
            }
        }
    }
    for volume in spec.volumes.iter().flatten() {
        volume_secret_names(volume, &mut names);
    }
    names
}

fn volume_secret_names<'a>(volume: &'a Volume, names: &mut Vec<&'a str>) {
    let local = |reference: Option<&'a k8s_openapi::api::core::v1::LocalObjectReference>| {
        reference.map(|r| r.name.as_str())
    };
    let found = [
        volume
            .secret
            .as_ref()
            .and_then(|s| s.secret_name.as_deref()),
        volume.azure_file.as_ref().map(|s| s.secret_name.as_str()),
        volume
            .cephfs
            .as_ref()
            .and_then(|s| local(s.secret_ref.as_ref())),
        volume
            .cinder
            .as_ref()
            .and_then(|s| local(s.secret_ref.as_ref())),
        volume
            .flex_volume
            .as_ref()
            .and_then(|s| local(s.secret_ref.as_ref())),
        volume
            .rbd
            .as_ref()
            .and_then(|s| local(s.secret_ref.as_ref())),
        volume
            .iscsi
            .as_ref()
            .and_then(|s| local(s.secret_ref.as_ref())),
        volume
            .storageos
            .as_ref()
            .and_then(|s| local(s.secret_ref.as_ref())),
        volume.scale_io.as_ref().map(|s| s.secret_ref.name.as_str()),
        volume
            .csi
            .as_ref()
            .and_then(|s| local(s.node_publish_secret_ref.as_ref())),
    ];
    names.extend(found.into_iter().flatten());
    if let Some(projected) = &volume.projected {
        for source in projected.sources.iter().flatten() {
            if let Some(secret) = &source.secret {
                names.push(secret.name.as_str());
            }
        }
    }
}

fn pod_references(pod: &Pod, secret_name: &str) -> bool {
    pod.spec
        .as_ref()
        .is_some_and(|spec| pod_secret_names(spec).contains(&secret_name))
}

impl<A: CoreApi> LegacyTokenCleaner<A> {
    /// A cleaner writing through `api`, on `clock`, reading the ServiceAccount and
    /// token-Secret caches.
    pub fn new(
        api: A,
        clock: Arc<dyn Clock>,
        options: LegacyTokenCleanerOptions,
        service_accounts: Store<ServiceAccount>,
        secrets: Store<Secret>,
    ) -> Self {
        Self {
            api,
            clock,
            options,
            service_accounts,
            secrets,
        }
    }

    /// Evaluates now, then again each time the clock has moved a sync interval past the
    /// end of the previous evaluation (upstream `wait.Until`), until dropped.
    ///
    /// ```no_run
    /// # async fn example(client: kube::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use std::sync::Arc;
    /// use kube::runtime::reflector;
    /// use kube_sa::clock::SystemClock;
    /// use kube_sa::controllers::{KubeApi, LegacyTokenCleaner, LegacyTokenCleanerOptions};
    ///
    /// // The writers are fed by watches (see `controllers::run`).
    /// let (accounts, _accounts_writer) = reflector::store();
    /// let (secrets, _secrets_writer) = reflector::store();
    /// let options = LegacyTokenCleanerOptions::new(std::time::Duration::from_secs(365 * 86_400))?;
    /// let cleaner = LegacyTokenCleaner::new(KubeApi::new(client), Arc::new(SystemClock), options, accounts, secrets);
    /// tokio::spawn(async move { cleaner.run().await });
    /// # Ok(()) }
    /// ```
    pub async fn run(&self) {
        let interval =
            SignedDuration::try_from(self.options.sync_interval).unwrap_or(SignedDuration::MAX);
        loop {
            let span = info_span!("legacy_token_cleaner");
            self.evaluate().instrument(span).await;
            let next = self
                .clock
                .now()
                .checked_add(interval)
                .unwrap_or(Timestamp::MAX);
            self.clock.sleep_until(next).await;
        }
    }

    /// When tracking started: 00:00 UTC the day after the tracking ConfigMap's `since`.
    async fn tracked_since(&self) -> Option<Timestamp> {
        let config_map = match self
            .api
            .get_config_map(TRACKING_CONFIG_MAP_NAMESPACE, TRACKING_CONFIG_MAP_NAME)
            .await
        {
            Ok(config_map) => config_map,
            Err(error) => {
                warn!(%error, "cannot read the legacy token tracking configmap");
                return None;
            }
        };
        let Some(since) = config_map
            .data
            .as_ref()
            .and_then(|data| data.get(TRACKING_SINCE_KEY))
        else {
            warn!("the legacy token tracking configmap has no {TRACKING_SINCE_KEY:?}");
            return None;
        };
        let Some(date) = parse_date(since) else {
            warn!(
                since,
                "the legacy token tracking configmap's date does not parse"
            );
            return None;
        };
        let next_day = date.tomorrow().ok()?;
        next_day
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|zoned| zoned.timestamp())
    }

    /// One evaluation of every cached token Secret (modern spec §8.3, steps in order);
    /// returns what it did to which Secret (`namespace/name`).
    pub async fn evaluate(&self) -> Vec<(String, Verdict)> {
        let mut verdicts = Vec::new();
        let now = self.clock.now();
        let period =
            SignedDuration::try_from(self.options.clean_up_period).unwrap_or(SignedDuration::MAX);
        let Some(tracked_since) = self.tracked_since().await else {
            return verdicts;
        };
        if tracked_since
            .checked_add(period)
            .is_ok_and(|start| now < start)
        {
            debug!("legacy tokens have not been tracked for the clean-up period yet");
            return verdicts;
        }
        let created_cut = now.checked_sub(period).unwrap_or(Timestamp::MIN);
        let used_cut = format_date(created_cut);
        let today = format_date(now);
        let mut pods_by_namespace: HashMap<String, Option<Vec<Pod>>> = HashMap::new();

        let mut secrets = self.secrets.state();
        // A stable order, so that logs and tests read the same each run.
        secrets.sort_by(|a, b| {
            (&a.metadata.namespace, &a.metadata.name)
                .cmp(&(&b.metadata.namespace, &b.metadata.name))
        });
        for secret in secrets {
            let namespace = secret.metadata.namespace.clone().unwrap_or_default();
            let name = secret.metadata.name.clone().unwrap_or_default();
            if secret.type_.as_deref() != Some(SERVICE_ACCOUNT_TOKEN_TYPE) {
                continue;
            }
            let created = secret
                .metadata
                .creation_timestamp
                .as_ref()
                .map_or(Timestamp::MIN, |time| time.0);
            if created >= created_cut {
                continue;
            }
            if secret.metadata.deletion_timestamp.is_some() {
                continue;
            }
            // No label: unused since tracking began.
            if let Some(last_used) = label(&secret, LAST_USED_LABEL) {
                if parse_date(last_used).is_none() {
                    warn!("secret {namespace}/{name} has an unparseable {LAST_USED_LABEL} label");
                    continue;
                }
                if last_used >= used_cut.as_str() {
                    continue;
                }
            }
            let Some(account) = self.service_account_of(&secret) else {
                continue;
            };
            // Only a Secret the account lists is auto-generated; manual ones are never touched.
            let listed = account
                .secrets
                .iter()
                .flatten()
                .any(|reference| reference.name.as_deref() == Some(name.as_str()));
            if !listed {
                continue;
            }
            let pods = match pods_by_namespace.get(&namespace) {
                Some(pods) => pods.clone(),
                None => {
                    let pods = match self.api.list_pods(&namespace).await {
                        Ok(pods) => Some(pods),
                        Err(error) => {
                            error!(%error, "cannot list the pods of namespace {namespace}");
                            None
                        }
                    };
                    pods_by_namespace.insert(namespace.clone(), pods.clone());
                    pods
                }
            };
            let Some(pods) = pods else {
                continue;
            };
            if pods.iter().any(|pod| pod_references(pod, &name)) {
                continue;
            }

            let invalid_since = match label(&secret, INVALID_SINCE_LABEL) {
                Some(date) if parse_date(date).is_some() => date.to_string(),
                _ => {
                    info!(
                        secret = %format!("{namespace}/{name}"),
                        "Mark the auto-generated service account token as invalid"
                    );
                    let patch = serde_json::json!({
                        "kind": "Secret",
                        "apiVersion": "v1",
                        "metadata": {
                            "name": name,
                            "namespace": namespace,
                            "uid": secret.metadata.uid.clone().unwrap_or_default(),
                            "labels": BTreeMap::from([(INVALID_SINCE_LABEL, today.as_str())]),
                        },
                    });
                    verdicts.push((format!("{namespace}/{name}"), Verdict::Invalidated));
                    if let Err(error) = self.api.merge_patch_secret(&namespace, &name, &patch).await
                    {
                        error!(%error, "cannot label secret {namespace}/{name} invalid");
                        continue;
                    }
                    today.clone()
                }
            };
            if invalid_since >= used_cut {
                continue;
            }
            info!(secret = %format!("{namespace}/{name}"), "Deleting legacy service account token");
            verdicts.push((format!("{namespace}/{name}"), Verdict::Deleted));
            let preconditions = Preconditions {
                uid: None,
                resource_version: secret.metadata.resource_version.clone(),
            };
            match self
                .api
                .delete_secret(&namespace, &name, Some(preconditions))
                .await
            {
                Ok(()) => {}
                Err(error) if error.is_conflict() || error.is_not_found() => {
                    debug!(%error, "secret {namespace}/{name} changed or went meanwhile");
                }
                Err(error) => error!(%error, "cannot delete secret {namespace}/{name}"),
            }
        }
        verdicts
    }

    /// The cached account the Secret names, if it has the UID the Secret names (any UID
    /// when the Secret names none).
    fn service_account_of(&self, secret: &Secret) -> Option<Arc<ServiceAccount>> {
        let name = annotation(secret, SERVICE_ACCOUNT_NAME_ANNOTATION);
        if name.is_empty() {
            return None;
        }
        let namespace = secret.metadata.namespace.as_deref().unwrap_or_default();
        let account = self
            .service_accounts
            .get(&ObjectRef::new(name).within(namespace))?;
        let uid = annotation(secret, SERVICE_ACCOUNT_UID_ANNOTATION);
        (uid.is_empty() || account.metadata.uid.as_deref() == Some(uid)).then_some(account)
    }
}

#[cfg(test)]
mod tests;
