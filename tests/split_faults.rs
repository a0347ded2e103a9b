//! Faults only the production topology has, on the `split` backend's containers
//! (`harness/backends/split.rs`): the leading controller-manager killed (SIGKILL) or stopped
//! (SIGTERM) hands the Lease over in time and no account ends with two tokens; one webhook
//! replica stopped, pods are still admitted; both stopped, pod creation fails with
//! upstream's text under `failurePolicy: Fail` and pods are admitted unmutated under
//! `Ignore`; the API server paused for 20 s, both components recover without restarts; a
//! rolling restart of each Deployment's containers loses no event; an interrupt removes
//! every container and the network.
//!
//! `cargo test --test split_faults` (KUBE_SA_CONTAINER_IMAGE picks another image than
//! `kube-sa:dev`; `ci/image/build.sh` builds it, labelled with the sources' digest, and a
//! `kube-sa:dev` of other sources counts as missing). Without a Docker engine or the image the
//! Docker checks are skipped with the reason printed (with KUBE_SA_REQUIRE_DOCKER set, as CI
//! sets it, a skip fails the run); the others still run. Measured
//! hand-over times are printed.

// The harness modules are compiled in as the runner compiles them; this file uses a part.
#![allow(dead_code)]

#[path = "../harness/backends/mod.rs"]
mod backends;
#[path = "../harness/cli.rs"]
mod cli;
#[path = "../harness/failure.rs"]
mod failure;
#[path = "../harness/matching.rs"]
mod matching;
#[path = "../harness/modes.rs"]
mod modes;
#[path = "../harness/timing.rs"]
mod timing;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::admissionregistration::v1::MutatingWebhookConfiguration;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod, Secret, ServiceAccount};
use kube::api::{Api, ListParams, PostParams};

use backends::docker;
use backends::split::{self, deploy, Component, Topology};

/// SIGKILL of the leader: the Lease changes hands within the lease duration (15 s) and a
/// retry period (2 s).
const KILL_HANDOVER_LIMIT: Duration = Duration::from_secs(17);
/// SIGTERM of the leader: it releases the Lease, and the follower takes it (issue 12: 2 s).
const TERM_HANDOVER_LIMIT: Duration = Duration::from_secs(2);
/// How long the API server stays paused.
const PAUSE: Duration = Duration::from_secs(20);
/// Seconds (before scaling) the controllers and webhooks may take to catch up after a fault.
const RECOVER_SECONDS: f64 = 60.0;
/// No check may take longer than this, whatever happens to Docker.
const CHECK_LIMIT: Duration = Duration::from_secs(300);
/// How often conditions are polled.
const POLL: Duration = Duration::from_millis(100);
/// Time the API server's in-process informer gets to see an EndpointSlice change before a
/// replica goes away (a pod's preStop pause does the same); nothing outside the server shows
/// when it has.
const SLICE_SETTLE: Duration = Duration::from_secs(1);

type Check = for<'a> fn(&'a Topology) -> Pin<Box<dyn Future<Output = Result<(), String>> + 'a>>;

fn ensure(condition: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if condition {
        Ok(())
    } else {
        Err(message())
    }
}

fn f(failure: failure::Failure) -> String {
    failure.to_string()
}

fn recover_deadline() -> Duration {
    timing::scaled(RECOVER_SECONDS)
}

/// Polls `check` until it answers `Some` or `deadline` passes; the last complaint then.
async fn poll<T, Fut>(
    what: &str,
    deadline: Duration,
    mut check: impl FnMut() -> Fut,
) -> Result<T, String>
where
    Fut: Future<Output = Result<Option<T>, String>>,
{
    let started = Instant::now();
    let mut last = String::from("not checked yet");
    loop {
        match check().await {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => {}
            Err(why) => last = why,
        }
        if started.elapsed() >= deadline {
            return Err(format!(
                "still not true after {:.1} s: {what} (last: {last})",
                deadline.as_secs_f64()
            ));
        }
        tokio::time::sleep(POLL).await;
    }
}

fn object<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, String> {
    serde_json::from_value(value).map_err(|e| e.to_string())
}

