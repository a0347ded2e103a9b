//! Table-driven tests of the root CA publisher against the recording fake, following
//! upstream's publisher_test.go (`TestConfigMapCreation`, `TestConfigMapUpdateNoHotLoop`),
//! with the intended comparison (upstream's final check is inverted), plus the error rules
//! of modern spec §5.

use std::time::Duration;

use k8s_openapi::api::core::v1::NamespaceStatus;
use kube::runtime::reflector::store::Writer;
use kube::runtime::watcher;

use super::*;
use crate::controllers::fake::{Action, FakeApi};

const NS: &str = "test-namespace";
const CA: &str = "-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n";

fn namespace(phase: &str) -> Namespace {
    Namespace {
        metadata: ObjectMeta {
            name: Some(NS.into()),
            ..ObjectMeta::default()
        },
        status: Some(NamespaceStatus {
            phase: Some(phase.into()),
            ..NamespaceStatus::default()
        }),
        ..Namespace::default()
    }
}

fn config_map(name: &str, data: &[(&str, &str)], description: Option<&str>) -> ConfigMap {
    ConfigMap {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some(NS.into()),
            resource_version: Some("1".into()),
            annotations: description.map(|text| {
                BTreeMap::from([(DESCRIPTION_ANNOTATION.to_string(), text.to_string())])
            }),
            ..ObjectMeta::default()
        },
        data: Some(
            data.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ),
        ..ConfigMap::default()
    }
}

/// The published ConfigMap as it is stored.
fn ca_config_map() -> ConfigMap {
    config_map(
        ROOT_CA_CONFIG_MAP_NAME,
        &[("ca.crt", CA)],
        Some(DESCRIPTION),
    )
}

/// The exact object the publisher posts.
fn create() -> Action {
    Action::CreateConfigMap {
        namespace: NS.into(),
        config_map: ConfigMap {
            metadata: ObjectMeta {
                name: Some(ROOT_CA_CONFIG_MAP_NAME.into()),
                annotations: Some(BTreeMap::from([(
                    DESCRIPTION_ANNOTATION.to_string(),
                    DESCRIPTION.to_string(),
                )])),
                ..ObjectMeta::default()
            },
            data: Some(BTreeMap::from([("ca.crt".to_string(), CA.to_string())])),
            ..ConfigMap::default()
        },
    }
}

fn update(config_map: ConfigMap) -> Action {
    Action::UpdateConfigMap {
        namespace: NS.into(),
        config_map,
    }
}

#[derive(Clone)]
enum Event {
    AddedNamespace(Namespace),
    UpdatedNamespace(Namespace),
    UpdatedConfigMap(ConfigMap),
    DeletedConfigMap(ConfigMap),
}

#[derive(Clone)]
struct Case {
    name: &'static str,
    cached: Vec<ConfigMap>,
    event: Event,
    /// The first `n` creates fail with this error.
    create_failure: Option<(usize, ClientError)>,
    expected: Vec<Action>,
}

fn case(name: &'static str, event: Event, expected: Vec<Action>) -> Case {
    Case {
        name,
        cached: vec![],
        event,
        create_failure: None,
        expected,
    }
}

