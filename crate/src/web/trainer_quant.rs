//! `Trainer.quantize`: the Quantize panel's one call (part of the wasm surface). Reads the
//! trainer's current float MLP and data split ([`crate::app::session_quant`]), then runs the eager
//! PTQ flow ([`crate::app::ptq::run_for_page`], with the numeric debugger's additions of
//! [`crate::app::ptq_debug`] when asked), or the dynamic / QAT mode ([`crate::app::page_qmodes`]),
//! on the CPU or WebGPU. Glue only.

// A run's RefCell borrow is held across awaits on purpose: it is the "busy" lock that rejects a
// second call while one is in flight (try_borrow fails instead of interleaving two steps).
#![allow(clippy::await_holding_refcell_ref)]

use super::{jerr, promise, Run, Trainer};
use crate::app::backends::run_on;
use crate::app::ptq::{options_from_json, PageQuantJob};
use crate::app::ptq_debug::{take_page_options, PageDebugJob};
use crate::backend::BackendKind;
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
    /// "calib_size", "compare_cpu" (on WebGPU, adds the report's
    /// `calibration_vs_cpu`), "backend": "cpu" | "cpu-reference" | "webgpu", "mode": "static" | "dynamic"
    /// | "qat", "qat_steps", "qat_lr", "qat_batch", "debug", "sweep", "keep_float": ["fc1", …]}`,
    /// all optional (backend defaults to the trainer's; mode to static; dynamic and QAT:
    /// `app::page_qmodes`; the last three are the numeric debugger's, `app::ptq_debug`, static
    /// only). Resolves to `{"report", "activations", "observers", "calib_size", "backend",
    /// "ran_on", "fallback"}` JSON, plus `"debug"`, `"sweep"` and `"keep_float"` when asked for
    /// (`ran_on`: where it ran; `fallback`:
    /// why not on `backend`, or null); bad options reject with a message naming the value and the valid ones.
    pub fn quantize(&self, options_json: JsValue) -> Promise {
        let options_json = match crate::web::args::string("options_json", &options_json) {
            Ok(s) => s,
            Err(e) => return crate::web::reject(e),
        };
        let st = self.state.clone();
        promise(async move {
            let bad =
                |e: String| Error::InvalidArgument { name: "options_json", value: e, valid: "a JSON object".into() };
            let mut opts: serde_json::Value =
                serde_json::from_str(&options_json).map_err(|e| jerr(bad(e.to_string())))?;
            let o = opts.as_object_mut().ok_or_else(|| jerr(bad(options_json.clone())))?;
            let backend = o.remove("backend");
            let calib_size = o.remove("calib_size");
            let mode = crate::app::page_qmodes::take_mode(o).map_err(jerr)?;
            let (dbg, keep_float) = take_page_options(o).map_err(jerr)?;
            if mode.is_some() && (dbg.debug || dbg.sweep || !keep_float.is_empty()) {
                return Err(jerr(Error::InvalidArgument {
                    name: "mode",
                    value: "dynamic or qat with debug, sweep or keep_float".into(),
                    valid: "the numeric debugger (debug, sweep, keep_float) with mode \"static\" only".into(),
                }));
            }
            let mut opt = options_from_json(&opts.to_string()).map_err(jerr)?;
            opt.keep_float = keep_float;
            let want_train = matches!(mode, Some(crate::app::page_qmodes::PageMode::Qat(_)));
            let (model, data, own, train) = {
                let guard = st
                    .run
                    .try_borrow()
                    .map_err(|_| JsError::new("Trainer is busy: wait for the previous call to finish"))?;
                let size = |train_len: usize| match &calib_size {
                    None | Some(serde_json::Value::Null) => Ok(DEFAULT_CALIB_SIZE.min(train_len)),
                    // Checked before the cast: on wasm32 `2³² + 1 as usize` is 1.
                    Some(v) => v.as_u64().and_then(|n| usize::try_from(n).ok()).ok_or_else(|| Error::InvalidArgument {
                        name: "calib_size",
                        value: v.to_string(),
                        valid: format!("an integer in 1..={train_len}"),
                    }),
                };
                macro_rules! read {
                    ($s:expr, $b:expr, $kind:expr) => {
                        (
                            $s.float_model($b).await,
                            size($s.train_len()).and_then(|n| $s.quant_data(n)),
                            $kind,
                            want_train.then(|| $s.train_data()).unwrap_or_default(),
                        )
                    };
                }
                match &*guard {
                    Run::Cpu(s) => read!(s, &st.inner.cpu, BackendKind::Cpu),
                    Run::Reference(s) => read!(s, &st.inner.reference, BackendKind::CpuReference),
                    Run::Gpu(s) => read!(s, st.inner.gpu.as_ref().expect("a Gpu run has a GPU"), BackendKind::WebGpu),
                }
            };
            let (model, data) = (model.map_err(jerr)?, data.map_err(jerr)?);
            let backend = match &backend {
                None | Some(serde_json::Value::Null) => own,
                Some(v) => BackendKind::parse(v.as_str().unwrap_or(&v.to_string())).map_err(jerr)?,
            };
            let out = match &mode {
                None => {
                    let quant = PageQuantJob {
                        model: &model,
                        calib: (&data.calib_x, &data.calib_shape),
                        eval: (&data.eval_x, &data.eval_shape),
                        eval_y: &data.eval_y,
                        opt: &opt,
                    };
                    let job = PageDebugJob { quant, dbg };
                    run_on(&st.inner.open(), backend, &job).await.map(|ran| ran.into_json())
                }
                Some(mode) => {
                    let job = crate::app::page_qmodes::PageModeJob {
                        model: &model,
                        mode,
                        fuse: opt.fuse,
                        qconfig: opt.qconfig.as_deref().unwrap_or("x86"),
                        train: (&train.0, &train.1, &train.2),
                        eval: (&data.eval_x, &data.eval_shape, &data.eval_y),
                    };
                    run_on(&st.inner.open(), backend, &job).await.map(|ran| ran.into_json())
                }
            };
            let mut v = out.map_err(jerr)?;
            v["calib_size"] = data.calib_shape[0].into();
            v["backend"] = backend.name().into();
            Ok(JsValue::from_str(&v.to_string()))
        })
    }
}
