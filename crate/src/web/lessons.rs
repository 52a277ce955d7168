//! The lesson pages' one call (part of the one wasm surface, `web.rs`): `lesson(name, input)`
//! takes a plain object, delegates to `app::lessons::run_json` and returns a plain object, or
//! throws an `Error` naming the bad value and the valid ones.

use super::{args, js_err};
use crate::app::lessons;
use wasm_bindgen::prelude::*;

/// Runs lesson `name` (`"affine"`, …: `lessonNames()`) on `input`, a plain object whose fields
/// are the lesson's inputs (the same as `quantplay lesson NAME --flags`); returns the numbers
/// the page shows as a plain object (the same as `quantplay lesson NAME … --json`).
#[wasm_bindgen]
pub fn lesson(name: JsValue, input: JsValue) -> Result<JsValue, JsValue> {
    super::panic::install();
    let name = args::string("name", &name).map_err(js_err)?;
    let text =
        js_sys::JSON::stringify(&input).map_err(|_| js_sys::Error::new("lesson input: not JSON-serialisable"))?;
    let out = lessons::run_json(&name, &String::from(text)).map_err(js_err)?;
    js_sys::JSON::parse(&out)
}

/// The lesson names in reading order.
#[wasm_bindgen(js_name = lessonNames)]
pub fn lesson_names() -> Vec<String> {
    lessons::NAMES.iter().map(|s| s.to_string()).collect()
}
