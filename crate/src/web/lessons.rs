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

/// Lesson 8 with its exported file: `[output, file]`, the output object of
/// `lesson("pipeline", input)` and the int8 model file as a `Uint8Array` (the bytes
/// `quantplay lesson pipeline … --out FILE` writes).
#[wasm_bindgen(js_name = lessonPipelineWithFile)]
pub fn lesson_pipeline_with_file(input: JsValue) -> Result<js_sys::Array, JsValue> {
    super::panic::install();
    let text =
        js_sys::JSON::stringify(&input).map_err(|_| js_sys::Error::new("lesson input: not JSON-serialisable"))?;
    let input: lessons::pipeline::Input = serde_json::from_str(&String::from(text)).map_err(|e| {
        js_err(crate::rules::error::Error::InvalidArgument {
            name: "input",
            value: e.to_string(),
            valid: "the fields of lesson \"pipeline\" (see `quantplay lesson pipeline --help`)".into(),
        })
    })?;
    let (out, file) = lessons::pipeline::run_with_file(&input).map_err(js_err)?;
    let out = js_sys::JSON::parse(&serde_json::to_string(&out).expect("lesson output serialises"))?;
    Ok(js_sys::Array::of2(&out, &js_sys::Uint8Array::from(file.as_slice())))
}
