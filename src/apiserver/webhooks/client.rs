//! The HTTPS client of one webhook `clientConfig`: a pooled hyper client (HTTP/2 when the
//! webhook offers it, else HTTP/1.1 keep-alive connections) over rustls, trusting only the
//! `caBundle` (the system roots when there is none) by Go's rules (`super::tls`), as
//! upstream's `ClientManager` builds it (`k8s.io/apiserver/pkg/util/webhook/client.go`).
//! A `service` reference is dialled at an endpoint of the Service, with
//! `NAME.NAMESPACE.svc` as the TLS server name, as upstream's custom dialer does.
//! Failures are worded as Go's HTTP client and client-go word them, since they end up in
//! the messages clients see.

use bytes::Bytes;
use futures::future::BoxFuture;
use http::{header, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use serde_json::Value;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::TcpStream;

use super::service::{resolve_endpoint, ServiceDirectory};
use super::tls::{BundleVerifier, VerificationError};
use crate::apiserver::validation::go_quote;
use crate::go_url;

/// Responses above this are refused (an AdmissionReview answer is small).
const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
/// How long an idle pooled connection is kept.
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// client-go's cap on the text of an unstructured error response.
const MAX_UNSTRUCTURED_TEXT: usize = 2048;

/// A connection pool to one webhook.
pub struct HookClient {
    http: Client<HttpsConnector<HookConnector>, Full<Bytes>>,
    /// `https://HOST:PORT/PATH`, as Go's client prints the request URL (before the query).
    url: String,
}

impl std::fmt::Debug for HookClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HookClient")
            .field("url", &self.url)
            .finish()
    }
}

/// The service a `clientConfig.service` names, as the dialer needs it.
#[derive(Clone)]
struct ServiceTarget {
    /// `NAME.NAMESPACE.svc`: the URL host and the TLS server name.
    host: String,
    namespace: String,
    name: String,
    port: i64,
}

impl HookClient {
    /// The client for a webhook's `clientConfig` (`url` or `service`, and `caBundle`);
    /// service references are resolved through `directory` when a connection is opened.
    ///
    /// # Errors
    ///
    /// Upstream's texts for a configuration that cannot give a client: no URL, an
    /// unparsable URL, a `caBundle` without certificates.
    pub fn new(config: &Value, directory: Arc<dyn ServiceDirectory>) -> Result<Self, String> {
        let (roots, bundle) = root_certificates(config)?;
        let (url, service) = match config.get("service").filter(|s| s.is_object()) {
            Some(service) => {
                let name = service["name"].as_str().unwrap_or_default();
                let namespace = service["namespace"].as_str().unwrap_or_default();
                let port = service["port"].as_i64().unwrap_or(443);
                let host = format!("{name}.{namespace}.svc");
                let raw = service["path"].as_str().unwrap_or_default();
                let path = go_url::escape_path(&clean_path(raw.as_bytes()));
                let target = ServiceTarget {
                    host: host.clone(),
                    namespace: namespace.to_string(),
                    name: name.to_string(),
                    port,
                };
                (format!("https://{host}:{port}{path}"), Some(target))
            }
            None => {
                let raw = config["url"].as_str().unwrap_or_default();
                if raw.is_empty() {
                    return Err("webhook configuration has no URL".to_string());
                }
                let parts = go_url::parse(raw)?;
                let has_port = parts.host.rsplit_once(':').is_some_and(|(h, p)| {
                    !p.is_empty() && (!parts.host.starts_with('[') || h.ends_with(']'))
                });
                let host = if has_port {
                    parts.host.clone()
                } else {
                    format!("{}:443", parts.host)
                };
                (
                    // client-go takes the decoded path (`URL.Path`), joins it and
                    // escapes it again.
                    format!(
                        "{}://{host}{}",
                        parts.scheme,
                        go_url::escape_path(&clean_path(&go_url::unescape_path(&parts.path)))
                    ),
                    None,
                )
            }
        };
        let provider = crate::serving::crypto_provider();
        let verifier = Arc::new(BundleVerifier::new(roots, bundle, &provider));
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_only()
            .enable_all_versions()
            .wrap_connector(HookConnector { service, directory });
        let http = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(IDLE_TIMEOUT)
            .build(connector);
        Ok(Self { http, url })
    }

