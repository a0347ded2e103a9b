//! Encryption at rest (`kube-sa serve --data-dir DIR --encryption-provider-config FILE`):
//! Secrets are sealed in the data directory's database, read back after a restart, survive
//! key rotation by `kubectl get -o json | kubectl replace -f -`, and fail with upstream's
//! 500 when no configured key opens them.

use base64::Engine;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use k8s_openapi::ByteString;
use kube::api::{Api, PostParams};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use kube_sa::apiserver::encryption::{Encryption, EncryptionConfigError};
use kube_sa::apiserver::{ApiServer, StartError};

use crate::support::{kubectl, kubectl_binaries, Output};

/// Real kubectl against the in-process server, off the runtime's threads (it blocks).
async fn run_kubectl(kubeconfig: &Path, args: &[&str], stdin: Option<String>) -> Output {
    let binary = kubectl_binaries()[0].clone();
    let kubeconfig = kubeconfig.to_path_buf();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        kubectl(&binary, &kubeconfig, &args, stdin.as_deref())
    })
    .await
    .expect("kubectl ran")
}

/// 32 bytes each, base64.
const KEY1: &str = "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=";
const KEY2: &str = "YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXphYmNkZWY=";
/// 24 bytes (AES-192).
const KEY3: &str = "dHdlbnR5LWZvdXIgYnl0ZSBhZXMga2V5";
const PASSWORD: &str = "correct-horse-battery-staple";
const CONFIG_VALUE: &str = "plain-config-value-4711";

fn aesgcm(keys: &[(&str, &str)]) -> String {
    let keys: Vec<String> = keys
        .iter()
        .map(|(name, secret)| format!("{{name: {name}, secret: {secret}}}"))
        .collect();
    format!("- aesgcm: {{keys: [{}]}}\n", keys.join(", "))
}

fn secretbox(name: &str, secret: &str) -> String {
    format!("- secretbox: {{keys: [{{name: {name}, secret: {secret}}}]}}\n")
}

const IDENTITY: &str = "- identity: {}\n";

