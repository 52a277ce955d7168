//! The one wasm surface: `#[wasm_bindgen]` glue that converts arguments, delegates to the
//! library and returns `Result<_, JsValue>` (a JS `Error`). JS owns the DOM, the charts and the
//! timing; nothing here touches the document.
//!
//! Every number, string and array argument is a `JsValue` checked by [`args`], so a bad call
//! rejects with an error naming the parameter and the value instead of being coerced or
//! trapping; [`panic`]'s hook records any panic for [`last_panic`] (there should be none).
//!
//! Async methods return a `Promise` built with `future_to_promise`, because wasm-bindgen futures
//! must be `'static`: the state lives behind an `Rc` that each promise clones.

use crate::app::backends::{run_strict, Job, Open};
use crate::backend::{cpu::CpuFast, cpu::CpuReference, gpu::GpuBackend, Backend, BackendKind};
use crate::info::SystemInfo;
use crate::parity::{compare, Tolerance, EXACT, F32_MATMUL};
use crate::rules::error::Error;
use crate::rules::rng::Rng;
use js_sys::{Float32Array, Promise};
pub use panic::last_panic;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

mod args;
#[cfg(feature = "bench")]
mod bench;
mod lessons;
mod panic;
mod quant;
mod trainer;
pub use trainer::Trainer;

struct Inner {
    cpu: CpuFast,
    reference: CpuReference,
    gpu: Result<GpuBackend, Error>,
    info: SystemInfo,
}

impl Inner {
    /// The open backends, for `app::backends::run_on` / `run_strict`.
    fn open(&self) -> Open<'_> {
        Open { cpu: &self.cpu, reference: &self.reference, gpu: self.gpu.as_ref() }
    }
}

/// The playground's handle on quantplay: both backends and what was found.
#[wasm_bindgen]
pub struct Playground {
    inner: Rc<Inner>,
}

/// The error as a JS `Error` with the message as it is. A device error (no adapter, a lost
/// device, a GPU failure; `app::backends::is_device_error`) gets `name = "GpuDeviceError"`: the
/// page moves work to the CPU on those and on nothing else (the backend rule in
/// `backend::BackendKind`).
fn js_err(e: Error) -> JsValue {
    let js = js_sys::Error::new(&e.to_string());
    if crate::app::backends::is_device_error(&e) {
        js.set_name("GpuDeviceError");
    } else if matches!(e, Error::ResourceLimit { .. }) {
        // Not a device error: the page shows it and keeps its runs (www/runner.js reset()).
        js.set_name("ResourceLimitError");
    }
    js.into()
}

/// A promise already rejected with `e`, for an async export whose arguments are bad.
fn reject(e: Error) -> Promise {
    Promise::reject(&js_err(e))
}

fn tolerance(name: &str) -> Result<Tolerance, Error> {
    match name {
        "exact" => Ok(EXACT),
        "f32_matmul" => Ok(F32_MATMUL),
        _ => Err(Error::InvalidArgument {
            name: "tolerance",
            value: name.into(),
            valid: "\"exact\", \"f32_matmul\"".into(),
        }),
    }
}

#[wasm_bindgen]
impl Playground {
    /// Opens WebGPU through `navigator.gpu` when `use_gpu` is true; otherwise, or when that
    /// fails, works on the CPU and records why (see `info_json().gpu_unavailable_reason`).
    pub async fn create(use_gpu: JsValue) -> Result<Playground, JsValue> {
        panic::install();
        let gpu = if args::boolean("use_gpu", &use_gpu).map_err(js_err)? {
            GpuBackend::new().await
        } else {
            Err(Error::GpuUnavailable("WebGPU turned off by the user".into()))
        };
        let info = SystemInfo::new(gpu.as_ref().map(|g| g.info()));
        Ok(Playground { inner: Rc::new(Inner { cpu: CpuFast, reference: CpuReference, gpu, info }) })
    }

