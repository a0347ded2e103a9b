//! Watch: newline-delimited events, resumed from a `resourceVersion`, `410 Expired` when
//! that is too old, bookmarks when asked, and `timeoutSeconds`.

use bytes::{Bytes, BytesMut};
use http::{header, Response, StatusCode};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use serde_json::json;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};

use super::errors::ApiError;
use super::handlers::Selectors;
use super::http::{Body, RequestContext};
use super::kinds::ResourceInfo;
use super::limits;
use super::routes::ResourcePath;
use super::store::{
    present, watch_event_line, EventType, Store, StoreError, StoredObject, WatchEvent,
};
use super::{partial_metadata, table, ServerState};

/// How often a watch that allows bookmarks gets one (the cacher's
/// `defaultBookmarkFrequency`).
const BOOKMARK_FREQUENCY: Duration = Duration::from_secs(60);
/// How long before its end a watch that allows bookmarks gets its last one.
const BOOKMARK_BEFORE_END: Duration = Duration::from_secs(2);

/// When a watch that allows bookmarks and `ends` then gets its next bookmark after `now`,
/// as upstream's `cacheWatcher.nextBookmarkTime` schedules it: a minute on, or 2 s before
/// the end if that is sooner; none once that moment has passed (a watch of 2 s or less
/// gets none).
fn next_bookmark(
    now: tokio::time::Instant,
    ends: tokio::time::Instant,
) -> Option<tokio::time::Instant> {
    let at = (now + BOOKMARK_FREQUENCY).min(ends.checked_sub(BOOKMARK_BEFORE_END)?);
    (at > now).then_some(at)
}
/// How long a watcher may leave its full buffer unread before the server closes its
/// watch (upstream's cacheWatcher closes an unresponsive watcher the same way); the
/// client resumes from its last resource version.
const SLOW_WATCHER_TIMEOUT: Duration = Duration::from_secs(5);
/// Chunks a watcher's buffer holds (each up to [`MAX_BATCH_BYTES`]).
const WATCH_BUFFER_CHUNKS: usize = 64;
/// Events already waiting are joined into one body chunk up to about this size.
const MAX_BATCH_BYTES: usize = 64 * 1024;
/// At most this many queued events are taken per wake-up.
const MAX_BATCH_EVENTS: usize = 1024;

/// Event lines joined into one chunk. A lone line is passed on without copying.
#[derive(Default)]
struct Batch {
    first: Option<Bytes>,
    joined: BytesMut,
}

impl Batch {
    fn len(&self) -> usize {
        self.first.as_ref().map_or(0, Bytes::len) + self.joined.len()
    }

    /// Adds a line; returns the batch when it has grown to [`MAX_BATCH_BYTES`].
    fn push(&mut self, line: Bytes) -> Option<Bytes> {
        match self.first.take() {
            None if self.joined.is_empty() => self.first = Some(line),
            first => {
                if let Some(first) = first {
                    self.joined.reserve(first.len() + line.len());
                    self.joined.extend_from_slice(&first);
                }
                self.joined.extend_from_slice(&line);
            }
        }
        if self.len() >= MAX_BATCH_BYTES {
            self.take()
        } else {
            None
        }
    }

    fn take(&mut self) -> Option<Bytes> {
        match self.first.take() {
            Some(first) => Some(first),
            None if self.joined.is_empty() => None,
            None => Some(self.joined.split().freeze()),
        }
    }
}

struct WatchRequest {
    resource: &'static ResourceInfo,
    namespace: Option<String>,
    name: Option<String>,
    selectors: Selectors,
    bookmarks: bool,
    as_table: bool,
    /// Objects reduced to `PartialObjectMetadata` (a metadata-only watch).
    as_metadata: bool,
    /// The server's clock: ages in Table rows.
    clock: Arc<dyn crate::clock::Clock>,
}

impl WatchRequest {
    fn wants(&self, object: &StoredObject) -> bool {
        if let Some(ns) = &self.namespace {
            if object.namespace() != ns {
                return false;
            }
        }
        if let Some(name) = &self.name {
            if object.name() != name {
                return false;
            }
        }
        self.selectors.matches(object)
    }

    /// The event line for `object` as an event of `event_type`: the stored bytes, or a
    /// one-row Table for `kubectl get -w`.
    fn encode(&self, event_type: EventType, object: &StoredObject) -> Bytes {
        if self.as_table {
            let value = object.value();
            let table = table::table(
                self.resource,
                &[&value],
                json!({}),
                table::IncludeObject::Metadata,
                self.clock.now(),
            );
            return event_line(event_type.as_str(), &table);
        }
        if self.as_metadata {
            let reduced = partial_metadata::object(&object.value());
            return event_line(event_type.as_str(), &reduced);
        }
        object.line_as(event_type)
    }

