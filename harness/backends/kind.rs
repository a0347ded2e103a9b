//! A kind node container started through testcontainers, with the built-in
//! ServiceAccount admission and service-account controllers off, kube-sa's
//! controller-manager and webhook in their place. Configuration: `ci/kind/`.
//!
//! No registry is reachable on our machines, so [`preflight`] runs before anything
//! starts and names the missing image. The boot sequence after it has not been run
//! here; the rendered configuration is covered by `harness/selftest.rs`. Starting, port
//! mapping, exec, logs, health and teardown are the shared plumbing of [`super::docker`],
//! proven by the `container` backend.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;

use base64::Engine as _;
use testcontainers::core::{AccessMode, CgroupnsMode, Host, IntoContainerPort, Mount, WaitFor};
use testcontainers::{GenericImage, ImageExt};

use super::docker::{self, HarnessContainer, Readiness};
use super::SharedCluster;
use crate::cli::HarnessCli;
use crate::failure::Failure;

pub const CLUSTER_CONFIG: &str = include_str!("../../ci/kind/cluster.yaml");
pub const KUBEADM_CONFIG: &str = include_str!("../../ci/kind/kubeadm.yaml");
pub const WEBHOOK_CONFIG: &str = include_str!("../../ci/kind/webhook.yaml");
/// The image `ci/kind/cluster.yaml` names.
pub const CLUSTER_CONFIG_IMAGE: &str = crate::cli::DEFAULT_KIND_IMAGE;
/// Node (and host) name of the control plane.
pub const NODE_NAME: &str = "kube-sa-control-plane";
/// Where `kube-sa webhook` answers AdmissionReviews (assumed; the webhook command is built elsewhere).
pub const WEBHOOK_PATH: &str = "/mutate";
/// How the node reaches the host.
pub const HOST_ALIAS: &str = "host.docker.internal";

/// Fills `{{key}}` placeholders; any placeholder left over is an error.
pub fn render(template: &str, values: &[(&str, &str)]) -> Result<String, Failure> {
    let mut out = template.to_string();
    for (key, value) in values {
        out = out.replace(&format!("{{{{{key}}}}}"), value);
    }
    match out.find("{{") {
        Some(at) => Err(Failure::new(format!(
            "unfilled placeholder in kind configuration: {}",
            &out[at..out.len().min(at + 30)]
        ))),
        None => Ok(out),
    }
}

/// `v1.33.1` from `kindest/node:v1.33.1` (a digest suffix is ignored).
pub fn kubernetes_version(image: &str) -> Result<&str, Failure> {
    let without_digest = image.split('@').next().unwrap_or(image);
    without_digest
        .rsplit_once(':')
        .map(|(_, tag)| tag)
        .filter(|tag| tag.starts_with('v'))
        .ok_or_else(|| Failure::new(format!("cannot tell the Kubernetes version from image {image:?} (expected a tag like v1.33.1)")))
}

/// The kind CLI cluster config for `image`.
pub fn cluster_config(image: &str) -> String {
    CLUSTER_CONFIG.replace(CLUSTER_CONFIG_IMAGE, image)
}

/// The kubeadm configuration for the node container.
pub fn kubeadm_config(image: &str) -> Result<String, Failure> {
    render(
        KUBEADM_CONFIG,
        &[
            ("node_name", NODE_NAME),
            ("kubernetes_version", kubernetes_version(image)?),
        ],
    )
}

/// The MutatingWebhookConfiguration for a webhook at `url` whose serving certificate `ca_pem` signs.
pub fn webhook_configuration(url: &str, ca_pem: &str) -> Result<String, Failure> {
    let ca_bundle = base64::engine::general_purpose::STANDARD.encode(ca_pem);
    render(
        WEBHOOK_CONFIG,
        &[("webhook_url", url), ("ca_bundle", &ca_bundle)],
    )
}

/// `kube-sa controller-manager …` arguments (after the binary).
pub fn controller_manager_args(
    kubeconfig: &Path,
    private_key: &Path,
    root_ca: &Path,
) -> Vec<String> {
    vec![
        "controller-manager".into(),
        "--kubeconfig".into(),
        kubeconfig.display().to_string(),
        "--service-account-private-key-file".into(),
        private_key.display().to_string(),
        "--root-ca-file".into(),
        root_ca.display().to_string(),
    ]
}