    /// [`SystemInfo`] as JSON: CPU SIMD features, the adapter, or the reason there is none.
    pub fn info_json(&self) -> String {
        serde_json::to_string(&self.inner.info).expect("info serialises")
    }

    /// `"webgpu"` when a GPU backend is open, else `"cpu"`.
    pub fn active_backend(&self) -> String {
        self.inner.info.active_backend.clone()
    }

    /// `len` (1..=2²⁴) seeded values uniform in `[lo, hi)` (finite f32s) for a `seed` in
    /// 0..=2³² − 1: the same numbers on every target for one seed.
    pub fn random(len: JsValue, seed: JsValue, lo: JsValue, hi: JsValue) -> Result<Vec<f32>, JsValue> {
        panic::install();
        let len = args::size("len", &len).map_err(js_err)?;
        let seed = args::seed("seed", &seed).map_err(js_err)?;
        let (lo, hi) = (args::finite_f32("lo", &lo).map_err(js_err)?, args::finite_f32("hi", &hi).map_err(js_err)?);
        Ok(Rng::new(seed as u64).uniform_vec(len, lo, hi))
    }

    /// `A (m, k) · B (k, n)` on exactly `backend` (`"cpu"`, `"cpu-reference"` or `"webgpu"`,
    /// no fallback: this is a check between backends); `a` and `b` are `Float32Array`s (or
    /// arrays of numbers) of `m·k` and `k·n` values, each size at least 1 and each product at
    /// most 2²⁴. Resolves to a `Float32Array` of `m·n` values, row-major, or rejects with the
    /// error message.
    pub fn matmul(&self, backend: JsValue, a: JsValue, b: JsValue, m: JsValue, k: JsValue, n: JsValue) -> Promise {
        let checked = || -> Result<_, Error> {
            let kind = BackendKind::parse(&args::string("backend", &backend)?)?;
            let (m, k, n) = (args::size("m", &m)?, args::size("k", &k)?, args::size("n", &n)?);
            let (mk, kn, _) = args::matrix_lengths(m, k, n)?;
            let (a, b) = (args::f32_array("a", &a, Some(mk))?, args::f32_array("b", &b, Some(kn))?);
            Ok((kind, a, b, m, k, n))
        };
        let (kind, a, b, m, k, n) = match checked() {
            Ok(v) => v,
            Err(e) => return reject(e),
        };
        let inner = self.inner.clone();
        future_to_promise(async move {
            let out = run_strict(&inner.open(), kind, &MatmulJob { a: &a, b: &b, m, k, n }).await;
            out.map(|v| Float32Array::from(v.as_slice()).into()).map_err(js_err)
        })
    }

    /// Compares `got` with the reference `want` (`Float32Array`s or arrays of numbers; a length
    /// difference counts as mismatches) under a named tolerance (`"exact"` or `"f32_matmul"`);
    /// returns `parity::Agreement` as JSON.
    pub fn compare(got: JsValue, want: JsValue, tolerance_name: JsValue) -> Result<String, JsValue> {
        panic::install();
        let got = args::f32_array("got", &got, None).map_err(js_err)?;
        let want = args::f32_array("want", &want, None).map_err(js_err)?;
        let tol = tolerance(&args::string("tolerance_name", &tolerance_name).map_err(js_err)?).map_err(js_err)?;
        let a = compare(&got, &want, tol);
        Ok(serde_json::json!({ "ok": a.ok(), "agreement": a }).to_string())
    }
}

/// `A · B` read back, on any backend.
struct MatmulJob<'a> {
    a: &'a [f32],
    b: &'a [f32],
    m: usize,
    k: usize,
    n: usize,
}

impl Job for MatmulJob<'_> {
    type Output = Vec<f32>;
    async fn run<B: Backend>(&self, be: &B) -> Result<Vec<f32>, Error> {
        let (m, k, n) = (self.m, self.k, self.n);
        let c = be.matmul(&be.upload(self.a, &[m, k])?, &be.upload(self.b, &[k, n])?)?;
        be.read(&c).await
    }
}
