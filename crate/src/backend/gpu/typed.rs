//! The WebGPU backend's dtype-changing ops: f32 ↔ f16 casts, affine quantize / dequantize and
//! the quantized Linear.
//! Each validates with the shared rules in `backend/mod.rs`, then dispatches one kernel over
//! packed words (`cast_f16.wgsl`, `quantize.wgsl`, `dequantize.wgsl`).

use super::kernels::Kernel;
use super::{u32_dim, GpuBackend, GpuTensor, Int8Path};
use crate::backend::{check_cast, check_dequantize, check_qlinear, check_quantize, DType, HasShape};
use crate::rules::error::{Error, Result};
use crate::rules::{QLinearSpec, QParams};

pub(super) fn cast(g: &GpuBackend, x: &GpuTensor, to: DType) -> Result<GpuTensor> {
    check_cast(x.dtype, to)?;
    let len = x.numel();
    let kernel = match (x.dtype, to) {
        (a, b) if a == b => {
            let out = g.output(&x.shape, to)?;
            let mut encoder = g.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
            encoder.copy_buffer_to_buffer(&x.buffer, 0, &out.buffer, 0, x.buffer.size());
            g.queue.submit([encoder.finish()]);
            return Ok(out);
        }
        (DType::F32, DType::F16) => Kernel::F32ToF16,
        (DType::F16, DType::F32) => Kernel::F16ToF32,
        (from, to) => {
            return Err(Error::Unsupported {
                op: "cast",
                detail: format!("{from} → {to} runs on the CPU backend only; WebGPU casts float32 ↔ float16"),
            })
        }
    };
    let out = g.output(&x.shape, to)?;
    g.dispatch(kernel, &[u32_dim("len", len)?, 0, 0, 0], &[&x.buffer, &out.buffer], g.grid(len.div_ceil(2)));
    Ok(out)
}

/// Uniform fields shared by quantize.wgsl and dequantize.wgsl, plus the per-channel arrays
/// `(scales, zero_points)`: `(i / inner) % channels` picks element i's pair.
fn layout(shape: &[usize], q: &QParams) -> Result<([u32; 8], Vec<f32>, Vec<i32>)> {
    let len = shape.iter().product::<usize>();
    let (scales, zps, inner, channels) = match q {
        QParams::PerTensor { scale, zero_point, .. } => (vec![*scale], vec![*zero_point], len.max(1), 1),
        QParams::PerChannel { scales, zero_points, axis, .. } => (
            scales.clone(),
            zero_points.clone(),
            shape[axis + 1..].iter().product::<usize>().max(1),
            shape[*axis].max(1),
        ),
    };
    let dtype = q.dtype();
    let params = [
        u32_dim("len", len)?,
        u32_dim("inner", inner)?,
        u32_dim("channels", channels)?,
        (dtype.code_dtype() == DType::I8) as u32,
        (dtype.qmin() as f32).to_bits(),
        (dtype.qmax() as f32).to_bits(),
        0,
        0,
    ];
    Ok((params, scales, zps))
}

pub(super) fn quantize(g: &GpuBackend, x: &GpuTensor, q: &QParams) -> Result<GpuTensor> {
    check_quantize(x, q)?;
    let (params, scales, zps) = layout(&x.shape, q)?;
    // torch's inv_scale = 1.0f / (float)scale, computed here because WGSL division is inexact.
    let inv_scales: Vec<u32> = scales.iter().map(|s| (1.0f32 / s).to_bits()).collect();
    let zps: Vec<u32> = zps.iter().map(|&z| z as u32).collect();
    let (s_buf, z_buf) = (g.small_buffer(&inv_scales), g.small_buffer(&zps));
    let out = g.output(&x.shape, q.dtype().code_dtype())?;
    g.dispatch(Kernel::Quantize, &params, &[&x.buffer, &s_buf, &z_buf, &out.buffer], g.grid(x.numel().div_ceil(4)));
    Ok(out)
}

pub(super) fn dequantize(g: &GpuBackend, codes: &GpuTensor, q: &QParams) -> Result<GpuTensor> {
    check_dequantize(codes, q)?;
    let (params, scales, zps) = layout(&codes.shape, q)?;
    let scales: Vec<u32> = scales.iter().map(|s| s.to_bits()).collect();
    let zps: Vec<u32> = zps.iter().map(|&z| z as u32).collect();
    let (s_buf, z_buf) = (g.small_buffer(&scales), g.small_buffer(&zps));
    let out = g.output(&codes.shape, DType::F32)?;
    g.dispatch(
        Kernel::Dequantize,
        &params,
        &[&codes.buffer, &s_buf, &z_buf, &out.buffer],
        g.grid(codes.numel().div_ceil(4)),
    );
    Ok(out)
}

pub(super) fn quantized_linear(
    g: &GpuBackend,
    x: &GpuTensor,
    w: &GpuTensor,
    spec: &QLinearSpec,
    path: Int8Path,
) -> Result<GpuTensor> {
    let (m, k, n) = check_qlinear(x, w, spec)?;
    let kernel = match path {
        Int8Path::Bytes => Kernel::QLinear,
        Int8Path::Dot4 if !g.info.packed_int8_dot => {
            return Err(Error::Unsupported {
                op: "quantized_linear",
                detail: "the dot4 path needs the WGSL feature packed_4x8_integer_dot_product, which this adapter lacks"
                    .into(),
            })
        }
        Int8Path::Dot4 if k % 4 != 0 => {
            return Err(Error::Unsupported {
                op: "quantized_linear",
                detail: format!("the dot4 path needs in_features % 4 == 0, got {k}"),
            })
        }
        Int8Path::Dot4 => Kernel::QLinearDot4,
    };
    let r = spec.requant(n);
    let words = |v: &[f32]| -> Vec<u32> { v.iter().map(|x| x.to_bits()).collect() };
    let zps: Vec<u32> = r.w_zero_points.iter().map(|&z| z as u32).collect();
    let (z_buf, b_buf, m_buf) =
        (g.small_buffer(&zps), g.small_buffer(&words(&r.bias_scaled)), g.small_buffer(&words(&r.multiplier)));
    let out = g.output(&[m, n], DType::U8)?;
    let params = [
        u32_dim("m", m)?,
        u32_dim("k", k)?,
        u32_dim("n", n)?,
        spec.x_zero_point as u32,
        r.out_zero_point as u32,
        r.lo as u32,
        0,
        0,
    ];
    let buffers = [&x.buffer, &w.buffer, &z_buf, &b_buf, &m_buf, &out.buffer];
    g.dispatch(kernel, &params, &buffers, g.grid((m * n).div_ceil(4)));
    Ok(out)
}
