//! Fuzzing every reader of outside bytes with the stable driver (tests/fuzz/driver.rs): each
//! target runs for `QUANTPLAY_FUZZ_SECONDS` (2 s by default; `scripts/test native` asks for 20,
//! `scripts/fuzz N` for N) from the committed seed corpus with mutator seed
//! `QUANTPLAY_FUZZ_SEED` (default 1), and must finish with no panic, no input over 1 s and no
//! allocation over 1 GiB. The committed corpus and every crash ever found (tests/fuzz/crashes/)
//! replay as regression tests. Crash inputs of a run are written under the target folder's
//! tmp/fuzz-crashes/; copy them into tests/fuzz/crashes/TARGET/ once fixed.
//!
//! The URL-hash parser is not here: it is JavaScript only (www/url-sync.js, www/state.js).

#[path = "fuzz/alloc.rs"]
mod alloc;
#[path = "fuzz/driver.rs"]
mod driver;
#[path = "fuzz/mutate.rs"]
mod mutate;
#[path = "fuzz/seeds.rs"]
mod seeds;
#[path = "fuzz/targets.rs"]
mod targets;

use std::path::{Path, PathBuf};

#[global_allocator]
static ALLOC: alloc::Limited = alloc::Limited;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fuzz")
}

fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).map(|p| (p.clone(), std::fs::read(&p).unwrap())).collect())
        .unwrap_or_default();
    out.sort();
    out
}

fn target(name: &str) -> targets::Target {
    targets::TARGETS.iter().find(|(n, _)| *n == name).unwrap_or_else(|| panic!("no target {name}")).1
}

fn env_number(name: &str, default: f64) -> f64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn fuzz(name: &str) {
    let seeds: Vec<Vec<u8>> = files(&root().join("corpus").join(name)).into_iter().map(|(_, b)| b).collect();
    assert!(!seeds.is_empty(), "tests/fuzz/corpus/{name} has no seed");
    let seconds = env_number("QUANTPLAY_FUZZ_SECONDS", 2.0);
    let rng_seed = env_number("QUANTPLAY_FUZZ_SEED", 1.0) as u64;
    let crash_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-crashes").join(name);
    let report = driver::fuzz(name, target(name), seeds, seconds, rng_seed, &crash_dir);
    eprintln!("{} (mutator seed {rng_seed})", report.line());
    let listed: Vec<String> = report.crashes.iter().map(|c| format!("{} ({})", c.message, c.file.display())).collect();
    assert!(report.crashes.is_empty(), "{name}: {} crashes:\n{}", listed.len(), listed.join("\n"));
    assert!(report.execs > 0);
}

#[test]
fn fuzzing_the_safetensors_weights_reader_finds_no_crash() {
    fuzz("safetensors_weights");
}

#[test]
fn fuzzing_the_calibration_data_reader_finds_no_crash() {
    fuzz("data_file");
}

#[test]
fn fuzzing_the_json_model_spec_parser_finds_no_crash() {
    fuzz("model_spec");
}

#[test]
fn fuzzing_the_int8_model_reader_finds_no_crash() {
    fuzz("int8_model");
}

#[test]
fn fuzzing_the_scaler_schedule_parser_finds_no_crash() {
    fuzz("schedule");
}

#[test]
fn the_seed_corpus_is_what_the_library_writes_and_every_seed_is_accepted() {
    let write = std::env::var("QUANTPLAY_FUZZ_WRITE_SEEDS").is_ok_and(|v| v == "1");
    for (t, name, bytes) in seeds::all() {
        let path = root().join("corpus").join(t).join(&name);
        if write {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        }
        let class = driver::run_once(target(t), &bytes).unwrap_or_else(|e| panic!("{t}/{name}: {e}"));
        assert!(class.starts_with("ok"), "{t}/{name} is a valid file but gave {class}");
        let committed = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // Same length, not the same bytes: the int8 files' metadata map has no fixed order.
        assert_eq!(committed.len(), bytes.len(), "{t}/{name} differs from what the library writes");
    }
}

#[test]
fn every_committed_crash_and_corpus_file_now_runs_cleanly() {
    let mut ran = 0;
    for kind in ["corpus", "crashes"] {
        for (name, t) in targets::TARGETS {
            for (path, bytes) in files(&root().join(kind).join(name)) {
                if let Err(e) = driver::run_once(*t, &bytes) {
                    panic!("{} fails again: {e}", path.display());
                }
                ran += 1;
            }
        }
    }
    assert!(ran >= targets::TARGETS.len(), "ran {ran} files");
}

#[test]
fn a_panic_a_slow_input_and_a_huge_allocation_are_each_caught_as_a_crash() {
    let panics: targets::Target = |b| if b.first() == Some(&1) { panic!("boom") } else { "ok".into() };
    assert!(driver::run_once(panics, &[1]).unwrap_err().contains("panic: boom"));
    assert_eq!(driver::run_once(panics, &[0]).unwrap(), "ok");
    let huge: targets::Target = |_| format!("{}", Vec::<u8>::with_capacity((1 << 30) + 1).capacity());
    assert!(driver::run_once(huge, &[]).unwrap_err().contains("allocation"));
    let slow: targets::Target = |_| {
        std::thread::sleep(std::time::Duration::from_millis(1100));
        "ok".into()
    };
    assert!(driver::run_once(slow, &[]).unwrap_err().starts_with("slow"));
}
