//! Service-account modes of a run: each scenario runs in the modes it applies to
//! (`@legacy` only legacy, `@bound` only bound, untagged in both), each as its own test
//! case named `<scenario> [<mode>]`, also in the JUnit report.
//!
//! The expansion happens when features are parsed ([`ModeParser`]): a scenario becomes
//! one copy per mode, its name suffixed and the mode's tag added, so that the rest of the
//! runner (filters, hooks, writers) sees ordinary scenarios.

use futures::{FutureExt as _, StreamExt as _};
use kube_sa::Mode;

use crate::backends::{ScenarioOptions, Support, Unsupported};

/// Tag: the scenario runs in legacy mode only.
pub const LEGACY_TAG: &str = "legacy";
/// Tag: the scenario runs in bound mode only.
pub const BOUND_TAG: &str = "bound";
/// Tag the expansion adds to both copies of an untagged scenario.
pub const BOTH_MODES_TAG: &str = "both-modes";

/// `--mode`: which modes the run covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum RunModes {
    /// Legacy (Kubernetes v1.8) only.
    Legacy,
    /// Bound (Kubernetes 1.33) only.
    Bound,
    /// Both (the default): every scenario in each mode it applies to.
    #[default]
    Both,
}

impl RunModes {
    /// The modes, legacy first.
    pub fn modes(self) -> &'static [Mode] {
        match self {
            RunModes::Legacy => &[Mode::Legacy],
            RunModes::Bound => &[Mode::Bound],
            RunModes::Both => &[Mode::Legacy, Mode::Bound],
        }
    }

    /// The one mode, when only one is asked for.
    pub fn single(self) -> Option<Mode> {
        match self {
            RunModes::Legacy => Some(Mode::Legacy),
            RunModes::Bound => Some(Mode::Bound),
            RunModes::Both => None,
        }
    }
}

/// ` [legacy]` or ` [bound]`: what a scenario's name gets in each mode.
pub fn suffix(mode: Mode) -> String {
    format!(" [{mode}]")
}

/// The scenario's name without its mode suffix.
pub fn strip_suffix(name: &str) -> &str {
    [Mode::Legacy, Mode::Bound]
        .iter()
        .find_map(|mode| name.strip_suffix(&suffix(*mode)))
        .unwrap_or(name)
}

/// The modes a scenario with these tags (its own, its rule's and its feature's) runs in:
/// both when neither mode tag is present.
pub fn applicable<'a>(tags: impl IntoIterator<Item = &'a String>) -> Vec<Mode> {
    let (mut legacy, mut bound) = (false, false);
    for tag in tags {
        legacy |= tag == LEGACY_TAG;
        bound |= tag == BOUND_TAG;
    }
    match (legacy, bound) {
        (true, false) => vec![Mode::Legacy],
        (false, true) => vec![Mode::Bound],
        _ => vec![Mode::Legacy, Mode::Bound],
    }
}

fn tag(mode: Mode) -> &'static str {
    match mode {
        Mode::Legacy => LEGACY_TAG,
        Mode::Bound => BOUND_TAG,
    }
}

/// cucumber's parser, with every scenario expanded into its modes. The runs this backend
/// cannot make (a mode the run does not cover, a need the backend does not meet) go into a
/// feature of their own, [`not_run_feature`], where they are reported as skipped.
pub struct ModeParser {
    /// The modes the backend runs scenarios in.
    pub modes: Vec<Mode>,
    /// What the backend can run.
    pub support: Support,
    /// `@pending` scenarios are left out (no `--tags` filter was given).
    pub pending_left_out: bool,
}

impl<I: AsRef<std::path::Path>> cucumber::Parser<I> for ModeParser {
    type Cli = cucumber::parser::basic::Cli;
    type Output =
        futures::stream::BoxStream<'static, cucumber::parser::Result<cucumber::gherkin::Feature>>;

