//! One accepted TCP connection: the TLS handshake, then HTTP/1.1 or HTTP/2 until it closes.

use http::{Request, Response};
use hyper::body::Incoming;
use std::convert::Infallible;

/// Completes the TLS handshake and serves HTTP/1.1 or HTTP/2 (as ALPN chose) on one
/// connection, answering each request with `handler`. Handshake and connection errors
/// end the connection with a debug log line; they concern one client only.
pub async fn serve_tls_connection<F, Fut, B>(
    acceptor: tokio_rustls::TlsAcceptor,
    stream: tokio::net::TcpStream,
    peer: std::net::SocketAddr,
    handler: F,
) where
    F: Fn(Request<Incoming>) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Response<B>> + Send + 'static,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let tls = match acceptor.accept(stream).await {
        Ok(tls) => tls,
        Err(e) => {
            tracing::debug!(%peer, error = %e, "TLS handshake failed");
            return;
        }
    };
    let service = hyper::service::service_fn(move |req| {
        let response = handler(req);
        async move { Ok::<_, Infallible>(response.await) }
    });
    let builder =
        hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
    if let Err(e) = builder
        .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
        .await
    {
        tracing::debug!(%peer, error = %e, "connection ended");
    }
}
