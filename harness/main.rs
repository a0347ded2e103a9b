//! The Gherkin conformance runner: `cargo test --test conformance [-- OPTIONS]`.
//!
//! Features in `features/` run against a cluster backend (`--cluster embedded|kubeconfig|
//! kind|container`, or KUBE_SA_CLUSTER; default embedded). Step vocabulary: `harness/STEPS.md`.

mod backends;
mod cli;
mod failure;
mod forge;
mod matching;
mod modes;
mod objects;
mod selftest;
mod snapshots;
mod steps;
mod timing;
mod tokens;
mod world;

use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use cucumber::tag::Ext as _;
use cucumber::writer::Stats as _;
use cucumber::{writer, ScenarioType, World as _, WriterExt as _};

use backends::{Backend, ScenarioOptions};
use cli::HarnessCli;
use world::{ConformanceWorld, ScenarioId};

/// Scenario tag: the scenario moves the clock of its cluster, so on a shared cluster it
/// runs alone (see [`Backend::shares_clusters`]).
const SERIAL_TAG: &str = "serial";

const FEATURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/features");

type Options = cucumber::cli::Opts<
    cucumber::parser::basic::Cli,
    cucumber::runner::basic::Cli,
    cucumber::cli::Compose<cucumber::writer::basic::Cli, cucumber::writer::junit::Cli>,
    HarnessCli,
>;

/// The JUnit report's destination: a file with `--junit`, nowhere otherwise.
#[derive(Clone, Default)]
struct JunitOutput(Arc<Mutex<Option<std::fs::File>>>);

impl std::io::Write for JunitOutput {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        match self.0.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            Some(file) => file.write(bytes),
            None => Ok(bytes.len()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self.0.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            Some(file) => file.flush(),
            None => Ok(()),
        }
    }
}

fn all_tags<'a>(
    feature: &'a cucumber::gherkin::Feature,
    rule: Option<&'a cucumber::gherkin::Rule>,
    scenario: &'a cucumber::gherkin::Scenario,
) -> impl Iterator<Item = &'a String> {
    feature
        .tags
        .iter()
        .chain(rule.into_iter().flat_map(|r| r.tags.iter()))
        .chain(scenario.tags.iter())
}

fn scenario_id(
    feature: &cucumber::gherkin::Feature,
    scenario: &cucumber::gherkin::Scenario,
) -> ScenarioId {
    // Canonical on both sides, so that `-i features/x.feature` (relative to the working
    // directory) names its snapshots as a whole run does.
    static CANONICAL_FEATURES: std::sync::LazyLock<std::path::PathBuf> =
        std::sync::LazyLock::new(|| {
            std::fs::canonicalize(FEATURES).unwrap_or_else(|_| FEATURES.into())
        });
    let features = &*CANONICAL_FEATURES;
    let relative = feature
        .path
        .as_deref()
        .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()))
        .and_then(|p| p.strip_prefix(features).ok().map(Path::to_path_buf))
        .unwrap_or_default();
    let component = relative
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let stem = relative
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| feature.name.clone());
    let mut name = modes::strip_suffix(&scenario.name).to_string();
    // An outline example: make the name unique with those of the example's values that
    // the name does not show already.
    let values: Vec<&str> = scenario
        .examples
        .iter()
        .filter_map(|e| e.table.as_ref())
        .filter_map(|t| t.rows.get(1))
        .flatten()
        .map(String::as_str)
        .filter(|value| !scenario.name.contains(value))
        .collect();
    if !values.is_empty() {
        name = format!("{name} {}", values.join(" "));
    }
    ScenarioId {
        component,
        feature: stem,
        scenario: name,
        feature_path: feature.path.clone(),
        ..ScenarioId::default()
    }
}

