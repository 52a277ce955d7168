//! The WebGPU backend's `max_pool2d`: validates with the shared rule (`backend/pool.rs`), then
//! dispatches one kernel of `max_pool2d.wgsl` (f32 per element, quint8 / qint8 codes per word
//! of four). Nothing here reads back.
//!
//! Not here: the geometry (`backend/pool.rs`), the CPU twin (`cpu/reference/pool.rs`).

use super::kernels::Kernel;
use super::{u32_dim, GpuBackend, GpuTensor};
use crate::backend::pool::check_max_pool2d;
use crate::backend::{DType, HasShape, MaxPool2dGeom};
use crate::rules::error::Result;

/// The 16-word uniform of max_pool2d.wgsl.
fn params(len: usize, g: &MaxPool2dGeom, oh: usize, ow: usize) -> Result<[u32; 16]> {
    // The kernel does its window arithmetic in i32: every size must fit one.
    let d = |what: &str, v: usize| match u32_dim(what, v)? {
        v if v <= i32::MAX as u32 => Ok(v),
        v => Err(crate::rules::error::Error::Unsupported {
            op: "max_pool2d",
            detail: format!("{what} = {v} on WebGPU; at most {} (the kernel's i32 window arithmetic)", i32::MAX),
        }),
    };
    Ok([
        d("len", len)?,
        0,
        0,
        d("n", g.n)?,
        d("c", g.c)?,
        d("h", g.h)?,
        d("w", g.w)?,
        d("kernel_size", g.kernel_size.0)?,
        d("kernel_size", g.kernel_size.1)?,
        d("stride", g.stride.0)?,
        d("stride", g.stride.1)?,
        d("padding", g.padding.0)?,
        d("padding", g.padding.1)?,
        d("oh", oh)?,
        d("ow", ow)?,
        0,
    ])
}

pub(super) fn max_pool2d(gpu: &GpuBackend, x: &GpuTensor, g: &MaxPool2dGeom) -> Result<GpuTensor> {
    let shape = check_max_pool2d(x, g)?;
    let out = gpu.output(&shape, x.dtype)?;
    let len = out.numel();
    let p = params(len, g, shape[2], shape[3])?;
    let (kernel, items) = match x.dtype {
        DType::F32 => (Kernel::MaxPool2dF32, len),
        DType::U8 => (Kernel::MaxPool2dU8, len.div_ceil(4)),
        _ => (Kernel::MaxPool2dI8, len.div_ceil(4)),
    };
    gpu.dispatch(kernel, &p, &[&x.buffer, &out.buffer], gpu.grid(items));
    Ok(out)
}
