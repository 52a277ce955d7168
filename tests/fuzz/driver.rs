//! The stable fuzz driver: runs one target for a given time over a pool of inputs (the seed
//! corpus plus every mutant whose outcome class was new, a coarse stand-in for coverage), and
//! records as a crash any input that panics, runs over [`SLOW`], or allocates over
//! `alloc::LIMIT` in one piece. Each distinct crash (by message, digits dropped) is saved once
//! as a file for the regression corpus. An input still running after [`HUNG`] is saved and the
//! process aborted, since a hung call cannot be stopped from inside.
//!
//! Not here: the mutations (`mutate.rs`), the targets (`targets.rs`).

use super::alloc::take_over_limit;
use super::mutate::Mutator;
use super::targets::Target;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// An input slower than this is a crash ("no hang over 1 s per input").
pub const SLOW: Duration = Duration::from_secs(1);
/// An input still running after this aborts the run (its bytes are saved first).
pub const HUNG: Duration = Duration::from_secs(20);
const MAX_POOL: usize = 512;

/// One distinct crash.
#[derive(Debug)]
pub struct Crash {
    /// What went wrong: `panic: …`, `slow: …` or `allocation: …`.
    pub message: String,
    /// Where its input was saved.
    pub file: PathBuf,
}

/// What one run did.
#[derive(Debug)]
pub struct Report {
    /// The target's name.
    pub target: String,
    /// Inputs run.
    pub execs: u64,
    /// Seconds spent.
    pub secs: f64,
    /// The distinct crashes.
    pub crashes: Vec<Crash>,
    /// Distinct outcome classes seen.
    pub classes: usize,
}

impl Report {
    /// The line `scripts/fuzz` prints and parses.
    pub fn line(&self) -> String {
        format!(
            "fuzz {}: {} executions in {:.1} s ({:.0}/s), {} crashes, {} outcome classes",
            self.target,
            self.execs,
            self.secs,
            self.execs as f64 / self.secs.max(1e-9),
            self.crashes.len(),
            self.classes
        )
    }
}

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
    static LAST_PANIC: RefCell<String> = const { RefCell::new(String::new()) };
}

fn quiet_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.with(Cell::get) {
                let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
                let msg = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                LAST_PANIC.with(|p| *p.borrow_mut() = format!("{msg}{at}"));
            } else {
                previous(info);
            }
        }));
    });
}

/// Runs `target` on `input` once: the outcome class, or what went wrong.
pub fn run_once(target: Target, input: &[u8]) -> Result<String, String> {
    quiet_panics();
    take_over_limit();
    QUIET.with(|q| q.set(true));
    let start = Instant::now();
    let result = std::panic::catch_unwind(|| target(input));
    let took = start.elapsed();
    QUIET.with(|q| q.set(false));
    let over = take_over_limit();
    match result {
        Err(_) => Err(format!("panic: {}", LAST_PANIC.with(|p| p.borrow().clone()))),
        Ok(_) if over > 0 => Err(format!("allocation: one of {over} bytes, over the 1 GiB limit")),
        Ok(_) if took > SLOW => {
            Err(format!("slow: {:.2} s for one input of {} bytes", took.as_secs_f64(), input.len()))
        }
        Ok(class) => Ok(class),
    }
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}

fn save(dir: &Path, kind: &str, input: &[u8]) -> PathBuf {
    std::fs::create_dir_all(dir).expect("crash folder");
    let file = dir.join(format!("{kind}-{:016x}.bin", fnv(input)));
    std::fs::write(&file, input).expect("crash file");
    file
}

/// Fuzzes `target` for `seconds` from `seeds` with mutator seed `rng_seed`; crash inputs go
/// under `crash_dir`.
pub fn fuzz(name: &str, target: Target, seeds: Vec<Vec<u8>>, seconds: f64, rng_seed: u64, crash_dir: &Path) -> Report {
    let mut m = Mutator::new(rng_seed);
    let mut pool = if seeds.is_empty() { vec![Vec::new()] } else { seeds };
    let mut classes = BTreeSet::new();
    let mut crashes: BTreeMap<String, Crash> = BTreeMap::new();
    let current = Arc::new(Mutex::new((None::<Instant>, Vec::new())));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watchdog = {
        let (current, done, dir) = (current.clone(), done.clone(), crash_dir.to_path_buf());
        std::thread::spawn(move || {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let cur = current.lock().unwrap();
                if cur.0.is_some_and(|t| t.elapsed() > HUNG) {
                    let file = save(&dir, "hang", &cur.1);
                    eprintln!("fuzz: an input ran over {HUNG:?}; saved as {}; aborting", file.display());
                    std::process::abort();
                }
            }
        })
    };
    let start = Instant::now();
    let mut execs = 0u64;
    while start.elapsed().as_secs_f64() < seconds {
        let (a, b) = (m.pick_index(pool.len()), m.pick_index(pool.len()));
        let input = if execs < pool.len() as u64 { pool[execs as usize].clone() } else { m.mutate(&pool[a], &pool[b]) };
        *current.lock().unwrap() = (Some(Instant::now()), input.clone());
        let outcome = run_once(target, &input);
        current.lock().unwrap().0 = None;
        execs += 1;
        match outcome {
            Ok(class) => {
                if classes.insert(class) && pool.len() < MAX_POOL {
                    pool.push(input);
                }
            }
            Err(message) => {
                let key: String = message.chars().filter(|c| !c.is_ascii_digit()).collect();
                crashes.entry(key).or_insert_with(|| {
                    let kind = message.split(':').next().unwrap_or("crash").to_string();
                    Crash { file: save(crash_dir, &kind, &input), message }
                });
            }
        }
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    watchdog.join().expect("watchdog");
    Report {
        target: name.into(),
        execs,
        secs: start.elapsed().as_secs_f64(),
        crashes: crashes.into_values().collect(),
        classes: classes.len(),
    }
}
