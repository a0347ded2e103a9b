//! Both controllers against the embedded API server, through the API only. Every wait
//! polls the API until a condition holds or a deadline passes.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use k8s_openapi::api::core::v1::{Namespace, Secret, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{DeleteParams, ListParams, PostParams};
use kube::{Api, Client, ResourceExt};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::{run, ControllerError, ControllersConfig, TokensControllerOptions};
use crate::apiserver::ApiServer;
use crate::serviceaccount::{
    SigningKey, TokenGenerator, NAMESPACE_DATA_KEY, ROOT_CA_DATA_KEY,
    SERVICE_ACCOUNT_NAME_ANNOTATION, SERVICE_ACCOUNT_TOKEN_TYPE, SERVICE_ACCOUNT_UID_ANNOTATION,
    TOKEN_DATA_KEY,
};

const DEADLINE: Duration = Duration::from_secs(8);
const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// An embedded API server without its own controllers, and ours running against it.
struct Cluster {
    server: ApiServer,
    client: Client,
    stop: oneshot::Sender<()>,
    controllers: JoinHandle<Result<(), ControllerError>>,
}

impl Cluster {
    async fn start() -> Self {
        let server = ApiServer::builder()
            .without_service_accounts()
            .start()
            .await
            .expect("server starts");
        let client = server.client().await.expect("client");
        let key = Arc::new(SigningKey::generate_ecdsa_p256().expect("key"));
        let tokens = TokensControllerOptions::new(Arc::new(TokenGenerator::legacy(key.clone())))
            .root_ca(server.ca_pem().as_bytes().to_vec());
        let config = ControllersConfig::new(Arc::new(TokenGenerator::legacy(key))).tokens(tokens);
        let (stop, stopped) = oneshot::channel::<()>();
        let controllers = tokio::spawn(run(client.clone(), config, async {
            let _ = stopped.await;
        }));
        Self {
            server,
            client,
            stop,
            controllers,
        }
    }

    async fn create_namespace(&self, name: &str) {
        let namespace = Namespace {
            metadata: ObjectMeta {
                name: Some(name.into()),
                ..ObjectMeta::default()
            },
            ..Namespace::default()
        };
        Api::<Namespace>::all(self.client.clone())
            .create(&PostParams::default(), &namespace)
            .await
            .expect("namespace created");
    }

    fn accounts(&self, namespace: &str) -> Api<ServiceAccount> {
        Api::namespaced(self.client.clone(), namespace)
    }

    fn secrets(&self, namespace: &str) -> Api<Secret> {
        Api::namespaced(self.client.clone(), namespace)
    }

    async fn create_account(&self, namespace: &str, name: &str) -> ServiceAccount {
        let account = ServiceAccount {
            metadata: ObjectMeta {
                name: Some(name.into()),
                ..ObjectMeta::default()
            },
            ..ServiceAccount::default()
        };
        self.accounts(namespace)
            .create(&PostParams::default(), &account)
            .await
            .expect("account created")
    }

    /// Waits until `namespace/name` references exactly one existing, complete token Secret
    /// of its own, and returns both.
    async fn referenced_token(&self, namespace: &str, name: &str) -> (ServiceAccount, Secret) {
        eventually(&format!("{namespace}/{name} has a token"), || async {
            let account = self
                .accounts(namespace)
                .get_opt(name)
                .await
                .map_err(|e| e.to_string())?
                .ok_or("no account yet")?;
            let tokens = token_secrets(
                &self
                    .secrets(namespace)
                    .list(&ListParams::default())
                    .await
                    .map_err(|e| e.to_string())?
                    .items,
            );
            let referenced: Vec<Secret> = references(&account)
                .iter()
                .filter_map(|reference| tokens.get(reference).cloned())
                .filter(|secret| belongs_to(secret, &account))
                .collect();
            match referenced.as_slice() {
                [secret] if is_complete(secret) => Ok((account, secret.clone())),
                other => Err(format!(
                    "{} referenced tokens: {:?}",
                    other.len(),
                    references(&account)
                )),
            }
        })
        .await
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        let result = tokio::time::timeout(Duration::from_secs(5), self.controllers)
            .await
            .expect("controllers stop promptly")
            .expect("controllers did not panic");
        assert!(result.is_ok(), "controllers stopped cleanly: {result:?}");
        self.server.shutdown().await;
    }
}

