//! The WebGPU backend's conv, batch-norm and fake-quant ops: reshape (a new handle on the same
//! buffer), the gathers of `conv.wgsl` (im2col, rows ↔ NCHW, col2im), `channel_affine.wgsl`,
//! `qrelu.wgsl`, `channel_lut.wgsl` and `fake_quant.wgsl`. Each validates with the shared rules in
//! `backend/conv.rs`, then dispatches one kernel; nothing here reads back. Also the dynamic
//! Linear's device half (`min_max.wgsl`, `qlinear_float.wgsl`).

use super::kernels::Kernel;
use super::{u32_dim, GpuBackend, GpuTensor};
use crate::backend::conv::{
    check_channel_affine, check_channel_lut, check_col2im, check_fake_quantize, check_im2col, check_min_max,
    check_nchw_to_rows, check_qlinear_float, check_quantized_relu, check_reshape, check_rows_to_nchw,
};
use crate::backend::{Conv2dGeom, DType, HasShape};
use crate::rules::error::Result;
use crate::rules::QParams;

pub(super) fn reshape(x: &GpuTensor, shape: &[usize]) -> Result<GpuTensor> {
    check_reshape(x, shape)?;
    Ok(GpuTensor { shape: shape.to_vec(), dtype: x.dtype, buffer: x.buffer.clone() })
}

/// The 16-word uniform of conv.wgsl.
fn params(len: usize, mode: u32, pad: u32, g: &Conv2dGeom, oh: usize, ow: usize) -> Result<[u32; 16]> {
    let d = |what: &str, v: usize| u32_dim(what, v);
    Ok([
        d("len", len)?,
        mode,
        pad,
        d("n", g.n)?,
        d("c", g.c)?,
        d("h", g.h)?,
        d("w", g.w)?,
        d("kh", g.kh)?,
        d("kw", g.kw)?,
        d("stride", g.stride.0)?,
        d("stride", g.stride.1)?,
        d("padding", g.padding.0)?,
        d("padding", g.padding.1)?,
        d("oh", oh)?,
        d("ow", ow)?,
        0,
    ])
}

/// Dispatches one of conv.wgsl's gathers: `kernels` is its (f32, uint8) pair.
fn gather(
    gpu: &GpuBackend,
    x: &GpuTensor,
    shape: &[usize],
    p: [u32; 16],
    kernels: (Kernel, Kernel),
) -> Result<GpuTensor> {
    let out = gpu.output(shape, x.dtype)?;
    let len = out.numel();
    let (kernel, items) = if x.dtype == DType::U8 { (kernels.1, len.div_ceil(4)) } else { (kernels.0, len) };
    gpu.dispatch(kernel, &p, &[&x.buffer, &out.buffer], gpu.grid(items));
    Ok(out)
}

pub(super) fn im2col(gpu: &GpuBackend, x: &GpuTensor, g: &Conv2dGeom, pad: f32) -> Result<GpuTensor> {
    let shape = check_im2col(x, g, pad)?;
    let (oh, ow) = g.out_hw()?;
    let pad = if x.dtype == DType::U8 { pad as u32 } else { pad.to_bits() };
    gather(gpu, x, &shape, params(shape[0] * shape[1], 0, pad, g, oh, ow)?, (Kernel::Im2ColF32, Kernel::Im2ColU8))
}

pub(super) fn rows_to_nchw(gpu: &GpuBackend, x: &GpuTensor, n: usize, h: usize, w: usize) -> Result<GpuTensor> {
    let c = check_rows_to_nchw(x, n, h, w)?;
    let g = Conv2dGeom { n, c, h, w, kh: 1, kw: 1, stride: (1, 1), padding: (0, 0) };
    gather(gpu, x, &[n, c, h, w], params(x.numel(), 1, 0, &g, h, w)?, (Kernel::RowsToNchwF32, Kernel::RowsToNchwU8))
}

pub(super) fn nchw_to_rows(gpu: &GpuBackend, x: &GpuTensor) -> Result<GpuTensor> {
    let [n, c, h, w] = check_nchw_to_rows(x)?;
    let g = Conv2dGeom { n, c, h, w, kh: 1, kw: 1, stride: (1, 1), padding: (0, 0) };
    gather(gpu, x, &[n * h * w, c], params(x.numel(), 2, 0, &g, h, w)?, (Kernel::NchwToRowsF32, Kernel::NchwToRowsU8))
}

pub(super) fn col2im(gpu: &GpuBackend, cols: &GpuTensor, g: &Conv2dGeom) -> Result<GpuTensor> {
    check_col2im(cols, g)?;
    let (oh, ow) = g.out_hw()?;
    let out = gpu.output(&g.input_shape(), DType::F32)?;
    let len = out.numel();
    gpu.dispatch(Kernel::Col2Im, &params(len, 0, 0, g, oh, ow)?, &[&cols.buffer, &out.buffer], gpu.grid(len));
    Ok(out)
}

pub(super) fn channel_affine(
    gpu: &GpuBackend,
    x: &GpuTensor,
    alpha: &GpuTensor,
    beta: &GpuTensor,
) -> Result<GpuTensor> {
    let (c, inner) = check_channel_affine(x, alpha, beta)?;
    let out = gpu.output(&x.shape, DType::F32)?;
    let len = out.numel();
    let p = [u32_dim("len", len)?, u32_dim("inner", inner.max(1))?, u32_dim("channels", c.max(1))?, 0];
    gpu.dispatch(Kernel::ChannelAffine, &p, &[&x.buffer, &alpha.buffer, &beta.buffer, &out.buffer], gpu.grid(len));
    Ok(out)
}

