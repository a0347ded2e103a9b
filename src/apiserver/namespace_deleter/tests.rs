use super::*;
use crate::apiserver::kinds::{CONFIG_MAPS, SECRETS};
use serde_json::json;

fn store_with(namespace: &str, spec_finalizers: &[&str]) -> Store {
    let store = Store::new(1000);
    store
        .create(
            &NAMESPACES,
            json!({"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": namespace, "uid": "u1"},
                "spec": {"finalizers": spec_finalizers},
                "status": {"phase": "Active"}}),
        )
        .expect("namespace");
    store
}

fn put(store: &Store, resource: &'static ResourceInfo, name: &str, finalizers: &[&str]) {
    store
        .create(
            resource,
            json!({"apiVersion": "v1", "kind": resource.kind,
                "metadata": {"name": name, "namespace": "term", "finalizers": finalizers}}),
        )
        .expect("content");
}

/// Marks the namespace as the delete verb does.
fn mark(store: &Store, namespace: &str) {
    let ns = store.get(&NAMESPACES, "", namespace).expect("namespace");
    let marked = deletion::marked(&NAMESPACES, &ns.value(), "2026-01-01T00:00:00Z");
    store.update(&NAMESPACES, marked, None).expect("marked");
}

fn condition(ns: &Value, condition_type: &str) -> (String, String, String) {
    let found = ns["status"]["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == condition_type))
        .cloned()
        .unwrap_or_default();
    let text = |key: &str| found[key].as_str().unwrap_or_default().to_string();
    (text("status"), text("reason"), text("message"))
}

#[test]
fn content_with_finalizers_is_marked_and_holds_the_namespace() {
    let store = store_with("term", &["kubernetes"]);
    put(&store, &CONFIG_MAPS, "f", &["example.com/x"]);
    put(&store, &SECRETS, "plain", &[]);
    mark(&store, "term");

    assert_eq!(sync(&store, "term"), Outcome::ContentRemains);
    assert!(
        store.get(&SECRETS, "term", "plain").is_none(),
        "plain content goes"
    );
    let held = store
        .get(&CONFIG_MAPS, "term", "f")
        .expect("held by its finalizer");
    assert!(held.is_deleting());
    let ns = store
        .get(&NAMESPACES, "", "term")
        .expect("namespace stays")
        .value();
    assert_eq!(ns["status"]["phase"], "Terminating");
    assert_eq!(ns["spec"]["finalizers"], json!(["kubernetes"]));
    assert_eq!(
        condition(&ns, "NamespaceFinalizersRemaining"),
        (
            "True".into(),
            "SomeFinalizersRemain".into(),
            "Some content in the namespace has finalizers remaining: example.com/x in 1 resource instances".into()
        )
    );
    assert_eq!(
        condition(&ns, "NamespaceContentRemaining"),
        (
            "True".into(),
            "SomeResourcesRemain".into(),
            "Some resources are remaining: configmaps. has 1 resource instances".into()
        )
    );
    assert_eq!(condition(&ns, "NamespaceDeletionContentFailure").0, "False");

    // A second sync while nothing changed writes nothing.
    let revision = store.revision();
    assert_eq!(sync(&store, "term"), Outcome::ContentRemains);
    assert_eq!(store.revision(), revision);

    // Its finalizer's owner lets go (the update pipeline then deletes it).
    store
        .delete(&CONFIG_MAPS, "term", "f", &Preconditions::default())
        .expect("released");
    assert_eq!(sync(&store, "term"), Outcome::Done);
    assert!(store.get(&NAMESPACES, "", "term").is_none());
}

#[test]
fn another_spec_finalizer_keeps_the_namespace_after_its_content_is_gone() {
    let store = store_with("term", &["kubernetes", "example.com/custom"]);
    put(&store, &CONFIG_MAPS, "c", &[]);
    mark(&store, "term");
    assert_eq!(sync(&store, "term"), Outcome::Done);
    assert!(store.get(&CONFIG_MAPS, "term", "c").is_none());
    let ns = store.get(&NAMESPACES, "", "term").expect("held").value();
    assert_eq!(ns["spec"]["finalizers"], json!(["example.com/custom"]));
    assert_eq!(
        condition(&ns, "NamespaceContentRemaining"),
        (
            "False".into(),
            "ContentRemoved".into(),
            "All content successfully removed".into()
        )
    );
    // Nothing left for this deleter: a later sync changes nothing.
    let revision = store.revision();
    assert_eq!(sync(&store, "term"), Outcome::Done);
    assert_eq!(store.revision(), revision);
}

#[test]
fn active_and_missing_namespaces_are_left_alone() {
    let store = store_with("term", &["kubernetes"]);
    put(&store, &CONFIG_MAPS, "c", &[]);
    assert_eq!(sync(&store, "term"), Outcome::Done);
    assert!(store.get(&CONFIG_MAPS, "term", "c").is_some());
    assert_eq!(sync(&store, "missing"), Outcome::Done);
}

#[test]
fn every_namespaced_deletable_kind_is_deleted_once_per_group() {
    let resources = deletable_resources();
    for (i, r) in resources.iter().enumerate() {
        assert!(r.namespaced && r.verbs.contains(&"delete"), "{}", r.plural);
        assert!(
            !resources[..i]
                .iter()
                .any(|o| o.group == r.group && o.plural == r.plural),
            "{}.{} twice",
            r.plural,
            r.group
        );
    }
    let position = |plural: &str| resources.iter().position(|r| r.plural == plural);
    assert!(position("pods") < position("secrets"));
    assert!(position("secrets") < position("serviceaccounts"));
}

#[tokio::test]
async fn a_released_finalizer_lets_the_waiting_namespace_finish() {
    let store = Arc::new(store_with("term", &["kubernetes"]));
    put(&store, &CONFIG_MAPS, "f", &["example.com/x"]);
    mark(&store, "term");
    let (queue, receiver) = Queue::new();
    let (stop, stopped) = signal::channel(false);
    let task = tokio::spawn(run(store.clone(), receiver, stopped));
    queue.enqueue("term");

    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !store
        .get(&CONFIG_MAPS, "term", "f")
        .is_some_and(|cm| cm.is_deleting())
    {
        assert!(tokio::time::Instant::now() < deadline, "content not marked");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    store
        .delete(&CONFIG_MAPS, "term", "f", &Preconditions::default())
        .expect("released");
    // Well before the requeue: the store's event brings the sync.
    let deadline = tokio::time::Instant::now() + REQUEUE / 2;
    while store.get(&NAMESPACES, "", "term").is_some() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "namespace not removed"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let _ = stop.send(true);
    task.await.expect("deleter ends on shutdown");
}
