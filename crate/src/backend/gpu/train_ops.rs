//! [`OptimOps`] and [`AmpOps`] for [`GpuBackend`]: optimizer and GradScaler kernels whose
//! skip flag and scale stay on the device (`train.rs`, `amp.rs`).

use super::*;
use crate::backend::prelude::*;
use crate::rules::error::Result;
use crate::rules::optim::{AdamConfig, SgdConfig};
use crate::rules::scaler::ScalerConfig;

impl OptimOps for GpuBackend {
    fn sgd_step(
        &self,
        p: &mut GpuTensor,
        grad: &GpuTensor,
        buf: &mut GpuTensor,
        cfg: &SgdConfig,
        first: bool,
        skip_if: Option<&GpuTensor>,
    ) -> Result<()> {
        train::sgd_step(self, p, grad, buf, cfg, first, skip_if)
    }

    fn adam_step(
        &self,
        p: &mut GpuTensor,
        grad: &GpuTensor,
        m: &mut GpuTensor,
        v: &mut GpuTensor,
        cfg: &AdamConfig,
        step: u32,
        skip_if: Option<&GpuTensor>,
    ) -> Result<()> {
        train::adam_step(self, p, grad, m, v, cfg, step, skip_if)
    }

    /// Uses `enable f16` where the device has shader-f16, else f16 packed in u32.
    fn adam_step_counted(
        &self,
        p: &mut GpuTensor,
        grad: &GpuTensor,
        m: &mut GpuTensor,
        v: &mut GpuTensor,
        cfg: &AdamConfig,
        table: &GpuTensor,
        count: &GpuTensor,
        skip_if: Option<&GpuTensor>,
    ) -> Result<()> {
        train::adam_step_counted(self, p, grad, m, v, cfg, table, count, skip_if)
    }
}

impl AmpOps for GpuBackend {
    fn amp_unscale(
        &self,
        grads: &mut [&mut GpuTensor],
        inv_scale: &GpuTensor,
        found_inf: &mut GpuTensor,
    ) -> Result<()> {
        amp::unscale(self, grads, inv_scale, found_inf)
    }

    fn amp_inv_scale(&self, scale: &GpuTensor) -> Result<GpuTensor> {
        amp::inv_scale(self, scale)
    }

    fn amp_update_scale(
        &self,
        scale: &mut GpuTensor,
        growth_tracker: &mut GpuTensor,
        found_inf: &GpuTensor,
        cfg: &ScalerConfig,
    ) -> Result<()> {
        amp::update_scale(self, scale, growth_tracker, found_inf, cfg)
    }
}
