//! Token verification in the authenticator, RS256 (2048-bit key), one core.
//! Target: >= 20,000 tokens/s with `--service-account-lookup=false`.
//! Also printed: with lookup on, against an in-memory getter and against the embedded
//! API server's store getter (what the cluster itself does on every request).
//! Rates are per CPU-second of the verifying thread.
//!
//! `cargo bench --bench token_verify`

mod common;

use common::{median, report, single_core_rate, spread, Target};
use futures::future::BoxFuture;
use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::ByteString;
use kube_sa::apiserver::components::StoreTokenGetter;
use kube_sa::apiserver::kinds::{NAMESPACES, SECRETS, SERVICE_ACCOUNTS};
use kube_sa::apiserver::store::Store;
use kube_sa::serviceaccount::{
    GetterError, LegacyTokenAuthenticator, ServiceAccountTokenGetter, SigningKey, TokenGenerator,
};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

const NAMESPACE: &str = "bench";
const ACCOUNT: &str = "default";
const ACCOUNT_UID: &str = "6d1e2f47-5b8a-4c1e-9f3a-2b7c8d9e0f11";
const TOKENS: usize = 256;

/// Secrets and the one account, in maps.
struct InMemoryGetter {
    account: ServiceAccount,
    secrets: HashMap<String, Secret>,
}

impl ServiceAccountTokenGetter for InMemoryGetter {
    fn get_service_account<'a>(
        &'a self,
        _: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<ServiceAccount, GetterError>> {
        let found = (name == ACCOUNT)
            .then(|| self.account.clone())
            .ok_or_else(|| GetterError::not_found("serviceaccounts", name));
        Box::pin(async move { found })
    }

    fn get_secret<'a>(
        &'a self,
        _: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Secret, GetterError>> {
        let found = self
            .secrets
            .get(name)
            .cloned()
            .ok_or_else(|| GetterError::not_found("secrets", name));
        Box::pin(async move { found })
    }
}

fn secret_name(i: usize) -> String {
    format!("default-token-{i:05}")
}

fn token_secret(i: usize, token: &str) -> Secret {
    Secret {
        metadata: ObjectMeta {
            name: Some(secret_name(i)),
            namespace: Some(NAMESPACE.into()),
            annotations: Some(
                [
                    (
                        "kubernetes.io/service-account.name".to_string(),
                        ACCOUNT.to_string(),
                    ),
                    (
                        "kubernetes.io/service-account.uid".to_string(),
                        ACCOUNT_UID.to_string(),
                    ),
                ]
                .into(),
            ),
            ..Default::default()
        },
        type_: Some("kubernetes.io/service-account-token".into()),
        data: Some(
            [
                ("token".to_string(), ByteString(token.as_bytes().to_vec())),
                (
                    "namespace".to_string(),
                    ByteString(NAMESPACE.as_bytes().to_vec()),
                ),
                ("ca.crt".to_string(), ByteString(vec![b'x'; 600])),
            ]
            .into(),
        ),
        ..Default::default()
    }
}

fn verify_all(authenticator: &LegacyTokenAuthenticator, tokens: &[String]) -> (f64, f64) {
    single_core_rate(Duration::from_secs(2), tokens.len() as u64, || {
        futures::executor::block_on(async {
            for token in tokens {
                let user = authenticator
                    .authenticate_token(token)
                    .await
                    .expect("valid")
                    .expect("ours");
                std::hint::black_box(user);
            }
        })
    })
}

fn main() {
    let rounds = common::rounds(5);
    let key = Arc::new(SigningKey::generate_rsa(2048).expect("RSA key"));
    let generator = TokenGenerator::legacy(key.clone());
    let tokens: Vec<String> = (0..TOKENS)
        .map(|i| {
            generator
                .legacy_token(NAMESPACE, ACCOUNT, ACCOUNT_UID, &secret_name(i))
                .expect("token")
        })
        .collect();
    let account = ServiceAccount {
        metadata: ObjectMeta {
            name: Some(ACCOUNT.into()),
            namespace: Some(NAMESPACE.into()),
            uid: Some(ACCOUNT_UID.into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let in_memory = Arc::new(InMemoryGetter {
        account: account.clone(),
        secrets: tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (secret_name(i), token_secret(i, t)))
            .collect(),
    });
    let store = Arc::new(Store::default());
    store
        .create(
            &NAMESPACES,
            serde_json::json!({"metadata": {"name": NAMESPACE}}),
        )
        .expect("namespace");
    store
        .create(
            &SERVICE_ACCOUNTS,
            serde_json::to_value(&account).expect("json"),
        )
        .expect("account");
    for (i, token) in tokens.iter().enumerate() {
        store
            .create(
                &SECRETS,
                serde_json::to_value(token_secret(i, token)).expect("json"),
            )
            .expect("secret");
    }

    let public = vec![key.public_key().clone()];
    let no_lookup = LegacyTokenAuthenticator::new(public.clone(), false, in_memory.clone());
    let lookup_memory = LegacyTokenAuthenticator::new(public.clone(), true, in_memory);
    let lookup_store =
        LegacyTokenAuthenticator::new(public, true, Arc::new(StoreTokenGetter::new(store)));
    verify_all(&no_lookup, &tokens[..16]); // warm-up

    let mut figures: Vec<(&str, Vec<f64>, Vec<f64>)> = Vec::new();
    for (label, authenticator) in [
        ("lookup=false", &no_lookup),
        ("lookup=true, in-memory getter", &lookup_memory),
        ("lookup=true, store getter", &lookup_store),
    ] {
        let (cpu, wall): (Vec<f64>, Vec<f64>) = (0..rounds)
            .map(|_| verify_all(authenticator, &tokens))
            .unzip();
        println!("RS256 verifications/s, {label} (CPU):  {}", spread(&cpu));
        println!("RS256 verifications/s, {label} (wall): {}", spread(&wall));
        figures.push((label, cpu, wall));
    }
    report(
        "token verification RS256, authenticator, lookup=false, one core",
        median(&figures[0].1),
        "tokens/s",
        Target::AtLeast(20_000.0),
    );
    report(
        "token verification RS256, authenticator, lookup=true (store getter), one core",
        median(&figures[2].1),
        "tokens/s",
        Target::AtLeast(20_000.0),
    );
}
