//! [`OptimOps`] and [`AmpOps`] for [`CpuReference`]: validate, then the plain loops of
//! `train.rs` (optimizer and GradScaler rules from `crate::rules`).

use super::super::tensor::{skip, tensor, CpuTensor};
use super::*;
use crate::backend::prelude::*;
use crate::backend::{check_scalar, check_step, expect_dtype, DType, HostData};
use crate::rules::error::{Error, Result};
use crate::rules::optim::{AdamConfig, SgdConfig};
use crate::rules::scaler::ScalerConfig;

impl OptimOps for CpuReference {
    #[inline(always)] // so CpuFast's FMA copy inlines it
    fn sgd_step(
        &self,
        p: &mut CpuTensor,
        grad: &CpuTensor,
        buf: &mut CpuTensor,
        cfg: &SgdConfig,
        first: bool,
        skip_if: Option<&CpuTensor>,
    ) -> Result<()> {
        check_step("sgd_step", p, &[grad, &*buf])?;
        cfg.validate()?;
        if skip(skip_if, "sgd_step")? {
            return Ok(());
        }
        sgd_step(p.f32s_mut(), grad.f32s("sgd_step")?, buf.f32s_mut(), cfg, first);
        Ok(())
    }

    #[inline(always)] // so CpuFast's FMA copy inlines it
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
        adam_step(p.f32s_mut(), grad.f32s("adam_step")?, m.f32s_mut(), v.f32s_mut(), cfg, step);
        Ok(())
    }

    #[inline(always)] // so CpuFast's FMA copy inlines it
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
        let s = crate::rules::optim::AdamScalars {
            neg_step_size: table[2 * t],
            bc2_sqrt: table[2 * t + 1],
            ..cfg.scalars(1)
        };
        adam_step_with(p.f32s_mut(), grad.f32s("adam_step")?, m.f32s_mut(), v.f32s_mut(), cfg, &s);
        Ok(())
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
