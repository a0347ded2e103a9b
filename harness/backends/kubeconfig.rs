//! Any existing cluster, from `--kubeconfig PATH`, `KUBECONFIG` or `~/.kube/config`.

use std::path::PathBuf;

use super::SharedCluster;
use crate::cli::HarnessCli;
use crate::failure::Failure;

fn kubeconfig_path(cli: &HarnessCli) -> Result<PathBuf, Failure> {
    if let Some(path) = &cli.kubeconfig {
        return Ok(path.clone());
    }
    if let Some(path) = std::env::var_os("KUBECONFIG").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    std::env::var_os("HOME")
        .map(|home| PathBuf::from(home).join(".kube/config"))
        .ok_or_else(|| Failure::new("--cluster kubeconfig needs --kubeconfig PATH or KUBECONFIG"))
}

/// Whether the cluster's clock can be moved: `kube-sa serve --clock=fake` answers
/// `GET /debug/clock`.
async fn serves_debug_clock(client: &kube::Client) -> bool {
    let Ok(request) = http::Request::get("/debug/clock").body(Vec::new()) else {
        return false;
    };
    let probe = client.request::<serde_json::Value>(request);
    matches!(
        tokio::time::timeout(crate::timing::default_deadline(), probe).await,
        Ok(Ok(answer)) if answer.get("now").is_some()
    )
}

/// Connects to the cluster, which runs in `mode` (`--mode`: the runner cannot tell).
pub async fn connect(cli: &HarnessCli, mode: kube_sa::Mode) -> Result<SharedCluster, Failure> {
    let path = kubeconfig_path(cli)?;
    let yaml = std::fs::read_to_string(&path)
        .map_err(|e| Failure::new(format!("reading kubeconfig {}: {e}", path.display())))?;
    let config = super::config_from_kubeconfig_yaml(&yaml)
        .await
        .map_err(|e| e.context(format!("kubeconfig {}", path.display())))?;
    let client = kube::Client::try_from(config.clone())
        .map_err(|e| Failure::new(format!("building a client: {e}")))?;
    client.apiserver_version().await.map_err(|e| {
        Failure::new(format!(
            "cannot reach the cluster of kubeconfig {} ({}): {e}",
            path.display(),
            config.cluster_url
        ))
    })?;
    let public_keys = match &cli.service_account_key_file {
        Some(pem) => kube_sa::serviceaccount::load_public_keys(pem).map_err(|e| {
            Failure::new(format!("--service-account-key-file {}: {e}", pem.display()))
        })?,
        None => Vec::new(),
    };
    let movable_clock = serves_debug_clock(&client).await;
    Ok(SharedCluster {
        mode,
        movable_clock,
        config,
        client,
        public_keys,
        container: None,
        components: Vec::new(),
        denial_prefix: None,
        _keep_alive: None,
    })
}