async fn create_namespace(client: &kube::Client, prefix: &str) -> Result<String, String> {
    let name = format!("{prefix}-{}", backends::random_suffix());
    Api::<Namespace>::all(client.clone())
        .create(
            &PostParams::default(),
            &object(serde_json::json!({"metadata": {"name": name}}))?,
        )
        .await
        .map_err(|e| format!("creating namespace {name}: {e}"))?;
    Ok(name)
}

async fn create_account(client: &kube::Client, namespace: &str, name: &str) -> Result<(), String> {
    Api::<ServiceAccount>::namespaced(client.clone(), namespace)
        .create(
            &PostParams::default(),
            &object(serde_json::json!({"metadata": {"name": name}}))?,
        )
        .await
        .map(drop)
        .map_err(|e| format!("creating service account {namespace}/{name}: {e}"))
}

/// Filled token Secrets per account in `namespace`.
async fn tokens_per_account(
    client: &kube::Client,
    namespace: &str,
) -> Result<BTreeMap<String, usize>, String> {
    let secrets = Api::<Secret>::namespaced(client.clone(), namespace)
        .list(&ListParams::default())
        .await
        .map_err(|e| format!("listing Secrets in {namespace}: {e}"))?;
    let mut counts = BTreeMap::new();
    for secret in secrets {
        let filled = secret
            .data
            .as_ref()
            .and_then(|data| data.get("token"))
            .is_some_and(|token| !token.0.is_empty());
        let account = secret
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get("kubernetes.io/service-account.name"));
        if let (true, Some("kubernetes.io/service-account-token"), Some(account)) =
            (filled, secret.type_.as_deref(), account)
        {
            *counts.entry(account.clone()).or_insert(0) += 1;
        }
    }
    Ok(counts)
}

/// Every account in `accounts` gets exactly one token within the deadline, and none gets
/// a second for a while after (a new leader's resync must not add one).
async fn each_account_has_one_token(
    client: &kube::Client,
    namespace: &str,
    accounts: &[String],
) -> Result<(), String> {
    let check = || async {
        let counts = tokens_per_account(client, namespace).await?;
        let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
        if !twice.is_empty() {
            return Err(format!("accounts with more than one token: {twice:?}"));
        }
        let missing: Vec<_> = accounts
            .iter()
            .filter(|a| !counts.contains_key(*a))
            .collect();
        Ok(missing.is_empty().then_some(()).ok_or(missing.len()))
    };
    poll(
        &format!("every one of {} accounts has its token", accounts.len()),
        recover_deadline(),
        || async {
            match check().await? {
                Ok(()) => Ok(Some(())),
                Err(missing) => Err(format!("{missing} account(s) without a token")),
            }
        },
    )
    .await?;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(3) {
        check()
            .await?
            .map_err(|missing| format!("{missing} account(s) lost their token"))?;
        tokio::time::sleep(POLL * 5).await;
    }
    Ok(())
}

/// Every namespace in `namespaces` gets its `kube-root-ca.crt` within the deadline.
async fn each_namespace_has_root_ca(
    client: &kube::Client,
    namespaces: &[String],
) -> Result<(), String> {
    for namespace in namespaces {
        let maps = Api::<ConfigMap>::namespaced(client.clone(), namespace);
        poll(
            &format!("kube-root-ca.crt in {namespace}"),
            recover_deadline(),
            || async {
                Ok(maps
                    .get_opt("kube-root-ca.crt")
                    .await
                    .map_err(|e| e.to_string())?
                    .map(drop))
            },
        )
        .await?;
    }
    Ok(())
}

/// A pod created in `namespace` (for real): the admitted object, or the API's error.
async fn create_pod(client: &kube::Client, namespace: &str) -> Result<Pod, kube::Error> {
    let name = format!("pod-{}", backends::random_suffix());
    Api::<Pod>::namespaced(client.clone(), namespace)
        .create(&PostParams::default(), &split::probe_pod(&name))
        .await
}

