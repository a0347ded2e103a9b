//! API: create over HTTPS on loopback, 16 concurrent clients, as `api_create`, but with a
//! data directory (`serve --data-dir`): every create is on disk (fsync) before it is
//! acknowledged, by group commit. Target: >= 2,000 objects/s.
//! Clients and server share this process and the machine's 2 cores; the data directory is
//! a temporary directory under `KUBE_SA_BENCH_DIR` (default: the target directory), which
//! should be on the disk a server would use.
//!
//! `cargo bench --bench durable_create`

mod common;
#[path = "common/create.rs"]
mod create;

use common::{median, report, Target};
use kube_sa::apiserver::ApiServer;

fn main() {
    let rounds = common::rounds(3);
    let runtime = common::runtime();
    let rates = runtime.block_on(async {
        let dir = tempfile::tempdir_in(common::bench_dir()).expect("data dir");
        let server = ApiServer::builder()
            .data_dir(dir.path())
            .start()
            .await
            .expect("start");
        create::create_rates(server, rounds).await
    });
    report(
        "API create over HTTPS, loopback, 16 concurrent clients, --data-dir (fsync per acknowledged write, group commit)",
        median(&rates),
        "objects/s",
        Target::AtLeast(2_000.0),
    );
}
