//! The page's quantization calls (part of the one wasm surface, `web.rs`): convert typed arrays
//! and JSON, delegate to `app::ptq`, return JSON or reject with the error message.

use super::{js_err, Playground};
use crate::app::ptq::{options_from_json, run_for_page};
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
    /// "calib_batch", "backend": "cpu" | "webgpu"}`. Resolves to `{"report", "activations",
    /// "observers"}` JSON (see `quant::eager::report` and `inspect`).
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
            let backend = opts
                .as_object_mut()
                .and_then(|o| o.remove("backend"))
                .and_then(|b| b.as_str().map(String::from))
                .unwrap_or_else(|| "cpu".into());
            let opt = options_from_json(&opts.to_string()).map_err(js_err)?;
            let d = m.sizes[0];
            let (cn, en) = (calib_x.len() / d.max(1), eval_x.len() / d.max(1));
            let (calib, eval) = ((calib_x.as_slice(), &[cn, d][..]), (eval_x.as_slice(), &[en, d][..]));
            let out = match backend.as_str() {
                "cpu" => run_for_page(&inner.cpu, &model, calib, eval, &eval_y, &opt).await,
                "webgpu" => match &inner.gpu {
                    Some(g) => run_for_page(g, &model, calib, eval, &eval_y, &opt).await,
                    None => Err(Error::GpuUnavailable(inner.info.gpu_unavailable_reason.clone().unwrap_or_default())),
                },
                other => {
                    Err(Error::InvalidArgument { name: "backend", value: other.into(), valid: super::BACKENDS.into() })
                }
            };
            out.map(|v| JsValue::from_str(&v.to_string())).map_err(js_err)
        })
    }
}
