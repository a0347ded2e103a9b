//! Faults only a container can produce, driven through the `container` backend and the
//! testcontainers plumbing the conformance runner uses (`harness/backends/`): a paused or
//! stopped cluster container makes the harness fail clearly and quickly instead of hanging,
//! a restarted one serves again, a new run after the faults works, an interrupt removes the
//! run's containers, and nothing is left behind.
//!
//! `cargo test --test container_faults` (KUBE_SA_CONTAINER_IMAGE picks another image than
//! `kube-sa:dev`; `ci/image/build.sh` builds it, labelled with the sources' digest, and a
//! `kube-sa:dev` of other sources counts as missing). Without a Docker engine or the image the
//! Docker checks are skipped with the reason printed (with KUBE_SA_REQUIRE_DOCKER set, as CI
//! sets it, a skip fails the run); the other checks still run.

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

use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser as _;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, PostParams};
use testcontainers::core::WaitFor;
use testcontainers::{GenericImage, ImageExt};

use backends::container;
use backends::docker::{self, HarnessContainer, Readiness};
use backends::{Backend, ScenarioOptions};

/// Deadlines here are the runner's, scaled down so that the faults resolve quickly.
const TIMEOUT_FACTOR: &str = "0.3";
/// No check may take longer than this, whatever happens to Docker.
const CHECK_LIMIT: Duration = Duration::from_secs(180);

type Check = fn() -> Pin<Box<dyn Future<Output = Result<(), String>>>>;

#[derive(clap::Parser)]
struct Args {
    #[command(flatten)]
    harness: cli::HarnessCli,
}

