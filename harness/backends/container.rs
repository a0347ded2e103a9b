//! The embedded cluster in a container: the `kube-sa:dev` image (`ci/image/build.sh`)
//! running `kube-sa serve`, started through testcontainers and shared by the run, with a
//! namespace per scenario (as for `kubeconfig`). Needs only a local Docker engine and the
//! image: nothing is pulled.

use std::sync::Arc;

use testcontainers::core::IntoContainerPort;
use testcontainers::core::WaitFor;
use testcontainers::{GenericImage, ImageExt};

use super::docker::{self, HarnessContainer, Readiness};
use super::SharedCluster;
use crate::cli::HarnessCli;
use crate::failure::Failure;
use crate::timing::scaled;

/// Port `kube-sa serve` listens on inside the container.
pub const API_PORT: u16 = 6443;
/// Where the server writes its admin kubeconfig inside the container.
pub const KUBECONFIG_PATH: &str = "/tmp/kubeconfig";
/// Where the harness puts the service-account signing key, so that it knows the public key.
pub const SIGNING_KEY_PATH: &str = "/tmp/sa.key";
/// What `kube-sa serve` prints on stdout once it serves.
pub const READY_LINE: &str = "serving https://";
/// Seconds (before scaling) the container may take to start and print [`READY_LINE`].
pub const READY_SECONDS: f64 = 30.0;
/// Attempts at publishing on a free port (another process may take the port first).
const PORT_ATTEMPTS: usize = 3;

/// The `kube-sa serve` arguments for a server published on 127.0.0.1:`host_port`: it listens
/// on all interfaces inside the container and advertises the address clients use.
/// In bound mode `--mode=bound` comes last.
pub fn serve_args(host_port: u16, mode: kube_sa::Mode) -> Vec<String> {
    let mut args = vec![
        "serve".into(),
        "--listen".into(),
        format!("0.0.0.0:{API_PORT}"),
        "--advertise-address".into(),
        format!("127.0.0.1:{host_port}"),
        "--kubeconfig-out".into(),
        KUBECONFIG_PATH.into(),
        "--service-account-private-key-file".into(),
        SIGNING_KEY_PATH.into(),
        "--clock=fake".into(),
    ];
    if mode != kube_sa::Mode::Legacy {
        args.push(format!("--mode={mode}"));
    }
    args
}

/// The message when the image is not in the local engine.
pub fn missing_image_message(image: &str, why: &str) -> String {
    format!(
        "--cluster container needs the image {image}, which the local Docker engine does not have ({why}).\n\
         Build it (no registry needed) with:\n\
         \x20   ci/image/build.sh {image}\n\
         (or pick another local image with --container-image / KUBE_SA_CONTAINER_IMAGE)."
    )
}

/// A running `kube-sa serve` container and the key that signs its tokens.
pub struct ServeContainer {
    pub container: Arc<HarnessContainer>,
    pub host_port: u16,
    pub signing_key: kube_sa::serviceaccount::SigningKey,
    /// The mode `kube-sa serve` runs in.
    pub mode: kube_sa::Mode,
}

impl ServeContainer {
    /// Checks the engine and image, then starts the image and waits until it serves.
    /// The server runs `kube-sa serve --mode=<mode>`.
    pub async fn start(image: &str, mode: kube_sa::Mode) -> Result<Self, Failure> {
        Self::start_with(image, mode, &[]).await
    }

    /// As [`ServeContainer::start`], with `extra` after the server's arguments (the
    /// `split` backend switches the in-process service-account parts off).
    pub async fn start_with(
        image: &str,
        mode: kube_sa::Mode,
        extra: &[&str],
    ) -> Result<Self, Failure> {
        docker::require_image(image, |why| missing_image_message(image, why)).await?;
        let (repository, tag) = docker::split_image(image)?;
        let signing_key = kube_sa::serviceaccount::SigningKey::generate_ecdsa_p256()
            .map_err(|e| Failure::new(format!("generating a service-account key: {e}")))?;
        let key_pem = signing_key
            .to_pkcs8_pem()
            .map_err(|e| Failure::new(format!("encoding the service-account key: {e}")))?;
        let mut last_failure = None;
        for _ in 0..PORT_ATTEMPTS {
            let host_port = docker::free_local_port()?;
            let request = GenericImage::new(repository, tag)
                .with_wait_for(WaitFor::Nothing)
                .with_mapped_port(host_port, API_PORT.tcp())
                .with_cmd(
                    serve_args(host_port, mode)
                        .into_iter()
                        .chain(extra.iter().map(|arg| arg.to_string())),
                )
                // Plain logs: they are shown to people when a scenario fails.
                .with_env_var("NO_COLOR", "1")
                .with_copy_to(SIGNING_KEY_PATH, key_pem.clone().into_bytes());
            let request = docker::publish_on_loopback(request);
            match HarnessContainer::start(
                "kube-sa serve",
                request,
                Readiness::StdoutLine(READY_LINE),
                scaled(READY_SECONDS),
            )
            .await
            {
                Ok(container) => {
                    return Ok(Self {
                        container: Arc::new(container),
                        host_port,
                        signing_key,
                        mode,
                    })
                }
                Err(failure) if is_port_taken(failure.message()) => last_failure = Some(failure),
                Err(failure) => return Err(failure),
            }
        }
        Err(last_failure.unwrap_or_else(|| Failure::new("no free port to publish on")))
    }

