//! API: create over HTTPS on loopback, 16 concurrent clients (each its own kube::Client and
//! connection), against the embedded cluster with its service-account components running.
//! Objects are Opaque Secrets with a little data. Target: >= 5,000 objects/s.
//! Clients and server share this process and the machine's 2 cores.
//!
//! `cargo bench --bench api_create`

mod common;
#[path = "common/create.rs"]
mod create;

use common::{median, report, Target};
use kube_sa::apiserver::ApiServer;

fn main() {
    let rounds = common::rounds(5);
    let runtime = common::runtime();
    let rates = runtime.block_on(async {
        let server = ApiServer::builder().start().await.expect("start");
        create::create_rates(server, rounds).await
    });
    report(
        "API create over HTTPS, loopback, 16 concurrent clients",
        median(&rates),
        "objects/s",
        Target::AtLeast(5_000.0),
    );
}
