//! The bound-mode controllers against the embedded API server, through the API only, on a
//! fake clock: a new namespace gets `default` and `kube-root-ca.crt` and no token; an
//! auto-generated legacy token (listed by its account) is labelled invalid once the clock
//! passes the clean-up period and deleted a period later, while a manual one stays.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{ConfigMap, Namespace, ObjectReference, Secret, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{ListParams, PostParams};
use kube::{Api, Client};
use tokio::time::Instant;

use super::legacy_token_cleaner::{
    format_date, INVALID_SINCE_LABEL, TRACKING_CONFIG_MAP_NAME, TRACKING_CONFIG_MAP_NAMESPACE,
    TRACKING_SINCE_KEY,
};
use super::root_ca_publisher::{DESCRIPTION, DESCRIPTION_ANNOTATION, ROOT_CA_CONFIG_MAP_NAME};
use super::{
    run, ControllersConfig, LegacyTokenCleanerOptions, RootCaPublisherOptions,
    TokensControllerOptions,
};
use crate::apiserver::ApiServer;
use crate::clock::{Clock, FakeClock};
use crate::serviceaccount::{
    SigningKey, TokenGenerator, SERVICE_ACCOUNT_NAME_ANNOTATION, SERVICE_ACCOUNT_TOKEN_TYPE,
};
use crate::Mode;

const DEADLINE: Duration = Duration::from_secs(8);
const POLL_INTERVAL: Duration = Duration::from_millis(10);
const DAY: Duration = Duration::from_secs(24 * 3600);
const PERIOD: Duration = Duration::from_secs(30 * 24 * 3600);

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

fn token_secret(name: &str) -> Secret {
    Secret {
        metadata: ObjectMeta {
            name: Some(name.into()),
            annotations: Some(BTreeMap::from([(
                SERVICE_ACCOUNT_NAME_ANNOTATION.to_string(),
                "default".to_string(),
            )])),
            ..ObjectMeta::default()
        },
        type_: Some(SERVICE_ACCOUNT_TOKEN_TYPE.into()),
        ..Secret::default()
    }
}

async fn secret(client: &Client, name: &str) -> Result<Secret, String> {
    Api::<Secret>::namespaced(client.clone(), "legacy")
        .get_opt(name)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("{name} is gone"))
}

fn label(secret: &Secret, key: &str) -> Option<String> {
    secret.metadata.labels.as_ref()?.get(key).cloned()
}

#[tokio::test]
async fn bound_mode_publishes_generates_nothing_and_cleans_up_on_the_clock() {
    let clock = Arc::new(FakeClock::new(jiff::Timestamp::now()));
    let server = ApiServer::builder()
        .without_service_accounts()
        .clock(clock.clone())
        .start()
        .await
        .expect("server starts");
    let client = server.client().await.expect("client");
    let ca = server.ca_pem().to_string();
    let key = Arc::new(SigningKey::generate_ecdsa_p256().expect("key"));
    let generator = Arc::new(TokenGenerator::legacy(key));
    let config = ControllersConfig::new(generator.clone())
        .tokens(TokensControllerOptions::new(generator).root_ca(ca.as_bytes().to_vec()))
        .mode(Mode::Bound)
        .root_ca_publisher(RootCaPublisherOptions::new(ca.as_bytes().to_vec()))
        .legacy_token_cleaner(LegacyTokenCleanerOptions::new(PERIOD).expect("period"))
        .clock(clock.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let controllers = tokio::spawn(run(client.clone(), config, async {
        let _ = stopped.await;
    }));

    // What the API server records (another component creates it in a full cluster).
    let yesterday = clock.now().checked_sub(DAY).expect("in range");
    let tracking = ConfigMap {
        metadata: ObjectMeta {
            name: Some(TRACKING_CONFIG_MAP_NAME.into()),
            ..ObjectMeta::default()
        },
        data: Some(BTreeMap::from([(
            TRACKING_SINCE_KEY.to_string(),
            format_date(yesterday),
        )])),
        ..ConfigMap::default()
    };
    Api::<ConfigMap>::namespaced(client.clone(), TRACKING_CONFIG_MAP_NAMESPACE)
        .create(&PostParams::default(), &tracking)
        .await
        .expect("tracking configmap");

    let namespace = Namespace {
        metadata: ObjectMeta {
            name: Some("legacy".into()),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    };
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &namespace)
        .await
        .expect("namespace");
    let config_maps = Api::<ConfigMap>::namespaced(client.clone(), "legacy");
    let published = eventually("kube-root-ca.crt is published", || async {
        config_maps
            .get_opt(ROOT_CA_CONFIG_MAP_NAME)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "not yet".to_string())
    })
    .await;
    assert_eq!(
        published.data,
        Some(BTreeMap::from([("ca.crt".to_string(), ca.clone())]))
    );
    assert_eq!(
        published
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(DESCRIPTION_ANNOTATION))
            .map(String::as_str),
        Some(DESCRIPTION)
    );
    let accounts = Api::<ServiceAccount>::namespaced(client.clone(), "legacy");
    eventually("default exists", || async {
        accounts
            .get_opt("default")
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "not yet".to_string())
    })
    .await;

    // Two token Secrets made by hand; the account lists one of them, which is what marks
    // an auto-generated token.
    let secrets = Api::<Secret>::namespaced(client.clone(), "legacy");
    for name in ["listed", "manual"] {
        secrets
            .create(&PostParams::default(), &token_secret(name))
            .await
            .expect("secret");
    }
    eventually("both are filled in", || async {
        for name in ["listed", "manual"] {
            let filled = secret(&client, name).await?;
            if !filled.data.is_some_and(|d| d.contains_key("token")) {
                return Err(format!("{name} has no token yet"));
            }
        }
        Ok(())
    })
    .await;
    let mut account = accounts.get("default").await.expect("default");
    assert_eq!(
        account.secrets, None,
        "no token was generated or referenced"
    );
    account.secrets = Some(vec![ObjectReference {
        name: Some("listed".into()),
        ..ObjectReference::default()
    }]);
    accounts
        .replace("default", &PostParams::default(), &account)
        .await
        .expect("account lists the token");

    // The clean-up period passes: the next daily run labels the listed token only.
    clock.advance(PERIOD + 2 * DAY);
    let today = format_date(clock.now());
    eventually("the listed token is labelled invalid", || async {
        let listed = secret(&client, "listed").await?;
        match label(&listed, INVALID_SINCE_LABEL) {
            Some(date) if date == today => Ok(()),
            other => Err(format!("label {other:?}")),
        }
    })
    .await;
    let manual = secret(&client, "manual").await.expect("manual stays");
    assert_eq!(label(&manual, INVALID_SINCE_LABEL), None);

    // A period after the label, it is deleted; the manual one stays.
    clock.advance(PERIOD + DAY);
    eventually("the listed token is deleted", || async {
        match secret(&client, "listed").await {
            Err(_) => Ok(()),
            Ok(_) => Err("still there".to_string()),
        }
    })
    .await;
    let left: Vec<String> = secrets
        .list(&ListParams::default())
        .await
        .expect("list")
        .items
        .into_iter()
        .filter_map(|s| s.metadata.name)
        .collect();
    assert_eq!(left, ["manual"]);

    let _ = stop.send(());
    let result = tokio::time::timeout(Duration::from_secs(5), controllers)
        .await
        .expect("controllers stop promptly")
        .expect("controllers did not panic");
    assert!(result.is_ok(), "{result:?}");
    server.shutdown().await;
}
