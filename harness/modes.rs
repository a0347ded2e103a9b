//! Service-account modes of a run: each scenario runs in the modes it applies to
//! (`@legacy` only legacy, `@bound` only bound, untagged in both), each as its own test
//! case named `<scenario> [<mode>]`, also in the JUnit report.
//!
//! The expansion happens when features are parsed ([`ModeParser`]): a scenario becomes
//! one copy per mode, its name suffixed and the mode's tag added, so that the rest of the
//! runner (filters, hooks, writers) sees ordinary scenarios.

use futures::{FutureExt as _, StreamExt as _};
use kube_sa::Mode;

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

/// cucumber's parser, with every scenario expanded into its modes among `modes`.
pub struct ModeParser {
    /// The modes the backend runs scenarios in.
    pub modes: Vec<Mode>,
    /// Where the runs of the other modes are recorded, for the run's summary.
    pub left_out: LeftOut,
}

/// A scenario run in a mode the run does not cover: its name with the mode's suffix and
/// all its tags (feature's, rule's, its own, the mode's).
#[derive(Debug, Clone)]
pub struct LeftOutRun {
    pub name: String,
    pub mode: Mode,
    pub tags: Vec<String>,
}

/// The runs [`ModeParser`] left out, shared with the runner that reports them.
pub type LeftOut = std::sync::Arc<std::sync::Mutex<Vec<LeftOutRun>>>;

impl<I: AsRef<std::path::Path>> cucumber::Parser<I> for ModeParser {
    type Cli = cucumber::parser::basic::Cli;
    type Output =
        futures::stream::BoxStream<'static, cucumber::parser::Result<cucumber::gherkin::Feature>>;

    fn parse(self, input: I, cli: Self::Cli) -> Self::Output {
        let (modes, left_out) = (self.modes, self.left_out);
        let features = cucumber::Parser::parse(cucumber::parser::Basic::new(), input, cli).map(
            move |feature| {
                feature.map(|feature| {
                    let mut dropped = Vec::new();
                    let feature = expand_feature(feature, &modes, &mut dropped);
                    left_out
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .extend(dropped);
                    feature
                })
            },
        );
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

/// Tag (on a feature or a scenario): the scenario takes seconds by design (a chaos run).
/// Its feature starts before the features without the tag, so that a run does not last
/// the slow scenario's late start plus its duration.
pub const SLOW_TAG: &str = "slow";

fn is_slow(feature: &cucumber::gherkin::Feature) -> bool {
    feature.tags.iter().any(|t| t == SLOW_TAG)
        || feature
            .scenarios
            .iter()
            .chain(feature.rules.iter().flat_map(|r| &r.scenarios))
            .any(|s| s.tags.iter().any(|t| t == SLOW_TAG))
}

/// Every scenario of `feature` (and of its rules) once per mode it runs in among `modes`;
/// the runs in its other modes are added to `left_out`.
pub fn expand_feature(
    mut feature: cucumber::gherkin::Feature,
    modes: &[Mode],
    left_out: &mut Vec<LeftOutRun>,
) -> cucumber::gherkin::Feature {
    let feature_tags = feature.tags.clone();
    feature.scenarios = expand(&feature.scenarios, &feature_tags, &[], modes, left_out);
    for rule in &mut feature.rules {
        rule.scenarios = expand(&rule.scenarios, &feature_tags, &rule.tags, modes, left_out);
    }
    feature
}

fn expand(
    scenarios: &[cucumber::gherkin::Scenario],
    feature_tags: &[String],
    rule_tags: &[String],
    modes: &[Mode],
    left_out: &mut Vec<LeftOutRun>,
) -> Vec<cucumber::gherkin::Scenario> {
    let mut out = Vec::with_capacity(scenarios.len() * 2);
    for scenario in scenarios {
        let tags = feature_tags.iter().chain(rule_tags).chain(&scenario.tags);
        let applies = applicable(tags);
        let both = applies.len() == 2;
        for mode in &applies {
            let mut copy = scenario.clone();
            copy.name = format!("{}{}", scenario.name, suffix(*mode));
            // The copy's mode tag goes last, where it outranks a tag of the other mode on
            // the feature or the scenario.
            copy.tags.retain(|t| t != tag(*mode));
            copy.tags.push(tag(*mode).to_string());
            if both {
                copy.tags.push(BOTH_MODES_TAG.to_string());
            }
            if modes.contains(mode) {
                out.push(copy);
            } else {
                left_out.push(LeftOutRun {
                    tags: feature_tags
                        .iter()
                        .chain(rule_tags)
                        .chain(&copy.tags)
                        .cloned()
                        .collect(),
                    name: copy.name,
                    mode: *mode,
                });
            }
        }
    }
    out
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
    Ok(())
}
