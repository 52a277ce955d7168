//! The WebGPU backend's mixed-precision ops: the f16 matmul (two kernels, `enable f16` and
//! packed u32, which must agree bit for bit) and GradScaler's unscale / found-inf check and
//! scale update, which keep their state on the device so a training step never reads back.

use super::kernels::Kernel;
use super::{u32_dim, F16Path, GpuBackend, GpuTensor};
use crate::backend::{check_matmul_f16, check_scalar, expect_dtype, DType, HasShape};
use crate::rules::error::{Error, Result};
use crate::rules::scaler::ScalerConfig;

pub(super) fn matmul_f16(
    g: &GpuBackend,
    a: &GpuTensor,
    b: &GpuTensor,
    ta: bool,
    tb: bool,
    path: F16Path,
) -> Result<GpuTensor> {
    let (m, k, n) = check_matmul_f16(a, b, ta, tb)?;
    let kernel = match path {
        F16Path::Packed => Kernel::MatmulF16,
        F16Path::Native if g.info.shader_f16 => Kernel::MatmulF16Native,
        F16Path::Native => {
            return Err(Error::Unsupported {
                op: "matmul_f16",
                detail: "the native path needs the WebGPU feature shader-f16, which this device lacks".into(),
            })
        }
    };
    let out = g.output(&[m, n], DType::F16)?;
    if k == 0 {
        return Ok(out); // all zeros, like torch.mm with k = 0
    }
    let params = [u32_dim("m", m)?, u32_dim("k", k)?, u32_dim("n", n)?, ta as u32 | (tb as u32) << 1];
    g.dispatch(kernel, &params, &[&a.buffer, &b.buffer, &out.buffer], g.grid((m * n).div_ceil(2)));
    Ok(out)
}

pub(super) fn unscale(
    g: &GpuBackend,
    grads: &mut [&mut GpuTensor],
    inv_scale: &GpuTensor,
    found_inf: &mut GpuTensor,
) -> Result<()> {
    check_scalar("amp_unscale", "inv_scale", inv_scale, DType::F32)?;
    check_scalar("amp_unscale", "found_inf", found_inf, DType::F32)?;
    for t in grads.iter() {
        expect_dtype("amp_unscale", &**t, DType::F32)?;
    }
    // The test-only fault (GpuBackend::inject_nan_gradient); write_buffer lands before the
    // dispatches below, which are submitted after it on the same queue.
    if let Some(t) = grads.iter().find(|t| t.numel() > 0) {
        if g.take_nan_fault() {
            g.queue.write_buffer(&t.buffer, 0, &f32::NAN.to_le_bytes());
        }
    }
    for t in grads.iter() {
        let len = t.numel();
        g.dispatch(
            Kernel::AmpUnscale,
            &[u32_dim("len", len)?, 0, 0, 0],
            &[&t.buffer, &inv_scale.buffer, &found_inf.buffer],
            g.grid(len),
        );
    }
    Ok(())
}

/// `x` as `hi + lo` with both parts f32 and `hi = (f32)x`; `lo` is 0 when x is an f32 value.
fn split(x: f64) -> (f32, f32) {
    let hi = x as f32;
    (hi, (x - hi as f64) as f32)
}

pub(super) fn update_scale(
    g: &GpuBackend,
    scale: &GpuTensor,
    tracker: &GpuTensor,
    found_inf: &GpuTensor,
    c: &ScalerConfig,
) -> Result<()> {
    check_scalar("amp_update_scale", "scale", scale, DType::F32)?;
    check_scalar("amp_update_scale", "growth_tracker", tracker, DType::I32)?;
    check_scalar("amp_update_scale", "found_inf", found_inf, DType::F32)?;
    c.validate()?;
    let ((gh, gl), (bh, bl)) = (split(c.growth_factor), split(c.backoff_factor));
    let f = |x: f32| x.to_bits();
    let params = [f(gh), f(gl), f(bh), f(bl), c.growth_interval.min(i32::MAX as u32), 0, 0, 0];
    g.dispatch(Kernel::AmpUpdateScale, &params, &[&scale.buffer, &tracker.buffer, &found_inf.buffer], [1, 1, 1]);
    Ok(())
}

pub(super) fn inv_scale(g: &GpuBackend, scale: &GpuTensor) -> Result<GpuTensor> {
    check_scalar("amp_inv_scale", "scale", scale, DType::F32)?;
    let out = g.output(&[1], DType::F32)?;
    g.dispatch(Kernel::AmpInvScale, &[], &[&scale.buffer, &out.buffer], [1, 1, 1]);
    Ok(out)
}
