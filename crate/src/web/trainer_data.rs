//! `Trainer.data_json`: the run's train/test split for the Data panel (part of the wasm surface):
//! the points of a 2-D set for the scatter plot, the class counts, and one sample image per class
//! for the digits. Glue only: the points come from the session's own split, the extent from
//! [`crate::app::session::Session::extent`] (the same one `predict_grid` covers).
//!
//! Not here: generating the data (`crate::data`) or drawing it (www/scatter.js).

use super::{Run, Trainer};
use crate::data::Dataset;
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;

fn points(set: &Dataset) -> Value {
    // Only 2-D sets are plotted; for digits the page shows sample images and counts instead.
    if set.d == 2 {
        json!({ "x": set.x, "y": set.y })
    } else {
        json!({ "x": [], "y": [] })
    }
}

/// The first training sample of each class (row-major `(k, d)` and its labels), for the page to
/// draw the digits; empty for 2-D sets (their points are all there).
fn examples(set: &Dataset) -> Value {
    if set.d == 2 {
        return json!({ "x": [], "y": [] });
    }
    let idx = set.first_of_each_class();
    let x: Vec<f32> = idx.iter().flat_map(|&i| set.x[i * set.d..(i + 1) * set.d].iter().copied()).collect();
    let y: Vec<i32> = idx.iter().map(|&i| set.y[i]).collect();
    json!({ "x": x, "y": y })
}

#[wasm_bindgen]
impl Trainer {
    /// `{"d", "classes", "train_len", "test_len", "extent": {"lo", "hi"}, "train": {"x", "y"},
    /// "test": {"x", "y"}, "counts": {"train", "test"}, "examples": {"x", "y"}}`; `x` is
    /// row-major `(n, 2)` for 2-D sets and empty otherwise; `counts` has one entry per class;
    /// `examples` is the first training sample of each class `(k, d)` for sets that are not 2-D.
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
        "counts": { "train": train.class_counts(), "test": test.class_counts() },
        "examples": examples(train),
    })
}
