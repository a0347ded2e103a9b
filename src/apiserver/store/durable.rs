//! The store's write-ahead copy on disk (`kube-sa serve --data-dir DIR`): every object's
//! latest version in one [redb] file, written by group commit.
//!
//! # Design
//!
//! The in-memory [`Store`](super::Store) stays the source of every read; this file only
//! makes its writes survive a crash. Under the store's lock, each committed change is
//! queued here ([`Durable::push`]) in revision order. One writer thread takes everything
//! queued, writes it as one redb transaction (objects put or removed, and the revision
//! counter), commits it with fsync, and publishes the revision now on disk. Every writer
//! that arrived during that fsync waits for the next one, so one fsync acknowledges a
//! whole batch (group commit) and the lock is never held across disk I/O.
//!
//! The HTTP layer answers a request only once everything it could have seen or written
//! is on disk ([`Durable::wait`]), as etcd answers only committed reads and writes: a
//! client never holds a `resourceVersion` that a crash could take back, and a watch sends
//! an event only once it is durable. A transaction is all or nothing, so after `kill -9`
//! an object is either there at a version some client may have seen, or not there.
//!
//! On open, every object is read back with the revision counter, which resumes where it
//! stopped; the event history starts empty at that revision, so a watch resumed from an
//! older version gets `410 Gone` as after a compaction.
//!
//! # Layout
//!
//! Table `objects`: key `<plural>/<namespace>/<name>` (namespace empty for
//! cluster-scoped objects), value the write time (Unix milliseconds on the store's clock,
//! 8 bytes little-endian, for objects with a time to live) followed by the object's JSON.
//! Table `meta`: `revision`, the store's revision as of the last transaction.
//!
//! With `--encryption-provider-config` the JSON is stored sealed by the resource's first
//! provider ([`Encryption`]), by the writer thread outside the store's lock; it is opened at
//! load, where a value no configured provider reads is reported, not fatal
//! ([`LoadedObject::json`]), and one read by a provider or key no longer first is marked
//! stale so that the next write of its object rewrites it.
//!
//! redb was chosen over fjall and SQLite (rusqlite) by measured commit latency with fsync
//! on this project's machines: all three are bound by the fsync (3.4–4.0 ms per commit of
//! one write, 1.5–4.0 ms per commit of 32), and redb brings no dependencies of its own.

use bytes::Bytes;
use std::borrow::Cow;

use super::super::encryption::Encryption;
use redb::{Database, ReadableTable, ReadableTableMetadata, TableDefinition};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};

const OBJECTS: TableDefinition<&str, &[u8]> = TableDefinition::new("objects");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const REVISION_KEY: &str = "revision";
/// Bytes of the write time before an object's JSON.
const WRITTEN_AT_LEN: usize = 8;

/// Why the durable store failed: opening, reading back or committing.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PersistenceError {
    /// The database could not be opened, read or written.
    #[error("{context}: {message}")]
    Database {
        /// What was being done (`opening /data/store.redb`).
        context: String,
        /// redb's error.
        message: String,
    },
    /// A stored record is not an object this server knows (a damaged or foreign file).
    #[error("stored object {key}: {reason}")]
    Corrupt {
        /// The record's key.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An earlier commit failed, so nothing written since is durable: every later request
    /// is answered with 500 (the server needs a restart on a working disk).
    #[error("the store could not commit to disk: {0}")]
    Failed(Arc<str>),
}

impl PersistenceError {
    fn database(context: impl Into<String>, error: &dyn std::fmt::Display) -> Self {
        Self::Database {
            context: context.into(),
            message: error.to_string(),
        }
    }
}

/// One committed change, queued for the disk.
pub(super) struct Change {
    /// `<plural>/<namespace>/<name>`.
    pub key: String,
    /// The object's JSON, or `None` when it was deleted.
    pub json: Option<Bytes>,
    /// Unix milliseconds on the store's clock.
    pub written_at: i64,
    /// The revision the change was stored at.
    pub revision: u64,
}

/// One object read back at open.
pub(super) struct LoadedObject {
    /// The resource's plural name.
    pub plural: String,
    /// `metadata.namespace`, empty for cluster-scoped objects.
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
    /// Unix milliseconds on the store's clock when it was written.
    pub written_at: i64,
    /// The object's JSON, or upstream's storage error when no configured provider reads
    /// the stored value (`unable to transform key "/registry/...": ...`).
    pub json: Result<Vec<u8>, String>,
    /// Read by a provider or key other than the first: the next write must rewrite it.
    pub stale: bool,
}

/// What the file held.
pub(super) struct Loaded {
    /// The revision counter, 0 for a new file.
    pub revision: u64,
    /// Every stored object.
    pub objects: Vec<LoadedObject>,
}

/// The revision on disk, or why the disk stopped taking writes.
#[derive(Debug, Clone)]
enum Synced {
    Through(u64),
    Failed(Arc<str>),
}

#[derive(Default)]
struct Queue {
    changes: Vec<Change>,
    closed: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    wake: Condvar,
}