fn harness_cli(args: &[&str]) -> Result<cli::HarnessCli, String> {
    let mut parsed =
        Args::try_parse_from(std::iter::once("container_faults").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?
            .harness;
    parsed.resolve_environment()?;
    Ok(parsed)
}

fn ensure(condition: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if condition {
        Ok(())
    } else {
        Err(message())
    }
}

fn namespace(name: &str) -> Namespace {
    Namespace {
        metadata: kube::api::ObjectMeta {
            name: Some(name.to_string()),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn unique_name(prefix: &str) -> String {
    format!("{prefix}-{}", backends::random_suffix())
}

async fn start_backend() -> Result<Backend, String> {
    let cli = harness_cli(&["--cluster", "container", "--mode", "legacy"])?;
    Backend::prepare(&cli).await.map_err(|f| f.to_string())
}

fn shared(backend: &Backend) -> Result<&backends::SharedCluster, String> {
    match backend {
        Backend::Shared { clusters, .. } => clusters
            .first()
            .ok_or_else(|| "--cluster container started no cluster".to_string()),
        Backend::Embedded | Backend::Webhook => {
            Err("--cluster container gave an in-process backend".into())
        }
    }
}

fn cluster_container(backend: &Backend) -> Result<&HarnessContainer, String> {
    shared(backend)?
        .container
        .as_deref()
        .ok_or_else(|| "the container backend has no container".to_string())
}

async fn create_namespace(client: &kube::Client, name: &str) -> Result<(), String> {
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &namespace(name))
        .await
        .map(drop)
        .map_err(|e| format!("creating namespace {name}: {e}"))
}

/// The before-hook's answer: the cluster a scenario would get.
async fn scenario_cluster(backend: &Backend) -> Result<(), String> {
    backend
        .scenario_cluster(ScenarioOptions::default())
        .await
        .map(drop)
        .map_err(|f| f.to_string())
}

async fn assert_nothing_left(after: &str) -> Result<(), String> {
    let left = docker::run_containers().await.map_err(|f| f.to_string())?;
    ensure(left.is_empty(), || {
        format!("{after}, containers of this run are still there: {left:?}")
    })
}

// ── checks that need no Docker ──

fn serve_args_advertise_the_published_port() -> Pin<Box<dyn Future<Output = Result<(), String>>>> {
    Box::pin(async {
        let args = container::serve_args(40123, kube_sa::Mode::Legacy).join(" ");
        for expected in [
            "serve --listen 0.0.0.0:6443",
            "--advertise-address 127.0.0.1:40123",
            "--kubeconfig-out /tmp/kubeconfig",
            "--service-account-private-key-file /tmp/sa.key",
            "--clock=fake",
        ] {
            ensure(args.contains(expected), || {
                format!("serve arguments {args:?} lack {expected:?}")
            })?;
        }
        ensure(!args.contains("--mode"), || {
            format!("legacy serve arguments {args:?} name a mode")
        })?;
        let bound = container::serve_args(40123, kube_sa::Mode::Bound);
        ensure(
            bound.last().map(String::as_str) == Some("--mode=bound"),
            || format!("bound serve arguments {bound:?} do not end with --mode=bound"),
        )?;
        Ok(())
    })
}

fn images_split_and_messages_say_how_to_build() -> Pin<Box<dyn Future<Output = Result<(), String>>>>
{
    Box::pin(async {
        let cases: &[(&str, Option<(&str, &str)>)] = &[
            ("kube-sa:dev", Some(("kube-sa", "dev"))),
            (
                "localhost:5000/kube-sa:v1",
                Some(("localhost:5000/kube-sa", "v1")),
            ),
            (
                "kindest/node:v1.33.1@sha256:abc",
                Some(("kindest/node", "v1.33.1")),
            ),
            ("kube-sa", None),
            ("localhost:5000/kube-sa", None),
        ];
        for (image, expected) in cases {
            let split = docker::split_image(image).ok();
            ensure(split == *expected, || {
                format!("split_image({image:?}) = {split:?}, expected {expected:?}")
            })?;
        }
        let message = container::missing_image_message("kube-sa:dev", "No such image");
        ensure(
            message.contains("ci/image/build.sh kube-sa:dev") && message.contains("No such image"),
            || format!("the missing-image message does not say how to build it: {message}"),
        )?;
        let tail = docker::tail("a\nb\nc\n", 2);
        ensure(tail == "b\nc\n", || format!("tail kept {tail:?}"))
    })
}

/// The digest the harness checks `kube-sa:dev` against is the one `ci/image/build.sh`
/// labels it with, and a stale or unlabelled image is refused with what to do.
fn the_source_digest_is_build_shs() -> Pin<Box<dyn Future<Output = Result<(), String>>>> {
    Box::pin(async {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let ours = backends::source_digest::source_digest(root).map_err(|e| e.to_string())?;
        let script = std::process::Command::new(root.join("ci/image/source-digest.sh"))
            .output()
            .map_err(|e| format!("ci/image/source-digest.sh: {e}"))?;
        let theirs = String::from_utf8_lossy(&script.stdout).trim().to_string();
        ensure(script.status.success() && theirs == ours, || {
            format!(
                "source-digest.sh printed {theirs:?} ({}), the harness computes {ours:?}",
                String::from_utf8_lossy(&script.stderr)
            )
        })?;
        backends::source_digest::check("kube-sa:dev", Some(&ours))?;
        for label in [Some("0000"), None] {
            let refused = backends::source_digest::check("kube-sa:dev", label)
                .err()
                .unwrap_or_default();
            ensure(refused.contains("ci/image/build.sh kube-sa:dev"), || {
                format!(
                    "a stale image ({label:?}) is not refused with the build command: {refused:?}"
                )
            })?;
        }
        Ok(())
    })
}

// ── checks against a Docker engine ──

fn a_missing_image_fails_fast_naming_the_build_command(
) -> Pin<Box<dyn Future<Output = Result<(), String>>>> {
    Box::pin(async {
        let cli = harness_cli(&[
            "--cluster",
            "container",
            "--container-image",
            "kube-sa:no-such-tag-for-fault-tests",
        ])?;
        let started = Instant::now();
        let failure = match Backend::prepare(&cli).await {
            Ok(_) => return Err("a backend started from an image that does not exist".into()),
            Err(failure) => failure.to_string(),
        };
        ensure(started.elapsed() < Duration::from_secs(10), || {
            format!("failing took {:?}", started.elapsed())
        })?;
        ensure(
            failure.contains("kube-sa:no-such-tag-for-fault-tests")
                && failure.contains("ci/image/build.sh"),
            || format!("the failure does not name the image and the build command: {failure}"),
        )?;
        assert_nothing_left("after the missing image").await
    })
}

fn a_container_that_never_gets_ready_fails_with_its_logs(
) -> Pin<Box<dyn Future<Output = Result<(), String>>>> {
    Box::pin(async {
        let image = harness_cli(&[])?.container_image().to_string();
        let (repository, tag) = docker::split_image(&image).map_err(|f| f.to_string())?;
        let request = GenericImage::new(repository, tag)
            .with_wait_for(WaitFor::Nothing)
            .with_cmd(["serve", "--listen", "not-an-address"]);
        let failure = match HarnessContainer::start(
            "kube-sa serve",
            request,
            Readiness::StdoutLine(container::READY_LINE),
            timing::scaled(container::READY_SECONDS),
        )
        .await
        {
            Ok(_) => return Err("a server with a bad --listen became ready".into()),
            Err(failure) => failure.to_string(),
        };
        for expected in [
            "never printed a line containing \"serving https://\"",
            "has exited (exit code 2",
            "not-an-address",
        ] {
            ensure(failure.contains(expected), || {
                format!("the failure lacks {expected:?}: {failure}")
            })?;
        }
        assert_nothing_left("after the failed start").await
    })
}

fn a_paused_cluster_fails_scenarios_at_once_and_recovers(
) -> Pin<Box<dyn Future<Output = Result<(), String>>>> {
    Box::pin(async {
        let backend = start_backend().await?;
        let cluster = shared(&backend)?;
        let container = cluster_container(&backend)?;
        ensure(
            cluster.config.cluster_url.host() == Some("127.0.0.1"),
            || format!("clients are sent to {}", cluster.config.cluster_url),
        )?;
        scenario_cluster(&backend).await?;
        let name = unique_name("paused");
        create_namespace(&cluster.client, &name).await?;

        container.pause().await.map_err(|f| f.to_string())?;
        let started = Instant::now();
        let failure = match scenario_cluster(&backend).await {
            Ok(()) => return Err("a scenario got a paused cluster".into()),
            Err(failure) => failure,
        };
        ensure(failure.contains("is paused"), || {
            format!("the before-hook failure does not say the container is paused: {failure}")
        })?;
        ensure(started.elapsed() < Duration::from_secs(5), || {
            format!("telling took {:?}", started.elapsed())
        })?;
        // A request already on its way (a step, or the namespace cleanup) ends by the
        // step deadline instead of the client's default of minutes.
        let deadline = timing::default_deadline();
        let started = Instant::now();
        let answer = Api::<Namespace>::all(cluster.client.clone())
            .get(&name)
            .await;
        let took = started.elapsed();
        ensure(answer.is_err(), || {
            "a paused cluster answered a request".to_string()
        })?;
        ensure(took < deadline * 3, || {
            format!("a request to the paused cluster took {took:?} (deadline {deadline:?})")
        })?;
        let logs = backend.failure_logs().await.unwrap_or_default();
        ensure(
            logs.contains("serving https://127.0.0.1:") && logs.contains("is paused"),
            || format!("the failure logs lack the server's output or its state: {logs}"),
        )?;

        container.unpause().await.map_err(|f| f.to_string())?;
        scenario_cluster(&backend).await?;
        Api::<Namespace>::all(cluster.client.clone())
            .get(&name)
            .await
            .map_err(|e| format!("after unpausing, GET namespace {name}: {e}"))?;
        drop(backend);
        assert_nothing_left("after the paused run ended").await
    })
}

fn a_stopped_cluster_fails_scenarios_at_once_and_a_restart_serves_again(
) -> Pin<Box<dyn Future<Output = Result<(), String>>>> {
    Box::pin(async {
        let backend = start_backend().await?;
        let cluster = shared(&backend)?;
        let container = cluster_container(&backend)?;
        create_namespace(&cluster.client, &unique_name("stopped")).await?;

        container.stop().await.map_err(|f| f.to_string())?;
        let failure = match scenario_cluster(&backend).await {
            Ok(()) => return Err("a scenario got a stopped cluster".into()),
            Err(failure) => failure,
        };
        ensure(failure.contains("has exited (exit code 0"), || {
            format!("the before-hook failure does not say the container exited: {failure}")
        })?;
        let started = Instant::now();
        let answer = Api::<Namespace>::all(cluster.client.clone())
            .list(&Default::default())
            .await;
        ensure(answer.is_err(), || "a stopped cluster answered".to_string())?;
        ensure(started.elapsed() < timing::default_deadline(), || {
            format!(
                "a request to the stopped cluster took {:?}",
                started.elapsed()
            )
        })?;
        let logs = backend.failure_logs().await.unwrap_or_default();
        ensure(logs.contains("has exited"), || {
            format!("the failure logs do not say the container exited: {logs}")
        })?;

        container
            .restart(timing::scaled(container::READY_SECONDS))
            .await
            .map_err(|f| f.to_string())?;
        scenario_cluster(&backend).await?;
        // The restarted server made a new CA: the kubeconfig is read again.
        let (_, client) = container::connect(container)
            .await
            .map_err(|f| f.to_string())?;
        create_namespace(&client, &unique_name("restarted")).await?;
        drop(backend);
        assert_nothing_left("after the stopped run ended").await
    })
}

fn an_interrupt_removes_the_runs_containers() -> Pin<Box<dyn Future<Output = Result<(), String>>>> {
    Box::pin(async {
        let mut interrupt = docker::Interrupt::listen().map_err(|f| f.to_string())?;
        let backend = start_backend().await?;
        let id = cluster_container(&backend)?.id().to_string();
        let status = std::process::Command::new("kill")
            .args(["-TERM", &std::process::id().to_string()])
            .status()
            .map_err(|e| format!("running kill: {e}"))?;
        ensure(status.success(), || format!("kill exited with {status}"))?;
        let why = tokio::time::timeout(Duration::from_secs(10), interrupt.wait())
            .await
            .map_err(|_| "SIGTERM was not noticed within 10 s".to_string())?;
        ensure(why == "SIGTERM", || format!("the interrupt was {why:?}"))?;
        // What the runner does on an interrupt, before anything else is dropped.
        let removed = docker::remove_run_containers()
            .await
            .map_err(|f| f.to_string())?;
        ensure(removed == vec![id.clone()], || {
            format!("removed {removed:?}, expected the cluster container {id}")
        })?;
        assert_nothing_left("after the interrupt").await?;
        drop(backend);
        Ok(())
    })
}

fn a_new_run_after_the_faults_works() -> Pin<Box<dyn Future<Output = Result<(), String>>>> {
    Box::pin(async {
        let backend = start_backend().await?;
        scenario_cluster(&backend).await?;
        create_namespace(&shared(&backend)?.client, &unique_name("fresh")).await?;
        drop(backend);
        assert_nothing_left("after the new run ended").await
    })
}

/// Why the Docker checks cannot run here, if they cannot.
async fn docker_unavailable(image: &str) -> Option<String> {
    docker::require_image(image, |why| container::missing_image_message(image, why))
        .await
        .err()
        .map(|failure| failure.to_string())
}

async fn run() -> ExitCode {
    let pure: &[(&str, Check)] = &[
        (
            "serve arguments advertise the published port",
            serve_args_advertise_the_published_port,
        ),
        (
            "images split, and a missing one's message says how to build it",
            images_split_and_messages_say_how_to_build,
        ),
        (
            "kube-sa:dev must carry the sources' digest, computed as build.sh does",
            the_source_digest_is_build_shs,
        ),
    ];
    let with_docker: &[(&str, Check)] = &[
        (
            "a missing image fails fast, naming the build command",
            a_missing_image_fails_fast_naming_the_build_command,
        ),
        (
            "a container that never gets ready fails with its state and logs, and is removed",
            a_container_that_never_gets_ready_fails_with_its_logs,
        ),
        (
            "a paused cluster fails scenarios at once, requests end by the deadline, unpause recovers",
            a_paused_cluster_fails_scenarios_at_once_and_recovers,
        ),
        (
            "a stopped cluster fails scenarios at once; restarted, it serves again",
            a_stopped_cluster_fails_scenarios_at_once_and_a_restart_serves_again,
        ),
        (
            "an interrupt removes the run's containers",
            an_interrupt_removes_the_runs_containers,
        ),
        (
            "a new run after the faults works and leaves nothing behind",
            a_new_run_after_the_faults_works,
        ),
    ];
    let image = match harness_cli(&[]) {
        Ok(cli) => cli.container_image().to_string(),
        Err(e) => {
            eprintln!("container_faults: {e}");
            return ExitCode::FAILURE;
        }
    };
    let skip = docker_unavailable(&image).await;
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for (name, check) in pure.iter().chain(with_docker) {
        let needs_docker = with_docker.iter().any(|(n, _)| n == name);
        if let (true, Some(_)) = (needs_docker, &skip) {
            println!("  skipped {name}");
            skipped += 1;
            continue;
        }
        let started = Instant::now();
        let outcome = tokio::time::timeout(CHECK_LIMIT, check())
            .await
            .unwrap_or_else(|_| Err(format!("still running after {CHECK_LIMIT:?}")));
        let took = started.elapsed().as_secs_f64();
        match outcome {
            Ok(()) => {
                println!("  ok      {name} ({took:.1} s)");
                passed += 1;
            }
            Err(why) => {
                println!("  FAILED  {name} ({took:.1} s)\n{why}");
                failed += 1;
            }
        }
    }
    // Whatever happened above, nothing of this run stays behind.
    if let Err(failure) = docker::remove_run_containers().await {
        println!("container_faults: {failure}");
        failed += 1;
    }
    if let Some(reason) = &skip {
        println!("container_faults: SKIPPED the {skipped} Docker check(s): {reason}");
        if std::env::var_os("KUBE_SA_REQUIRE_DOCKER").is_some() {
            println!("container_faults: KUBE_SA_REQUIRE_DOCKER is set, so a skip fails the run");
            failed += 1;
        }
    }
    println!("container_faults: {passed} passed, {failed} failed, {skipped} skipped");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn main() -> ExitCode {
    // Before any thread starts: scale the runner's deadlines unless the caller chose.
    if std::env::var_os("KUBE_SA_TIMEOUT_FACTOR").is_none() {
        std::env::set_var("KUBE_SA_TIMEOUT_FACTOR", TIMEOUT_FACTOR);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("container_faults: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    kube_sa::serving::install_default_crypto_provider();
    println!(
        "container_faults: Docker engine {}, timeout factor {}",
        docker::docker_host(),
        timing::factor()
    );
    runtime.block_on(run())
}
