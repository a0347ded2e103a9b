//! The namespace deleter of kube-controller-manager's namespace controller
//! (`pkg/controller/namespace/namespace_controller.go` and
//! `pkg/controller/namespace/deletion/namespaced_resources_deleter.go`), run inside the
//! API server: for a terminating namespace it deletes the content, marks objects with
//! finalizers instead, records what remains in the namespace's status conditions
//! ([`super::namespace_conditions`]), and once nothing remains removes the `kubernetes`
//! finalizer from `spec.finalizers`; the namespace is gone when no finalizer is left.
//!
//! A namespace whose content is still held by finalizers is synced again when anything in
//! it changes (the store's events), and at the latest after upstream's requeue delay.

use serde_json::{json, Value};
use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, watch as signal};

use super::deletion;
use super::kinds::{ResourceInfo, ALL, NAMESPACES};
use super::namespace_conditions::{update_conditions, ContentTotals};
use super::now_rfc3339;
use super::store::{Preconditions, Store, StoreError, Subscription};

/// The finalizer token this deleter owns in a namespace's `spec.finalizers`.
pub const FINALIZER: &str = "kubernetes";

/// Upstream requeues a namespace whose content waits on finalizers after half its
/// 15-second estimate plus one second; here it is only the fallback to the store's events.
const REQUEUE: Duration = Duration::from_secs(8);

/// Where terminating namespaces are handed to the deleter.
#[derive(Clone)]
pub struct Queue(mpsc::UnboundedSender<String>);

impl Queue {
    /// A queue and the receiving end [`run`] takes.
    pub fn new() -> (Self, mpsc::UnboundedReceiver<String>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Self(tx), rx)
    }

    /// Asks for a sync of `namespace`.
    pub fn enqueue(&self, namespace: &str) {
        // Closed only after shutdown, when nothing is deleted any more.
        let _ = self.0.send(namespace.to_string());
    }
}

/// What one sync of a namespace came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The namespace is gone, not terminating, or finalized by this deleter.
    Done,
    /// Content remains (finalizers, or a write that raced); sync again later.
    ContentRemains,
}

/// Syncs the namespaces it is given, and every namespace that is terminating at start (a
/// restart on a data directory), until `shutdown`.
pub async fn run(
    store: Arc<Store>,
    mut queue: mpsc::UnboundedReceiver<String>,
    mut shutdown: signal::Receiver<bool>,
) {
    let mut waiting = BTreeSet::new();
    let mut events: Option<Subscription> = None;
    let (namespaces, _) = store.list(&NAMESPACES, None);
    for ns in namespaces.iter().filter(|ns| ns.is_deleting()) {
        process(&store, ns.name(), &mut waiting, &mut events);
    }
    loop {
        let live = events.as_mut().map(|s| &mut s.live);
        tokio::select! {
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    return;
                }
            }
            next = queue.recv() => {
                let Some(namespace) = next else { return };
                process(&store, &namespace, &mut waiting, &mut events);
            }
            dirty = changed_namespaces(live, &waiting) => {
                for namespace in dirty {
                    process(&store, &namespace, &mut waiting, &mut events);
                }
            }
            () = tokio::time::sleep(REQUEUE), if !waiting.is_empty() => {
                for namespace in waiting.clone() {
                    process(&store, &namespace, &mut waiting, &mut events);
                }
            }
        }
    }
}

/// The waiting namespaces that the next store events touch (all of them when events were
/// missed); pending forever without a subscription.
async fn changed_namespaces(
    live: Option<&mut broadcast::Receiver<super::store::WatchEvent>>,
    waiting: &BTreeSet<String>,
) -> BTreeSet<String> {
    let Some(live) = live else {
        return std::future::pending().await;
    };
    let mut dirty = BTreeSet::new();
    let note = |event: &super::store::WatchEvent, dirty: &mut BTreeSet<String>| {
        let object = &event.object;
        let touched = if event.resource == NAMESPACES.plural {
            object.name()
        } else {
            object.namespace()
        };
        if waiting.contains(touched) {
            dirty.insert(touched.to_string());
        }
    };
    loop {
        match live.recv().await {
            Ok(event) => note(&event, &mut dirty),
            Err(broadcast::error::RecvError::Lagged(_)) => return waiting.clone(),
            Err(broadcast::error::RecvError::Closed) => return std::future::pending().await,
        }
        // Take what else is already there, so a burst costs one sync per namespace.
        loop {
            match live.try_recv() {
                Ok(event) => note(&event, &mut dirty),
                Err(broadcast::error::TryRecvError::Lagged(_)) => return waiting.clone(),
                Err(_) => break,
            }
        }
        if !dirty.is_empty() {
            return dirty;
        }
    }
}

