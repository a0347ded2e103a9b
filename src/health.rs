//! The probe and metrics listeners of `serve`, `controller-manager` and `webhook`, with
//! controller-runtime's flags: `--health-probe-bind-address` serves `/healthz` and
//! `/readyz`, `--metrics-bind-address` serves `/metrics` (plain HTTP, as
//! controller-runtime's defaults do).
//!
//! `/healthz` answers `200 ok` while the process serves. `/readyz` answers `200 ok` once
//! the [`Readiness`] it watches is set (the controllers' caches have synced, the webhook
//! listens, a leader-election follower waits) and `500` with the failing check before.

use std::convert::Infallible;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;

use bytes::Bytes;
use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Whether a component is ready to serve; clones share one flag, and it starts unset.
#[derive(Debug, Clone)]
pub struct Readiness {
    sender: Arc<watch::Sender<bool>>,
}

impl Default for Readiness {
    fn default() -> Self {
        Self::new()
    }
}

impl Readiness {
    /// A flag that is not ready yet.
    pub fn new() -> Self {
        Self {
            sender: Arc::new(watch::channel(false).0),
        }
    }

    /// Marks the component ready (or, with `false`, not ready again).
    pub fn set(&self, ready: bool) {
        self.sender.send_replace(ready);
    }

    /// Whether the component is ready now.
    pub fn is_ready(&self) -> bool {
        *self.sender.borrow()
    }

    /// Waits until the component is ready.
    pub async fn wait(&self) {
        let mut receiver = self.sender.subscribe();
        // The sender lives in `self`, so the channel cannot close while we wait.
        let _ = receiver.wait_for(|ready| *ready).await;
    }
}

/// A bind address flag that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum BindAddressError {
    /// Neither `HOST:PORT`, `:PORT` nor `0`.
    #[error("invalid bind address {0:?}: want HOST:PORT, :PORT, or 0 to disable")]
    Invalid(String),
    /// The listener could not be bound.
    #[error("binding {address}: {source}")]
    Bind {
        /// The address asked for.
        address: SocketAddr,
        /// What the system said.
        source: std::io::Error,
    },
}

/// Parses a controller-runtime bind address: `0` or empty disables (`None`), `:8080`
/// listens on every interface, `HOST:PORT` on that host (names are resolved).
///
/// # Errors
///
/// [`BindAddressError::Invalid`] for anything else.
pub fn parse_bind_address(value: &str) -> Result<Option<SocketAddr>, BindAddressError> {
    let value = value.trim();
    if value.is_empty() || value == "0" {
        return Ok(None);
    }
    let invalid = || BindAddressError::Invalid(value.to_string());
    if let Some(port) = value.strip_prefix(':') {
        let port: u16 = port.parse().map_err(|_| invalid())?;
        return Ok(Some(SocketAddr::from(([0, 0, 0, 0], port))));
    }
    if let Ok(address) = value.parse::<SocketAddr>() {
        return Ok(Some(address));
    }
    value
        .to_socket_addrs()
        .map_err(|_| invalid())?
        .next()
        .map(Some)
        .ok_or_else(invalid)
}

/// What one listener answers.
#[derive(Debug, Clone)]
struct Endpoints {
    probes: Option<Readiness>,
    metrics: bool,
}

/// The running probe and metrics listeners; dropping it stops them.
#[derive(Debug)]
pub struct HealthServer {
    addresses: Vec<SocketAddr>,
    tasks: tokio::task::JoinSet<()>,
}

impl HealthServer {
    /// Starts `/healthz` and `/readyz` (watching `readiness`) on `probes`, and
    /// `/metrics` on `metrics`; one listener when both are the same address, none for
    /// `None`.
    ///
    /// # Errors
    ///
    /// [`BindAddressError::Bind`] if an address cannot be bound.
    pub async fn start(
        probes: Option<SocketAddr>,
        metrics: Option<SocketAddr>,
        readiness: Readiness,
    ) -> Result<Self, BindAddressError> {
        let mut plan: Vec<(SocketAddr, Endpoints)> = Vec::new();
        if let Some(address) = probes {
            plan.push((
                address,
                Endpoints {
                    probes: Some(readiness),
                    metrics: false,
                },
            ));
        }
        if let Some(address) = metrics {
            // Port 0 asks for a fresh port each time, so it never names the probes' listener.
            let shared = plan
                .iter_mut()
                .find(|(a, _)| *a == address && address.port() != 0);
            match shared {
                Some((_, endpoints)) => endpoints.metrics = true,
                None => plan.push((
                    address,
                    Endpoints {
                        probes: None,
                        metrics: true,
                    },
                )),
            }
        }
        let mut server = Self {
            addresses: Vec::new(),
            tasks: tokio::task::JoinSet::new(),
        };
        for (address, endpoints) in plan {
            let listener = TcpListener::bind(address)
                .await
                .map_err(|source| BindAddressError::Bind { address, source })?;
            let local = listener
                .local_addr()
                .map_err(|source| BindAddressError::Bind { address, source })?;
            server.addresses.push(local);
            server.tasks.spawn(accept_loop(listener, endpoints));
        }
        Ok(server)
    }