/// A namespace whose pods the webhook admits (its `default` account, and in legacy mode
/// that account's token, exist).
async fn admitting_namespace(topology: &Topology, prefix: &str) -> Result<String, String> {
    let namespace = create_namespace(&topology.client, prefix).await?;
    poll(
        &format!("a pod admitted in {namespace}"),
        recover_deadline(),
        || async {
            match create_pod(&topology.client, &namespace).await {
                Ok(pod) if split::has_token_volume(&pod) => Ok(Some(())),
                Ok(_) => Err("a pod was admitted without a token volume".to_string()),
                Err(e) => Err(e.to_string()),
            }
        },
    )
    .await?;
    Ok(namespace)
}

/// Waits until the Lease is held by a controller-manager other than `former`: which, and
/// how long after `since`.
async fn new_leader(
    topology: &Topology,
    former: usize,
    since: Instant,
) -> Result<(usize, Duration), String> {
    poll(
        "another controller-manager holds the Lease",
        recover_deadline(),
        || async {
            match topology.leader().await {
                Ok((index, _)) if index != former => Ok(Some((index, since.elapsed()))),
                Ok(_) => Ok(None),
                Err(failure) => Err(f(failure)),
            }
        },
    )
    .await
}

/// The leader-election Lease's spec.
async fn lease_spec(
    topology: &Topology,
) -> Result<k8s_openapi::api::coordination::v1::LeaseSpec, String> {
    Api::<k8s_openapi::api::coordination::v1::Lease>::namespaced(
        topology.client.clone(),
        kube_sa::leader_election::DEFAULT_RESOURCE_NAMESPACE,
    )
    .get(kube_sa::leader_election::DEFAULT_RESOURCE_NAME)
    .await
    .map_err(|e| format!("reading the Lease: {e}"))?
    .spec
    .ok_or_else(|| "the Lease has no spec".to_string())
}

/// Starts a stopped or killed replica again and waits until the whole topology is ready.
async fn bring_back(topology: &Topology, component: &Component) -> Result<(), String> {
    component
        .container
        .restart(timing::scaled(RECOVER_SECONDS))
        .await
        .map_err(f)?;
    topology.wait_ready(recover_deadline()).await.map_err(f)
}

/// `leader_election_master_status` of a controller-manager's /metrics.
async fn master_status(component: &Component) -> Result<String, String> {
    let metrics = component.metrics().await.map_err(f)?;
    metrics
        .lines()
        .find(|line| line.starts_with("leader_election_master_status{"))
        .and_then(|line| line.rsplit(' ').next())
        .map(str::to_string)
        .ok_or_else(|| "no leader_election_master_status in /metrics".to_string())
}

// ── the checks ──

fn one_leader_holds_the_lease(
    topology: &Topology,
) -> Pin<Box<dyn Future<Output = Result<(), String>> + '_>> {
    Box::pin(async move {
        let (leader, holder) = topology.leader().await.map_err(f)?;
        let statuses = poll(
            "master status 1 on the leader, 0 on the other",
            recover_deadline(),
            || async {
                let mut statuses = Vec::new();
                for manager in &topology.managers {
                    statuses.push(master_status(manager).await?);
                }
                let expected: Vec<&str> = (0..topology.managers.len())
                    .map(|i| if i == leader { "1" } else { "0" })
                    .collect();
                Ok((statuses == expected).then_some(statuses))
            },
        )
        .await?;
        println!("    the Lease is held by {holder}; leader_election_master_status {statuses:?}");
        Ok(())
    })
}

