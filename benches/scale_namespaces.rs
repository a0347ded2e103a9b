//! Scale: 10,000 namespaces created at once (16 API clients) → each has `default` and its
//! token Secret, made by the in-process controllers signing RS256 with a 2048-bit key.
//! Target: converged within 0.85 × (10,000 ÷ RS256 signing rate), the rate measured in the
//! same run on one core (legacy tokens per CPU-second, as the `token_rs256` bench does).
//!
//! `cargo bench --bench scale_namespaces`

mod common;
#[path = "common/load.rs"]
mod load;
#[path = "common/scale.rs"]
mod scale;

use common::{fmt, median, report, single_core_rate, spread, Target};
use kube_sa::serviceaccount::{SigningKey, TokenGenerator};
use std::sync::Arc;
use std::time::Duration;

fn signing_rate(key: &Arc<SigningKey>) -> f64 {
    let generator = TokenGenerator::legacy(key.clone());
    single_core_rate(Duration::from_secs(2), 16, || {
        for i in 0..16 {
            std::hint::black_box(
                generator
                    .legacy_token("bench", "default", "uid", &format!("default-token-{i}"))
                    .expect("token"),
            );
        }
    })
    .0
}

fn main() {
    let rounds = common::rounds(3);
    let runtime = common::runtime();
    let key = Arc::new(SigningKey::generate_rsa(2048).expect("RSA key"));
    let (mut ratios, mut converged, mut rates) = (vec![], vec![], vec![]);
    for round in 1..=rounds {
        let rate = signing_rate(&key);
        let bound = scale::NAMESPACES as f64 / rate;
        let run = runtime.block_on(async {
            let run = scale::run(key.clone()).await;
            let (created, converged, cpu) = (run.created, run.converged, run.cpu);
            run.server.shutdown().await;
            (created, converged, cpu)
        });
        let seconds = run.1.as_secs_f64();
        println!(
            "round {round}: signing {} tokens/s on one core → 10,000 signatures = {bound:.2} s; namespaces created in {:.2} s, converged in {seconds:.2} s ({:.2} × the signing time); process CPU {:.2} s ({:.0} % of 2 cores)",
            fmt(rate),
            run.0.as_secs_f64(),
            seconds / bound,
            run.2.as_secs_f64(),
            50.0 * run.2.as_secs_f64() / seconds
        );
        ratios.push(seconds / bound);
        converged.push(seconds);
        rates.push(rate);
    }
    println!("signing rate, tokens/s: {}", spread(&rates));
    println!("converged, s:           {}", spread(&converged));
    println!("converged / (10,000 ÷ signing rate): {}", spread(&ratios));
    report(
        "scale: 10,000 namespaces → default SA + token secret, as multiple of 10,000 ÷ signing rate",
        median(&ratios),
        "×",
        Target::AtMost(0.85),
    );
}