/// `kube-sa webhook …` arguments (after the binary).
pub fn webhook_args(kubeconfig: &Path, cert: &Path, key: &Path, port: u16) -> Vec<String> {
    vec![
        "webhook".into(),
        "--kubeconfig".into(),
        kubeconfig.display().to_string(),
        "--tls-cert-file".into(),
        cert.display().to_string(),
        "--tls-private-key-file".into(),
        key.display().to_string(),
        "--listen".into(),
        format!("0.0.0.0:{port}"),
    ]
}

/// The message when the node image is not available locally.
pub fn missing_image_message(image: &str, why: &str) -> String {
    format!(
        "--cluster kind needs the node image {image}, which is not available here ({why}).\n\
         No image registry is reachable from this machine. On a machine that can pull it:\n\
         \x20   docker pull {image} && docker save {image} -o kind-node.tar\n\
         then copy kind-node.tar here and run:\n\
         \x20   docker load -i kind-node.tar\n\
         (or pick another local image with --kind-image / KUBE_SA_KIND_IMAGE)."
    )
}

/// Fails fast, before anything starts, when Docker or the node image is missing.
pub async fn preflight(image: &str) -> Result<(), Failure> {
    docker::require_image(image, |why| missing_image_message(image, why)).await
}

/// Seconds (before scaling) the node container may take to start running.
const NODE_START_SECONDS: f64 = 120.0;

fn write(dir: &Path, name: &str, contents: &str) -> Result<PathBuf, Failure> {
    let path = dir.join(name);
    std::fs::write(&path, contents)
        .map_err(|e| Failure::new(format!("writing {}: {e}", path.display())))?;
    Ok(path)
}

