//! Table-driven tests of the legacy-token cleaner against the recording fake, one row per
//! case of upstream's legacy_serviceaccount_token_cleaner_test.go
//! (`TestLegacyServiceAccountTokenCleanUp`), plus the daily run on a fake clock.

use std::time::Duration;

use k8s_openapi::api::core::v1::{
    ConfigMap, Container, EnvFromSource, LocalObjectReference, ObjectReference, PodSpec,
    ProjectedVolumeSource, SecretEnvSource, SecretProjection, SecretVolumeSource, VolumeProjection,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use kube::runtime::reflector::store::Writer;
use kube::runtime::watcher;

use super::*;
use crate::clock::FakeClock;
use crate::controllers::fake::{Action, FakeApi};

const NS: &str = "default";
const SA_UID: &str = "sa-uid";
const SECRET: &str = "token-secret-1";
/// Days in the clean-up period the rows use.
const PERIOD_DAYS: i64 = 365;

/// 2026-11-30T12:00:00Z.
fn now() -> Timestamp {
    Timestamp::from_second(1_796_040_000).expect("timestamp")
}

fn days_ago(days: i64) -> Timestamp {
    now()
        .checked_sub(SignedDuration::from_hours(24 * days))
        .expect("in range")
}

fn date_days_ago(days: i64) -> String {
    format_date(days_ago(days))
}

fn tracking(since: Option<&str>) -> ConfigMap {
    ConfigMap {
        metadata: ObjectMeta {
            name: Some(TRACKING_CONFIG_MAP_NAME.into()),
            namespace: Some(TRACKING_CONFIG_MAP_NAMESPACE.into()),
            ..ObjectMeta::default()
        },
        data: since.map(|since| BTreeMap::from([(TRACKING_SINCE_KEY.into(), since.into())])),
        ..ConfigMap::default()
    }
}

fn account(secrets: &[&str]) -> ServiceAccount {
    ServiceAccount {
        metadata: ObjectMeta {
            name: Some("default".into()),
            namespace: Some(NS.into()),
            uid: Some(SA_UID.into()),
            ..ObjectMeta::default()
        },
        secrets: Some(
            secrets
                .iter()
                .map(|name| ObjectReference {
                    name: Some(name.to_string()),
                    ..ObjectReference::default()
                })
                .collect(),
        ),
        ..ServiceAccount::default()
    }
}

/// An auto-generated token Secret created 3 years ago, listed by `default`.
fn token_secret(labels: &[(&str, &str)]) -> Secret {
    Secret {
        metadata: ObjectMeta {
            name: Some(SECRET.into()),
            namespace: Some(NS.into()),
            uid: Some("secret-uid".into()),
            resource_version: Some("42".into()),
            creation_timestamp: Some(Time(days_ago(3 * 365))),
            annotations: Some(BTreeMap::from([
                (SERVICE_ACCOUNT_NAME_ANNOTATION.into(), "default".into()),
                (SERVICE_ACCOUNT_UID_ANNOTATION.into(), SA_UID.into()),
            ])),
            labels: (!labels.is_empty()).then(|| {
                labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            }),
            ..ObjectMeta::default()
        },
        type_: Some(SERVICE_ACCOUNT_TOKEN_TYPE.into()),
        ..Secret::default()
    }
}

fn pod_mounting(secret: &str) -> Pod {
    Pod {
        metadata: ObjectMeta {
            name: Some("web".into()),
            namespace: Some(NS.into()),
            ..ObjectMeta::default()
        },
        spec: Some(PodSpec {
            containers: vec![Container {
                name: "app".into(),
                ..Container::default()
            }],
            volumes: Some(vec![Volume {
                name: "token".into(),
                secret: Some(SecretVolumeSource {
                    secret_name: Some(secret.into()),
                    ..SecretVolumeSource::default()
                }),
                ..Volume::default()
            }]),
            ..PodSpec::default()
        }),
        ..Pod::default()
    }
}

fn get_tracking() -> Action {
    Action::GetConfigMap {
        namespace: TRACKING_CONFIG_MAP_NAMESPACE.into(),
        name: TRACKING_CONFIG_MAP_NAME.into(),
    }
}

fn list_pods() -> Action {
    Action::ListPods {
        namespace: NS.into(),
    }
}

/// The merge patch upstream sends: an apply configuration with kind, apiVersion, name,
/// namespace, uid and the label.
fn patch_invalid_since_today() -> Action {
    Action::PatchSecret {
        namespace: NS.into(),
        name: SECRET.into(),
        patch: serde_json::json!({
            "kind": "Secret",
            "apiVersion": "v1",
            "metadata": {
                "name": SECRET,
                "namespace": NS,
                "uid": "secret-uid",
                "labels": {INVALID_SINCE_LABEL: format_date(now())},
            },
        }),
    }
}

fn delete_with_resource_version() -> Action {
    Action::DeleteSecret {
        namespace: NS.into(),
        name: SECRET.into(),
        preconditions: Some(Preconditions {
            uid: None,
            resource_version: Some("42".into()),
        }),
    }
}

struct Case {
    name: &'static str,
    tracking: Option<ConfigMap>,
    accounts: Vec<ServiceAccount>,
    secret: Secret,
    pods: Vec<Pod>,
    expected: Vec<Action>,
}

/// Tracking began two years ago; `default` lists the Secret; no pods.
fn case(name: &'static str, secret: Secret, expected: Vec<Action>) -> Case {
    Case {
        name,
        tracking: Some(tracking(Some(&date_days_ago(2 * 365)))),
        accounts: vec![account(&[SECRET])],
        secret,
        pods: vec![],
        expected,
    }
}

fn cleaner(
    api: &FakeApi,
    clock: Arc<dyn Clock>,
    accounts: &[ServiceAccount],
    secrets: &[Secret],
) -> LegacyTokenCleaner<FakeApi> {
    let mut account_cache = Writer::default();
    for account in accounts {
        account_cache.apply_watcher_event(&watcher::Event::Apply(account.clone()));
    }
    let mut secret_cache = Writer::default();
    for secret in secrets {
        secret_cache.apply_watcher_event(&watcher::Event::Apply(secret.clone()));
    }
    let period = Duration::from_secs(PERIOD_DAYS as u64 * 24 * 3600);
    let options = LegacyTokenCleanerOptions::new(period).expect("valid period");
    // The stores outlive the writers: dropping a writer keeps its store's contents.
    LegacyTokenCleaner::new(
        api.clone(),
        clock,
        options,
        account_cache.as_reader(),
        secret_cache.as_reader(),
    )
}

async fn run_case(case: Case) {
    let mut api = FakeApi::new().with_secret(case.secret.clone());
    if let Some(tracking) = case.tracking.clone() {
        api = api.with_config_map(tracking);
    }
    for pod in &case.pods {
        api = api.with_pod(pod.clone());
    }
    let clock = Arc::new(FakeClock::new(now()));
    let cleaner = cleaner(
        &api,
        clock,
        &case.accounts,
        std::slice::from_ref(&case.secret),
    );
    cleaner.evaluate().await;
    assert_eq!(api.actions(), case.expected, "{}", case.name);
}

#[tokio::test]
async fn legacy_service_account_token_clean_up() {
    let invalid_since = |days: i64| token_secret(&[(INVALID_SINCE_LABEL, &date_days_ago(days))]);
    let mut late = token_secret(&[]);
    late.metadata.creation_timestamp = Some(Time(days_ago(PERIOD_DAYS - 1)));
    let mut deleting = token_secret(&[]);
    deleting.metadata.deletion_timestamp = Some(Time(days_ago(1)));
    let mut opaque = token_secret(&[]);
    opaque.type_ = Some("Opaque".into());
    let mut no_account_name = token_secret(&[]);
    if let Some(annotations) = no_account_name.metadata.annotations.as_mut() {
        annotations.insert(SERVICE_ACCOUNT_NAME_ANNOTATION.into(), String::new());
    }
    let mut other_uid = account(&[SECRET]);
    other_uid.metadata.uid = Some("another-uid".into());

    let cases = vec![
        Case {
            tracking: None,
            ..case("configmap does not exist", token_secret(&[]), vec![get_tracking()])
        },
        Case {
            tracking: Some(tracking(None)),
            ..case(
                "configmap exists, but the configmap does not have tracked-since label",
                token_secret(&[]),
                vec![get_tracking()],
            )
        },
        Case {
            tracking: Some(tracking(Some(&date_days_ago(PERIOD_DAYS - 1)))),
            ..case(
                "configmap exists, the time period since 'tracked-since' is smaller than the CleanUpPeriod",
                token_secret(&[]),
                vec![get_tracking()],
            )
        },
        Case {
            tracking: Some(tracking(Some("2022/01/01"))),
            ..case(
                "configmap exists, the 'tracked-since' cannot be parsed",
                token_secret(&[]),
                vec![get_tracking()],
            )
        },
        case(
            "secret is not SecretTypeServiceAccountToken type",
            opaque,
            vec![get_tracking()],
        ),
        Case {
            accounts: vec![account(&[])],
            ..case(
                "secret is not referenced by serviceaccount",
                token_secret(&[]),
                vec![get_tracking()],
            )
        },
        case(
            "auto-generated secret has a late creation time",
            late,
            vec![get_tracking()],
        ),
        case(
            "auto-generated secret has a deletion time",
            deleting,
            vec![get_tracking()],
        ),
        case(
            "auto-generated secret has a late last-used time",
            token_secret(&[(LAST_USED_LABEL, &date_days_ago(PERIOD_DAYS - 1))]),
            vec![get_tracking()],
        ),
        case(
            "auto-generated secret has a last-used label, but it can not be parsed",
            token_secret(&[(LAST_USED_LABEL, "2006-01-02 15:04:05")]),
            vec![get_tracking()],
        ),
        Case {
            accounts: vec![],
            ..case(
                "secret-referenced service account does not exist",
                token_secret(&[]),
                vec![get_tracking()],
            )
        },
        Case {
            accounts: vec![other_uid],
            ..case(
                "secret-referenced service account uid does not match",
                token_secret(&[]),
                vec![get_tracking()],
            )
        },
        case(
            "secret-referenced service account name is empty",
            no_account_name,
            vec![get_tracking()],
        ),
        case(
            "auto-generated secret does not have 'last-used' label, has not been marked as invalid",
            token_secret(&[]),
            vec![get_tracking(), list_pods(), patch_invalid_since_today()],
        ),
        case(
            "auto-generated secret has an old 'last-used' label, has not been marked as invalid",
            token_secret(&[(LAST_USED_LABEL, &date_days_ago(PERIOD_DAYS + 1))]),
            vec![get_tracking(), list_pods(), patch_invalid_since_today()],
        ),
        case(
            "auto-generated secret does not have 'last-used' label, has been marked as invalid, invalid_since label can not be parsed",
            token_secret(&[(INVALID_SINCE_LABEL, "invalid")]),
            vec![get_tracking(), list_pods(), patch_invalid_since_today()],
        ),
        case(
            "auto-generated secret does not have 'last-used' label, has been marked as invalid, time period since invalid is less than CleanUpPeriod",
            invalid_since(PERIOD_DAYS - 1),
            vec![get_tracking(), list_pods()],
        ),
        case(
            "auto-generated secret does not have 'last-used' label, has been marked as invalid, time period since invalid is larger than CleanUpPeriod",
            invalid_since(PERIOD_DAYS + 1),
            vec![get_tracking(), list_pods(), delete_with_resource_version()],
        ),
        Case {
            pods: vec![pod_mounting(SECRET)],
            ..case(
                "auto-generated secret is mounted by a pod",
                invalid_since(PERIOD_DAYS + 1),
                vec![get_tracking(), list_pods()],
            )
        },
        Case {
            pods: vec![pod_mounting("another-secret")],
            ..case(
                "a pod mounting another secret does not protect this one",
                token_secret(&[]),
                vec![get_tracking(), list_pods(), patch_invalid_since_today()],
            )
        },
    ];
    for case in cases {
        run_case(case).await;
    }
}

#[tokio::test]
async fn the_label_is_written_and_a_delete_that_meets_a_newer_version_is_ignored() {
    let api = FakeApi::new()
        .with_config_map(tracking(Some(&date_days_ago(2 * 365))))
        .with_secret(token_secret(&[]));
    let clock = Arc::new(FakeClock::new(now()));
    let cleaner = cleaner(&api, clock, &[account(&[SECRET])], &[token_secret(&[])]);
    assert_eq!(
        cleaner.evaluate().await,
        vec![(format!("{NS}/{SECRET}"), Verdict::Invalidated)]
    );
    let labelled = api.secret(NS, SECRET).expect("still there");
    assert_eq!(
        label(&labelled, INVALID_SINCE_LABEL),
        Some(format_date(now()).as_str())
    );

    // The cache still holds resourceVersion 42; the stored Secret is newer, so the
    // delete's precondition fails and the Secret stays.
    let stale = token_secret(&[(INVALID_SINCE_LABEL, &date_days_ago(PERIOD_DAYS + 1))]);
    let cleaner = cleaner_with(&api, &stale);
    assert_eq!(
        cleaner.evaluate().await,
        vec![(format!("{NS}/{SECRET}"), Verdict::Deleted)]
    );
    assert!(api.secret(NS, SECRET).is_some(), "conflict: not deleted");
}

fn cleaner_with(api: &FakeApi, secret: &Secret) -> LegacyTokenCleaner<FakeApi> {
    cleaner(
        api,
        Arc::new(FakeClock::new(now())),
        &[account(&[SECRET])],
        std::slice::from_ref(secret),
    )
}

/// Yields to the cleaner until `check` holds, failing after 5 s of real time.
async fn wait_for(what: &str, check: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !check() {
        assert!(std::time::Instant::now() < deadline, "timed out: {what}");
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn runs_again_when_the_clock_passes_the_next_sync() {
    // Tracking began yesterday: the first run finds the period not yet over.
    let api = FakeApi::new()
        .with_config_map(tracking(Some(&date_days_ago(1))))
        .with_secret(token_secret(&[]));
    let clock = Arc::new(FakeClock::new(now()));
    let cleaner = Arc::new(cleaner(
        &api,
        clock.clone(),
        &[account(&[SECRET])],
        &[token_secret(&[])],
    ));
    let running = {
        let cleaner = cleaner.clone();
        tokio::spawn(async move { cleaner.run().await })
    };
    let count = |verb: &str| {
        api.actions()
            .iter()
            .filter(|a| a.verb_and_resource().0 == verb)
            .count()
    };
    wait_for("the first run", || count("get") == 1).await;

    // Half a day later nothing runs; a day after the first run, the next one does.
    clock.advance(Duration::from_secs(12 * 3600));
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    assert_eq!(count("get"), 1, "no run before the sync interval");
    clock.advance(Duration::from_secs(12 * 3600));
    wait_for("the second run", || count("get") == 2).await;
    assert_eq!(count("patch"), 0, "still inside the clean-up period");

    // A year on, the next daily run labels the token.
    clock.advance(Duration::from_secs(PERIOD_DAYS as u64 * 24 * 3600));
    wait_for("the labelling run", || count("patch") == 1).await;
    running.abort();
}

#[test]
fn dates_parse_as_go_parses_2006_01_02() {
    assert_eq!(parse_date("2024-02-29"), Date::new(2024, 2, 29).ok());
    for bad in [
        "2023-02-29",
        "2024-2-29",
        "24-02-29",
        "2024-02-29T00:00:00Z",
        "2024/02/29",
        "",
        "+024-02-29",
    ] {
        assert_eq!(parse_date(bad), None, "{bad:?}");
    }
    assert_eq!(format_date(now()), "2026-11-30");
}

#[test]
fn options_refuse_zero_durations_with_upstreams_texts() {
    assert_eq!(
        LegacyTokenCleanerOptions::new(Duration::ZERO)
            .unwrap_err()
            .to_string(),
        "invalid CleanUpPeriod: 0s"
    );
    let options = LegacyTokenCleanerOptions::new(Duration::from_secs(1)).expect("valid");
    assert_eq!(
        options
            .with_sync_interval(Duration::ZERO)
            .unwrap_err()
            .to_string(),
        "invalid SyncInterval: 0s"
    );
}

#[test]
fn every_place_a_pod_names_a_secret_is_visited() {
    let spec = PodSpec {
        image_pull_secrets: Some(vec![LocalObjectReference {
            name: "pull".into(),
        }]),
        init_containers: Some(vec![Container {
            name: "init".into(),
            env_from: Some(vec![EnvFromSource {
                secret_ref: Some(SecretEnvSource {
                    name: "env-from".into(),
                    ..SecretEnvSource::default()
                }),
                ..EnvFromSource::default()
            }]),
            ..Container::default()
        }]),
        containers: vec![Container {
            name: "app".into(),
            env: Some(vec![k8s_openapi::api::core::v1::EnvVar {
                name: "KEY".into(),
                value_from: Some(k8s_openapi::api::core::v1::EnvVarSource {
                    secret_key_ref: Some(k8s_openapi::api::core::v1::SecretKeySelector {
                        name: "env".into(),
                        key: "k".into(),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            }]),
            ..Container::default()
        }],
        volumes: Some(vec![
            Volume {
                name: "projected".into(),
                projected: Some(ProjectedVolumeSource {
                    sources: Some(vec![VolumeProjection {
                        secret: Some(SecretProjection {
                            name: "projected".into(),
                            ..SecretProjection::default()
                        }),
                        ..VolumeProjection::default()
                    }]),
                    ..ProjectedVolumeSource::default()
                }),
                ..Volume::default()
            },
            Volume {
                name: "csi".into(),
                csi: Some(k8s_openapi::api::core::v1::CSIVolumeSource {
                    driver: "d".into(),
                    node_publish_secret_ref: Some(LocalObjectReference { name: "csi".into() }),
                    ..Default::default()
                }),
                ..Volume::default()
            },
        ]),
        ..PodSpec::default()
    };
    let mut names = pod_secret_names(&spec);
    names.sort_unstable();
    assert_eq!(names, ["csi", "env", "env-from", "projected", "pull"]);
}
