//! The load generator of the scale benches: HTTPS clients that cost the process as little
//! as a client can, so that the CPU a scale run measures is the cluster's.
//!
//! Each client is one TLS connection speaking HTTP/1.1 with the admin bearer token, one
//! request in flight. Request bodies are encoded before the clock starts and an answer is
//! checked by its status code alone: a `kube::Client` would also serialize every object,
//! queue each request through its `tower` buffer task and decode every answer
//! (`managedFields` included) into a typed object, work that is the client's, not the
//! cluster's. (HTTP/2, one connection per client or 16 streams on one, measured 2–8 % more
//! process CPU in `scale_namespaces` on 2026-12-04: the h2 framing costs more than the
//! HTTP/1.1 parser on both ends.)

use bytes::Bytes;
use http::{header, HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use kube_sa::apiserver::ApiServer;
use rustls::pki_types::{CertificateDer, ServerName};
use std::sync::Arc;

/// One HTTP/1.1 connection to the server, authenticated as the admin.
pub struct LoadClient {
    sender: SendRequest<Full<Bytes>>,
    authority: String,
    authorization: HeaderValue,
}

impl LoadClient {
    /// Connects to `server` (TLS handshake and HTTP/1.1 handshake done before it returns),
    /// trusting only the cluster's CA.
    pub async fn connect(server: &ApiServer) -> Self {
        let ca = pem::parse(server.ca_pem()).expect("the cluster CA is PEM");
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from(ca.into_contents()))
            .expect("the cluster CA is a certificate");
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let address = server.local_addr();
        let tcp = tokio::net::TcpStream::connect(address)
            .await
            .expect("connect to the server");
        tcp.set_nodelay(true).expect("TCP_NODELAY");
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(ServerName::from(address.ip()), tcp)
            .await
            .expect("TLS handshake with the server");
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .expect("HTTP/1.1 handshake");
        tokio::spawn(connection);
        Self {
            sender,
            authority: address.to_string(),
            authorization: HeaderValue::from_str(&format!("Bearer {}", server.admin_token()))
                .expect("the admin token is a header value"),
        }
    }

    /// `POST path` with the JSON `body`; the answer's status (its body is read and dropped).
    pub async fn post(&mut self, path: &str, body: Bytes) -> StatusCode {
        let request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::HOST, &self.authority)
            .header(header::AUTHORIZATION, self.authorization.clone())
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json")
            .body(Full::new(body))
            .expect("request");
        self.sender.ready().await.expect("connection open");
        let response = self.sender.send_request(request).await.expect("an answer");
        let status = response.status();
        response
            .into_body()
            .collect()
            .await
            .expect("the answer's body");
        status
    }
}

/// `count` namespaces (`scale-00000`, `scale-00001`, …) to be created by `clients`
/// connections at once, each taking every `clients`-th name, their bodies encoded ahead.
pub struct NamespaceCreators {
    work: Vec<(LoadClient, Vec<Bytes>)>,
}

/// The name of the `i`-th namespace the creators make.
pub fn namespace_name(i: usize) -> String {
    format!("scale-{i:05}")
}

impl NamespaceCreators {
    /// Connects the clients and encodes the bodies; nothing is created yet.
    pub async fn connect(server: &ApiServer, clients: usize, count: usize) -> Self {
        let mut work = Vec::with_capacity(clients);
        for c in 0..clients {
            let bodies = (c..count)
                .step_by(clients)
                .map(|i| {
                    Bytes::from(format!(
                        r#"{{"kind":"Namespace","apiVersion":"v1","metadata":{{"name":"{}"}}}}"#,
                        namespace_name(i)
                    ))
                })
                .collect();
            work.push((LoadClient::connect(server).await, bodies));
        }
        Self { work }
    }

    /// Creates every namespace, each client sending its next create once the previous one
    /// is answered; returns when all are answered. Panics unless every answer is 201.
    pub async fn create_all(self) {
        let tasks: Vec<_> = self
            .work
            .into_iter()
            .map(|(mut client, bodies)| {
                tokio::spawn(async move {
                    for body in bodies {
                        let status = client.post("/api/v1/namespaces", body).await;
                        assert_eq!(status, StatusCode::CREATED, "create namespace");
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("creator");
        }
    }
}
