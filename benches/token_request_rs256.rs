//! TokenRequest over HTTPS, RS256 with a 2048-bit signing key, 16 concurrent clients
//! against an embedded cluster in bound mode: tokens per CPU-second the process uses,
//! against `openssl speed rsa2048` sign/s measured in the same round. Target: >= 0.85 ×.
//!
//! Clients and server share this process and the machine's cores; the process figure
//! counts both (as the target asks). The server's own threads are also printed apart,
//! which is what a separate client would see.
//!
//! `cargo bench --bench token_request_rs256`

mod common;
#[path = "common/token_request.rs"]
mod token_request;

use common::{fmt, median, report, spread, Target};
use kube_sa::serviceaccount::SigningKey;

const PER_CLIENT: usize = 150;
const OPENSSL_SECONDS: u32 = 3;

fn main() {
    let rounds = common::rounds(5);
    let bench = token_request::Bench::start(SigningKey::generate_rsa(2048).expect("RSA key"));
    bench.round(PER_CLIENT / 3); // warm-up

    let (mut openssl, mut wall, mut process, mut server, mut ratios, mut server_ratios) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for round in 1..=rounds {
        let sign = match common::openssl_speed("rsa2048", OPENSSL_SECONDS) {
            Ok(rates) => rates.sign,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        };
        let run = bench.round(PER_CLIENT);
        println!(
            "round {round}: openssl speed rsa2048 {} sign/s; {} tokens in {:.2} s ({} tokens/s), process CPU {:.2} s ({:.2} s server threads): {} tokens per process CPU-second ({:.2} ×), {} per server CPU-second ({:.2} ×)",
            fmt(sign),
            run.tokens,
            run.wall.as_secs_f64(),
            fmt(run.per_second()),
            run.process_cpu.as_secs_f64(),
            run.server_cpu.as_secs_f64(),
            fmt(run.per_process_cpu_second()),
            run.per_process_cpu_second() / sign,
            fmt(run.per_server_cpu_second()),
            run.per_server_cpu_second() / sign,
        );
        openssl.push(sign);
        wall.push(run.per_second());
        process.push(run.per_process_cpu_second());
        server.push(run.per_server_cpu_second());
        ratios.push(run.per_process_cpu_second() / sign);
        server_ratios.push(run.per_server_cpu_second() / sign);
    }
    println!(
        "openssl speed rsa2048 sign/s (CPU):         {}",
        spread(&openssl)
    );
    println!(
        "TokenRequest RS256 tokens/s (wall):         {}",
        spread(&wall)
    );
    println!(
        "TokenRequest RS256 tokens/process CPU-s:    {}",
        spread(&process)
    );
    println!(
        "TokenRequest RS256 tokens/server CPU-s:     {}",
        spread(&server)
    );
    println!(
        "ratio to openssl, server threads only:      {}",
        spread(&server_ratios)
    );
    report(
        "TokenRequest over HTTPS, RS256-2048, 16 clients, tokens per process CPU-second ÷ openssl speed rsa2048 sign/s",
        median(&ratios),
        "×",
        Target::AtLeast(0.85),
    );
}