    /// The request URL without its query, as error messages show it.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// POSTs `body` (an AdmissionReview) and answers the response body of a 2xx answer.
    /// `timeout` bounds the whole exchange and is passed on as `?timeout=Ns`.
    ///
    /// # Errors
    ///
    /// The failure as client-go words it: `Post "URL": ...` for transport failures and
    /// timeouts, the server's Status message or client-go's generic text for other
    /// answers.
    pub async fn post(&self, body: Bytes, timeout: Duration) -> Result<Bytes, String> {
        let seconds = timeout.as_secs_f64().ceil().max(1.0) as u64;
        let url = format!("{}?timeout={seconds}s", self.url);
        let request = Request::post(url.as_str())
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json, */*")
            .header(header::USER_AGENT, "kube-apiserver-admission")
            .body(Full::new(body))
            .map_err(|e| format!("Post {}: {e}", go_quote(&url)))?;
        let exchange = async {
            let response = self
                .http
                .request(request)
                .await
                .map_err(|e| transport_error(&e))?;
            let status = response.status();
            let text_response = response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("text/"));
            let body = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            Ok::<_, String>((status, text_response, body))
        };
        let (status, text_response, body) = match tokio::time::timeout(timeout, exchange).await {
            Err(_) => {
                return Err(format!(
                    "Post {}: context deadline exceeded",
                    go_quote(&url)
                ))
            }
            Ok(Err(e)) => return Err(format!("Post {}: {e}", go_quote(&url))),
            Ok(Ok(answer)) => answer,
        };
        if status.is_success() {
            Ok(body)
        } else {
            Err(unsuccessful_response(status, text_response, &body))
        }
    }
}

/// The roots the client trusts: the `caBundle`, or the system's when there is none; and
/// the `caBundle`'s certificates, each also trusted as the serving certificate itself.
fn root_certificates(
    config: &Value,
) -> Result<(rustls::RootCertStore, Vec<CertificateDer<'static>>), String> {
    use base64::Engine;
    let bundle = config["caBundle"].as_str().unwrap_or_default();
    if bundle.is_empty() {
        return Ok((system_roots().clone(), Vec::new()));
    }
    let pem = base64::engine::general_purpose::STANDARD
        .decode(bundle)
        .map_err(|e| format!("unable to load root certificates: {e}"))?;
    let mut roots = rustls::RootCertStore::empty();
    let mut certificates = Vec::new();
    let mut seen_pem = false;
    for cert in CertificateDer::pem_slice_iter(&pem) {
        seen_pem = true;
        // Certificates rustls cannot use are skipped, as Go's pool skips them.
        if let Ok(cert) = cert {
            if roots.add(cert.clone()).is_ok() {
                certificates.push(cert);
            }
        }
    }
    if roots.is_empty() {
        return Err(if seen_pem {
            "unable to load root certificates: no valid certificate authority data seen"
        } else {
            "unable to load root certificates: unable to parse bytes as PEM block"
        }
        .to_string());
    }
    Ok((roots, certificates))
}

/// The system's trusted roots, read once.
fn system_roots() -> &'static rustls::RootCertStore {
    static ROOTS: OnceLock<rustls::RootCertStore> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls_native_certs::load_native_certs().certs {
            let _ = roots.add(cert);
        }
        roots
    })
}

/// Go's `path.Join("/", p)`: a rooted path without `.`, `..`, empty segments or a
/// trailing slash (client-go cleans the request path this way), as bytes, since a decoded
/// URL path need not be UTF-8.
fn clean_path(path: &[u8]) -> Vec<u8> {
    let mut segments: Vec<&[u8]> = Vec::new();
    for segment in path.split(|&b| b == b'/') {
        match segment {
            b"" | b"." => {}
            b".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut cleaned = Vec::with_capacity(path.len() + 1);
    for segment in segments {
        cleaned.push(b'/');
        cleaned.extend_from_slice(segment);
    }
    if cleaned.is_empty() {
        cleaned.push(b'/');
    }
    cleaned
}

/// Dials the webhook: the URL's host, or an endpoint of the named service.
#[derive(Clone)]
struct HookConnector {
    service: Option<ServiceTarget>,
    directory: Arc<dyn ServiceDirectory>,
}

/// A failure to open the TCP connection, in Go's words (`dial tcp ADDR: connect: ...`).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct DialError(String);

impl tower_service::Service<Uri> for HookConnector {
    type Response = TokioIo<TcpStream>;
    type Error = DialError;
    type Future = BoxFuture<'static, Result<Self::Response, DialError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), DialError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let host = uri.host().unwrap_or_default().to_string();
        let port = uri.port_u16().unwrap_or(443);
        let resolved = match &self.service {
            Some(target) if target.host == host => Some(
                resolve_endpoint(
                    self.directory.as_ref(),
                    &target.namespace,
                    &target.name,
                    target.port,
                )
                .map_err(|e| DialError(e.to_string())),
            ),
            _ => None,
        };
        Box::pin(async move {
            let address = match resolved {
                Some(endpoint) => endpoint?,
                None => format!("{host}:{port}"),
            };
            let stream = TcpStream::connect(&address)
                .await
                .map_err(|e| dial_error(&address, &e))?;
            let _ = stream.set_nodelay(true);
            Ok(TokioIo::new(stream))
        })
    }
}

/// Go's text for a failed dial.
fn dial_error(address: &str, error: &std::io::Error) -> DialError {
    use std::io::ErrorKind;
    let text = error.to_string();
    if text.contains("failed to lookup address") {
        let host = address.rsplit_once(':').map_or(address, |(h, _)| h);
        return DialError(format!("dial tcp: lookup {host}: no such host"));
    }
    let reason = match error.kind() {
        ErrorKind::ConnectionRefused => "connection refused".to_string(),
        ErrorKind::TimedOut => "connection timed out".to_string(),
        ErrorKind::HostUnreachable => "no route to host".to_string(),
        ErrorKind::NetworkUnreachable => "network is unreachable".to_string(),
        _ => {
            let trimmed = text.split(" (os error").next().unwrap_or(&text);
            let mut chars = trimmed.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_lowercase().collect::<String>() + chars.as_str()
            })
        }
    };
    DialError(format!("dial tcp {address}: connect: {reason}"))
}

/// The text of a transport failure: the dial error, the TLS verification failure in Go's
/// words, or hyper's own.
fn transport_error(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    let mut last = error.to_string();
    while let Some(e) = current {
        if let Some(dial) = e.downcast_ref::<DialError>() {
            return dial.0.clone();
        }
        if let Some(tls) = find_rustls_error(e) {
            return tls_error(tls);
        }
        last = e.to_string();
        current = e.source();
    }
    if last.contains("connection closed") || last.contains("IncompleteMessage") {
        return "EOF".to_string();
    }
    last
}

/// A rustls error inside `e`, also where an `io::Error` wraps it (which hides it from
/// `source()`).
fn find_rustls_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(tls) = e.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    let inner = e.downcast_ref::<std::io::Error>()?.get_ref()?;
    find_rustls_error(inner)
}

/// The text of a TLS failure: the verifier's refusals already carry Go's words
/// (`tls: failed to verify certificate: x509: ...`), other failures rustls's.
fn tls_error(error: &rustls::Error) -> String {
    use rustls::{CertificateError, Error};
    if let Error::InvalidCertificate(CertificateError::Other(other)) = error {
        if let Some(verification) = other.0.downcast_ref::<VerificationError>() {
            return verification.to_string();
        }
    }
    format!("tls: {error}")
}

/// client-go's error for a non-2xx answer: the Status the server sent, or
/// `NewGenericServerResponse`'s text for the code.
fn unsuccessful_response(status: StatusCode, text_response: bool, body: &[u8]) -> String {
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        if value["kind"] == "Status" {
            if let Some(message) = value["message"].as_str().filter(|m| !m.is_empty()) {
                return message.to_string();
            }
        }
    }
    let server_message = if text_response {
        let capped = &body[..body.len().min(MAX_UNSTRUCTURED_TEXT)];
        String::from_utf8_lossy(capped).trim().to_string()
    } else {
        "unknown".to_string()
    };
    let code = status.as_u16();
    match code {
        409 => "the server reported a conflict".to_string(),
        404 => "the server could not find the requested resource".to_string(),
        400 => "the server rejected our request for an unknown reason".to_string(),
        401 => "the server has asked for the client to provide credentials".to_string(),
        403 | 415 => server_message,
        406 if server_message.is_empty() || server_message == "unknown" => {
            "the server was unable to respond with a content type that the client supports"
                .to_string()
        }
        406 => server_message,
        405 => "the server does not allow this method on the requested resource".to_string(),
        422 => "the server rejected our request due to an error in our request".to_string(),
        503 => "the server is currently unable to handle the request".to_string(),
        504 => "the server was unable to return a response in the time allotted, but may still be processing the request".to_string(),
        429 => "the server has received too many requests and has asked us to try again later"
            .to_string(),
        500.. => format!(
            "an error on the server ({}) has prevented the request from succeeding",
            go_quote(&server_message)
        ),
        _ => format!(
            "the server responded with the status code {code} but did not return more information"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_cleaned_as_go_joins_them() {
        for (raw, clean) in [
            ("", "/"),
            ("/", "/"),
            ("/mutate/", "/mutate"),
            ("a//b/./c/../d", "/a/b/d"),
        ] {
            assert_eq!(clean_path(raw.as_bytes()), clean.as_bytes(), "{raw}");
        }
    }

    #[test]
    fn unsuccessful_answers_read_as_client_go_words_them() {
        let cases: [(u16, bool, &[u8], &str); 5] = [
            (
                500,
                true,
                b"boom\n",
                "an error on the server (\"boom\") has prevented the request from succeeding",
            ),
            (
                500,
                false,
                b"{}",
                "an error on the server (\"unknown\") has prevented the request from succeeding",
            ),
            (
                404,
                true,
                b"404 page not found",
                "the server could not find the requested resource",
            ),
            (
                403,
                false,
                br#"{"kind": "Status", "message": "no access"}"#,
                "no access",
            ),
            (
                302,
                false,
                b"",
                "the server responded with the status code 302 but did not return more information",
            ),
        ];
        for (code, text, body, expected) in cases {
            let status = StatusCode::from_u16(code).expect("code");
            assert_eq!(
                unsuccessful_response(status, text, body),
                expected,
                "{code}"
            );
        }
    }

    #[test]
    fn client_configurations_give_urls_as_go_prints_them() {
        use base64::Engine;
        let directory: Arc<dyn ServiceDirectory> = Arc::new(NoServices);
        let url = |config: Value| {
            HookClient::new(&config, directory.clone()).map(|c| c.url().to_string())
        };
        assert_eq!(
            url(serde_json::json!({"url": "https://127.0.0.1:8443/mutate/"})),
            Ok("https://127.0.0.1:8443/mutate".into())
        );
        assert_eq!(
            url(serde_json::json!({"url": "https://hooks.example.com"})),
            Ok("https://hooks.example.com:443/".into())
        );
        assert_eq!(
            url(
                serde_json::json!({"service": {"namespace": "ns", "name": "hook", "port": 8443, "path": "/validate"}})
            ),
            Ok("https://hook.ns.svc:8443/validate".into())
        );
        let garbage = base64::engine::general_purpose::STANDARD.encode("not a certificate");
        assert_eq!(
            url(serde_json::json!({"url": "https://h.example.com/", "caBundle": garbage})),
            Err("unable to load root certificates: unable to parse bytes as PEM block".into())
        );
    }

    /// A TLS server on loopback with a fresh self-signed certificate for 127.0.0.1 that
    /// accepts connections and never answers; answers its address and certificate.
    async fn silent_server() -> (std::net::SocketAddr, String) {
        crate::serving::install_default_crypto_provider();
        let certified =
            rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).expect("certificate");
        let config = crate::serving::server_config(
            vec![CertificateDer::from(certified.cert.der().to_vec())],
            rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into()),
        )
        .expect("tls");
        let acceptor = tokio_rustls::TlsAcceptor::from(config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                if let Ok(tls) = acceptor.accept(stream).await {
                    open.push(tls);
                }
            }
        });
        (address, certified.cert.pem())
    }

    fn client_for(address: std::net::SocketAddr, ca_pem: &str) -> HookClient {
        use base64::Engine;
        let bundle = base64::engine::general_purpose::STANDARD.encode(ca_pem);
        let config =
            serde_json::json!({"url": format!("https://{address}/hook"), "caBundle": bundle});
        HookClient::new(&config, Arc::new(NoServices)).expect("client")
    }

    #[tokio::test]
    async fn only_the_ca_bundle_is_trusted_and_timeouts_read_as_go_words_them() {
        let (address, ca) = silent_server().await;
        let other = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()])
            .expect("certificate")
            .cert
            .pem();
        let untrusted = client_for(address, &other)
            .post(Bytes::from_static(b"{}"), Duration::from_secs(5))
            .await
            .expect_err("another CA");
        assert_eq!(
            untrusted,
            format!("Post \"https://{address}/hook?timeout=5s\": tls: failed to verify certificate: x509: certificate signed by unknown authority")
        );
        let silent = client_for(address, &ca)
            .post(Bytes::from_static(b"{}"), Duration::from_millis(200))
            .await
            .expect_err("no answer");
        assert_eq!(
            silent,
            format!("Post \"https://{address}/hook?timeout=1s\": context deadline exceeded")
        );
    }

    struct NoServices;

    impl ServiceDirectory for NoServices {
        fn service(&self, _: &str, _: &str) -> Option<Value> {
            None
        }
        fn endpoints(&self, _: &str, _: &str) -> Option<Value> {
            None
        }
        fn endpoint_slices(&self, _: &str, _: &str) -> Option<Vec<Value>> {
            None
        }
    }
}
