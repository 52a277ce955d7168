//! Training-step benchmark workloads (issue 5): one step of an MLP 784-256-256-10 on a fixed
//! batch, in fp32 or 16-mixed, as `bench/torch_worker.py`'s `train_fp32` / `train_16mixed` run
//! it in torch. A step is forward, mean cross-entropy, backward and the optimizer update
//! (SGD, lr 0.01, momentum 0.9, on both sides); 16-mixed adds autocast(float16) casts and the
//! GradScaler (scale, unscale with found_inf, skip-on-inf, update), all on the device.
//!
//! - fp32: [`Mlp::train_step`], torch's plain step (`loss.backward(); opt.step()`).
//! - 16-mixed: [`Mlp::train_step_amp`] with a [`DeviceScaler`], torch's
//!   `autocast("cpu", torch.float16)` + `torch.amp.GradScaler("cpu")` step.
//! - [`GpuReadbacks`] (native only): the 16-mixed step on a [`crate::GpuBackend`],
//!   counting GPU → CPU reads per step (the step should need none).
//!
//! Not here: the GEMM and PTQ workloads (`bench.rs`), timing (`bench/run.mjs`).

use crate::backend::{Backend, DType, HostData};
use crate::nn::amp_step::{AmpMode, DeviceScaler};
use crate::nn::mlp::{Mlp, Optimizer};
use crate::nn::SgdConfig;
use crate::rules::error::Result;
use crate::rules::rng::Rng;
use crate::rules::scaler::ScalerConfig;

/// The benchmarked MLP's layer sizes.
pub const SIZES: [usize; 4] = [784, 256, 256, 10];

/// An MLP, its optimizer and scaler, and one batch, all on backend `B`.
pub struct TrainBench<B: Backend> {
    mlp: Mlp<B>,
    scaler: Option<DeviceScaler<B>>,
    x: B::Tensor,
    y: B::Tensor,
    opt: Optimizer,
}

impl<B: Backend> TrainBench<B> {
    /// `batch` samples of U(0, 1) inputs and random labels from `seed`; `mixed` picks 16-mixed
    /// (with torch's default GradScaler: init_scale 65536, growth every 2000 steps).
    pub fn new(b: &B, batch: usize, mixed: bool, seed: u64) -> Result<TrainBench<B>> {
        let mut r = Rng::new(seed);
        let x = b.upload(&r.uniform_vec(batch * SIZES[0], 0.0, 1.0), &[batch, SIZES[0]])?;
        let labels: Vec<i32> = (0..batch).map(|_| (r.next_u64() % SIZES[3] as u64) as i32).collect();
        let y = b.upload_data(HostData::I32(labels), &[batch])?;
        let scaler = if mixed { Some(DeviceScaler::new(b, ScalerConfig::default())?) } else { None };
        let opt = Optimizer::Sgd(SgdConfig { lr: 0.01, momentum: 0.9, ..SgdConfig::default() });
        Ok(TrainBench { mlp: Mlp::new(b, &SIZES, seed)?, scaler, x, y, opt })
    }

    /// One training step; returns the loss tensor `(1,)` (still on the backend).
    pub fn step(&mut self, b: &B) -> Result<B::Tensor> {
        match self.scaler.as_mut() {
            None => Ok(self.mlp.train_step(b, &self.x, &self.y, &self.opt)?.loss),
            Some(s) => {
                let mode = AmpMode { dtype: DType::F16, pure: false, loss_multiplier: 1.0, inject_overflow: false };
                Ok(self.mlp.train_step_amp(b, &self.x, &self.y, None, &self.opt, &mode, Some(s))?.loss)
            }
        }
    }
}

/// Runs `steps` 16-mixed steps of a `batch`-sample [`TrainBench`] on a fresh WebGPU backend and
/// returns the readbacks per step (the delta of [`crate::GpuBackend::readback_count`] over the
/// steps, divided by `steps`). The loss is read once afterwards, outside the count, so the queue
/// drains before the next call.
#[cfg(not(target_arch = "wasm32"))]
pub struct GpuReadbacks {
    gpu: crate::GpuBackend,
    bench: TrainBench<crate::GpuBackend>,
    steps: usize,
}

#[cfg(not(target_arch = "wasm32"))]
impl GpuReadbacks {
    /// Opens the adapter (an error naming why when there is none) and sets up the workload.
    pub fn new(batch: usize, steps: usize, seed: u64) -> Result<GpuReadbacks> {
        let gpu = pollster::block_on(crate::GpuBackend::new())?;
        let bench = TrainBench::new(&gpu, batch, true, seed)?;
        Ok(GpuReadbacks { gpu, bench, steps: steps.max(1) })
    }

    /// See [`GpuReadbacks`]: readbacks per 16-mixed step.
    pub fn readbacks_per_step(&mut self) -> Result<f64> {
        let before = self.gpu.readback_count();
        let mut loss = None;
        for _ in 0..self.steps {
            loss = Some(self.bench.step(&self.gpu)?);
        }
        let delta = self.gpu.readback_count() - before;
        if let Some(l) = loss {
            pollster::block_on(crate::backend::TensorOps::read(&self.gpu, &l))?;
        }
        Ok(delta as f64 / self.steps as f64)
    }
}