async fn run_case(case: Case) {
    // The API server holds what the cache holds, less a ConfigMap the event deletes.
    let deleted = match &case.event {
        Event::DeletedConfigMap(deleted) => deleted.metadata.name.clone(),
        _ => None,
    };
    let mut api = FakeApi::new();
    for existing in &case.cached {
        if existing.metadata.name != deleted {
            api = api.with_config_map(existing.clone());
        }
    }
    if let Some((mut remaining, error)) = case.create_failure.clone() {
        api = api.with_reactor(move |action| {
            let matches = action.verb_and_resource() == ("create", "configmaps");
            (matches && remaining > 0).then(|| {
                remaining -= 1;
                error.clone()
            })
        });
    }
    let mut config_maps = Writer::default();
    for existing in &case.cached {
        config_maps.apply_watcher_event(&watcher::Event::Apply(existing.clone()));
    }
    let options = RootCaPublisherOptions::new(CA.as_bytes().to_vec())
        .workers(1)
        .rate_limiter(RateLimiterConfig {
            base_delay: Duration::from_micros(100),
            max_delay: Duration::from_millis(1),
            qps: 1e6,
            burst: 1_000_000,
        });
    let publisher = RootCaPublisher::new(api.clone(), options, config_maps.as_reader());
    match case.event.clone() {
        Event::AddedNamespace(namespace) => publisher.namespace_added(&namespace),
        Event::UpdatedNamespace(namespace) => publisher.namespace_updated(&namespace),
        Event::UpdatedConfigMap(changed) => {
            config_maps.apply_watcher_event(&watcher::Event::Apply(changed.clone()));
            publisher.config_map_changed(&changed);
        }
        Event::DeletedConfigMap(deleted) => {
            config_maps.apply_watcher_event(&watcher::Event::Delete(deleted.clone()));
            publisher.config_map_changed(&deleted);
        }
    }
    let work = async {
        while !publisher.queue().is_idle() {
            publisher.process_next().await;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), work)
        .await
        .unwrap_or_else(|_| panic!("{}: queue drained", case.name));
    assert_eq!(api.actions(), case.expected, "{}", case.name);
}

#[tokio::test]
async fn config_map_creation() {
    let with_field = config_map(
        ROOT_CA_CONFIG_MAP_NAME,
        &[("ca.crt", CA), ("test", "test")],
        Some(DESCRIPTION),
    );
    let modified = config_map(
        ROOT_CA_CONFIG_MAP_NAME,
        &[("ca.crt", "test")],
        Some(DESCRIPTION),
    );
    let other = config_map("other", &[("ca.crt", CA)], None);
    let reset = |mut changed: ConfigMap| {
        changed.data = ca_config_map().data;
        changed
    };
    let cases = vec![
        case(
            "create new namespace",
            Event::AddedNamespace(namespace("Active")),
            vec![create()],
        ),
        Case {
            cached: vec![ca_config_map(), other.clone()],
            ..case(
                "delete other configmap",
                Event::DeletedConfigMap(other.clone()),
                vec![],
            )
        },
        Case {
            cached: vec![ca_config_map()],
            ..case(
                "delete ca configmap",
                Event::DeletedConfigMap(ca_config_map()),
                vec![create()],
            )
        },
        Case {
            cached: vec![ca_config_map()],
            ..case(
                "update ca configmap with adding field",
                Event::UpdatedConfigMap(with_field.clone()),
                vec![update(reset(with_field))],
            )
        },
        Case {
            cached: vec![ca_config_map()],
            ..case(
                "update ca configmap with modifying field",
                Event::UpdatedConfigMap(modified.clone()),
                vec![update(reset(modified))],
            )
        },
        Case {
            cached: vec![ca_config_map(), other.clone()],
            ..case(
                "update with other configmap",
                Event::UpdatedConfigMap(other),
                vec![],
            )
        },
        case(
            "update namespace with terminating state",
            Event::UpdatedNamespace(namespace("Terminating")),
            vec![],
        ),
    ];
    for case in cases {
        run_case(case).await;
    }
}

#[tokio::test]
async fn config_map_update_no_hot_loop() {
    let without = config_map(ROOT_CA_CONFIG_MAP_NAME, &[("ca.crt", CA)], None);
    let different = config_map(
        ROOT_CA_CONFIG_MAP_NAME,
        &[("ca.crt", CA)],
        Some("another description"),
    );
    let mut with_label = without.clone();
    with_label.metadata.labels = Some(BTreeMap::from([("team".into(), "a".into())]));
    let cases = vec![
        Case {
            cached: vec![without.clone()],
            ..case(
                "update-configmap-annotation",
                Event::UpdatedNamespace(namespace("Active")),
                vec![update(ca_config_map())],
            )
        },
        Case {
            cached: vec![ca_config_map()],
            ..case(
                "no-update-configmap-if-annotation-present-and-equal",
                Event::UpdatedNamespace(namespace("Active")),
                vec![],
            )
        },
        Case {
            cached: vec![different.clone()],
            ..case(
                "no-update-configmap-if-annotation-present-and-different",
                Event::UpdatedNamespace(namespace("Active")),
                vec![],
            )
        },
        Case {
            cached: vec![with_label.clone()],
            ..case(
                "§5 other labels and annotations are kept",
                Event::UpdatedNamespace(namespace("Active")),
                vec![update({
                    let mut kept = ca_config_map();
                    kept.metadata.labels = with_label.metadata.labels.clone();
                    kept
                })],
            )
        },
    ];
    for case in cases {
        run_case(case).await;
    }
}

