//! The API server's limits seen by a raw TLS client (no client-side retries): in-flight
//! caps (429), the request deadline (504), reads of a resource version not yet reached
//! (504; a plain watch opens instead), watch timeouts and the header read timeout.

use std::sync::Arc;
use std::time::{Duration, Instant};

use kube_sa::apiserver::limits::Limits;
use kube_sa::apiserver::ApiServer;
use rustls::pki_types::{pem::PemObject, CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

async fn server(limits: Limits) -> ApiServer {
    ApiServer::builder()
        .without_service_accounts()
        .limits(limits)
        .start()
        .await
        .expect("server starts")
}

/// A TLS connection to the server that trusts its CA.
async fn connect(server: &ApiServer) -> TlsStream<TcpStream> {
    connect_via(server, server.local_addr()).await
}

/// A TLS connection to the server through `address` (the server's, or a proxy's).
async fn connect_via(server: &ApiServer, address: std::net::SocketAddr) -> TlsStream<TcpStream> {
    kube_sa::serving::install_default_crypto_provider();
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(server.ca_pem().as_bytes()).expect("ca"))
        .expect("root");
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = TcpStream::connect(address).await.expect("connect");
    let name = ServerName::IpAddress(server.local_addr().ip().into());
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .expect("tls")
}

/// Sends a request head as the cluster admin (and `body`, which may be shorter than its
/// Content-Length).
async fn send(stream: &mut TlsStream<TcpStream>, server: &ApiServer, head: &str, body: &str) {
    send_as(stream, server.admin_token(), head, body).await;
}

/// Sends a request head with `token` as its bearer token.
async fn send_as(stream: &mut TlsStream<TcpStream>, token: &str, head: &str, body: &str) {
    let request = format!("{head}\r\nHost: kube-sa\r\nAuthorization: Bearer {token}\r\n\r\n{body}");
    stream.write_all(request.as_bytes()).await.expect("write");
    stream.flush().await.expect("flush");
}

/// Reads until the server closes the connection or `deadline` passes.
async fn read_response(stream: &mut TlsStream<TcpStream>, deadline: Duration) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    let until = Instant::now() + deadline;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => {
                out.extend_from_slice(&buf[..n]);
                if response_complete(&out) {
                    break;
                }
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn response_complete(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    head.lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length: ")
                .map(str::to_string)
        })
        .and_then(|n| n.trim().parse::<usize>().ok())
        .is_some_and(|n| body.len() >= n)
}

const CREATE: &str =
    "POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nContent-Type: application/json";
const CONFIGMAP: &str = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"NAME"}}"#;

#[tokio::test]
async fn a_full_mutating_pool_answers_429_but_serves_masters_reads_and_watches() {
    let server = server(Limits {
        max_requests_inflight: 1,
        max_mutating_requests_inflight: 2,
        ..Limits::default()
    })
    .await;
    // Two creates whose bodies never finish hold both mutating slots.
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream = connect(&server).await;
        send(
            &mut stream,
            &server,
            &format!("{CREATE}\r\nContent-Length: 1000"),
            "{",
        )
        .await;
        held.push(stream);
    }
    let refused = {
        let body = CONFIGMAP.replace("NAME", "refused");
        // Polled: the held requests take their slots once the server has read their heads.
        let started = Instant::now();
        loop {
            let mut stream = connect(&server).await;
            send(
                &mut stream,
                &server,
                &format!(
                    "{CREATE}\r\nImpersonate-User: jane\r\nContent-Length: {}",
                    body.len()
                ),
                &body,
            )
            .await;
            let response = read_response(&mut stream, Duration::from_secs(10)).await;
            if response.starts_with("HTTP/1.1 429") || started.elapsed() > Duration::from_secs(10) {
                break response;
            }
        }
    };
    assert!(refused.starts_with("HTTP/1.1 429"), "{refused}");
    let lower = refused.to_ascii_lowercase();
    assert!(lower.contains("\r\nretry-after: 1\r\n"), "{refused}");
    assert!(
        refused.ends_with("Too many requests, please try again later.\n"),
        "{refused}"
    );

    // system:masters is served although the pool is full.
    let body = CONFIGMAP.replace("NAME", "admin-made");
    let mut stream = connect(&server).await;
    send(
        &mut stream,
        &server,
        &format!("{CREATE}\r\nContent-Length: {}", body.len()),
        &body,
    )
    .await;
    let created = read_response(&mut stream, Duration::from_secs(10)).await;
    assert!(created.starts_with("HTTP/1.1 201"), "{created}");

    // Reads have their own pool, and a watch counts against none.
    let mut watch = connect(&server).await;
    send(
        &mut watch,
        &server,
        "GET /api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=30 HTTP/1.1",
        "",
    )
    .await;
    let mut stream = connect(&server).await;
    send(
        &mut stream,
        &server,
        "GET /api/v1/namespaces/default/configmaps?limit=1 HTTP/1.1\r\nImpersonate-User: jane",
        "",
    )
    .await;
    let listed = read_response(&mut stream, Duration::from_secs(10)).await;
    assert!(!listed.starts_with("HTTP/1.1 429"), "{listed}");
    drop(held);
}

