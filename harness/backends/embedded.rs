//! A fresh in-process cluster per scenario: no interference, no cleanup, milliseconds to start.

use kube_sa::apiserver::components::ServiceAccountOptions;
use kube_sa::apiserver::ApiServer;
use kube_sa::clock::FakeClock;
use std::sync::Arc;

use super::{config_from_kubeconfig_yaml, ScenarioCluster, ScenarioOptions};
use crate::failure::Failure;

pub async fn start(options: ScenarioOptions) -> Result<ScenarioCluster, Failure> {
    let builder = ApiServer::builder()
        .service_accounts(ServiceAccountOptions {
            controllers: !options.without_controllers,
            admission: options.admission.unwrap_or_default(),
            mode: options.mode,
            ..ServiceAccountOptions::default()
        })
        // No token cache, as upstream's integration tests run the API server: a revoked
        // token is refused at once.
        .token_cache_ttl(std::time::Duration::ZERO)
        // Off until a step adds rules ("Given the API server fails 30% of ...").
        .fault_injection(true);
    let server = builder
        // Kubernetes time stands still unless a step moves it ("When 2 days pass").
        .fake_clock(Arc::new(FakeClock::new(jiff::Timestamp::now())))
        .start()
        .await
        .map_err(|e| Failure::new(format!("starting the embedded cluster: {e}")))?;
    let config = config_from_kubeconfig_yaml(server.kubeconfig_yaml()).await?;
    let client = kube::Client::try_from(config.clone())
        .map_err(|e| Failure::new(format!("building a client: {e}")))?;
    let public_keys = server
        .signing_key()
        .map(|key| vec![key.public_key().clone()])
        .unwrap_or_default();
    Ok(ScenarioCluster {
        client,
        config,
        server: Some(server),
        public_keys,
        unique_namespaces: false,
        denial_prefix: None,
        _keep_alive: None,
    })
}
