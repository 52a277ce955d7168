//! The wasm surface's panic hook. A panic in wasm32 aborts, and the abort is a
//! `RuntimeError: unreachable` trap that leaves the module poisoned (borrows never released,
//! destructors never run) for the rest of the page. Every bad argument must be a named error
//! instead, so a panic is a bug: the hook records its message for [`last_panic`] (the node test
//! `tests/e2e/wasm-surface.test.mjs` asserts it stays null) and reports it on the console.
//!
//! Not here: turning errors into JS errors (`web.rs`'s `js_err`).

use std::sync::{Mutex, Once};
use wasm_bindgen::prelude::*;

static LAST: Mutex<Option<String>> = Mutex::new(None);
static INSTALL: Once = Once::new();

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(s: &str);
}

/// Installs the hook once (every entry point of the surface calls this: the constructors and
/// the static functions). It keeps the message and location, then reports them on
/// `console.error`, before the abort.
pub fn install() {
    INSTALL.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let msg = format!("quantplay panicked: {info}");
            if let Ok(mut last) = LAST.lock() {
                *last = Some(msg.clone());
            }
            console_error(&msg);
        }));
    });
}

/// The message of the last panic in this module (`"quantplay panicked: …"` with its location),
/// or null when there has been none. A panic is a bug: each one traps and poisons the module.
#[wasm_bindgen]
pub fn last_panic() -> JsValue {
    install();
    match LAST.lock().ok().and_then(|l| l.clone()) {
        Some(msg) => JsValue::from_str(&msg),
        None => JsValue::NULL,
    }
}