#[tokio::test]
async fn refused_creates() {
    let terminating = ClientError::Forbidden {
        message: "configmaps \"kube-root-ca.crt\" is forbidden: unable to create new content in namespace test-namespace because it is being terminated".into(),
        causes: vec![NAMESPACE_TERMINATING_CAUSE.into()],
    };
    let not_found = ClientError::NotFound {
        message: "namespaces \"test-namespace\" not found".into(),
    };
    let server_error = ClientError::Other {
        message: "etcd is sad".into(),
        causes: vec![],
    };
    let cases = vec![
        Case {
            create_failure: Some((usize::MAX, terminating)),
            ..case(
                "§5 a namespace added while terminating: one refused create, no retry",
                Event::AddedNamespace(namespace("Terminating")),
                vec![create()],
            )
        },
        Case {
            create_failure: Some((usize::MAX, not_found)),
            ..case(
                "§5 a namespace gone: one create, no retry",
                Event::AddedNamespace(namespace("Active")),
                vec![create()],
            )
        },
        Case {
            create_failure: Some((2, server_error)),
            ..case(
                "§5 other create errors are retried rate-limited",
                Event::AddedNamespace(namespace("Active")),
                vec![create(), create(), create()],
            )
        },
    ];
    for case in cases {
        run_case(case).await;
    }
}

/// Upstream reads `--root-ca-file` with `os.ReadFile` and publishes `string(rootCA)`: no
/// line-ending normalization, so a CRLF bundle is published byte for byte, and a stored
/// copy with the same CRLF bytes is left alone.
#[tokio::test]
async fn a_crlf_bundle_is_published_byte_for_byte() {
    const CRLF_CA: &str = "-----BEGIN CERTIFICATE-----\r\nfake\r\n-----END CERTIFICATE-----\r\n";
    let options = || {
        RootCaPublisherOptions::new(CRLF_CA.as_bytes().to_vec())
            .workers(1)
            .rate_limiter(RateLimiterConfig {
                base_delay: Duration::from_micros(100),
                max_delay: Duration::from_millis(1),
                qps: 1e6,
                burst: 1_000_000,
            })
    };
    let drain = |publisher: RootCaPublisher<FakeApi>| async move {
        let work = async {
            while !publisher.queue().is_idle() {
                publisher.process_next().await;
            }
        };
        tokio::time::timeout(Duration::from_secs(5), work)
            .await
            .expect("queue drained");
    };

    let api = FakeApi::new();
    let publisher = RootCaPublisher::new(
        api.clone(),
        options(),
        Writer::<ConfigMap>::default().as_reader(),
    );
    publisher.namespace_added(&namespace("Active"));
    drain(publisher).await;
    let published = match api.actions().as_slice() {
        [Action::CreateConfigMap { config_map, .. }] => config_map.clone(),
        other => panic!("one create expected: {other:?}"),
    };
    assert_eq!(
        published
            .data
            .unwrap_or_default()
            .get("ca.crt")
            .map(String::as_bytes),
        Some(CRLF_CA.as_bytes())
    );

    let stored = config_map(
        ROOT_CA_CONFIG_MAP_NAME,
        &[("ca.crt", CRLF_CA)],
        Some(DESCRIPTION),
    );
    let api = FakeApi::new().with_config_map(stored.clone());
    let mut config_maps = Writer::default();
    config_maps.apply_watcher_event(&watcher::Event::Apply(stored.clone()));
    let publisher = RootCaPublisher::new(api.clone(), options(), config_maps.as_reader());
    publisher.config_map_changed(&stored);
    drain(publisher).await;
    assert_eq!(api.actions(), vec![], "the same bytes need no update");
}
