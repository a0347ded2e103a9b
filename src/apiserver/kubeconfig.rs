//! The admin kubeconfig that `kube-sa serve` writes and `ApiServerHandle` returns.

use base64::Engine;
use std::io::Write;
use std::path::Path;

/// Renders a kubeconfig with one cluster, one user (a bearer token) and one context.
pub fn render(server_url: &str, ca_pem: &str, token: &str) -> String {
    let ca_data = base64::engine::general_purpose::STANDARD.encode(ca_pem);
    format!(
        "apiVersion: v1\n\
kind: Config\n\
clusters:\n\
- name: kube-sa\n  cluster:\n    server: {server_url}\n    certificate-authority-data: {ca_data}\n\
users:\n\
- name: kube-sa-admin\n  user:\n    token: {token}\n\
contexts:\n\
- name: kube-sa\n  context:\n    cluster: kube-sa\n    user: kube-sa-admin\n    namespace: default\n\
current-context: kube-sa\n\
preferences: {{}}\n"
    )
}

/// Writes `contents` to `path` atomically (a sibling temporary file, then rename) with mode 0600.
pub fn write_atomically(path: &Path, contents: &str) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "kubeconfig".into());
    let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let result = (|| {
        let mut file = options.open(&tmp)?;
        file.write_all(contents.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubeconfig_parses_with_kube_and_carries_the_token() {
        let text = render(
            "https://127.0.0.1:6443",
            "-----BEGIN CERTIFICATE-----\n",
            "t0ken",
        );
        let config: kube::config::Kubeconfig =
            serde_yaml::from_str(&text).expect("valid kubeconfig");
        assert_eq!(config.current_context.as_deref(), Some("kube-sa"));
        let cluster = config.clusters[0].cluster.as_ref().expect("cluster");
        assert_eq!(cluster.server.as_deref(), Some("https://127.0.0.1:6443"));
        assert!(text.contains("token: t0ken"));
    }

    #[cfg(unix)]
    #[test]
    fn written_file_is_private_and_complete() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("kubeconfig");
        write_atomically(&path, "hello").expect("write");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "hello");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(
            std::fs::read_dir(dir.path()).expect("dir").count(),
            1,
            "no temporary file left"
        );
    }
}