/// Removes every container the run started, saying so.
async fn remove_containers() {
    match backends::docker::remove_run_containers().await {
        Ok(removed) if removed.is_empty() => {
            if backends::docker::started_any() {
                println!("conformance: no container of this run is left");
            }
        }
        Ok(removed) => println!(
            "conformance: removed {} container(s) this run started: {}",
            removed.len(),
            removed
                .iter()
                .map(|id| backends::docker::short_id(id))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Err(failure) => eprintln!("conformance: {failure}"),
    }
}

/// Ends an interrupted run: containers removed, exit status 130 (as after Ctrl-C).
async fn interrupted(why: &str) -> ExitCode {
    eprintln!("\nconformance: interrupted ({why})");
    remove_containers().await;
    ExitCode::from(130)
}

/// A scenario run: its feature's path, its position and its name (with the mode).
type RunId = (Option<PathBuf>, usize, usize, String);

/// `--name` and `--tags`, applied by the harness (see `run`).
struct Selection {
    name: Option<cucumber::codegen::Regex>,
    tags: Option<cucumber::gherkin::tagexpr::TagOperation>,
}

impl Selection {
    /// Whether `--name` and `--tags` select the scenario (`@pending` ones are left out by
    /// the parser, [`modes::ModeParser`], when no `--tags` is given).
    fn selects(&self, name: &str, tags: &[&String]) -> bool {
        if self.name.as_ref().is_some_and(|re| !re.is_match(name)) {
            return false;
        }
        self.tags
            .as_ref()
            .is_none_or(|filter| filter.eval(tags.iter().copied()))
    }
}

/// Scenario names for a summary line: all of a few, else the first ones and how many more.
fn name_list(names: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut list = names
        .iter()
        .take(SHOWN)
        .map(|name| format!("{name:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        list.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    list
}

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("conformance: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run())
}

async fn run() -> ExitCode {
    let started = Instant::now();
    let mut options = Options::parsed();
    if let Err(message) = options.custom.resolve_environment() {
        eprintln!("conformance: {message}");
        return ExitCode::FAILURE;
    }

    let (checks, failures) = selftest::run();
    if !failures.is_empty() {
        eprintln!("conformance: harness self-checks failed:");
        for failure in &failures {
            eprintln!("  - {failure}");
        }
        return ExitCode::FAILURE;
    }

    let mut junit = JunitOutput::default();
    if let Some(path) = &options.custom.junit {
        match std::fs::File::create(path) {
            Ok(file) => *junit.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(file),
            Err(e) => {
                eprintln!(
                    "conformance: cannot create the JUnit report {}: {e}",
                    path.display()
                );
                return ExitCode::FAILURE;
            }
        }
    }

    kube_sa::serving::install_default_crypto_provider();
    // Ctrl-C and friends end the run through teardown, so no container is left behind.
    let mut interrupt = match backends::docker::Interrupt::listen() {
        Ok(interrupt) => interrupt,
        Err(failure) => {
            eprintln!("conformance: {failure}");
            return ExitCode::FAILURE;
        }
    };
    let backend_kind = options.custom.cluster();
    let prepared = tokio::select! {
        prepared = Backend::prepare(&options.custom) => prepared,
        why = interrupt.wait() => return interrupted(&why).await,
    };
    let backend = match prepared {
        Ok(backend) => Rc::new(backend),
        Err(failure) => {
            eprintln!(
                "conformance: the {} backend cannot run:\n{failure}",
                backend_kind.name()
            );
            remove_containers().await;
            return ExitCode::FAILURE;
        }
    };
    let run_modes = options.custom.mode;
    let backend_modes = backend.modes(run_modes);
    println!(
        "conformance: {} backend in {} mode, harness self-checks passed ({checks}), timeout factor {}",
        backend.kind().name(),
        backend_modes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" and "),
        timing::factor()
    );

    // cucumber applies `--name` or `--tags` instead of the filter given to `filter_run`, so
    // they are taken out of its options and applied here, before the harness's own rules:
    // a backend's skips and `@pending` hold whatever the selection.
    let selection = Rc::new(Selection {
        name: options.re_filter.take(),
        tags: options.tags_filter.take(),
    });
    // Scenario runs that finished, each once however often `--retry` ran it.
    let finished: Rc<RefCell<HashSet<RunId>>> = Rc::default();
    let not_run: Rc<RefCell<BTreeMap<modes::NotRun, Vec<String>>>> = Rc::default();
    let (backend_for_hook, finished_for_hook, not_run_for_filter) =
        (backend.clone(), finished.clone(), not_run.clone());
    let selection_for_filter = selection.clone();
    let backend_for_logs = backend.clone();
    let serial_runs_alone = backend.shares_clusters();

    let run = ConformanceWorld::cucumber::<&str>()
        .with_parser(modes::ModeParser {
            modes: backend_modes.clone(),
            support: backend.support(),
            // `@pending` scenarios (a known divergence of the product, see the scenario's
            // comment) run only when a --tags filter is given, e.g. `--tags @pending`.
            pending_left_out: selection.tags.is_none(),
        })
        .with_writer(
            writer::Basic::raw(std::io::stdout(), writer::Coloring::Auto, 0)
                .summarized()
                .tee::<ConformanceWorld, _>(writer::JUnit::for_tee(junit.clone(), 0))
                .normalized(),
        )
        .fail_on_skipped()
        .which_scenario(move |feature, rule, scenario| {
            let left_out = modes::is_left_out(scenario);
            if serial_runs_alone
                && !left_out
                && all_tags(feature, rule, scenario).any(|t| t == SERIAL_TAG)
            {
                ScenarioType::Serial
            } else {
                ScenarioType::Concurrent
            }
        })
        .before(move |feature, rule, scenario, world| {
            let backend = backend_for_hook.clone();
            let id = scenario_id(feature, scenario);
            let options = ScenarioOptions::from_tags(all_tags(feature, rule, scenario));
            let left_out = modes::is_left_out(scenario);
            Box::pin(async move {
                if left_out {
                    return;
                }
                let options = options.unwrap_or_else(|failure| panic!("{failure}"));
                if let Err(failure) = world.start(&backend, id, options).await {
                    panic!("starting the scenario's cluster: {failure}");
                }
            })
        })
        .after(move |feature, _, scenario, event, world| {
            if !modes::is_left_out(scenario) {
                finished_for_hook.borrow_mut().insert((
                    feature.path.clone(),
                    scenario.position.line,
                    scenario.position.col,
                    scenario.name.clone(),
                ));
            }
            let failed = matches!(
                event,
                cucumber::event::ScenarioFinished::StepFailed(..)
                    | cucumber::event::ScenarioFinished::BeforeHookFailed(_)
            );
            let backend = backend_for_logs.clone();
            let name = scenario.name.clone();
            Box::pin(async move {
                if failed {
                    if let Some(logs) = backend.failure_logs().await {
                        eprintln!("conformance: scenario {name:?} failed; the cluster's container:\n{logs}");
                    }
                }
                if let Some(world) = world {
                    world.finish().await;
                }
            })
        })
        .with_cli(options)
        .filter_run(FEATURES, move |feature, rule, scenario| {
            let tags: Vec<&String> = all_tags(feature, rule, scenario).collect();
            if !selection_for_filter.selects(&scenario.name, &tags) {
                return false;
            }
            // A left-out run is shown as skipped.
            if let Some(reason) = modes::NotRun::of(tags.iter().copied()) {
                not_run_for_filter
                    .borrow_mut()
                    .entry(reason)
                    .or_default()
                    .push(scenario.name.clone());
            }
            true
        });
    let result = tokio::select! {
        result = run => result,
        why = interrupt.wait() => {
            drop(backend);
            return interrupted(&why).await;
        }
    };
    drop(backend);
    remove_containers().await;

    let _ = junit.flush();
    println!(
        "conformance: {} scenario run(s) on the {} backend in {:.2} s",
        finished.borrow().len(),
        backend_kind.name(),
        started.elapsed().as_secs_f64()
    );
    for (reason, names) in not_run.borrow().iter() {
        let why = match reason {
            modes::NotRun::Mode(_) => format!(
                "this run covers {} mode only",
                modes::modes_text(&backend_modes)
            ),
            modes::NotRun::Pending => format!(
                "tagged @{} (known product divergences; run them with --tags @{})",
                modes::PENDING_TAG,
                modes::PENDING_TAG
            ),
            modes::NotRun::Unsupported(need) => format!(
                "they need {}, which the {} backend does not have",
                need.describe(),
                backend_kind.name()
            ),
        };
        let mode = match reason {
            modes::NotRun::Mode(mode) => format!(" in {mode} mode"),
            _ => String::new(),
        };
        println!(
            "conformance: {} scenario run(s){mode} not run (skipped): {why}: {}",
            names.len(),
            name_list(names)
        );
    }
    if finished.borrow().is_empty() && !result.execution_has_failed() {
        // A gate that checked nothing must not pass: a mistyped --name or --tags, or a
        // backend that can run none of the selected scenarios.
        println!("conformance: FAILED (no scenario ran: the --name or --tags given selected none, or every selected one was left out, as listed above; --name is a regular expression matched against `<scenario name> [legacy]` and `<scenario name> [bound]`, so `(`, `)`, `[`, `]`, `^` and `$` in it need escaping)");
        return ExitCode::FAILURE;
    }
    if result.execution_has_failed() {
        println!(
            "conformance: FAILED ({} step(s) failed, {} parsing error(s), {} hook error(s))",
            result.failed_steps(),
            result.parsing_errors(),
            result.hook_errors()
        );
        ExitCode::FAILURE
    } else {
        println!("conformance: ok");
        ExitCode::SUCCESS
    }
}
