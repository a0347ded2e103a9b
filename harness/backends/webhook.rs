//! A fresh in-process cluster per scenario whose ServiceAccount admission is `kube-sa
//! webhook` instead of the built-in plugin: the API server runs with
//! `--disable-admission-plugins=ServiceAccount`, the webhook server runs beside it on
//! loopback, and the MutatingWebhookConfiguration the kind backend uses registers it
//! (`clientConfig.url` with a `caBundle`). Every pod a scenario creates goes through the
//! API server's webhook client, over TLS, to the webhook and back.
//!
//! The one difference a client sees is upstream's: a denial by a webhook reads
//! `admission webhook "NAME" denied the request: <the plugin's message>`. Scenarios are
//! written with the plugin's messages, so [`DENIAL_PREFIX`] is taken off before messages
//! are compared; codes, reasons and details are compared as they arrive.

use std::sync::Arc;

use kube_sa::admission::client_lookup::ClientAccountLookup;
use kube_sa::admission::webhook_server::{serve, tls_config, WebhookState};
use kube_sa::apiserver::components::ServiceAccountOptions;
use kube_sa::apiserver::ApiServer;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::{config_from_kubeconfig_yaml, ScenarioCluster, ScenarioOptions};
use crate::failure::Failure;

/// What the API server puts before a denial of the webhook registered by
/// `ci/kind/webhook.yaml`.
pub const DENIAL_PREFIX: &str =
    "admission webhook \"serviceaccount.kube-sa.io\" denied the request: ";

/// Stops the webhook server when the scenario's cluster goes.
struct WebhookTask(tokio::task::JoinHandle<()>);

impl Drop for WebhookTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

pub async fn start(options: ScenarioOptions) -> Result<ScenarioCluster, Failure> {
    // The webhook answers in the scenario's mode, like `kube-sa webhook --mode`; the API
    // server runs in it too (its other components, and its registry warnings).
    let admission = kube_sa::admission::serviceaccount::Config {
        mode: options.mode,
        ..options.admission.unwrap_or_default()
    };
    let server = ApiServer::builder()
        .fake_clock(std::sync::Arc::new(kube_sa::clock::FakeClock::new(
            jiff::Timestamp::now(),
        )))
        .service_accounts(ServiceAccountOptions {
            controllers: !options.without_controllers,
            mode: options.mode,
            ..ServiceAccountOptions::default()
        })
        .disable_admission_plugins(["ServiceAccount"])
        // No token cache, as on the embedded backend: a revoked token is refused at once.
        .token_cache_ttl(std::time::Duration::ZERO)
        // As on the embedded backend: off until a step adds rules.
        .fault_injection(true)
        .start()
        .await
        .map_err(|e| Failure::new(format!("starting the embedded cluster: {e}")))?;
    let config = config_from_kubeconfig_yaml(server.kubeconfig_yaml()).await?;
    let client = kube::Client::try_from(config.clone())
        .map_err(|e| Failure::new(format!("building a client: {e}")))?;

    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()])
        .map_err(|e| Failure::new(format!("webhook certificate: {e}")))?;
    let tls = tls_config(
        vec![CertificateDer::from(certified.cert.der().to_vec())],
        PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into()),
    )
    .map_err(|e| Failure::new(format!("webhook TLS: {e}")))?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| Failure::new(format!("binding the webhook: {e}")))?;
    let address = listener
        .local_addr()
        .map_err(|e| Failure::new(format!("the webhook's address: {e}")))?;
    let state = Arc::new(WebhookState {
        lookup: Arc::new(ClientAccountLookup::start(client.clone(), admission.mode)),
        names: Arc::new(kube_sa::names::RandomNames),
        config: admission,
    });
    let task = WebhookTask(tokio::spawn(serve(listener, tls, state)));

    let registration = super::kind::webhook_configuration(
        &format!("https://{address}/mutate"),
        &certified.cert.pem(),
    )?;
    let registration: kube::api::DynamicObject = serde_yaml::from_str(&registration)
        .map_err(|e| Failure::new(format!("webhook.yaml: {e}")))?;
    let resource = kube::core::ApiResource::erase::<
        k8s_openapi::api::admissionregistration::v1::MutatingWebhookConfiguration,
    >(&());
    kube::Api::<kube::api::DynamicObject>::all_with(client.clone(), &resource)
        .create(&Default::default(), &registration)
        .await
        .map_err(|e| Failure::new(format!("registering the webhook: {e}")))?;

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
        denial_prefix: Some(DENIAL_PREFIX),
        _keep_alive: Some(Box::new(task)),
    })
}
