//! kube-rs against the in-process server: CRUD, conflicts, watches that survive 410 Gone.

use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret};
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::{reflector, watcher, WatchStreamExt};
use kube::Api;
use serde_json::json;

use crate::support::{embedded, eventually};

fn config_map(name: &str, value: &str) -> ConfigMap {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "labels": {"app": "demo"}},
        "data": {"key": value},
    }))
    .expect("config map")
}

#[tokio::test]
async fn system_namespaces_exist_at_start() {
    let (server, client) = embedded().await;
    let namespaces: Api<Namespace> = Api::all(client);
    for name in ["default", "kube-system", "kube-public"] {
        let ns = namespaces.get(name).await.expect(name);
        assert_eq!(ns.status.and_then(|s| s.phase).as_deref(), Some("Active"));
    }
    // Kubernetes v1.8 (legacy mode, the default) had no node Leases.
    assert!(namespaces
        .get_opt("kube-node-lease")
        .await
        .expect("get")
        .is_none());
    server.shutdown().await;
}

#[tokio::test]
async fn create_get_list_update_patch_delete() {
    let (server, client) = embedded().await;
    let maps: Api<ConfigMap> = Api::namespaced(client, "default");
    let created = maps
        .create(&PostParams::default(), &config_map("one", "a"))
        .await
        .expect("create");
    let uid = created.metadata.uid.clone().expect("uid");
    assert!(created.metadata.creation_timestamp.is_some());

    let err = maps
        .create(&PostParams::default(), &config_map("one", "a"))
        .await
        .expect_err("duplicate");
    assert!(
        matches!(err, kube::Error::Api(ref s) if s.code == 409 && s.reason == "AlreadyExists"),
        "{err:?}"
    );

    let mut fetched = maps.get("one").await.expect("get");
    fetched.data = Some([("key".to_string(), "b".to_string())].into());
    let updated = maps
        .replace("one", &PostParams::default(), &fetched)
        .await
        .expect("update");
    assert_eq!(updated.metadata.uid.as_deref(), Some(uid.as_str()));
    assert_ne!(
        updated.metadata.resource_version,
        fetched.metadata.resource_version
    );

    let patched = maps
        .patch(
            "one",
            &PatchParams::default(),
            &Patch::Merge(json!({"data": {"other": "c"}})),
        )
        .await
        .expect("merge patch");
    assert_eq!(
        patched
            .data
            .as_ref()
            .and_then(|d| d.get("other"))
            .map(String::as_str),
        Some("c")
    );

    let listed = maps
        .list(&ListParams::default().labels("app=demo"))
        .await
        .expect("list");
    assert_eq!(listed.items.len(), 1);
    assert!(maps
        .list(&ListParams::default().labels("app=other"))
        .await
        .expect("list")
        .items
        .is_empty());

    maps.delete("one", &DeleteParams::default())
        .await
        .expect("delete");
    let err = maps.get("one").await.expect_err("gone");
    assert!(
        matches!(err, kube::Error::Api(ref s) if s.code == 404 && s.message == "configmaps \"one\" not found"),
        "{err:?}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn stale_updates_conflict_and_a_retry_with_the_latest_version_succeeds() {
    let (server, client) = embedded().await;
    let maps: Api<ConfigMap> = Api::namespaced(client, "default");
    maps.create(&PostParams::default(), &config_map("c", "0"))
        .await
        .expect("create");
    let stale = maps.get("c").await.expect("get");
    let mut fresh = stale.clone();
    fresh.data = Some([("key".to_string(), "1".to_string())].into());
    maps.replace("c", &PostParams::default(), &fresh)
        .await
        .expect("first writer wins");

    let mut late = stale.clone();
    late.data = Some([("key".to_string(), "2".to_string())].into());
    let err = maps
        .replace("c", &PostParams::default(), &late)
        .await
        .expect_err("stale write");
    match err {
        kube::Error::Api(status) => {
            assert_eq!(status.code, 409);
            assert_eq!(status.reason, "Conflict");
            assert_eq!(
                status.message,
                "Operation cannot be fulfilled on configmaps \"c\": the object has been modified; please apply your changes to the latest version and try again"
            );
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    // The usual client loop: re-read, re-apply the change, write again.
    let mut latest = maps.get("c").await.expect("get");
    latest.data = Some([("key".to_string(), "2".to_string())].into());
    let written = maps
        .replace("c", &PostParams::default(), &latest)
        .await
        .expect("retry succeeds");
    assert_eq!(
        written.data.and_then(|d| d.get("key").cloned()).as_deref(),
        Some("2")
    );
    server.shutdown().await;
}

#[tokio::test]
async fn delete_preconditions_are_enforced() {
    let (server, client) = embedded().await;
    let secrets: Api<Secret> = Api::namespaced(client, "default");
    let secret: Secret = serde_json::from_value(
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}),
    )
    .expect("secret");
    let created = secrets
        .create(&PostParams::default(), &secret)
        .await
        .expect("create");
    assert_eq!(
        created.type_.as_deref(),
        Some("Opaque"),
        "type defaults to Opaque"
    );
    let wrong = DeleteParams {
        preconditions: Some(kube::api::Preconditions {
            uid: Some("not-it".into()),
            resource_version: None,
        }),
        ..Default::default()
    };
    let err = secrets.delete("s", &wrong).await.expect_err("precondition");
    let uid = created.metadata.uid.clone().expect("uid");
    // rest.BeforeDelete's early check: a Conflict on the kind.
    assert!(
        matches!(err, kube::Error::Api(ref s) if s.code == 409 && s.message == format!(
            "Operation cannot be fulfilled on Secret \"s\": the UID in the precondition (not-it) does not match the UID in record ({uid}). The object might have been deleted and then recreated"
        )),
        "{err:?}"
    );
    assert!(
        secrets.get("s").await.is_ok(),
        "a failed precondition deletes nothing"
    );
    let right = DeleteParams {
        preconditions: Some(kube::api::Preconditions {
            uid: created.metadata.uid.clone(),
            resource_version: None,
        }),
        ..Default::default()
    };
    secrets.delete("s", &right).await.expect("delete");
    server.shutdown().await;
}

/// A uid in a PUT body is a precondition (409 quoting the storage error, as upstream's
/// `defaultUpdatedObjectInfo`): a replace of an object that was deleted and re-created does
/// not overwrite its successor. A patch that changes the uid is refused as immutable.
#[tokio::test]
async fn an_update_naming_another_uid_is_refused() {
    let (server, client) = embedded().await;
    let maps: Api<ConfigMap> = Api::namespaced(client, "default");
    let first = maps
        .create(&PostParams::default(), &config_map("again", "old"))
        .await
        .expect("create");
    maps.delete("again", &DeleteParams::default())
        .await
        .expect("delete");
    let second = maps
        .create(&PostParams::default(), &config_map("again", "new"))
        .await
        .expect("re-create");
    let mut stale = first.clone();
    stale.metadata.resource_version = None;
    let err = maps
        .replace("again", &PostParams::default(), &stale)
        .await
        .expect_err("another uid");
    let (old_uid, new_uid) = (
        first.metadata.uid.clone().expect("uid"),
        second.metadata.uid.clone().expect("uid"),
    );
    assert!(
        matches!(err, kube::Error::Api(ref s) if s.code == 409 && s.message == format!(
            "Operation cannot be fulfilled on configmaps \"again\": StorageError: invalid object, Code: 4, Key: /registry/configmaps/default/again, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: {old_uid}, UID in object meta: {new_uid}"
        )),
        "{err:?}"
    );
    let err = maps
        .patch(
            "again",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"uid": "1234"}})),
        )
        .await
        .expect_err("uid is immutable");
    assert!(
        matches!(err, kube::Error::Api(ref s) if s.code == 422 && s.message.ends_with("metadata.uid: Invalid value: \"1234\": field is immutable")),
        "{err:?}"
    );
    let kept = maps.get("again").await.expect("get");
    assert_eq!(kept.metadata.uid, second.metadata.uid);
    assert_eq!(kept.data, second.data, "nothing was overwritten");
    // Gone altogether: the precondition meets an empty object, still a 409, not a 404.
    maps.delete("again", &DeleteParams::default())
        .await
        .expect("delete");
    let err = maps
        .replace("again", &PostParams::default(), &stale)
        .await
        .expect_err("gone");
    assert!(
        matches!(err, kube::Error::Api(ref s) if s.code == 409 && s.message.ends_with(&format!(
            "Precondition failed: UID in precondition: {old_uid}, UID in object meta: "
        ))),
        "{err:?}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_reflector_survives_a_forced_410_gone() {
    let (server, client) = embedded().await;
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    maps.create(&PostParams::default(), &config_map("before", "x"))
        .await
        .expect("create");

    let (reader, writer) = reflector::store::<ConfigMap>();
    let stream =
        reflector(writer, watcher(maps.clone(), watcher::Config::default())).applied_objects();
    let task = tokio::spawn(async move {
        futures::pin_mut!(stream);
        while stream.next().await.is_some() {}
    });
    let has = |name: &'static str| {
        let reader = reader.clone();
        move || {
            let found = reader
                .state()
                .iter()
                .any(|cm| cm.metadata.name.as_deref() == Some(name));
            async move { found }
        }
    };
    eventually(
        "the reflector to list `before`",
        Duration::from_secs(10),
        has("before"),
    )
    .await;

    // The watch history is gone and every watch is cut: the client must resume, get
    // 410 Expired, and re-list.
    let lists_before = server
        .recent_requests()
        .iter()
        .filter(|r| r.method == "GET" && !r.path.is_empty())
        .count();
    maps.create(&PostParams::default(), &config_map("during", "x"))
        .await
        .expect("create");
    server.compact_history();
    server.disconnect_watchers();
    maps.create(&PostParams::default(), &config_map("after", "x"))
        .await
        .expect("create");
    eventually(
        "the reflector to see `during` and `after`",
        Duration::from_secs(10),
        {
            let reader = reader.clone();
            move || {
                let names: Vec<String> = reader
                    .state()
                    .iter()
                    .filter_map(|cm| cm.metadata.name.clone())
                    .collect();
                let ok =
                    names.contains(&"during".to_string()) && names.contains(&"after".to_string());
                async move { ok }
            }
        },
    )
    .await;
    let lists_after = server
        .recent_requests()
        .iter()
        .filter(|r| r.method == "GET" && !r.path.is_empty())
        .count();
    assert!(
        lists_after > lists_before,
        "the client made new requests after the watch was cut"
    );
    task.abort();
    server.shutdown().await;
}