fn a_killed_leader_hands_over_and_no_account_gets_two_tokens(
    topology: &Topology,
) -> Pin<Box<dyn Future<Output = Result<(), String>> + '_>> {
    Box::pin(async move {
        let client = &topology.client;
        let namespace = create_namespace(client, "kill").await?;
        let (leader, _) = topology.leader().await.map_err(f)?;
        let mut accounts = Vec::new();
        for i in 0..5 {
            let name = format!("before-{i}");
            create_account(client, &namespace, &name).await?;
            accounts.push(name);
        }
        // The leader is killed between writes, not in the middle of one: SIGKILL between
        // creating a token Secret and adding it to the account leaves that Secret behind
        // unreferenced, as upstream's token controller does (create, then reference; no
        // one collects it). What is checked here is that two replicas never both write.
        each_account_has_one_token(client, &namespace, &accounts).await?;
        let killed = Instant::now();
        topology.managers[leader]
            .container
            .kill("SIGKILL")
            .await
            .map_err(f)?;
        // The dead leader's last renewal, in the API server's time.
        let last_renewal = lease_spec(topology).await?.renew_time;
        // Accounts made while nobody leads, until someone does.
        let creating = async {
            let mut made = Vec::new();
            let mut i = 0;
            loop {
                let name = format!("during-{i}");
                create_account(client, &namespace, &name).await?;
                made.push(name);
                i += 1;
                tokio::time::sleep(Duration::from_millis(500)).await;
                if matches!(topology.leader().await, Ok((index, _)) if index != leader) {
                    return Ok::<_, String>(made);
                }
            }
        };
        let (handover, made) = tokio::join!(new_leader(topology, leader, killed), creating);
        let (successor, took) = handover?;
        accounts.extend(made?);
        let acquired = lease_spec(topology).await?.acquire_time;
        let since_renewal = match (last_renewal, acquired) {
            (Some(renewed), Some(acquired)) => format!(
                "{:.1} s",
                (acquired.0 - renewed.0)
                    .total(jiff::Unit::Second)
                    .unwrap_or(f64::NAN)
            ),
            _ => "unknown".to_string(),
        };
        println!(
            "    SIGKILL of controller-manager #{}: #{} took the Lease after {:.1} s (limit {:.0} s), \
             {since_renewal} after the dead leader's last renewal (lease duration 15 s)",
            leader + 1,
            successor + 1,
            took.as_secs_f64(),
            KILL_HANDOVER_LIMIT.as_secs_f64()
        );
        ensure(took <= KILL_HANDOVER_LIMIT, || {
            format!("the hand-over took {took:?}, more than {KILL_HANDOVER_LIMIT:?}")
        })?;
        for i in 0..5 {
            let name = format!("after-{i}");
            create_account(client, &namespace, &name).await?;
            accounts.push(name);
        }
        each_account_has_one_token(client, &namespace, &accounts).await?;
        bring_back(topology, &topology.managers[leader]).await?;
        // Back with two replicas, still one token each.
        each_account_has_one_token(client, &namespace, &accounts).await
    })
}

fn a_terminated_leader_releases_the_lease_at_once(
    topology: &Topology,
) -> Pin<Box<dyn Future<Output = Result<(), String>> + '_>> {
    Box::pin(async move {
        let (leader, _) = topology.leader().await.map_err(f)?;
        let terminated = Instant::now();
        topology.managers[leader]
            .container
            .kill("SIGTERM")
            .await
            .map_err(f)?;
        let (successor, took) = new_leader(topology, leader, terminated).await?;
        println!(
            "    SIGTERM of controller-manager #{}: #{} took the Lease after {:.2} s (limit {:.1} s)",
            leader + 1,
            successor + 1,
            took.as_secs_f64(),
            TERM_HANDOVER_LIMIT.as_secs_f64()
        );
        ensure(took <= TERM_HANDOVER_LIMIT, || {
            format!("the hand-over took {took:?}, more than {TERM_HANDOVER_LIMIT:?}")
        })?;
        // SIGTERM ends the process; the container exits and is started again.
        poll(
            "the terminated controller-manager exits",
            recover_deadline(),
            || async {
                Ok(topology.managers[leader]
                    .container
                    .health()
                    .await
                    .is_err()
                    .then_some(()))
            },
        )
        .await?;
        bring_back(topology, &topology.managers[leader]).await
    })
}

