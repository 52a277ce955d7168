//! `Trainer.quantize`: the Quantize panel's one call (part of the wasm surface). Reads the
//! trainer's current float MLP and data split ([`crate::app::session_quant`]), then runs the eager
//! PTQ flow ([`crate::app::ptq::run_for_page`]) on the CPU or WebGPU. Glue only.

use super::{jerr, promise, Run, Trainer};
use crate::app::ptq::{options_from_json, run_for_page};
use crate::rules::error::Error;
use js_sys::Promise;
use wasm_bindgen::prelude::*;

/// Calibration samples when the options name none (or fewer when the training split is smaller).
const DEFAULT_CALIB_SIZE: usize = 256;

#[wasm_bindgen]
impl Trainer {
    /// Post-training static quantization of the run's current float MLP, calibrated on the first
    /// `calib_size` training samples and evaluated on the test split. `options_json`:
    /// `{"qconfig", "observer", "per_tensor", "reduce_range", "fuse", "calib_batch",
    /// "calib_size", "backend": "cpu" | "webgpu"}`, all optional (backend defaults to the
    /// trainer's). Resolves to `{"report", "activations", "observers", "calib_size",
    /// "backend"}` JSON; bad options reject with a message naming the value and the valid ones.
    pub fn quantize(&self, options_json: String) -> Promise {
        let st = self.state.clone();
        promise(async move {
            let bad =
                |e: String| Error::InvalidArgument { name: "options_json", value: e, valid: "a JSON object".into() };
            let mut opts: serde_json::Value =
                serde_json::from_str(&options_json).map_err(|e| jerr(bad(e.to_string())))?;
            let o = opts.as_object_mut().ok_or_else(|| jerr(bad(options_json.clone())))?;
            let backend = o.remove("backend");
            let calib_size = o.remove("calib_size");
            let opt = options_from_json(&opts.to_string()).map_err(jerr)?;
            let (model, data, own) = {
                let guard = st
                    .run
                    .try_borrow()
                    .map_err(|_| JsError::new("Trainer is busy: wait for the previous call to finish"))?;
                let size = |train_len: usize| match &calib_size {
                    None | Some(serde_json::Value::Null) => Ok(DEFAULT_CALIB_SIZE.min(train_len)),
                    Some(v) => v.as_u64().map(|n| n as usize).ok_or_else(|| Error::InvalidArgument {
                        name: "calib_size",
                        value: v.to_string(),
                        valid: format!("an integer in 1..={train_len}"),
                    }),
                };
                match &*guard {
                    Run::Cpu(s) => {
                        (s.float_model(&st.inner.cpu).await, size(s.train_len()).and_then(|n| s.quant_data(n)), "cpu")
                    }
                    Run::Gpu(s) => (
                        s.float_model(st.inner.gpu.as_ref().expect("a Gpu run has a GPU")).await,
                        size(s.train_len()).and_then(|n| s.quant_data(n)),
                        "webgpu",
                    ),
                }
            };
            let (model, data) = (model.map_err(jerr)?, data.map_err(jerr)?);
            let backend = match &backend {
                None | Some(serde_json::Value::Null) => own.to_string(),
                Some(v) => v.as_str().map(String::from).unwrap_or_else(|| v.to_string()),
            };
            let calib = (data.calib_x.as_slice(), data.calib_shape.as_slice());
            let eval = (data.eval_x.as_slice(), data.eval_shape.as_slice());
            let out = match backend.as_str() {
                "cpu" => run_for_page(&st.inner.cpu, &model, calib, eval, &data.eval_y, &opt).await,
                "webgpu" => match &st.inner.gpu {
                    Some(g) => run_for_page(g, &model, calib, eval, &data.eval_y, &opt).await,
                    None => {
                        Err(Error::GpuUnavailable(st.inner.info.gpu_unavailable_reason.clone().unwrap_or_default()))
                    }
                },
                other => Err(Error::InvalidArgument {
                    name: "backend",
                    value: other.into(),
                    valid: crate::app::session_config::BACKENDS.into(),
                }),
            };
            let mut v = out.map_err(jerr)?;
            v["calib_size"] = data.calib_shape[0].into();
            v["backend"] = backend.into();
            Ok(JsValue::from_str(&v.to_string()))
        })
    }
}
