//! The chaos workload of issue 13, shared by `tests/embedded_cluster/chaos.rs` and the
//! conformance harness's chaos steps (both include this file with `#[path]`).
//!
//! Service accounts are created and deleted in waves across many namespaces while the
//! embedded API server fails a share of every write (500, 409, 429 and 504 mixed) and drops
//! watches; then the controllers' end state is checked. The workload's own writes meet the
//! faults too and are retried here, as any client retries; the controllers must recover
//! through their work queues alone.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use futures::{StreamExt as _, TryStreamExt as _};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret, ServiceAccount};
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use kube_sa::apiserver::faults::{FaultConfig, FaultRule};
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

/// The environment variable that fixes the seed of a run (printed by every run).
pub const SEED_VAR: &str = "KUBE_SA_CHAOS_SEED";

/// The share of writes that fail, spread evenly over [`CODES`].
pub const WRITE_FAILURE_RATE: f64 = 0.10;

/// The codes the failed writes get.
pub const CODES: [u16; 4] = [500, 409, 429, 504];

/// The chance that a watch ends after any one event it sends.
pub const WATCH_DROP_RATE: f64 = 0.02;

/// The verbs that write, as RBAC spells them.
const WRITE_VERBS: [&str; 5] = ["create", "update", "patch", "delete", "deletecollection"];

/// Requests in flight at once from the workload.
const CONCURRENCY: usize = 8;

/// Attempts of one workload write before the run is abandoned (each fails with chance 10 %).
const ATTEMPTS: u32 = 30;

/// The share of the live accounts deleted after each wave.
const DELETE_SHARE: f64 = 0.3;

/// The secret type of legacy API tokens.
const TOKEN_TYPE: &str = "kubernetes.io/service-account-token";
const NAME_ANNOTATION: &str = "kubernetes.io/service-account.name";
const UID_ANNOTATION: &str = "kubernetes.io/service-account.uid";

/// The workload's client for `config`, without kube's own retries: the workload sends an
/// injected failure again itself at once, where kube's client would first honour a 429's
/// `Retry-After: 1` and hold a whole wave for a second. The controllers' clients keep
/// theirs.
pub fn workload_client(mut config: kube::Config) -> Result<kube::Client, String> {
    config.default_retry = false;
    kube::Client::try_from(config).map_err(|e| format!("building the workload's client: {e}"))
}

/// The seed of this run: `KUBE_SA_CHAOS_SEED` when set, else a fresh random one.
pub fn seed() -> u64 {
    match std::env::var(SEED_VAR) {
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{SEED_VAR}={text:?} is not a u64")),
        Err(_) => rand::random(),
    }
}

/// Rules that fail `rate` (0 to 1) of the writes of every resource, each code of [`CODES`]
/// as often as the others.
pub fn write_faults(rate: f64) -> Vec<FaultRule> {
    // Rules are tried in order and the first that picks a request decides, so rule i picks
    // with `share / (1 - i * share)` to give each code the same share of all writes.
    let share = rate / CODES.len() as f64;
    CODES
        .iter()
        .enumerate()
        .map(|(i, &code)| FaultRule {
            verbs: WRITE_VERBS.iter().map(|v| v.to_string()).collect(),
            resources: Vec::new(),
            namespaces: Vec::new(),
            rate: share / (1.0 - i as f64 * share),
            code: Some(code),
            latency: None,
        })
        .collect()
}

/// The faults of a chaos run: [`WRITE_FAILURE_RATE`] of the writes fail
/// ([`write_faults`]) and watches drop at [`WATCH_DROP_RATE`].
pub fn fault_config(seed: u64) -> FaultConfig {
    FaultConfig {
        rules: write_faults(WRITE_FAILURE_RATE),
        watch_drop_rate: Some(WATCH_DROP_RATE),
        watch_drop_after_events: None,
        seed: Some(seed),
    }
}

/// The size of a run.
#[derive(Debug, Clone)]
pub struct Workload {
    /// Service accounts created in all (each one once).
    pub accounts: usize,
    /// Namespaces they are spread over, round robin.
    pub namespaces: usize,
    /// Waves of creations, each followed by deletions.
    pub waves: usize,
    /// Namespaces are `{prefix}-{index}`.
    pub prefix: String,
    /// Decides which accounts are deleted (the faults take the same seed).
    pub seed: u64,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Accounts created.
    pub created: usize,
    /// Accounts deleted.
    pub deleted: usize,
    /// Workload writes that met a fault and were sent again.
    pub retries: usize,
}

impl Workload {
    /// The namespaces of the run.
    pub fn namespace_names(&self) -> Vec<String> {
        (0..self.namespaces)
            .map(|i| format!("{}-{i}", self.prefix))
            .collect()
    }

