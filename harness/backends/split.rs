//! The production topology in containers (`--cluster split`): on a private Docker network,
//! one `kube-sa serve --controllers=false --disable-admission-plugins=ServiceAccount` (the
//! cluster with its own service-account parts switched off), and the two replicas of each
//! Deployment of `deploy/` (`kube-sa controller-manager`, `kube-sa webhook`), installed the
//! way a real cluster is: `kubectl apply -k deploy/` (or `deploy/legacy`), then
//! `deploy/make-secrets.sh`. The harness plays the kubelet and the EndpointSlice controller:
//! it starts each replica with its Deployment's arguments and the files of its pod's volumes
//! (the Secrets, and the token of the Deployment's service account, so the components have
//! the manifests' RBAC and nothing more), and it writes the EndpointSlice that resolves the
//! webhook Service to the ready webhook containers.
//!
//! The components reach the API server as pods do (`KUBERNETES_SERVICE_HOST`); the API
//! server's container answers to `kubernetes.default.svc` on the network, a name its
//! certificate carries. The harness reaches everything on published ports of 127.0.0.1.
//! One topology per mode serves the whole run, as for `--cluster container`; every
//! container and the network carry the run's label and are removed at the end.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod, Secret, ServiceAccount};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::{Api, PostParams};
use testcontainers::core::{IntoContainerPort, WaitFor};
use testcontainers::{GenericImage, ImageExt};

use super::container::{self, ServeContainer};
use super::docker::{self, HarnessContainer, Readiness};
use super::SharedCluster;
use crate::cli::HarnessCli;
use crate::failure::Failure;
use crate::timing::scaled;

#[path = "../../tests/shared/deploy.rs"]
pub mod deploy;

/// The name the API server's container answers to on the network (as the `kubernetes`
/// Service does in a cluster); its serving certificate names it.
pub const API_HOST: &str = "kubernetes.default.svc";
/// The components' probe port (`--health-probe-bind-address=:8081` in deploy/).
pub const PROBE_PORT: u16 = 8081;
/// The components' metrics port (`--metrics-bind-address=:8080` in deploy/).
pub const METRICS_PORT: u16 = 8080;
/// The webhook's HTTPS port (`--listen=0.0.0.0:8443`, the Service's target port `https`).
pub const WEBHOOK_PORT: u16 = 8443;
/// Replicas of each Deployment (deploy/ asks for 2).
pub const REPLICAS: usize = 2;
/// The EndpointSlice the harness writes for the webhook Service.
pub const SLICE_NAME: &str = "kube-sa-webhook-split";
/// Seconds (before scaling) the whole topology may take to get ready: containers,
/// probes, the Lease and a pod admitted through the webhook.
pub const READY_SECONDS: f64 = 90.0;
/// Where a pod's service-account token volume is mounted.
const TOKEN_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
/// Lifetime of the components' TokenRequest tokens. Longer than deploy/'s 3607 s (which
/// the kubelet would renew): the cluster's clock is fake and scenarios move it by days.
const TOKEN_SECONDS: i64 = 10 * 365 * 24 * 3600;
/// Namespace of the end-to-end readiness check (a pod admitted through the webhook).
const READY_NAMESPACE: &str = "kube-sa-split-ready";
/// How often readiness is polled.
const POLL: Duration = Duration::from_millis(200);

/// What the API server puts before the webhook's denials (the plugin's messages).
pub const DENIAL_PREFIX: &str = super::webhook::DENIAL_PREFIX;

/// One replica of a Deployment: a container started with the Deployment's arguments.
pub struct Component {
    /// `kube-sa-controller-manager` or `kube-sa-webhook`.
    pub deployment: &'static str,
    pub container: Arc<HarnessContainer>,
}

impl Component {
    /// `GET path` on its probe port (published on 127.0.0.1): the status code.
    pub async fn probe(&self, path: &str) -> Result<u16, Failure> {
        let port = self.container.host_port(PROBE_PORT).await?;
        http_get(([127, 0, 0, 1], port).into(), path)
            .await
            .map(|(status, _)| status)
    }