fn webhook_replicas_down_admit_or_fail_by_policy(
    topology: &Topology,
) -> Pin<Box<dyn Future<Output = Result<(), String>> + '_>> {
    Box::pin(async move {
        let client = &topology.client;
        let namespace = admitting_namespace(topology, "webhooks").await?;

        // One replica down: its endpoint leaves the slice first, as a terminating pod's does.
        topology.mark_webhook_not_ready(0).await.map_err(f)?;
        tokio::time::sleep(SLICE_SETTLE).await;
        topology.webhooks[0].container.stop().await.map_err(f)?;
        topology.sync_webhook_endpoints().await.map_err(f)?;
        for _ in 0..5 {
            let pod = create_pod(client, &namespace)
                .await
                .map_err(|e| format!("with one webhook replica down, a pod was refused: {e}"))?;
            ensure(split::has_token_volume(&pod), || {
                "with one webhook replica down, a pod was admitted without its token".to_string()
            })?;
        }

        // Both down: failurePolicy Fail refuses pods with upstream's text.
        topology.webhooks[1].container.stop().await.map_err(f)?;
        let ready = topology.sync_webhook_endpoints().await.map_err(f)?;
        ensure(ready == 0, || format!("{ready} webhook(s) still ready"))?;
        let expected = format!(
            "Internal error occurred: failed calling webhook \"{}\": failed to call webhook: \
             Post \"https://{}.{}.svc:443/mutate?timeout=10s\": no endpoints available for service \"{}\"",
            deploy::WEBHOOK_NAME,
            deploy::WEBHOOK,
            deploy::NAMESPACE,
            deploy::WEBHOOK
        );
        let refusal = poll(
            "pod creation refused with no webhook endpoint",
            recover_deadline(),
            || async {
                match create_pod(client, &namespace).await {
                    Ok(_) => Ok(None),
                    Err(kube::Error::Api(status))
                        if status.message.contains("no endpoints available") =>
                    {
                        Ok(Some(status))
                    }
                    Err(e) => Err(e.to_string()),
                }
            },
        )
        .await?;
        println!(
            "    both webhooks down, failurePolicy Fail: {} {}",
            refusal.code, refusal.message
        );
        ensure(refusal.code == 500 && refusal.message == expected, || {
            format!(
                "the refusal was {} {:?}, expected 500 {expected:?}",
                refusal.code, refusal.message
            )
        })?;

        // failurePolicy Ignore: admitted, unmutated.
        let configurations = Api::<MutatingWebhookConfiguration>::all(client.clone());
        let set_policy = |policy: &'static str| {
            let configurations = configurations.clone();
            async move {
                let mut configuration = configurations
                    .get(deploy::WEBHOOK_CONFIGURATION)
                    .await
                    .map_err(|e| format!("reading the webhook configuration: {e}"))?;
                for webhook in configuration.webhooks.iter_mut().flatten() {
                    webhook.failure_policy = Some(policy.to_string());
                }
                configurations
                    .replace(
                        deploy::WEBHOOK_CONFIGURATION,
                        &PostParams::default(),
                        &configuration,
                    )
                    .await
                    .map(drop)
                    .map_err(|e| format!("setting failurePolicy {policy}: {e}"))
            }
        };
        set_policy("Ignore").await?;
        let admitted = poll(
            "a pod admitted under failurePolicy Ignore",
            recover_deadline(),
            || async {
                match create_pod(client, &namespace).await {
                    Ok(pod) => Ok(Some(pod)),
                    Err(e) => Err(e.to_string()),
                }
            },
        )
        .await?;
        ensure(!split::has_token_volume(&admitted), || {
            "under Ignore with no webhook, a pod still got a token volume".to_string()
        })?;
        set_policy("Fail").await?;
        for webhook in &topology.webhooks {
            webhook
                .container
                .restart(timing::scaled(RECOVER_SECONDS))
                .await
                .map_err(f)?;
        }
        topology.wait_ready(recover_deadline()).await.map_err(f)
    })
}

fn a_paused_api_server_is_ridden_out_without_restarts(
    topology: &Topology,
) -> Pin<Box<dyn Future<Output = Result<(), String>> + '_>> {
    Box::pin(async move {
        let components: Vec<&Component> =
            topology.managers.iter().chain(&topology.webhooks).collect();
        let mut before = Vec::new();
        for component in &components {
            before.push(component.container.restarts_and_pid().await.map_err(f)?);
        }
        topology.serve.container.pause().await.map_err(f)?;
        // The fault itself: the API server frozen for PAUSE.
        tokio::time::sleep(PAUSE).await;
        topology.serve.container.unpause().await.map_err(f)?;
        let recovered = Instant::now();
        topology.wait_ready(recover_deadline()).await.map_err(f)?;
        let client = &topology.client;
        match topology.mode {
            kube_sa::Mode::Legacy => {
                let namespace = create_namespace(client, "paused").await?;
                create_account(client, &namespace, "after-pause").await?;
                each_account_has_one_token(client, &namespace, &["after-pause".to_string()])
                    .await?;
            }
            kube_sa::Mode::Bound => {
                let namespace = create_namespace(client, "paused").await?;
                each_namespace_has_root_ca(client, &[namespace]).await?;
            }
        }
        admitting_namespace(topology, "paused-pods").await?;
        println!(
            "    after 20 s paused: working again {:.1} s after unpause",
            recovered.elapsed().as_secs_f64()
        );
        for (component, before) in components.iter().zip(before) {
            let after = component.container.restarts_and_pid().await.map_err(f)?;
            ensure(after == before, || {
                format!(
                    "{} was restarted: (restarts, pid) {before:?} before, {after:?} after",
                    component.deployment
                )
            })?;
        }
        Ok(())
    })
}

