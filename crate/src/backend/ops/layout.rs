//! Convolution data movement: im2col and its adjoint, GEMM rows ↔ NCHW, and max pooling. Exact
//! on every backend (gathers, col2im sums in a fixed order, max pooling compares).

use crate::backend::{Conv2dGeom, MaxPool2dGeom, TensorOps};
use crate::rules::error::Result;

/// Layout ops (im2col and the rest), for F32 and U8 codes.
pub trait LayoutOps: TensorOps {
    /// Patches of x `(n, c, h, w)` (F32 or U8) as rows: `(n·oh·ow, c·kh·kw)`, rows ordered
    /// `(n, oy, ox)`, columns `(c, ky, kx)`, so `cols · weight.reshape(out, c·kh·kw)ᵀ` is the
    /// convolution. Positions in the padding hold `pad` (0.0 for float, the input zero_point
    /// for uint8 codes, as fbgemm's quantized conv pads).
    fn im2col(&self, x: &Self::Tensor, g: &Conv2dGeom, pad: f32) -> Result<Self::Tensor>;

    /// The adjoint of [`Self::im2col`] for F32: overlapping patches summed back into
    /// `(n, c, h, w)`. Each pixel sums its contributions in (ky, kx) ascending order from 0.0,
    /// as aten's col2im does, so every backend gives the same bits.
    fn col2im(&self, cols: &Self::Tensor, g: &Conv2dGeom) -> Result<Self::Tensor>;

    /// `(n·h·w, c) → (n, c, h, w)` (a GEMM's output rows back to NCHW); F32 or U8, exact.
    fn rows_to_nchw(&self, x: &Self::Tensor, n: usize, h: usize, w: usize) -> Result<Self::Tensor>;

    /// `(n, c, h, w) → (n·h·w, c)`, the inverse of [`Self::rows_to_nchw`]; F32 or U8, exact.
    fn nchw_to_rows(&self, x: &Self::Tensor) -> Result<Self::Tensor>;

    /// `torch.nn.functional.max_pool2d` (dilation 1): x `(n, c, h, w)` → `(n, c, oh, ow)` of
    /// the same dtype, each output the max of its window `g`, padding never chosen. F32 as
    /// aten's CPU kernel (aten/src/ATen/native/cpu/MaxPoolKernel.cpp: start at −inf, take `v`
    /// when `v > max || isnan(v)`, window in (ky, kx) order, so a NaN wins); U8 / I8 are
    /// quint8 / qint8 codes, compared as integers with the qparams unchanged
    /// (aten/src/ATen/native/quantized/cpu/Pooling.cpp `quantized::max_pool2d`). Exact.
    fn max_pool2d(&self, x: &Self::Tensor, g: &MaxPool2dGeom) -> Result<Self::Tensor>;
}