    /// A stored event, converted when the resource is served from another's storage.
    fn encode_event(&self, event: &WatchEvent) -> Bytes {
        let object = present(self.resource, event.object.clone());
        self.encode(event.event_type(), &object)
    }

    /// What this watch sends for a stored change, as upstream's cacher converts it
    /// (`cacheWatcher.convertToWatchEvent`): an object that matches the watch after the
    /// change and not before is `ADDED`; one that matched before and not after is `DELETED`,
    /// with its previous content at the change's revision; one that matches before and
    /// after keeps the change's type; None when it matches neither.
    fn event_line(&self, event: &WatchEvent) -> Option<Bytes> {
        let event_type = event.event_type();
        let now = event_type != EventType::Deleted && self.wants(&event.object);
        let before = match (event_type, event.previous.as_deref()) {
            (EventType::Added, _) => false,
            (EventType::Modified, Some(previous)) => self.wants(previous),
            // A change without its previous version: judged by what it is now.
            (EventType::Modified, None) => now,
            (EventType::Deleted, _) => self.wants(&event.object),
        };
        match (now, before) {
            (false, false) => None,
            // Matching before and after (a MODIFIED), or a DELETED of a matching object.
            (true, true) => Some(self.encode_event(event)),
            (false, true) if event_type == EventType::Deleted => Some(self.encode_event(event)),
            (true, false) => {
                let object = present(self.resource, event.object.clone());
                Some(self.encode(EventType::Added, &object))
            }
            (false, true) => {
                let previous = event.previous.clone()?;
                let gone = present(self.resource, previous).restamped(
                    self.resource,
                    event.revision(),
                    EventType::Deleted,
                );
                Some(self.encode(EventType::Deleted, &gone))
            }
        }
    }

