//! Given: the API server misbehaves. Rules are added to the embedded cluster's fault
//! injection ([`kube_sa::apiserver::faults`], what `POST /debug/faults` sets on
//! `kube-sa serve --fault-injection`), so scenarios using them are `@embedded-only`: on a
//! shared cluster the faults would hit every scenario at once.

use cucumber::given;
use kube_sa::apiserver::faults::{FaultConfig, FaultInjector, FaultRule, CODES};

use crate::failure::Failure;
use crate::world::ConformanceWorld;

/// The scenario cluster's fault injection, or why there is none.
fn injector(world: &ConformanceWorld) -> Result<&FaultInjector, Failure> {
    world
        .cluster()?
        .server
        .as_ref()
        .and_then(|server| server.faults())
        .ok_or_else(|| {
            Failure::new(
                "injecting faults needs the embedded backend: tag the scenario @embedded-only",
            )
        })
}

/// The RBAC verb a noun of the step names (`creations` is `create`).
fn verb_of(noun: &str) -> Option<&'static str> {
    Some(match noun {
        "creations" => "create",
        "updates" => "update",
        "patches" => "patch",
        "deletions" => "delete",
        "reads" => "get",
        "lists" => "list",
        "watches" => "watch",
        _ => return None,
    })
}

/// Adds one rule: `percent`% of `verb`s on the resource `kind` (`secret`, `config map`)
/// fail with `code`.
fn add_rule(
    faults: &FaultInjector,
    percent: u32,
    kind: &str,
    noun: &str,
    code: u16,
) -> Result<(), Failure> {
    let verb = verb_of(noun).ok_or_else(|| {
        Failure::new(format!(
            "\"{noun}\": say creations, updates, patches, deletions, reads, lists or watches"
        ))
    })?;
    if !CODES.contains(&code) {
        return Err(Failure::new(format!("{code}: the codes are {CODES:?}")));
    }
    if percent > 100 {
        return Err(Failure::new(format!("{percent}% is more than all")));
    }
    let mut config = faults.config();
    config.rules.push(FaultRule {
        verbs: vec![verb.to_string()],
        resources: vec![format!("{}s", kind.replace(' ', ""))],
        namespaces: Vec::new(),
        rate: f64::from(percent) / 100.0,
        code: Some(code),
        latency: None,
    });
    faults.set(config);
    Ok(())
}

#[given(
    regex = r"^the API server fails (\d+)% of ([a-z ]+?) (creations|updates|patches|deletions|reads|lists|watches) with (\d{3})$"
)]
async fn fails(
    world: &mut ConformanceWorld,
    percent: u32,
    kind: String,
    noun: String,
    code: u16,
) -> Result<(), Failure> {
    let result = injector(world).and_then(|faults| add_rule(faults, percent, &kind, &noun, code));
    world.diagnose(result).await
}

#[given(regex = r"^watches are dropped after (\d+) events?$")]
async fn watches_dropped(world: &mut ConformanceWorld, events: u64) -> Result<(), Failure> {
    let result = injector(world).and_then(|faults| {
        if events == 0 {
            return Err(Failure::new("a watch is dropped after at least 1 event"));
        }
        faults.set(FaultConfig {
            watch_drop_after_events: Some(events),
            ..faults.config()
        });
        Ok(())
    });
    world.diagnose(result).await
}

#[given(regex = r"^the API server injects no faults$")]
async fn no_faults(world: &mut ConformanceWorld) -> Result<(), Failure> {
    let result = injector(world).map(FaultInjector::clear);
    world.diagnose(result).await
}
