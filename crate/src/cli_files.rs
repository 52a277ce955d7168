//! The CLI's file access: inputs read whole under a size limit, outputs written so that no
//! reader ever sees half a file, and an output path that names an input refused.
//!
//! - [`read_input`] refuses a file over `rules::limits::MAX_INPUT_BYTES` (also an endless one
//!   such as `/dev/zero`) before it is parsed;
//! - [`write_atomic`] writes to a temporary file in the target's folder (`.NAME.tmp-PID-N`),
//!   syncs it and renames it over the target, so a failed write, a crash or Ctrl-C leaves the
//!   old file (or none) at the target, never a truncated one; on an error the temporary file is
//!   removed; Ctrl-C or SIGTERM mid-write removes it too, and a SIGKILL's leftover is removed by
//!   the next write to the same target (`cli_interrupt.rs`);
//! - [`refuse_overwriting_inputs`] fails when `--out` is the same file as an input, by device
//!   and inode on Unix (so `./a/../w.st`, symlinks and hard links count), by canonical path
//!   elsewhere.
//!
//! Not here: what the bytes mean (the library parses them).

use quantplay::rules::limits::{check_input_size, MAX_INPUT_BYTES};
use quantplay::{Error, Result};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

fn io_error(flag: &'static str, path: &Path, what: &str, e: std::io::Error) -> Error {
    Error::InvalidArgument { name: flag, value: path.display().to_string(), valid: format!("{what} ({e})") }
}

/// Reads `path` (given as `flag`) whole, refusing it when over [`MAX_INPUT_BYTES`].
pub fn read_input(flag: &'static str, path: &str) -> Result<Vec<u8>> {
    read_bounded(flag, Path::new(path), MAX_INPUT_BYTES)
}

fn read_bounded(flag: &'static str, path: &Path, limit: u64) -> Result<Vec<u8>> {
    let what = || format!("{flag} {}", path.display());
    let file = std::fs::File::open(path).map_err(|e| io_error(flag, path, "a readable file", e))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    check_input_size(&what(), len, limit)?;
    let mut bytes = Vec::with_capacity(len as usize);
    // `take` stops an endless or growing file one byte past the limit.
    file.take(limit + 1).read_to_end(&mut bytes).map_err(|e| io_error(flag, path, "a readable file", e))?;
    check_input_size(&what(), bytes.len() as u64, limit)?;
    Ok(bytes)
}

