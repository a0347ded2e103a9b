//! The User-Agent of kube-controller-manager's clients, which the API server turns into the
//! `manager` of the fields a controller writes (`metadata.managedFields`).
//!
//! Upstream gives every controller its own client (`ClientBuilder.ClientOrDie(name)` in
//! cmd/kube-controller-manager/app) whose agent is client-go's
//! `DefaultKubernetesUserAgent()` with `/<name>` appended (`rest.AddUserAgent`):
//! `kube-controller-manager/v1.33.0 (linux/amd64) kubernetes/<commit>/tokens-controller`.
//! The server keeps the part before the first `/`, `kube-controller-manager`.

use std::task::{Context, Poll};

use futures::future::BoxFuture;
use http::{header, HeaderValue, Request, Response};
use kube::client::Body;
use kube::Client;

use crate::apiserver::discovery::KUBERNETES_VERSION;

/// The program name client-go puts first in the agent (`adjustCommand(os.Args[0])`).
const COMMAND: &str = "kube-controller-manager";

/// The client name of the token controller (`ClientOrDie("tokens-controller")`).
pub const TOKENS_CONTROLLER: &str = "tokens-controller";
/// The client name of the service-account controller.
pub const SERVICE_ACCOUNT_CONTROLLER: &str = "service-account-controller";
/// The client name of the root CA publisher.
pub const ROOT_CA_CERT_PUBLISHER: &str = "root-ca-cert-publisher";
/// The client name of the legacy-token cleaner.
pub const LEGACY_TOKEN_CLEANER: &str = "legacy-service-account-token-cleaner";
/// The name of the leader-election client (`rest.AddUserAgent(config, "leader-election")`).
pub const LEADER_ELECTION: &str = "leader-election";
/// The client name of the shared informers (`ClientOrDie("shared-informers")`).
pub const SHARED_INFORMERS: &str = "shared-informers";

/// The agent of the controller client named `controller`:
/// `kube-controller-manager/<version> (<os>/<arch>) kubernetes/<commit>/<controller>`, with
/// Go's names for the platform and the commit cut to seven characters as client-go does
/// (`adjustCommit`).
pub fn user_agent(controller: &str) -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    };
    let commit = concat!("kube-sa-", env!("CARGO_PKG_VERSION"));
    let commit = commit.get(..7).unwrap_or(commit);
    format!("{COMMAND}/{KUBERNETES_VERSION} ({os}/{arch}) kubernetes/{commit}/{controller}")
}

/// `client`, sending the agent of the controller client named `controller` with every
/// request (a request's own agent is replaced, as client-go's configured agent wins).
pub fn controller_client(client: &Client, controller: &str) -> Client {
    match HeaderValue::from_str(&user_agent(controller)) {
        Ok(value) => Client::new(
            SetUserAgent {
                inner: client.clone(),
                value,
            },
            client.default_namespace().to_string(),
        ),
        // Only a controller name with control characters gets here; such a client keeps
        // the agent it had.
        Err(_) => client.clone(),
    }
}

/// A `tower` service that sets the User-Agent and hands the request to another client.
#[derive(Clone)]
struct SetUserAgent {
    inner: Client,
    value: HeaderValue,
}

impl tower_service::Service<Request<Body>> for SetUserAgent {
    type Response = Response<Body>;
    type Error = kube::Error;
    type Future = BoxFuture<'static, Result<Response<Body>, kube::Error>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), kube::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: Request<Body>) -> Self::Future {
        request
            .headers_mut()
            .insert(header::USER_AGENT, self.value.clone());
        let inner = self.inner.clone();
        Box::pin(async move { inner.send(request).await })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::patch::manager_or_user_agent;

    #[test]
    fn the_agent_is_client_gos_and_names_the_controller() {
        let agent = user_agent(TOKENS_CONTROLLER);
        assert!(
            agent.starts_with(&format!("kube-controller-manager/{KUBERNETES_VERSION} (")),
            "{agent}"
        );
        assert!(
            agent.ends_with(") kubernetes/kube-sa/tokens-controller"),
            "{agent}"
        );
        if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
            assert!(agent.contains(" (linux/amd64) "), "{agent}");
        }
        assert_eq!(
            manager_or_user_agent(None, &agent),
            "kube-controller-manager"
        );
    }
}
