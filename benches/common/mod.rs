//! Helpers shared by the benchmark binaries: medians, CPU time, RSS, `openssl speed`,
//! and the one-line report format every benchmark ends with.
//!
//! Each benchmark includes this file with `mod common;`; not every one uses every helper.
#![allow(dead_code)]

/// The allocator of the `kube-sa` binary (the `jemalloc` feature, on by default), so that
/// the figures are the binary's.
#[cfg(feature = "jemalloc")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::process::Command;
use std::time::{Duration, Instant};

/// The median of `samples` (the mean of the middle two for an even count).
pub fn median(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// `min / median / max` of the samples, for the detail lines.
pub fn spread(samples: &[f64]) -> String {
    let min = samples.iter().copied().fold(f64::INFINITY, f64::min);
    let max = samples.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!(
        "min {} / median {} / max {} (n={})",
        fmt(min),
        fmt(median(samples)),
        fmt(max),
        samples.len()
    )
}

/// A number with a precision that suits its size.
pub fn fmt(value: f64) -> String {
    if value.abs() >= 1000.0 {
        let whole = value.round() as i64;
        let digits = whole.abs().to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        if whole < 0 {
            format!("-{grouped}")
        } else {
            grouped
        }
    } else if value.abs() >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

/// Whether the measured figure met its target.
#[derive(Clone, Copy)]
pub enum Target {
    AtMost(f64),
    AtLeast(f64),
}

impl Target {
    fn met(self, measured: f64) -> bool {
        match self {
            Target::AtMost(limit) => measured <= limit,
            Target::AtLeast(limit) => measured >= limit,
        }
    }

    fn describe(self, unit: &str) -> String {
        match self {
            Target::AtMost(limit) => format!("<= {} {unit}", fmt(limit)),
            Target::AtLeast(limit) => format!(">= {} {unit}", fmt(limit)),
        }
    }
}

/// Prints the result line: `RESULT <figure> | <measured> <unit> | target <..> | MET/MISSED`.
pub fn report(figure: &str, measured: f64, unit: &str, target: Target) {
    let verdict = if target.met(measured) {
        "MET"
    } else {
        "MISSED"
    };
    println!(
        "RESULT {figure} | {} {unit} | target {} | {verdict}",
        fmt(measured),
        target.describe(unit)
    );
}

/// CPU time this thread has used (`/proc/thread-self/schedstat`, nanoseconds on the CPU).
/// `openssl speed` counts CPU time too, so rates compared with it use this clock.
pub fn thread_cpu_time() -> Duration {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let nanos = text
        .split_whitespace()
        .next()
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    Duration::from_nanos(nanos)
}

/// Wall time and thread CPU time of one run of `work`.
pub fn timed<T>(work: impl FnOnce() -> T) -> (T, Duration, Duration) {
    let cpu = thread_cpu_time();
    let wall = Instant::now();
    let out = work();
    (out, wall.elapsed(), thread_cpu_time().saturating_sub(cpu))
}

/// Resident set size and its high-water mark of this process, in MiB.
pub fn rss_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
            .unwrap_or(f64::NAN)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// RSA-2048 signatures per CPU-second, as `openssl speed rsa2048` reports them
/// (it counts CPU time unless `-elapsed` is given). Runs `openssl speed -mr`.
pub fn openssl_rsa2048_sign_per_sec(seconds: u32) -> Result<f64, String> {
    openssl_speed("rsa2048", seconds).map(|rates| rates.sign)
}

/// Signatures and verifications per CPU-second of one `openssl speed` algorithm.
#[derive(Clone, Copy, Debug)]
pub struct OpensslRates {
    pub sign: f64,
    pub verify: f64,
}

/// Runs `openssl speed -mr -seconds <seconds> <algorithm>` (`rsa2048`, `ecdsap256`) and
/// reads its sign/s and verify/s: the `+F2:` line for RSA, `+F4:` for ECDSA, each
/// `<index>:<bits>:<sign/s>:<verify/s>`. Both rates are per CPU-second.
pub fn openssl_speed(algorithm: &str, seconds: u32) -> Result<OpensslRates, String> {
    let output = Command::new("openssl")
        .args(["speed", "-mr", "-seconds", &seconds.to_string(), algorithm])
        .output()
        .map_err(|e| format!("running openssl speed: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let prefix = if algorithm.starts_with("rsa") {
        "+F2:"
    } else {
        "+F4:"
    };
    text.lines()
        .find_map(|line| line.strip_prefix(prefix))
        .and_then(|rest| {
            let fields: Vec<&str> = rest.split(':').collect();
            let rate = |i: usize| fields.get(i).and_then(|v| v.trim().parse::<f64>().ok());
            Some(OpensslRates {
                sign: rate(2)?,
                verify: rate(3)?,
            })
        })
        .ok_or_else(|| format!("no {prefix} line in openssl speed output:\n{text}"))
}

/// CPU time used so far by this process's threads whose name starts with `prefix`
/// (`/proc/self/task/*/comm` and `schedstat`). Threads that have exited are not counted,
/// so measure while the runtime whose threads these are is alive.
pub fn threads_cpu_time(prefix: &str) -> Duration {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    let mut nanos = 0u64;
    for task in tasks.flatten() {
        let path = task.path();
        let named = std::fs::read_to_string(path.join("comm"))
            .is_ok_and(|comm| comm.trim_end().starts_with(prefix));
        if !named {
            continue;
        }
        nanos += std::fs::read_to_string(path.join("schedstat"))
            .ok()
            .and_then(|text| text.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0);
    }
    Duration::from_nanos(nanos)
}

/// A runtime like the one `kube-sa serve` runs on: one worker per core.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Rounds to run, from `KUBE_SA_BENCH_ROUNDS` (for a quicker look), else `default`.
pub fn rounds(default: usize) -> usize {
    std::env::var("KUBE_SA_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .filter(|&r| r > 0)
        .unwrap_or(default)
}

/// Runs `batch` (which does `per_batch` operations) on this thread until it has used
/// `cpu_budget` of CPU time. Returns operations per CPU-second and per wall-second.
/// The CPU-time rate is what one core does, whatever else the machine runs.
pub fn single_core_rate(
    cpu_budget: Duration,
    per_batch: u64,
    mut batch: impl FnMut(),
) -> (f64, f64) {
    let cpu_start = thread_cpu_time();
    let wall_start = Instant::now();
    let mut done = 0u64;
    loop {
        batch();
        done += per_batch;
        if thread_cpu_time().saturating_sub(cpu_start) >= cpu_budget {
            break;
        }
    }
    let cpu = thread_cpu_time().saturating_sub(cpu_start).as_secs_f64();
    (
        done as f64 / cpu,
        done as f64 / wall_start.elapsed().as_secs_f64(),
    )
}

/// CPU time (user + system) this whole process has used, from `/proc/self/stat`.
pub fn process_cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at field 3.
    let after_name = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 (1-based), here 11 and 12 (0-based after the name).
    let total = ticks(11) + ticks(12);
    Duration::from_millis(total * 10)
}

/// An Opaque Secret with a label and a little data, as the API benches create.
pub fn sample_secret(name: String) -> k8s_openapi::api::core::v1::Secret {
    k8s_openapi::api::core::v1::Secret {
        metadata: kube::api::ObjectMeta {
            name: Some(name),
            labels: Some([("app".to_string(), "bench".to_string())].into()),
            ..Default::default()
        },
        type_: Some("Opaque".into()),
        data: Some(
            [
                (
                    "username".to_string(),
                    k8s_openapi::ByteString(b"admin".to_vec()),
                ),
                (
                    "password".to_string(),
                    k8s_openapi::ByteString(b"c2VjcmV0LXBhc3N3b3Jk".to_vec()),
                ),
            ]
            .into(),
        ),
        ..Default::default()
    }
}

/// Where benches that write to disk make their temporary directories: `KUBE_SA_BENCH_DIR`,
/// else the target directory (the disk the project is built on, not a tmpfs `/tmp`).
pub fn bench_dir() -> std::path::PathBuf {
    std::env::var_os("KUBE_SA_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")))
}