    /// Its Prometheus text (`GET /metrics` on the metrics port).
    #[allow(dead_code)] // used by the fault tests
    pub async fn metrics(&self) -> Result<String, Failure> {
        let port = self.container.host_port(METRICS_PORT).await?;
        let (status, body) = http_get(([127, 0, 0, 1], port).into(), "/metrics").await?;
        if status == 200 {
            Ok(body)
        } else {
            Err(Failure::new(format!("GET /metrics answered {status}")))
        }
    }

    /// Running and `/readyz` answers 200.
    pub async fn is_ready(&self) -> bool {
        self.container.health().await.is_ok() && matches!(self.probe("/readyz").await, Ok(200))
    }
}

/// The running topology of one mode.
pub struct Topology {
    pub mode: kube_sa::Mode,
    /// The image every container runs.
    pub image: String,
    /// The private Docker network.
    pub network: String,
    pub serve: ServeContainer,
    pub managers: Vec<Component>,
    pub webhooks: Vec<Component>,
    /// The admin's client and configuration (through the published port).
    pub config: kube::Config,
    pub client: kube::Client,
    /// The admin kubeconfig file, for kubectl.
    #[allow(dead_code)] // for people debugging a run
    pub kubeconfig: PathBuf,
    _files: tempfile::TempDir,
}

/// Runs blocking work (kubectl, the script) off the async threads.
async fn blocking<T: Send + 'static>(
    what: &str,
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, Failure> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Failure::new(format!("{what}: {e}")))?
        .map_err(Failure::new)
}

impl Topology {
    /// Starts the API server, installs deploy/ in it, starts the replicas and waits until
    /// the topology works end to end (see [`Topology::wait_ready`]).
    pub async fn start(image: &str, mode: kube_sa::Mode) -> Result<Self, Failure> {
        docker::require_image(image, |why| missing_image_message(image, why)).await?;
        let network = format!("kube-sa-split-{}-{mode}", &docker::run_id()[..8]);
        docker::create_run_network(&network).await?;
        let serve = ServeContainer::start_with(
            image,
            mode,
            &[
                "--controllers=false",
                "--disable-admission-plugins=ServiceAccount",
            ],
        )
        .await?;
        serve
            .container
            .connect_network(&network, &[API_HOST])
            .await?;
        let (config, client) = container::connect(&serve.container).await?;

        let files =
            tempfile::tempdir().map_err(|e| Failure::new(format!("a temporary directory: {e}")))?;
        let kubeconfig = files.path().join("admin.kubeconfig");
        let admin = serve
            .container
            .read_file(container::KUBECONFIG_PATH)
            .await?;
        std::fs::write(&kubeconfig, admin)
            .map_err(|e| Failure::new(format!("writing the admin kubeconfig: {e}")))?;
        let key_file = files.path().join("sa.key");
        let key_pem = serve
            .signing_key
            .to_pkcs8_pem()
            .map_err(|e| Failure::new(format!("encoding the service-account key: {e}")))?;
        std::fs::write(&key_file, key_pem)
            .map_err(|e| Failure::new(format!("writing the service-account key: {e}")))?;

        // What an administrator runs (README, "Running on a real cluster").
        let overlay = deploy::overlay(mode);
        let rendered = {
            let (kubeconfig, key_file, overlay) =
                (kubeconfig.clone(), key_file.clone(), overlay.clone());
            blocking("installing deploy/", move || {
                deploy::apply(&kubeconfig, &overlay)?;
                deploy::make_secrets(&kubeconfig, &key_file)?;
                deploy::render(&kubeconfig, &overlay)
            })
            .await?
        };

        let mut topology = Self {
            mode,
            image: image.to_string(),
            network,
            serve,
            managers: Vec::new(),
            webhooks: Vec::new(),
            config,
            client,
            kubeconfig,
            _files: files,
        };
        let key = Arc::new(
            kube_sa::serviceaccount::SigningKey::from_file(&key_file)
                .map_err(|e| Failure::new(format!("reading the service-account key: {e}")))?,
        );
        for name in [deploy::CONTROLLER_MANAGER, deploy::WEBHOOK] {
            let deployment = deploy::deployment(&rendered, name).map_err(Failure::new)?;
            let pod = topology.pod_files(&deployment, &key).await?;
            let args = deploy::container_args(&deployment).map_err(Failure::new)?;
            let starts =
                (0..REPLICAS).map(|index| topology.start_replica(name, index, &args, &pod));
            let replicas = futures::future::try_join_all(starts).await?;
            if name == deploy::CONTROLLER_MANAGER {
                topology.managers = replicas;
            } else {
                topology.webhooks = replicas;
            }
        }
        topology.wait_ready(scaled(READY_SECONDS)).await?;
        Ok(topology)
    }

