//! The page's quantization calls (part of the one wasm surface, `web.rs`): check and convert
//! typed arrays and JSON ([`super::args`]), delegate to `app::ptq`, return JSON or reject with
//! the error message.

use super::{args, js_err, Playground};
use crate::app::backends::run_on;
use crate::app::ptq::{options_from_json, PageQuantJob};
use crate::backend::BackendKind;
use crate::model::mlp_model;
use crate::rules::error::Error;
use crate::rules::limits::{MAX_ELEMENTS, MAX_LAYERS};
use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

#[derive(serde::Deserialize)]
struct MlpJson {
    sizes: Vec<usize>,
    weights: Vec<Vec<f32>>,
    biases: Vec<Vec<f32>>,
}

/// The checked arguments of [`Playground::quantize_mlp`].
struct QuantArgs {
    model: crate::model::Model,
    calib_x: Vec<f32>,
    eval_x: Vec<f32>,
    eval_y: Vec<i32>,
    d: usize,
    opts: serde_json::Value,
}

fn quant_args(
    model_json: &JsValue,
    calib_x: &JsValue,
    eval_x: &JsValue,
    eval_y: &JsValue,
    options_json: &JsValue,
) -> Result<QuantArgs, Error> {
    let m: MlpJson =
        serde_json::from_str(&args::string("model_json", model_json)?).map_err(|e| Error::InvalidArgument {
            name: "model_json",
            value: e.to_string(),
            valid: "{\"sizes\", \"weights\", \"biases\"}".into(),
        })?;
    let sizes_ok =
        (2..=MAX_LAYERS + 2).contains(&m.sizes.len()) && m.sizes.iter().all(|&s| (1..=MAX_ELEMENTS).contains(&s));
    if !sizes_ok {
        return Err(Error::InvalidArgument {
            name: "model_json.sizes",
            value: format!("{:?}", m.sizes),
            valid: format!("2..={} sizes, each in 1..={MAX_ELEMENTS}", MAX_LAYERS + 2),
        });
    }
    let model = mlp_model(&m.sizes, &m.weights, &m.biases)?;
    let (d, classes) = (m.sizes[0], m.sizes[m.sizes.len() - 1]);
    let rows = |name: &'static str, v: &JsValue| -> Result<Vec<f32>, Error> {
        let x = args::f32_array(name, v, None)?;
        if x.is_empty() || x.len() % d != 0 {
            return Err(Error::InvalidArgument {
                name,
                value: format!("{} values", x.len()),
                valid: format!("a positive multiple of the input size {d} (row-major (n, {d}))"),
            });
        }
        Ok(x)
    };
    let (calib_x, eval_x) = (rows("calib_x", calib_x)?, rows("eval_x", eval_x)?);
    let eval_y = args::i32_array("eval_y", eval_y, Some(eval_x.len() / d))?;
    if let Some(y) = eval_y.iter().find(|&&y| y < 0 || y as usize >= classes) {
        return Err(Error::InvalidArgument {
            name: "eval_y",
            value: format!("a label {y}"),
            valid: format!("class labels in 0..{classes}"),
        });
    }
    let opts: serde_json::Value = serde_json::from_str(&args::string("options_json", options_json)?).map_err(|e| {
        Error::InvalidArgument { name: "options_json", value: e.to_string(), valid: "a JSON object".into() }
    })?;
    Ok(QuantArgs { model, calib_x, eval_x, eval_y, d, opts })
}

#[wasm_bindgen]
impl Playground {
    /// Post-training static quantization of a float MLP (`model_json`: `{"sizes": [in, hidden…,
    /// classes], "weights": [(out·in values)…], "biases": [(out values)…]}`, as `nn.Linear`
    /// stores them) calibrated on `calib_x` `(n, in)` and evaluated on `eval_x` / `eval_y`
    /// (`Float32Array`s and an `Int32Array` of labels, or plain arrays).
    /// `options_json`: `{"qconfig", "observer", "per_tensor", "reduce_range", "fuse",
    /// "calib_batch", "compare_cpu", "backend": "cpu" | "cpu-reference" | "webgpu"}`
    /// (`compare_cpu: true` on WebGPU adds the report's `calibration_vs_cpu`). Resolves to `{"report",
    /// "activations", "observers", "ran_on", "fallback"}` JSON (see `quant::eager::report` and
    /// `inspect`); `ran_on` is where it ran, `fallback` why that is not `backend` (a missing or
    /// failed GPU), or null.
    pub fn quantize_mlp(
        &self,
        model_json: JsValue,
        calib_x: JsValue,
        eval_x: JsValue,
        eval_y: JsValue,
        options_json: JsValue,
    ) -> Promise {
        let q = match quant_args(&model_json, &calib_x, &eval_x, &eval_y, &options_json) {
            Ok(q) => q,
            Err(e) => return super::reject(e),
        };
        let inner = self.inner.clone();
        future_to_promise(async move {
            let QuantArgs { model, calib_x, eval_x, eval_y, d, mut opts } = q;
            let backend = match opts.as_object_mut().and_then(|o| o.remove("backend")) {
                None | Some(serde_json::Value::Null) => BackendKind::Cpu,
                Some(v) => BackendKind::parse(v.as_str().unwrap_or(&v.to_string())).map_err(js_err)?,
            };
            let opt = options_from_json(&opts.to_string()).map_err(js_err)?;
            let (cn, en) = (calib_x.len() / d, eval_x.len() / d);
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