/// A child process that is stopped when the run ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(args: &[String], log: &Path) -> Result<KillOnDrop, Failure> {
    let log_file = std::fs::File::create(log)
        .map_err(|e| Failure::new(format!("creating {}: {e}", log.display())))?;
    let stderr = log_file
        .try_clone()
        .map_err(|e| Failure::new(e.to_string()))?;
    std::process::Command::new(env!("CARGO_BIN_EXE_kube-sa"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(log_file)
        .stderr(stderr)
        .spawn()
        .map(KillOnDrop)
        .map_err(|e| {
            Failure::new(format!(
                "starting kube-sa {}: {e}",
                args.first().map(String::as_str).unwrap_or("")
            ))
        })
}

/// Everything besides the node container that must live as long as the run.
struct KindCluster {
    _controller_manager: KillOnDrop,
    _webhook: KillOnDrop,
    _files: tempfile::TempDir,
}

pub async fn start(cli: &HarnessCli) -> Result<SharedCluster, Failure> {
    let image = cli.kind_image().to_string();
    preflight(&image).await?;
    let kubeadm = kubeadm_config(&image)?;
    let (repository, tag) = docker::split_image(&image)?;
    let port = docker::free_local_port()?;

    let request = GenericImage::new(repository, tag)
        .with_wait_for(WaitFor::Nothing)
        .with_mapped_port(port, 6443.tcp())
        .with_privileged(true)
        .with_cgroupns_mode(CgroupnsMode::Private)
        .with_security_opt("seccomp=unconfined")
        .with_security_opt("apparmor=unconfined")
        .with_hostname(NODE_NAME)
        .with_env_var("container", "docker")
        .with_mount(Mount::tmpfs_mount("/tmp"))
        .with_mount(Mount::tmpfs_mount("/run"))
        .with_host(HOST_ALIAS, Host::HostGateway)
        .with_copy_to("/kind/kubeadm.conf", kubeadm.into_bytes());
    // Like kind: the host's kernel modules when it has them (a bind mount of a missing
    // path is refused by the engine).
    let request = if Path::new("/lib/modules").is_dir() {
        request.with_mount(
            Mount::bind_mount("/lib/modules", "/lib/modules")
                .with_access_mode(AccessMode::ReadOnly),
        )
    } else {
        request
    };
    let container = HarnessContainer::start(
        "kind node",
        docker::publish_on_loopback(request),
        Readiness::Running,
        crate::timing::scaled(NODE_START_SECONDS),
    )
    .await?;

    let exec = |script: &'static str| container.exec(script);
    let booted = async {
        exec("for i in $(seq 600); do systemctl is-active -q containerd && exit 0; sleep 0.1; done; exit 1").await?;
        exec("kubeadm init --config=/kind/kubeadm.conf --skip-phases=preflight --skip-token-print")
            .await?;
        exec(
            "export KUBECONFIG=/etc/kubernetes/admin.conf; \
             sed 's#{{ .PodSubnet }}#10.244.0.0/16#g' /kind/manifests/default-cni.yaml | kubectl apply -f - && \
             kubectl taint nodes --all node-role.kubernetes.io/control-plane- || true",
        )
        .await?;
        Ok::<_, Failure>((
            exec("cat /etc/kubernetes/admin.conf").await?,
            exec("cat /etc/kubernetes/pki/sa.key").await?,
            exec("cat /etc/kubernetes/pki/sa.pub").await?,
            exec("cat /etc/kubernetes/pki/ca.crt").await?,
        ))
    }
    .await;
    let (admin, sa_key, sa_pub, cluster_ca) = match booted {
        Ok(files) => files,
        Err(failure) => {
            let logs = container.logs(docker::LOG_TAIL_LINES).await;
            return Err(Failure::new(format!("{failure}\n{logs}")));
        }
    };
    let admin = admin.replace(
        &format!("https://{NODE_NAME}:6443"),
        &format!("https://127.0.0.1:{port}"),
    );

    let files = tempfile::tempdir()
        .map_err(|e| Failure::new(format!("creating a temporary directory: {e}")))?;
    let kubeconfig = write(files.path(), "admin.conf", &admin)?;
    let private_key = write(files.path(), "sa.key", &sa_key)?;
    let root_ca = write(files.path(), "ca.crt", &cluster_ca)?;

    // The webhook's serving certificate, for the name the node uses to reach the host.
    let certified = rcgen::generate_simple_self_signed(vec![HOST_ALIAS.to_string()])
        .map_err(|e| Failure::new(format!("webhook certificate: {e}")))?;
    let cert_pem = certified.cert.pem();
    let cert = write(files.path(), "webhook.crt", &cert_pem)?;
    let key = write(
        files.path(),
        "webhook.key",
        &certified.signing_key.serialize_pem(),
    )?;
    let webhook_port = std::net::TcpListener::bind("0.0.0.0:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| Failure::new(e.to_string()))?
        .port();

    let controller_manager = spawn(
        &controller_manager_args(&kubeconfig, &private_key, &root_ca),
        &files.path().join("controller-manager.log"),
    )?;
    let webhook = spawn(
        &webhook_args(&kubeconfig, &cert, &key, webhook_port),
        &files.path().join("webhook.log"),
    )?;

    let mut config = super::config_from_kubeconfig_yaml(&admin).await?;
    super::container::bound_requests(&mut config);
    let client = kube::Client::try_from(config.clone())
        .map_err(|e| Failure::new(format!("building a client: {e}")))?;
    let registration = webhook_configuration(
        &format!("https://{HOST_ALIAS}:{webhook_port}{WEBHOOK_PATH}"),
        &cert_pem,
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

    let public_keys = kube_sa::serviceaccount::parse_public_keys_pem(sa_pub.as_bytes())
        .map_err(|e| Failure::new(format!("the node's sa.pub: {e}")))?;
    Ok(SharedCluster {
        // kube-sa's components run in kind as legacy mode.
        mode: kube_sa::Mode::Legacy,
        movable_clock: false,
        config,
        client,
        public_keys,
        container: Some(Arc::new(container)),
        components: Vec::new(),
        denial_prefix: None,
        _keep_alive: Some(Box::new(KindCluster {
            _controller_manager: controller_manager,
            _webhook: webhook,
            _files: files,
        })),
    })
}