    /// Starts replica `index` of Deployment `name` with `args` and the files of its pod.
    async fn start_replica(
        &self,
        name: &'static str,
        index: usize,
        args: &[String],
        files: &[(String, Vec<u8>)],
    ) -> Result<Component, Failure> {
        let (repository, tag) = docker::split_image(&self.image)?;
        let mut request = GenericImage::new(repository.to_string(), tag.to_string())
            .with_wait_for(WaitFor::Nothing)
            .with_network(self.network.clone())
            .with_cmd(args.to_vec())
            // The in-cluster configuration, as the kubelet gives every container.
            .with_env_var("KUBERNETES_SERVICE_HOST", API_HOST)
            .with_env_var("KUBERNETES_SERVICE_PORT", container::API_PORT.to_string())
            .with_env_var("NO_COLOR", "1")
            // Port 0: the engine picks a free one, read back by [`Component::probe`].
            .with_mapped_port(0, PROBE_PORT.tcp())
            .with_mapped_port(0, METRICS_PORT.tcp());
        for (path, content) in files {
            request = request.with_copy_to(path.clone(), content.clone());
        }
        let request = docker::publish_on_loopback(request);
        let container = HarnessContainer::start(
            &format!("{name} #{}", index + 1),
            request,
            Readiness::Running,
            scaled(container::READY_SECONDS),
        )
        .await?;
        Ok(Component {
            deployment: name,
            container: Arc::new(container),
        })
    }

