//! `Trainer.data_json`: the run's train/test split for the Data panel's scatter plot (part of the
//! wasm surface). Glue only: the points come from the session's own split, the extent from
//! [`crate::app::session::Session::extent`] (the same one `predict_grid` covers).
//!
//! Not here: generating the data (`crate::data`) or drawing it (www/scatter.js).

use super::{Run, Trainer};
use crate::data::Dataset;
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;

fn points(set: &Dataset) -> Value {
    // Only 2-D sets are plotted; for digits the page shows sizes, not 64-D points.
    if set.d == 2 {
        json!({ "x": set.x, "y": set.y })
    } else {
        json!({ "x": [], "y": [] })
    }
}

#[wasm_bindgen]
impl Trainer {
    /// `{"d", "classes", "train_len", "test_len", "extent": {"lo", "hi"}, "train": {"x", "y"},
    /// "test": {"x", "y"}}`; `x` is row-major `(n, 2)` for 2-D sets and empty otherwise.
    pub fn data_json(&self) -> Result<String, JsValue> {
        let guard = self
            .state
            .run
            .try_borrow()
            .map_err(|_| JsError::new("Trainer is busy: wait for the previous call to finish"))?;
        let v = match &*guard {
            Run::Cpu(s) => describe(&s.train, &s.test, s.extent()),
            Run::Reference(s) => describe(&s.train, &s.test, s.extent()),
            Run::Gpu(s) => describe(&s.train, &s.test, s.extent()),
        };
        Ok(v.to_string())
    }
}

fn describe(train: &Dataset, test: &Dataset, (lo, hi): (Vec<f32>, Vec<f32>)) -> Value {
    json!({
        "d": train.d,
        "classes": train.classes,
        "train_len": train.len(),
        "test_len": test.len(),
        "extent": { "lo": lo, "hi": hi },
        "train": points(train),
        "test": points(test),
    })
}
