//! The page's quantization calls (part of the one wasm surface, `web.rs`): convert typed arrays
//! and JSON, delegate to `app::ptq`, return JSON or reject with the error message.

use super::{js_err, Playground};
use crate::app::backends::run_on;
use crate::app::ptq::{options_from_json, PageQuantJob};
use crate::backend::BackendKind;
use crate::model::mlp_model;
use crate::rules::error::Error;
use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

#[derive(serde::Deserialize)]
struct MlpJson {
    sizes: Vec<usize>,
    weights: Vec<Vec<f32>>,
    biases: Vec<Vec<f32>>,
}

#[wasm_bindgen]
impl Playground {
    /// Post-training static quantization of a float MLP (`model_json`: `{"sizes": [in, hidden…,
    /// classes], "weights": [(out·in values)…], "biases": [(out values)…]}`, as `nn.Linear`
    /// stores them) calibrated on `calib_x` `(n, in)` and evaluated on `eval_x` / `eval_y`.
    /// `options_json`: `{"qconfig", "observer", "per_tensor", "reduce_range", "fuse",
    /// "calib_batch", "backend": "cpu" | "cpu-reference" | "webgpu"}`. Resolves to `{"report",
    /// "activations", "observers", "ran_on", "fallback"}` JSON (see `quant::eager::report` and
    /// `inspect`); `ran_on` is where it ran, `fallback` why that is not `backend` (a missing or
    /// failed GPU), or null.
    pub fn quantize_mlp(
        &self,
        model_json: String,
        calib_x: Vec<f32>,
        eval_x: Vec<f32>,
        eval_y: Vec<i32>,
        options_json: String,
    ) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let m: MlpJson = serde_json::from_str(&model_json).map_err(|e| {
                js_err(Error::InvalidArgument {
                    name: "model_json",
                    value: e.to_string(),
                    valid: "{\"sizes\", \"weights\", \"biases\"}".into(),
                })
            })?;
            let model = mlp_model(&m.sizes, &m.weights, &m.biases).map_err(js_err)?;
            let mut opts: serde_json::Value = serde_json::from_str(&options_json).map_err(|e| {
                js_err(Error::InvalidArgument {
                    name: "options_json",
                    value: e.to_string(),
                    valid: "a JSON object".into(),
                })
            })?;
            let backend = match opts.as_object_mut().and_then(|o| o.remove("backend")) {
                None | Some(serde_json::Value::Null) => BackendKind::Cpu,
                Some(v) => BackendKind::parse(v.as_str().unwrap_or(&v.to_string())).map_err(js_err)?,
            };
            let opt = options_from_json(&opts.to_string()).map_err(js_err)?;
            let d = m.sizes[0];
            let (cn, en) = (calib_x.len() / d.max(1), eval_x.len() / d.max(1));
            let job = PageQuantJob {
                model: &model,
                calib: (&calib_x, &[cn, d]),
                eval: (&eval_x, &[en, d]),
                eval_y: &eval_y,
                opt: &opt,
            };
            let out = run_on(&inner.open(), backend, &job).await.map(|ran| ran.into_json());
            out.map(|v| JsValue::from_str(&v.to_string())).map_err(js_err)
        })
    }
}