/// The durable copy of a store and its group-commit writer thread.
pub struct Durable {
    shared: Arc<Shared>,
    synced: tokio::sync::watch::Receiver<Synced>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// Key of an object in the `objects` table.
pub(super) fn key(plural: &str, namespace: &str, name: &str) -> String {
    format!("{plural}/{namespace}/{name}")
}

impl Durable {
    /// Opens (creating if needed) the database at `path`, reads back every object
    /// (opened by `encryption`'s providers) and starts the writer thread, which seals what
    /// it writes with them.
    pub(super) fn open(
        path: &Path,
        encryption: Arc<Encryption>,
    ) -> Result<(Self, Loaded), PersistenceError> {
        let shown = path.display().to_string();
        let db = Database::create(path)
            .map_err(|e| PersistenceError::database(format!("opening {shown}"), &e))?;
        // Only the server reads its objects (Secrets among them), as etcd keeps its files.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| PersistenceError::database(format!("restricting {shown}"), &e))?;
        }
        let loaded = load(&db, &shown, &encryption)?;
        let (tx, synced) = tokio::sync::watch::channel(Synced::Through(loaded.revision));
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
        });
        let writer = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn({
                let shared = shared.clone();
                move || write_loop(db, &shared, &tx, &encryption)
            })
            .map_err(|e| PersistenceError::database("starting the store writer", &e))?;
        Ok((
            Self {
                shared,
                synced,
                writer: Mutex::new(Some(writer)),
            },
            loaded,
        ))
    }

    /// Queues a change; called under the store's lock, so changes queue in revision order.
    pub(super) fn push(&self, change: Change) {
        let mut queue = self.shared.queue.lock().unwrap_or_else(|e| e.into_inner());
        queue.changes.push(change);
        drop(queue);
        self.shared.wake.notify_one();
    }

    /// Waits until every change up to `revision` is on disk.
    pub async fn wait(&self, revision: u64) -> Result<(), PersistenceError> {
        let mut synced = self.synced.clone();
        let reached = synced
            .wait_for(|s| match s {
                Synced::Through(on_disk) => *on_disk >= revision,
                Synced::Failed(_) => true,
            })
            .await
            .map(|s| s.clone());
        match reached {
            Ok(Synced::Through(_)) => Ok(()),
            Ok(Synced::Failed(reason)) => Err(PersistenceError::Failed(reason)),
            // The writer is gone only after the store closed.
            Err(_) => Err(PersistenceError::Failed("the store writer stopped".into())),
        }
    }
}

impl Durable {
    /// Writes what is queued, stops the writer and closes the file (releasing its lock
    /// for the next start); later changes are not written and waits for them fail. Blocks
    /// for the last commit.
    pub(super) fn close(&self) {
        self.shared
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .closed = true;
        self.shared.wake.notify_one();
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(writer) = writer {
            let _ = writer.join();
        }
    }
}

impl Drop for Durable {
    fn drop(&mut self) {
        self.close();
    }
}

fn load(db: &Database, shown: &str, encryption: &Encryption) -> Result<Loaded, PersistenceError> {
    let read_error =
        |e: &dyn std::fmt::Display| PersistenceError::database(format!("reading {shown}"), e);
    let tx = db.begin_read().map_err(|e| read_error(&e))?;
    let revision = match tx.open_table(META) {
        Ok(meta) => meta
            .get(REVISION_KEY)
            .map_err(|e| read_error(&e))?
            .map_or(0, |v| v.value()),
        Err(redb::TableError::TableDoesNotExist(_)) => 0,
        Err(e) => return Err(read_error(&e)),
    };
    let table = match tx.open_table(OBJECTS) {
        Ok(table) => table,
        Err(redb::TableError::TableDoesNotExist(_)) => {
            return Ok(Loaded {
                revision,
                objects: Vec::new(),
            })
        }
        Err(e) => return Err(read_error(&e)),
    };
    let mut objects = Vec::with_capacity(table.len().unwrap_or(0) as usize);
    for entry in table.iter().map_err(|e| read_error(&e))? {
        let (key, value) = entry.map_err(|e| read_error(&e))?;
        let key = key.value();
        let value = value.value();
        let corrupt = |reason: &str| PersistenceError::Corrupt {
            key: key.to_string(),
            reason: reason.to_string(),
        };
        let (plural, namespace, name) =
            split_key(key).ok_or_else(|| corrupt("not <resource>/<namespace>/<name>"))?;
        let (written_at, stored) = value
            .split_first_chunk::<WRITTEN_AT_LEN>()
            .ok_or_else(|| corrupt("shorter than its header"))?;
        let (json, stale) = match encryption.from_storage(plural, namespace, name, stored) {
            Ok((json, stale)) => (Ok(json), stale),
            Err(reason) => (Err(reason), false),
        };
        objects.push(LoadedObject {
            plural: plural.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
            written_at: i64::from_le_bytes(*written_at),
            json,
            stale,
        });
    }
    Ok(Loaded { revision, objects })
}

