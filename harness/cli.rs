//! Options of the conformance runner, next to cucumber's own (`--tags`, `--name`,
//! `--concurrency`, `--fail-fast`, `--retry`, …).

use std::path::PathBuf;

use crate::backends::BackendKind;

#[derive(clap::Args, Debug, Clone)]
pub struct HarnessCli {
    /// Cluster backend: embedded (default), kubeconfig, kind, container, webhook (embedded
    /// with `kube-sa webhook` in place of the built-in ServiceAccount plugin), or split (in
    /// containers: `kube-sa serve` with its service-account parts off, and deploy/'s two
    /// controller-managers and two webhooks). Also from the environment variable
    /// KUBE_SA_CLUSTER.
    #[arg(long = "cluster", value_enum, value_name = "BACKEND")]
    pub cluster_flag: Option<BackendKind>,

    /// Service-account modes to run scenarios in: legacy, bound or both (default). Each
    /// scenario runs in the modes it applies to (`@legacy`, `@bound`, untagged: both),
    /// reported as `<scenario> [<mode>]`. `--cluster kubeconfig` needs legacy or bound: the
    /// mode of the cluster it is given.
    #[arg(long = "mode", value_enum, value_name = "MODE", default_value_t = crate::modes::RunModes::Both)]
    pub mode: crate::modes::RunModes,

    /// Kubeconfig of the cluster for `--cluster kubeconfig` (default: KUBECONFIG, then ~/.kube/config).
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,

    /// Write a JUnit XML report (one test case per scenario) to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// PEM public key(s) that verify the cluster's service-account tokens (kubeconfig
    /// backend). Without it, "is signed by the cluster's service-account key" is checked by
    /// authenticating with the token instead.
    #[arg(long, value_name = "PEM")]
    pub service_account_key_file: Option<PathBuf>,

    /// Node image for `--cluster kind` (also KUBE_SA_KIND_IMAGE).
    #[arg(long, value_name = "IMAGE")]
    pub kind_image: Option<String>,

    /// Image of kube-sa for `--cluster container` and `--cluster split` (also
    /// KUBE_SA_CONTAINER_IMAGE); build it with `ci/image/build.sh`.
    #[arg(long, value_name = "IMAGE")]
    pub container_image: Option<String>,
}

/// The node image the kind backend uses by default.
pub const DEFAULT_KIND_IMAGE: &str = "kindest/node:v1.33.1";

/// The image the container backend uses by default (what `ci/image/build.sh` builds).
pub const DEFAULT_CONTAINER_IMAGE: &str = "kube-sa:dev";

impl HarnessCli {
    /// `--cluster`, else KUBE_SA_CLUSTER, else embedded. An unknown KUBE_SA_CLUSTER is an error.
    pub fn cluster(&self) -> BackendKind {
        self.cluster_flag.unwrap_or(BackendKind::Embedded)
    }

    /// Resolves KUBE_SA_CLUSTER when `--cluster` was not given.
    pub fn resolve_environment(&mut self) -> Result<(), String> {
        if self.cluster_flag.is_none() {
            if let Ok(value) = std::env::var("KUBE_SA_CLUSTER") {
                use clap::ValueEnum;
                let value = value.trim();
                if !value.is_empty() {
                    self.cluster_flag = Some(BackendKind::from_str(value, true).map_err(|_| {
                        format!("KUBE_SA_CLUSTER={value:?} is not a backend; use embedded, kubeconfig, kind, container, webhook or split")
                    })?);
                }
            }
        }
        if self.kind_image.is_none() {
            self.kind_image = std::env::var("KUBE_SA_KIND_IMAGE")
                .ok()
                .filter(|v| !v.is_empty());
        }
        if self.container_image.is_none() {
            self.container_image = std::env::var("KUBE_SA_CONTAINER_IMAGE")
                .ok()
                .filter(|v| !v.is_empty());
        }
        Ok(())
    }

    pub fn container_image(&self) -> &str {
        self.container_image
            .as_deref()
            .unwrap_or(DEFAULT_CONTAINER_IMAGE)
    }

    pub fn kind_image(&self) -> &str {
        self.kind_image.as_deref().unwrap_or(DEFAULT_KIND_IMAGE)
    }
}
