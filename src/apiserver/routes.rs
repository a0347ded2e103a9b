//! The API surface, read top to bottom: every path the server answers, parsed into a [`Route`].

use super::healthz::HealthEndpoint;
use super::kinds::{ResourceInfo, NAMESPACES};

/// What a request path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `/version`
    Version,
    /// `/healthz`, `/livez`, `/readyz`, or one of their checks (`/readyz/etcd`).
    Health {
        /// Which of the three.
        endpoint: HealthEndpoint,
        /// The check a sub-path names (`etcd`, `poststarthook/bootstrap-controller`).
        check: Option<String>,
    },
    /// `/api`
    CoreVersions,
    /// `/apis`
    Groups,
    /// `/apis/<group>`
    Group(String),
    /// `/api/v1` or `/apis/<group>/<version>`
    ResourceList {
        /// The API group; empty for the core group (`/api/v1`).
        group: String,
        /// The version, e.g. `v1`.
        version: String,
    },
    /// `/openapi/v2`: an empty protobuf document, so kubectl 1.27/1.28 go on to v3.
    OpenApiV2,
    /// `/openapi/v3`
    OpenApiRoot,
    /// `/openapi/v3/<path>`
    OpenApiDocument(String),
    /// `/debug/clock` (exactly): the fake clock ([`super::debug_clock`]).
    DebugClock,
    /// `/debug/faults` (exactly): injected faults ([`super::debug_faults`]).
    DebugFaults,
    /// `/.well-known/openid-configuration` (exactly): OIDC discovery ([`super::oidc`]).
    OpenIdConfiguration,
    /// `/openid/v1/jwks` (exactly): the verification keys ([`super::oidc`]).
    OpenIdKeys,
    /// `/metrics`: Prometheus metrics ([`crate::metrics`]).
    Metrics,
    /// A collection or an object of a served resource.
    Resource(ResourcePath),
    /// Anything else, including unknown resources and too many segments: a `404`.
    NotFound,
}

/// `/api/v1/namespaces/<ns>/<plural>/<name>/<subresource>` and its shorter forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePath {
    /// The served resource the `<plural>` segment names (in that group and version).
    pub resource: &'static ResourceInfo,
    /// Set for namespaced resources addressed within a namespace.
    pub namespace: Option<String>,
    /// The object's name; `None` for a collection.
    pub name: Option<String>,
    /// The segment after the name, e.g. `status`; not checked against the resource here.
    pub subresource: Option<String>,
}

/// A request path percent-decoded, as Go's `URL.Path` is: routes, authorization and the
/// deprecated watch paths all read this form, so clients that escape path parameters (the
/// Python and JavaScript clients escape `:` in `system:*` names) name the same objects as
/// kubectl does. Bytes that are not UTF-8 become U+FFFD.
pub fn decoded(path: &str) -> std::borrow::Cow<'_, str> {
    percent_encoding::percent_decode_str(path).decode_utf8_lossy()
}

/// Parses a request path (without the query), percent-decoded ([`decoded`]); empty segments
/// and trailing slashes are ignored, except under the health endpoints, which upstream
/// matches exactly. Never fails: an unserved path is [`Route::NotFound`].
pub fn parse(path: &str) -> Route {
    let decoded = decoded(path);
    let path: &str = &decoded;
    // Exact paths, no sub-paths (the discovery documents also with one trailing slash,
    // as go-restful matches them and upstream's bootstrap role lists them).
    let exact = path.strip_suffix('/').unwrap_or(path);
    match (path, exact) {
        (super::debug_clock::PATH, _) => return Route::DebugClock,
        (super::debug_faults::PATH, _) => return Route::DebugFaults,
        (_, super::oidc::CONFIGURATION_PATH) => return Route::OpenIdConfiguration,
        (_, super::oidc::KEYS_PATH) => return Route::OpenIdKeys,
        _ => {}
    }
    let segments: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    if let Some((first, check)) = segments.split_first() {
        if let Some(endpoint) = HealthEndpoint::from_segment(first) {
            // Upstream registers `/readyz` and `/readyz/<check>` on a mux that matches
            // paths exactly: `/readyz/` or `/readyz//ping` is no endpoint of it.
            if path.ends_with('/') || path.contains("//") {
                return Route::NotFound;
            }
            return Route::Health {
                endpoint,
                check: (!check.is_empty()).then(|| check.join("/")),
            };
        }
    }
    match segments.as_slice() {
        ["version"] => Route::Version,
        ["metrics"] => Route::Metrics,
        ["api"] => Route::CoreVersions,
        ["api", version] => Route::ResourceList {
            group: String::new(),
            version: version.to_string(),
        },
        ["api", version, rest @ ..] => resource_route("", version, rest),
        ["apis"] => Route::Groups,
        ["apis", group] => Route::Group(group.to_string()),
        ["apis", group, version] => Route::ResourceList {
            group: group.to_string(),
            version: version.to_string(),
        },
        ["apis", group, version, rest @ ..] => resource_route(group, version, rest),
        ["openapi", "v2"] => Route::OpenApiV2,
        ["openapi", "v3"] => Route::OpenApiRoot,
        ["openapi", "v3", rest @ ..] => Route::OpenApiDocument(rest.join("/")),
        _ => Route::NotFound,
    }
}

