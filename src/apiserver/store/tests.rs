use super::*;
use crate::apiserver::kinds::{PODS, SECRETS};
use serde_json::json;

fn store_with_namespaces(names: &[&str]) -> Store {
    let store = Store::default();
    for name in names {
        store
            .create(&NAMESPACES, json!({"metadata": {"name": name}}))
            .expect("namespace");
    }
    store
}

fn secret(ns: &str, name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"namespace": ns, "name": name, "uid": format!("uid-{name}")}})
}

#[test]
fn create_get_update_delete_bump_the_revision() {
    let store = store_with_namespaces(&["a"]);
    let created = store.create(&SECRETS, secret("a", "s")).expect("create");
    assert_eq!(created.resource_version(), "3");
    assert_eq!(
        store.create(&SECRETS, secret("a", "s")),
        Err(StoreError::AlreadyExists)
    );
    let updated = store
        .update(&SECRETS, secret("a", "s"), Some("3"))
        .expect("update");
    assert_eq!(updated.resource_version(), "4");
    assert_eq!(
        store.update(&SECRETS, secret("a", "s"), Some("3")),
        Err(StoreError::Conflict)
    );
    let gone = store
        .delete(&SECRETS, "a", "s", &Preconditions::default())
        .expect("delete");
    assert_eq!(gone.resource_version(), "5");
    assert!(store.get(&SECRETS, "a", "s").is_none());
}

#[test]
fn delete_checks_uid_and_resource_version_preconditions() {
    let store = store_with_namespaces(&["a"]);
    store.create(&SECRETS, secret("a", "s")).expect("create");
    let wrong_uid = Preconditions {
        uid: Some("other".into()),
        resource_version: None,
    };
    assert!(matches!(
        store.delete(&SECRETS, "a", "s", &wrong_uid),
        Err(StoreError::UidPrecondition { .. })
    ));
    let wrong_rv = Preconditions {
        uid: None,
        resource_version: Some("9".into()),
    };
    assert!(matches!(
        store.delete(&SECRETS, "a", "s", &wrong_rv),
        Err(StoreError::ResourceVersionPrecondition { .. })
    ));
    let right = Preconditions {
        uid: Some("uid-s".into()),
        resource_version: Some("3".into()),
    };
    assert!(store.delete(&SECRETS, "a", "s", &right).is_ok());
}

#[test]
fn list_is_scoped_to_a_namespace_and_sorted() {
    let store = store_with_namespaces(&["a", "ab", "b"]);
    for (ns, name) in [("b", "x"), ("a", "z"), ("a", "y"), ("ab", "w")] {
        store.create(&SECRETS, secret(ns, name)).expect("create");
    }
    let (items, revision) = store.list(&SECRETS, Some("a"));
    let names: Vec<&str> = items.iter().map(|o| o.name()).collect();
    assert_eq!(names, ["y", "z"]);
    assert_eq!(revision, 8);
    assert_eq!(store.list(&SECRETS, None).0.len(), 4);
    assert!(store.list(&PODS, None).0.is_empty());
}

#[test]
fn a_list_at_an_earlier_revision_undoes_later_changes() {
    let store = store_with_namespaces(&["a", "b"]);
    for name in ["kept", "edited", "deleted"] {
        store.create(&SECRETS, secret("a", name)).expect("create");
    }
    let (before, at) = store.list(&SECRETS, None);
    let mut edited = secret("a", "edited");
    edited["data"] = json!({"k": "dg=="});
    store.update(&SECRETS, edited, None).expect("update");
    store
        .delete(&SECRETS, "a", "deleted", &Preconditions::default())
        .expect("delete");
    for (namespace, name) in [("a", "added"), ("b", "elsewhere")] {
        store
            .create(&SECRETS, secret(namespace, name))
            .expect("create");
    }

    let then = store.list_at(&SECRETS, None, at).expect("in the history");
    assert_eq!(
        then.iter().map(|o| o.json()).collect::<Vec<_>>(),
        before.iter().map(|o| o.json()).collect::<Vec<_>>(),
        "the same objects, byte for byte, in the same order"
    );
    let in_b = store
        .list_at(&SECRETS, Some("b"), at)
        .expect("in the history");
    assert!(in_b.is_empty());
    let (now, revision) = store.list(&SECRETS, Some("a"));
    let latest = store.list_at(&SECRETS, Some("a"), revision).expect("now");
    assert_eq!(latest.len(), now.len());

    store.compact();
    assert_eq!(
        store.list_at(&SECRETS, None, at).err(),
        Some(StoreError::TooOld {
            requested: at,
            oldest: store.revision() + 1
        })
    );
}

