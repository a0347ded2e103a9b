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