    fn parse(self, input: I, cli: Self::Cli) -> Self::Output {
        let (modes, support, pending_left_out) = (self.modes, self.support, self.pending_left_out);
        let features = cucumber::Parser::parse(cucumber::parser::Basic::new(), input, cli)
            .flat_map(move |feature| {
                let expanded: Vec<_> = match feature {
                    Ok(feature) => {
                        let mut not_run = Vec::new();
                        let context = Expansion {
                            modes: &modes,
                            support: &support,
                            pending_left_out,
                        };
                        let feature = context.expand_feature(feature, &mut not_run);
                        let left_out = not_run_feature(&feature, not_run);
                        std::iter::once(Ok(feature))
                            .chain(left_out.map(Ok))
                            .collect()
                    }
                    Err(error) => vec![Err(error)],
                };
                futures::stream::iter(expanded)
            });
        // Every feature is parsed before the first scenario starts anyway; collecting them
        // lets the slow ones go first.
        features
            .collect::<Vec<_>>()
            .map(|mut features| {
                features.sort_by_key(|feature| !feature.as_ref().is_ok_and(is_slow));
                futures::stream::iter(features)
            })
            .flatten_stream()
            .boxed()
    }
}

/// Tag of scenarios that state the contract but fail because of a known product divergence.
pub const PENDING_TAG: &str = "pending";

/// Tag of a scenario run that this run leaves out ([`NOT_RUN_TAG`]`:<reason key>` beside
/// it says why): it is reported as skipped and starts no cluster.
pub const NOT_RUN_TAG: &str = "not-run";
/// Whether `scenario` is a run the parser left out (see [`NOT_RUN_TAG`]).
pub fn is_left_out(scenario: &cucumber::gherkin::Scenario) -> bool {
    scenario.tags.iter().any(|t| t == NOT_RUN_TAG)
}

/// cucumber's tag that lets a scenario's steps be skipped without failing the run.
const ALLOW_SKIPPED_TAG: &str = "allow.skipped";
/// What a feature's own use of a tag reserved for left-out runs becomes: a tag the
/// scenario's before hook refuses ([`crate::backends::ScenarioOptions::from_tags`]), so
/// that no scenario can skip an undefined step or pass for a left-out run.
pub const RESERVED_TAG_PREFIX: &str = "reserved-tag-used:";

/// Renames, in a feature's tags, those the harness keeps for the runs it leaves out.
fn disarm_reserved_tags(tags: &mut [String]) {
    for tag in tags {
        if tag == ALLOW_SKIPPED_TAG
            || tag == NOT_RUN_TAG
            || tag.starts_with(&format!("{NOT_RUN_TAG}:"))
        {
            *tag = format!("{RESERVED_TAG_PREFIX}{tag}");
        }
    }
}

/// Why a scenario run is left out (ordered as the summary lists them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotRun {
    /// The run does not cover the mode (`--mode`, or the shared clusters' modes).
    Mode(Mode),
    /// Tagged `@pending`, and no `--tags` filter given.
    Pending,
    /// The backend cannot give the scenario what its tags ask for.
    Unsupported(Unsupported),
}

impl Ord for NotRun {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let rank = |reason: &NotRun| NotRun::ALL.iter().position(|r| r == reason);
        rank(self).cmp(&rank(other))
    }
}

impl PartialOrd for NotRun {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl NotRun {
    const ALL: [NotRun; 9] = [
        NotRun::Mode(Mode::Legacy),
        NotRun::Mode(Mode::Bound),
        NotRun::Pending,
        NotRun::Unsupported(Unsupported::WithoutControllers),
        NotRun::Unsupported(Unsupported::EmbeddedOnly),
        NotRun::Unsupported(Unsupported::AdmissionSwitches),
        NotRun::Unsupported(Unsupported::Mode),
        NotRun::Unsupported(Unsupported::MovableClock),
        NotRun::Unsupported(Unsupported::ClusterKey),
    ];