    /// The run's shared cluster on this container.
    pub async fn shared_cluster(&self) -> Result<SharedCluster, Failure> {
        let (config, client) = connect(&self.container).await?;
        // Clients must reach the server at the published port, not the one inside.
        let advertised = (config.cluster_url.host(), config.cluster_url.port_u16());
        if advertised != (Some("127.0.0.1"), Some(self.host_port)) {
            return Err(Failure::new(format!(
                "the kube-sa container advertises {}, not the published 127.0.0.1:{}",
                config.cluster_url, self.host_port
            )));
        }
        Ok(SharedCluster {
            mode: self.mode,
            // `--clock=fake`: Kubernetes time moves only through /debug/clock.
            movable_clock: true,
            config,
            client,
            public_keys: vec![self.signing_key.public_key().clone()],
            container: Some(self.container.clone()),
            components: Vec::new(),
            denial_prefix: None,
            _keep_alive: None,
        })
    }
}

/// Reads the kubeconfig the server in `container` wrote (anew after a restart: the server
/// makes a new CA each start) and checks `/readyz` through it.
pub async fn connect(
    container: &HarnessContainer,
) -> Result<(kube::Config, kube::Client), Failure> {
    let kubeconfig = container.read_file(KUBECONFIG_PATH).await?;
    let kubeconfig = String::from_utf8(kubeconfig)
        .map_err(|e| Failure::new(format!("the container's kubeconfig is not UTF-8: {e}")))?;
    let mut config = super::config_from_kubeconfig_yaml(&kubeconfig).await?;
    bound_requests(&mut config);
    let client = kube::Client::try_from(config.clone())
        .map_err(|e| Failure::new(format!("building a client: {e}")))?;
    let request = http::Request::get("/readyz")
        .body(Vec::new())
        .map_err(|e| Failure::new(e.to_string()))?;
    let ready = crate::timing::with_deadline(
        "GET /readyz of the kube-sa container",
        crate::timing::default_deadline(),
        async {
            client.request_text(request).await.map_err(|e| {
                Failure::new(format!("GET /readyz at {} failed: {e}", config.cluster_url))
            })
        },
    )
    .await;
    match ready {
        Ok(body) if body.trim() == "ok" => Ok((config, client)),
        Ok(body) => Err(Failure::new(format!(
            "GET /readyz at {} answered {body:?}, not \"ok\"",
            config.cluster_url
        ))),
        Err(failure) => Err(Failure::new(format!(
            "{failure}\n{}",
            container.logs(docker::LOG_TAIL_LINES).await
        ))),
    }
}

/// Docker's answer when the host port is in use.
fn is_port_taken(message: &str) -> bool {
    message.contains("port is already allocated") || message.contains("address already in use")
}

/// Seconds (before scaling) a connection to a local cluster container may take, TLS
/// handshake included; a paused container never completes one.
pub const CONNECT_SECONDS: f64 = 3.0;

/// Every request of a shared cluster's client ends by the step deadline, and a new
/// connection sooner, so that a paused container fails steps, diagnostics and cleanup
/// instead of holding them for the client's defaults (minutes). The harness makes no
/// watch requests that would need longer.
pub fn bound_requests(config: &mut kube::Config) {
    let deadline = crate::timing::default_deadline();
    config.connect_timeout = Some(crate::timing::scaled(CONNECT_SECONDS));
    config.read_timeout = Some(deadline);
    config.write_timeout = Some(deadline);
}

/// The run's container in `mode`.
pub async fn start(cli: &HarnessCli, mode: kube_sa::Mode) -> Result<SharedCluster, Failure> {
    let server = ServeContainer::start(cli.container_image(), mode).await?;
    match server.shared_cluster().await {
        Ok(cluster) => Ok(cluster),
        Err(failure) => {
            if let Ok(container) = Arc::try_unwrap(server.container) {
                let _ = container.remove().await;
            }
            Err(failure)
        }
    }
}
