//! Admission of a typical pod, in-process, one core: `kube_sa::admission::admit_pod`
//! (default account with one token secret; two containers; the token volume and mounts,
//! image-pull secrets added). Target: >= 100,000 pods/s.
//! Pods are cloned outside the timed part; rates are per CPU-second of the admitting thread.
//!
//! `cargo bench --bench admission`

mod common;

use common::{median, report, spread, thread_cpu_time, Target};
use k8s_openapi::api::core::v1::{Pod, Secret, ServiceAccount};
use kube_sa::admission::{admit_pod, Config};
use kube_sa::names::FixedSuffix;
use serde_json::json;
use std::time::{Duration, Instant};

const BATCH: usize = 4096;

fn typical_pod() -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web-7d4b9c8f6-x2x9q", "namespace": "bench", "labels": {"app": "web", "pod-template-hash": "7d4b9c8f6"}},
        "spec": {
            "containers": [
                {"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80}],
                 "env": [{"name": "MODE", "value": "production"}],
                 "volumeMounts": [{"name": "config", "mountPath": "/etc/web"}]},
                {"name": "sidecar", "image": "busybox:1.36", "command": ["sh", "-c", "sleep infinity"]}
            ],
            "volumes": [{"name": "config", "configMap": {"name": "web-config"}}]
        }
    }))
    .expect("pod")
}

fn main() {
    let rounds = common::rounds(7);
    let account: ServiceAccount = serde_json::from_value(json!({
        "metadata": {"name": "default", "namespace": "bench", "uid": "6d1e2f47-5b8a-4c1e-9f3a-2b7c8d9e0f11"},
        "secrets": [{"name": "default-token-x7k2p"}],
        "imagePullSecrets": [{"name": "registry"}]
    }))
    .expect("account");
    let secrets: Vec<Secret> = vec![
        serde_json::from_value(json!({
            "metadata": {"name": "default-token-x7k2p", "namespace": "bench",
                "annotations": {"kubernetes.io/service-account.name": "default",
                                "kubernetes.io/service-account.uid": "6d1e2f47-5b8a-4c1e-9f3a-2b7c8d9e0f11"}},
            "type": "kubernetes.io/service-account-token",
            "data": {"token": "dG9rZW4=", "namespace": "YmVuY2g="}
        }))
        .expect("secret"),
        serde_json::from_value(json!({"metadata": {"name": "registry", "namespace": "bench"}, "type": "kubernetes.io/dockerconfigjson"}))
            .expect("secret"),
    ];
    let names = FixedSuffix("abc12".into());
    let config = Config::default();
    let template = typical_pod();

    // The result is what a real server stores: check it once.
    let mut checked = template.clone();
    admit_pod(
        &mut checked,
        "bench",
        Some(&account),
        &secrets,
        &names,
        &config,
    )
    .expect("admitted");
    let spec = checked.spec.as_ref().expect("spec");
    assert_eq!(spec.service_account_name.as_deref(), Some("default"));
    assert_eq!(
        spec.volumes.as_ref().map(Vec::len),
        Some(2),
        "token volume added"
    );

    let mut cpu_rates = Vec::new();
    let mut wall_rates = Vec::new();
    for _ in 0..rounds {
        let (mut cpu, mut wall, mut admitted) = (Duration::ZERO, Duration::ZERO, 0usize);
        while cpu < Duration::from_secs(1) {
            let mut pods: Vec<Pod> = (0..BATCH).map(|_| template.clone()).collect();
            let cpu_start = thread_cpu_time();
            let wall_start = Instant::now();
            for pod in &mut pods {
                admit_pod(pod, "bench", Some(&account), &secrets, &names, &config)
                    .expect("admitted");
            }
            wall += wall_start.elapsed();
            cpu += thread_cpu_time().saturating_sub(cpu_start);
            admitted += BATCH;
            std::hint::black_box(&pods);
        }
        cpu_rates.push(admitted as f64 / cpu.as_secs_f64());
        wall_rates.push(admitted as f64 / wall.as_secs_f64());
    }
    println!("pods admitted/s (CPU):  {}", spread(&cpu_rates));
    println!("pods admitted/s (wall): {}", spread(&wall_rates));
    report(
        "admission of a typical pod, in-process, one core",
        median(&cpu_rates),
        "pods/s",
        Target::AtLeast(100_000.0),
    );
}
