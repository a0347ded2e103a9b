//! Memory of the 10,000-namespace cluster: RSS of a process running the embedded cluster,
//! its controllers and the 16 (idle) creator clients, once every namespace has `default`
//! and its token Secret. Target: <= 150 MB (10^6 bytes).
//! Each run is a fresh child process (this binary again), so nothing else is resident;
//! the figure is the median over the runs.
//!
//! `cargo bench --bench scale_memory`

mod common;
#[path = "common/load.rs"]
mod load;
#[path = "common/scale.rs"]
mod scale;

use common::{median, report, rss_mib, spread, Target};
use kube_sa::serviceaccount::SigningKey;
use std::process::Command;
use std::sync::Arc;

const CHILD: &str = "KUBE_SA_SCALE_MEMORY_CHILD";
const MIB: f64 = 1.048_576;

/// One run in this process; prints `rss-mb <value>` for the parent.
fn child() {
    let runtime = common::runtime();
    let key = Arc::new(SigningKey::generate_rsa(2048).expect("RSA key"));
    let (rss, peak, run) = runtime.block_on(async {
        let run = scale::run(key).await;
        // Let the last watch events and queue items settle before reading RSS.
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let (rss, peak) = rss_mib();
        let figures = (run.created, run.converged, run.cpu);
        run.server.shutdown().await;
        (rss, peak, figures)
    });
    println!(
        "  namespaces created in {:.2} s, converged in {:.2} s (process CPU {:.2} s); RSS {:.0} MB, peak {:.0} MB",
        run.0.as_secs_f64(),
        run.1.as_secs_f64(),
        run.2.as_secs_f64(),
        rss * MIB,
        peak * MIB
    );
    println!("rss-mb {}", rss * MIB);
}

fn main() {
    if std::env::var_os(CHILD).is_some() {
        return child();
    }
    let rounds = common::rounds(3);
    let exe = std::env::current_exe().expect("own path");
    let mut figures = Vec::new();
    for round in 1..=rounds {
        let output = Command::new(&exe)
            .env(CHILD, "1")
            .output()
            .expect("child run");
        let text = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            eprintln!(
                "run {round} failed:\n{text}\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
            std::process::exit(1);
        }
        for line in text.lines().filter(|l| l.starts_with("  ")) {
            println!("run {round}:{line}");
        }
        let rss = text
            .lines()
            .find_map(|l| l.strip_prefix("rss-mb "))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .expect("child reported its RSS");
        figures.push(rss);
    }
    println!(
        "RSS with 10,000 namespaces converged, MB: {}",
        spread(&figures)
    );
    report(
        "memory of the 10,000-namespace cluster (RSS)",
        median(&figures),
        "MB",
        Target::AtMost(150.0),
    );
}