fn a_rolling_restart_loses_no_event(
    topology: &Topology,
) -> Pin<Box<dyn Future<Output = Result<(), String>> + '_>> {
    Box::pin(async move {
        let client = &topology.client;
        let namespace = create_namespace(client, "rolling").await?;
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        // Legacy: accounts that need tokens; bound: namespaces that need kube-root-ca.crt.
        let creating = {
            let done = done.clone();
            let namespace = namespace.clone();
            async move {
                let mut made = Vec::new();
                let mut i = 0;
                while !done.load(std::sync::atomic::Ordering::SeqCst) {
                    match topology.mode {
                        kube_sa::Mode::Legacy => {
                            let name = format!("rolling-{i}");
                            create_account(client, &namespace, &name).await?;
                            made.push(name);
                        }
                        kube_sa::Mode::Bound => {
                            made.push(create_namespace(client, "rolling").await?)
                        }
                    }
                    i += 1;
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Ok::<_, String>(made)
            }
        };
        let restarting = async {
            let result = async {
                for (index, manager) in topology.managers.iter().enumerate() {
                    manager.container.stop().await.map_err(f)?;
                    manager
                        .container
                        .restart(timing::scaled(RECOVER_SECONDS))
                        .await
                        .map_err(f)?;
                    poll(
                        &format!("controller-manager #{} ready", index + 1),
                        recover_deadline(),
                        || async { Ok(manager.is_ready().await.then_some(())) },
                    )
                    .await?;
                }
                for (index, webhook) in topology.webhooks.iter().enumerate() {
                    topology.mark_webhook_not_ready(index).await.map_err(f)?;
                    tokio::time::sleep(SLICE_SETTLE).await;
                    webhook.container.stop().await.map_err(f)?;
                    webhook
                        .container
                        .restart(timing::scaled(RECOVER_SECONDS))
                        .await
                        .map_err(f)?;
                    poll(
                        &format!("webhook #{} ready", index + 1),
                        recover_deadline(),
                        || async { Ok(webhook.is_ready().await.then_some(())) },
                    )
                    .await?;
                    topology.sync_webhook_endpoints().await.map_err(f)?;
                }
                Ok::<_, String>(())
            }
            .await;
            done.store(true, std::sync::atomic::Ordering::SeqCst);
            result
        };
        let started = Instant::now();
        let (made, restarted) = tokio::join!(creating, restarting);
        restarted?;
        let made = made?;
        println!(
            "    rolling restart of 4 containers took {:.1} s; {} {} created during it",
            started.elapsed().as_secs_f64(),
            made.len(),
            match topology.mode {
                kube_sa::Mode::Legacy => "accounts",
                kube_sa::Mode::Bound => "namespaces",
            }
        );
        ensure(!made.is_empty(), || {
            "nothing was created during the restart".to_string()
        })?;
        match topology.mode {
            kube_sa::Mode::Legacy => each_account_has_one_token(client, &namespace, &made).await?,
            kube_sa::Mode::Bound => each_namespace_has_root_ca(client, &made).await?,
        }
        topology.wait_ready(recover_deadline()).await.map_err(f)
    })
}

/// Why the checks cannot run here, if they cannot.
async fn docker_unavailable(image: &str) -> Option<String> {
    docker::require_image(image, |why| split::missing_image_message(image, why))
        .await
        .err()
        .map(|failure| failure.to_string())
}