/// Polls `check` until it succeeds, or panics with its last complaint after the deadline.
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = Instant::now() + DEADLINE;
    loop {
        match check().await {
            Ok(value) => return value,
            Err(complaint) if Instant::now() >= deadline => {
                panic!("{what}: still not true after {DEADLINE:?}: {complaint}")
            }
            Err(_) => tokio::time::sleep(POLL_INTERVAL).await,
        }
    }
}

fn annotation<'a>(secret: &'a Secret, key: &str) -> &'a str {
    secret
        .annotations()
        .get(key)
        .map(String::as_str)
        .unwrap_or_default()
}

fn data<'a>(secret: &'a Secret, key: &str) -> &'a [u8] {
    secret
        .data
        .as_ref()
        .and_then(|data| data.get(key))
        .map(|bytes| bytes.0.as_slice())
        .unwrap_or_default()
}

fn references(account: &ServiceAccount) -> Vec<String> {
    account
        .secrets
        .iter()
        .flatten()
        .filter_map(|reference| reference.name.clone())
        .collect()
}

/// Token Secrets by name.
fn token_secrets(secrets: &[Secret]) -> BTreeMap<String, Secret> {
    secrets
        .iter()
        .filter(|secret| secret.type_.as_deref() == Some(SERVICE_ACCOUNT_TOKEN_TYPE))
        .map(|secret| (secret.name_any(), secret.clone()))
        .collect()
}

fn belongs_to(secret: &Secret, account: &ServiceAccount) -> bool {
    annotation(secret, SERVICE_ACCOUNT_NAME_ANNOTATION) == account.name_any()
        && annotation(secret, SERVICE_ACCOUNT_UID_ANNOTATION) == account.uid().unwrap_or_default()
}

fn is_complete(secret: &Secret) -> bool {
    !data(secret, TOKEN_DATA_KEY).is_empty()
        && !data(secret, NAMESPACE_DATA_KEY).is_empty()
        && !data(secret, ROOT_CA_DATA_KEY).is_empty()
}

fn token_claims(secret: &Secret) -> serde_json::Value {
    use base64::Engine as _;
    let token = std::str::from_utf8(data(secret, TOKEN_DATA_KEY)).expect("utf-8 token");
    let payload = token.split('.').nth(1).expect("a JWT");
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url payload");
    serde_json::from_slice(&json).expect("json claims")
}

#[tokio::test]
async fn a_new_namespace_gets_default_and_its_token() {
    let cluster = Cluster::start().await;
    cluster.create_namespace("team-a").await;
    let (account, secret) = cluster.referenced_token("team-a", "default").await;

    let name = secret.name_any();
    let suffix = name
        .strip_prefix("default-token-")
        .expect("named after the account");
    assert_eq!(suffix.len(), 5, "{name}");
    assert_eq!(data(&secret, NAMESPACE_DATA_KEY), b"team-a");
    assert_eq!(
        data(&secret, ROOT_CA_DATA_KEY),
        cluster.server.ca_pem().as_bytes()
    );
    let claims = token_claims(&secret);
    assert_eq!(claims["sub"], "system:serviceaccount:team-a:default");
    assert_eq!(
        claims["kubernetes.io/serviceaccount/secret.name"],
        name.as_str()
    );
    assert_eq!(
        claims["kubernetes.io/serviceaccount/service-account.uid"],
        account.uid().expect("uid").as_str()
    );
    // The account the controller created has nothing else in it.
    assert_eq!(account.automount_service_account_token, None);
    cluster.stop().await;
}