    /// The tag that records this reason on a left-out run.
    pub fn tag(self) -> String {
        let key = match self {
            NotRun::Mode(Mode::Legacy) => "legacy-mode",
            NotRun::Mode(Mode::Bound) => "bound-mode",
            NotRun::Pending => PENDING_TAG,
            NotRun::Unsupported(Unsupported::WithoutControllers) => "without-controllers",
            NotRun::Unsupported(Unsupported::EmbeddedOnly) => "embedded-only",
            NotRun::Unsupported(Unsupported::AdmissionSwitches) => "admission",
            NotRun::Unsupported(Unsupported::Mode) => "no-cluster-in-mode",
            NotRun::Unsupported(Unsupported::MovableClock) => "fake-clock",
            NotRun::Unsupported(Unsupported::ClusterKey) => "cluster-key",
        };
        format!("{NOT_RUN_TAG}:{key}")
    }

    /// The reason a left-out run's tags record, if they record one.
    pub fn of<'a>(tags: impl IntoIterator<Item = &'a String>) -> Option<NotRun> {
        let tags: Vec<&String> = tags.into_iter().collect();
        Self::ALL
            .into_iter()
            .find(|reason| tags.iter().any(|t| **t == reason.tag()))
    }

    /// The step text that shows a left-out run's reason in the report.
    fn step_text(self, modes: &[Mode]) -> String {
        match self {
            NotRun::Mode(_) => format!(
                "this run leaves the scenario out: it covers {} mode only",
                modes_text(modes)
            ),
            NotRun::Pending => format!(
                "this run leaves the scenario out: it is @{PENDING_TAG} (a known product divergence; run it with --tags @{PENDING_TAG})"
            ),
            NotRun::Unsupported(reason) => format!(
                "this run leaves the scenario out: it needs {}, which the backend does not have",
                reason.describe()
            ),
        }
    }
}

/// `legacy and bound`, `bound`.
pub fn modes_text(modes: &[Mode]) -> String {
    modes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" and ")
}

/// The runs left out of `feature` as a feature of their own (no background, so nothing
/// runs), named after it with ` (not run)`: each is one skipped step that says why, so
/// the console, the summary counts and the JUnit report (`<skipped/>`) show it.
fn not_run_feature(
    feature: &cucumber::gherkin::Feature,
    not_run: Vec<cucumber::gherkin::Scenario>,
) -> Option<cucumber::gherkin::Feature> {
    if not_run.is_empty() {
        return None;
    }
    Some(cucumber::gherkin::Feature {
        name: format!("{} (not run)", feature.name),
        description: None,
        background: None,
        scenarios: not_run,
        rules: Vec::new(),
        ..feature.clone()
    })
}

/// Tag (on a feature or a scenario): the scenario takes seconds by design (a chaos run).
/// Its feature starts before the features without the tag, so that a run does not last
/// the slow scenario's late start plus its duration.
pub const SLOW_TAG: &str = "slow";

/// Whether a scenario the feature runs is slow (a left-out run takes no time).
fn is_slow(feature: &cucumber::gherkin::Feature) -> bool {
    let has = |tags: &[String], wanted: &str| tags.iter().any(|t| t == wanted);
    feature
        .scenarios
        .iter()
        .chain(feature.rules.iter().flat_map(|r| &r.scenarios))
        .filter(|s| !is_left_out(s))
        .any(|s| has(&feature.tags, SLOW_TAG) || has(&s.tags, SLOW_TAG))
}

/// How features are expanded: every scenario of a feature (and of its rules) once per mode
/// it runs in; the runs this backend does not make (see [`ModeParser`]) are taken out, with
/// their rule's tags, one skipped step in place of their steps, and the tags that say why.
pub struct Expansion<'a> {
    pub modes: &'a [Mode],
    pub support: &'a Support,
    pub pending_left_out: bool,
}

