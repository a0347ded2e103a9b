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

/// Whether the cluster serves TokenRequest (`serviceaccounts/token`), as every cluster of
/// bound mode does and a Kubernetes v1.8 one does not.
async fn serves_token_request(client: &kube::Client) -> Result<bool, Failure> {
    let resources = client
        .list_core_api_resources("v1")
        .await
        .map_err(|e| Failure::new(format!("reading the cluster's discovery of v1: {e}")))?;
    Ok(resources
        .resources
        .iter()
        .any(|r| r.name == "serviceaccounts/token"))
}

/// Passes when `default/default` lists a token Secret (one of type
/// `kubernetes.io/service-account-token`), as the token controller of legacy mode makes one
/// for every account.
async fn default_account_lists_a_token_secret(client: &kube::Client) -> Result<(), Failure> {
    use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
    let accounts: kube::Api<ServiceAccount> = kube::Api::namespaced(client.clone(), "default");
    let secrets: kube::Api<Secret> = kube::Api::namespaced(client.clone(), "default");
    let account = accounts
        .get_opt("default")
        .await
        .map_err(|e| Failure::new(format!("reading default/default: {e}")))?;
    for reference in account.and_then(|a| a.secrets).unwrap_or_default() {
        let Some(name) = reference.name else { continue };
        if let Ok(Some(secret)) = secrets.get_opt(&name).await {
            if secret.type_.as_deref() == Some(kube_sa::serviceaccount::SERVICE_ACCOUNT_TOKEN_TYPE)
            {
                return Ok(());
            }
        }
    }
    Err(Failure::new("default/default lists no token Secret"))
}

/// Refuses a cluster whose behaviour says it runs in the other mode than `--mode`, before
/// every scenario fails for that one reason.
async fn check_mode(client: &kube::Client, mode: kube_sa::Mode) -> Result<(), Failure> {
    let token_request = serves_token_request(client).await?;
    match mode {
        kube_sa::Mode::Bound if !token_request => Err(Failure::new(
            "--mode bound, but the cluster does not serve serviceaccounts/token (TokenRequest), \
             which every bound-mode cluster does: for a legacy cluster (`kube-sa serve`, \
             Kubernetes v1.8) run with --mode legacy",
        )),
        kube_sa::Mode::Legacy
            if token_request
                && crate::timing::assert_timed(
                    crate::timing::Timing::Within(crate::timing::default_deadline()),
                    "default/default to list a token Secret",
                    || default_account_lists_a_token_secret(client),
                )
                .await
                .is_err() =>
        {
            Err(Failure::new(
                "--mode legacy, but the cluster serves serviceaccounts/token (TokenRequest) and \
                 its default/default service account lists no token Secret, as a bound-mode \
                 cluster (`kube-sa serve --mode=bound`, Kubernetes 1.24 and later) has it: run \
                 with --mode bound",
            ))
        }
        _ => Ok(()),
    }
}

/// Connects to the cluster, which runs in `mode` (`--mode`; checked against what the
/// cluster serves).
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
    check_mode(&client, mode)
        .await
        .map_err(|e| e.context(format!("kubeconfig {}", path.display())))?;
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