#[tokio::test]
async fn a_bad_token_is_401() {
    let (server, _client) = embedded().await;
    let yaml = server
        .kubeconfig_yaml()
        .replace(server.admin_token(), "not-the-token");
    let kubeconfig: kube::config::Kubeconfig = serde_yaml::from_str(&yaml).expect("yaml");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .expect("config");
    let client = kube::Client::try_from(config).expect("client");
    let maps: Api<ConfigMap> = Api::namespaced(client, "default");
    let err = maps
        .list(&ListParams::default())
        .await
        .expect_err("unauthorized");
    assert!(
        matches!(err, kube::Error::Api(ref s) if s.code == 401 && s.reason == "Unauthorized"),
        "{err:?}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn deleting_a_namespace_terminates_it_then_removes_it_and_its_content() {
    let (server, client) = embedded().await;
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let ns: Namespace = serde_json::from_value(
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "doomed"}}),
    )
    .expect("ns");
    namespaces
        .create(&PostParams::default(), &ns)
        .await
        .expect("create ns");
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), "doomed");
    maps.create(&PostParams::default(), &config_map("m", "x"))
        .await
        .expect("create content");

    let missing: Api<ConfigMap> = Api::namespaced(client.clone(), "nowhere");
    let err = missing
        .create(&PostParams::default(), &config_map("m", "x"))
        .await
        .expect_err("no namespace");
    assert!(
        matches!(err, kube::Error::Api(ref s) if s.code == 404 && s.message == "namespaces \"nowhere\" not found"),
        "{err:?}"
    );

    namespaces
        .delete("doomed", &DeleteParams::default())
        .await
        .expect("delete ns");
    eventually(
        "namespace `doomed` to disappear",
        Duration::from_secs(10),
        || {
            let namespaces = namespaces.clone();
            async move { namespaces.get_opt("doomed").await.ok().flatten().is_none() }
        },
    )
    .await;
    let everything: Api<ConfigMap> = Api::all(client);
    let left = everything
        .list(&ListParams::default().fields("metadata.namespace=doomed"))
        .await
        .expect("list");
    assert!(left.items.is_empty(), "content removed with the namespace");

    let err = namespaces
        .delete("kube-system", &DeleteParams::default())
        .await
        .expect_err("immortal");
    assert!(
        matches!(err, kube::Error::Api(ref s) if s.code == 403 && s.message == "namespaces \"kube-system\" is forbidden: this namespace may not be deleted"),
        "{err:?}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn creating_in_a_terminating_namespace_is_forbidden_with_the_cause() {
    let (server, client) = embedded().await;
    let namespaces: Api<Namespace> = Api::all(client.clone());
    // A finalizer of someone else's keeps the namespace in Terminating.
    let ns: Namespace = serde_json::from_value(json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "held", "finalizers": ["kube-sa.test/hold"]}}))
    .expect("ns");
    namespaces
        .create(&PostParams::default(), &ns)
        .await
        .expect("create ns");
    namespaces
        .delete("held", &DeleteParams::default())
        .await
        .expect("delete ns");
    let held = namespaces.get("held").await.expect("still there");
    assert_eq!(
        held.status.and_then(|s| s.phase).as_deref(),
        Some("Terminating")
    );

    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), "held");
    let err = maps
        .create(&PostParams::default(), &config_map("late", "x"))
        .await
        .expect_err("terminating");
    let kube::Error::Api(status) = err else {
        panic!("{err:?}")
    };
    assert_eq!(status.code, 403);
    assert_eq!(status.message, "configmaps \"late\" is forbidden: unable to create new content in namespace held because it is being terminated");
    let causes = status.details.expect("details").causes;
    assert_eq!(causes[0].reason, "NamespaceTerminating");
    // An object named by generateName is quoted by its prefix (`extractResourceName`).
    let mut generated = config_map("", "x");
    generated.metadata.name = None;
    generated.metadata.generate_name = Some("late-".into());
    let err = maps
        .create(&PostParams::default(), &generated)
        .await
        .expect_err("terminating");
    let kube::Error::Api(status) = err else {
        panic!("{err:?}")
    };
    assert_eq!(status.message, "configmaps \"late-\" is forbidden: unable to create new content in namespace held because it is being terminated");

    // Releasing the finalizer lets the namespace go.
    namespaces
        .patch(
            "held",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"finalizers": null}})),
        )
        .await
        .expect("release");
    eventually(
        "namespace `held` to disappear",
        Duration::from_secs(10),
        || {
            let namespaces = namespaces.clone();
            async move { namespaces.get_opt("held").await.ok().flatten().is_none() }
        },
    )
    .await;
    server.shutdown().await;
}