impl Expansion<'_> {
    /// `feature` with the runs it makes; those it leaves out are added to `not_run`.
    pub fn expand_feature(
        &self,
        mut feature: cucumber::gherkin::Feature,
        not_run: &mut Vec<cucumber::gherkin::Scenario>,
    ) -> cucumber::gherkin::Feature {
        disarm_reserved_tags(&mut feature.tags);
        for rule in &mut feature.rules {
            disarm_reserved_tags(&mut rule.tags);
        }
        for scenario in feature.scenarios.iter_mut().chain(
            feature
                .rules
                .iter_mut()
                .flat_map(|r| r.scenarios.iter_mut()),
        ) {
            disarm_reserved_tags(&mut scenario.tags);
            for examples in &mut scenario.examples {
                disarm_reserved_tags(&mut examples.tags);
            }
        }
        let feature_tags = feature.tags.clone();
        feature.scenarios = self.expand(&feature.scenarios, &feature_tags, &[], not_run);
        for rule in &mut feature.rules {
            rule.scenarios = self.expand(&rule.scenarios, &feature_tags, &rule.tags, not_run);
        }
        feature
    }

    fn expand(
        &self,
        scenarios: &[cucumber::gherkin::Scenario],
        feature_tags: &[String],
        rule_tags: &[String],
        not_run: &mut Vec<cucumber::gherkin::Scenario>,
    ) -> Vec<cucumber::gherkin::Scenario> {
        let mut out = Vec::with_capacity(scenarios.len() * 2);
        for scenario in scenarios {
            let tags = feature_tags.iter().chain(rule_tags).chain(&scenario.tags);
            let applies = applicable(tags);
            let both = applies.len() == 2;
            for mode in &applies {
                let mut copy = scenario.clone();
                copy.name = format!("{}{}", scenario.name, suffix(*mode));
                // The copy's mode tag goes last, where it outranks a tag of the other mode
                // on the feature or the scenario.
                copy.tags.retain(|t| t != tag(*mode));
                copy.tags.push(tag(*mode).to_string());
                if both {
                    copy.tags.push(BOTH_MODES_TAG.to_string());
                }
                let tags: Vec<&String> = feature_tags
                    .iter()
                    .chain(rule_tags)
                    .chain(&copy.tags)
                    .collect();
                match self.reason_not_run(*mode, &tags) {
                    None => out.push(copy),
                    Some(reason) => not_run.push(self.left_out(copy, rule_tags, reason)),
                }
            }
        }
        out
    }

    /// Why this backend does not run `copy` (in `mode`), if it does not. A scenario whose
    /// tags are wrong runs, so that its before hook reports them.
    fn reason_not_run(&self, mode: Mode, tags: &[&String]) -> Option<NotRun> {
        if !self.modes.contains(&mode) {
            return Some(NotRun::Mode(mode));
        }
        if self.pending_left_out && tags.iter().any(|t| *t == PENDING_TAG) {
            return Some(NotRun::Pending);
        }
        let options = ScenarioOptions::from_tags(tags.iter().copied()).ok()?;
        self.support
            .supports(&options)
            .err()
            .map(NotRun::Unsupported)
    }

    fn left_out(
        &self,
        mut copy: cucumber::gherkin::Scenario,
        rule_tags: &[String],
        reason: NotRun,
    ) -> cucumber::gherkin::Scenario {
        // The rule is not kept, so its tags move onto the scenario.
        let mut tags: Vec<String> = rule_tags.to_vec();
        tags.append(&mut copy.tags);
        tags.extend([
            NOT_RUN_TAG.to_string(),
            reason.tag(),
            ALLOW_SKIPPED_TAG.to_string(),
        ]);
        copy.tags = tags;
        copy.steps = vec![cucumber::gherkin::Step {
            keyword: "Given ".to_string(),
            ty: cucumber::gherkin::StepType::Given,
            value: reason.step_text(self.modes),
            docstring: None,
            table: None,
            span: copy.span,
            position: copy.position,
        }];
        copy
    }
}

