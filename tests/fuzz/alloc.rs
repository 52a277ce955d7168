//! The fuzz test binary's global allocator: the system allocator, plus a record of any single
//! allocation over [`LIMIT`] (1 GiB) on the thread that asked, which the driver turns into a
//! crash of the input that caused it. Requests over 4 GiB are refused (the process aborts with
//! Rust's "memory allocation failed" message), so a bad input cannot take the machine's memory.
//!
//! Not here: the libFuzzer driver's allocator (`fuzz/src/main.rs` refuses over 1 GiB outright,
//! and libFuzzer saves the input of the abort).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The largest single allocation a target may make.
pub const LIMIT: usize = 1 << 30;
const REFUSE: usize = 4 << 30;

thread_local! {
    static OVER: Cell<usize> = const { Cell::new(0) };
}

/// The system allocator with the over-[`LIMIT`] record.
pub struct Limited;

fn note(size: usize) -> bool {
    if size > LIMIT {
        let _ = OVER.try_with(|c| c.set(c.get().max(size)));
    }
    size <= REFUSE
}

unsafe impl GlobalAlloc for Limited {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if note(layout.size()) {
            unsafe { System.alloc(layout) }
        } else {
            std::ptr::null_mut()
        }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if note(layout.size()) {
            unsafe { System.alloc_zeroed(layout) }
        } else {
            std::ptr::null_mut()
        }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if note(new_size) {
            unsafe { System.realloc(ptr, layout, new_size) }
        } else {
            std::ptr::null_mut()
        }
    }
}

/// The largest over-limit allocation this thread made since the last call (0 if none).
pub fn take_over_limit() -> usize {
    OVER.with(|c| c.replace(0))
}
