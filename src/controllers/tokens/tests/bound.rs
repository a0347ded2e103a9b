//! Bound mode (modern spec §10.2): the rows of upstream's 1.26+ `TestTokenCreation`. No
//! token Secret is generated and `secrets` is never added to; user-created token Secrets
//! are still filled in, references to deleted ones removed, and an account's tokens
//! deleted with it.

use super::*;

fn bound(case: Case) -> Case {
    Case {
        mode: Mode::Bound,
        ..case
    }
}

#[tokio::test]
async fn service_account_events_generate_nothing() {
    let local_secret = created_token_secret("default-token-p7w9c");
    let mut cases = vec![];
    for (event_name, event) in [
        ("new", Event::AddedAccount as fn(ServiceAccount) -> Event),
        ("updated", Event::UpdatedAccount),
    ] {
        let name = |what: &str| -> &'static str { format!("{event_name} {what}").leak() };
        cases.extend([
            Case {
                name: name("serviceaccount with no secrets"),
                api: vec![Object::Account(service_account(&[]))],
                event: event(service_account(&[])),
                expected: vec![],
                ..Case::default()
            },
            Case {
                name: name("serviceaccount with missing secrets"),
                api: vec![Object::Account(service_account(&["missing-secret-1"]))],
                event: event(service_account(&["missing-secret-1"])),
                expected: vec![],
                ..Case::default()
            },
            Case {
                name: name("serviceaccount with missing secrets and a local secret in the cache"),
                api: vec![Object::Account(service_account(&["missing-secret-1"]))],
                cached_secrets: vec![local_secret.clone()],
                event: event(service_account(&["missing-secret-1"])),
                expected: vec![],
                ..Case::default()
            },
            Case {
                name: name("serviceaccount with non-token secrets"),
                api: vec![
                    Object::Account(service_account(&["regular-secret-1"])),
                    Object::Secret(opaque_secret()),
                ],
                event: event(service_account(&["regular-secret-1"])),
                expected: vec![],
                ..Case::default()
            },
            Case {
                name: name("serviceaccount with token secrets"),
                api: vec![
                    Object::Account(service_account(&["token-secret-1"])),
                    Object::Secret(token_secret()),
                ],
                cached_secrets: vec![token_secret()],
                event: event(service_account(&["token-secret-1"])),
                expected: vec![],
                ..Case::default()
            },
        ]);
    }
    cases.extend([
        Case {
            name: "new serviceaccount with no secrets with resource conflict",
            api: vec![Object::Account(updated_service_account(&[]))],
            event: Event::AddedAccount(service_account(&[])),
            expected: vec![],
            ..Case::default()
        },
        Case {
            name: "deleted serviceaccount with no secrets",
            event: Event::DeletedAccount(service_account(&[])),
            expected: vec![],
            ..Case::default()
        },
        Case {
            name: "deleted serviceaccount with secret reference",
            api: vec![Object::Secret(token_secret())],
            cached_secrets: vec![token_secret()],
            event: Event::DeletedAccount(service_account(&["token-secret-1"])),
            expected: vec![delete_secret("token-secret-1", SECRET_UID)],
            ..Case::default()
        },
        Case {
            name: "deleted serviceaccount removes an unreferenced token secret too",
            api: vec![Object::Secret(token_secret())],
            cached_secrets: vec![token_secret()],
            event: Event::DeletedAccount(service_account(&[])),
            expected: vec![delete_secret("token-secret-1", SECRET_UID)],
            ..Case::default()
        },
    ]);
    let cases: Vec<Case> = cases.into_iter().map(bound).collect();
    run_cases(cases).await;
}

#[tokio::test]
async fn secret_events_fill_in_and_clean_up_as_in_legacy_mode() {
    run_cases(secret_event_cases().into_iter().map(bound).collect()).await;
}

#[tokio::test]
async fn a_user_token_secret_is_filled_in_with_both_annotations() {
    let manual = || Secret {
        metadata: ObjectMeta {
            name: Some("manual".into()),
            namespace: Some(NS.into()),
            uid: Some("45678".into()),
            resource_version: Some("7".into()),
            annotations: annotations(&[(SERVICE_ACCOUNT_NAME_ANNOTATION, "default")]),
            ..ObjectMeta::default()
        },
        type_: Some(SERVICE_ACCOUNT_TOKEN_TYPE.into()),
        ..Secret::default()
    };
    let mut filled_in = manual();
    filled_in.metadata.annotations = annotations(&[
        (SERVICE_ACCOUNT_NAME_ANNOTATION, "default"),
        (SERVICE_ACCOUNT_UID_ANNOTATION, SA_UID),
    ]);
    filled_in.data = data(&[("ca.crt", CA), ("namespace", NS), ("token", "ABC")]);
    let case = bound(Case {
        name: "bound: an annotated user secret is filled in",
        api: vec![Object::Secret(manual())],
        cached_accounts: vec![service_account(&[])],
        event: Event::AddedSecret(manual()),
        expected: vec![
            Action::GetSecret {
                namespace: NS.into(),
                name: "manual".into(),
            },
            Action::UpdateSecret {
                namespace: NS.into(),
                secret: filled_in,
            },
        ],
        ..Case::default()
    });
    run_cases(vec![case]).await;
}
