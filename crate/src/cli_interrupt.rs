//! What an interrupted `--out` write leaves behind: nothing at all. While `cli_files::write_atomic`
//! writes its temporary file, Ctrl-C (SIGINT) and SIGTERM remove that file and exit 130 / 143;
//! a SIGKILL cannot be caught, so the next write to the same target removes temporary files
//! whose process is gone. The target itself is never touched before the final rename.
//!
//! Also the fault-injection knob the tests use to interrupt a write in the middle
//! (`QUANTPLAY_FAULT_WRITE_PAUSE_MS`, see [`fault_pause`]).
//!
//! Not here: the atomic write itself (`cli_files.rs`). Unix only; elsewhere these are no-ops.

use std::path::Path;

/// Sleeps `QUANTPLAY_FAULT_WRITE_PAUSE_MS` milliseconds when that variable is set (tests
/// only: `tests/cli.rs` kills the CLI inside this pause, with half of the file written).
pub fn fault_pause() {
    if let Some(ms) = std::env::var("QUANTPLAY_FAULT_WRITE_PAUSE_MS").ok().and_then(|v| v.parse::<u64>().ok()) {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

#[cfg(unix)]
mod imp {
    use std::ffi::{c_char, c_int, CString};
    use std::sync::atomic::{AtomicPtr, Ordering};

    /// The temporary file being written, for the handler; leaked, so the handler never reads a
    /// freed string (one path per write; the CLI writes one file).
    static TEMP: AtomicPtr<c_char> = AtomicPtr::new(std::ptr::null_mut());

    extern "C" fn on_signal(sig: c_int) {
        // Only async-signal-safe calls: unlink(2) and _exit(2) (signal-safety(7)).
        let p = TEMP.load(Ordering::SeqCst);
        unsafe {
            if !p.is_null() {
                libc::unlink(p);
            }
            libc::_exit(128 + sig);
        }
    }

    pub fn arm(temp: &std::path::Path) {
        use std::os::unix::ffi::OsStrExt;
        let Ok(c) = CString::new(temp.as_os_str().as_bytes()) else { return };
        TEMP.store(c.into_raw(), Ordering::SeqCst);
        let handler = on_signal as extern "C" fn(c_int) as libc::sighandler_t;
        unsafe {
            libc::signal(libc::SIGINT, handler);
            libc::signal(libc::SIGTERM, handler);
        }
    }

    pub fn disarm() {
        unsafe {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            libc::signal(libc::SIGTERM, libc::SIG_DFL);
        }
        TEMP.store(std::ptr::null_mut(), Ordering::SeqCst);
    }

    pub fn alive(pid: u32) -> bool {
        let Ok(pid) = libc::pid_t::try_from(pid) else { return false };
        // kill(pid, 0) checks only; EPERM means the process exists under another user.
        unsafe { libc::kill(pid, 0) == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM) }
    }
}

#[cfg(not(unix))]
mod imp {
    pub fn arm(_: &std::path::Path) {}
    pub fn disarm() {}
    pub fn alive(_: u32) -> bool {
        true
    }
}

/// From here until [`disarm`], Ctrl-C or SIGTERM removes `temp` and exits.
pub fn arm(temp: &Path) {
    imp::arm(temp)
}

/// Back to the default signal handling (after the rename, or after removing the file).
pub fn disarm() {
    imp::disarm()
}

/// Removes `.NAME.tmp-PID-N` files in `dir` left by a process that no longer runs (a SIGKILL
/// mid-write); files of running processes, and anything else, are left alone.
pub fn remove_stale_temps(dir: &Path, name: &str) {
    let prefix = format!(".{name}.tmp-");
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = file.strip_prefix(&prefix) else { continue };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        if matches!(pid, Some(p) if p != std::process::id() && !imp::alive(p)) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}
