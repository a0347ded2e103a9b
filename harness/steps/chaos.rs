//! Chaos (issue 13): service accounts created and deleted in waves across many namespaces
//! while the embedded API server fails writes and drops watches, and the end states the
//! controllers must reach anyway. The workload and the checks are the chaos test's
//! (`tests/shared/chaos.rs`); the scenarios use smaller numbers to stay quick.
//!
//! The seed of the faults and of the deletions is drawn per scenario, or taken from
//! `KUBE_SA_CHAOS_SEED`; every failure names it.

use cucumber::{given, then, when};

use crate::failure::Failure;
use crate::timing::{assert_timed, Timing};
use crate::world::ConformanceWorld;

// The test uses the rest of the shared file.
#[allow(dead_code)]
#[path = "../../tests/shared/chaos.rs"]
mod workload;

/// Where the scenario's seed is remembered.
const SEED_ALIAS: &str = "chaos-seed";

/// The scenario's seed: the one its fault step drew, else a fresh one (remembered).
fn seed(world: &mut ConformanceWorld) -> u64 {
    if let Some(seed) = world
        .remembered
        .get(SEED_ALIAS)
        .and_then(|s| s.parse().ok())
    {
        return seed;
    }
    let seed = workload::seed();
    world
        .remembered
        .insert(SEED_ALIAS.to_string(), seed.to_string());
    seed
}

/// How a failure names the seed to replay it with.
fn replay(seed: u64) -> String {
    format!(
        "chaos seed {seed} (replay with {}={seed})",
        workload::SEED_VAR
    )
}

#[given(regex = r"^the API server fails (\d+)% of all writes with 500, 409, 429 and 504$")]
async fn fails_writes(world: &mut ConformanceWorld, percent: u32) -> Result<(), Failure> {
    let seed = seed(world);
    let result = (|| {
        if percent > 100 {
            return Err(Failure::new(format!("{percent}% is more than all")));
        }
        let faults = world
            .cluster()?
            .server
            .as_ref()
            .and_then(|server| server.faults())
            .ok_or_else(|| {
                Failure::new(
                    "injecting faults needs the embedded backend: tag the scenario @embedded-only",
                )
            })?;
        let mut config = faults.config();
        config
            .rules
            .extend(workload::write_faults(f64::from(percent) / 100.0));
        config.seed = Some(seed);
        faults.set(config);
        Ok(())
    })();
    world.diagnose(result).await
}

#[when(
    regex = r"^(\d+) service accounts are created and deleted in (\d+) waves across (\d+) namespaces$"
)]
async fn accounts_in_waves(
    world: &mut ConformanceWorld,
    accounts: usize,
    waves: usize,
    namespaces: usize,
) -> Result<(), Failure> {
    let seed = seed(world);
    let result = async {
        if namespaces == 0 || waves == 0 {
            return Err(Failure::new("say at least 1 wave and 1 namespace"));
        }
        let run = workload::Workload {
            accounts,
            namespaces,
            waves,
            prefix: world.namespace("chaos")?,
            seed,
        };
        let client =
            workload::workload_client(world.cluster()?.config.clone()).map_err(Failure::new)?;
        run.run(&client)
            .await
            .map(drop)
            .map_err(|e| Failure::new(format!("{e}; {}", replay(seed))))
    }
    .await;
    world.diagnose(result).await
}

/// Asserts that `violations` finds none, with `timing`; the failure lists the first ones.
async fn holds<F, Fut>(
    world: &mut ConformanceWorld,
    timing: &str,
    what: &str,
    violations: F,
) -> Result<(), Failure>
where
    F: Fn(kube::Client) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<String>, String>>,
{
    let seed = seed(world);
    let result = async {
        let timing: Timing = timing.parse().map_err(Failure::new)?;
        let client = world.client()?;
        assert_timed(timing, what, || {
            let found = violations(client.clone());
            async move {
                let found = found.await.map_err(Failure::new)?;
                match found.as_slice() {
                    [] => Ok(()),
                    first => Err(Failure::new(format!(
                        "{} violations, the first: {:#?}",
                        first.len(),
                        &first[..first.len().min(10)]
                    ))),
                }
            }
        })
        .await
        .map_err(|failure| failure.context(replay(seed)))
    }
    .await;
    world.diagnose(result).await
}

#[then(
    regex = r"^(within \d+ (?:seconds?|s) |for \d+ (?:seconds?|s) |)every live service account has exactly one referenced token secret and no token secret is without a live account$"
)]
async fn legacy_end_state(world: &mut ConformanceWorld, timing: String) -> Result<(), Failure> {
    holds(
        world,
        &timing,
        "one referenced token secret per live account, none without one",
        |client| async move { workload::legacy_violations(&client).await },
    )
    .await
}

#[then(
    regex = r#"^(within \d+ (?:seconds?|s) |for \d+ (?:seconds?|s) |)every active namespace has the service account "default" and the config map "kube-root-ca.crt", and there is no token secret$"#
)]
async fn bound_end_state(world: &mut ConformanceWorld, timing: String) -> Result<(), Failure> {
    holds(
        world,
        &timing,
        "default and kube-root-ca.crt in every active namespace, no token secret",
        |client| async move { workload::bound_violations(&client).await },
    )
    .await
}
