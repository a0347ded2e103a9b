//! The 10,000-namespace scenario shared by the `scale_namespaces` and `scale_memory`
//! benchmarks: an embedded cluster signing with RSA 2048, namespaces created at once through
//! the API by 16 clients, and the in-process controllers giving each one its `default`
//! ServiceAccount and that account's token Secret.

use crate::load::{self, namespace_name};
use kube_sa::apiserver::components::ServiceAccountOptions;
use kube_sa::apiserver::kinds::{SECRETS, SERVICE_ACCOUNTS};
use kube_sa::apiserver::store::Store;
use kube_sa::apiserver::ApiServer;
use kube_sa::serviceaccount::SigningKey;
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const NAMESPACES: usize = 10_000;
const CREATORS: usize = 16;
const DEADLINE: Duration = Duration::from_secs(120);

pub struct ScaleRun {
    /// All namespaces created (the API answered every create).
    pub created: Duration,
    /// Every namespace has `default` and its token secret.
    pub converged: Duration,
    /// CPU time the whole process used from the first create to convergence.
    pub cpu: Duration,
    pub server: ApiServer,
}

/// The fields of a ServiceAccount the check reads, borrowed from the stored JSON.
#[derive(Deserialize)]
struct Account<'a> {
    #[serde(borrow)]
    metadata: Meta<'a>,
    #[serde(default, borrow)]
    secrets: Vec<Reference<'a>>,
}

#[derive(Deserialize)]
struct Meta<'a> {
    #[serde(default, borrow)]
    uid: Cow<'a, str>,
    #[serde(default, borrow)]
    annotations: BTreeMap<Cow<'a, str>, Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Reference<'a> {
    #[serde(default, borrow)]
    name: Cow<'a, str>,
}

/// The fields of a Secret the check reads.
#[derive(Deserialize)]
struct TokenSecret<'a> {
    #[serde(borrow)]
    metadata: Meta<'a>,
    #[serde(default, rename = "type", borrow)]
    type_: Cow<'a, str>,
    #[serde(default, borrow)]
    data: BTreeMap<Cow<'a, str>, Cow<'a, str>>,
}

/// Whether `namespace` has `default` whose first secret reference is a token for it. The
/// check runs on the cluster's cores while it converges, so it reads only the fields it
/// needs from the stored JSON instead of building the whole objects.
fn has_default_token(store: &Store, namespace: &str) -> bool {
    let Some(account) = store.get(&SERVICE_ACCOUNTS, namespace, "default") else {
        return false;
    };
    let json = account.json();
    let Ok(account) = serde_json::from_slice::<Account>(&json) else {
        return false;
    };
    account.secrets.iter().any(|reference| {
        store
            .get(&SECRETS, namespace, &reference.name)
            .is_some_and(|secret| {
                let json = secret.json();
                serde_json::from_slice::<TokenSecret>(&json).is_ok_and(|secret| {
                    secret.type_ == "kubernetes.io/service-account-token"
                        && secret
                            .metadata
                            .annotations
                            .get("kubernetes.io/service-account.uid")
                            == Some(&account.metadata.uid)
                        && secret.data.get("token").is_some_and(|t| !t.is_empty())
                })
            })
    })
}

/// Starts a cluster, waits until it serves `default/default` with a token, then creates the
/// namespaces and waits for convergence. Times count from the first create.
pub async fn run(key: Arc<SigningKey>) -> ScaleRun {
    let server = ApiServer::builder()
        .service_accounts(ServiceAccountOptions {
            signing_key: Some(key),
            ..Default::default()
        })
        .start()
        .await
        .expect("start");
    let store = server.store();
    let ready = Instant::now();
    while !has_default_token(&store, "default") {
        assert!(
            ready.elapsed() < DEADLINE,
            "the cluster never gave default/default a token"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let creators = load::NamespaceCreators::connect(&server, CREATORS, NAMESPACES).await;

    let cpu_start = crate::common::process_cpu_time();
    let start = Instant::now();
    creators.create_all().await;
    let created = start.elapsed();

    let mut pending: BTreeSet<String> = (0..NAMESPACES).map(namespace_name).collect();
    loop {
        // Stop looking once a few are still pending: the check itself should cost the
        // cluster little CPU. Once nothing is pending, every namespace has been seen done.
        let mut still_pending = 0;
        pending.retain(|namespace| {
            if still_pending >= 64 {
                return true;
            }
            let done = has_default_token(&store, namespace);
            still_pending += usize::from(!done);
            !done
        });
        if pending.is_empty() {
            break;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "{} namespaces still without a token after {DEADLINE:?}",
            pending.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let converged = start.elapsed();
    let cpu = crate::common::process_cpu_time().saturating_sub(cpu_start);
    ScaleRun {
        created,
        converged,
        cpu,
        server,
    }
}