    /// Creates the namespaces, then each wave's accounts, then deletes a share of the live
    /// ones, without waiting for the controllers in between.
    pub async fn run(&self, client: &kube::Client) -> Result<Summary, String> {
        let mut rng = StdRng::seed_from_u64(self.seed);
        let names = self.namespace_names();
        let mut summary = Summary::default();
        let namespaces: Api<Namespace> = Api::all(client.clone());
        summary.retries += for_each(names.clone(), |name| {
            let namespaces = namespaces.clone();
            async move {
                let mut object = Namespace::default();
                object.metadata.name = Some(name.clone());
                let params = PostParams::default();
                create(&format!("namespace {name}"), || {
                    namespaces.create(&params, &object)
                })
                .await
            }
        })
        .await?;

        let mut live: Vec<(String, String)> = Vec::new();
        let per_wave = self.accounts.div_ceil(self.waves.max(1));
        for wave in 0..self.waves.max(1) {
            let start = wave * per_wave;
            let end = ((wave + 1) * per_wave).min(self.accounts);
            let batch: Vec<(String, String)> = (start..end)
                .map(|i| (names[i % names.len()].clone(), format!("robot-{i}")))
                .collect();
            summary.retries += for_each(batch.clone(), |(ns, name)| {
                let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), &ns);
                async move {
                    let mut object = ServiceAccount::default();
                    object.metadata.name = Some(name.clone());
                    let params = PostParams::default();
                    create(&format!("service account {ns}/{name}"), || {
                        accounts.create(&params, &object)
                    })
                    .await
                }
            })
            .await?;
            summary.created += batch.len();
            live.extend(batch);

            let (doomed, kept): (Vec<_>, Vec<_>) = live
                .into_iter()
                .partition(|_| rng.random_bool(DELETE_SHARE));
            live = kept;
            summary.retries += for_each(doomed.clone(), |(ns, name)| {
                let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), &ns);
                async move {
                    let params = DeleteParams::default();
                    delete(&format!("service account {ns}/{name}"), || {
                        accounts.delete(&name, &params)
                    })
                    .await
                }
            })
            .await?;
            summary.deleted += doomed.len();
        }
        Ok(summary)
    }
}

/// Runs `write` for every item, [`CONCURRENCY`] at a time; the sum of their retries.
async fn for_each<T, F, Fut>(items: Vec<T>, write: F) -> Result<usize, String>
where
    F: Fn(T) -> Fut,
    Fut: Future<Output = Result<usize, String>>,
{
    futures::stream::iter(items.into_iter().map(write))
        .buffer_unordered(CONCURRENCY)
        .try_fold(0, |sum, retries| async move { Ok(sum + retries) })
        .await
}

/// Whether `error` is one the fault injection sends (an injected 409 is a `Conflict`, never
/// `AlreadyExists`), so that the write is to be sent again.
fn injected(error: &kube::Error) -> bool {
    match error {
        kube::Error::Api(status) => match status.code {
            409 => status.reason == "Conflict",
            code => CODES.contains(&code),
        },
        _ => false,
    }
}

/// Sends a create until it succeeds or the object exists; the retries it took.
async fn create<T, F, Fut>(what: &str, mut send: F) -> Result<usize, String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, kube::Error>>,
{
    retried(
        what,
        &mut send,
        |e| matches!(e, kube::Error::Api(s) if s.reason == "AlreadyExists"),
    )
    .await
}

/// Sends a delete until it succeeds or the object is gone; the retries it took.
async fn delete<T, F, Fut>(what: &str, mut send: F) -> Result<usize, String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, kube::Error>>,
{
    retried(
        what,
        &mut send,
        |e| matches!(e, kube::Error::Api(s) if s.code == 404),
    )
    .await
}

async fn retried<T, F, Fut>(
    what: &str,
    send: &mut F,
    done: impl Fn(&kube::Error) -> bool,
) -> Result<usize, String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, kube::Error>>,
{
    for attempt in 0..ATTEMPTS {
        match send().await {
            Ok(_) => return Ok(attempt as usize),
            Err(error) if done(&error) => return Ok(attempt as usize),
            Err(error) if injected(&error) => continue,
            Err(error) => return Err(format!("{what}: {error}")),
        }
    }
    Err(format!("{what}: still failing after {ATTEMPTS} attempts"))
}

/// Everything the invariants read, in one pass of lists.
struct Snapshot {
    active: BTreeSet<String>,
    accounts: Vec<ServiceAccount>,
    secrets: Vec<Secret>,
    config_maps: Vec<ConfigMap>,
}

async fn snapshot(client: &kube::Client) -> Result<Snapshot, String> {
    let lp = ListParams::default();
    let namespaces = Api::<Namespace>::all(client.clone())
        .list(&lp)
        .await
        .map_err(|e| format!("listing namespaces: {e}"))?;
    let active = namespaces
        .items
        .into_iter()
        .filter(|ns| {
            ns.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Active")
                && ns.metadata.deletion_timestamp.is_none()
        })
        .filter_map(|ns| ns.metadata.name)
        .collect();
    let accounts = Api::<ServiceAccount>::all(client.clone())
        .list(&lp)
        .await
        .map_err(|e| format!("listing service accounts: {e}"))?
        .items;
    let secrets = Api::<Secret>::all(client.clone())
        .list(&lp)
        .await
        .map_err(|e| format!("listing secrets: {e}"))?
        .items;
    let config_maps = Api::<ConfigMap>::all(client.clone())
        .list(&lp)
        .await
        .map_err(|e| format!("listing config maps: {e}"))?
        .items;
    Ok(Snapshot {
        active,
        accounts,
        secrets,
        config_maps,
    })
}

