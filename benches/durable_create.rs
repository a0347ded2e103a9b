//! API: create over HTTPS on loopback, 16 concurrent clients, as `api_create`, but with a
//! data directory (`serve --data-dir`): every create is on disk (fsync) before it is
//! acknowledged, by group commit. Target: >= 2,000 objects/s.
//! Clients and server share this process and the machine's 2 cores; the data directory is
//! a temporary directory under `KUBE_SA_BENCH_DIR` (default: the target directory), which
//! should be on the disk a server would use.
//!
//! `KUBE_SA_BENCH_ENCRYPTION=aesgcm` (or `secretbox`) encrypts the Secrets at rest with
//! that provider (`--encryption-provider-config`, one 32-byte key), to state the cost of
//! encryption on the write rate.
//!
//! `cargo bench --bench durable_create`

mod common;
#[path = "common/create.rs"]
mod create;

use common::{median, report, Target};
use kube_sa::apiserver::encryption::{config, Encryption};
use kube_sa::apiserver::ApiServer;
use std::sync::Arc;

/// Secrets encrypted by `provider` (`aesgcm` or `secretbox`) with one 32-byte key.
fn encryption(provider: &str) -> Arc<Encryption> {
    let yaml = format!(
        "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - {provider}: {{keys: [{{name: bench, secret: MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=}}]}}\n"
    );
    let parsed = config::decode(&yaml).expect("configuration");
    Arc::new(Encryption::from_config(&parsed).expect("valid configuration"))
}

fn main() {
    let rounds = common::rounds(3);
    let provider = std::env::var("KUBE_SA_BENCH_ENCRYPTION").ok();
    let runtime = common::runtime();
    let rates = runtime.block_on(async {
        let dir = tempfile::tempdir_in(common::bench_dir()).expect("data dir");
        let mut builder = ApiServer::builder().data_dir(dir.path());
        if let Some(provider) = &provider {
            builder = builder.encryption(encryption(provider));
        }
        let server = builder.start().await.expect("start");
        create::create_rates(server, rounds).await
    });
    let encrypted = provider
        .map(|p| format!(", Secrets encrypted at rest ({p})"))
        .unwrap_or_default();
    report(
        &format!("API create over HTTPS, loopback, 16 concurrent clients, --data-dir (fsync per acknowledged write, group commit){encrypted}"),
        median(&rates),
        "objects/s",
        Target::AtLeast(2_000.0),
    );
}
