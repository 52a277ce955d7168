//! The one Conv2d forward and backward as im2col GEMMs, used by QAT (`quant::eager::qat_step`)
//! and the module tree's forward (`model::forward`). Shapes: x `(n, c, h, w)`, w
//! `(out, c·kh·kw)` (the weight reshaped), cols `(n·oh·ow, c·kh·kw)`, y `(n, out, oh, ow)`.
//!
//! Source: aten's `convolution` / `convolution_backward` written as im2col GEMMs
//! (aten/src/ATen/native/ConvolutionMM2d.cpp, `slow_conv2d`): `y = cols · wᵀ (+ b)`,
//! `dw = gyᵀ · cols`, `dx = col2im(gy · w)`.

use super::linear::linear_forward;
use crate::backend::{Backend, Conv2dGeom};
use crate::rules::error::Result;

/// `(y, cols)`: the convolution of x with w (plus `bias` `(out,)` when given), and the im2col
/// matrix kept for backward.
pub fn conv_forward<B: Backend>(
    b: &B,
    x: &B::Tensor,
    w: &B::Tensor,
    bias: Option<&B::Tensor>,
    g: &Conv2dGeom,
) -> Result<(B::Tensor, B::Tensor)> {
    let (oh, ow) = g.out_hw()?;
    let cols = b.im2col(x, g, 0.0)?;
    let rows = linear_forward(b, &cols, w, bias)?;
    Ok((b.rows_to_nchw(&rows, g.n, oh, ow)?, cols))
}

/// Gradients of [`conv_forward`] (without bias) given `gy` `(n, out, oh, ow)`: `(dx (n, c, h, w)
/// if wanted, dw (out, c·kh·kw))`.
pub fn conv_backward<B: Backend>(
    b: &B,
    gy: &B::Tensor,
    cols: &B::Tensor,
    w: &B::Tensor,
    g: &Conv2dGeom,
    want_dx: bool,
) -> Result<(Option<B::Tensor>, B::Tensor)> {
    let grows = b.nchw_to_rows(gy)?;
    let dw = b.matmul_t(&grows, cols, true, false)?;
    let dx = if want_dx { Some(b.col2im(&b.matmul_t(&grows, w, false, false)?, g)?) } else { None };
    Ok((dx, dw))
}