#[tokio::test]
async fn deleting_the_token_secret_yields_a_new_one() {
    let cluster = Cluster::start().await;
    cluster.create_namespace("team-b").await;
    let (_, first) = cluster.referenced_token("team-b", "default").await;
    cluster
        .secrets("team-b")
        .delete(&first.name_any(), &DeleteParams::default())
        .await
        .expect("deleted");
    let (account, second) = eventually("a new token replaces the deleted one", || async {
        let (account, secret) = cluster.referenced_token("team-b", "default").await;
        if secret.name_any() == first.name_any() {
            Err("still the old token".to_string())
        } else {
            Ok((account, secret))
        }
    })
    .await;
    assert_eq!(
        references(&account),
        [second.name_any()],
        "old reference removed"
    );
    cluster.stop().await;
}

#[tokio::test]
async fn deleting_the_account_deletes_its_tokens() {
    let cluster = Cluster::start().await;
    cluster.create_namespace("team-c").await;
    cluster.create_account("team-c", "robot").await;
    let (account, secret) = cluster.referenced_token("team-c", "robot").await;
    cluster
        .accounts("team-c")
        .delete("robot", &DeleteParams::default())
        .await
        .expect("deleted");
    eventually("the token of the deleted account is gone", || async {
        let left = cluster
            .secrets("team-c")
            .get_opt(&secret.name_any())
            .await
            .map_err(|e| e.to_string())?;
        match left {
            None => Ok(()),
            Some(_) => Err(format!("{} still exists", secret.name_any())),
        }
    })
    .await;
    assert!(cluster
        .accounts("team-c")
        .get_opt("robot")
        .await
        .expect("get")
        .is_none());
    let _ = account;
    cluster.stop().await;
}

#[tokio::test]
async fn a_manually_created_token_secret_is_filled_in() {
    let cluster = Cluster::start().await;
    cluster.create_namespace("team-d").await;
    let account = cluster.create_account("team-d", "builder").await;
    let manual = Secret {
        metadata: ObjectMeta {
            name: Some("builder-long-lived".into()),
            annotations: Some(BTreeMap::from([(
                SERVICE_ACCOUNT_NAME_ANNOTATION.to_string(),
                "builder".to_string(),
            )])),
            ..ObjectMeta::default()
        },
        type_: Some(SERVICE_ACCOUNT_TOKEN_TYPE.into()),
        ..Secret::default()
    };
    cluster
        .secrets("team-d")
        .create(&PostParams::default(), &manual)
        .await
        .expect("created");
    let filled = eventually("the manual token secret is filled in", || async {
        let secret = cluster
            .secrets("team-d")
            .get("builder-long-lived")
            .await
            .map_err(|e| e.to_string())?;
        if is_complete(&secret) && belongs_to(&secret, &account) {
            Ok(secret)
        } else {
            Err(format!("not yet: {:?}", secret.annotations()))
        }
    })
    .await;
    assert_eq!(data(&filled, NAMESPACE_DATA_KEY), b"team-d");
    assert_eq!(
        token_claims(&filled)["kubernetes.io/serviceaccount/secret.name"],
        "builder-long-lived"
    );
    cluster.stop().await;
}

