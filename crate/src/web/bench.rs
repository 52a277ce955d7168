//! The benchmark workloads on the wasm surface (`bench/run.mjs` drives them): the CPU fast
//! path's GEMMs and the WebGPU matmul. Built only with the `bench` cargo feature (on by default;
//! a package build leaves it out).

use super::{args, js_err};
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
    /// `f32_gemm` on the given row-major inputs A (m, k) and B (k, n) (`Float32Array`s).
    pub fn f32_gemm(m: JsValue, k: JsValue, n: JsValue, a: JsValue, b: JsValue) -> Result<BenchWorkload, JsValue> {
        super::panic::install();
        let checked = || -> Result<_, crate::rules::error::Error> {
            let (m, k, n) = (args::size("m", &m)?, args::size("k", &k)?, args::size("n", &n)?);
            let (mk, kn, _) = args::matrix_lengths(m, k, n)?;
            Ok(crate::bench::Workload::f32(
                m,
                k,
                n,
                args::f32_array("a", &a, Some(mk))?,
                args::f32_array("b", &b, Some(kn))?,
            ))
        };
        Ok(BenchWorkload { inner: checked().map_err(js_err)? })
    }

    /// `int8_gemm` (MatMulInteger): A (m, k) uint8 (`Uint8Array`), B (k, n) int8 (`Int8Array`),
    /// with zero points in 0..=255 and -128..=127.
    pub fn int8_gemm(
        m: JsValue,
        k: JsValue,
        n: JsValue,
        a: JsValue,
        b: JsValue,
        a_zero_point: JsValue,
        b_zero_point: JsValue,
    ) -> Result<BenchWorkload, JsValue> {
        super::panic::install();
        let checked = || -> Result<_, crate::rules::error::Error> {
            let (m, k, n) = (args::size("m", &m)?, args::size("k", &k)?, args::size("n", &n)?);
            let (mk, kn, _) = args::matrix_lengths(m, k, n)?;
            let (a, b) = (args::u8_array("a", &a, Some(mk))?, args::i8_array("b", &b, Some(kn))?);
            let (za, zb) = (
                args::int_in("a_zero_point", &a_zero_point, 0, 255)?,
                args::int_in("b_zero_point", &b_zero_point, -128, 127)?,
            );
            let b = b.into_iter().map(i32::from).collect();
            Ok(crate::bench::Workload::int8(m, k, n, a, b, za, zb))
        };
        Ok(BenchWorkload { inner: checked().map_err(js_err)? })
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
    /// Opens WebGPU and uploads A (n, n) and B (n, n) (`Float32Array`s); `kernel` is
    /// "simple", "tiled" or "blocked".
    pub async fn create(n: JsValue, a: JsValue, b: JsValue, kernel: JsValue) -> Result<GpuBenchWorkload, JsValue> {
        use crate::backend::gpu::MatmulPath;
        super::panic::install();
        let checked = || -> Result<_, crate::rules::error::Error> {
            let n = args::size("n", &n)?;
            let (nn, _, _) = args::matrix_lengths(n, n, n)?;
            let path = match args::string("kernel", &kernel)?.as_str() {
                "simple" => MatmulPath::Simple,
                "tiled" => MatmulPath::Tiled,
                "blocked" => MatmulPath::Blocked,
                _ => return Err(args::bad("kernel", &kernel, "\"simple\", \"tiled\", \"blocked\"")),
            };
            Ok((n, args::f32_array("a", &a, Some(nn))?, args::f32_array("b", &b, Some(nn))?, path))
        };
        let (n, a, b, path) = checked().map_err(js_err)?;
        let g = GpuBackend::new().await.map_err(js_err)?;
        let at = g.upload(&a, &[n, n]).map_err(js_err)?;
        let bt = g.upload(&b, &[n, n]).map_err(js_err)?;
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
