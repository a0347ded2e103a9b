//! Watch fan-out: 100 watchers (HTTPS watch streams, 10 kube clients) each receive all of
//! 10,000 ConfigMap ADDED events; none may be lost (each watcher checks it saw exactly
//! 10,000 events with strictly increasing resourceVersions ending at the last one).
//! Events are made in-process through the store, so the figure is the fan-out alone.
//! Timed: first create until the last watcher has its 10,000th event. Target: <= 2 s.
//!
//! `cargo bench --bench watch_fanout`

mod common;

use common::{median, report, spread, Target};
use futures::AsyncBufReadExt;
use kube_sa::apiserver::kinds::{CONFIG_MAPS, NAMESPACES};
use kube_sa::apiserver::namespaces::initial_namespace;
use kube_sa::apiserver::ApiServer;
use serde_json::json;
use std::time::{Duration, Instant};

const WATCHERS: usize = 100;
const CLIENTS: usize = 10;
const EVENTS: u64 = 10_000;

/// The resourceVersion of an event line. Searched from the end, where the object's
/// metadata is (keys come sorted), so the client spends little time per event.
fn resource_version(line: &[u8]) -> Option<u64> {
    const KEY: &[u8] = b"\"resourceVersion\":\"";
    let at = line.windows(KEY.len()).rposition(|w| w == KEY)? + KEY.len();
    let digits = line[at..].iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&line[at..at + digits])
        .ok()?
        .parse()
        .ok()
}

/// Reads until the event with `last` arrives; checks count and order.
async fn watch_until(
    mut stream: impl futures::AsyncBufRead + Unpin,
    last: u64,
) -> Result<Instant, String> {
    let mut line = Vec::with_capacity(1024);
    let (mut seen, mut previous) = (0u64, 0u64);
    loop {
        line.clear();
        let n = stream
            .read_until(b'\n', &mut line)
            .await
            .map_err(|e| e.to_string())?;
        if n == 0 {
            return Err(format!("stream ended after {seen} events"));
        }
        if !(line.ends_with(b"\"type\":\"ADDED\"}\n") || line.starts_with(b"{\"type\":\"ADDED\"")) {
            return Err(format!(
                "unexpected event: {}",
                String::from_utf8_lossy(&line)
            ));
        }
        let rv = resource_version(&line).ok_or("event without resourceVersion")?;
        if rv <= previous {
            return Err(format!("resourceVersion {rv} after {previous}"));
        }
        previous = rv;
        seen += 1;
        if rv == last {
            return if seen == EVENTS {
                Ok(Instant::now())
            } else {
                Err(format!("{seen} events, expected {EVENTS}"))
            };
        }
    }
}

fn main() {
    let rounds = common::rounds(5);
    let runtime = common::runtime();
    let times = runtime.block_on(async {
        let server = ApiServer::builder().without_service_accounts().start().await.expect("start");
        let store = server.store();
        store.create(&NAMESPACES, initial_namespace("bench", "2026-01-01T00:00:00Z")).expect("namespace");
        let mut clients = Vec::new();
        for _ in 0..CLIENTS {
            clients.push(server.client().await.expect("client"));
        }
        let mut times = Vec::new();
        for round in 0..=rounds {
            let from = store.revision();
            let mut watchers = Vec::new();
            for w in 0..WATCHERS {
                let request = http::Request::get(format!("/api/v1/namespaces/bench/configmaps?watch=1&resourceVersion={from}"))
                    .body(Vec::new())
                    .expect("request");
                let stream = clients[w % CLIENTS].request_stream(request).await.expect("watch");
                watchers.push(tokio::spawn(watch_until(Box::pin(stream), from + EVENTS)));
            }
            let start = Instant::now();
            let producer_store = store.clone();
            let producer = tokio::task::spawn_blocking(move || {
                for i in 0..EVENTS {
                    let config_map = json!({
                        "apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": format!("cm-{round}-{i:05}"), "namespace": "bench",
                            "uid": format!("00000000-0000-4000-8000-{i:012}"), "creationTimestamp": "2026-01-01T00:00:00Z",
                            "labels": {"app": "bench"}},
                        "data": {"config.yaml": "replicas: 3\nimage: nginx:1.27\n", "mode": "production"}
                    });
                    producer_store.create(&CONFIG_MAPS, config_map).expect("create");
                }
            });
            let mut last = start;
            for watcher in watchers {
                match tokio::time::timeout(Duration::from_secs(30), watcher).await {
                    Ok(Ok(Ok(done))) => last = last.max(done),
                    Ok(Ok(Err(e))) => panic!("watcher failed: {e}"),
                    Ok(Err(e)) => panic!("watcher panicked: {e}"),
                    Err(_) => panic!("a watcher did not get all {EVENTS} events within 30 s"),
                }
            }
            producer.await.expect("producer");
            let seconds = (last - start).as_secs_f64();
            if round > 0 {
                println!("round {round}: {WATCHERS} watchers x {EVENTS} events in {seconds:.3} s");
                times.push(seconds);
            }
        }
        server.shutdown().await;
        times
    });
    println!("fan-out time, s: {}", spread(&times));
    report(
        "watch: 100 watchers each receive all 10,000 events, none lost",
        median(&times),
        "s",
        Target::AtMost(2.0),
    );
}
