//! Token minting, RS256 with a 2048-bit key, one core, against `openssl speed rsa2048`.
//!
//! Each round runs `openssl speed rsa2048` and then mints legacy tokens on this one thread
//! for the same time; both rates are per CPU-second (what `openssl speed` reports), so
//! other load on the machine does not tilt the ratio. Target: ratio >= 90 %.
//!
//! `cargo bench --bench token_rs256`

mod common;

use common::{fmt, median, openssl_rsa2048_sign_per_sec, report, single_core_rate, spread, Target};
use kube_sa::serviceaccount::{SigningKey, TokenGenerator};
use std::sync::Arc;
use std::time::Duration;

const SECONDS_PER_SIDE: u32 = 3;

fn mint(generator: &TokenGenerator, cpu_seconds: f64) -> (f64, f64) {
    single_core_rate(Duration::from_secs_f64(cpu_seconds), 16, || {
        for i in 0..16 {
            let token = generator
                .legacy_token(
                    "bench",
                    "default",
                    "0b9c6f3e-uid",
                    &format!("default-token-{i:05}"),
                )
                .expect("token");
            std::hint::black_box(token);
        }
    })
}

fn main() {
    let rounds = common::rounds(5);
    let key = Arc::new(SigningKey::generate_rsa(2048).expect("RSA key"));
    let generator = TokenGenerator::legacy(key);
    mint(&generator, 0.5); // warm-up

    let (mut ours, mut ours_wall, mut theirs, mut ratios) = (vec![], vec![], vec![], vec![]);
    for round in 1..=rounds {
        let openssl = match openssl_rsa2048_sign_per_sec(SECONDS_PER_SIDE) {
            Ok(rate) => rate,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        };
        let (rate, wall_rate) = mint(&generator, f64::from(SECONDS_PER_SIDE));
        println!(
            "round {round}: openssl speed rsa2048 {} sign/s; kube-sa RS256 {} tokens/s per CPU-second ({} per wall-second); ratio {:.1} %",
            fmt(openssl),
            fmt(rate),
            fmt(wall_rate),
            100.0 * rate / openssl
        );
        ours.push(rate);
        ours_wall.push(wall_rate);
        theirs.push(openssl);
        ratios.push(100.0 * rate / openssl);
    }
    println!("openssl speed rsa2048 sign/s (CPU): {}", spread(&theirs));
    println!("kube-sa RS256 tokens/s (CPU):       {}", spread(&ours));
    println!("kube-sa RS256 tokens/s (wall):      {}", spread(&ours_wall));
    report(
        "token minting RS256-2048, one core, % of openssl speed rsa2048 sign/s",
        median(&ratios),
        "%",
        Target::AtLeast(90.0),
    );
}
