//! Table-driven tests of the service-account controller against the recording fake,
//! following upstream's serviceaccounts_controller_test.go (managed: `default`, `managed`).

use std::time::Duration;

use k8s_openapi::api::core::v1::NamespaceStatus;
use kube::runtime::reflector::store::Writer;
use kube::runtime::watcher;

use super::*;
use crate::controllers::fake::{Action, FakeApi};

const NS: &str = "default";

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

fn account(name: &str) -> ServiceAccount {
    ServiceAccount {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some(NS.into()),
            resource_version: Some("1".into()),
            ..ObjectMeta::default()
        },
        ..ServiceAccount::default()
    }
}

/// The exact object the controller posts: name and namespace, nothing else.
fn create(name: &str) -> Action {
    Action::CreateServiceAccount {
        namespace: NS.into(),
        account: ServiceAccount {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some(NS.into()),
                ..ObjectMeta::default()
            },
            ..ServiceAccount::default()
        },
    }
}

#[derive(Clone)]
enum Event {
    AddedNamespace(Namespace),
    UpdatedNamespace(Namespace),
    DeletedAccount(ServiceAccount),
}

#[derive(Clone)]
struct Case {
    name: &'static str,
    existing_namespace: Option<Namespace>,
    existing_accounts: Vec<ServiceAccount>,
    /// The first `n` creates fail with this error.
    create_failure: Option<(usize, ClientError)>,
    event: Event,
    expected: Vec<Action>,
}

fn case(name: &'static str, event: Event, expected: Vec<Action>) -> Case {
    Case {
        name,
        existing_namespace: None,
        existing_accounts: vec![],
        create_failure: None,
        event,
        expected,
    }
}

fn forbidden(causes: &[&str]) -> ClientError {
    ClientError::Forbidden {
        message: "serviceaccounts \"default\" is forbidden".into(),
        causes: causes.iter().map(|c| c.to_string()).collect(),
    }
}

async fn run_case(case: Case) {
    // The API already holds both accounts, as upstream's fake clientset does: creates of
    // accounts missing from the cache meet AlreadyExists, which must be ignored.
    let mut api = FakeApi::new()
        .with_service_account(account("default"))
        .with_service_account(account("managed"));
    if let Some((mut remaining, error)) = case.create_failure.clone() {
        api = api.with_reactor(move |action| {
            let matches = action.verb_and_resource() == ("create", "serviceaccounts");
            (matches && remaining > 0).then(|| {
                remaining -= 1;
                error.clone()
            })
        });
    }
    let mut namespaces = Writer::default();
    let mut accounts = Writer::default();
    if let Some(existing) = &case.existing_namespace {
        namespaces.apply_watcher_event(&watcher::Event::Apply(existing.clone()));
    }
    for existing in &case.existing_accounts {
        accounts.apply_watcher_event(&watcher::Event::Apply(existing.clone()));
    }
    let options = ServiceAccountsControllerOptions::default()
        .service_accounts(["default", "managed"])
        .rate_limiter(RateLimiterConfig {
            base_delay: Duration::from_micros(100),
            max_delay: Duration::from_millis(1),
            qps: 1e6,
            burst: 1_000_000,
        });
    let controller = ServiceAccountsController::new(
        api.clone(),
        options,
        namespaces.as_reader(),
        accounts.as_reader(),
    );
    match &case.event {
        Event::AddedNamespace(added) | Event::UpdatedNamespace(added) => {
            namespaces.apply_watcher_event(&watcher::Event::Apply(added.clone()));
            controller.namespace_changed(added);
        }
        Event::DeletedAccount(deleted) => controller.service_account_deleted(deleted),
    }
    let work = async {
        let mut syncs = 0;
        while !controller.queue().is_idle() {
            controller.process_next().await;
            syncs += 1;
        }
        syncs
    };
    let syncs = tokio::time::timeout(Duration::from_secs(5), work)
        .await
        .unwrap_or_else(|_| panic!("{}: queue drained", case.name));
    assert!(syncs >= 1, "{}: synced", case.name);
    assert_eq!(api.actions(), case.expected, "{}", case.name);
}

