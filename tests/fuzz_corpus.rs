//! Replays the fuzz targets' seed corpus (`fuzz/corpus/<target>/seed-*`) through the same
//! target functions cargo-fuzz runs (`fuzz/src/lib.rs`), inside kube-sa's own build: a
//! regression test of every seed, and of every crash input once it is added as a seed,
//! without building the fuzz crate. Long fuzzing runs are `cargo fuzz run` (fuzz/README.md).

#[path = "../fuzz/src/lib.rs"]
mod targets;

use std::path::Path;

#[test]
fn every_fuzz_target_has_a_replay() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/fuzz_targets");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("fuzz/fuzz_targets")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".rs"))
                .map(str::to_string)
        })
        .collect();
    on_disk.sort();
    let mut replayed: Vec<String> = targets::TARGETS
        .iter()
        .map(|(n, _)| n.to_string())
        .collect();
    replayed.sort();
    assert_eq!(on_disk, replayed);
}

#[test]
fn the_seed_corpus_replays_without_a_crash() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    for &(name, run) in targets::TARGETS {
        let mut seeds: Vec<_> = std::fs::read_dir(corpus.join(name))
            .unwrap_or_else(|e| panic!("fuzz/corpus/{name}: {e}"))
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("seed-"))
            })
            .collect();
        seeds.sort();
        assert!(!seeds.is_empty(), "fuzz/corpus/{name} has no seed");
        for seed in seeds {
            let data = std::fs::read(&seed).expect("seed");
            // A panic names the seed: the target's own assertions are the checks.
            let outcome = std::panic::catch_unwind(|| run(&data));
            assert!(outcome.is_ok(), "{name}: {} panicked", seed.display());
        }
    }
}
