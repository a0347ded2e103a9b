//! Lists read at a revision, as etcd serves them to kube-apiserver: every page of a
//! chunked list shows the cluster as the first page saw it, `resourceVersionMatch=Exact`
//! (or a `limit` with a `resourceVersion`) reads that revision, and a revision that has
//! left the history answers 410 with upstream's texts.

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{DeleteParams, ListParams, PostParams, VersionMatch};
use kube::Api;
use serde_json::{json, Value};

use crate::support::embedded;

fn config_map(name: &str, value: &str) -> ConfigMap {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name}, "data": {"key": value},
    }))
    .expect("config map")
}

fn names(list: &kube::core::ObjectList<ConfigMap>) -> Vec<String> {
    list.items
        .iter()
        .map(|m| m.metadata.name.clone().unwrap_or_default())
        .collect()
}

fn api_error(error: kube::Error) -> (u16, String, String) {
    match error {
        kube::Error::Api(status) => (status.code, status.reason, status.message),
        other => panic!("not an API error: {other:?}"),
    }
}

/// The names on every page from `token` on, pages of one, and each page's revision.
async fn follow(maps: &Api<ConfigMap>, token: &str) -> (Vec<String>, Vec<ConfigMap>, Vec<String>) {
    let (mut names_seen, mut items, mut revisions) = (Vec::new(), Vec::new(), Vec::new());
    let mut next = Some(token.to_string());
    while let Some(token) = next.take().filter(|t| !t.is_empty()) {
        let page = maps
            .list(&ListParams::default().limit(1).continue_token(&token))
            .await
            .expect("page");
        names_seen.extend(names(&page));
        revisions.push(page.metadata.resource_version.clone().unwrap_or_default());
        items.extend(page.items);
        next = page.metadata.continue_;
    }
    (names_seen, items, revisions)
}

/// The status code and JSON body of a GET, whatever the code.
async fn raw_get(client: &kube::Client, uri: &str) -> (u16, Value) {
    let request = http::Request::get(uri)
        .body(kube::client::Body::empty())
        .expect("request");
    let response = client.send(request).await.expect("response");
    let code = response.status().as_u16();
    let body = response.into_body().collect_bytes().await.expect("body");
    (code, serde_json::from_slice(&body).expect("JSON"))
}

#[tokio::test]
async fn pages_exact_lists_and_expired_revisions_read_as_upstream() {
    let (server, client) = embedded().await;
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    for i in 0..4 {
        maps.create(
            &PostParams::default(),
            &config_map(&format!("test-{i}"), "old"),
        )
        .await
        .expect("create");
    }

    // upstream's TestAPIListChunking: writes between pages do not show in later pages.
    let first = maps
        .list(&ListParams::default().limit(1))
        .await
        .expect("page");
    let revision = first.metadata.resource_version.clone().expect("revision");
    let token = first.metadata.continue_.clone().expect("a continue token");
    maps.create(&PostParams::default(), &config_map("test-5", "new"))
        .await
        .expect("create");
    maps.replace("test-1", &PostParams::default(), &{
        let mut edited = maps.get("test-1").await.expect("get");
        edited.data = Some([("key".to_string(), "new".to_string())].into());
        edited
    })
    .await
    .expect("update");
    maps.delete("test-2", &DeleteParams::default())
        .await
        .expect("delete");
    let (rest, items, revisions) = follow(&maps, &token).await;
    for page_revision in &revisions {
        assert_eq!(page_revision, &revision);
    }
    for map in &items {
        assert_eq!(map.data.as_ref().expect("data")["key"], "old", "{map:?}");
    }
    let paged: Vec<String> = names(&first).into_iter().chain(rest).collect();
    assert_eq!(paged, ["test-0", "test-1", "test-2", "test-3"]);

    let exact = maps
        .list(
            &ListParams::default()
                .at(&revision)
                .matching(VersionMatch::Exact),
        )
        .await
        .expect("exact");
    assert_eq!(names(&exact), ["test-0", "test-1", "test-2", "test-3"]);
    assert_eq!(
        exact.metadata.resource_version.as_deref(),
        Some(revision.as_str())
    );
    let legacy_exact = maps
        .list(&ListParams::default().at(&revision).limit(10))
        .await
        .expect("limit with a resourceVersion");
    assert_eq!(names(&legacy_exact), names(&exact));
    let not_older = maps
        .list(&ListParams::default().at(&revision))
        .await
        .expect("not older than");
    assert_eq!(names(&not_older), ["test-0", "test-1", "test-3", "test-5"]);

    // kube's ListParams leaves resourceVersion out beside a continue token, so the URL is
    // written by hand.
    let (code, body) = raw_get(
        &client,
        &format!("/api/v1/namespaces/default/configmaps?limit=1&continue={token}&resourceVersion={revision}"),
    )
    .await;
    assert_eq!(code, 400, "{body}");
    assert_eq!(body["reason"], "BadRequest", "{body}");
    assert_eq!(
        body["message"],
        "specifying resource version is not allowed when using continue"
    );

    server.store().compact();
    let (code, reason, message) = api_error(
        maps.list(
            &ListParams::default()
                .at(&revision)
                .matching(VersionMatch::Exact),
        )
        .await
        .expect_err("compacted"),
    );
    assert_eq!((code, reason.as_str()), (410, "Expired"));
    assert_eq!(
        message,
        "The resourceVersion for the provided list is too old."
    );

    // The 410 for a too-old continue offers a token for the rest at the latest revision.
    let (code, status) = raw_get(
        &client,
        &format!("/api/v1/namespaces/default/configmaps?limit=1&continue={token}"),
    )
    .await;
    assert_eq!(code, 410, "{status}");
    assert_eq!(status["reason"], "Expired", "{status}");
    assert!(
        status["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response"),
        "{status}"
    );
    let latest = status["metadata"]["continue"].as_str().expect("a token");
    let (rest, _, _) = follow(&maps, latest).await;
    assert_eq!(rest, ["test-1", "test-3", "test-5"]);
    server.shutdown().await;
}

