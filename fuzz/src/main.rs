//! libFuzzer's entry point for the quantplay fuzz targets: `QUANTPLAY_FUZZ_TARGET` names one of
//! `tests/fuzz/targets.rs`'s targets, and every input goes to it. A single allocation over
//! 1 GiB is refused, so it aborts and libFuzzer saves the input as a crash; `scripts/fuzz` sets
//! `-timeout=1` for the 1 s limit per input.
//!
//! Not here: the targets themselves, the stable driver (`tests/fuzz/driver.rs`).
#![no_main]

#[path = "../../tests/fuzz/targets.rs"]
mod targets;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::OnceLock;

const LIMIT: usize = 1 << 30;

struct Limited;

unsafe impl GlobalAlloc for Limited {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if l.size() > LIMIT {
            return std::ptr::null_mut();
        }
        unsafe { System.alloc(l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        if l.size() > LIMIT {
            return std::ptr::null_mut();
        }
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        if n > LIMIT {
            return std::ptr::null_mut();
        }
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static ALLOC: Limited = Limited;

static TARGET: OnceLock<targets::Target> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let target = TARGET.get_or_init(|| {
        let name = std::env::var("QUANTPLAY_FUZZ_TARGET").unwrap_or_default();
        let names: Vec<&str> = targets::TARGETS.iter().map(|(n, _)| *n).collect();
        let found = targets::TARGETS.iter().find(|(n, _)| *n == name);
        found.unwrap_or_else(|| panic!("QUANTPLAY_FUZZ_TARGET={name:?}; valid: {}", names.join(", "))).1
    });
    let _ = target(data);
});
