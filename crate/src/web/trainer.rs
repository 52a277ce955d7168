//! The page's `Trainer`: thin `#[wasm_bindgen]` glue over [`crate::app::session::Session`] on
//! the CPU or WebGPU backend of a [`Playground`]. All logic lives in `app/` and below; this file converts
//! arguments, picks the backend and turns results into JSON strings or typed arrays.
//!
//! Async methods share the state through `Rc<RefCell<…>>`; a call made while another is still
//! running is rejected ("busy") instead of interleaving two steps.

// A run's RefCell borrow is held across awaits on purpose: it is the "busy" lock that rejects a
// second call while one is in flight (try_borrow fails instead of interleaving two steps).
#![allow(clippy::await_holding_refcell_ref)]

use super::{args, Inner, Playground};
use crate::app::session::Session;
use crate::app::session_config::{self, SessionConfig};
use crate::app::session_io::memory_by_precision;
use crate::backend::{cpu::CpuFast, cpu::CpuReference, gpu::GpuBackend, BackendKind};
use crate::rules::error::Error;
use crate::rules::limits::MAX_STEPS_PER_CALL;
use js_sys::{Float32Array, Promise};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

enum Run {
    Cpu(Session<CpuFast>),
    Reference(Session<CpuReference>),
    Gpu(Session<GpuBackend>),
}

struct State {
    inner: Rc<Inner>,
    run: RefCell<Run>,
    config_json: String,
    cfg: SessionConfig,
}

/// A training run for the page: one MLP on one backend, stepped and inspected from JS.
#[wasm_bindgen]
pub struct Trainer {
    state: Rc<State>,
}

fn open(inner: &Rc<Inner>, cfg: SessionConfig, backend: BackendKind, snapshot: Option<&str>) -> Result<Run, Error> {
    fn start<B: crate::backend::Backend>(
        b: &B,
        cfg: SessionConfig,
        snapshot: Option<&str>,
    ) -> Result<Session<B>, Error> {
        match snapshot {
            Some(s) => Session::restore(b, s, cfg),
            None => Session::new(b, cfg),
        }
    }
    Ok(match backend {
        BackendKind::Cpu => Run::Cpu(start(&inner.cpu, cfg, snapshot)?),
        BackendKind::CpuReference => Run::Reference(start(&inner.reference, cfg, snapshot)?),
        BackendKind::WebGpu => Run::Gpu(start(inner.gpu.as_ref().map_err(Clone::clone)?, cfg, snapshot)?),
    })
}

/// Runs `$body` with `$b` the backend and `$s` the session, borrowed mutably for the call.
macro_rules! with_run {
    ($st:expr, |$b:ident, $s:ident| $body:expr) => {{
        let mut guard = $st
            .run
            .try_borrow_mut()
            .map_err(|_| JsError::new("Trainer is busy: wait for the previous call to finish"))?;
        match &mut *guard {
            Run::Cpu($s) => {
                let $b = &$st.inner.cpu;
                $body
            }
            Run::Reference($s) => {
                let $b = &$st.inner.reference;
                $body
            }
            Run::Gpu($s) => {
                let $b = $st.inner.gpu.as_ref().expect("a Gpu run has a GPU");
                $body
            }
        }
    }};
}

fn promise<F>(f: F) -> Promise
where
    F: std::future::Future<Output = Result<JsValue, JsValue>> + 'static,
{
    future_to_promise(f)
}

fn jerr(e: Error) -> JsValue {
    super::js_err(e)
}

#[wasm_bindgen]
impl Trainer {
    /// A run from the config JSON (a string; see `app::session_config::parse`); errors name
    /// the bad field and its valid values.
    pub fn create(playground: &Playground, config_json: JsValue) -> Result<Trainer, JsValue> {
        super::panic::install();
        let config_json = args::string("config_json", &config_json).map_err(jerr)?;
        let (cfg, backend) = session_config::parse(&config_json).map_err(jerr)?;
        let run = open(&playground.inner, cfg.clone(), backend, None).map_err(jerr)?;
        Ok(Trainer {
            state: Rc::new(State { inner: playground.inner.clone(), run: RefCell::new(run), config_json, cfg }),
        })
    }

    /// Checks the config's plan (every tensor and matmul grid a run of it makes, and its host
    /// bytes) against the limits of the backend it names, allocating nothing. The page calls it
    /// before it frees its runs, so settings over a limit keep them. Errors as [`Trainer::create`]'s;
    /// a limit is an error named `ResourceLimitError` (never `GpuDeviceError`).
    pub fn check(playground: &Playground, config_json: JsValue) -> Result<(), JsValue> {
        use crate::backend::TensorOps;
        super::panic::install();
        let config_json = args::string("config_json", &config_json).map_err(jerr)?;
        let (cfg, backend) = session_config::parse(&config_json).map_err(jerr)?;
        let inner = &playground.inner;
        match backend {
            BackendKind::Cpu => Session::check(&inner.cpu, &cfg, &inner.cpu.limits()).map(drop),
            BackendKind::CpuReference => Session::check(&inner.reference, &cfg, &inner.reference.limits()).map(drop),
            BackendKind::WebGpu => {
                let g = inner.gpu.as_ref().map_err(Clone::clone).map_err(jerr)?;
                Session::check(g, &cfg, &g.limits()).map(drop)
            }
        }
        .map_err(jerr)
    }

