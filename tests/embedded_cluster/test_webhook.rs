//! A webhook server for tests: HTTPS on loopback with a fresh self-signed certificate,
//! each AdmissionReview answered by a function of the request path and the review's
//! `request`, and the calls counted per path.

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use rustls::pki_types::PrivateKeyDer;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// Answers one review: the `response` object (its `uid` is filled in).
pub type Answer = Arc<dyn Fn(&str, &Value) -> Value + Send + Sync>;

/// A running test webhook; stops when dropped.
pub struct TestWebhook {
    pub address: SocketAddr,
    /// The serving certificate (PEM), to be trusted through `caBundle`.
    pub ca_pem: String,
    calls: Arc<Mutex<BTreeMap<String, usize>>>,
    task: tokio::task::JoinHandle<()>,
}

impl TestWebhook {
    /// Serves on `127.0.0.1`, with a certificate for `names` (and 127.0.0.1).
    pub async fn start(names: &[&str], answer: Answer) -> Self {
        Self::start_with(names, rcgen::IsCa::NoCa, answer).await
    }

    /// As [`TestWebhook::start`], with a self-signed certificate that says it is a CA
    /// (`basicConstraints CA:TRUE`), as openssl's `req -x509` makes by default.
    pub async fn start_as_ca(names: &[&str], answer: Answer) -> Self {
        let ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        Self::start_with(names, ca, answer).await
    }

    async fn start_with(names: &[&str], is_ca: rcgen::IsCa, answer: Answer) -> Self {
        kube_sa::serving::install_default_crypto_provider();
        let mut subject_names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        subject_names.push("127.0.0.1".to_string());
        let mut params = rcgen::CertificateParams::new(subject_names).expect("names");
        params.is_ca = is_ca;
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = params.self_signed(&key).expect("certificate");
        let config = kube_sa::serving::server_config(
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .expect("tls");
        let acceptor = tokio_rustls::TlsAcceptor::from(config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let calls = Arc::new(Mutex::new(BTreeMap::new()));
        let counted = calls.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, peer)) = listener.accept().await {
                let answer = answer.clone();
                let calls = counted.clone();
                let handler = move |req: Request<Incoming>| {
                    let answer = answer.clone();
                    let calls = calls.clone();
                    async move { respond(req, answer, calls).await }
                };
                tokio::spawn(kube_sa::serving::serve_tls_connection(
                    acceptor.clone(),
                    stream,
                    peer,
                    handler,
                ));
            }
        });
        Self {
            address,
            ca_pem: cert.pem(),
            calls,
            task,
        }
    }

    /// `https://127.0.0.1:PORT<path>`
    pub fn url(&self, path: &str) -> String {
        format!("https://{}{path}", self.address)
    }

    /// The certificate as a `caBundle` value.
    pub fn ca_bundle(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(&self.ca_pem)
    }

    /// How many reviews arrived on `path`.
    pub fn calls(&self, path: &str) -> usize {
        self.calls
            .lock()
            .expect("calls")
            .get(path)
            .copied()
            .unwrap_or(0)
    }
}

impl Drop for TestWebhook {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn respond(
    req: Request<Incoming>,
    answer: Answer,
    calls: Arc<Mutex<BTreeMap<String, usize>>>,
) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    *calls
        .lock()
        .expect("calls")
        .entry(path.clone())
        .or_default() += 1;
    let body = req.into_body().collect().await.expect("body").to_bytes();
    let review: Value = serde_json::from_slice(&body).expect("an AdmissionReview");
    let mut response = answer(&path, &review["request"]);
    response["uid"] = review["request"]["uid"].clone();
    let out = json!({"apiVersion": review["apiVersion"], "kind": "AdmissionReview", "response": response});
    let mut http_response = Response::new(Full::new(Bytes::from(out.to_string())));
    http_response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    http_response
}

/// `allowed: true`, with `patch` (a JSON patch) when given.
pub fn allow(patch: Option<Value>) -> Value {
    use base64::Engine;
    match patch {
        None => json!({"allowed": true}),
        Some(patch) => json!({
            "allowed": true,
            "patchType": "JSONPatch",
            "patch": base64::engine::general_purpose::STANDARD.encode(patch.to_string()),
        }),
    }
}