#[test]
fn subscriptions_resume_from_history_and_expire_after_compaction() {
    let store = store_with_namespaces(&["a"]);
    store.create(&SECRETS, secret("a", "one")).expect("create");
    store
        .create(&PODS, json!({"metadata": {"namespace": "a", "name": "p"}}))
        .expect("create");
    store.create(&SECRETS, secret("a", "two")).expect("create");
    let sub = store.subscribe(&SECRETS, Some(3)).expect("subscribe");
    let names: Vec<&str> = sub.backlog.iter().map(|e| e.object.name()).collect();
    assert_eq!(names, ["two"]);
    store.compact();
    assert_eq!(
        store.subscribe(&SECRETS, Some(3)).err(),
        Some(StoreError::TooOld {
            requested: 3,
            oldest: 6
        })
    );
    assert!(store.subscribe(&SECRETS, Some(5)).is_ok());
}

#[test]
fn creates_need_a_live_namespace() {
    let store = store_with_namespaces(&["a"]);
    assert_eq!(
        store.create(&SECRETS, secret("b", "s")),
        Err(StoreError::NamespaceNotFound("b".into()))
    );
    let mut terminating = store.get(&NAMESPACES, "", "a").expect("ns").value();
    terminating["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
    store.update(&NAMESPACES, terminating, None).expect("mark");
    assert_eq!(
        store.create(&SECRETS, secret("a", "s")),
        Err(StoreError::NamespaceTerminating("a".into()))
    );
}

#[test]
fn an_event_line_is_the_stored_bytes_and_the_object_a_slice_of_them() {
    let store = store_with_namespaces(&["a"]);
    let stored = store.create(&SECRETS, secret("a", "s")).expect("create");
    let event = store
        .subscribe(&SECRETS, Some(2))
        .expect("subscribe")
        .backlog
        .remove(0);
    let line = event.json_line();
    assert_eq!(line.as_ptr(), stored.event_line().as_ptr(), "not copied");
    // `type` first, as kube-apiserver writes it (adjacently tagged decoders need not buffer).
    assert!(
        line.starts_with(b"{\"type\":\"ADDED\",\"object\":{"),
        "{line:?}"
    );
    assert!(line.ends_with(b"}}\n"), "{line:?}");
    let parsed: Value = serde_json::from_slice(&line).expect("json");
    assert_eq!(parsed["type"], "ADDED");
    assert_eq!(parsed["object"], stored.value());
    assert_eq!(stored.value()["metadata"]["resourceVersion"], "3");
    let as_modified: Value =
        serde_json::from_slice(&stored.line_as(EventType::Modified)).expect("json");
    assert_eq!(as_modified["type"], "MODIFIED");
    assert_eq!(as_modified["object"], parsed["object"]);
}

#[test]
fn counts_and_lists_across_namespaces() {
    let store = store_with_namespaces(&["b", "a"]);
    for (ns, name) in [("b", "x"), ("a", "z"), ("a", "y")] {
        store.create(&SECRETS, secret(ns, name)).expect("create");
    }
    assert_eq!(store.count(&SECRETS, "a"), 2);
    assert_eq!(store.count(&SECRETS, "c"), 0);
    let keys: Vec<(String, String)> = store
        .list(&SECRETS, None)
        .0
        .iter()
        .map(|o| (o.namespace().to_string(), o.name().to_string()))
        .collect();
    let expected =
        [("a", "y"), ("a", "z"), ("b", "x")].map(|(n, m)| (n.to_string(), m.to_string()));
    assert_eq!(keys, expected);
    store
        .delete(&SECRETS, "b", "x", &Preconditions::default())
        .expect("delete");
    assert_eq!(store.count(&SECRETS, "b"), 0);
    assert!(store.list(&SECRETS, Some("b")).0.is_empty());
}

#[tokio::test]
async fn an_opened_store_resumes_its_objects_revision_and_expiries() {
    use crate::apiserver::kinds::EVENTS;
    use crate::clock::FakeClock;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store.redb");
    let clock = Arc::new(FakeClock::new(jiff::Timestamp::UNIX_EPOCH));
    let event = json!({"metadata": {"namespace": "a", "name": "e"}, "reason": "R"});
    {
        let store = Store::open(100, clock.clone(), &path).expect("open");
        store
            .create(&NAMESPACES, json!({"metadata": {"name": "a"}}))
            .expect("namespace");
        store.create(&SECRETS, secret("a", "kept")).expect("create");
        store.create(&SECRETS, secret("a", "gone")).expect("create");
        store
            .delete(&SECRETS, "a", "gone", &Preconditions::default())
            .expect("delete");
        store.create(&EVENTS, event).expect("event");
        store.synced().await.expect("on disk");
        assert_eq!(store.revision(), 6);
    }
    // Half the event's hour passes while the server is down.
    clock.advance(std::time::Duration::from_secs(1800));
    let store = Store::open(100, clock.clone(), &path).expect("reopen");
    assert_eq!(store.revision(), 6, "the counter resumes");
    let kept = store.get(&SECRETS, "a", "kept").expect("kept");
    assert_eq!(kept.resource_version(), "3");
    assert_eq!(kept.uid(), "uid-kept");
    assert!(store.get(&SECRETS, "a", "gone").is_none());
    assert_eq!(
        store.subscribe(&SECRETS, Some(5)).err(),
        Some(StoreError::TooOld {
            requested: 5,
            oldest: 7
        }),
        "watches from before the restart get 410 Gone"
    );
    assert!(store.subscribe(&SECRETS, Some(6)).is_ok());
    let created = store.create(&SECRETS, secret("a", "new")).expect("create");
    assert_eq!(created.resource_version(), "7");
    // The event expires an hour after it was written, not an hour after the restart.
    clock.advance(std::time::Duration::from_secs(1801));
    assert_eq!(store.expire(), 1);
    assert!(store.get(&EVENTS, "a", "e").is_none());
}

#[tokio::test]
async fn an_encrypted_store_marks_stale_values_and_keeps_unreadable_ones_out() {
    use crate::apiserver::encryption::{config, Encryption};
    let encryption = |providers: &str| {
        let yaml = format!(
            "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n{providers}"
        );
        Arc::new(Encryption::from_config(&config::decode(&yaml).expect("yaml")).expect("valid"))
    };
    let key1 = "  - aesgcm: {keys: [{name: k1, secret: MTIzNDU2Nzg5MDEyMzQ1Ng==}]}\n";
    let both = "  - aesgcm: {keys: [{name: k2, secret: YWJjZGVmZ2hpamtsbW5vcA==}, {name: k1, secret: MTIzNDU2Nzg5MDEyMzQ1Ng==}]}\n";
    let key2 = "  - aesgcm: {keys: [{name: k2, secret: YWJjZGVmZ2hpamtsbW5vcA==}]}\n";
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store.redb");
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    {
        let store =
            Store::open_encrypted(100, clock.clone(), &path, encryption(key1)).expect("open");
        store
            .create(&NAMESPACES, json!({"metadata": {"name": "a"}}))
            .expect("namespace");
        store.create(&SECRETS, secret("a", "s")).expect("create");
        store.create(&SECRETS, secret("a", "t")).expect("create");
        store.synced().await.expect("on disk");
        store.close();
    }
    {
        let store =
            Store::open_encrypted(100, clock.clone(), &path, encryption(both)).expect("rotated");
        let read = store.get(&SECRETS, "a", "s").expect("read with k1");
        assert!(read.is_stale(), "read by the second key");
        let rewritten = store.update(&SECRETS, read.value(), None).expect("rewrite");
        assert!(!rewritten.is_stale());
        store.synced().await.expect("on disk");
        store.close();
    }
    let store = Store::open_encrypted(100, clock, &path, encryption(key2)).expect("only k2");
    assert!(!store.get(&SECRETS, "a", "s").expect("rewritten").is_stale());
    assert!(store.get(&SECRETS, "a", "t").is_none(), "k1 is gone");
    let reason = store
        .unreadable(&SECRETS, Some("a"), Some("t"))
        .expect("unreadable");
    assert_eq!(
        &*reason,
        "unable to transform key \"/registry/secrets/a/t\": no matching key was found for the provided AES transformer"
    );
    assert!(store.unreadable(&SECRETS, Some("a"), None).is_some());
    assert!(store.unreadable(&SECRETS, None, None).is_some());
    assert!(store.unreadable(&SECRETS, Some("a"), Some("s")).is_none());
    assert!(store.unreadable(&SECRETS, Some("b"), None).is_none());
    assert!(store.unreadable(&PODS, None, None).is_none());
    assert_eq!(
        store.create(&SECRETS, secret("a", "t")),
        Err(StoreError::AlreadyExists),
        "the key is taken on disk"
    );
}

#[tokio::test]
async fn live_events_reach_subscribers_once_encoded() {
    let store = store_with_namespaces(&["a"]);
    let mut sub = store.subscribe(&SECRETS, None).expect("subscribe");
    store.create(&SECRETS, secret("a", "s")).expect("create");
    let event = sub.live.recv().await.expect("event");
    assert_eq!(event.event_type(), EventType::Added);
    let line = event.json_line();
    assert!(line.ends_with(b"\n"));
    // `type` first, as kube-apiserver writes it (adjacently tagged decoders need not buffer).
    assert!(
        line.starts_with(b"{\"type\":\"ADDED\",\"object\":{"),
        "{line:?}"
    );
    assert!(line.ends_with(b"}}\n"), "{line:?}");
    let parsed: Value = serde_json::from_slice(&line).expect("json");
    assert_eq!(parsed["type"], "ADDED");
    assert_eq!(parsed["object"]["metadata"]["resourceVersion"], "3");
}