#[cfg(unix)]
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(a: &Path, b: &Path) -> bool {
    matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

/// Fails when `out` (given as `--out`) is the same file as one of `inputs` (`(flag, path)`).
/// An `out` that does not exist yet cannot be an input.
pub fn refuse_overwriting_inputs(out: &str, inputs: &[(&str, &str)]) -> Result<()> {
    if let Some((flag, path)) = inputs.iter().find(|(_, p)| same_file(Path::new(out), Path::new(p))) {
        return Err(Error::InvalidArgument {
            name: "--out",
            value: out.into(),
            valid: format!("a path that is not an input; it is the same file as {flag} {path}"),
        });
    }
    Ok(())
}

static TEMP_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Writes `path` through `write` atomically: a temporary file in the same folder, synced, then
/// renamed over `path`. On any error the temporary file is removed and `path` is as it was.
pub fn write_atomic(path: &str, write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>) -> Result<()> {
    let target = Path::new(path);
    let name = target.file_name().ok_or_else(|| Error::InvalidArgument {
        name: "--out",
        value: path.into(),
        valid: "a file path (it names a folder or ends in ..)".into(),
    })?;
    let dir = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let temp = dir.join(format!(".{}.tmp-{}-{n}", name.to_string_lossy(), std::process::id()));
    crate::cli_interrupt::remove_stale_temps(dir, &name.to_string_lossy());
    crate::cli_interrupt::arm(&temp);
    let result = (|| {
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&temp)?;
        write(&mut f)?;
        f.flush()?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&temp, target)
    })();
    let result = result.map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        io_error("--out", target, "a writable path", e)
    });
    crate::cli_interrupt::disarm();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(test: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("quantplay-files-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn entries(d: &Path) -> Vec<String> {
        let mut v: Vec<String> =
            std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    #[test]
    fn a_failing_write_leaves_the_old_file_and_no_temporary_file() {
        let d = dir("fail");
        let out = d.join("model.int8.safetensors");
        std::fs::write(&out, b"old model").unwrap();
        let e = write_atomic(out.to_str().unwrap(), |f| {
            f.write_all(b"half of a new")?;
            Err(std::io::Error::other("disk full"))
        })
        .unwrap_err();
        assert!(e.to_string().contains("disk full") && e.to_string().contains("--out"), "{e}");
        assert_eq!(std::fs::read(&out).unwrap(), b"old model");
        assert_eq!(entries(&d), ["model.int8.safetensors"]);
        let fresh = d.join("new.safetensors");
        assert!(write_atomic(fresh.to_str().unwrap(), |_| Err(std::io::Error::other("boom"))).is_err());
        assert_eq!(entries(&d), ["model.int8.safetensors"], "no partial file at a new target either");
    }

    #[test]
    fn a_successful_write_replaces_the_target_whole() {
        let d = dir("ok");
        let out = d.join("m.st");
        std::fs::write(&out, b"a much longer old file").unwrap();
        write_atomic(out.to_str().unwrap(), |f| f.write_all(b"new")).unwrap();
        assert_eq!((std::fs::read(&out).unwrap(), entries(&d)), (b"new".to_vec(), vec!["m.st".to_string()]));
        let missing = d.join("no-such-folder").join("m.st");
        assert!(write_atomic(missing.to_str().unwrap(), |f| f.write_all(b"x")).is_err());
    }

    #[test]
    fn an_output_that_is_an_input_under_another_spelling_is_refused() {
        let d = dir("same");
        let w = d.join("w.st");
        std::fs::write(&w, b"weights").unwrap();
        let spelled = d.join("sub").join("..").join("w.st");
        std::fs::create_dir_all(d.join("sub")).unwrap();
        let inputs = [("--spec", "/nonexistent/spec.json"), ("--weights", w.to_str().unwrap())];
        let e = refuse_overwriting_inputs(spelled.to_str().unwrap(), &inputs).unwrap_err().to_string();
        assert!(e.contains("--weights") && e.contains("not an input"), "{e}");
        assert!(refuse_overwriting_inputs(d.join("other.st").to_str().unwrap(), &inputs).is_ok());
        assert_eq!(std::fs::read(&w).unwrap(), b"weights");
    }

    #[test]
    fn an_endless_or_oversized_input_is_refused_before_it_is_parsed() {
        let e = read_bounded("--calib", Path::new("/dev/zero"), 1 << 16).unwrap_err().to_string();
        assert!(e.contains("--calib /dev/zero") && e.contains("65537 bytes"), "{e}");
        let d = dir("big");
        std::fs::write(d.join("big"), vec![0u8; 100]).unwrap();
        let e = read_bounded("--weights", &d.join("big"), 99).unwrap_err().to_string();
        assert!(e.contains("100 bytes") && e.contains("at most 99"), "{e}");
        assert_eq!(read_bounded("--weights", &d.join("big"), 100).unwrap().len(), 100);
    }

    /// The library and the CLI write files only through [`write_atomic`]: a new `--out` (trained
    /// weights, logs, ONNX) that wrote directly would bring back truncated files on a kill.
    #[test]
    fn every_file_the_crate_writes_goes_through_write_atomic() {
        fn walk(d: &Path, found: &mut Vec<String>) {
            for e in std::fs::read_dir(d).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, found);
                } else if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("cli_files.rs") {
                    let text = std::fs::read_to_string(&p).unwrap();
                    for (i, line) in text.lines().enumerate() {
                        if ["fs::write(", "File::create(", "OpenOptions::new("].iter().any(|w| line.contains(w)) {
                            found.push(format!("{}:{}: {}", p.display(), i + 1, line.trim()));
                        }
                    }
                }
            }
        }
        let mut found = Vec::new();
        walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut found);
        assert!(found.is_empty(), "files written outside cli_files::write_atomic:\n{}", found.join("\n"));
    }
}