    /// The files the kubelet would put in the pod of `deployment`: its volumes' Secrets
    /// and ConfigMaps, its namespace, and a token of its service account. Volumes of other
    /// kinds are refused, so that a change to deploy/ cannot go unnoticed here. (Files are
    /// copied in as 0644, readable by the image's non-root user as `fsGroup` makes them.)
    async fn pod_files(
        &self,
        deployment: &serde_json::Value,
        key: &Arc<kube_sa::serviceaccount::SigningKey>,
    ) -> Result<Vec<(String, Vec<u8>)>, Failure> {
        let name = deployment["metadata"]["name"].as_str().unwrap_or_default();
        let namespace = deployment["metadata"]["namespace"]
            .as_str()
            .unwrap_or(deploy::NAMESPACE);
        let spec = &deployment["spec"]["template"]["spec"];
        let account = spec["serviceAccountName"].as_str().unwrap_or("default");
        let mounts = spec["containers"][0]["volumeMounts"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let volumes = spec["volumes"].as_array().cloned().unwrap_or_default();
        let mut files = Vec::new();
        for mount in &mounts {
            let (Some(volume_name), Some(dir)) =
                (mount["name"].as_str(), mount["mountPath"].as_str())
            else {
                return Err(Failure::new(format!(
                    "{name}: a volumeMount without name or mountPath"
                )));
            };
            let volume = volumes
                .iter()
                .find(|v| v["name"] == volume_name)
                .ok_or_else(|| Failure::new(format!("{name}: no volume {volume_name}")))?;
            if let Some(secret_name) = volume["secret"]["secretName"].as_str() {
                let secret = Api::<Secret>::namespaced(self.client.clone(), namespace)
                    .get(secret_name)
                    .await
                    .map_err(|e| Failure::new(format!("{name}: Secret {secret_name}: {e}")))?;
                for (file, value) in secret.data.unwrap_or_default() {
                    files.push((format!("{dir}/{file}"), value.0));
                }
            } else if let Some(sources) = volume["projected"]["sources"].as_array() {
                for source in sources {
                    if let Some(path) = source["serviceAccountToken"]["path"].as_str() {
                        let token = self.account_token(namespace, account, key).await?;
                        files.push((format!("{dir}/{path}"), token.into_bytes()));
                    } else if let Some(map_name) = source["configMap"]["name"].as_str() {
                        let map = Api::<ConfigMap>::namespaced(self.client.clone(), namespace)
                            .get(map_name)
                            .await
                            .map_err(|e| {
                                Failure::new(format!("{name}: ConfigMap {map_name}: {e}"))
                            })?;
                        let data = map.data.unwrap_or_default();
                        for item in source["configMap"]["items"]
                            .as_array()
                            .into_iter()
                            .flatten()
                        {
                            let (Some(item_key), Some(path)) =
                                (item["key"].as_str(), item["path"].as_str())
                            else {
                                continue;
                            };
                            let value = data.get(item_key).ok_or_else(|| {
                                Failure::new(format!(
                                    "{name}: ConfigMap {map_name} has no {item_key}"
                                ))
                            })?;
                            files.push((format!("{dir}/{path}"), value.clone().into_bytes()));
                        }
                    } else if let Some(items) = source["downwardAPI"]["items"].as_array() {
                        for item in items {
                            let (Some(path), Some("metadata.namespace")) = (
                                item["path"].as_str(),
                                item["fieldRef"]["fieldPath"].as_str(),
                            ) else {
                                return Err(Failure::new(format!(
                                    "{name}: only metadata.namespace of the downward API is provided here"
                                )));
                            };
                            files.push((format!("{dir}/{path}"), namespace.as_bytes().to_vec()));
                        }
                    } else {
                        return Err(Failure::new(format!(
                            "{name}: projected source {source} is not provided here"
                        )));
                    }
                }
            } else {
                return Err(Failure::new(format!(
                    "{name}: volume {volume_name} is of a kind not provided here"
                )));
            }
        }
        if !files
            .iter()
            .any(|(path, _)| path == &format!("{TOKEN_DIR}/token"))
        {
            return Err(Failure::new(format!(
                "{name}: deploy/ mounts no token at {TOKEN_DIR}/token"
            )));
        }
        Ok(files)
    }

    /// A token of service account `namespace/account`: in bound mode from TokenRequest
    /// (what a projected volume holds); in legacy mode, where there is no TokenRequest, a
    /// token Secret as v1.8's token controller makes it, signed with the cluster's key
    /// (no controller runs yet to make it, and nothing here depends on one).
    async fn account_token(
        &self,
        namespace: &str,
        account: &str,
        key: &Arc<kube_sa::serviceaccount::SigningKey>,
    ) -> Result<String, Failure> {
        let accounts = Api::<ServiceAccount>::namespaced(self.client.clone(), namespace);
        match self.mode {
            kube_sa::Mode::Bound => {
                let request = TokenRequest {
                    spec: TokenRequestSpec {
                        expiration_seconds: Some(TOKEN_SECONDS),
                        ..Default::default()
                    },
                    ..Default::default()
                };
                let answer = accounts
                    .create_token_request(account, &PostParams::default(), &request)
                    .await
                    .map_err(|e| Failure::new(format!("TokenRequest for {account}: {e}")))?;
                answer
                    .status
                    .map(|status| status.token)
                    .ok_or_else(|| Failure::new(format!("TokenRequest for {account}: no token")))
            }
            kube_sa::Mode::Legacy => {
                let sa = accounts
                    .get(account)
                    .await
                    .map_err(|e| Failure::new(format!("ServiceAccount {account}: {e}")))?;
                let uid = sa.metadata.uid.unwrap_or_default();
                let secret_name = format!("{account}-token-split");
                let token = kube_sa::serviceaccount::TokenGenerator::legacy_for_mode(
                    self.mode,
                    key.clone(),
                )
                .legacy_token(namespace, account, &uid, &secret_name)
                .map_err(|e| Failure::new(format!("signing a token for {account}: {e}")))?;
                let secret: Secret = serde_json::from_value(serde_json::json!({
                    "metadata": {
                        "name": secret_name,
                        "namespace": namespace,
                        "annotations": {
                            "kubernetes.io/service-account.name": account,
                            "kubernetes.io/service-account.uid": uid,
                        },
                    },
                    "type": "kubernetes.io/service-account-token",
                    "stringData": {"token": token, "namespace": namespace},
                }))
                .map_err(|e| Failure::new(format!("a token Secret: {e}")))?;
                Api::<Secret>::namespaced(self.client.clone(), namespace)
                    .create(&PostParams::default(), &secret)
                    .await
                    .map_err(|e| Failure::new(format!("creating Secret {secret_name}: {e}")))?;
                Ok(token)
            }
        }
    }

    /// Waits until the topology works end to end, the causes of flaky first scenarios
    /// ruled out one by one: every replica runs and answers `/readyz` (a controller-manager
    /// once its caches have synced or it follows), the EndpointSlice names both webhooks,
    /// one controller-manager holds the Lease, and a pod in a new namespace is admitted
    /// through the webhook with its token volume (the API server's informers have seen the
    /// webhook registration and the slice; the leader has made the namespace's account).
    pub async fn wait_ready(&self, deadline: Duration) -> Result<(), Failure> {
        let started = tokio::time::Instant::now();
        let mut last = Failure::new("not checked yet");
        while started.elapsed() < deadline {
            match self.ready_once().await {
                Ok(()) => return Ok(()),
                Err(failure) => last = failure,
            }
            tokio::time::sleep(POLL).await;
        }
        Err(last.context(format!(
            "the split topology ({} mode) was not ready after {:.1} s\n{}",
            self.mode,
            deadline.as_secs_f64(),
            self.logs().await
        )))
    }

    async fn ready_once(&self) -> Result<(), Failure> {
        for component in self.managers.iter().chain(&self.webhooks) {
            component.container.health().await?;
            let status = component.probe("/readyz").await?;
            if status != 200 {
                return Err(Failure::new(format!(
                    "{} /readyz answered {status}",
                    component.deployment
                )));
            }
        }
        let ready = self.sync_webhook_endpoints().await?;
        if ready != self.webhooks.len() {
            return Err(Failure::new(format!("{ready} webhook(s) ready")));
        }
        self.leader().await?;
        self.admitted_probe_pod().await
    }

    /// A pod in [`READY_NAMESPACE`], created as a server-side dry run, comes back with a
    /// token volume: the webhook answered.
    async fn admitted_probe_pod(&self) -> Result<(), Failure> {
        let namespaces = Api::<Namespace>::all(self.client.clone());
        if namespaces
            .get_opt(READY_NAMESPACE)
            .await
            .ok()
            .flatten()
            .is_none()
        {
            let namespace: Namespace =
                serde_json::from_value(serde_json::json!({"metadata": {"name": READY_NAMESPACE}}))
                    .map_err(|e| Failure::new(e.to_string()))?;
            namespaces
                .create(&PostParams::default(), &namespace)
                .await
                .map_err(|e| Failure::new(format!("creating namespace {READY_NAMESPACE}: {e}")))?;
        }
        let pod = probe_pod("ready-check");
        let dry_run = PostParams {
            dry_run: true,
            ..Default::default()
        };
        let admitted = Api::<Pod>::namespaced(self.client.clone(), READY_NAMESPACE)
            .create(&dry_run, &pod)
            .await
            .map_err(|e| Failure::new(format!("a pod through the webhook: {e}")))?;
        if has_token_volume(&admitted) {
            Ok(())
        } else {
            Err(Failure::new("a pod was admitted without a token volume"))
        }
    }

    /// Writes the webhook Service's EndpointSlice as the EndpointSlice controller would:
    /// each webhook container's address on the network, ready when it runs and its
    /// `/readyz` answers 200. The number of ready ones.
    pub async fn sync_webhook_endpoints(&self) -> Result<usize, Failure> {
        let mut endpoints = Vec::new();
        let mut ready_count = 0;
        for webhook in &self.webhooks {
            let Ok(ip) = webhook.container.network_ip(&self.network).await else {
                continue; // stopped: no address, as a pod that is gone
            };
            let ready = webhook.is_ready().await;
            ready_count += usize::from(ready);
            endpoints.push(serde_json::json!({
                "addresses": [ip],
                "conditions": {"ready": ready},
            }));
        }
        self.write_slice(endpoints).await?;
        Ok(ready_count)
    }

    /// Writes the EndpointSlice with webhook `index` not ready (as before a replica is
    /// stopped, when its pod turns terminating), the others as they are.
    #[allow(dead_code)] // used by the fault tests
    pub async fn mark_webhook_not_ready(&self, index: usize) -> Result<(), Failure> {
        let mut endpoints = Vec::new();
        for (i, webhook) in self.webhooks.iter().enumerate() {
            let Ok(ip) = webhook.container.network_ip(&self.network).await else {
                continue;
            };
            let ready = i != index && webhook.is_ready().await;
            endpoints.push(serde_json::json!({
                "addresses": [ip],
                "conditions": {"ready": ready},
            }));
        }
        self.write_slice(endpoints).await
    }

    async fn write_slice(&self, endpoints: Vec<serde_json::Value>) -> Result<(), Failure> {
        let slices = Api::<EndpointSlice>::namespaced(self.client.clone(), deploy::NAMESPACE);
        let mut slice: EndpointSlice = serde_json::from_value(serde_json::json!({
            "metadata": {
                "name": SLICE_NAME,
                "namespace": deploy::NAMESPACE,
                "labels": {
                    "kubernetes.io/service-name": deploy::WEBHOOK,
                    "endpointslice.kubernetes.io/managed-by": "kube-sa-harness",
                },
            },
            "addressType": "IPv4",
            "endpoints": endpoints,
            "ports": [{"name": "https", "port": WEBHOOK_PORT, "protocol": "TCP"}],
        }))
        .map_err(|e| Failure::new(format!("an EndpointSlice: {e}")))?;
        let existing = slices
            .get_opt(SLICE_NAME)
            .await
            .map_err(|e| Failure::new(format!("reading EndpointSlice {SLICE_NAME}: {e}")))?;
        let written = match existing {
            None => slices.create(&PostParams::default(), &slice).await,
            Some(existing) => {
                if existing.endpoints == slice.endpoints {
                    return Ok(());
                }
                slice.metadata.resource_version = existing.metadata.resource_version;
                slices
                    .replace(SLICE_NAME, &PostParams::default(), &slice)
                    .await
            }
        };
        written
            .map(drop)
            .map_err(|e| Failure::new(format!("writing EndpointSlice {SLICE_NAME}: {e}")))
    }

    /// The controller-manager holding the Lease (its index) and the holder identity.
    pub async fn leader(&self) -> Result<(usize, String), Failure> {
        let lease = Api::<Lease>::namespaced(
            self.client.clone(),
            kube_sa::leader_election::DEFAULT_RESOURCE_NAMESPACE,
        )
        .get(kube_sa::leader_election::DEFAULT_RESOURCE_NAME)
        .await
        .map_err(|e| Failure::new(format!("reading the leader-election Lease: {e}")))?;
        let holder = lease
            .spec
            .and_then(|spec| spec.holder_identity)
            .filter(|holder| !holder.is_empty())
            .ok_or_else(|| Failure::new("the Lease has no holder"))?;
        for (index, manager) in self.managers.iter().enumerate() {
            // `<hostname>_<uuid>`; the host name is the container's.
            let hostname = manager.container.hostname().await?;
            if holder.starts_with(&format!("{hostname}_")) {
                return Ok((index, holder));
            }
        }
        Err(Failure::new(format!(
            "the Lease is held by {holder:?}, none of this topology's controller-managers"
        )))
    }

    /// The logs of every container, for a failure.
    pub async fn logs(&self) -> String {
        let mut all = self.serve.container.logs(docker::LOG_TAIL_LINES).await;
        for component in self.managers.iter().chain(&self.webhooks) {
            all.push_str(&component.container.logs(docker::LOG_TAIL_LINES).await);
        }
        all
    }

    /// Every container of the topology, the API server's first.
    #[allow(dead_code)] // used by the fault tests
    pub fn containers(&self) -> Vec<Arc<HarnessContainer>> {
        std::iter::once(self.serve.container.clone())
            .chain(
                self.managers
                    .iter()
                    .chain(&self.webhooks)
                    .map(|c| c.container.clone()),
            )
            .collect()
    }
}

/// A pod of one container in `namespace`, for admission checks.
pub fn probe_pod(name: &str) -> Pod {
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "app", "image": "busybox"}]},
    }))
    .unwrap_or_default()
}

