//! `kube-sa webhook`: the ServiceAccount admission plugin served over HTTPS as a
//! MutatingAdmissionWebhook, for clusters whose built-in plugin is switched off.

use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;
use tokio::net::TcpListener;

use super::serviceaccount::{AccountLookup, Config};
use super::webhook::review;
use crate::names::NameGenerator;
use crate::serving::serve_tls_connection;

/// AdmissionReview bodies above this are refused (the API server sends far less).
const MAX_REVIEW_BYTES: usize = 3 * 1024 * 1024;

/// Why the webhook's TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum WebhookServerError {
    /// The certificate file is unreadable or holds no PEM certificate.
    #[error("reading TLS certificate file {path}: {source}")]
    Certificate {
        /// The file, as given.
        path: String,
        /// What the PEM reader reported.
        source: rustls::pki_types::pem::Error,
    },
    /// The key file is unreadable or holds no PEM private key.
    #[error("reading TLS private key file {path}: {source}")]
    PrivateKey {
        /// The file, as given.
        path: String,
        /// What the PEM reader reported.
        source: rustls::pki_types::pem::Error,
    },
    /// rustls refused the pair (a key that does not match the certificate, say).
    #[error("TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
}

/// A TLS server configuration from PEM files (certificate chain, private key), as
/// `--tls-cert-file` and `--tls-private-key-file` name them.
///
/// # Errors
///
/// [`WebhookServerError`] naming the file that could not be read, or rustls' refusal.
pub fn tls_config_from_files(
    cert: &Path,
    key: &Path,
) -> Result<Arc<rustls::ServerConfig>, WebhookServerError> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|source| WebhookServerError::Certificate {
            path: cert.display().to_string(),
            source,
        })?;
    let private_key =
        PrivateKeyDer::from_pem_file(key).map_err(|source| WebhookServerError::PrivateKey {
            path: key.display().to_string(),
            source,
        })?;
    tls_config(chain, private_key)
}

/// A TLS server configuration from DER certificate chain (leaf first) and key.
///
/// # Errors
///
/// [`WebhookServerError::Tls`] if rustls refuses the pair.
pub fn tls_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<rustls::ServerConfig>, WebhookServerError> {
    Ok(crate::serving::server_config(chain, key)?)
}

/// What every request of the webhook needs.
pub struct WebhookState {
    /// Where the plugin reads service accounts and secrets.
    pub lookup: Arc<dyn AccountLookup>,
    /// Suffixes for the token volume names.
    pub names: Arc<dyn NameGenerator>,
    /// The plugin's switches.
    pub config: Config,
}

/// Serves AdmissionReview POSTs on any path (and `GET /healthz`) until the task is dropped.
///
/// ```no_run
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// use std::path::Path;
/// use std::sync::Arc;
/// use kube_sa::admission::client_lookup::ClientAccountLookup;
/// use kube_sa::admission::webhook_server::{serve, tls_config_from_files, WebhookState};
/// use kube_sa::names::RandomNames;
///
/// let tls = tls_config_from_files(Path::new("tls.crt"), Path::new("tls.key"))?;
/// let client = kube::Client::try_default().await?;
/// let state = Arc::new(WebhookState {
///     lookup: Arc::new(ClientAccountLookup::start(client, kube_sa::Mode::Legacy)),
///     names: Arc::new(RandomNames),
///     config: Default::default(),
/// });
/// let listener = tokio::net::TcpListener::bind("0.0.0.0:8443").await?;
/// serve(listener, tls, state).await;
/// # Ok(()) }
/// ```
pub async fn serve(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    state: Arc<WebhookState>,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                continue;
            }
        };
        let state = state.clone();
        let handler = move |req| {
            let state = state.clone();
            async move { handle(&state, req).await }
        };
        tokio::spawn(serve_tls_connection(
            acceptor.clone(),
            stream,
            peer,
            handler,
        ));
    }
}

fn respond(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static(content_type),
    );
    response
}

async fn handle(state: &WebhookState, req: Request<Incoming>) -> Response<Full<Bytes>> {
    match (req.method(), req.uri().path()) {
        (&Method::GET, "/healthz" | "/readyz" | "/livez") => {
            respond(StatusCode::OK, "text/plain", "ok")
        }
        (&Method::POST, path) => {
            let path = path.to_string();
            let started = std::time::Instant::now();
            let response = answer_review(state, req, &path).await;
            crate::metrics::observe_webhook_request(
                &path,
                response.status().as_u16(),
                started.elapsed(),
            );
            response
        }
        _ => respond(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            "POST an AdmissionReview",
        ),
    }
}