/// Secrets with `providers` (YAML list items, in order).
fn encryption(providers: &[&str]) -> Arc<Encryption> {
    let yaml = format!(
        "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n{}",
        providers
            .iter()
            .flat_map(|p| p.lines())
            .map(|line| format!("  {line}\n"))
            .collect::<String>()
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("encryption.yaml");
    std::fs::write(&path, yaml).expect("write config");
    Arc::new(Encryption::load(&path).expect("valid configuration"))
}

async fn start(dir: &Path, encryption: Arc<Encryption>) -> ApiServer {
    ApiServer::builder()
        .data_dir(dir)
        .encryption(encryption)
        .start()
        .await
        .expect("start")
}

fn secret(name: &str) -> Secret {
    Secret {
        metadata: kube::api::ObjectMeta {
            name: Some(name.into()),
            ..Default::default()
        },
        data: Some(BTreeMap::from([(
            "password".to_string(),
            ByteString(PASSWORD.as_bytes().to_vec()),
        )])),
        ..Default::default()
    }
}

fn config_map(name: &str) -> ConfigMap {
    ConfigMap {
        metadata: kube::api::ObjectMeta {
            name: Some(name.into()),
            ..Default::default()
        },
        data: Some(BTreeMap::from([(
            "value".to_string(),
            CONFIG_VALUE.to_string(),
        )])),
        ..Default::default()
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The database file's bytes (read once the server is shut down).
fn database(dir: &Path) -> Vec<u8> {
    std::fs::read(dir.join("store.redb")).expect("read store.redb")
}

fn password_of(secret: &Secret) -> Vec<u8> {
    secret
        .data
        .as_ref()
        .and_then(|d| d.get("password"))
        .map(|v| v.0.clone())
        .unwrap_or_default()
}

#[tokio::test]
async fn aesgcm_seals_secrets_on_disk_rotates_keys_and_fails_without_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = start(
        dir.path(),
        encryption(&[&aesgcm(&[("key1", KEY1)]), IDENTITY]),
    )
    .await;
    let client = first.client().await.expect("client");
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "default");
    let created = secrets
        .create(&PostParams::default(), &secret("db-credentials"))
        .await
        .expect("create secret");
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    maps.create(&PostParams::default(), &config_map("settings"))
        .await
        .expect("create config map");
    first.shutdown().await;

    let bytes = database(dir.path());
    let encoded = base64::engine::general_purpose::STANDARD.encode(PASSWORD);
    assert!(!contains(&bytes, PASSWORD.as_bytes()), "password in clear");
    assert!(
        !contains(&bytes, encoded.as_bytes()),
        "password's base64 in clear"
    );
    assert!(
        !contains(
            &bytes,
            created.metadata.uid.as_deref().expect("uid").as_bytes()
        ),
        "the secret's metadata is sealed with its data"
    );
    assert!(contains(&bytes, b"k8s:enc:aesgcm:v1:key1:"));
    assert!(
        contains(&bytes, CONFIG_VALUE.as_bytes()),
        "config maps are not in the configuration and stay plain"
    );

    // Rotation, step 1: the new key first, the old one still there to read.
    let second = start(
        dir.path(),
        encryption(&[&aesgcm(&[("key2", KEY2), ("key1", KEY1)]), IDENTITY]),
    )
    .await;
    let client = second.client().await.expect("client");
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "default");
    let read = secrets.get("db-credentials").await.expect("read with key1");
    assert_eq!(password_of(&read), PASSWORD.as_bytes());
    assert_eq!(
        read.metadata.resource_version,
        created.metadata.resource_version
    );
    // Step 2, as upstream documents it: every Secret written again, unchanged.
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, second.kubeconfig_yaml()).expect("kubeconfig");
    let listed = run_kubectl(&kubeconfig, &["get", "secrets", "-A", "-o", "json"], None).await;
    assert!(listed.success, "{}", listed.stderr);
    let replaced = run_kubectl(&kubeconfig, &["replace", "-f", "-"], Some(listed.stdout)).await;
    assert!(replaced.success, "{}", replaced.stderr);
    let rewritten = secrets.get("db-credentials").await.expect("read");
    assert_ne!(
        rewritten.metadata.resource_version, read.metadata.resource_version,
        "a stale value is rewritten even though nothing changed"
    );
    // Once rewritten with the first key, an unchanged replace is a no-op again.
    let current = run_kubectl(
        &kubeconfig,
        &["get", "secret", "db-credentials", "-o", "json"],
        None,
    )
    .await;
    let again = run_kubectl(&kubeconfig, &["replace", "-f", "-"], Some(current.stdout)).await;
    assert!(again.success, "{}", again.stderr);
    let unchanged = secrets.get("db-credentials").await.expect("read");
    assert_eq!(
        unchanged.metadata.resource_version,
        rewritten.metadata.resource_version
    );
    second.shutdown().await;

    // Step 3: the old key gone; everything was rewritten, so everything reads.
    let third = start(dir.path(), encryption(&[&aesgcm(&[("key2", KEY2)])])).await;
    let client = third.client().await.expect("client");
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "default");
    let read = secrets.get("db-credentials").await.expect("read with key2");
    assert_eq!(password_of(&read), PASSWORD.as_bytes());
    third.shutdown().await;

    // A start without the key: the Secret cannot be read, listed or recreated; the rest
    // of the cluster works.
    let fourth = start(
        dir.path(),
        encryption(&[&aesgcm(&[("key3", KEY3)]), IDENTITY]),
    )
    .await;
    let client = fourth.client().await.expect("client");
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "default");
    let unable = "Internal error occurred: unable to transform key \"/registry/secrets/default/db-credentials\": no matching key was found for the provided AES transformer";
    match secrets.get("db-credentials").await {
        Err(kube::Error::Api(status)) => {
            assert_eq!(
                (status.code, status.reason.as_str()),
                (500, "InternalError")
            );
            assert_eq!(status.message, unable);
        }
        other => panic!("expected 500, got {other:?}"),
    }
    match secrets.list(&Default::default()).await {
        Err(kube::Error::Api(status)) => {
            assert_eq!((status.code, status.message.as_str()), (500, unable))
        }
        other => panic!("expected 500, got {other:?}"),
    }
    match secrets
        .create(&PostParams::default(), &secret("db-credentials"))
        .await
    {
        Err(kube::Error::Api(status)) => assert_eq!(status.code, 409),
        other => panic!("expected 409 AlreadyExists, got {other:?}"),
    }
    // Every Secret written so far is under key1 or key2; a new one is under key3.
    secrets
        .create(&PostParams::default(), &secret("fresh"))
        .await
        .expect("create another secret");
    assert_eq!(
        password_of(&secrets.get("fresh").await.expect("read it")),
        PASSWORD.as_bytes()
    );
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    assert!(maps.get("settings").await.is_ok());
    fourth.shutdown().await;

    // Without any configuration, as kube-apiserver without the flag.
    let plain = ApiServer::builder()
        .data_dir(dir.path())
        .start()
        .await
        .expect("start");
    let secrets: Api<Secret> = Api::namespaced(plain.client().await.expect("client"), "default");
    match secrets.get("db-credentials").await {
        Err(kube::Error::Api(status)) => assert_eq!(
            status.message,
            "Internal error occurred: unable to transform key \"/registry/secrets/default/db-credentials\": identity transformer tried to read encrypted data"
        ),
        other => panic!("expected 500, got {other:?}"),
    }
    plain.shutdown().await;
}

