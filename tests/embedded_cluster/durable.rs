//! `ApiServer::builder().data_dir(DIR)` (`kube-sa serve --data-dir DIR`): the cluster, its
//! resource versions, CA, admin token and signing key survive a restart.

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::authentication::v1::{TokenReview, TokenReviewSpec};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret, ServiceAccount};
use kube::api::{Api, PostParams, WatchEvent, WatchParams};
use std::collections::BTreeMap;
use std::time::Duration;

use kube_sa::apiserver::ApiServer;

fn config_map(name: &str, value: &str) -> ConfigMap {
    ConfigMap {
        metadata: kube::api::ObjectMeta {
            name: Some(name.into()),
            ..Default::default()
        },
        data: Some(BTreeMap::from([("value".to_string(), value.to_string())])),
        ..Default::default()
    }
}

/// The token of `team/default`'s token Secret, once the token controller made it.
async fn default_account_token(client: &kube::Client) -> String {
    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), "team");
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "team");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let name = accounts
            .get("default")
            .await
            .ok()
            .and_then(|a| a.secrets)
            .and_then(|s| s.into_iter().next())
            .and_then(|r| r.name);
        if let Some(name) = name {
            let token = secrets
                .get(&name)
                .await
                .ok()
                .and_then(|s| s.data)
                .and_then(|d| d.get("token").cloned())
                .and_then(|t| String::from_utf8(t.0).ok());
            if let Some(token) = token {
                return token;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no token for team/default within 20 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn authenticates(client: &kube::Client, token: &str) -> Option<String> {
    let reviews: Api<TokenReview> = Api::all(client.clone());
    let review = TokenReview {
        spec: TokenReviewSpec {
            token: Some(token.to_string()),
            ..Default::default()
        },
        ..Default::default()
    };
    let answer = reviews
        .create(&PostParams::default(), &review)
        .await
        .expect("token review");
    let status = answer.status.expect("status");
    status
        .authenticated
        .unwrap_or(false)
        .then(|| status.user.and_then(|u| u.username).unwrap_or_default())
}

#[tokio::test]
async fn a_data_dir_keeps_objects_versions_keys_and_kubeconfigs_across_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = ApiServer::builder()
        .data_dir(dir.path())
        .start()
        .await
        .expect("first start");
    let client = first.client().await.expect("client");
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let team = Namespace {
        metadata: kube::api::ObjectMeta {
            name: Some("team".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    namespaces
        .create(&PostParams::default(), &team)
        .await
        .expect("namespace");
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), "team");
    let kept = maps
        .create(&PostParams::default(), &config_map("kept", "one"))
        .await
        .expect("create");
    let token = default_account_token(&client).await;
    // A write after `kept`, so that `kept`'s version is older than the restart's revision
    // whatever the controllers wrote meanwhile (a watch from the last revision before a
    // restart loses nothing and is served, as from a watch cache listed at that revision).
    maps.create(&PostParams::default(), &config_map("later", "two"))
        .await
        .expect("create later");
    let kubeconfig = first.kubeconfig_yaml().to_string();
    let listen = first.local_addr();
    let revision_before: u64 = maps
        .list(&Default::default())
        .await
        .expect("list")
        .metadata
        .resource_version
        .expect("rv")
        .parse()
        .expect("number");
    first.shutdown().await;

    let second = ApiServer::builder()
        .data_dir(dir.path())
        .listen(listen)
        .start()
        .await
        .expect("second start");
    assert_eq!(
        second.kubeconfig_yaml(),
        kubeconfig,
        "same CA, token, address"
    );
    // The kubeconfig of the first start trusts the second's certificate and its token works.
    let kubeconfig: kube::config::Kubeconfig = serde_yaml::from_str(&kubeconfig).expect("yaml");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .expect("config");
    let client = kube::Client::try_from(config).expect("client");
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), "team");
    let again = maps.get("kept").await.expect("kept across the restart");
    assert_eq!(
        again.metadata.resource_version,
        kept.metadata.resource_version
    );
    assert_eq!(again.metadata.uid, kept.metadata.uid);
    assert_eq!(again.data, kept.data);
    let after = maps
        .create(&PostParams::default(), &config_map("after", "two"))
        .await
        .expect("create after the restart");
    let revision_after: u64 = after
        .metadata
        .resource_version
        .expect("rv")
        .parse()
        .expect("number");
    assert!(
        revision_after > revision_before,
        "{revision_after} > {revision_before}"
    );
    // The token signed before the restart still authenticates.
    assert_eq!(
        authenticates(&client, &token).await.as_deref(),
        Some("system:serviceaccount:team:default")
    );
    // A watch from a version before the restart: 410 Gone, as after a compaction.
    let old = kept.metadata.resource_version.expect("rv");
    let mut events = maps
        .watch(&WatchParams::default(), &old)
        .await
        .expect("watch")
        .boxed();
    match events.try_next().await.expect("event") {
        Some(WatchEvent::Error(status)) => {
            assert_eq!(status.code, 410);
            assert!(
                status.message.starts_with("too old resource version: "),
                "{}",
                status.message
            );
        }
        other => panic!("expected 410 Gone, got {other:?}"),
    }
    second.shutdown().await;
}

/// With a fake clock and a data directory, Kubernetes time resumes where it was: a
/// TokenRequest token minted a day ahead of the wall clock still authenticates after a
/// restart (it would be "not valid yet" on a clock back at the wall-clock time).
#[tokio::test]
async fn a_fake_clock_resumes_its_time_after_a_restart() {
    use k8s_openapi::api::authentication::v1::TokenRequest;
    use kube_sa::apiserver::components::ServiceAccountOptions;
    use kube_sa::clock::FakeClock;
    use std::sync::Arc;

    let dir = tempfile::tempdir().expect("tempdir");
    let start = |listen: Option<std::net::SocketAddr>| {
        let mut builder = ApiServer::builder()
            .data_dir(dir.path())
            .service_accounts(ServiceAccountOptions {
                mode: kube_sa::Mode::Bound,
                ..Default::default()
            })
            .fake_clock(Arc::new(FakeClock::new(jiff::Timestamp::now())))
            .token_cache_ttl(Duration::ZERO);
        if let Some(listen) = listen {
            builder = builder.listen(listen);
        }
        builder.start()
    };
    let first = start(None).await.expect("first start");
    let moved = first
        .advance_clock(Duration::from_secs(24 * 60 * 60))
        .expect("advanced");
    let client = first.client().await.expect("client");
    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), "default");
    crate::support::eventually("the default account", Duration::from_secs(20), || async {
        accounts.get_opt("default").await.expect("get").is_some()
    })
    .await;
    let requested: TokenRequest = accounts
        .create_subresource(
            "token",
            "default",
            &PostParams::default(),
            &serde_json::json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {}}),
        )
        .await
        .expect("token request");
    let token = requested.status.expect("status").token;
    assert!(authenticates(&client, &token).await.is_some());
    let listen = first.local_addr();
    first.shutdown().await;

    let second = start(Some(listen)).await.expect("second start");
    assert!(
        second.clock().now() >= moved,
        "the clock went back: {} before {moved}",
        second.clock().now()
    );
    let client = second.client().await.expect("client");
    assert_eq!(
        authenticates(&client, &token).await.as_deref(),
        Some("system:serviceaccount:default:default"),
        "a token minted before the restart authenticates after it"
    );
    second.shutdown().await;
}
