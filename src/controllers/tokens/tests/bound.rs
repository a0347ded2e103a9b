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

/// The token the controller writes into a user-created Secret, signed by the generator
/// each mode's components build: v1.8's header without `kid` in legacy mode, 1.33's with
/// the key's `kid` and no `typ` in bound mode (spec-modern §2.1, last bullet).
#[tokio::test]
async fn the_filled_in_token_carries_the_modes_header() {
    use base64::Engine as _;
    let key = Arc::new(crate::serviceaccount::SigningKey::generate_ecdsa_p256().expect("key"));
    let kid = key.public_key().key_id().to_string();
    let cases = [
        (Mode::Legacy, r#"{"alg":"ES256","typ":"JWT"}"#.to_string()),
        (Mode::Bound, format!(r#"{{"alg":"ES256","kid":"{kid}"}}"#)),
    ];
    for (mode, expected_header) in cases {
        let generator = Arc::new(TokenGenerator::legacy_for_mode(mode, key.clone()));
        let secret = token_secret_without(TOKEN_DATA_KEY);
        let api = FakeApi::new().with_secret(secret.clone());
        let mut accounts = Writer::default();
        accounts.apply_watcher_event(&watcher::Event::Apply(service_account(&[])));
        let mut secrets = Writer::default();
        secrets.apply_watcher_event(&watcher::Event::Apply(secret.clone()));
        let controller = TokensController::new(
            api.clone(),
            TokensControllerOptions::new(generator).mode(mode),
            accounts.as_reader(),
            secrets.as_reader(),
        );
        controller.secret_changed(&secret);
        assert!(controller.process_next_secret().await);
        let stored = api.secret(NS, "token-secret-1").expect("kept");
        let token = String::from_utf8(data_of(&stored, TOKEN_DATA_KEY).to_vec()).expect("utf-8");
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3, "{mode}: compact JWS");
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(parts[0])
            .expect("base64url");
        assert_eq!(
            String::from_utf8(header).expect("utf-8"),
            expected_header,
            "{mode}"
        );
        let payload: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(parts[1])
                .expect("base64url"),
        )
        .expect("json");
        assert_eq!(payload["iss"], "kubernetes/serviceaccount", "{mode}");
        assert_eq!(
            payload["kubernetes.io/serviceaccount/secret.name"], "token-secret-1",
            "{mode}"
        );
    }
}