#[tokio::test]
async fn streaming_lists_end_with_the_initial_events_bookmark() {
    let (server, client) = embedded().await;
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    maps.create(&PostParams::default(), &config_map("seen", "x"))
        .await
        .expect("create");
    let (reader, writer) = reflector::store::<ConfigMap>();
    let stream = reflector(
        writer,
        watcher(maps.clone(), watcher::Config::default().streaming_lists()),
    )
    .applied_objects();
    let task = tokio::spawn(async move {
        futures::pin_mut!(stream);
        while stream.next().await.is_some() {}
    });
    // The store only becomes ready after the `k8s.io/initial-events-end` bookmark.
    tokio::time::timeout(Duration::from_secs(10), reader.wait_until_ready())
        .await
        .expect("ready within 10 s")
        .expect("ready");
    assert!(reader
        .state()
        .iter()
        .any(|cm| cm.metadata.name.as_deref() == Some("seen")));
    task.abort();
    server.shutdown().await;
}

/// Reads a whole watch response (the server ends it via `timeoutSeconds`).
async fn watch_lines(client: &kube::Client, query: &str) -> Vec<serde_json::Value> {
    let request = http::Request::get(format!(
        "/api/v1/namespaces/default/configmaps?watch=true&{query}"
    ))
    .body(Vec::new())
    .expect("request");
    let text = tokio::time::timeout(Duration::from_secs(10), client.request_text(request))
        .await
        .expect("the watch ends by itself at timeoutSeconds")
        .expect("watch");
    text.lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

/// A watch that allows bookmarks gets one 2 s before it ends when that comes before the
/// minute's (upstream's `nextBookmarkTime`): a 3 s watch gets one after about 1 s.
#[tokio::test]
async fn a_watch_gets_a_bookmark_two_seconds_before_it_ends() {
    let (_server, client) = embedded().await;
    let started = std::time::Instant::now();
    let events = watch_lines(&client, "allowWatchBookmarks=true&timeoutSeconds=3").await;
    let elapsed = started.elapsed();
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(kinds, ["BOOKMARK"], "{events:?}");
    assert!(
        elapsed >= Duration::from_millis(2900) && elapsed < Duration::from_secs(6),
        "{elapsed:?}"
    );
    // Without bookmarks asked for, none comes.
    let events = watch_lines(&client, "timeoutSeconds=3").await;
    assert!(events.is_empty(), "{events:?}");
}

#[tokio::test]
async fn watches_resume_expire_and_time_out() {
    let (server, client) = embedded().await;
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let first = maps
        .create(&PostParams::default(), &config_map("first", "x"))
        .await
        .expect("create");
    let rv = first.metadata.resource_version.clone().expect("rv");
    maps.create(&PostParams::default(), &config_map("second", "x"))
        .await
        .expect("create");

    // Resuming after `first` replays only what came later.
    let events = watch_lines(&client, &format!("resourceVersion={rv}&timeoutSeconds=1")).await;
    let names: Vec<&str> = events
        .iter()
        .filter_map(|e| e["object"]["metadata"]["name"].as_str())
        .collect();
    assert_eq!(names, ["second"]);
    assert_eq!(events[0]["type"], "ADDED");

    // From the start: the current state as ADDED events, then the initial-events bookmark.
    let events = watch_lines(&client, "sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=1").await;
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(kinds, ["ADDED", "ADDED", "BOOKMARK"]);
    assert_eq!(
        events[2]["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
        "true"
    );

    // After compaction the old revision is gone: a 410 Expired ERROR event.
    server.compact_history();
    let events = watch_lines(&client, &format!("resourceVersion={rv}&timeoutSeconds=1")).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["type"], "ERROR");
    assert_eq!(events[0]["object"]["code"], 410);
    assert_eq!(events[0]["object"]["reason"], "Expired");
    server.shutdown().await;
}

/// A watch with a label selector sees an object enter and leave its selection as upstream's
/// cacher reports it (`cacheWatcher.convertToWatchEvent`): ADDED when the object starts to
/// match, DELETED with its previous content at the change's revision when it stops, and
/// nothing for changes while it does not match.
#[tokio::test]
async fn a_selector_watch_sees_objects_enter_and_leave_the_selection() {
    let (server, client) = embedded().await;
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let moving: ConfigMap =
        serde_json::from_value(json!({"metadata": {"name": "moving"}})).expect("config map");
    let created = maps
        .create(&PostParams::default(), &moving)
        .await
        .expect("create");
    let rv = created.metadata.resource_version.expect("rv");
    let params = PatchParams::default();
    let patch = |body: serde_json::Value| {
        let maps = maps.clone();
        let params = params.clone();
        async move {
            maps.patch("moving", &params, &Patch::Merge(body))
                .await
                .expect("patch")
        }
    };
    patch(json!({"metadata": {"labels": {"w": "1"}}})).await; // enters
    patch(json!({"data": {"k": "v"}})).await; // changes while matching
    let left = patch(json!({"metadata": {"labels": {"w": null}}})).await; // leaves
    patch(json!({"data": {"k": "unseen"}})).await; // changes while not matching
    patch(json!({"metadata": {"labels": {"w": "1"}}})).await; // enters again
    maps.delete("moving", &DeleteParams::default())
        .await
        .expect("delete");

    let events = watch_lines(
        &client,
        &format!("resourceVersion={rv}&labelSelector=w%3D1&timeoutSeconds=1"),
    )
    .await;
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(kinds, ["ADDED", "MODIFIED", "DELETED", "ADDED", "DELETED"]);
    let leaving = &events[2]["object"];
    assert_eq!(
        leaving["metadata"]["labels"]["w"], "1",
        "the previous content"
    );
    assert_eq!(leaving["data"]["k"], "v");
    assert_eq!(
        leaving["metadata"]["resourceVersion"].as_str(),
        left.metadata.resource_version.as_deref(),
        "at the revision of the change"
    );
    assert_eq!(events[3]["object"]["data"]["k"], "unseen");
    server.shutdown().await;
}

/// The deprecated `/api/v1/watch/...` paths, which upstream still serves: a watch of the
/// collection, or of one object by name.
#[tokio::test]
async fn deprecated_watch_paths_watch_the_collection_or_the_named_object() {
    let (server, client) = embedded().await;
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    for name in ["first", "second"] {
        maps.create(&PostParams::default(), &config_map(name, "x"))
            .await
            .expect("create");
    }
    let initial = "sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=1";
    let names = |path: String| {
        let client = client.clone();
        async move {
            let request = http::Request::get(path).body(Vec::new()).expect("request");
            let text = tokio::time::timeout(Duration::from_secs(10), client.request_text(request))
                .await
                .expect("the watch ends by itself at timeoutSeconds")
                .expect("watch");
            text.lines()
                .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json line"))
                .filter(|e| e["type"] == "ADDED")
                .filter_map(|e| e["object"]["metadata"]["name"].as_str().map(String::from))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        names(format!(
            "/api/v1/watch/namespaces/default/configmaps?{initial}"
        ))
        .await,
        ["first", "second"]
    );
    assert_eq!(
        names(format!(
            "/api/v1/watch/namespaces/default/configmaps/second?{initial}"
        ))
        .await,
        ["second"]
    );
    let request = http::Request::get(
        "/api/v1/watch/namespaces/default/configmaps/second?fieldSelector=metadata.name%3Dfirst",
    )
    .body(Vec::new())
    .expect("request");
    let Err(kube::Error::Api(status)) = client.request_text(request).await else {
        panic!("a selector naming another object is refused")
    };
    assert_eq!(
        (status.code, status.message.as_str()),
        (
            400,
            "fieldSelector metadata.name doesn't match requested name"
        )
    );
    server.shutdown().await;
}

#[tokio::test]
async fn lists_paginate_and_filter_by_fields_and_labels() {
    let (server, client) = embedded().await;
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "default");
    for i in 0..7 {
        let mut secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": format!("s{i}"), "labels": {"parity": if i % 2 == 0 { "even" } else { "odd" }}}});
        if i == 3 {
            secret["type"] = json!("example.com/special");
        }
        secrets
            .create(
                &PostParams::default(),
                &serde_json::from_value(secret).expect("secret"),
            )
            .await
            .expect("create");
    }
    let mut names = Vec::new();
    let mut params = ListParams::default().limit(3);
    let mut pages = 0;
    loop {
        let page = secrets.list(&params).await.expect("page");
        pages += 1;
        names.extend(page.items.iter().filter_map(|s| s.metadata.name.clone()));
        match page.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(token) => params = ListParams::default().limit(3).continue_token(&token),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(names, ["s0", "s1", "s2", "s3", "s4", "s5", "s6"]);
    let special = secrets
        .list(&ListParams::default().fields("type=example.com/special"))
        .await
        .expect("list");
    assert_eq!(special.items.len(), 1);
    let odd = secrets
        .list(&ListParams::default().labels("parity in (odd),parity!=even"))
        .await
        .expect("list");
    assert_eq!(odd.items.len(), 3);
    let err = secrets
        .list(&ListParams::default().fields("spec.bogus=1"))
        .await
        .expect_err("unsupported field");
    assert!(
        matches!(err, kube::Error::Api(ref s) if s.code == 400),
        "{err:?}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn generate_name_and_dry_run() {
    let (server, client) = embedded().await;
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let generated: ConfigMap =
        serde_json::from_value(json!({"metadata": {"generateName": "cfg-"}})).expect("cm");
    let created = maps
        .create(&PostParams::default(), &generated)
        .await
        .expect("create");
    let name = created.metadata.name.expect("name");
    let suffix = name.strip_prefix("cfg-").expect("prefix kept");
    assert_eq!(suffix.len(), 5);
    assert!(
        suffix
            .bytes()
            .all(|b| kube_sa::names::SUFFIX_ALPHABET.contains(&b)),
        "{suffix}"
    );

    let revision = server.store().revision();
    let dry = PostParams {
        dry_run: true,
        ..Default::default()
    };
    let answered = maps
        .create(&dry, &config_map("dry", "x"))
        .await
        .expect("dry run");
    assert!(
        answered.metadata.uid.is_some(),
        "a dry run answers the object as it would be stored"
    );
    assert_eq!(
        server.store().revision(),
        revision,
        "a dry run stores nothing"
    );
    assert!(maps.get_opt("dry").await.expect("get").is_none());
    server.shutdown().await;
}

#[tokio::test]
async fn delete_collection_removes_only_what_matches() {
    let (server, client) = embedded().await;
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let mut versions = Vec::new();
    for (name, app) in [("a", "x"), ("b", "x"), ("c", "y")] {
        let cm: ConfigMap =
            serde_json::from_value(json!({"metadata": {"name": name, "labels": {"app": app}}}))
                .expect("cm");
        let created = maps
            .create(&PostParams::default(), &cm)
            .await
            .expect("create");
        versions.push(created.metadata.resource_version);
    }
    let answer = maps
        .delete_collection(
            &DeleteParams::default(),
            &ListParams::default().labels("app=x"),
        )
        .await
        .expect("deletecollection");
    // The answer is the list as read before the deletes (upstream's DeleteCollection).
    let listed = answer.left().expect("a list");
    let listed: Vec<_> = listed
        .items
        .into_iter()
        .map(|c| (c.metadata.name, c.metadata.resource_version))
        .collect();
    assert_eq!(
        listed,
        [
            (Some("a".to_string()), versions[0].clone()),
            (Some("b".to_string()), versions[1].clone())
        ]
    );
    let left: Vec<String> = maps
        .list(&ListParams::default())
        .await
        .expect("list")
        .items
        .into_iter()
        .filter_map(|c| c.metadata.name)
        .collect();
    assert_eq!(left, ["c"]);
    server.shutdown().await;
}

#[tokio::test]
async fn immutable_fields_are_invalid_on_update() {
    let (server, client) = embedded().await;
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "default");
    let secret: Secret =
        serde_json::from_value(json!({"metadata": {"name": "fixed"}, "type": "Opaque"}))
            .expect("secret");
    secrets
        .create(&PostParams::default(), &secret)
        .await
        .expect("create");
    let err = secrets
        .patch(
            "fixed",
            &PatchParams::default(),
            &Patch::Merge(json!({"type": "example.com/other"})),
        )
        .await
        .expect_err("type is immutable");
    let kube::Error::Api(status) = err else {
        panic!("{err:?}")
    };
    assert_eq!(status.code, 422);
    assert_eq!(status.message, "Secret \"fixed\" is invalid: type: Invalid value: \"example.com/other\": field is immutable");
    let stored = secrets.get("fixed").await.expect("get");
    assert_eq!(
        stored.type_.as_deref(),
        Some("Opaque"),
        "the rejected update changed nothing"
    );
    server.shutdown().await;
}

/// Only a delete sets a deletion timestamp: a patch that sets one on a live object is
/// refused as immutable (`BeforeUpdate` restores only a stored one), and one that changes
/// the timestamp of a deleting object is ignored.
#[tokio::test]
async fn a_patch_cannot_set_a_deletion_timestamp() {
    let (server, client) = embedded().await;
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    maps.create(&PostParams::default(), &config_map("live", "v"))
        .await
        .expect("create");
    let set = json!({"metadata": {"deletionTimestamp": "2030-01-02T03:04:05Z"}});
    let err = maps
        .patch("live", &PatchParams::default(), &Patch::Merge(&set))
        .await
        .expect_err("deletionTimestamp is immutable");
    let kube::Error::Api(status) = err else {
        panic!("{err:?}")
    };
    assert_eq!((status.code, status.message.as_str()), (422, "ConfigMap \"live\" is invalid: metadata.deletionTimestamp: Invalid value: 2030-01-02 03:04:05 +0000 UTC: field is immutable"));
    let stored = maps.get("live").await.expect("get");
    assert_eq!(stored.metadata.deletion_timestamp, None);

    let held = json!({"metadata": {"name": "held", "finalizers": ["example.com/hold"]}});
    maps.create(
        &PostParams::default(),
        &serde_json::from_value(held).expect("config map"),
    )
    .await
    .expect("create");
    maps.delete("held", &DeleteParams::default())
        .await
        .expect("delete");
    let deleting = maps.get("held").await.expect("get");
    let patched = maps
        .patch("held", &PatchParams::default(), &Patch::Merge(&set))
        .await
        .expect("a deleting object's timestamp is kept");
    assert_eq!(
        patched.metadata.deletion_timestamp,
        deleting.metadata.deletion_timestamp
    );
    server.shutdown().await;
}

/// kube-rs's metadata API (as client-go's metadata client) asks for
/// `as=PartialObjectMetadata[List]` and decodes only that form: get, list and watch answer
/// the objects reduced to their metadata.
#[tokio::test]
async fn metadata_only_get_list_and_watch() {
    let (server, client) = embedded().await;
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let map: ConfigMap = serde_json::from_value(
        json!({"metadata": {"name": "meta", "labels": {"a": "b"}}, "data": {"k": "v"}}),
    )
    .expect("config map");
    let created = maps
        .create(&PostParams::default(), &map)
        .await
        .expect("create");

    let got = maps.get_metadata("meta").await.expect("get_metadata");
    assert_eq!(got.metadata.uid, created.metadata.uid);
    assert_eq!(
        got.types.as_ref().map(|t| t.kind.as_str()),
        Some("PartialObjectMetadata")
    );
    let listed = maps
        .list_metadata(&ListParams::default().labels("a=b"))
        .await
        .expect("list_metadata");
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].metadata.name.as_deref(), Some("meta"));

    let rv = created.metadata.resource_version.clone().expect("rv");
    let mut events = maps
        .watch_metadata(&kube::api::WatchParams::default(), "0")
        .await
        .expect("watch_metadata")
        .boxed();
    maps.delete("meta", &DeleteParams::default())
        .await
        .expect("delete");
    let mut seen = Vec::new();
    while let Some(event) = tokio::time::timeout(Duration::from_secs(10), events.next())
        .await
        .expect("an event in time")
    {
        match event.expect("event") {
            kube::api::WatchEvent::Added(m) | kube::api::WatchEvent::Modified(m) => {
                seen.push(("added", m.metadata.resource_version))
            }
            kube::api::WatchEvent::Deleted(m) => {
                seen.push(("deleted", m.metadata.resource_version));
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(seen.first(), Some(&("added", Some(rv))), "{seen:?}");
    assert_eq!(seen.last().map(|s| s.0), Some("deleted"), "{seen:?}");
    server.shutdown().await;
}