#[tokio::test]
async fn upstream_cases() {
    let active = || namespace("Active");
    let terminating = || namespace("Terminating");
    let cases = vec![
        case(
            "new active namespace missing serviceaccounts",
            Event::AddedNamespace(active()),
            vec![create("default"), create("managed")],
        ),
        Case {
            existing_accounts: vec![account("managed")],
            ..case(
                "new active namespace missing serviceaccount",
                Event::AddedNamespace(active()),
                vec![create("default")],
            )
        },
        Case {
            existing_accounts: vec![account("default"), account("managed")],
            ..case(
                "new active namespace with serviceaccounts",
                Event::AddedNamespace(active()),
                vec![],
            )
        },
        case(
            "new terminating namespace",
            Event::AddedNamespace(terminating()),
            vec![],
        ),
        case(
            "updated active namespace missing serviceaccounts",
            Event::UpdatedNamespace(active()),
            vec![create("default"), create("managed")],
        ),
        Case {
            existing_accounts: vec![account("default")],
            ..case(
                "updated active namespace missing serviceaccount",
                Event::UpdatedNamespace(active()),
                vec![create("managed")],
            )
        },
        Case {
            existing_accounts: vec![account("default"), account("managed")],
            ..case(
                "updated active namespace with serviceaccounts",
                Event::UpdatedNamespace(active()),
                vec![],
            )
        },
        case(
            "updated terminating namespace",
            Event::UpdatedNamespace(terminating()),
            vec![],
        ),
        case(
            "deleted serviceaccount without namespace",
            Event::DeletedAccount(account("default")),
            vec![],
        ),
        Case {
            existing_namespace: Some(active()),
            existing_accounts: vec![account("managed")],
            ..case(
                "deleted serviceaccount with active namespace",
                Event::DeletedAccount(account("default")),
                vec![create("default")],
            )
        },
        Case {
            existing_namespace: Some(terminating()),
            ..case(
                "deleted serviceaccount with terminating namespace",
                Event::DeletedAccount(account("default")),
                vec![],
            )
        },
        Case {
            existing_namespace: Some(active()),
            existing_accounts: vec![account("default"), account("managed")],
            ..case(
                "deleted unmanaged serviceaccount with active namespace",
                Event::DeletedAccount(account("other-unmanaged")),
                vec![],
            )
        },
        Case {
            existing_namespace: Some(terminating()),
            ..case(
                "deleted unmanaged serviceaccount with terminating namespace",
                Event::DeletedAccount(account("other-unmanaged")),
                vec![],
            )
        },
    ];
    for case in cases {
        run_case(case).await;
    }
}

#[tokio::test]
async fn create_errors() {
    let active = || namespace("Active");
    let cases = vec![
        Case {
            existing_accounts: vec![account("managed")],
            create_failure: Some((usize::MAX, forbidden(&[NAMESPACE_TERMINATING_CAUSE]))),
            ..case(
                "a NamespaceTerminating cause is ignored, not retried",
                Event::AddedNamespace(active()),
                vec![create("default")],
            )
        },
        Case {
            existing_accounts: vec![account("managed")],
            create_failure: Some((1, forbidden(&[]))),
            ..case(
                "a Forbidden without that cause is retried",
                Event::AddedNamespace(active()),
                vec![create("default"), create("default")],
            )
        },
        Case {
            existing_accounts: vec![account("managed")],
            create_failure: Some((
                12,
                ClientError::Other {
                    message: "etcd is sad".into(),
                    causes: vec![],
                },
            )),
            ..case(
                "other errors are retried with no cap",
                Event::AddedNamespace(active()),
                vec![create("default"); 13],
            )
        },
        Case {
            create_failure: Some((
                1,
                ClientError::Other {
                    message: "etcd is sad".into(),
                    causes: vec![],
                },
            )),
            ..case(
                "one failure re-syncs the whole namespace; the others are created meanwhile",
                Event::AddedNamespace(active()),
                vec![
                    create("default"),
                    create("managed"),
                    create("default"),
                    create("managed"),
                ],
            )
        },
    ];
    for case in cases {
        run_case(case).await;
    }
}

#[tokio::test]
async fn errors_name_every_failed_account() {
    let api = FakeApi::new().with_reactor(|_| {
        Some(ClientError::Other {
            message: "etcd is sad".into(),
            causes: vec![],
        })
    });
    let mut namespaces = Writer::default();
    namespaces.apply_watcher_event(&watcher::Event::Apply(namespace("Active")));
    let controller = ServiceAccountsController::new(
        api,
        ServiceAccountsControllerOptions::default().service_accounts(["a", "b"]),
        namespaces.as_reader(),
        Writer::<ServiceAccount>::default().as_reader(),
    );
    let error = controller.sync_namespace(NS).await.expect_err("both fail");
    assert_eq!(
        error.to_string(),
        "creating service accounts in namespace default: a: etcd is sad; b: etcd is sad"
    );
    assert_eq!(error.failures.len(), 2);
}

#[test]
fn default_options_manage_only_default() {
    let options = ServiceAccountsControllerOptions::default();
    assert_eq!(options.managed_names(), ["default"]);
    assert_eq!(options.workers(0).workers, 1);
}
