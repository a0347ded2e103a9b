//! An embedded cluster with the service-account components, used from Rust as a
//! controller's test would use it: start it, create a namespace with the admin client,
//! watch the `default` ServiceAccount get its token Secret, shut down.
//!
//! `cargo run --example embedded_cluster` (add `-- bound` for the bound mode, where the
//! namespace gets `default` and the `kube-root-ca.crt` ConfigMap instead of a token Secret).

use std::fmt::Debug;
use std::time::Duration;

use anyhow::Context;
use futures::TryStreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, ServiceAccount};
use kube::api::{ObjectMeta, PostParams};
use kube::runtime::{watcher, WatchStreamExt};
use kube::Api;
use kube_sa::apiserver::components::ServiceAccountOptions;
use kube_sa::apiserver::ApiServer;
use kube_sa::Mode;
use serde::de::DeserializeOwned;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // The first argument, `legacy` (the default) or `bound`: the values of
    // `kube-sa serve --mode` (`cargo run --example embedded_cluster -- bound`).
    let mode: Mode = std::env::args()
        .nth(1)
        .as_deref()
        .unwrap_or("legacy")
        .parse()?;
    let server = ApiServer::builder()
        .service_accounts(ServiceAccountOptions {
            mode,
            ..Default::default()
        })
        .start()
        .await?;
    println!("serving at {} ({mode} mode)", server.url());
    // `server.kubeconfig_yaml()` is an admin kubeconfig for kubectl and other clients.
    let client = server.client().await?;

    let namespace = Namespace {
        metadata: ObjectMeta {
            name: Some("demo".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &namespace)
        .await?;

    // Watch rather than poll: the controllers answer within milliseconds.
    match mode {
        Mode::Legacy => {
            // The token controller lists the token Secret it made on the account.
            let account = first(
                Api::<ServiceAccount>::namespaced(client, "demo"),
                "default",
                |account| account.secrets.as_ref().is_some_and(|s| !s.is_empty()),
            )
            .await?;
            let secrets = account.secrets.unwrap_or_default();
            let token = secrets.iter().filter_map(|s| s.name.as_deref()).next();
            println!(
                "demo/default has its token Secret {}",
                token.unwrap_or_default()
            );
        }
        Mode::Bound => {
            first(
                Api::<ServiceAccount>::namespaced(client.clone(), "demo"),
                "default",
                |_| true,
            )
            .await?;
            let root_ca = first(
                Api::<ConfigMap>::namespaced(client, "demo"),
                "kube-root-ca.crt",
                |map| map.data.as_ref().is_some_and(|d| d.contains_key("ca.crt")),
            )
            .await?;
            let name = root_ca.metadata.name.unwrap_or_default();
            println!("demo has the ServiceAccount default and the ConfigMap {name}");
        }
    }
    server.shutdown().await;
    Ok(())
}

/// The first version of the object `name` that satisfies `done`, by watch, within 10 s.
async fn first<K>(api: Api<K>, name: &str, done: impl Fn(&K) -> bool) -> anyhow::Result<K>
where
    K: kube::Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + 'static,
{
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let found = watcher(api, config)
        .applied_objects()
        .try_filter(|object| std::future::ready(done(object)));
    futures::pin_mut!(found);
    tokio::time::timeout(Duration::from_secs(10), found.try_next())
        .await
        .with_context(|| format!("{name} not there within 10 s"))??
        .with_context(|| format!("the watch of {name} ended"))
}
