//! One accepted TCP connection: the TLS handshake, then HTTP/1.1 or HTTP/2 until it closes,
//! then a gentle close ([`super::linger`]).

use http::{Request, Response};
use hyper::body::Incoming;
use std::convert::Infallible;
use std::time::Duration;

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
    serve_tls_connection_with_timeout(acceptor, stream, peer, DEFAULT_HEADER_READ_TIMEOUT, handler)
        .await
}

/// kube-apiserver's `ReadHeaderTimeout` (`secure_serving.go`), the default of
/// [`serve_tls_connection`].
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(32);

/// kube-apiserver's `MaxHeaderBytes` (`secure_serving.go`: 1 MiB, Go's default too): the
/// largest request head, bearer token included, it reads.
pub const MAX_HEADER_BYTES: usize = 1 << 20;

/// Go's HTTP/1.1 server reads up to `MaxHeaderBytes` plus 4096 bytes of slack
/// (`initialReadLimitSize`) before answering 431 Request Header Fields Too Large.
const HTTP1_MAX_HEAD_BYTES: usize = MAX_HEADER_BYTES + 4096;

/// Go's HTTP/2 server advertises `MaxHeaderBytes` plus 32 bytes of overhead for 10
/// typical fields as `SETTINGS_MAX_HEADER_LIST_SIZE` (x/net/http2 `maxHeaderListSize`).
const HTTP2_MAX_HEADER_LIST_SIZE: u32 = (MAX_HEADER_BYTES + 10 * 32) as u32;

/// As [`serve_tls_connection`], with `header_read_timeout` bounding the TLS handshake and
/// the reading of each HTTP/1.1 request head: a client that sends them a byte at a time
/// (slowloris) loses its connection instead of holding it.
pub async fn serve_tls_connection_with_timeout<F, Fut, B>(
    acceptor: tokio_rustls::TlsAcceptor,
    stream: tokio::net::TcpStream,
    peer: std::net::SocketAddr,
    header_read_timeout: Duration,
    handler: F,
) where
    F: Fn(Request<Incoming>) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Response<B>> + Send + 'static,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (stream, linger) = match super::linger::split_off(stream) {
        Ok(split) => split,
        Err(e) => {
            tracing::debug!(%peer, error = %e, "cannot serve the connection");
            return;
        }
    };
    let tls = match tokio::time::timeout(header_read_timeout, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            tracing::debug!(%peer, error = %e, "TLS handshake failed");
            return;
        }
        Err(_) => {
            tracing::debug!(%peer, "TLS handshake timed out");
            return;
        }
    };
    let service = hyper::service::service_fn(move |req| {
        let response = handler(req);
        async move { Ok::<_, Infallible>(response.await) }
    });
    let mut builder =
        hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
    builder
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        // hyper's defaults (about 400 KiB for HTTP/1.1, 16 KiB for HTTP/2) would refuse
        // heads, and so bearer tokens, that kube-apiserver reads.
        .max_buf_size(HTTP1_MAX_HEAD_BYTES);
    builder
        .http2()
        .max_header_list_size(HTTP2_MAX_HEADER_LIST_SIZE);
    if let Err(e) = builder
        .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
        .await
    {
        tracing::debug!(%peer, error = %e, "connection ended");
    }
    // The connection's stream is dropped by now; the spare descriptor closes it gently.
    linger.close().await;
}
