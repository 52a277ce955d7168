//! The benchmark workloads on the wasm surface (`bench/run.mjs` drives them): the CPU fast
//! path's GEMMs and the WebGPU matmul. Built only with the `bench` cargo feature (on by default;
//! a package build leaves it out).

use super::js_err;
use crate::backend::gpu::GpuBackend;
use crate::backend::prelude::*;
use js_sys::Promise;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

/// A benchmark workload on the wasm CPU fast path (see `crate::bench`), for `bench/run.mjs`.
#[wasm_bindgen]
pub struct BenchWorkload {
    inner: crate::bench::Workload,
}

#[wasm_bindgen]
impl BenchWorkload {
    /// `f32_gemm` on the given row-major inputs A (m, k) and B (k, n).
    pub fn f32_gemm(m: usize, k: usize, n: usize, a: Vec<f32>, b: Vec<f32>) -> Result<BenchWorkload, JsError> {
        if a.len() != m * k || b.len() != k * n {
            return Err(JsError::new(&format!(
                "f32_gemm: A needs {} values and B {}, got {} and {}",
                m * k,
                k * n,
                a.len(),
                b.len()
            )));
        }
        Ok(BenchWorkload { inner: crate::bench::Workload::f32(m, k, n, a, b) })
    }

    /// `int8_gemm` (MatMulInteger): A (m, k) uint8, B (k, n) int8, with zero points.
    pub fn int8_gemm(
        m: usize,
        k: usize,
        n: usize,
        a: Vec<u8>,
        b: Vec<i8>,
        a_zero_point: i32,
        b_zero_point: i32,
    ) -> Result<BenchWorkload, JsError> {
        if a.len() != m * k || b.len() != k * n {
            return Err(JsError::new(&format!(
                "int8_gemm: A needs {} values and B {}, got {} and {}",
                m * k,
                k * n,
                a.len(),
                b.len()
            )));
        }
        let b = b.into_iter().map(i32::from).collect();
        Ok(BenchWorkload { inner: crate::bench::Workload::int8(m, k, n, a, b, a_zero_point, b_zero_point) })
    }

    /// Runs once; returns the sum of the outputs.
    pub fn run(&self) -> f64 {
        self.inner.run()
    }
}

/// quantplay's WebGPU matmul as a benchmark workload: inputs uploaded once, each run is one
/// dispatch plus the read-back of C, as the tfjs-webgpu peer does.
#[wasm_bindgen]
pub struct GpuBenchWorkload {
    inner: Rc<(
        GpuBackend,
        crate::backend::gpu::GpuTensor,
        crate::backend::gpu::GpuTensor,
        crate::backend::gpu::MatmulPath,
    )>,
}

#[wasm_bindgen]
impl GpuBenchWorkload {
    /// Opens WebGPU and uploads A (n, n) and B (n, n); `kernel` is "simple", "tiled" or "blocked".
    pub async fn create(n: usize, a: Vec<f32>, b: Vec<f32>, kernel: &str) -> Result<GpuBenchWorkload, JsError> {
        use crate::backend::gpu::MatmulPath;
        let path = match kernel {
            "simple" => MatmulPath::Simple,
            "tiled" => MatmulPath::Tiled,
            "blocked" => MatmulPath::Blocked,
            other => {
                return Err(JsError::new(&format!(
                    "invalid kernel {other:?}; valid values: \"simple\", \"tiled\", \"blocked\""
                )))
            }
        };
        let g = GpuBackend::new().await.map_err(|e| JsError::new(&e.to_string()))?;
        let at = g.upload(&a, &[n, n]).map_err(|e| JsError::new(&e.to_string()))?;
        let bt = g.upload(&b, &[n, n]).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(GpuBenchWorkload { inner: Rc::new((g, at, bt, path)) })
    }

    /// One matmul and its read-back; resolves to the sum of C.
    pub fn run(&self) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let (g, a, b, path) = &*inner;
            let c = g.matmul_t_with(a, b, false, false, *path).map_err(js_err)?;
            let v = g.read(&c).await.map_err(js_err)?;
            Ok(JsValue::from_f64(v.iter().map(|&x| x as f64).sum()))
        })
    }
}