/// Whether admission gave the pod a service-account token volume (a projected
/// `kube-api-access-*` in bound mode, the token Secret in legacy mode).
pub fn has_token_volume(pod: &Pod) -> bool {
    pod.spec
        .as_ref()
        .and_then(|spec| spec.volumes.as_ref())
        .is_some_and(|volumes| {
            volumes.iter().any(|volume| {
                volume.name.starts_with("kube-api-access-")
                    || volume.secret.as_ref().is_some_and(|secret| {
                        secret
                            .secret_name
                            .as_deref()
                            .is_some_and(|name| name.starts_with("default-token-"))
                    })
            })
        })
}

/// The message when the image is not in the local engine.
pub fn missing_image_message(image: &str, why: &str) -> String {
    container::missing_image_message(image, why).replace("--cluster container", "--cluster split")
}

/// `GET path` over plain HTTP (the components' probe and metrics listeners): status and
/// body. Bounded by a short deadline: a paused container never answers.
pub async fn http_get(address: SocketAddr, path: &str) -> Result<(u16, String), Failure> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(address).await?;
        stream
            .write_all(
                format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            )
            .await?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await?;
        Ok::<_, std::io::Error>(answer)
    };
    let answer = tokio::time::timeout(scaled(container::CONNECT_SECONDS), exchange)
        .await
        .map_err(|_| Failure::new(format!("GET http://{address}{path} did not answer in time")))?
        .map_err(|e| Failure::new(format!("GET http://{address}{path}: {e}")))?;
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| Failure::new(format!("GET http://{address}{path}: no status line")))?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

/// The run's topology in `mode`, as a shared cluster: the API server's client, and every
/// container checked before each scenario.
pub async fn start(cli: &HarnessCli, mode: kube_sa::Mode) -> Result<SharedCluster, Failure> {
    let topology = Topology::start(cli.container_image(), mode).await?;
    shared_cluster(Arc::new(topology))
}

/// A shared cluster on `topology`, which it keeps alive.
pub fn shared_cluster(topology: Arc<Topology>) -> Result<SharedCluster, Failure> {
    Ok(SharedCluster {
        mode: topology.mode,
        movable_clock: true,
        config: topology.config.clone(),
        client: topology.client.clone(),
        public_keys: vec![topology.serve.signing_key.public_key().clone()],
        container: Some(topology.serve.container.clone()),
        components: topology
            .managers
            .iter()
            .chain(&topology.webhooks)
            .map(|c| c.container.clone())
            .collect(),
        denial_prefix: Some(DENIAL_PREFIX),
        _keep_alive: Some(Box::new(topology)),
    })
}
