//! [`OptimOps`] and [`AmpOps`] for [`CpuReference`]: validate, then the plain loops of
//! `train.rs` (optimizer and GradScaler rules from `crate::rules`).

use super::super::tensor::{skip, tensor, CpuTensor};
use super::*;
use crate::backend::prelude::*;
use crate::backend::{check_scalar, check_step, expect_dtype, DType, HostData};
use crate::rules::error::{Error, Result};
use crate::rules::optim::{AdamConfig, AdamScalars, SgdConfig};
use crate::rules::scaler::ScalerConfig;

/// The slice loop of an SGD step: `(p, grad, momentum_buffer, cfg, first)`.
pub(crate) type SgdLoop = fn(&mut [f32], &[f32], &mut [f32], &SgdConfig, bool);
/// The slice loop of an Adam step: `(p, grad, exp_avg, exp_avg_sq, cfg, step scalars)`.
pub(crate) type AdamLoop = fn(&mut [f32], &[f32], &mut [f32], &mut [f32], &AdamConfig, &AdamScalars);

/// [`OptimOps::sgd_step`] on CPU tensors: validation and the skip flag, then `run` over the
/// slices (the plain loop here; `CpuFast` passes the same loop compiled with FMA).
#[allow(clippy::too_many_arguments)]
pub(crate) fn sgd_with(
    p: &mut CpuTensor,
    grad: &CpuTensor,
    buf: &mut CpuTensor,
    cfg: &SgdConfig,
    first: bool,
    skip_if: Option<&CpuTensor>,
    run: SgdLoop,
) -> Result<()> {
    check_step("sgd_step", p, &[grad, &*buf])?;
    cfg.validate()?;
    if skip(skip_if, "sgd_step")? {
        return Ok(());
    }
    run(p.f32s_mut(), grad.f32s("sgd_step")?, buf.f32s_mut(), cfg, first);
    Ok(())
}

/// [`OptimOps::adam_step`] on CPU tensors with the slice loop `run`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn adam_with(
    p: &mut CpuTensor,
    grad: &CpuTensor,
    m: &mut CpuTensor,
    v: &mut CpuTensor,
    cfg: &AdamConfig,
    step: u32,
    skip_if: Option<&CpuTensor>,
    run: AdamLoop,
) -> Result<()> {
    check_step("adam_step", p, &[grad, &*m, &*v])?;
    cfg.validate()?;
    if step == 0 {
        return Err(Error::InvalidArgument {
            name: "step",
            value: "0".into(),
            valid: ">= 1 (Adam counts steps from 1)".into(),
        });
    }
    if skip(skip_if, "adam_step")? {
        return Ok(());
    }
    run(p.f32s_mut(), grad.f32s("adam_step")?, m.f32s_mut(), v.f32s_mut(), cfg, &cfg.scalars(step));
    Ok(())
}

/// [`OptimOps::adam_step_counted`] on CPU tensors with the slice loop `run`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn adam_counted_with(
    p: &mut CpuTensor,
    grad: &CpuTensor,
    m: &mut CpuTensor,
    v: &mut CpuTensor,
    cfg: &AdamConfig,
    table: &CpuTensor,
    count: &CpuTensor,
    skip_if: Option<&CpuTensor>,
    run: AdamLoop,
) -> Result<()> {
    check_step("adam_step", p, &[grad, &*m, &*v])?;
    check_scalar("adam_step", "count", count, DType::F32)?;
    cfg.validate()?;
    let t = count.f32s("adam_step")?[0] as usize;
    let table = table.f32s("adam_step")?;
    if 2 * t + 1 >= table.len() {
        return Err(Error::InvalidArgument {
            name: "count",
            value: t.to_string(),
            valid: format!("< {} (the table's steps)", table.len() / 2),
        });
    }
    if skip(skip_if, "adam_step")? {
        return Ok(());
    }
    let s = AdamScalars { neg_step_size: table[2 * t], bc2_sqrt: table[2 * t + 1], ..cfg.scalars(1) };
    run(p.f32s_mut(), grad.f32s("adam_step")?, m.f32s_mut(), v.f32s_mut(), cfg, &s);
    Ok(())
}

impl OptimOps for CpuReference {
    fn sgd_step(
        &self,
        p: &mut CpuTensor,
        grad: &CpuTensor,
        buf: &mut CpuTensor,
        cfg: &SgdConfig,
        first: bool,
        skip_if: Option<&CpuTensor>,
    ) -> Result<()> {
        sgd_with(p, grad, buf, cfg, first, skip_if, sgd_step)
    }

    fn adam_step(
        &self,
        p: &mut CpuTensor,
        grad: &CpuTensor,
        m: &mut CpuTensor,
        v: &mut CpuTensor,
        cfg: &AdamConfig,
        step: u32,
        skip_if: Option<&CpuTensor>,
    ) -> Result<()> {
        adam_with(p, grad, m, v, cfg, step, skip_if, adam_step_with)
    }

    fn adam_step_counted(
        &self,
        p: &mut CpuTensor,
        grad: &CpuTensor,
        m: &mut CpuTensor,
        v: &mut CpuTensor,
        cfg: &AdamConfig,
        table: &CpuTensor,
        count: &CpuTensor,
        skip_if: Option<&CpuTensor>,
    ) -> Result<()> {
        adam_counted_with(p, grad, m, v, cfg, table, count, skip_if, adam_step_with)
    }
}

impl AmpOps for CpuReference {
    fn amp_unscale(
        &self,
        grads: &mut [&mut CpuTensor],
        inv_scale: &CpuTensor,
        found_inf: &mut CpuTensor,
    ) -> Result<()> {
        check_scalar("amp_unscale", "inv_scale", inv_scale, DType::F32)?;
        check_scalar("amp_unscale", "found_inf", found_inf, DType::F32)?;
        for g in grads.iter() {
            expect_dtype("amp_unscale", &**g, DType::F32)?;
        }
        let inv = inv_scale.f32s("amp_unscale")?[0];
        let mut found = found_inf.f32s("amp_unscale")?[0] != 0.0;
        for g in grads.iter_mut() {
            amp_unscale(g.f32s_mut(), inv, &mut found);
        }
        if found {
            found_inf.f32s_mut()[0] = 1.0;
        }
        Ok(())
    }

    fn amp_inv_scale(&self, scale: &CpuTensor) -> Result<CpuTensor> {
        check_scalar("amp_inv_scale", "scale", scale, DType::F32)?;
        Ok(tensor(&[1], HostData::F32(vec![amp_inv_scale(scale.f32s("amp_inv_scale")?[0])])))
    }

    fn amp_update_scale(
        &self,
        scale: &mut CpuTensor,
        growth_tracker: &mut CpuTensor,
        found_inf: &CpuTensor,
        cfg: &ScalerConfig,
    ) -> Result<()> {
        check_scalar("amp_update_scale", "scale", scale, DType::F32)?;
        check_scalar("amp_update_scale", "growth_tracker", growth_tracker, DType::I32)?;
        check_scalar("amp_update_scale", "found_inf", found_inf, DType::F32)?;
        cfg.validate()?;
        let HostData::I32(t) = &mut growth_tracker.data else { unreachable!("dtype checked") };
        let (s, nt) = amp_update_scale(
            scale.f32s("amp_update_scale")?[0],
            t[0],
            found_inf.f32s("amp_update_scale")?[0] != 0.0,
            cfg,
        );
        t[0] = nt;
        scale.f32s_mut()[0] = s;
        Ok(())
    }
}