    fn bookmark(&self, revision: u64, initial_events_end: bool) -> Bytes {
        let mut metadata = json!({"resourceVersion": revision.to_string()});
        if initial_events_end {
            metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        let object = json!({"kind": self.resource.kind, "apiVersion": self.resource.api_version(), "metadata": metadata});
        event_line("BOOKMARK", &object)
    }
}

/// A watch event line of `event_type` for an object the watch writes itself (a Table row,
/// a bookmark, an ERROR Status), in the stored lines' layout.
fn event_line(event_type: &str, object: &impl serde::Serialize) -> Bytes {
    let object = serde_json::to_vec(object).unwrap_or_else(|_| b"null".to_vec());
    Bytes::from(watch_event_line(event_type, &object))
}

pub fn watch(
    state: &ServerState,
    ctx: &RequestContext,
    path: &ResourcePath,
    not_fresh: Option<ApiError>,
) -> Result<Response<Body>, ApiError> {
    let resource = path.resource;
    let request = WatchRequest {
        resource,
        namespace: path.namespace.clone(),
        name: path.name.clone(),
        selectors: Selectors::from_request(ctx, resource)?,
        bookmarks: ctx.flag("allowWatchBookmarks"),
        as_table: table::wants_table(ctx.header(header::ACCEPT)),
        as_metadata: partial_metadata::wants(ctx.header(header::ACCEPT), false),
        clock: state.store.clock().clone(),
    };
    let timeout = limits::watch_timeout(&state.limits, ctx.int64("timeoutSeconds")?);
    let send_initial_events = ctx.flag("sendInitialEvents");
    let from = match ctx.param("resourceVersion") {
        None | Some("") | Some("0") => None,
        Some(rv) => Some(super::resource_version::parse_in_cacher(rv)?),
    };

    let (tx, rx) = mpsc::channel::<Bytes>(WATCH_BUFFER_CHUNKS);
    let mut initial: Vec<Bytes> = Vec::new();
    let mut initial_end_bookmark = None;
    let subscription = if let Some(err) = &not_fresh {
        // The store did not reach the version in time: the error is the one event.
        initial.push(event_line("ERROR", &err.to_status()));
        None
    } else {
        let subscribed = match from {
            Some(revision) if !send_initial_events => {
                state.store.subscribe(resource, Some(revision))
            }
            // No revision (or "0"), or the initial events asked for (the store has reached
            // the asked version by now): the current state as ADDED events, then changes.
            _ => {
                let (objects, revision) = state.store.list(resource, path.namespace.as_deref());
                initial.extend(
                    objects
                        .iter()
                        .filter(|o| request.wants(o))
                        .map(|o| request.encode(EventType::Added, o)),
                );
                if send_initial_events {
                    initial_end_bookmark = Some(request.bookmark(revision, true));
                }
                state.store.subscribe(resource, Some(revision))
            }
        };
        match subscribed {
            Ok(sub) => Some(sub),
            Err(StoreError::TooOld { requested, oldest }) => {
                // A real server answers 200 and sends the 410 as an ERROR event.
                let status =
                    ApiError::expired(format!("too old resource version: {requested} ({oldest})"))
                        .to_status();
                initial.push(event_line("ERROR", &status));
                None
            }
            Err(e) => return Err(ApiError::internal(e.to_string())),
        }
    };

    // An injected drop ends the stream as a closed connection would: no ERROR event, the
    // chunked body just ends, and the client lists or resumes again.
    let mut drop_plan = state
        .faults
        .as_ref()
        .map(|faults| faults.watch_drop())
        .unwrap_or_default();
    let request = Arc::new(request);
    let store = state.store.clone();
    // A version the store has not reached yet: the watch opens now and sends only what
    // comes after it, as upstream's watchers skip events at or below the asked version.
    let asked = from.unwrap_or(0);
    tokio::spawn(async move {
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        let mut batch = Batch::default();
        let initial_count = initial.len();
        for (i, line) in initial.into_iter().chain(initial_end_bookmark).enumerate() {
            if let Some(full) = batch.push(line) {
                if !deliver(&store, &tx, full, deadline.as_mut()).await {
                    return;
                }
            }
            if i < initial_count && drop_plan.event_sent() {
                if let Some(rest) = batch.take() {
                    let _ = tx.send(rest).await;
                }
                return;
            }
        }
        let Some(mut sub) = subscription else {
            if let Some(rest) = batch.take() {
                deliver(&store, &tx, rest, deadline.as_mut()).await;
            }
            return;
        };
        let mut last_revision = sub.revision.max(asked);
        for event in sub.backlog.drain(..) {
            last_revision = event.revision();
            if let Some(line) = request.event_line(&event) {
                if let Some(full) = batch.push(line) {
                    if !deliver(&store, &tx, full, deadline.as_mut()).await {
                        return;
                    }
                }
                if drop_plan.event_sent() {
                    if let Some(rest) = batch.take() {
                        let _ = tx.send(rest).await;
                    }
                    return;
                }
            }
        }
        if let Some(rest) = batch.take() {
            if !deliver(&store, &tx, rest, deadline.as_mut()).await {
                return;
            }
        }
        let mut bookmark_at = next_bookmark(tokio::time::Instant::now(), deadline.deadline())
            .filter(|_| request.bookmarks);
        let bookmark_timer = tokio::time::sleep_until(bookmark_at.unwrap_or(deadline.deadline()));
        tokio::pin!(bookmark_timer);
        loop {
            tokio::select! {
                _ = &mut deadline => return,
                _ = tx.closed() => return,
                _ = sub.disconnect.changed() => return,
                _ = &mut bookmark_timer, if bookmark_at.is_some() => {
                    if !deliver(&store, &tx, request.bookmark(last_revision, false), deadline.as_mut()).await {
                        return;
                    }
                    bookmark_at = next_bookmark(tokio::time::Instant::now(), deadline.deadline());
                    if let Some(at) = bookmark_at {
                        bookmark_timer.as_mut().reset(at);
                    }
                }
                received = sub.live.recv() => {
                    let mut next = received.map_err(|e| match e {
                        broadcast::error::RecvError::Lagged(n) => broadcast::error::TryRecvError::Lagged(n),
                        broadcast::error::RecvError::Closed => broadcast::error::TryRecvError::Closed,
                    });
                    // Everything already queued goes out as one write: with many watchers,
                    // per-event channel hops, chunks and TLS records cost more than the events.
                    let mut drained = 0;
                    let ended = loop {
                        drained += 1;
                        match next {
                            Ok(event) => {
                                if event.revision() > last_revision && event.resource == request.resource.plural {
                                    last_revision = event.revision();
                                    if let Some(line) = request.event_line(&event) {
                                        if let Some(full) = batch.push(line) {
                                            if !deliver(&store, &tx, full, deadline.as_mut()).await {
                                                return;
                                            }
                                        }
                                        if drop_plan.event_sent() {
                                            break true;
                                        }
                                    }
                                }
                            }
                            // Too far behind: end the watch; the client resumes from its last revision.
                            Err(broadcast::error::TryRecvError::Lagged(_)) | Err(broadcast::error::TryRecvError::Closed) => break true,
                            Err(broadcast::error::TryRecvError::Empty) => break false,
                        }
                        // Give the other branches (timeout, client gone) a turn now and then.
                        if drained == MAX_BATCH_EVENTS {
                            break false;
                        }
                        next = sub.live.try_recv();
                    };
                    if let Some(rest) = batch.take() {
                        if !deliver(&store, &tx, rest, deadline.as_mut()).await {
                            return;
                        }
                    }
                    if ended {
                        return;
                    }
                }
            }
        }
    });

    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|bytes| (Ok::<_, Infallible>(Frame::data(bytes)), rx))
    });
    let mut response = Response::new(StreamBody::new(stream).boxed());
    *response.status_mut() = StatusCode::OK;
    let content_type = if request_is_table(ctx) {
        table::TABLE_CONTENT_TYPE
    } else if partial_metadata::wants(ctx.header(header::ACCEPT), false) {
        partial_metadata::OBJECT_CONTENT_TYPE
    } else {
        "application/json"
    };
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static(content_type),
    );
    Ok(response)
}

