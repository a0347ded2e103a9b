//! Token minting, ES256 (P-256), one core. Target: >= 20,000 tokens/s.
//! Rates are per CPU-second of the minting thread (wall-clock rates printed beside them).
//!
//! `cargo bench --bench token_es256`

mod common;

use common::{median, report, single_core_rate, spread, Target};
use kube_sa::serviceaccount::{SigningKey, TokenGenerator};
use std::sync::Arc;
use std::time::Duration;

fn mint(generator: &TokenGenerator, cpu_budget: Duration) -> (f64, f64) {
    single_core_rate(cpu_budget, 64, || {
        for i in 0..64 {
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
    let rounds = common::rounds(7);
    let key = Arc::new(SigningKey::generate_ecdsa_p256().expect("P-256 key"));
    let generator = TokenGenerator::legacy(key);
    mint(&generator, Duration::from_millis(300)); // warm-up
    let (cpu, wall): (Vec<f64>, Vec<f64>) = (0..rounds)
        .map(|_| mint(&generator, Duration::from_secs(2)))
        .unzip();
    println!("ES256 tokens/s (CPU):  {}", spread(&cpu));
    println!("ES256 tokens/s (wall): {}", spread(&wall));
    report(
        "token minting ES256, one core",
        median(&cpu),
        "tokens/s",
        Target::AtLeast(20_000.0),
    );
}