/// The harness self-check of this module (see `selftest.rs`).
pub fn self_check() -> Result<(), String> {
    let strings = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let cases: [(&[&str], &[Mode]); 4] = [
        (&[], &[Mode::Legacy, Mode::Bound]),
        (&["legacy", "x"], &[Mode::Legacy]),
        (&["bound"], &[Mode::Bound]),
        (&["bound", "legacy"], &[Mode::Legacy, Mode::Bound]),
    ];
    for (tags, want) in cases {
        let got = applicable(&strings(tags));
        if got != want {
            return Err(format!("tags {tags:?} gave modes {got:?}, not {want:?}"));
        }
    }
    for (name, want) in [
        ("a b [bound]", "a b"),
        ("a b [legacy]", "a b"),
        ("a b", "a b"),
    ] {
        if strip_suffix(name) != want {
            return Err(format!("{name:?} without its mode is not {want:?}"));
        }
    }
    for reason in NotRun::ALL {
        if NotRun::of(&[reason.tag()]) != Some(reason) {
            return Err(format!(
                "the tag {} does not read back as {reason:?}",
                reason.tag()
            ));
        }
    }
    check_left_out_runs()
}

/// A legacy-only shared cluster runs an untagged scenario's legacy copy and leaves out its
/// bound copy and an `@embedded-only` scenario, each as one skipped step with its reason.
fn check_left_out_runs() -> Result<(), String> {
    let scenario = |name: &str, tags: &[&str]| cucumber::gherkin::Scenario {
        keyword: "Scenario".to_string(),
        name: name.to_string(),
        description: None,
        steps: Vec::new(),
        examples: Vec::new(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        span: Default::default(),
        position: Default::default(),
    };
    let feature = cucumber::gherkin::Feature {
        keyword: "Feature".to_string(),
        name: "f".to_string(),
        description: None,
        background: None,
        scenarios: vec![
            scenario("a", &[]),
            scenario("b", &["embedded-only", "legacy"]),
        ],
        rules: Vec::new(),
        tags: Vec::new(),
        span: Default::default(),
        position: Default::default(),
        path: None,
    };
    let support = Support::Shared(vec![crate::backends::SharedSupport {
        mode: Mode::Legacy,
        movable_clock: true,
        cluster_key: true,
    }]);
    let mut not_run = Vec::new();
    let expansion = Expansion {
        modes: &[Mode::Legacy],
        support: &support,
        pending_left_out: true,
    };
    let runs = expansion.expand_feature(feature, &mut not_run);
    let names = |list: &[cucumber::gherkin::Scenario]| -> Vec<String> {
        list.iter().map(|s| s.name.clone()).collect()
    };
    if names(&runs.scenarios) != ["a [legacy]"] {
        return Err(format!(
            "ran {:?}, not [\"a [legacy]\"]",
            names(&runs.scenarios)
        ));
    }
    let want = [
        ("a [bound]", NotRun::Mode(Mode::Bound)),
        ("b [legacy]", NotRun::Unsupported(Unsupported::EmbeddedOnly)),
    ];
    if names(&not_run) != want.map(|(name, _)| name.to_string()) {
        return Err(format!("left out {:?}", names(&not_run)));
    }
    for (left_out, (_, reason)) in not_run.iter().zip(want) {
        let skippable = left_out.tags.iter().any(|t| t == ALLOW_SKIPPED_TAG);
        let [step] = left_out.steps.as_slice() else {
            return Err(format!(
                "{} keeps {} steps",
                left_out.name,
                left_out.steps.len()
            ));
        };
        if NotRun::of(&left_out.tags) != Some(reason)
            || !skippable
            || !step.value.starts_with("this run leaves the scenario out")
        {
            return Err(format!(
                "{} is not left out as {reason:?}: {:?}",
                left_out.name, left_out.tags
            ));
        }
    }
    Ok(())
}
