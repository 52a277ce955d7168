//! The quantized Conv2d (`torch.ops.quantized.conv2d` / `conv2d_relu`, i.e. nnq.Conv2d and
//! nniq.ConvReLU2d forward) as a composite of backend ops, generic over [`Backend`]:
//!
//! ```text
//! cols = im2col(x codes (n, c, h, w) uint8, pad = x_zero_point)   (n·oh·ow, c·kh·kw)
//! rows = quantized_linear(cols, w.reshape(out, c·kh·kw), spec)      (n·oh·ow, out) uint8
//! y    = rows_to_nchw(rows, n, oh, ow)                              (n, out, oh, ow)
//! ```
//!
//! fbgemm pads a quantized conv's input with the activation zero point (its im2col fills with
//! `A_zero_point`; aten/src/ATen/native/quantized/cpu/qconv.cpp passes it as
//! `conv_p`'s input zero point), so padded taps contribute `(zp − zp)·w = 0`, and requantizes
//! with the same `ReQuantizeOutput` as the quantized Linear (`rules::qlinear`). Bit-exact with
//! torch's 'fbgemm' engine (tests/fixtures/qconv.json); see the README for the 'x86' engine.
//!
//! Not here: dilation and groups (torch's defaults 1 only), the float conv.

use crate::backend::{Backend, Conv2dGeom, HasShape};
use crate::rules::error::{fmt_shape, Error, Result};
use crate::rules::QLinearSpec;

/// `quantized::conv2d(_relu)`: x uint8 codes `(n, c, h, w)` with `spec.x_*` qparams, w int8
/// codes `(out, c, kh, kw)` with `spec.w` (per tensor, or per channel on axis 0) → uint8 codes
/// `(n, out, oh, ow)` with `spec.out_*` qparams; `spec.relu` fuses the ReLU.
pub fn quantized_conv2d<B: Backend>(
    b: &B,
    x: &B::Tensor,
    w: &B::Tensor,
    g: &Conv2dGeom,
    spec: &QLinearSpec,
) -> Result<B::Tensor> {
    let &[out, c, kh, kw] = w.shape() else {
        return Err(Error::Shape {
            op: "quantized_conv2d",
            detail: format!("weight must be (out, c, kh, kw), got {}", fmt_shape(w.shape())),
        });
    };
    if (c, kh, kw) != (g.c, g.kh, g.kw) {
        return Err(Error::Shape {
            op: "quantized_conv2d",
            detail: format!(
                "weight {} does not fit the geometry (c, kh, kw) = ({}, {}, {})",
                fmt_shape(w.shape()),
                g.c,
                g.kh,
                g.kw
            ),
        });
    }
    let (oh, ow) = g.out_hw()?;
    let cols = b.im2col(x, g, spec.x_zero_point as f32)?;
    let w2 = b.reshape(w, &[out, c * kh * kw])?;
    let rows = b.quantized_linear(&cols, &w2, spec)?;
    b.rows_to_nchw(&rows, g.n, oh, ow)
}
