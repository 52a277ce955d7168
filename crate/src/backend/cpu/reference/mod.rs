//! The CPU reference backend, [`CpuReference`]: plain loops, written to be obviously correct.
//! It is the oracle the CPU fast path and the GPU backend are tested against, so it favours
//! clarity over speed and fixes the summation order (`p = 0..k`, left to right, no FMA
//! contraction: Rust never fuses `a * b + c` on its own). No SIMD, no `unsafe`: those live in
//! the fast path (`super::fast`).
//!
//! The arithmetic is in `math.rs` (inference ops), `train.rs` (training ops) and `conv.rs`
//! (layout, BatchNorm, fake-quant and dynamic-Linear ops) and `pool.rs` (max pooling), where each WGSL kernel's header
//! points; the op-group impls (`*_ops.rs`, and the tensor I/O here) validate and delegate.

mod conv;
mod float_ops;
mod math;
mod observe;
mod pool;
mod quant_ops;
mod train;
mod train_ops;

pub use conv::*;
pub use math::*;
pub(crate) use observe::put_words;
pub use observe::{aminmax, aminmax_per_channel, histc_accumulate};
pub use pool::*;
pub use train::*;
pub(crate) use train_ops::{adam_counted_with, adam_with, sgd_with};

use super::tensor::{tensor, CpuTensor};
use crate::backend::prelude::*;
use crate::backend::{
    check_cast, check_matmul_f16, check_upload, BackendKind, Capabilities, DType, HasShape, HostData,
};
use crate::rules::error::Result;

/// The CPU reference: every op as plain loops. Stateless; cheap to create.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuReference;

impl TensorOps for CpuReference {
    type Tensor = CpuTensor;

    fn capabilities(&self) -> Capabilities {
        Capabilities::cpu(BackendKind::CpuReference, false)
    }

    fn copy(&self, x: &CpuTensor) -> Result<CpuTensor> {
        Ok(x.clone())
    }

    fn upload_data(&self, data: HostData, shape: &[usize]) -> Result<CpuTensor> {
        check_upload(data.len(), shape)?;
        Ok(tensor(shape, data))
    }

    async fn read_data(&self, t: &CpuTensor) -> Result<HostData> {
        Ok(t.data.clone())
    }

    fn reshape(&self, x: &CpuTensor, shape: &[usize]) -> Result<CpuTensor> {
        crate::backend::conv::check_reshape(x, shape)?;
        Ok(tensor(shape, x.data.clone()))
    }
}

impl LayoutOps for CpuReference {
    fn im2col(&self, x: &CpuTensor, g: &crate::backend::Conv2dGeom, pad: f32) -> Result<CpuTensor> {
        let shape = crate::backend::conv::check_im2col(x, g, pad)?;
        let (oh, ow) = g.out_hw()?;
        let data = match &x.data {
            HostData::F32(v) => HostData::F32(gather(v, &im2col(g, oh, ow), pad)),
            HostData::U8(v) => HostData::U8(gather(v, &im2col(g, oh, ow), pad as u8)),
            _ => unreachable!("dtype checked by check_im2col"),
        };
        Ok(tensor(&shape, data))
    }

    fn col2im(&self, cols: &CpuTensor, g: &crate::backend::Conv2dGeom) -> Result<CpuTensor> {
        crate::backend::conv::check_col2im(cols, g)?;
        let (oh, ow) = g.out_hw()?;
        Ok(tensor(&g.input_shape(), HostData::F32(col2im(cols.f32s("col2im")?, g, oh, ow))))
    }

    fn rows_to_nchw(&self, x: &CpuTensor, n: usize, h: usize, w: usize) -> Result<CpuTensor> {
        let c = crate::backend::conv::check_rows_to_nchw(x, n, h, w)?;
        let data = match &x.data {
            HostData::F32(v) => HostData::F32(gather(v, &rows_to_nchw(n, c, h * w), 0.0)),
            HostData::U8(v) => HostData::U8(gather(v, &rows_to_nchw(n, c, h * w), 0)),
            _ => unreachable!("dtype checked"),
        };
        Ok(tensor(&[n, c, h, w], data))
    }

    fn nchw_to_rows(&self, x: &CpuTensor) -> Result<CpuTensor> {
        let [n, c, h, w] = crate::backend::conv::check_nchw_to_rows(x)?;
        let data = match &x.data {
            HostData::F32(v) => HostData::F32(gather(v, &nchw_to_rows(n, c, h * w), 0.0)),
            HostData::U8(v) => HostData::U8(gather(v, &nchw_to_rows(n, c, h * w), 0)),
            _ => unreachable!("dtype checked"),
        };
        Ok(tensor(&[n * h * w, c], data))
    }

    fn max_pool2d(&self, x: &CpuTensor, g: &crate::backend::MaxPool2dGeom) -> Result<CpuTensor> {
        let shape = crate::backend::pool::check_max_pool2d(x, g)?;
        let (oh, ow) = (shape[2], shape[3]);
        let data = match &x.data {
            HostData::F32(v) => HostData::F32(max_pool2d_f32(v, g, oh, ow)),
            HostData::U8(v) => HostData::U8(max_pool2d_u8(v, g, oh, ow)),
            HostData::I8(v) => HostData::I8(max_pool2d_i8(v, g, oh, ow)),
            _ => unreachable!("dtype checked by check_max_pool2d"),
        };
        Ok(tensor(&shape, data))
    }
}

impl DTypeOps for CpuReference {
    fn cast(&self, x: &CpuTensor, to: DType) -> Result<CpuTensor> {
        check_cast(x.dtype(), to)?;
        let data = match (&x.data, to) {
            (d, to) if d.dtype() == to => d.clone(),
            (HostData::F32(v), DType::F16) => HostData::F16(f32_to_f16(v)),
            (HostData::F32(v), DType::BF16) => {
                HostData::BF16(v.iter().map(|&x| crate::rules::cast::f32_to_bf16(x)).collect())
            }
            (HostData::F16(v), DType::F32) => HostData::F32(f16_to_f32(v)),
            (HostData::BF16(v), DType::F32) => HostData::F32(v.iter().map(|x| x.to_f32()).collect()),
            _ => unreachable!("check_cast lists the supported pairs"),
        };
        Ok(tensor(x.shape(), data))
    }

    fn matmul_f16(&self, a: &CpuTensor, b: &CpuTensor, ta: bool, tb: bool) -> Result<CpuTensor> {
        let (m, k, n) = check_matmul_f16(a, b, ta, tb)?;
        let (HostData::F16(av), HostData::F16(bv)) = (a.data(), b.data()) else { unreachable!("dtype checked") };
        Ok(tensor(&[m, n], HostData::F16(matmul_f16(av, bv, m, k, n, ta, tb))))
    }
}