/// Syncs one namespace and keeps the set of namespaces waiting on their content, with a
/// subscription to the store's events only while that set is not empty.
fn process(
    store: &Store,
    namespace: &str,
    waiting: &mut BTreeSet<String>,
    events: &mut Option<Subscription>,
) {
    let span = tracing::info_span!("namespace_deleter", namespace = %namespace);
    let _guard = span.enter();
    let mut outcome = sync(store, namespace);
    if outcome == Outcome::ContentRemains && events.is_none() {
        // Subscribe, then look again: a change between the sync and the subscription
        // would otherwise wait for the requeue.
        *events = store.subscribe(&NAMESPACES, None).ok();
        outcome = sync(store, namespace);
    }
    match outcome {
        Outcome::ContentRemains => {
            waiting.insert(namespace.to_string());
        }
        Outcome::Done => {
            waiting.remove(namespace);
        }
    }
    if waiting.is_empty() {
        *events = None;
    }
}

/// One sync (`namespacedResourcesDeleter.Delete`): nothing for a namespace that is gone,
/// not terminating or already without `spec.finalizers`; otherwise delete the content,
/// record the conditions, and finalize when nothing remains.
pub fn sync(store: &Store, namespace: &str) -> Outcome {
    let Some(ns) = store.get(&NAMESPACES, "", namespace) else {
        return Outcome::Done;
    };
    let value = ns.value();
    if !ns.is_deleting() || !deletion::has_finalizers(&json!({"spec": value["spec"]})) {
        return Outcome::Done;
    }
    let now = now_rfc3339(store.clock().as_ref());
    let totals = delete_content(store, namespace, &now);
    let mut updated = value;
    if update_conditions(&mut updated, &totals, &now) {
        match store.update(&NAMESPACES, updated, Some(&ns.resource_version())) {
            Ok(_) => {}
            // Someone wrote it meanwhile (or removed it): their event brings a new sync.
            Err(StoreError::Conflict | StoreError::NotFound) => return Outcome::ContentRemains,
            Err(e) => {
                tracing::warn!(error = %e, "namespace conditions not written");
                return Outcome::ContentRemains;
            }
        }
    }
    if totals.content_remains() {
        return Outcome::ContentRemains;
    }
    finalize(store, namespace)
}

/// Removes this deleter's token from `spec.finalizers` (`finalizeNamespace`: the rest
/// kept, sorted) through a compare-and-swap, and removes the namespace when no finalizer
/// is left, as the `finalize` subresource's update does.
fn finalize(store: &Store, namespace: &str) -> Outcome {
    let Some(ns) = store.get(&NAMESPACES, "", namespace) else {
        return Outcome::Done;
    };
    let mut value = ns.value();
    let ours = value["spec"]["finalizers"]
        .as_array()
        .is_some_and(|f| f.iter().any(|f| f == FINALIZER));
    if !ours {
        // Finalized by us already; the other finalizers' owners remove theirs.
        return Outcome::Done;
    }
    let rest: BTreeSet<String> = value["spec"]["finalizers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|f| *f != FINALIZER)
        .map(str::to_string)
        .collect();
    value["spec"]["finalizers"] = json!(rest);
    let done = deletion::finalized(&value);
    match store.update(&NAMESPACES, value, Some(&ns.resource_version())) {
        Ok(_) => {}
        Err(StoreError::NotFound) => return Outcome::Done,
        Err(_) => return Outcome::ContentRemains,
    }
    if done {
        // NotFound: someone else completed it, which is the goal.
        let _ = store.delete(&NAMESPACES, "", namespace, &Preconditions::default());
        tracing::info!("namespace finalized and removed");
    }
    Outcome::Done
}

/// Deletes everything in the namespace that can be deleted; objects with finalizers are
/// marked instead and counted, as is anything that changed under the deletion.
fn delete_content(store: &Store, namespace: &str, now: &str) -> ContentTotals {
    let mut totals = ContentTotals::default();
    for resource in deletable_resources() {
        let label = format!("{}.{}", resource.plural, resource.group);
        let (objects, _) = store.list(resource, Some(namespace));
        for object in objects {
            let value = object.value();
            let finalizers: Vec<&str> = value["metadata"]["finalizers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let held = if finalizers.is_empty() {
                // Only the listed version: one that gained finalizers since must stay.
                let unchanged = Preconditions {
                    resource_version: Some(object.resource_version()),
                    ..Preconditions::default()
                };
                matches!(
                    store.delete(resource, namespace, object.name(), &unchanged),
                    Err(StoreError::ResourceVersionPrecondition { .. })
                )
            } else {
                if !object.is_deleting() {
                    let marked = deletion::marked(resource, &value, now);
                    // A conflict leaves it for the next sync, which its event brings.
                    let _ = store.update(resource, marked, Some(&object.resource_version()));
                }
                true
            };
            if held {
                totals.add_remaining(&label, finalizers.iter().copied());
            }
        }
    }
    totals
}

/// The namespaced resources that can be deleted, each group's resource once (the first,
/// preferred, version), workloads first and service accounts last so that controllers
/// see token secrets go before their accounts.
fn deletable_resources() -> Vec<&'static ResourceInfo> {
    let mut seen = HashSet::new();
    let mut resources: Vec<&'static ResourceInfo> = ALL
        .iter()
        .filter(|r| r.namespaced && !r.create_only && r.verbs.contains(&"delete"))
        .filter(|r| seen.insert((r.group, r.plural)))
        .collect();
    resources.sort_by_key(|r| r.strategy.namespace_deletion_order());
    resources
}

#[cfg(test)]
mod tests;
