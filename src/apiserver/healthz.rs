//! `/healthz`, `/livez` and `/readyz` with their checks, as
//! `k8s.io/apiserver/pkg/server/healthz` serves them: the root path runs every check
//! (`?verbose` lists them, `?exclude=<name>` skips one), `/<endpoint>/<check>` runs one,
//! any other sub-path is 404.
//!
//! The checks are the ones this server really has, under upstream's names and in
//! kube-apiserver's order: `ping`, `log`, `etcd` (the store), the post-start hooks whose
//! work the server does before it serves (system namespaces, legacy-token tracking, the
//! bootstrap RBAC policy, the system priority classes, the `kubernetes` Service) and, in
//! `/readyz` only, `etcd-readiness` and `shutdown` (failing once the server has been told
//! to stop). Upstream's other checks (informers, flow control, the aggregator, KMS) belong
//! to parts this server does not have, so they are not listed.

use http::{Response, StatusCode};

use super::errors::ApiError;
use super::http::{bytes_response, not_found_path, Body};

/// Which of the three health endpoints a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthEndpoint {
    /// `/healthz` (deprecated upstream in favour of the other two, still served).
    Healthz,
    /// `/livez`
    Livez,
    /// `/readyz`
    Readyz,
}

impl HealthEndpoint {
    /// The endpoint of a path's first segment (`healthz`, `livez`, `readyz`).
    pub fn from_segment(segment: &str) -> Option<Self> {
        match segment {
            "healthz" => Some(Self::Healthz),
            "livez" => Some(Self::Livez),
            "readyz" => Some(Self::Readyz),
            _ => None,
        }
    }

    /// `healthz`, `livez` or `readyz`, as the closing line names it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Healthz => "healthz",
            Self::Livez => "livez",
            Self::Readyz => "readyz",
        }
    }
}

/// The post-start hooks a server ran before it served, in kube-apiserver's order.
#[derive(Debug, Clone, Copy, Default)]
pub struct PostStartHooks {
    /// `start-legacy-token-tracking-controller` (bound mode).
    pub legacy_token_tracking: bool,
    /// `rbac/bootstrap-roles` (the RBAC authorizer with its bootstrap policy).
    pub rbac_bootstrap_roles: bool,
}

impl PostStartHooks {
    fn names(self) -> impl Iterator<Item = &'static str> {
        [
            Some("poststarthook/start-system-namespaces-controller"),
            self.legacy_token_tracking
                .then_some("poststarthook/start-legacy-token-tracking-controller"),
            self.rbac_bootstrap_roles
                .then_some("poststarthook/rbac/bootstrap-roles"),
            Some("poststarthook/scheduling/bootstrap-system-priority-classes"),
            Some("poststarthook/bootstrap-controller"),
        ]
        .into_iter()
        .flatten()
    }
}

/// The server's health checks.
#[derive(Debug, Clone, Copy)]
pub struct HealthChecks {
    hooks: PostStartHooks,
}

impl HealthChecks {
    /// The checks of a server that ran `hooks` before serving.
    pub fn new(hooks: PostStartHooks) -> Self {
        Self { hooks }
    }

    /// The names of `endpoint`'s checks, in the order they run and are listed.
    pub fn names(self, endpoint: HealthEndpoint) -> Vec<&'static str> {
        let readyz = endpoint == HealthEndpoint::Readyz;
        let mut names = vec!["ping", "log", "etcd"];
        if readyz {
            names.push("etcd-readiness");
        }
        names.extend(self.hooks.names());
        if readyz {
            names.push("shutdown");
        }
        names
    }

    /// Answers `path` (`/readyz`, `/readyz/etcd`, ...) with `raw_query` (for `verbose` and
    /// `exclude`); `stopping` is whether the server has been told to stop.
    ///
    /// # Errors
    ///
    /// 404 NotFound for a sub-path that names no check of the endpoint.
    pub fn answer(
        self,
        endpoint: HealthEndpoint,
        check: Option<&str>,
        raw_query: &str,
        stopping: bool,
    ) -> Result<Response<Body>, ApiError> {
        let names = self.names(endpoint);
        let run = |name: &str| -> Result<(), &'static str> {
            match name {
                "shutdown" if stopping => Err("process is shutting down"),
                _ => Ok(()),
            }
        };
        if let Some(check) = check {
            if !names.contains(&check) {
                return Err(not_found_path());
            }
            return Ok(match run(check) {
                Ok(()) => text(StatusCode::OK, "ok".to_string()),
                Err(reason) => text(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("internal server error: {reason}\n"),
                ),
            });
        }

        let mut verbose = false;
        let mut excluded: Vec<String> = Vec::new();
        for (key, value) in form_urlencoded::parse(raw_query.as_bytes()) {
            match &*key {
                "verbose" => verbose = true,
                // A set, as upstream's: a name given twice is excluded once.
                "exclude" if !excluded.iter().any(|name| *name == value) => {
                    excluded.push(value.into_owned())
                }
                _ => {}
            }
        }
        let mut lines = String::new();
        let mut failed = false;
        for name in names {
            if let Some(at) = excluded.iter().position(|e| e == name) {
                excluded.remove(at);
                lines.push_str(&format!("[+]{name} excluded: ok\n"));
                continue;
            }
            match run(name) {
                // The reason is withheld: the endpoint is public.
                Err(_) => {
                    failed = true;
                    lines.push_str(&format!("[-]{name} failed: reason withheld\n"));
                }
                Ok(()) => lines.push_str(&format!("[+]{name} ok\n")),
            }
        }
        if !excluded.is_empty() {
            excluded.sort();
            let quoted: Vec<String> = excluded.iter().map(|name| format!("{name:?}")).collect();
            lines.push_str(&format!(
                "warn: some health checks cannot be excluded: no matches for {}\n",
                quoted.join(",")
            ));
        }
        let name = endpoint.name();
        Ok(if failed {
            // Always verbose on failure, as upstream's `http.Error` (which adds the newline).
            text(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("{lines}{name} check failed\n"),
            )
        } else if verbose {
            text(StatusCode::OK, format!("{lines}{name} check passed\n"))
        } else {
            text(StatusCode::OK, "ok".to_string())
        })
    }
}

