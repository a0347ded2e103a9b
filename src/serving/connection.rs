//! One accepted TCP connection: the TLS handshake, then HTTP/1.1 or HTTP/2 until it closes,
//! then a gentle close ([`super::linger`]).

use bytes::Bytes;
use http::{header, HeaderValue, Request, Response, StatusCode};
use http_body_util::{Either, Full};
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
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
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
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
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
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        // hyper's buffer limit is not exact: a head of up to about twice the limit that
        // arrives in few reads is parsed whole. Go's server never reads past the limit.
        let response = (!head_too_large(&req)).then(|| handler(req));
        async move {
            Ok::<_, Infallible>(match response {
                Some(response) => response.await.map(Either::Left),
                None => request_header_fields_too_large().map(Either::Right),
            })
        }
    });
    let mut builder =
        hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
    builder
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        // hyper's defaults (about 400 KiB for HTTP/1.1, 16 KiB for HTTP/2) would refuse
        // heads, and so bearer tokens, that kube-apiserver reads. Twice Go's limit: a head
        // up to that size is read whole, however it arrives, and refused above with Go's
        // answer; hyper's own 431 (with no body) is left for heads beyond it.
        .max_buf_size(2 * HTTP1_MAX_HEAD_BYTES);
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

/// Whether an HTTP/1.x request head (its request line and header lines, as sent) is longer
/// than Go's server reads: `MaxHeaderBytes` plus its 4096 bytes of slack. HTTP/2 heads
/// are bounded by `SETTINGS_MAX_HEADER_LIST_SIZE` instead.
fn head_too_large<T>(req: &Request<T>) -> bool {
    if req.version() >= http::Version::HTTP_2 {
        return false;
    }
    // "METHOD TARGET HTTP/1.1\r\n"; an absolute-form target adds its scheme and authority.
    let uri = req.uri();
    let target = uri.path_and_query().map_or(1, |p| p.as_str().len())
        + uri
            .authority()
            .map_or(0, |a| a.as_str().len() + "https://".len());
    let request_line = req.method().as_str().len() + target + 12;
    let header_lines: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    request_line + header_lines + 2 > HTTP1_MAX_HEAD_BYTES
}

/// Go's answer to an oversized HTTP/1.x head (`net/http` `server.go`): 431 with its status
/// line as a plain-text body, and the connection closed.
fn request_header_fields_too_large() -> Response<Full<Bytes>> {
    const TEXT: &str = "431 Request Header Fields Too Large";
    let mut response = Response::new(Full::new(Bytes::from_static(TEXT.as_bytes())));
    *response.status_mut() = StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(version: http::Version, value_len: usize) -> Request<()> {
        Request::get("/api/v1/namespaces")
            .version(version)
            .header("x-pad", "a".repeat(value_len))
            .body(())
            .expect("request")
    }

    #[test]
    fn an_http1_head_over_go_s_limit_is_too_large() {
        // "GET /api/v1/namespaces HTTP/1.1\r\n" is 33 bytes, "x-pad: ...\r\n" 9 plus the value,
        // and the blank line 2: 44 bytes besides the value.
        let limit = HTTP1_MAX_HEAD_BYTES - 44;
        assert!(!head_too_large(&request(http::Version::HTTP_11, limit)));
        assert!(head_too_large(&request(http::Version::HTTP_11, limit + 1)));
        assert!(head_too_large(&request(http::Version::HTTP_10, 1_500_000)));
        assert!(!head_too_large(&request(http::Version::HTTP_2, 1_500_000)));
    }
}