/// `<plural>/<namespace>/<name>` in its parts (names and namespaces hold no `/`).
fn split_key(key: &str) -> Option<(&str, &str, &str)> {
    let mut parts = key.splitn(3, '/');
    Some((parts.next()?, parts.next()?, parts.next()?))
}

/// The writer thread: takes every queued change, commits them in one transaction, tells
/// the waiters; until the store closes and the queue is empty.
fn write_loop(
    db: Database,
    shared: &Shared,
    synced: &tokio::sync::watch::Sender<Synced>,
    encryption: &Encryption,
) {
    loop {
        let batch = {
            let mut queue = shared.queue.lock().unwrap_or_else(|e| e.into_inner());
            while queue.changes.is_empty() && !queue.closed {
                queue = shared.wake.wait(queue).unwrap_or_else(|e| e.into_inner());
            }
            if queue.changes.is_empty() {
                return;
            }
            std::mem::take(&mut queue.changes)
        };
        let Some(last) = batch.last().map(|c| c.revision) else {
            continue;
        };
        match commit(&db, &batch, encryption) {
            Ok(()) => {
                synced.send_replace(Synced::Through(last));
            }
            Err(e) => {
                // Memory is now ahead of the disk for good: refuse every later
                // acknowledgement rather than acknowledge what a restart would lose.
                tracing::error!(error = %e, "the durable store failed to commit");
                synced.send_replace(Synced::Failed(e.to_string().into()));
                return;
            }
        }
    }
}

fn commit(
    db: &Database,
    batch: &[Change],
    encryption: &Encryption,
) -> Result<(), PersistenceError> {
    let failed = |e: &dyn std::fmt::Display| PersistenceError::database("committing", e);
    let tx = db.begin_write().map_err(|e| failed(&e))?;
    {
        let mut objects = tx.open_table(OBJECTS).map_err(|e| failed(&e))?;
        let mut value = Vec::new();
        for change in batch {
            match &change.json {
                Some(json) => {
                    let stored = sealed(encryption, &change.key, json)?;
                    value.clear();
                    value.extend_from_slice(&change.written_at.to_le_bytes());
                    value.extend_from_slice(&stored);
                    objects
                        .insert(change.key.as_str(), value.as_slice())
                        .map_err(|e| failed(&e))?;
                }
                None => {
                    objects
                        .remove(change.key.as_str())
                        .map_err(|e| failed(&e))?;
                }
            }
        }
        let mut meta = tx.open_table(META).map_err(|e| failed(&e))?;
        if let Some(last) = batch.last() {
            meta.insert(REVISION_KEY, last.revision)
                .map_err(|e| failed(&e))?;
        }
    }
    // redb's default durability: the commit returns after fsync.
    tx.commit().map_err(|e| failed(&e))
}

/// The stored form of an object's JSON: itself, or sealed by its resource's first provider.
fn sealed<'a>(
    encryption: &Encryption,
    key: &str,
    json: &'a [u8],
) -> Result<Cow<'a, [u8]>, PersistenceError> {
    let (plural, namespace, name) = split_key(key).unwrap_or((key, "", ""));
    if encryption.chain(plural).writes_plain() {
        return Ok(Cow::Borrowed(json));
    }
    encryption
        .to_storage(plural, namespace, name, json)
        .map(Cow::Owned)
        .map_err(|e| PersistenceError::database(format!("encrypting {key}"), &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(key: &str, json: Option<&'static str>, revision: u64) -> Change {
        Change {
            key: key.to_string(),
            json: json.map(|j| Bytes::from_static(j.as_bytes())),
            written_at: 7,
            revision,
        }
    }

    #[tokio::test]
    async fn commits_are_read_back_with_the_revision_after_a_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("store.redb");
        {
            let (durable, loaded) = Durable::open(&path, Default::default()).expect("open");
            assert_eq!(loaded.revision, 0);
            assert!(loaded.objects.is_empty());
            durable.push(change("secrets/a/one", Some("{\"n\":1}"), 2));
            durable.push(change("secrets/a/two", Some("{\"n\":2}"), 3));
            durable.push(change("secrets/a/one", None, 4));
            durable.wait(4).await.expect("durable");
        }
        let (_durable, loaded) = Durable::open(&path, Default::default()).expect("reopen");
        assert_eq!(loaded.revision, 4);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .expect("metadata")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "only the server reads the database");
        }
        let objects: Vec<(&str, &str, &str, i64, &[u8])> = loaded
            .objects
            .iter()
            .map(|o| {
                let json = o.json.as_deref().expect("plain");
                (
                    o.plural.as_str(),
                    o.namespace.as_str(),
                    o.name.as_str(),
                    o.written_at,
                    json,
                )
            })
            .collect();
        assert_eq!(objects, [("secrets", "a", "two", 7, &b"{\"n\":2}"[..])]);
    }

    #[tokio::test]
    async fn a_wait_for_a_revision_already_on_disk_returns_at_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (durable, _) =
            Durable::open(&dir.path().join("s.redb"), Default::default()).expect("open");
        durable.wait(0).await.expect("nothing to wait for");
    }
}
