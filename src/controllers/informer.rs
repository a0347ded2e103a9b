//! Watch-fed caches (kube-runtime reflectors) that report changes the way client-go
//! informers do, including objects that disappeared while the watch was down.

use std::fmt::Debug;

use futures::StreamExt;
use kube::runtime::reflector::{self, store::Writer, ObjectRef};
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Api, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use tracing::warn;

/// One change the cache saw.
#[derive(Debug, Clone, Copy)]
pub enum Change<'a, K> {
    /// Added or updated (the new object).
    Applied(&'a K),
    /// Deleted (the last known object).
    Deleted(&'a K),
}

impl<'a, K> Change<'a, K> {
    /// The object, whichever the change.
    pub fn object(&self) -> &'a K {
        match *self {
            Self::Applied(object) | Self::Deleted(object) => object,
        }
    }
}

/// Keeps `writer`'s store in sync with the objects `api` and `config` select, as
/// `transform` leaves them (client-go's `TransformFunc`: the fields no handler reads are
/// dropped before caching, `managedFields` always), and calls
/// `on_change` after the store reflects each change. Runs until dropped; watch errors are
/// logged and retried with kube-runtime's default backoff.
///
/// A (re)list is reported once it is complete, as `Applied` for every listed object and
/// `Deleted` for every object that was cached before and is gone (or has a new UID), so
/// handlers never look at a half-replaced store.
pub async fn inform<K>(
    api: Api<K>,
    config: watcher::Config,
    writer: Writer<K>,
    transform: fn(&mut K),
    mut on_change: impl FnMut(Change<'_, K>),
) where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    let store = writer.as_reader();
    // No cache reads managedFields, which are a large part of every object, so they are
    // dropped before caching (kube-rs's documented memory optimization). Dropped as absent,
    // not emptied: an update carrying `managedFields: []` resets them on the server.
    let stream = watcher(api, config)
        .default_backoff()
        .modify(move |object| {
            object.meta_mut().managed_fields = None;
            transform(object);
        });
    let events = reflector::reflector(writer, stream);
    futures::pin_mut!(events);
    let mut before_list = Vec::new();
    let mut listed = Vec::new();
    while let Some(event) = events.next().await {
        match event {
            Ok(watcher::Event::Init) => {
                // The store still holds the previous state until the list is done.
                before_list = store.state();
                listed.clear();
            }
            Ok(watcher::Event::InitApply(object)) => listed.push(object),
            Ok(watcher::Event::InitDone) => {
                for object in listed.drain(..) {
                    on_change(Change::Applied(&object));
                }
                for old in before_list.drain(..) {
                    let still_there = store
                        .get(&ObjectRef::from_obj(old.as_ref()))
                        .is_some_and(|current| current.uid() == old.uid());
                    if !still_there {
                        on_change(Change::Deleted(old.as_ref()));
                    }
                }
            }
            Ok(watcher::Event::Apply(object)) => on_change(Change::Applied(&object)),
            Ok(watcher::Event::Delete(object)) => on_change(Change::Deleted(&object)),
            Err(error) => warn!(%error, kind = %K::kind(&()), "watch failed; retrying"),
        }
    }
}