/// A list's, get's or watch's `resourceVersion` must be a number, and a `continue` a token
/// this server wrote (etcd3's `ValidateListOptions` texts, and the cacher's parse error);
/// a selected page carries no `remainingItemCount`, which would count objects the selector
/// leaves out; a list at any version (`resourceVersion=0`) ignores the limit.
#[tokio::test]
async fn read_options_are_validated_and_selected_pages_carry_no_count() {
    let (_server, client) = embedded().await;
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    for name in ["a", "b", "c"] {
        let mut map = config_map(name, "v");
        map.metadata.labels = Some([("app".to_string(), "web".to_string())].into());
        maps.create(&PostParams::default(), &map)
            .await
            .expect("create");
    }

    let base = "/api/v1/namespaces/default/configmaps";
    let (code, body) = raw_get(&client, &format!("{base}?resourceVersion=abc")).await;
    assert_eq!(
        (code, body["message"].as_str().unwrap_or_default()),
        (400, "invalid resource version: resourceVersion: Invalid value: \"abc\": strconv.ParseUint: parsing \"abc\": invalid syntax"),
        "{body}"
    );
    let (code, body) = raw_get(&client, &format!("{base}?resourceVersion=%2B5")).await;
    assert_eq!(code, 400, "{body}");
    let (code, body) = raw_get(
        &client,
        &format!("{base}?resourceVersion=99999999999999999999"),
    )
    .await;
    assert!(
        code == 400
            && body["message"]
                .as_str()
                .unwrap_or_default()
                .ends_with(": value out of range"),
        "{body}"
    );
    // A get parses it in the cacher, whose error is not a Status: a 500 without a reason.
    let (code, body) = raw_get(&client, &format!("{base}/a?resourceVersion=-1")).await;
    assert_eq!(
        (code, body["message"].as_str().unwrap_or_default(), body.get("reason")),
        (500, "resourceVersion: Invalid value: \"-1\": strconv.ParseUint: parsing \"-1\": invalid syntax", None),
        "{body}"
    );
    let (code, body) = raw_get(&client, &format!("{base}?watch=true&resourceVersion=x1")).await;
    assert_eq!(
        (code, body["message"].as_str().unwrap_or_default()),
        (500, "resourceVersion: Invalid value: \"x1\": strconv.ParseUint: parsing \"x1\": invalid syntax"),
        "a watch parses it in the cacher too: {body}"
    );
    let (code, body) = raw_get(&client, &format!("{base}/a?resourceVersion=0")).await;
    assert_eq!(
        (code, body["metadata"]["name"].as_str()),
        (200, Some("a")),
        "{body}"
    );
    let (code, body) = raw_get(&client, &format!("{base}?limit=1&continue=bogus")).await;
    assert_eq!(
        (code, body["message"].as_str().unwrap_or_default()),
        (400, "invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"),
        "{body}"
    );

    let all = maps
        .list(&ListParams::default().limit(1))
        .await
        .expect("page");
    assert!(all.metadata.continue_.is_some());
    assert_eq!(all.metadata.remaining_item_count, Some(2));
    // At "any" version the list comes whole from the watch cache, which ignores the limit
    // (kube-rs leaves the version out of such a list; client-go and kubectl send it).
    let (code, body) = raw_get(&client, &format!("{base}?resourceVersion=0&limit=1")).await;
    assert_eq!(
        (
            code,
            body["items"].as_array().map(Vec::len),
            body["metadata"].get("continue")
        ),
        (200, Some(3), None),
        "resourceVersion=0 ignores the limit: {body}"
    );
    let selected = maps
        .list(&ListParams::default().limit(1).labels("app=web"))
        .await
        .expect("selected page");
    assert!(selected.metadata.continue_.is_some());
    assert_eq!(selected.metadata.remaining_item_count, None);
}