/// Nothing of this run is left: no container, no network.
async fn assert_nothing_left(after: &str) -> Result<(), String> {
    let containers = docker::run_containers().await.map_err(f)?;
    let networks = docker::run_networks().await.map_err(f)?;
    ensure(containers.is_empty() && networks.is_empty(), || {
        format!("{after}, this run still has containers {containers:?} and networks {networks:?}")
    })
}

struct Tally {
    passed: usize,
    failed: usize,
}

impl Tally {
    async fn run(&mut self, name: &str, check: impl Future<Output = Result<(), String>>) -> bool {
        let started = Instant::now();
        let outcome = tokio::time::timeout(CHECK_LIMIT, check)
            .await
            .unwrap_or_else(|_| Err(format!("still running after {CHECK_LIMIT:?}")));
        let took = started.elapsed().as_secs_f64();
        match outcome {
            Ok(()) => {
                println!("  ok      {name} ({took:.1} s)");
                self.passed += 1;
                true
            }
            Err(why) => {
                println!("  FAILED  {name} ({took:.1} s)\n{why}");
                self.failed += 1;
                false
            }
        }
    }
}

async fn run(image: &str) -> ExitCode {
    let legacy: &[(&str, Check)] = &[
        ("one controller-manager holds the Lease, master status 1 and 0", one_leader_holds_the_lease),
        (
            "SIGKILL of the leader: the other takes the Lease in time, no account gets two tokens",
            a_killed_leader_hands_over_and_no_account_gets_two_tokens,
        ),
        (
            "SIGTERM of the leader: the Lease is handed over at once",
            a_terminated_leader_releases_the_lease_at_once,
        ),
        (
            "webhook replicas down: one, pods admitted; both, Fail refuses with upstream's text, Ignore admits unmutated",
            webhook_replicas_down_admit_or_fail_by_policy,
        ),
        (
            "the API server paused 20 s: both components recover without restarts",
            a_paused_api_server_is_ridden_out_without_restarts,
        ),
        (
            "a rolling restart of both Deployments loses no event (every account gets its token)",
            a_rolling_restart_loses_no_event,
        ),
    ];
    let bound: &[(&str, Check)] = &[(
        "a rolling restart of both Deployments loses no event (every namespace gets kube-root-ca.crt)",
        a_rolling_restart_loses_no_event,
    )];
    let mut tally = Tally {
        passed: 0,
        failed: 0,
    };
    let mut interrupt = match docker::Interrupt::listen() {
        Ok(interrupt) => interrupt,
        Err(failure) => {
            println!("split_faults: {failure}");
            return ExitCode::FAILURE;
        }
    };
    for (mode, checks) in [
        (kube_sa::Mode::Legacy, legacy),
        (kube_sa::Mode::Bound, bound),
    ] {
        let started = Instant::now();
        let topology = match Topology::start(image, mode).await {
            Ok(topology) => topology,
            Err(failure) => {
                println!("  FAILED  starting the split topology in {mode} mode\n{failure}");
                tally.failed += checks.len();
                continue;
            }
        };
        println!(
            "  the split topology in {mode} mode is ready after {:.1} s",
            started.elapsed().as_secs_f64()
        );
        for (name, check) in checks.iter() {
            if !tally
                .run(&format!("[{mode}] {name}"), check(&topology))
                .await
            {
                print!("{}", topology.logs().await);
                // The next checks run on a topology that works again; on a broken one they
                // would say nothing new.
                let restarts = topology
                    .managers
                    .iter()
                    .chain(&topology.webhooks)
                    .map(|c| async {
                        if c.container.health().await.is_err() {
                            let _ = c.container.restart(recover_deadline()).await;
                        }
                    });
                futures::future::join_all(restarts).await;
                if let Err(failure) = topology.wait_ready(recover_deadline()).await {
                    println!("  the topology does not recover; the remaining checks are not run: {failure}");
                    tally.failed += 1;
                    break;
                }
            }
        }
        if mode == kube_sa::Mode::Bound {
            // Last: what the runner does on Ctrl-C, with this topology still running.
            let ids: Vec<String> = topology
                .containers()
                .iter()
                .map(|c| c.id().to_string())
                .collect();
            tally
                .run(
                    "an interrupt removes every container and the network",
                    async {
                        let status = std::process::Command::new("kill")
                            .args(["-INT", &std::process::id().to_string()])
                            .status()
                            .map_err(|e| format!("running kill: {e}"))?;
                        ensure(status.success(), || format!("kill exited with {status}"))?;
                        let why = tokio::time::timeout(Duration::from_secs(10), interrupt.wait())
                            .await
                            .map_err(|_| "SIGINT was not noticed within 10 s".to_string())?;
                        ensure(why == "SIGINT", || format!("the interrupt was {why:?}"))?;
                        let mut removed = docker::remove_run_containers().await.map_err(f)?;
                        removed.sort();
                        let mut expected = ids.clone();
                        expected.sort();
                        ensure(removed == expected, || {
                            format!("removed {removed:?}, expected the topology's {expected:?}")
                        })?;
                        assert_nothing_left("after the interrupt").await
                    },
                )
                .await;
        }
        drop(topology);
    }
    if let Err(failure) = docker::remove_run_containers().await {
        println!("split_faults: {failure}");
        tally.failed += 1;
    }
    if let Err(why) = assert_nothing_left("at the end").await {
        println!("split_faults: {why}");
        tally.failed += 1;
    }
    println!(
        "split_faults: {} passed, {} failed",
        tally.passed, tally.failed
    );
    if tally.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("split_faults: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    kube_sa::serving::install_default_crypto_provider();
    let image = std::env::var("KUBE_SA_CONTAINER_IMAGE")
        .ok()
        .filter(|image| !image.is_empty())
        .unwrap_or_else(|| cli::DEFAULT_CONTAINER_IMAGE.to_string());
    println!(
        "split_faults: Docker engine {}, image {image}, timeout factor {}",
        docker::docker_host(),
        timing::factor()
    );
    runtime.block_on(async {
        // Checks that need no Docker run everywhere.
        let mut pure_failed = false;
        for (name, outcome) in [
            (
                "a missing image's message names the backend and the build command",
                missing_image_message_says_how_to_build(),
            ),
            (
                "token volumes of both modes are told from none",
                token_volumes_are_recognised(),
            ),
        ] {
            match outcome {
                Ok(()) => println!("  ok      {name}"),
                Err(why) => {
                    println!("  FAILED  {name}\n{why}");
                    pure_failed = true;
                }
            }
        }
        let docker = match docker_unavailable(&image).await {
            Some(reason) => {
                println!("split_faults: SKIPPED every Docker check: {reason}");
                if std::env::var_os("KUBE_SA_REQUIRE_DOCKER").is_some() {
                    println!(
                        "split_faults: KUBE_SA_REQUIRE_DOCKER is set, so a skip fails the run"
                    );
                    ExitCode::FAILURE
                } else {
                    ExitCode::SUCCESS
                }
            }
            None => run(&image).await,
        };
        if pure_failed {
            ExitCode::FAILURE
        } else {
            docker
        }
    })
}

fn missing_image_message_says_how_to_build() -> Result<(), String> {
    let message = split::missing_image_message("kube-sa:dev", "no such image");
    ensure(
        message.contains("--cluster split")
            && message.contains("ci/image/build.sh kube-sa:dev")
            && message.contains("no such image"),
        || format!("the missing-image message does not say how to build it: {message}"),
    )
}

fn token_volumes_are_recognised() -> Result<(), String> {
    let pod = |volumes: serde_json::Value| -> Result<Pod, String> {
        object(serde_json::json!({
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "i"}], "volumes": volumes},
        }))
    };
    let cases = [
        (
            serde_json::json!([{"name": "kube-api-access-x7k2p", "projected": {"sources": []}}]),
            true,
        ),
        (
            serde_json::json!([{"name": "default-token-x7k2p", "secret": {"secretName": "default-token-x7k2p"}}]),
            true,
        ),
        (serde_json::json!([{"name": "data", "emptyDir": {}}]), false),
        (serde_json::json!([]), false),
    ];
    for (volumes, expected) in cases {
        let found = split::has_token_volume(&pod(volumes.clone())?);
        ensure(found == expected, || {
            format!("has_token_volume({volumes}) = {found}, expected {expected}")
        })?;
    }
    Ok(())
}