/// Reads one AdmissionReview from `req` and answers it.
async fn answer_review(
    state: &WebhookState,
    req: Request<Incoming>,
    path: &str,
) -> Response<Full<Bytes>> {
    let span = tracing::info_span!("review", %path);
    let _guard = span.enter();
    let body = match Limited::new(req.into_body(), MAX_REVIEW_BYTES)
        .collect()
        .await
    {
        Ok(body) => body.to_bytes(),
        Err(e) => {
            return respond(
                StatusCode::BAD_REQUEST,
                "text/plain",
                format!("reading the request: {e}"),
            )
        }
    };
    let answer = review(
        &body,
        state.lookup.as_ref(),
        state.names.as_ref(),
        &state.config,
    )
    .await;
    respond(StatusCode::OK, "application/json", answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::future::BoxFuture;
    use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
    use serde_json::{json, Value};

    use crate::admission::serviceaccount::LookupError;
    use crate::names::FixedSuffix;

    /// One namespace `ns` with account `default` and its token `default-token-abc12`.
    struct OneAccount;

    fn account() -> ServiceAccount {
        serde_json::from_value(
            json!({"metadata": {"name": "default", "namespace": "ns", "uid": "u1"},
            "secrets": [{"name": "default-token-abc12"}]}),
        )
        .expect("sa")
    }

    impl AccountLookup for OneAccount {
        fn cached_service_account<'a>(
            &'a self,
            _: &'a str,
            name: &'a str,
        ) -> BoxFuture<'a, Result<Option<ServiceAccount>, LookupError>> {
            Box::pin(async move { Ok((name == "default").then(account)) })
        }
        fn get_service_account<'a>(
            &'a self,
            _: &'a str,
            name: &'a str,
        ) -> BoxFuture<'a, Result<ServiceAccount, LookupError>> {
            Box::pin(async move { Err(LookupError::NotFound(name.to_string())) })
        }
        fn list_secrets<'a>(
            &'a self,
            _: &'a str,
        ) -> BoxFuture<'a, Result<Vec<Secret>, LookupError>> {
            Box::pin(async move {
                let secret: Secret = serde_json::from_value(json!({"metadata": {"name": "default-token-abc12", "namespace": "ns",
                    "annotations": {"kubernetes.io/service-account.name": "default", "kubernetes.io/service-account.uid": "u1"}},
                    "type": "kubernetes.io/service-account-token"}))
                .expect("secret");
                Ok(vec![secret])
            })
        }
    }

    async fn start() -> (std::net::SocketAddr, String) {
        crate::serving::install_default_crypto_provider();
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
            .expect("params")
            .self_signed(&key)
            .expect("cert");
        let tls = tls_config(
            vec![CertificateDer::from(cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .expect("tls");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let state = Arc::new(WebhookState {
            lookup: Arc::new(OneAccount),
            names: Arc::new(FixedSuffix("abc123".into())),
            config: Config::default(),
        });
        tokio::spawn(serve(listener, tls, state));
        (addr, cert.pem())
    }

    /// POSTs over real TLS, trusting only the webhook's certificate.
    async fn post(addr: std::net::SocketAddr, ca_pem: &str, body: Value) -> Value {
        let mut roots = rustls::RootCertStore::empty();
        let ca = CertificateDer::from_pem_slice(ca_pem.as_bytes()).expect("ca");
        roots.add(ca).expect("root");
        let config = rustls::ClientConfig::builder_with_provider(crate::serving::crypto_provider())
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let server_name = rustls::pki_types::ServerName::try_from("127.0.0.1").expect("name");
        let tls = connector
            .connect(server_name, tcp)
            .await
            .expect("TLS handshake");
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
                .await
                .expect("http");
        tokio::spawn(conn);
        let request = Request::post("/mutate")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(
                serde_json::to_vec(&body).expect("json"),
            )))
            .expect("request");
        let response = sender.send_request(request).await.expect("response");
        assert_eq!(response.status(), StatusCode::OK);
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        serde_json::from_slice(&bytes).expect("review json")
    }

    fn pod_review(pod: Value) -> Value {
        json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
            "uid": "r1", "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "namespace": "ns", "operation": "CREATE", "userInfo": {"username": "admin"},
            "object": pod, "dryRun": false}})
    }

    #[tokio::test]
    async fn a_pod_review_over_tls_gets_the_token_mount_as_a_json_patch() {
        let (addr, ca) = start().await;
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"},
            "spec": {"containers": [{"name": "c", "image": "i"}]}});
        let answer = post(addr, &ca, pod_review(pod.clone())).await;
        let response = &answer["response"];
        assert_eq!(response["uid"], "r1");
        assert_eq!(response["allowed"], true);
        assert_eq!(response["patchType"], "JSONPatch");
        use base64::Engine;
        let patch_bytes = base64::engine::general_purpose::STANDARD
            .decode(response["patch"].as_str().expect("patch"))
            .expect("base64");
        let patch: json_patch::Patch = serde_json::from_slice(&patch_bytes).expect("patch json");
        let mut patched = pod;
        json_patch::patch(&mut patched, &patch).expect("applies");
        assert_eq!(patched["spec"]["serviceAccountName"], "default");
        assert_eq!(
            patched["spec"]["containers"][0]["volumeMounts"][0],
            json!({"name": "default-token-abc12", "readOnly": true, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"})
        );
        assert_eq!(
            patched["spec"]["volumes"][0],
            json!({"name": "default-token-abc12", "secret": {"secretName": "default-token-abc12"}})
        );
    }

    #[tokio::test]
    async fn a_pod_naming_a_missing_account_is_denied_with_the_admission_message() {
        let (addr, ca) = start().await;
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"},
            "spec": {"serviceAccountName": "ghost", "containers": [{"name": "c", "image": "i"}]}});
        let answer = post(addr, &ca, pod_review(pod)).await;
        let response = &answer["response"];
        assert_eq!(response["allowed"], false);
        assert_eq!(response["status"]["code"], 403);
        assert_eq!(
            response["status"]["message"],
            "pods \"p\" is forbidden: service account ns/ghost was not found, retry after the service account is created"
        );
    }

    #[tokio::test]
    async fn a_malformed_review_is_a_400() {
        let (addr, ca) = start().await;
        let requests = || {
            let text = crate::metrics::gather_text();
            // A refused review is still an HTTP 200 whose body says no.
            let labels = [("code", "200"), ("webhook", "/mutate")];
            crate::metrics::sample_value(
                &text,
                "controller_runtime_webhook_requests_total",
                &labels,
            )
            .unwrap_or(0.0)
        };
        let before = requests();
        let answer = post(
            addr,
            &ca,
            json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}),
        )
        .await;
        assert_eq!(answer["response"]["allowed"], false);
        assert_eq!(answer["response"]["status"]["code"], 400);
        // The review is counted in controller-runtime's webhook metrics.
        assert!(requests() > before);
    }
}
