//! The one wasm surface: `#[wasm_bindgen]` glue that converts arguments, delegates to the
//! library and returns `Result<_, JsError>`. JS owns the DOM, the charts and the timing; nothing
//! here touches the document.
//!
//! Async methods return a `Promise` built with `future_to_promise`, because wasm-bindgen futures
//! must be `'static`: the state lives behind an `Rc` that each promise clones.

use crate::backend::{cpu::CpuReference, gpu::GpuBackend, Backend};
use crate::info::SystemInfo;
use crate::parity::{compare, Tolerance, EXACT, F32_MATMUL};
use crate::rules::error::Error;
use crate::rules::rng::Rng;
use js_sys::{Float32Array, Promise};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

#[cfg(feature = "bench")]
mod bench;
mod quant;
mod trainer;
pub use trainer::Trainer;

struct Inner {
    cpu: CpuReference,
    gpu: Option<GpuBackend>,
    info: SystemInfo,
}

/// The playground's handle on quantplay: both backends and what was found.
#[wasm_bindgen]
pub struct Playground {
    inner: Rc<Inner>,
}

fn js_err(e: Error) -> JsValue {
    JsError::new(&e.to_string()).into()
}

/// Names accepted by [`Playground::matmul`]'s `backend` argument.
const BACKENDS: &str = "\"cpu\", \"webgpu\"";

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
    pub async fn create(use_gpu: bool) -> Result<Playground, JsError> {
        let gpu = if use_gpu {
            GpuBackend::new().await
        } else {
            Err(Error::GpuUnavailable("WebGPU turned off by the user".into()))
        };
        let info = SystemInfo::new(gpu.as_ref().map(|g| g.info()));
        Ok(Playground { inner: Rc::new(Inner { cpu: CpuReference, gpu: gpu.ok(), info }) })
    }

    /// [`SystemInfo`] as JSON: CPU SIMD features, the adapter, or the reason there is none.
    pub fn info_json(&self) -> String {
        serde_json::to_string(&self.inner.info).expect("info serialises")
    }

    /// `"webgpu"` when a GPU backend is open, else `"cpu"`.
    pub fn active_backend(&self) -> String {
        self.inner.info.active_backend.clone()
    }

    /// `len` seeded values uniform in `[lo, hi)`: the same numbers on every target for one seed.
    pub fn random(len: usize, seed: u32, lo: f32, hi: f32) -> Vec<f32> {
        Rng::new(seed as u64).uniform_vec(len, lo, hi)
    }

    /// `A (m, k) · B (k, n)` on `backend` (`"cpu"` or `"webgpu"`); resolves to a
    /// `Float32Array` of `m·n` values, row-major, or rejects with the error message.
    pub fn matmul(&self, backend: String, a: Vec<f32>, b: Vec<f32>, m: usize, k: usize, n: usize) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let out = match backend.as_str() {
                "cpu" => run_matmul(&inner.cpu, &a, &b, m, k, n).await,
                "webgpu" => match &inner.gpu {
                    Some(g) => run_matmul(g, &a, &b, m, k, n).await,
                    None => Err(Error::GpuUnavailable(inner.info.gpu_unavailable_reason.clone().unwrap_or_default())),
                },
                other => Err(Error::InvalidArgument { name: "backend", value: other.into(), valid: BACKENDS.into() }),
            };
            out.map(|v| Float32Array::from(v.as_slice()).into()).map_err(js_err)
        })
    }

    /// Compares `got` with the reference `want` under a named tolerance (`"exact"` or
    /// `"f32_matmul"`); returns `parity::Agreement` as JSON.
    pub fn compare(got: Vec<f32>, want: Vec<f32>, tolerance_name: &str) -> Result<String, JsError> {
        let tol = tolerance(tolerance_name).map_err(|e| JsError::new(&e.to_string()))?;
        let a = compare(&got, &want, tol);
        Ok(serde_json::json!({ "ok": a.ok(), "agreement": a }).to_string())
    }
}

async fn run_matmul<B: Backend>(be: &B, a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Result<Vec<f32>, Error> {
    let c = be.matmul(&be.upload(a, &[m, k])?, &be.upload(b, &[k, n])?)?;
    be.read(&c).await
}
