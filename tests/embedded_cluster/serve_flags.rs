//! `kube-sa serve`'s service-account flags in bound mode, as kube-apiserver 1.33 takes them:
//! Go durations (negative ones too) refused with upstream's texts, the key files required
//! with a signing key file and the only keys tokens verify with, and the start-up warnings
//! of a token cap below the extension.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kube_sa::apiserver::components::ServiceAccountOptions;
use kube_sa::apiserver::ApiServer;
use kube_sa::serviceaccount::SigningKey;
use kube_sa::Mode;
use serde_json::{json, Value};

/// Runs `kube-sa serve ARGS`, which must exit with an error within 20 s; its stderr.
fn refused(args: &[&str]) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kube-sa"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kube-sa serve starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("kube-sa serve {args:?} was not refused within 20 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("reads stderr");
    assert!(!status.success(), "{args:?} started: {stderr}");
    stderr
}

fn write_key(dir: &Path, name: &str, key: &SigningKey) -> String {
    let path = dir.join(name);
    std::fs::write(&path, key.to_pkcs8_pem().expect("pem")).expect("write key");
    path.to_string_lossy().into_owned()
}

#[test]
fn serve_refuses_what_kube_apiserver_refuses() {
    let dir = tempfile::tempdir().expect("dir");
    let signing = write_key(
        dir.path(),
        "signing.key",
        &SigningKey::generate_ecdsa_p256().expect("key"),
    );
    let cases: [(&[&str], &str); 5] = [
        (
            &["--mode=bound", "--service-account-signing-key-file", &signing],
            "Error: service-account-key-file is a required flag",
        ),
        (
            &["--mode=bound", "--service-account-max-token-expiration=-1h"],
            "Error: the service-account-max-token-expiration must be between 1 hour and 2^32 seconds",
        ),
        (
            &["--mode=bound", "--service-account-max-token-expiration=59m"],
            "Error: the service-account-max-token-expiration must be between 1 hour and 2^32 seconds",
        ),
        (
            &["--legacy-service-account-token-clean-up-period=-1h"],
            "Error: invalid CleanUpPeriod: -1h0m0s",
        ),
        (
            &["--service-account-max-token-expiration=5d"],
            r#"time: unknown unit "d" in duration "5d""#,
        ),
    ];
    for (args, want) in cases {
        let stderr = refused(args);
        assert!(stderr.contains(want), "{args:?}: {stderr}");
    }
}

#[test]
fn serve_refuses_an_invalid_encryption_configuration_or_one_without_a_data_dir() {
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("encryption.yaml");
    std::fs::write(
        &config,
        "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - aesgcm: {keys: [{name: k, secret: c2hvcnQ=}]}\n",
    )
    .expect("write config");
    let config = config.to_string_lossy().into_owned();
    let data = dir.path().join("data").to_string_lossy().into_owned();
    let invalid = refused(&["--data-dir", &data, "--encryption-provider-config", &config]);
    assert!(
        invalid.contains("Error: error while parsing file: resources[0].providers[0].aesgcm.keys[0].secret: Invalid value: \"REDACTED\": secret is not of the expected length, got 5, expected one of [16 24 32]"),
        "{invalid}"
    );
    let alone = refused(&["--encryption-provider-config", &config]);
    assert!(alone.contains("--data-dir <DIR>"), "{alone}");
}

#[test]
fn serve_warns_of_a_token_cap_below_the_extension() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kube-sa"))
        .args(["serve", "--listen", "127.0.0.1:0", "--mode=bound"])
        .arg("--service-account-max-token-expiration=1h")
        .env("RUST_LOG", "warn")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kube-sa serve starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("reads the serving line");
    let _ = child.kill();
    let _ = child.wait();
    assert!(line.starts_with("serving https://"), "{line:?}");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("reads stderr");
    for warning in [
        "service-account-extend-token-expiration is true, in order to correctly trigger safe transition logic, service-account-max-token-expiration must be set longer than 3607 seconds (currently 1h0m0s)",
        "service-account-extend-token-expiration is true, enabling tokens valid up to 31536000 seconds, which is longer than service-account-max-token-expiration set to 1h0m0s seconds",
    ] {
        assert!(stderr.contains(warning), "missing {warning:?} in {stderr}");
    }
}

/// Requests a token for `default/default` and reviews it: the review's status.
async fn review_of_a_requested_token(server: &ApiServer) -> Value {
    let client = server.client().await.expect("client");
    let post = |path: &str, body: Value| {
        http::Request::post(path)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&body).expect("json"))
            .expect("request")
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let token = loop {
        let request = post(
            "/api/v1/namespaces/default/serviceaccounts/default/token",
            json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {}}),
        );
        match client.request::<Value>(request).await {
            Ok(answer) => {
                break answer["status"]["token"]
                    .as_str()
                    .expect("token")
                    .to_string()
            }
            // The service-account controller has not made `default` yet.
            Err(e) => assert!(Instant::now() < deadline, "token request: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let review = post(
        "/apis/authentication.k8s.io/v1/tokenreviews",
        json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": token}}),
    );
    let answer: Value = client.request(review).await.expect("review");
    answer["status"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bound_tokens_verify_with_the_key_files_only() {
    let signing = std::sync::Arc::new(SigningKey::generate_ecdsa_p256().expect("key"));
    let other = SigningKey::generate_ecdsa_p256().expect("key");
    // (key files, whether a token the signing key signed authenticates)
    let cases = [
        (vec![other.public_key().clone()], false),
        (
            vec![other.public_key().clone(), signing.public_key().clone()],
            true,
        ),
    ];
    for (verification_keys, accepted) in cases {
        let mut options = ServiceAccountOptions {
            mode: Mode::Bound,
            verification_keys,
            ..Default::default()
        };
        options.issuer.signing_key = Some(signing.clone());
        let server = ApiServer::builder()
            .service_accounts(options)
            .token_cache_ttl(Duration::ZERO)
            .start()
            .await
            .expect("server starts");
        let status = review_of_a_requested_token(&server).await;
        if accepted {
            assert_eq!(status["authenticated"], true, "{status}");
        } else {
            assert_eq!(
                status["error"], "[invalid bearer token, invalid signature, no keys found]",
                "{status}"
            );
        }
        server.shutdown().await;
    }

    // A signing key file without key files: refused at start, as kube-apiserver does.
    let mut options = ServiceAccountOptions {
        mode: Mode::Bound,
        ..Default::default()
    };
    options.issuer.signing_key = Some(signing.clone());
    let refused = ApiServer::builder().service_accounts(options).start().await;
    let error = refused.err().expect("refused").to_string();
    assert!(
        error.contains("service-account-key-file is a required flag"),
        "{error}"
    );
}
