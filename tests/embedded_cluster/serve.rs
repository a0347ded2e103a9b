//! `kube-sa serve` as a process: the fixed command-line interface of DESIGN.md.

use std::os::unix::fs::PermissionsExt;

use crate::support::{send_signal, ServeProcess};

#[test]
fn serve_writes_a_private_kubeconfig_and_stops_on_sigterm() {
    let server = ServeProcess::start(&[]);
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );
    assert!(!server.url.ends_with(":0"), "port 0 picks a real port");
    let mode = std::fs::metadata(&server.kubeconfig)
        .expect("kubeconfig written")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&server.kubeconfig).expect("read");
    let config: kube::config::Kubeconfig = serde_yaml::from_str(&text).expect("valid kubeconfig");
    let cluster = config.clusters[0].cluster.as_ref().expect("cluster");
    assert_eq!(cluster.server.as_deref(), Some(server.url.as_str()));
    assert!(cluster.certificate_authority_data.is_some());
    assert!(config.auth_infos[0]
        .auth_info
        .as_ref()
        .and_then(|a| a.token.as_ref())
        .is_some());
    let status = server.terminate();
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");
}

#[test]
fn serve_stops_on_sigint() {
    let server = ServeProcess::start(&[]);
    send_signal(server.pid(), "INT");
    let status = server.terminate_after_signal();
    assert!(status.success(), "clean exit on SIGINT: {status:?}");
}

#[test]
fn controller_manager_runs_the_controllers_against_a_served_cluster() {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    let keys = tempfile::tempdir().expect("dir");
    let key_file = keys.path().join("sa.key");
    let key = kube_sa::serviceaccount::SigningKey::generate_rsa(2048).expect("key");
    std::fs::write(&key_file, key.to_pkcs8_pem().expect("pem")).expect("write key");
    let key_arg = key_file.to_string_lossy().into_owned();
    // The API server verifies with the key the separate controller-manager signs with.
    let server = ServeProcess::start(&[
        "--controllers=false",
        "--service-account-key-file",
        &key_arg,
    ]);
    let mut manager = Command::new(env!("CARGO_BIN_EXE_kube-sa"))
        .args(["controller-manager", "--kubeconfig"])
        .arg(&server.kubeconfig)
        .args(["--service-account-private-key-file", &key_arg])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("controller-manager starts");

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let outcome = runtime.block_on(async {
        let kubeconfig =
            kube::config::Kubeconfig::read_from(&server.kubeconfig).expect("kubeconfig");
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
            .await
            .expect("config");
        let client = kube::Client::try_from(config).expect("client");
        let accounts: kube::Api<k8s_openapi::api::core::v1::ServiceAccount> =
            kube::Api::namespaced(client.clone(), "default");
        let deadline = Instant::now() + Duration::from_secs(30);
        let token_name = loop {
            let referenced = accounts
                .get_opt("default")
                .await
                .ok()
                .flatten()
                .and_then(|sa| sa.secrets)
                .and_then(|refs| refs.into_iter().next())
                .and_then(|r| r.name);
            if let Some(name) = referenced {
                break name;
            }
            assert!(
                Instant::now() < deadline,
                "controller-manager never created `default` and its token"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let secrets: kube::Api<k8s_openapi::api::core::v1::Secret> =
            kube::Api::namespaced(client, "default");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let secret = secrets.get(&token_name).await.expect("token secret");
            if let Some(token) = secret.data.and_then(|d| d.get("token").cloned()) {
                return String::from_utf8(token.0).expect("utf8");
            }
            assert!(Instant::now() < deadline, "token secret never filled");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let header = outcome.split('.').next().expect("jwt");
    use base64::Engine;
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .expect("b64");
    assert_eq!(
        String::from_utf8(header).expect("utf8"),
        r#"{"alg":"RS256","typ":"JWT"}"#
    );

    // The token the separate controller-manager minted authenticates on the served cluster.
    let yaml = std::fs::read_to_string(&server.kubeconfig).expect("kubeconfig");
    let mut config: serde_json::Value = serde_yaml::from_str(&yaml).expect("yaml");
    config["users"][0]["user"] = serde_json::json!({"token": outcome});
    let token_kc = keys.path().join("token-kubeconfig");
    std::fs::write(&token_kc, serde_yaml::to_string(&config).expect("yaml")).expect("write");
    let bin = crate::support::kubectl_binaries().remove(0);
    let who = crate::support::kubectl(
        &bin,
        &token_kc,
        &[
            "auth",
            "whoami",
            "-o",
            "jsonpath={.status.userInfo.username}",
        ],
        None,
    );
    assert!(who.success, "{}", who.stderr);
    assert_eq!(who.stdout.trim(), "system:serviceaccount:default:default");

    send_signal(manager.id(), "TERM");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = manager.try_wait().expect("wait") {
            assert!(
                status.success(),
                "controller-manager exits cleanly on SIGTERM: {status:?}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "controller-manager did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