    /// Continues a run from [`Trainer::snapshot`]'s JSON (a string) on `backend` (`"cpu"`,
    /// `"cpu-reference"` or `"webgpu"`).
    pub fn restore(playground: &Playground, snapshot: JsValue, backend: JsValue) -> Result<Trainer, JsValue> {
        super::panic::install();
        let snapshot = args::string("snapshot", &snapshot).map_err(jerr)?;
        let backend = BackendKind::parse(&args::string("backend", &backend).map_err(jerr)?).map_err(jerr)?;
        let bad = |what: String| Error::InvalidArgument {
            name: "snapshot",
            value: what,
            valid: "the JSON Trainer.snapshot() returned".into(),
        };
        let v: serde_json::Value = serde_json::from_str(&snapshot).map_err(|e| jerr(bad(e.to_string())))?;
        let config_json = v["config"].as_str().ok_or_else(|| jerr(bad("no config".into())))?.to_string();
        let (cfg, _) = session_config::parse(&config_json).map_err(jerr)?;
        let run = open(&playground.inner, cfg.clone(), backend, Some(&snapshot)).map_err(jerr)?;
        Ok(Trainer {
            state: Rc::new(State { inner: playground.inner.clone(), run: RefCell::new(run), config_json, cfg }),
        })
    }

    /// Runs `steps` steps (an integer in 0..=`rules::limits::MAX_STEPS_PER_CALL`); resolves to a
    /// JSON array of their StepRecords.
    pub fn run(&self, steps: JsValue) -> Promise {
        let steps = match args::int("steps", &steps, 0, MAX_STEPS_PER_CALL as u64) {
            Ok(n) => n as usize,
            Err(e) => return super::reject(e),
        };
        let st = self.state.clone();
        promise(async move {
            let recs = with_run!(st, |b, s| s.run(b, steps).await.map_err(jerr)?);
            Ok(JsValue::from_str(&serde_json::to_string(&recs).expect("records serialise")))
        })
    }

    /// The next step's scaled gradients overflow (loss · inf), so it is skipped and the scale
    /// backs off.
    pub fn inject_overflow(&self) -> Result<(), JsValue> {
        with_run!(self.state, |_b, s| s.inject_overflow());
        Ok(())
    }

    /// Resolves to `{"train_accuracy","test_accuracy","loss"}`.
    pub fn evaluate(&self) -> Promise {
        let st = self.state.clone();
        promise(
            async move { Ok(JsValue::from_str(&with_run!(st, |b, s| s.evaluate(b).await.map_err(jerr)?).to_string())) },
        )
    }

    /// Resolves to a `Float32Array` of res×res class-1 probabilities over the data's extent
    /// (`res` an integer in 1..=512).
    pub fn predict_grid(&self, res: JsValue) -> Promise {
        let res = match args::int("res", &res, 1, 512) {
            Ok(n) => n as usize,
            Err(e) => return super::reject(e),
        };
        let st = self.state.clone();
        promise(async move {
            let v = with_run!(st, |b, s| s.predict_grid(b, res).await.map_err(jerr)?);
            Ok(Float32Array::from(v.as_slice()).into())
        })
    }

    /// `{"requested","effective","emulated","reason","deprecation"}`.
    pub fn effective_precision_json(&self) -> Result<String, JsValue> {
        let note = self.state.cfg.precision_note.clone();
        let e = with_run!(self.state, |_b, s| s.effective.clone());
        Ok(serde_json::json!({ "requested": e.requested.as_str(), "effective": e.effective.as_str(), "emulated": e.emulated, "reason": e.reason, "deprecation": note }).to_string())
    }

    /// `{"current": {precision, requested, weights_bytes, activations_bytes}, "by_precision":
    /// [...]}`, measured from the buffers of one step (the current run's last step, and one step
    /// per precision of the same config on the backend this run is on).
    pub fn memory_json(&self) -> Result<String, JsValue> {
        let current = with_run!(self.state, |_b, s| s.memory());
        let cfg = &self.state.cfg;
        let all = with_run!(self.state, |b, _s| memory_by_precision(b, cfg).map_err(jerr)?);
        Ok(serde_json::json!({ "current": current, "by_precision": all }).to_string())
    }

    /// Resolves to the autocast op trace of the last step: `[{name, op, inputs, output}]`.
    pub fn trace_json(&self) -> Promise {
        let st = self.state.clone();
        promise(async move { Ok(JsValue::from_str(&with_run!(st, |_b, s| s.trace()).to_string())) })
    }

    /// Resolves to log2 histograms of the last step's |grad|, unscaled and scaled.
    pub fn grad_magnitudes_json(&self) -> Promise {
        let st = self.state.clone();
        promise(async move {
            Ok(JsValue::from_str(&with_run!(st, |b, s| s.grad_magnitudes(b).await.map_err(jerr)?).to_string()))
        })
    }

    /// Resolves to the run's state as JSON, for [`Trainer::restore`] on any backend.
    pub fn snapshot(&self) -> Promise {
        let st = self.state.clone();
        promise(async move {
            let cfg = st.config_json.clone();
            Ok(JsValue::from_str(&with_run!(st, |b, s| s.snapshot(b, &cfg).await.map_err(jerr)?)))
        })
    }

    /// `"cpu"`, `"cpu-reference"` or `"webgpu"`.
    pub fn backend(&self) -> Result<String, JsValue> {
        Ok(with_run!(self.state, |b, _s| crate::backend::TensorOps::name(b).to_string()))
    }
}

#[path = "trainer_quant.rs"]
mod quant;

#[path = "trainer_data.rs"]
mod data;
