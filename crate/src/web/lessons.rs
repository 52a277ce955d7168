//! The lesson pages' one call (part of the one wasm surface, `web.rs`): `lesson(name, input)`
//! takes a plain object, delegates to `app::lessons::run_json` and returns a plain object, or
//! throws an `Error` naming the bad value and the valid ones.

use super::{args, js_err};
use crate::app::lessons;
use crate::rules::error::Error;
use crate::rules::limits::MAX_STRING_CHARS;
use wasm_bindgen::prelude::*;

/// `input` as JSON text: a plain object (not a function, symbol or primitive) that
/// `JSON.stringify` can write (no cycle, no BigInt) in at most `MAX_STRING_CHARS` characters.
fn input_json(input: &JsValue) -> Result<String, Error> {
    let bad = |why: &str| Error::InvalidArgument {
        name: "input",
        value: format!("{} ({why})", args::describe(input)),
        valid: "a plain object of the lesson's inputs, as `quantplay lesson NAME --json` takes them".into(),
    };
    if !input.is_object() || input.is_function() {
        return Err(bad("not an object"));
    }
    let text = js_sys::JSON::stringify(input).map_err(|_| bad("JSON.stringify threw: a cycle or a BigInt"))?;
    let text = JsValue::from(text).as_string().ok_or_else(|| bad("JSON.stringify gave no text"))?;
    if text.len() > MAX_STRING_CHARS {
        return Err(bad("over rules::limits::MAX_STRING_CHARS as JSON"));
    }
    Ok(text)
}

/// Runs lesson `name` (`"affine"`, …: `lessonNames()`) on `input`, a plain object whose fields
/// are the lesson's inputs (the same as `quantplay lesson NAME --flags`); returns the numbers
/// the page shows as a plain object (the same as `quantplay lesson NAME … --json`).
#[wasm_bindgen]
pub fn lesson(name: JsValue, input: JsValue) -> Result<JsValue, JsValue> {
    super::panic::install();
    let name = args::string("name", &name).map_err(js_err)?;
    let text = input_json(&input).map_err(js_err)?;
    let out = lessons::run_json(&name, &text).map_err(js_err)?;
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
    let text = input_json(&input).map_err(js_err)?;
    let input: lessons::pipeline::Input = serde_json::from_str(&text).map_err(|e| {
        js_err(Error::InvalidArgument {
            name: "input",
            value: e.to_string(),
            valid: "the fields of lesson \"pipeline\" (see `quantplay lesson pipeline --help`)".into(),
        })
    })?;
    let (out, file) = lessons::pipeline::run_with_file(&input).map_err(js_err)?;
    let out = js_sys::JSON::parse(&serde_json::to_string(&out).expect("lesson output serialises"))?;
    Ok(js_sys::Array::of2(&out, &js_sys::Uint8Array::from(file.as_slice())))
}