#[tokio::test]
async fn secretbox_seals_and_identity_first_decrypts_while_writing_plain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sealing = start(dir.path(), encryption(&[&secretbox("box1", KEY1)])).await;
    let secrets: Api<Secret> = Api::namespaced(sealing.client().await.expect("client"), "default");
    secrets
        .create(&PostParams::default(), &secret("boxed"))
        .await
        .expect("create");
    sealing.shutdown().await;
    let bytes = database(dir.path());
    assert!(contains(&bytes, b"k8s:enc:secretbox:v1:box1:"));
    assert!(!contains(&bytes, PASSWORD.as_bytes()));
    assert!(!contains(
        &bytes,
        base64::engine::general_purpose::STANDARD
            .encode(PASSWORD)
            .as_bytes()
    ));

    // Decrypting: identity first writes new values plain and still reads sealed ones.
    let decrypting = start(
        dir.path(),
        encryption(&[IDENTITY, &secretbox("box1", KEY1)]),
    )
    .await;
    let secrets: Api<Secret> =
        Api::namespaced(decrypting.client().await.expect("client"), "default");
    assert_eq!(
        password_of(&secrets.get("boxed").await.expect("read sealed")),
        PASSWORD.as_bytes()
    );
    let mut plain = secret("plain");
    plain.data = Some(BTreeMap::from([(
        "password".to_string(),
        ByteString(b"stored-in-the-clear".to_vec()),
    )]));
    secrets
        .create(&PostParams::default(), &plain)
        .await
        .expect("create plain");
    decrypting.shutdown().await;
    let bytes = database(dir.path());
    let clear = base64::engine::general_purpose::STANDARD.encode("stored-in-the-clear");
    assert!(contains(&bytes, clear.as_bytes()), "identity writes plain");

    // A wrong secretbox key of the right name: upstream's text for a box that does not open.
    let wrong = start(
        dir.path(),
        encryption(&[&secretbox("box1", KEY2), IDENTITY]),
    )
    .await;
    let secrets: Api<Secret> = Api::namespaced(wrong.client().await.expect("client"), "default");
    match secrets.get("boxed").await {
        Err(kube::Error::Api(status)) => assert_eq!(
            status.message,
            "Internal error occurred: unable to transform key \"/registry/secrets/default/boxed\": output array was not large enough for encryption"
        ),
        other => panic!("expected 500, got {other:?}"),
    }
    assert!(
        secrets.get("plain").await.is_ok(),
        "plain values read by identity"
    );
    wrong.shutdown().await;
}

#[tokio::test]
async fn encryption_without_a_data_dir_is_refused() {
    let refused = ApiServer::builder()
        .encryption(encryption(&[&aesgcm(&[("key1", KEY1)])]))
        .start()
        .await;
    assert!(matches!(
        refused.err(),
        Some(StartError::EncryptionWithoutDataDir)
    ));
}

#[test]
fn an_invalid_configuration_file_is_refused_with_upstreams_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.yaml");
    std::fs::write(
        &path,
        "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - aesgcm: {keys: [{name: k, secret: c2hvcnQ=}]}\n",
    )
    .expect("write");
    assert_eq!(
        Encryption::load(&path).err(),
        Some(EncryptionConfigError::Parse(
            "resources[0].providers[0].aesgcm.keys[0].secret: Invalid value: \"REDACTED\": secret is not of the expected length, got 5, expected one of [16 24 32]".into()
        ))
    );
}
