//! TokenRequest over HTTPS, ES256 (ECDSA P-256) signing key, 16 concurrent clients
//! against an embedded cluster in bound mode. Target: >= 20,000 tokens/s (wall time).
//! Clients and server share this process and the machine's cores; the CPU time of each
//! side is printed per round.
//!
//! `cargo bench --bench token_request_es256`

mod common;
#[path = "common/token_request.rs"]
mod token_request;

use common::{fmt, median, report, spread, Target};
use kube_sa::serviceaccount::SigningKey;

const PER_CLIENT: usize = 600;

fn main() {
    let rounds = common::rounds(5);
    let bench = token_request::Bench::start(SigningKey::generate_ecdsa_p256().expect("P-256 key"));
    bench.round(PER_CLIENT / 3); // warm-up

    let (mut wall, mut process, mut server) = (vec![], vec![], vec![]);
    for round in 1..=rounds {
        let run = bench.round(PER_CLIENT);
        println!(
            "round {round}: {} tokens in {:.2} s ({} tokens/s); process CPU {:.2} s, of it server threads {:.2} s ({} µs per token, {} µs server)",
            run.tokens,
            run.wall.as_secs_f64(),
            fmt(run.per_second()),
            run.process_cpu.as_secs_f64(),
            run.server_cpu.as_secs_f64(),
            fmt(1e6 / run.per_process_cpu_second()),
            fmt(1e6 / run.per_server_cpu_second()),
        );
        wall.push(run.per_second());
        process.push(run.per_process_cpu_second());
        server.push(run.per_server_cpu_second());
    }
    println!("TokenRequest ES256 tokens/s (wall):      {}", spread(&wall));
    println!(
        "TokenRequest ES256 tokens/process CPU-s: {}",
        spread(&process)
    );
    println!(
        "TokenRequest ES256 tokens/server CPU-s:  {}",
        spread(&server)
    );
    report(
        "TokenRequest over HTTPS, ES256, 16 clients",
        median(&wall),
        "tokens/s",
        Target::AtLeast(20_000.0),
    );
}