pub(super) fn quantized_relu(gpu: &GpuBackend, codes: &GpuTensor, zero_point: i32) -> Result<GpuTensor> {
    check_quantized_relu(codes, zero_point)?;
    let out = gpu.output(&codes.shape, DType::U8)?;
    let len = out.numel();
    gpu.dispatch(
        Kernel::QuantizedRelu,
        &[u32_dim("len", len)?, zero_point as u32, 0, 0],
        &[&codes.buffer, &out.buffer],
        gpu.grid(len.div_ceil(4)),
    );
    Ok(out)
}

pub(super) fn quantized_channel_lut(gpu: &GpuBackend, codes: &GpuTensor, table: &GpuTensor) -> Result<GpuTensor> {
    let (c, inner) = check_channel_lut(codes, table)?;
    let out = gpu.output(&codes.shape, DType::U8)?;
    let len = out.numel();
    let p = [u32_dim("len", len)?, u32_dim("inner", inner.max(1))?, u32_dim("channels", c.max(1))?, 0];
    gpu.dispatch(Kernel::ChannelLut, &p, &[&codes.buffer, &table.buffer, &out.buffer], gpu.grid(len.div_ceil(4)));
    Ok(out)
}

pub(super) fn fake_quantize(
    gpu: &GpuBackend,
    x: &GpuTensor,
    q: &QParams,
    quant_min: i32,
    quant_max: i32,
) -> Result<(GpuTensor, GpuTensor)> {
    check_fake_quantize(x, q, quant_min, quant_max)?;
    let len = x.numel();
    let (scales, zps, inner, channels) = match q {
        QParams::PerTensor { scale, zero_point, .. } => (vec![*scale], vec![*zero_point], 1, 1),
        QParams::PerChannel { scales, zero_points, axis, .. } => (
            scales.clone(),
            zero_points.clone(),
            x.shape[axis + 1..].iter().product::<usize>().max(1),
            x.shape[*axis].max(1),
        ),
    };
    // torch's inv_scale = 1.0f / scale, in f32 on the host: WGSL division is not correctly rounded.
    let inv: Vec<u32> = scales.iter().map(|s| (1.0f32 / s).to_bits()).collect();
    let sc: Vec<u32> = scales.iter().map(|s| s.to_bits()).collect();
    let zp: Vec<u32> = zps.iter().map(|&z| z as u32).collect();
    let (inv_buf, sc_buf, zp_buf) = (gpu.small_buffer(&inv), gpu.small_buffer(&sc), gpu.small_buffer(&zp));
    let (y, mask) = (gpu.output(&x.shape, DType::F32)?, gpu.output(&x.shape, DType::F32)?);
    let p = [
        u32_dim("len", len)?,
        u32_dim("inner", inner)?,
        u32_dim("channels", channels)?,
        0,
        (quant_min as f32).to_bits(),
        (quant_max as f32).to_bits(),
        0,
        0,
    ];
    gpu.dispatch(
        Kernel::FakeQuantize,
        &p,
        &[&x.buffer, &inv_buf, &sc_buf, &zp_buf, &y.buffer, &mask.buffer],
        gpu.grid(len),
    );
    Ok((y, mask))
}

pub(super) fn min_max(gpu: &GpuBackend, x: &GpuTensor) -> Result<GpuTensor> {
    check_min_max(x)?;
    let out = gpu.output(&[2], DType::F32)?;
    gpu.dispatch(Kernel::MinMax, &[u32_dim("len", x.numel())?, 0, 0, 0], &[&x.buffer, &out.buffer], [1, 1, 1]);
    Ok(out)
}

pub(super) fn quantized_linear_float(
    gpu: &GpuBackend,
    x: &GpuTensor,
    w: &GpuTensor,
    x_q: &QParams,
    w_q: &QParams,
    bias: Option<&[f32]>,
) -> Result<GpuTensor> {
    let ((m, k, n), mult, zps) = check_qlinear_float(x, w, x_q, w_q, bias)?;
    let QParams::PerTensor { zero_point, .. } = x_q else { unreachable!("checked per tensor") };
    let bits = |v: &[f32]| -> Vec<u32> { v.iter().map(|x| x.to_bits()).collect() };
    let zps: Vec<u32> = zps.iter().map(|&z| z as u32).collect();
    let b = bias.map_or(vec![0u32; n], bits);
    let (z_buf, m_buf, b_buf) = (gpu.small_buffer(&zps), gpu.small_buffer(&bits(&mult)), gpu.small_buffer(&b));
    let out = gpu.output(&[m, n], DType::F32)?;
    let p = [u32_dim("m", m)?, u32_dim("k", k)?, u32_dim("n", n)?, *zero_point as u32];
    gpu.dispatch(
        Kernel::QLinearFloat,
        &p,
        &[&x.buffer, &w.buffer, &z_buf, &m_buf, &b_buf, &out.buffer],
        gpu.grid(m * n),
    );
    Ok(out)
}
