//! `deploy/` as its installers use it: `kubectl apply -k` of the overlay of a mode,
//! `deploy/make-secrets.sh`, and the rendered Deployments read back (container arguments,
//! volumes), so that a test runs the components with exactly the manifests' flags.
//! Shared by `tests/embedded_cluster/deploy_manifests.rs` (components as processes) and the
//! conformance harness's `split` backend (components as containers); both include this
//! file with `#[path]`. Errors are strings: one caller panics with them, the other wraps
//! them in its `Failure`.

#![allow(dead_code)] // each includer uses a part

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The components' namespace (`deploy/base/namespace.yaml`).
pub const NAMESPACE: &str = "kube-sa-system";
/// The controller-manager's Deployment and service account.
pub const CONTROLLER_MANAGER: &str = "kube-sa-controller-manager";
/// The webhook's Deployment, service account and Service.
pub const WEBHOOK: &str = "kube-sa-webhook";
/// The MutatingWebhookConfiguration and the one webhook in it.
pub const WEBHOOK_CONFIGURATION: &str = "kube-sa-serviceaccount";
pub const WEBHOOK_NAME: &str = "serviceaccount.kube-sa.io";

/// `rel` in this checkout.
pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The kustomization of a mode: `deploy/` (bound) or `deploy/legacy`.
pub fn overlay(mode: kube_sa::Mode) -> PathBuf {
    match mode {
        kube_sa::Mode::Legacy => repo_path("deploy/legacy"),
        kube_sa::Mode::Bound => repo_path("deploy"),
    }
}

/// Runs `kubectl ARGS` (from PATH, or `$KUBECTL`) against `kubeconfig`; its stdout, or
/// an error with its stderr.
pub fn kubectl(kubeconfig: &Path, args: &[&str], stdin: Option<&str>) -> Result<String, String> {
    use std::io::Write as _;
    let binary = std::env::var("KUBECTL").unwrap_or_else(|_| "kubectl".to_string());
    let mut child = Command::new(&binary)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("running {binary} {args:?}: {e} (deploy/ is applied with kubectl)"))?;
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(input.as_bytes())
            .map_err(|e| format!("writing to {binary} {args:?}: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("waiting for {binary} {args:?}: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(stdout)
    } else {
        Err(format!(
            "{binary} {} failed ({}): {stdout}{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// `kubectl apply -k DIR`.
pub fn apply(kubeconfig: &Path, dir: &Path) -> Result<String, String> {
    kubectl(kubeconfig, &["apply", "-k", &dir.to_string_lossy()], None)
}

/// `kubectl kustomize DIR`: the manifests as they are applied.
pub fn render(kubeconfig: &Path, dir: &Path) -> Result<String, String> {
    kubectl(kubeconfig, &["kustomize", &dir.to_string_lossy()], None)
}

/// `deploy/make-secrets.sh --service-account-key-file KEY` against `kubeconfig`.
pub fn make_secrets(kubeconfig: &Path, key: &Path) -> Result<(), String> {
    let out = Command::new(repo_path("deploy/make-secrets.sh"))
        .arg("--service-account-key-file")
        .arg(key)
        .env("KUBECONFIG", kubeconfig)
        .output()
        .map_err(|e| format!("running deploy/make-secrets.sh: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "deploy/make-secrets.sh failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Deployment `name` of the rendered manifests, as JSON.
pub fn deployment(rendered: &str, name: &str) -> Result<serde_json::Value, String> {
    use serde::Deserialize as _;
    for doc in serde_yaml::Deserializer::from_str(rendered) {
        let doc = serde_json::Value::deserialize(doc)
            .map_err(|e| format!("the rendered manifests are not YAML: {e}"))?;
        if doc["kind"] == "Deployment" && doc["metadata"]["name"] == name {
            return Ok(doc);
        }
    }
    Err(format!("deploy/ has no Deployment {name}"))
}

/// The first container's arguments of a Deployment.
pub fn container_args(deployment: &serde_json::Value) -> Result<Vec<String>, String> {
    let name = deployment["metadata"]["name"].as_str().unwrap_or_default();
    deployment["spec"]["template"]["spec"]["containers"][0]["args"]
        .as_array()
        .ok_or_else(|| format!("Deployment {name} has no container args"))?
        .iter()
        .map(|arg| {
            arg.as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("Deployment {name} has an argument that is no string"))
        })
        .collect()
}

/// The container arguments of Deployment `name` in the rendered manifests, with the
/// values of the flags in `local` replaced (paths and addresses of this machine); every
/// flag in `local` must be among them.
pub fn deployment_args(
    rendered: &str,
    name: &str,
    local: &[(&str, String)],
) -> Result<Vec<String>, String> {
    let args = container_args(&deployment(rendered, name)?)?;
    let mut replaced = Vec::new();
    let args: Vec<String> = args
        .into_iter()
        .map(|arg| {
            let flag = arg.split('=').next().unwrap_or(&arg).to_string();
            match local.iter().find(|(name, _)| *name == flag) {
                Some((name, value)) => {
                    replaced.push(*name);
                    format!("{name}={value}")
                }
                None => arg,
            }
        })
        .collect();
    for (flag, _) in local {
        if !replaced.contains(flag) {
            return Err(format!("{name} is deployed without {flag}"));
        }
    }
    Ok(args)
}
