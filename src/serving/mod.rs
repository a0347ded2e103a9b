//! HTTPS serving shared by the API server and the admission webhook server: the process's
//! rustls crypto provider, a server TLS configuration offering HTTP/2 and HTTP/1.1, and one
//! connection served from TLS handshake to close.
//!
//! ```no_run
//! # async fn example(
//! #     chain: Vec<rustls::pki_types::CertificateDer<'static>>,
//! #     key: rustls::pki_types::PrivateKeyDer<'static>,
//! # ) -> Result<(), Box<dyn std::error::Error>> {
//! use http_body_util::Full;
//! use kube_sa::serving::{serve_tls_connection, server_config};
//!
//! let acceptor = tokio_rustls::TlsAcceptor::from(server_config(chain, key)?);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8443").await?;
//! loop {
//!     let (stream, peer) = listener.accept().await?;
//!     let handler = |_req| async { http::Response::new(Full::new(bytes::Bytes::from("ok"))) };
//!     tokio::spawn(serve_tls_connection(acceptor.clone(), stream, peer, handler));
//! }
//! # }
//! ```

mod connection;
mod linger;
mod tls;

pub use connection::{
    serve_tls_connection, serve_tls_connection_with_timeout, DEFAULT_HEADER_READ_TIMEOUT,
};
pub use tls::{crypto_provider, install_default_crypto_provider, server_config};