/// Hands a chunk to the watcher's buffer. False ends the watch: the client is gone, the
/// watch's time is up, or the buffer stayed full for [`SLOW_WATCHER_TIMEOUT`]. With a data
/// directory, the chunk waits until its events are on disk (a watcher never sees a version
/// a crash could take back); a failed disk ends the watch.
async fn deliver(
    store: &Store,
    tx: &mpsc::Sender<Bytes>,
    chunk: Bytes,
    mut deadline: std::pin::Pin<&mut tokio::time::Sleep>,
) -> bool {
    if store.is_durable() {
        tokio::select! {
            synced = store.synced() => {
                if synced.is_err() {
                    return false;
                }
            }
            _ = deadline.as_mut() => return false,
        }
    }
    tokio::select! {
        sent = tx.send(chunk) => sent.is_ok(),
        _ = deadline => false,
        _ = tokio::time::sleep(SLOW_WATCHER_TIMEOUT) => {
            tracing::info!("closing a watch whose client does not read it");
            false
        }
    }
}

fn request_is_table(ctx: &RequestContext) -> bool {
    table::wants_table(ctx.header(header::ACCEPT))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `cacheWatcher.nextBookmarkTime`'s table: a minute on, 2 s before the end when that
    /// is sooner, none once that has passed.
    #[test]
    fn bookmarks_come_every_minute_and_two_seconds_before_the_end() {
        let now = tokio::time::Instant::now();
        let secs = Duration::from_secs;
        let cases = [
            (secs(600), Some(now + secs(60))),
            (secs(100), Some(now + secs(60))),
            (secs(30), Some(now + secs(28))),
            (secs(3), Some(now + secs(1))),
            (secs(2), None),
            (secs(1), None),
        ];
        for (watch_for, expected) in cases {
            assert_eq!(
                next_bookmark(now, now + watch_for),
                expected,
                "{watch_for:?}"
            );
        }
    }

    #[test]
    fn batches_join_lines_in_order_and_pass_a_lone_line_through() {
        let mut batch = Batch::default();
        assert_eq!(batch.take(), None);
        let lone = Bytes::from_static(b"{\"a\":1}\n");
        assert_eq!(batch.push(lone.clone()), None);
        let taken = batch.take().expect("one line");
        assert_eq!(taken, lone);
        assert_eq!(taken.as_ptr(), lone.as_ptr(), "not copied");

        for line in ["1\n", "2\n", "3\n"] {
            assert_eq!(batch.push(Bytes::from_static(line.as_bytes())), None);
        }
        assert_eq!(batch.len(), 6);
        assert_eq!(
            batch.take().expect("joined"),
            Bytes::from_static(b"1\n2\n3\n")
        );
        assert_eq!(batch.take(), None, "emptied");
    }

    #[test]
    fn a_full_batch_is_handed_back() {
        let mut batch = Batch::default();
        let line = Bytes::from(vec![b'x'; MAX_BATCH_BYTES / 2]);
        assert_eq!(batch.push(line.clone()), None);
        let full = batch.push(line).expect("full at the limit");
        assert_eq!(full.len(), MAX_BATCH_BYTES);
        assert_eq!(batch.len(), 0);
    }
}
