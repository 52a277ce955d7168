//! The "PTQ calibration, CPU vs WebGPU" workloads: `Prepared::calibrate_on` of a fused MLP
//! (784-256-256-10, or the page's 2-16-16-2) on `k` batches of `m` samples, MinMax or
//! Histogram observers, on the CPU fast path or the native WebGPU backend. `run` returns the
//! GPU → CPU readbacks of one calibration (0 on the CPU), so a row can give time and readbacks.
//! On a software adapter (lavapipe, SwiftShader) the time says nothing about GPU speed.
//!
//! Not here: timing (the driver, `bench/run.mjs`), the other workloads (`bench.rs`).

use crate::backend::cpu::CpuFast;
use crate::backend::Backend;
use crate::model::spec::QConfigAttr;
use crate::quant::eager::{prepare, Prepared, QConfigDict};
use crate::rules::error::{Error, Result};
use crate::rules::rng::Rng;

/// Where a calibration workload runs.
pub enum Device {
    /// The CPU fast path.
    Cpu,
    /// The native WebGPU backend.
    #[cfg(not(target_arch = "wasm32"))]
    Gpu(Box<crate::GpuBackend>),
}

/// One calibration workload: the prepared (uncalibrated) model and its data.
pub struct CalibBench {
    prepared: Prepared,
    calib: Vec<f32>,
    shape: [usize; 2],
    batch: usize,
    device: Device,
}

impl CalibBench {
    /// `kind` is `calib_{minmax,histogram}_{cpu,webgpu}`; `d` the input width: 784 for the MLP
    /// 784-256-256-10, 2 for the page's 2-16-16-2; `m` samples per batch, `k` batches.
    pub fn new(kind: &str, m: usize, k: usize, d: usize, seed: u64) -> Result<CalibBench> {
        let sizes: Vec<usize> = match d {
            784 => vec![784, 256, 256, 10],
            2 => vec![2, 16, 16, 2],
            other => {
                return Err(Error::InvalidArgument {
                    name: "calibration workload input width (n)",
                    value: other.to_string(),
                    valid: "784 (MLP 784-256-256-10) or 2 (the page's 2-16-16-2)".into(),
                })
            }
        };
        let mut r = Rng::new(seed);
        let (mut ws, mut bs) = (Vec::new(), Vec::new());
        for p in sizes.windows(2) {
            let bound = 1.0 / (p[0] as f32).sqrt();
            ws.push(r.uniform_vec(p[0] * p[1], -bound, bound));
            bs.push(r.uniform_vec(p[1], -bound, bound));
        }
        let mut model = crate::model::mlp_model(&sizes, &ws, &bs)?;
        model = crate::model::fuse::fuse_modules(&model, &model.fuse.clone())?;
        model.root.qconfig = QConfigAttr::Named("x86".into());
        let observer = if kind.starts_with("calib_minmax") { "minmax" } else { "histogram" };
        let dict = QConfigDict { observer: Some(observer.into()), ..Default::default() };
        let device = if kind.ends_with("_cpu") {
            Device::Cpu
        } else {
            #[cfg(not(target_arch = "wasm32"))]
            {
                Device::Gpu(Box::new(pollster::block_on(crate::GpuBackend::new())?))
            }
            #[cfg(target_arch = "wasm32")]
            return Err(Error::Unsupported { op: "calib_*_webgpu", detail: "native only".into() });
        };
        let n = m.max(1) * k.max(1);
        Ok(CalibBench {
            prepared: prepare(&model, &dict)?,
            calib: r.uniform_vec(n * sizes[0], -1.0, 1.0),
            shape: [n, sizes[0]],
            batch: m.max(1),
            device,
        })
    }

    async fn calibrate<B: Backend>(&self, b: &B) -> Result<Prepared> {
        let mut p = self.prepared.clone();
        p.calibrate_on(b, &self.calib, &self.shape, self.batch).await?;
        Ok(p)
    }

    /// One calibration run; returns its readbacks (0 on the CPU).
    pub fn run(&self) -> Result<f64> {
        match &self.device {
            Device::Cpu => crate::backend::ready(self.calibrate(&CpuFast)).map(|_| 0.0),
            #[cfg(not(target_arch = "wasm32"))]
            Device::Gpu(g) => {
                let before = g.readback_count();
                pollster::block_on(self.calibrate(g.as_ref()))?;
                Ok((g.readback_count() - before) as f64)
            }
        }
    }
}
