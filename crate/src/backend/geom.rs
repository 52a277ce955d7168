//! Convolution geometry: [`Conv2dGeom`], the op-signature type of the layout ops (im2col and
//! the rest) and the quantized conv. Layouts follow torch.nn.Conv2d: input NCHW `(n, c, h, w)`,
//! weight `(out, c, kh, kw)`; `out_hw` is `floor((h + 2·pad − kh) / stride) + 1`
//! (aten/src/ATen/native/ConvUtils.h `conv_output_size` with dilation 1).

use super::checked_numel;
use crate::rules::error::{Error, Result};

/// Geometry of torch.nn.Conv2d over NCHW input, dilation 1, groups 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Conv2dGeom {
    /// Batch size.
    pub n: usize,
    /// Input channels.
    pub c: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Kernel height.
    pub kh: usize,
    /// Kernel width.
    pub kw: usize,
    /// `(stride_h, stride_w)`, each ≥ 1.
    pub stride: (usize, usize),
    /// `(pad_h, pad_w)`: rows/columns added on each side.
    pub padding: (usize, usize),
}

impl Conv2dGeom {
    /// `(oh, ow)`; an error if a stride is 0, the kernel is empty, or it is larger than the
    /// padded input (torch: "Kernel size can't be greater than actual input size").
    pub fn out_hw(&self) -> Result<(usize, usize)> {
        let bad = |value: String, valid: String| Err(Error::InvalidArgument { name: "conv2d geometry", value, valid });
        if self.stride.0 == 0 || self.stride.1 == 0 {
            return bad(format!("stride {:?}", self.stride), "strides ≥ 1".into());
        }
        if self.kh == 0 || self.kw == 0 {
            return bad(format!("kernel ({}, {})", self.kh, self.kw), "kernel sides ≥ 1".into());
        }
        let (ph, pw) = (self.h + 2 * self.padding.0, self.w + 2 * self.padding.1);
        if self.kh > ph || self.kw > pw {
            return bad(
                format!("kernel ({}, {}) over padded input ({ph}, {pw})", self.kh, self.kw),
                "a kernel no larger than the input plus padding".into(),
            );
        }
        Ok(((ph - self.kh) / self.stride.0 + 1, (pw - self.kw) / self.stride.1 + 1))
    }

    /// The im2col matrix shape `(n·oh·ow, c·kh·kw)`.
    pub fn cols_shape(&self) -> Result<[usize; 2]> {
        let (oh, ow) = self.out_hw()?;
        let shape = [self.n * oh * ow, self.c * self.kh * self.kw];
        checked_numel(&shape)?;
        Ok(shape)
    }

    /// The input shape `(n, c, h, w)`.
    pub fn input_shape(&self) -> [usize; 4] {
        [self.n, self.c, self.h, self.w]
    }
}