/// Refusals beyond `--failed-authentication-burst` wait for their turn at
/// `--failed-authentication-qps`, past their deadline and still answered 401; a request
/// with good credentials does not wait behind them.
#[tokio::test]
async fn failed_authentications_are_paced_and_good_requests_pass_them() {
    let server = server(Limits {
        failed_authentication_qps: 2,
        failed_authentication_burst: 1,
        ..Limits::default()
    })
    .await;
    let mut streams = Vec::new();
    for _ in 0..4 {
        streams.push(connect(&server).await);
    }
    let started = Instant::now();
    let bad: Vec<_> = streams
        .into_iter()
        .enumerate()
        .map(|(i, mut stream)| {
            tokio::spawn(async move {
                // The wait is not part of the request's deadline: still a 401, not a 504.
                let head = "GET /api/v1/namespaces?timeout=200ms HTTP/1.1";
                send_as(&mut stream, &format!("bad-{i}"), head, "").await;
                let response = read_response(&mut stream, Duration::from_secs(20)).await;
                (response, started.elapsed())
            })
        })
        .collect();
    // One refusal is answered at once and the other three leave 0.5 s apart; meanwhile a
    // good request is answered without waiting behind them.
    let mut good = connect(&server).await;
    send(&mut good, &server, "GET /api/v1/namespaces HTTP/1.1", "").await;
    let response = read_response(&mut good, Duration::from_secs(20)).await;
    let good_answered = started.elapsed();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let mut answered = Vec::new();
    for task in bad {
        let (response, elapsed) = task.await.expect("bad client");
        assert!(response.starts_with("HTTP/1.1 401"), "{response}");
        assert!(
            response.contains(r#""reason":"Unauthorized""#),
            "{response}"
        );
        answered.push(elapsed);
    }
    answered.sort();
    assert!(
        answered[3] >= Duration::from_millis(1500),
        "the fourth refusal waited for its turn: {answered:?}"
    );
    assert!(
        good_answered < answered[3],
        "the good request ({good_answered:?}) did not wait behind the refusals ({answered:?})"
    );
}

#[tokio::test]
async fn a_request_past_its_deadline_answers_504_and_timeout_lowers_it() {
    let server = server(Limits {
        request_timeout: Duration::from_secs(30),
        ..Limits::default()
    })
    .await;
    let started = Instant::now();
    let mut stream = connect(&server).await;
    let head = CREATE.replace("configmaps HTTP", "configmaps?timeout=300ms HTTP");
    send(
        &mut stream,
        &server,
        &format!("{head}\r\nContent-Length: 1000"),
        "{",
    )
    .await;
    let response = read_response(&mut stream, Duration::from_secs(10)).await;
    assert!(response.starts_with("HTTP/1.1 504"), "{response}");
    assert!(
        response.contains(
            r#""message":"Timeout: request did not complete within the allotted timeout""#
        ),
        "{response}"
    );
    assert!(response.contains(r#""reason":"Timeout""#), "{response}");
    assert!(started.elapsed() < Duration::from_secs(10));

    let mut stream = connect(&server).await;
    send(
        &mut stream,
        &server,
        "GET /api/v1/namespaces?timeout=5 HTTP/1.1",
        "",
    )
    .await;
    let response = read_response(&mut stream, Duration::from_secs(10)).await;
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    assert!(
        response.contains(
            "invalid timeout specified in the request URL - time: missing unit in duration"
        ),
        "{response}"
    );
}

/// A get or list asking for a resource version the server has not reached waits up to 3 s
/// for it, then answers upstream's 504 `Too large resource version` with `Retry-After: 1`;
/// one the server has reached is served at once.
#[tokio::test]
async fn reads_of_a_version_not_yet_reached_time_out_as_too_large() {
    let server = server(Limits::default()).await;
    let current = server.store().revision();
    let far = current + 1_000_000;
    for path in [
        format!("/api/v1/namespaces/default/configmaps?resourceVersion={far}"),
        format!("/api/v1/namespaces/default?resourceVersion={far}"),
    ] {
        let started = Instant::now();
        let mut stream = connect(&server).await;
        send(&mut stream, &server, &format!("GET {path} HTTP/1.1"), "").await;
        let response = read_response(&mut stream, Duration::from_secs(10)).await;
        assert!(response.starts_with("HTTP/1.1 504"), "{path}: {response}");
        assert!(
            response.to_ascii_lowercase().contains("retry-after: 1\r\n"),
            "{path}: {response}"
        );
        assert!(
            response.contains(&format!(
                r#""message":"Timeout: Too large resource version: {far}, current: "#
            )),
            "{path}: {response}"
        );
        assert!(
            response.contains(r#""reason":"ResourceVersionTooLarge""#),
            "{path}: {response}"
        );
        assert!(
            started.elapsed() >= Duration::from_secs(3),
            "{path}: waited 3 s"
        );
    }
    let mut stream = connect(&server).await;
    send(
        &mut stream,
        &server,
        &format!("GET /api/v1/namespaces/default/configmaps?resourceVersion={current} HTTP/1.1"),
        "",
    )
    .await;
    let response = read_response(&mut stream, Duration::from_secs(2)).await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
}

/// Creates an empty ConfigMap `name` in `default` as the admin.
async fn create_config_map(server: &ApiServer, name: &str) {
    let configmaps: kube::Api<k8s_openapi::api::core::v1::ConfigMap> =
        kube::Api::namespaced(server.client().await.expect("client"), "default");
    let mut configmap = k8s_openapi::api::core::v1::ConfigMap::default();
    configmap.metadata.name = Some(name.into());
    configmaps
        .create(&Default::default(), &configmap)
        .await
        .expect("create");
}

/// Reads a watch's chunked answer until its last chunk (`0\r\n\r\n`), for at most 10 s.
async fn read_watch_to_end(stream: &mut TlsStream<TcpStream>, seen: &mut Vec<u8>) {
    let mut buf = [0u8; 8192];
    while !seen.ends_with(b"0\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
            .await
            .expect("the watch ends within its timeout")
            .expect("read");
        assert!(n > 0, "connection closed before the watch's end");
        seen.extend_from_slice(&buf[..n]);
    }
}

/// A watch for the initial events at a resource version the server does not reach in 3 s
/// is answered 200 with the `Too large resource version` Status as its one ERROR event
/// (upstream's cacher answers the failed wait with `newErrWatcher`).
#[tokio::test]
async fn a_watch_for_initial_events_that_waits_in_vain_gets_an_error_event() {
    let server = server(Limits::default()).await;
    let far = server.store().revision() + 1_000_000;
    let started = Instant::now();
    let mut stream = connect(&server).await;
    send(
        &mut stream,
        &server,
        &format!(
            "GET /api/v1/namespaces/default/configmaps?watch=1&resourceVersion={far}\
             &sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true HTTP/1.1"
        ),
        "",
    )
    .await;
    let mut seen = Vec::new();
    read_watch_to_end(&mut stream, &mut seen).await;
    let answer = String::from_utf8_lossy(&seen);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(started.elapsed() >= Duration::from_secs(3), "waited 3 s");
    assert!(answer.contains(r#"{"type":"ERROR","object":{"#), "{answer}");
    assert!(
        answer.contains(&format!(
            r#""message":"Timeout: Too large resource version: {far}, current: "#
        )),
        "{answer}"
    );
    assert!(
        answer.contains(r#""reason":"ResourceVersionTooLarge""#),
        "{answer}"
    );
}

/// A watch for the initial events at a version the server has reached gets the current
/// state and the initial-events-end bookmark, as one without a version does.
#[tokio::test]
async fn a_watch_for_initial_events_at_a_reached_version_gets_the_state() {
    let server = server(Limits::default()).await;
    create_config_map(&server, "there-before").await;
    let current = server.store().revision();
    let mut stream = connect(&server).await;
    send(
        &mut stream,
        &server,
        &format!(
            "GET /api/v1/namespaces/default/configmaps?watch=1&resourceVersion={current}\
             &sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true\
             &timeoutSeconds=1 HTTP/1.1"
        ),
        "",
    )
    .await;
    let mut seen = Vec::new();
    read_watch_to_end(&mut stream, &mut seen).await;
    let answer = String::from_utf8_lossy(&seen);
    assert!(answer.contains(r#"{"type":"ADDED","object":{"#), "{answer}");
    assert!(answer.contains("there-before"), "{answer}");
    assert!(answer.contains("k8s.io/initial-events-end"), "{answer}");
}

/// A plain watch from a resource version the server has not reached opens at once
/// (upstream's cacher waits only when the initial events are asked for) and sends only
/// what comes after that version: writes up to it are not events, the next one is.
#[tokio::test]
async fn a_watch_from_a_version_not_yet_reached_opens_and_skips_older_events() {
    let server = server(Limits::default()).await;
    let asked = server.store().revision() + 2;
    let started = Instant::now();
    let mut stream = connect(&server).await;
    send(
        &mut stream,
        &server,
        &format!(
            "GET /api/v1/namespaces/default/configmaps?watch=1&resourceVersion={asked}&timeoutSeconds=2 HTTP/1.1"
        ),
        "",
    )
    .await;
    let mut buf = [0u8; 8192];
    let mut seen = Vec::new();
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
            .await
            .expect("the watch answers")
            .expect("read");
        assert!(n > 0, "connection closed before the watch's head");
        seen.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&seen).into_owned();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "opened without waiting for the version"
    );

    // Three writes: the first two reach the asked version, the third is past it.
    for name in ["first-write", "second-write", "third-write"] {
        create_config_map(&server, name).await;
    }
    assert_eq!(server.store().revision(), asked + 1, "no other writes");

    read_watch_to_end(&mut stream, &mut seen).await;
    let answer = String::from_utf8_lossy(&seen);
    assert!(!answer.contains("first-write"), "{answer}");
    assert!(!answer.contains("second-write"), "{answer}");
    assert!(answer.contains("third-write"), "{answer}");
    assert!(!answer.contains("Too large"), "{answer}");
}

#[tokio::test]
async fn a_watch_ends_after_its_timeout_seconds() {
    let server = server(Limits::default()).await;
    let started = Instant::now();
    let mut stream = connect(&server).await;
    send(
        &mut stream,
        &server,
        "GET /api/v1/namespaces?watch=true&timeoutSeconds=1 HTTP/1.1",
        "",
    )
    .await;
    let mut buf = [0u8; 8192];
    let mut seen = Vec::new();
    // The chunked stream's last chunk `0\r\n\r\n` marks the end of the watch.
    while !seen.ends_with(b"0\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
            .await
            .expect("the watch ends within its timeout")
            .expect("read");
        assert!(n > 0, "connection closed before the watch's end");
        seen.extend_from_slice(&buf[..n]);
    }
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert!(String::from_utf8_lossy(&seen).starts_with("HTTP/1.1 200"));
}

#[tokio::test]
async fn a_client_sending_its_head_a_byte_at_a_time_is_cut_off() {
    let server = server(Limits {
        header_read_timeout: Duration::from_millis(500),
        ..Limits::default()
    })
    .await;
    let mut stream = connect(&server).await;
    let head = b"GET /api/v1/namespaces HTTP/1.1\r\nHost: kube-sa\r\nX-Slow: ";
    let started = Instant::now();
    let mut closed = false;
    for byte in head.iter().chain(std::iter::repeat(&b'a')).take(200) {
        if stream.write_all(&[*byte]).await.is_err() || stream.flush().await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        // Any answer (a 408, an EOF, a reset) means the server gave up on the head.
        let mut buf = [0u8; 512];
        if tokio::time::timeout(Duration::from_millis(1), stream.read(&mut buf))
            .await
            .is_ok()
        {
            closed = true;
            break;
        }
    }
    assert!(closed, "the slow connection stayed open");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

/// A TCP proxy for one connection, as a container's published port is: bytes are copied
/// both ways until either side ends.
async fn tcp_proxy(upstream: std::net::SocketAddr) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let (mut client, _) = listener.accept().await.expect("accept");
        let mut server = TcpStream::connect(upstream).await.expect("connect");
        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
    });
    address
}

/// A head over the limit is answered 431 while the client is still sending it. The server
/// then stops writing and reads (and drops) what still arrives for a while before it closes,
/// as Go's server does (`closeWriteAndWait`): closing with unread bytes would reset the
/// connection, and through a proxy the reset can overtake the answer.
#[tokio::test]
async fn a_head_over_the_limit_gets_its_431_through_a_tcp_proxy() {
    let server = server(Limits::default()).await;
    let proxy = tcp_proxy(server.local_addr()).await;
    let stream = connect_via(&server, proxy).await;
    let (mut reader, mut writer) = tokio::io::split(stream);
    let head = format!(
        "GET /api/v1/namespaces HTTP/1.1\r\nHost: kube-sa\r\nAuthorization: Bearer {}\r\n\r\n",
        "a".repeat(2_200_000)
    );
    // The writer is refused part way; whatever it manages to send does not matter.
    tokio::spawn(async move {
        let _ = writer.write_all(head.as_bytes()).await;
        let _ = writer.flush().await;
    });
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let left = until.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, reader.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
    let answer = String::from_utf8_lossy(&out);
    assert!(
        answer.starts_with("HTTP/1.1 431 Request Header Fields Too Large"),
        "{answer:?}"
    );
}

/// A head between the limit and twice it, sent at once, is refused as Go's server refuses
/// it (hyper alone would often parse it whole and serve it).
#[tokio::test]
async fn a_head_between_one_and_two_mebibytes_is_refused_every_time() {
    let server = server(Limits::default()).await;
    for _ in 0..3 {
        let mut stream = connect(&server).await;
        let head = format!(
            "GET /api/v1/namespaces HTTP/1.1\r\nHost: kube-sa\r\nAuthorization: Bearer {}\r\nX-Pad: {}\r\n\r\n",
            server.admin_token(),
            "a".repeat(1_300_000)
        );
        stream.write_all(head.as_bytes()).await.expect("write");
        stream.flush().await.expect("flush");
        let response = read_response(&mut stream, Duration::from_secs(10)).await;
        assert!(
            response.starts_with("HTTP/1.1 431 Request Header Fields Too Large"),
            "{}",
            &response[..response.len().min(300)]
        );
        assert!(
            response.ends_with("431 Request Header Fields Too Large"),
            "{}",
            &response[..response.len().min(300)]
        );
    }
}
