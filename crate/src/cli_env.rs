//! The CLI's process environment before any GPU work: Mesa's Vulkan WSI (lavapipe and the
//! hardware drivers) prints "error: XDG_RUNTIME_DIR is invalid or not set in the environment."
//! on stderr when that variable is missing (headless shells, containers, CI), although nothing
//! is wrong for compute. So a run that succeeds would still print an error line. When the
//! variable is unset or not a directory, point it at a private per-user directory under the
//! system temp dir (mode 0700, as the XDG Base Directory spec asks of a runtime dir).
//!
//! Not here: choosing or opening the backend (`quantplay::app::backends`).

/// Sets `XDG_RUNTIME_DIR` to `$TMPDIR/quantplay-runtime-<uid>` when it is unset or invalid; an
/// existing valid value is left alone. Called once at start-up, before any thread starts.
pub fn quiet_vulkan_loader() {
    let valid = std::env::var_os("XDG_RUNTIME_DIR").map(|d| std::path::Path::new(&d).is_dir()).unwrap_or(false);
    if valid {
        return;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
        // SAFETY: getuid has no preconditions and cannot fail.
        let uid = unsafe { libc::getuid() };
        let dir = std::env::temp_dir().join(format!("quantplay-runtime-{uid}"));
        let _ = std::fs::DirBuilder::new().mode(0o700).create(&dir);
        // Use it only if it is ours and private (another user could have made it first).
        let ok = std::fs::metadata(&dir)
            .map(|m| m.is_dir() && m.uid() == uid && m.permissions().mode() & 0o077 == 0)
            .unwrap_or(false);
        if ok {
            std::env::set_var("XDG_RUNTIME_DIR", &dir);
        }
    }
}