#[tokio::test]
async fn many_accounts_created_and_deleted_at_once_end_consistent() {
    let cluster = Cluster::start().await;
    cluster.create_namespace("crowd").await;
    let names: Vec<String> = (0..50).map(|i| format!("sa-{i}")).collect();
    // Create all at once; every third one is deleted right after it is created.
    join_all(names.iter().enumerate().map(|(i, name)| {
        let cluster = &cluster;
        async move {
            cluster.create_account("crowd", name).await;
            if i % 3 == 0 {
                cluster
                    .accounts("crowd")
                    .delete(name, &DeleteParams::default())
                    .await
                    .expect("deleted");
            }
        }
    }))
    .await;
    let kept: BTreeSet<String> = names
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 3 != 0)
        .map(|(_, name)| name.clone())
        .chain(["default".to_string()])
        .collect();

    eventually(
        "every account has exactly one token and no secret is orphaned",
        || async {
            let accounts = cluster
                .accounts("crowd")
                .list(&ListParams::default())
                .await
                .map_err(|e| e.to_string())?
                .items;
            let secrets = token_secrets(
                &cluster
                    .secrets("crowd")
                    .list(&ListParams::default())
                    .await
                    .map_err(|e| e.to_string())?
                    .items,
            );
            let present: BTreeSet<String> = accounts.iter().map(|a| a.name_any()).collect();
            if present != kept {
                return Err(format!("accounts: {present:?}"));
            }
            let mut referenced = BTreeSet::new();
            for account in &accounts {
                let references = references(account);
                let own: Vec<&String> = references
                    .iter()
                    .filter(|name| {
                        secrets
                            .get(*name)
                            .is_some_and(|s| belongs_to(s, account) && is_complete(s))
                    })
                    .collect();
                if own.len() != 1 || references.len() != 1 {
                    return Err(format!("{} references {references:?}", account.name_any()));
                }
                referenced.extend(references);
            }
            let orphans: Vec<&String> = secrets
                .keys()
                .filter(|name| !referenced.contains(*name))
                .collect();
            if !orphans.is_empty() {
                return Err(format!("orphaned token secrets: {orphans:?}"));
            }
            Ok(())
        },
    )
    .await;
    cluster.stop().await;
}

#[tokio::test]
async fn a_deleted_namespace_is_left_empty() {
    let cluster = Cluster::start().await;
    cluster.create_namespace("short-lived").await;
    cluster.referenced_token("short-lived", "default").await;
    Api::<Namespace>::all(cluster.client.clone())
        .delete("short-lived", &DeleteParams::default())
        .await
        .expect("deleted");
    // Neither controller may bring accounts or secrets back while it terminates.
    eventually("the namespace and its content are gone", || async {
        let namespace = Api::<Namespace>::all(cluster.client.clone())
            .get_opt("short-lived")
            .await
            .map_err(|e| e.to_string())?;
        let accounts = cluster
            .accounts("short-lived")
            .list(&ListParams::default())
            .await;
        let secrets = cluster
            .secrets("short-lived")
            .list(&ListParams::default())
            .await;
        let accounts = accounts.map_err(|e| e.to_string())?.items.len();
        let secrets = secrets.map_err(|e| e.to_string())?.items.len();
        match (namespace, accounts, secrets) {
            (None, 0, 0) => Ok(()),
            (namespace, accounts, secrets) => Err(format!(
                "namespace present: {}, {accounts} accounts, {secrets} secrets",
                namespace.is_some()
            )),
        }
    })
    .await;
    cluster.stop().await;
}

#[tokio::test]
async fn the_embedded_server_runs_these_controllers_by_default() {
    let server = ApiServer::builder().start().await.expect("server starts");
    let client = server.client().await.expect("client");
    let namespaces: Api<Namespace> = Api::all(client.clone());
    namespaces
        .create(
            &PostParams::default(),
            &Namespace {
                metadata: ObjectMeta {
                    name: Some("embedded".into()),
                    ..ObjectMeta::default()
                },
                ..Namespace::default()
            },
        )
        .await
        .expect("namespace created");
    let accounts: Api<ServiceAccount> = Api::namespaced(client, "embedded");
    eventually("default gets a token", || async {
        let account = accounts
            .get_opt("default")
            .await
            .map_err(|e| e.to_string())?
            .ok_or("no default yet")?;
        match references(&account).as_slice() {
            [name] if name.starts_with("default-token-") => Ok(()),
            other => Err(format!("references {other:?}")),
        }
    })
    .await;
    server.shutdown().await;
}
