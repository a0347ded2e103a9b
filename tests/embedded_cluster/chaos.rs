//! Chaos runs of the controllers (issue 13): in each mode, its own embedded cluster with
//! the controllers running meets 1,000 service accounts created and deleted in waves across
//! 50 namespaces while 10 % of all writes fail (500, 409, 429 and 504 mixed) and watches
//! drop; the end state must be the one a healthy server gives, within a printed deadline.
//!
//! Every run draws a seed and prints it; `KUBE_SA_CHAOS_SEED=N` replays the faults' and the
//! deletions' choices (the interleaving of concurrent requests still varies).

use std::time::{Duration, Instant};

use kube_sa::apiserver::components::ServiceAccountOptions;
use kube_sa::apiserver::ApiServer;
use kube_sa::Mode;

#[path = "../shared/chaos.rs"]
mod workload;

use workload::Workload;

/// Service accounts created in a run.
const ACCOUNTS: usize = 1_000;
/// Namespaces they are spread over.
const NAMESPACES: usize = 50;
/// Waves of creations and deletions.
const WAVES: usize = 5;
/// From the start of the waves to the end state (debug build, 2 cores).
const DEADLINE: Duration = Duration::from_secs(90);
/// How often the end state is read while waiting for it.
const POLL: Duration = Duration::from_millis(250);

async fn chaos_run(mode: Mode) {
    // RUST_LOG=kube_sa=debug shows what the controllers did (captured unless --nocapture).
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
    }
    let seed = workload::seed();
    println!(
        "chaos {mode:?}: seed {seed} (replay with {}={seed})",
        workload::SEED_VAR
    );
    let server = ApiServer::builder()
        .service_accounts(ServiceAccountOptions {
            mode,
            ..Default::default()
        })
        .fault_injection(true)
        .start()
        .await
        .expect("cluster starts");
    let client = server.client().await.expect("client");
    server
        .faults()
        .expect("fault injection is on")
        .set(workload::fault_config(seed));

    let started = Instant::now();
    let deadline = started + DEADLINE;
    let run = Workload {
        accounts: ACCOUNTS,
        namespaces: NAMESPACES,
        waves: WAVES,
        prefix: "chaos".into(),
        seed,
    };
    let kubeconfig =
        kube::config::Kubeconfig::from_yaml(server.kubeconfig_yaml()).expect("kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .expect("config");
    let workload_client = workload::workload_client(config).expect("client");
    let summary = run
        .run(&workload_client)
        .await
        .unwrap_or_else(|e| panic!("chaos {mode:?} (seed {seed}): the workload failed: {e}"));
    let waves = started.elapsed();
    // About a tenth of the workload's ~1,700 writes meet a fault: proof the faults were on.
    assert!(
        summary.retries > 0,
        "chaos {mode:?} (seed {seed}): no write met a fault"
    );

    // The faults stay on: the controllers converge while writes keep failing.
    let mut polls = tokio::time::interval(POLL);
    let violations = loop {
        polls.tick().await;
        let violations = match mode {
            Mode::Legacy => workload::legacy_violations(&client).await,
            Mode::Bound => workload::bound_violations(&client).await,
        }
        .unwrap_or_else(|e| panic!("chaos {mode:?} (seed {seed}): {e}"));
        if violations.is_empty() || Instant::now() >= deadline {
            break violations;
        }
    };
    let elapsed = started.elapsed();
    println!(
        "chaos {mode:?}: seed {seed}: {} accounts created, {} deleted, {} workload retries; \
         waves {:.1} s, end state after {:.1} s of a {} s deadline",
        summary.created,
        summary.deleted,
        summary.retries,
        waves.as_secs_f64(),
        elapsed.as_secs_f64(),
        DEADLINE.as_secs()
    );
    assert!(
        violations.is_empty(),
        "chaos {mode:?} (seed {seed}): no end state within {DEADLINE:?}; {} violations, first: {:#?}",
        violations.len(),
        &violations[..violations.len().min(50)]
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_controllers_converge_under_chaos() {
    chaos_run(Mode::Legacy).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bound_controllers_converge_under_chaos() {
    chaos_run(Mode::Bound).await;
}

/// What the first chaos runs found: an injected 409 on the delete of a deleted account's
/// token passed for a failed UID precondition, and the token stayed for good. The
/// controller now reads the Secret, finds it unchanged, and retries through its queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conflict_on_a_token_delete_is_retried_until_the_token_is_gone() {
    use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
    use kube::api::{Api, DeleteParams, PostParams};

    use crate::support::eventually;

    let server = ApiServer::builder()
        .fault_injection(true)
        .start()
        .await
        .expect("cluster starts");
    let client = server.client().await.expect("client");
    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), "default");
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "default");
    let mut robot = ServiceAccount::default();
    robot.metadata.name = Some("robot".into());
    accounts
        .create(&PostParams::default(), &robot)
        .await
        .expect("account created");
    eventually("the robot's token", Duration::from_secs(20), || async {
        let robot = accounts.get("robot").await.expect("get");
        robot
            .secrets
            .is_some_and(|references| references.len() == 1)
    })
    .await;
    let token = accounts
        .get("robot")
        .await
        .expect("get")
        .secrets
        .expect("listed")[0]
        .name
        .clone()
        .expect("named");

    let faults = server.faults().expect("fault injection is on");
    faults.set(
        kube_sa::apiserver::faults::FaultConfig::from_json(
            br#"{"rules": [{"verbs": ["delete"], "resources": ["secrets"], "code": 409}]}"#,
        )
        .expect("valid"),
    );
    accounts
        .delete("robot", &DeleteParams::default())
        .await
        .expect("account deleted");
    let token_path = format!("/api/v1/namespaces/default/secrets/{token}");
    eventually(
        "the controller's delete of the token meeting the 409",
        Duration::from_secs(20),
        || async {
            server
                .recent_requests()
                .iter()
                .any(|r| r.method == "DELETE" && r.path == token_path && r.status == 409)
        },
    )
    .await;
    assert!(
        secrets.get_opt(&token).await.expect("get").is_some(),
        "the 409 kept the token"
    );

    faults.clear();
    eventually(
        "the token deleted by a retry",
        Duration::from_secs(20),
        || async { secrets.get_opt(&token).await.expect("get").is_none() },
    )
    .await;
    server.shutdown().await;
}
