//! Memory of the 10,000-namespace cluster: RSS of this process (the embedded cluster,
//! its controllers and the 16 idle creator clients) once every namespace has `default` and
//! its token Secret. Target: <= 300 MB. One run per process, so nothing else is resident.
//!
//! `cargo bench --bench scale_memory`

mod common;
#[path = "common/scale.rs"]
mod scale;

use common::{report, rss_mib, Target};
use kube_sa::serviceaccount::SigningKey;
use std::sync::Arc;

fn main() {
    let runtime = common::runtime();
    let key = Arc::new(SigningKey::generate_rsa(2048).expect("RSA key"));
    let (before, _) = rss_mib();
    let (rss, peak, converged) = runtime.block_on(async {
        let run = scale::run(key).await;
        // Let the last watch events and queue items settle before reading RSS.
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let (rss, peak) = rss_mib();
        let converged = run.converged;
        run.server.shutdown().await;
        (rss, peak, converged)
    });
    println!("RSS before the cluster started: {before:.0} MiB; converged in {:.2} s", converged.as_secs_f64());
    println!("RSS with 10,000 namespaces converged: {rss:.0} MiB (peak {peak:.0} MiB)");
    report("memory of the 10,000-namespace cluster (RSS)", rss * 1.048_576, "MB", Target::AtMost(300.0));
    println!("peak RSS during the run: {:.0} MB", peak * 1.048_576);
}