    /// The bound addresses (probes first when both are set), with the ports port 0 picked.
    pub fn addresses(&self) -> &[SocketAddr] {
        &self.addresses
    }
}

async fn accept_loop(listener: TcpListener, endpoints: Endpoints) {
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!(error = %e, "accepting a probe or metrics connection");
                continue;
            }
        };
        let endpoints = endpoints.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let endpoints = endpoints.clone();
                async move { Ok::<_, Infallible>(answer(&endpoints, &req)) }
            });
            let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            if let Err(e) = builder
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(error = %e, "probe or metrics connection ended");
            }
        });
    }
}

fn text(
    status: StatusCode,
    body: impl Into<Bytes>,
    content_type: &'static str,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

const PLAIN: &str = "text/plain; charset=utf-8";

/// Answers one probe or scrape; sub-checks (`/readyz/ping`) answer as their parent.
fn answer<B>(endpoints: &Endpoints, req: &Request<B>) -> Response<Full<Bytes>> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return text(
            StatusCode::METHOD_NOT_ALLOWED,
            "method not allowed\n",
            PLAIN,
        );
    }
    let path = req.uri().path();
    let first = path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default();
    match (first, &endpoints.probes) {
        ("healthz" | "livez", Some(_)) => text(StatusCode::OK, "ok", PLAIN),
        ("readyz", Some(readiness)) if readiness.is_ready() => text(StatusCode::OK, "ok", PLAIN),
        ("readyz", Some(_)) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "[-]ready failed: reason withheld\nreadyz check failed\n",
            PLAIN,
        ),
        ("metrics", _) if endpoints.metrics && path.trim_end_matches('/') == "/metrics" => text(
            StatusCode::OK,
            crate::metrics::gather_text(),
            crate::metrics::TEXT_CONTENT_TYPE,
        ),
        _ => text(StatusCode::NOT_FOUND, "404 page not found\n", PLAIN),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &str) -> Request<()> {
        Request::get(path).body(()).expect("valid request")
    }

    #[test]
    fn bind_addresses_follow_controller_runtime() {
        assert_eq!(parse_bind_address("0").ok(), Some(None));
        assert_eq!(parse_bind_address("").ok(), Some(None));
        assert_eq!(
            parse_bind_address(":8081").ok().flatten(),
            Some(SocketAddr::from(([0, 0, 0, 0], 8081)))
        );
        assert_eq!(
            parse_bind_address("127.0.0.1:9090").ok().flatten(),
            Some(SocketAddr::from(([127, 0, 0, 1], 9090)))
        );
        assert!(parse_bind_address(":http").is_err());
        assert!(parse_bind_address("8080").is_err());
    }

    #[test]
    fn readyz_fails_until_ready_and_healthz_always_answers() {
        let readiness = Readiness::new();
        let endpoints = Endpoints {
            probes: Some(readiness.clone()),
            metrics: false,
        };
        assert_eq!(
            answer(&endpoints, &get("/healthz")).status(),
            StatusCode::OK
        );
        assert_eq!(
            answer(&endpoints, &get("/readyz")).status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        readiness.set(true);
        assert_eq!(answer(&endpoints, &get("/readyz")).status(), StatusCode::OK);
        assert_eq!(
            answer(&endpoints, &get("/readyz/ping")).status(),
            StatusCode::OK
        );
        // Metrics are served only where asked for.
        assert_eq!(
            answer(&endpoints, &get("/metrics")).status(),
            StatusCode::NOT_FOUND
        );
    }

    /// A whole HTTP/1.1 exchange over a fresh connection; the response as text.
    async fn fetch(address: SocketAddr, path: &str) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(address)
            .await
            .expect("connected");
        let request = format!("GET {path} HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.expect("sent");
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .await
            .expect("answered");
        response
    }

    #[tokio::test]
    async fn probes_and_metrics_answer_over_http_on_their_own_listeners() {
        let readiness = Readiness::new();
        let any_port = SocketAddr::from(([127, 0, 0, 1], 0));
        let server = HealthServer::start(Some(any_port), Some(any_port), readiness.clone())
            .await
            .expect("bound");
        let [probes, metrics] = server.addresses() else {
            panic!("port 0 twice is two listeners: {:?}", server.addresses());
        };
        assert!(fetch(*probes, "/readyz").await.starts_with("HTTP/1.1 500"));
        readiness.set(true);
        assert!(fetch(*probes, "/readyz").await.starts_with("HTTP/1.1 200"));
        crate::metrics::set_leader_election_master_status("health-test", true);
        let scrape = fetch(*metrics, "/metrics").await;
        assert!(scrape.starts_with("HTTP/1.1 200"), "{scrape}");
        assert!(
            scrape.contains("leader_election_master_status{name=\"health-test\"} 1"),
            "{scrape}"
        );
        assert!(fetch(*metrics, "/readyz").await.starts_with("HTTP/1.1 404"));
    }
}