fn key(namespace: &Option<String>, name: &Option<String>) -> (String, String) {
    (
        namespace.clone().unwrap_or_default(),
        name.clone().unwrap_or_default(),
    )
}

/// The legacy end state's violations (empty when it holds): every live account references
/// exactly one token Secret, which exists, is its own (name and UID annotations) and holds a
/// token, and no other token Secret is its; every token Secret belongs to a live account.
pub async fn legacy_violations(client: &kube::Client) -> Result<Vec<String>, String> {
    let snapshot = snapshot(client).await?;
    // (namespace, account name) → account UID.
    let live: BTreeMap<(String, String), String> = snapshot
        .accounts
        .iter()
        .map(|sa| {
            (
                key(&sa.metadata.namespace, &sa.metadata.name),
                sa.metadata.uid.clone().unwrap_or_default(),
            )
        })
        .collect();
    // (namespace, account name) → its token Secrets' names.
    let mut tokens: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let mut violations = Vec::new();
    for secret in &snapshot.secrets {
        if secret.type_.as_deref() != Some(TOKEN_TYPE) {
            continue;
        }
        let (namespace, name) = key(&secret.metadata.namespace, &secret.metadata.name);
        let annotations = secret.metadata.annotations.clone().unwrap_or_default();
        let account = annotations
            .get(NAME_ANNOTATION)
            .cloned()
            .unwrap_or_default();
        let uid = annotations.get(UID_ANNOTATION).cloned().unwrap_or_default();
        let owner = (namespace.clone(), account.clone());
        if live.get(&owner) != Some(&uid) {
            violations.push(format!(
                "token secret {namespace}/{name} is for {namespace}/{account} (uid {uid:?}), which is not a live account"
            ));
            continue;
        }
        let has_token = secret
            .data
            .as_ref()
            .and_then(|d| d.get("token"))
            .is_some_and(|t| !t.0.is_empty());
        if !has_token {
            violations.push(format!("token secret {namespace}/{name} holds no token"));
        }
        tokens.entry(owner).or_default().insert(name);
    }
    for sa in &snapshot.accounts {
        let owner = key(&sa.metadata.namespace, &sa.metadata.name);
        let (namespace, name) = &owner;
        let referenced: Vec<&str> = sa
            .secrets
            .iter()
            .flatten()
            .filter_map(|r| r.name.as_deref())
            .collect();
        let own = tokens.remove(&owner).unwrap_or_default();
        let own_referenced = referenced.iter().filter(|r| own.contains(**r)).count();
        if referenced.len() != 1 || own_referenced != 1 || own.len() != 1 {
            violations.push(format!(
                "service account {namespace}/{name} references {referenced:?}; its token secrets are {own:?}"
            ));
        }
    }
    Ok(violations)
}

/// The bound end state's violations (empty when it holds): every active namespace has the
/// `default` account and the `kube-root-ca.crt` ConfigMap with a `ca.crt`, no account
/// references a Secret, and there is no token Secret at all.
pub async fn bound_violations(client: &kube::Client) -> Result<Vec<String>, String> {
    let snapshot = snapshot(client).await?;
    let defaults: BTreeSet<&str> = snapshot
        .accounts
        .iter()
        .filter(|sa| sa.metadata.name.as_deref() == Some("default"))
        .filter_map(|sa| sa.metadata.namespace.as_deref())
        .collect();
    let published: BTreeSet<&str> = snapshot
        .config_maps
        .iter()
        .filter(|cm| cm.metadata.name.as_deref() == Some("kube-root-ca.crt"))
        .filter(|cm| {
            cm.data
                .as_ref()
                .and_then(|d| d.get("ca.crt"))
                .is_some_and(|ca| !ca.is_empty())
        })
        .filter_map(|cm| cm.metadata.namespace.as_deref())
        .collect();
    let mut violations = Vec::new();
    for ns in &snapshot.active {
        if !defaults.contains(ns.as_str()) {
            violations.push(format!("active namespace {ns} has no default account"));
        }
        if !published.contains(ns.as_str()) {
            violations.push(format!("active namespace {ns} has no kube-root-ca.crt"));
        }
    }
    for sa in &snapshot.accounts {
        if sa.secrets.as_ref().is_some_and(|s| !s.is_empty()) {
            let (namespace, name) = key(&sa.metadata.namespace, &sa.metadata.name);
            violations.push(format!(
                "service account {namespace}/{name} references secrets"
            ));
        }
    }
    for secret in &snapshot.secrets {
        if secret.type_.as_deref() == Some(TOKEN_TYPE) {
            let (namespace, name) = key(&secret.metadata.namespace, &secret.metadata.name);
            violations.push(format!("token secret {namespace}/{name} was generated"));
        }
    }
    Ok(violations)
}