fn text(status: StatusCode, body: String) -> Response<Body> {
    bytes_response(status, body, "text/plain; charset=utf-8")
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn body(response: Response<Body>) -> (u16, String) {
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    const ALL: HealthChecks = HealthChecks {
        hooks: PostStartHooks {
            legacy_token_tracking: true,
            rbac_bootstrap_roles: true,
        },
    };

    #[tokio::test]
    async fn verbose_lists_every_check_in_upstreams_order() {
        let answer = ALL
            .answer(HealthEndpoint::Readyz, None, "verbose", false)
            .expect("answer");
        assert_eq!(
            body(answer).await,
            (
                200,
                "[+]ping ok\n[+]log ok\n[+]etcd ok\n[+]etcd-readiness ok\n\
                 [+]poststarthook/start-system-namespaces-controller ok\n\
                 [+]poststarthook/start-legacy-token-tracking-controller ok\n\
                 [+]poststarthook/rbac/bootstrap-roles ok\n\
                 [+]poststarthook/scheduling/bootstrap-system-priority-classes ok\n\
                 [+]poststarthook/bootstrap-controller ok\n[+]shutdown ok\n\
                 readyz check passed\n"
                    .to_string()
            )
        );
        let livez = HealthChecks::new(PostStartHooks::default());
        let (code, text) = body(
            livez
                .answer(HealthEndpoint::Livez, None, "verbose=1", false)
                .expect("answer"),
        )
        .await;
        assert_eq!(code, 200);
        assert!(text.ends_with("[+]poststarthook/bootstrap-controller ok\nlivez check passed\n"));
        assert!(!text.contains("shutdown") && !text.contains("rbac") && !text.contains("legacy"));
    }

    #[tokio::test]
    async fn without_verbose_a_pass_is_ok_and_a_failure_lists_the_checks() {
        let ok = ALL
            .answer(HealthEndpoint::Healthz, None, "", false)
            .expect("answer");
        assert_eq!(body(ok).await, (200, "ok".to_string()));
        let (code, text) = body(
            ALL.answer(HealthEndpoint::Readyz, None, "", true)
                .expect("answer"),
        )
        .await;
        assert_eq!(code, 500);
        assert!(
            text.ends_with("[-]shutdown failed: reason withheld\nreadyz check failed\n"),
            "{text}"
        );
        // Liveness has no shutdown check.
        let live = ALL
            .answer(HealthEndpoint::Livez, None, "", true)
            .expect("answer");
        assert_eq!(body(live).await, (200, "ok".to_string()));
    }

    #[tokio::test]
    async fn excluded_checks_are_skipped_and_unknown_ones_warned_about() {
        let (code, text) = body(
            ALL.answer(
                HealthEndpoint::Readyz,
                None,
                "verbose&exclude=etcd&exclude=nope&exclude=shutdown&exclude=bogus",
                true,
            )
            .expect("answer"),
        )
        .await;
        assert_eq!(code, 200, "{text}");
        assert!(text.contains("[+]etcd excluded: ok\n"), "{text}");
        assert!(text.contains("[+]shutdown excluded: ok\n"), "{text}");
        assert!(text.ends_with(
            "warn: some health checks cannot be excluded: no matches for \"bogus\",\"nope\"\nreadyz check passed\n"
        ));
    }

    #[tokio::test]
    async fn one_check_answers_alone_and_an_unknown_one_is_not_found() {
        let ok = ALL
            .answer(HealthEndpoint::Readyz, Some("etcd"), "", false)
            .expect("answer");
        assert_eq!(body(ok).await, (200, "ok".to_string()));
        let stopping = ALL
            .answer(HealthEndpoint::Readyz, Some("shutdown"), "", true)
            .expect("answer");
        assert_eq!(
            body(stopping).await,
            (
                500,
                "internal server error: process is shutting down\n".to_string()
            )
        );
        let hook = ALL
            .answer(
                HealthEndpoint::Livez,
                Some("poststarthook/rbac/bootstrap-roles"),
                "",
                false,
            )
            .expect("answer");
        assert_eq!(body(hook).await.0, 200);
        for (endpoint, check) in [
            (HealthEndpoint::Readyz, "bogus"),
            (HealthEndpoint::Livez, "shutdown"),
            (HealthEndpoint::Healthz, "etcd-readiness"),
        ] {
            let err = ALL
                .answer(endpoint, Some(check), "", false)
                .expect_err("no such check");
            assert_eq!(err.code, 404);
        }
    }
}