fn resource_route(group: &str, version: &str, rest: &[&str]) -> Route {
    let found = |plural: &str| ResourceInfo::find(group, version, plural);
    let path = |resource: &'static ResourceInfo,
                namespace: Option<&str>,
                name: Option<&str>,
                sub: Option<&str>| {
        Route::Resource(ResourcePath {
            resource,
            namespace: namespace.map(str::to_string),
            name: name.map(str::to_string),
            subresource: sub.map(str::to_string),
        })
    };
    match rest {
        // Namespaced resources within a namespace come first: `namespaces/<ns>/<plural>...`.
        ["namespaces", ns, plural, tail @ ..] if found(plural).is_some_and(|r| r.namespaced) => {
            let resource = found(plural).unwrap_or(&NAMESPACES);
            match tail {
                [] => path(resource, Some(ns), None, None),
                [name] => path(resource, Some(ns), Some(name), None),
                [name, sub] => path(resource, Some(ns), Some(name), Some(sub)),
                _ => Route::NotFound,
            }
        }
        [plural, tail @ ..] => match found(plural) {
            None => Route::NotFound,
            Some(resource) => match tail {
                [] => path(resource, None, None, None),
                // A namespaced resource is listed across namespaces only as a collection.
                [_, ..] if resource.namespaced => Route::NotFound,
                [name] => path(resource, None, Some(name), None),
                [name, sub] => path(resource, None, Some(name), Some(sub)),
                _ => Route::NotFound,
            },
        },
        [] => Route::NotFound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::kinds::{PODS, SELF_SUBJECT_REVIEWS};

    fn res(
        resource: &'static ResourceInfo,
        ns: Option<&str>,
        name: Option<&str>,
        sub: Option<&str>,
    ) -> Route {
        Route::Resource(ResourcePath {
            resource,
            namespace: ns.map(Into::into),
            name: name.map(Into::into),
            subresource: sub.map(Into::into),
        })
    }

    #[test]
    fn paths_parse_into_routes() {
        let cases = [
            ("/version", Route::Version),
            (
                "/readyz/ping",
                Route::Health {
                    endpoint: HealthEndpoint::Readyz,
                    check: Some("ping".into()),
                },
            ),
            (
                "/livez/poststarthook/rbac/bootstrap-roles",
                Route::Health {
                    endpoint: HealthEndpoint::Livez,
                    check: Some("poststarthook/rbac/bootstrap-roles".into()),
                },
            ),
            (
                "/healthz",
                Route::Health {
                    endpoint: HealthEndpoint::Healthz,
                    check: None,
                },
            ),
            ("/readyz/", Route::NotFound),
            ("/livez//ping", Route::NotFound),
            ("/api", Route::CoreVersions),
            (
                "/api/v1",
                Route::ResourceList {
                    group: "".into(),
                    version: "v1".into(),
                },
            ),
            ("/apis", Route::Groups),
            (
                "/apis/authentication.k8s.io",
                Route::Group("authentication.k8s.io".into()),
            ),
            ("/api/v1/pods", res(&PODS, None, None, None)),
            ("/api/v1/namespaces", res(&NAMESPACES, None, None, None)),
            (
                "/api/v1/namespaces/a",
                res(&NAMESPACES, None, Some("a"), None),
            ),
            (
                "/api/v1/namespaces/a/finalize",
                res(&NAMESPACES, None, Some("a"), Some("finalize")),
            ),
            (
                "/api/v1/namespaces/a/pods",
                res(&PODS, Some("a"), None, None),
            ),
            (
                "/api/v1/namespaces/a/pods/p",
                res(&PODS, Some("a"), Some("p"), None),
            ),
            (
                "/api/v1/namespaces/a/pods/p/status",
                res(&PODS, Some("a"), Some("p"), Some("status")),
            ),
            (
                "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                res(&SELF_SUBJECT_REVIEWS, None, None, None),
            ),
            ("/api/v1/pods/p", Route::NotFound),
            ("/api/v1/widgets", Route::NotFound),
            ("/api/v2/pods", Route::NotFound),
            (
                "/openapi/v3/api/v1",
                Route::OpenApiDocument("api/v1".into()),
            ),
            ("/nope", Route::NotFound),
            ("/debug/clock", Route::DebugClock),
            ("/debug/clock/x", Route::NotFound),
            ("/debug/faults", Route::DebugFaults),
            ("/debug/faults/x", Route::NotFound),
            (
                "/.well-known/openid-configuration",
                Route::OpenIdConfiguration,
            ),
            ("/.well-known", Route::NotFound),
            ("/openid/v1/jwks", Route::OpenIdKeys),
            ("/openid/v1/jwks/foo", Route::NotFound),
            ("/openid/v1/jwks/", Route::OpenIdKeys),
            ("/openid/v1/jwks//", Route::NotFound),
        ];
        for (path, expected) in cases {
            assert_eq!(parse(path), expected, "{path}");
        }
    }
}
