//! The deprecated-API warning: every request that reaches a deprecated kind's handlers
//! (all verbs, errors included) carries `<group/version> <Kind> is deprecated in
//! v<major>.<minor>+[, unavailable in v<major>.<minor>+][; use <group/version> <Kind>]`,
//! as upstream's installer adds it from the type's `prerelease-lifecycle-gen` tags
//! (k8s.io/apiserver/pkg/endpoints/deprecation/deprecation.go, `IsDeprecated` and
//! `WarningMessage`, wired in pkg/endpoints/installer.go). A kind declares its lifecycle
//! through [`super::kinds::Strategy::lifecycle`]: Endpoints (1.33) and ComponentStatus
//! (1.19) do.

use super::discovery::{VERSION_MAJOR, VERSION_MINOR};
use super::kinds::ResourceInfo;

/// A Kubernetes release, `(major, minor)`.
pub type Release = (u32, u32);

/// A kind's lifecycle tags (upstream's `APILifecycleDeprecated`, `APILifecycleRemoved`,
/// `APILifecycleReplacement`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifecycle {
    /// The release the kind is deprecated in.
    pub deprecated: Release,
    /// The release it is no longer served in, if one is announced.
    pub removed: Option<Release>,
    /// What to use instead: (`group/version`, or `v1` for the core group; kind).
    pub replacement: Option<(&'static str, &'static str)>,
}

/// The release this server is (what `/version` reports).
pub fn served_release() -> Release {
    // The constants are digits; a parse failure would be a typo caught by the tests.
    (
        VERSION_MAJOR.parse().unwrap_or(0),
        VERSION_MINOR.parse().unwrap_or(0),
    )
}

/// Upstream's `IsDeprecated`: the deprecation release is at or before `current`; a zero
/// deprecation release is none, a zero current release knows nothing and warns.
pub fn is_deprecated(lifecycle: &Lifecycle, current: Release) -> bool {
    if lifecycle.deprecated == (0, 0) {
        return false;
    }
    current == (0, 0) || lifecycle.deprecated <= current
}

/// Upstream's `WarningMessage` for `info`'s kind.
pub fn warning_message(info: &ResourceInfo, lifecycle: &Lifecycle) -> String {
    let (major, minor) = lifecycle.deprecated;
    let mut text = format!(
        "{} {} is deprecated in v{major}.{minor}+",
        info.api_version(),
        info.kind
    );
    if let Some((major, minor)) = lifecycle.removed.filter(|r| *r != (0, 0)) {
        text.push_str(&format!(", unavailable in v{major}.{minor}+"));
    }
    if let Some((group_version, kind)) = lifecycle.replacement {
        text.push_str(&format!("; use {group_version} {kind}"));
    }
    text
}

/// The warning a request on `info` carries in this server's release, if any.
pub fn warning_for(info: &ResourceInfo) -> Option<String> {
    let lifecycle = info.strategy.lifecycle()?;
    is_deprecated(&lifecycle, served_release()).then(|| warning_message(info, &lifecycle))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::kinds::builtin::{COMPONENT_STATUSES, DEPLOYMENTS};
    use crate::apiserver::kinds::{ENDPOINTS, PODS};

    #[test]
    fn the_served_release_is_the_version_reported() {
        assert_eq!(served_release(), (1, 33));
    }

    #[test]
    fn deprecation_starts_at_its_release() {
        let at = |deprecated| Lifecycle {
            deprecated,
            removed: None,
            replacement: None,
        };
        let cases = [
            ((1, 33), (1, 33), true),
            ((1, 33), (1, 32), false),
            ((1, 33), (1, 34), true),
            ((1, 33), (2, 0), true),
            ((2, 0), (1, 99), false),
            ((0, 0), (1, 33), false),
            ((1, 33), (0, 0), true),
        ];
        for (deprecated, current, expected) in cases {
            assert_eq!(
                is_deprecated(&at(deprecated), current),
                expected,
                "deprecated in {deprecated:?}, serving {current:?}"
            );
        }
    }

    #[test]
    fn messages_are_upstreams() {
        let cases = [
            (
                Lifecycle {
                    deprecated: (1, 33),
                    removed: None,
                    replacement: Some(("discovery.k8s.io/v1", "EndpointSlice")),
                },
                "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice",
            ),
            (
                Lifecycle {
                    deprecated: (1, 19),
                    removed: None,
                    replacement: None,
                },
                "v1 Endpoints is deprecated in v1.19+",
            ),
            (
                Lifecycle {
                    deprecated: (1, 21),
                    removed: Some((1, 25)),
                    replacement: Some(("policy/v1", "PodDisruptionBudget")),
                },
                "v1 Endpoints is deprecated in v1.21+, unavailable in v1.25+; use policy/v1 PodDisruptionBudget",
            ),
        ];
        for (lifecycle, expected) in cases {
            assert_eq!(warning_message(&ENDPOINTS, &lifecycle), expected);
        }
    }

    #[test]
    fn endpoints_and_component_statuses_warn_and_others_do_not() {
        assert_eq!(
            warning_for(&ENDPOINTS).as_deref(),
            Some("v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice")
        );
        assert_eq!(warning_for(&PODS), None);
        assert_eq!(
            warning_for(&COMPONENT_STATUSES).as_deref(),
            Some("v1 ComponentStatus is deprecated in v1.19+")
        );
        assert_eq!(warning_for(&DEPLOYMENTS), None);
    }
}
