//! Pooling geometry: [`MaxPool2dGeom`], the op-signature type of `max_pool2d` (and of its
//! backward, when training needs one), with torch's output size and its checks, and
//! [`check_max_pool2d`], the operand rule every backend shares.
//!
//! Not here: the arithmetic (`cpu/reference/pool.rs`, `cpu/fast/pool.rs`, `gpu/pool.rs`), the
//! module (`model::tree::MaxPool2d`).
//!
//! Layout as torch.nn.MaxPool2d: input NCHW `(n, c, h, w)`, output `(n, c, oh, ow)`, window
//! `(oy·sh − ph + ky, ox·sw − pw + kx)`; dilation 1. Output size as
//! aten/src/ATen/native/Pool.h `pooling_output_shape`:
//! `floor((h + 2·ph − kh + (ceil_mode ? sh − 1 : 0)) / sh) + 1`, one less in ceil mode when the
//! last window would start past the input and its left padding (`(oh − 1)·sh ≥ h + ph`).

use super::{checked_numel, DType, HasShape};
use crate::rules::error::{fmt_shape, Error, Result};

/// Geometry of torch.nn.MaxPool2d over NCHW input, dilation 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct MaxPool2dGeom {
    /// Batch size.
    pub n: usize,
    /// Channels (pooled independently).
    pub c: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// `(kh, kw)`, each ≥ 1.
    pub kernel_size: (usize, usize),
    /// `(stride_h, stride_w)`, each ≥ 1 (torch's `stride=None` is the kernel size).
    pub stride: (usize, usize),
    /// `(pad_h, pad_w)` on each side, at most half the kernel; padding never wins the max
    /// (it is −inf for floats, as torch pads).
    pub padding: (usize, usize),
    /// torch's `ceil_mode`: round the output size up, keeping the last window's start inside
    /// the input or its left padding.
    pub ceil_mode: bool,
}

/// One side of aten's `pooling_output_shape` (dilation 1), in i64 as torch computes it; may be
/// ≤ 0 for a window larger than the padded input.
pub fn pooling_output_size(input: usize, kernel: usize, pad: usize, stride: usize, ceil_mode: bool) -> i64 {
    let (i, k, p, s) = (input as i64, kernel as i64, pad as i64, stride as i64);
    let num = i + 2 * p - (k - 1) - 1 + if ceil_mode { s - 1 } else { 0 };
    let mut out = num.div_euclid(s) + 1; // div_rtn: floor division
    if ceil_mode && (out - 1) * s >= i + p {
        out -= 1;
    }
    out
}

impl MaxPool2dGeom {
    /// `(oh, ow)`, with torch's errors (aten/src/ATen/native/Pool.h `pool2d_shape_check` and
    /// `pooling_output_shape`): zero kernel or stride, padding over half the kernel, and an
    /// output size below 1 (a window larger than the padded input).
    pub fn out_hw(&self) -> Result<(usize, usize)> {
        let bad = |value: String, valid: &str| {
            Err(Error::InvalidArgument { name: "max_pool2d geometry", value, valid: valid.into() })
        };
        let (k, s, p) = (self.kernel_size, self.stride, self.padding);
        if self.c == 0 || self.h == 0 || self.w == 0 {
            return bad(
                format!("input ({}, {}, {}, {})", self.n, self.c, self.h, self.w),
                "non-zero channels, height and width (only the batch may be empty, as torch requires)",
            );
        }
        if k.0 == 0 || k.1 == 0 {
            return bad(
                format!("kernel size should be greater than zero, but got kH: {} kW: {}", k.0, k.1),
                "kernel sides ≥ 1",
            );
        }
        if s.0 == 0 || s.1 == 0 {
            return bad(format!("stride should be greater than zero, but got dH: {} dW: {}", s.0, s.1), "strides ≥ 1");
        }
        for (pad, kernel) in [(p.0, k.0), (p.1, k.1)] {
            if pad > kernel / 2 {
                return bad(
                    format!(
                        "pad should be at most half of effective kernel size, but got pad={pad}, kernel_size={kernel} and dilation=1"
                    ),
                    "padding ≤ kernel_size / 2 on each side",
                );
            }
        }
        let oh = pooling_output_size(self.h, k.0, p.0, s.0, self.ceil_mode);
        let ow = pooling_output_size(self.w, k.1, p.1, s.1, self.ceil_mode);
        if oh < 1 || ow < 1 {
            return bad(
                format!(
                    "Given input size: ({}x{}x{}). Calculated output size: ({}x{oh}x{ow}). Output size is too small",
                    self.c, self.h, self.w, self.c
                ),
                "a window no larger than the input plus padding",
            );
        }
        Ok((oh as usize, ow as usize))
    }

    /// The input shape `(n, c, h, w)`.
    pub fn input_shape(&self) -> [usize; 4] {
        [self.n, self.c, self.h, self.w]
    }

    /// The output shape `(n, c, oh, ow)`.
    pub fn output_shape(&self) -> Result<[usize; 4]> {
        let (oh, ow) = self.out_hw()?;
        let shape = [self.n, self.c, oh, ow];
        checked_numel(&shape)?;
        Ok(shape)
    }
}

/// Validates `max_pool2d`: x F32, U8 (quint8 codes) or I8 (qint8 codes) shaped as `g` says;
/// returns the output shape `(n, c, oh, ow)`.
pub fn check_max_pool2d(x: &impl HasShape, g: &MaxPool2dGeom) -> Result<[usize; 4]> {
    if !matches!(x.dtype(), DType::F32 | DType::U8 | DType::I8) {
        return Err(Error::DType {
            op: "max_pool2d",
            expected: "float32, uint8 (quint8 codes) or int8 (qint8 codes)".into(),
            got: x.dtype(),
        });
    }
    if x.shape() != g.input_shape() {
        return Err(Error::Shape {
            op: "max_pool2d",
            detail: format!("x is {} but the geometry says {}", fmt_shape(x.shape()), fmt_shape(&g.input_shape())),
        });
    }
    g.output_shape()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(h: usize, k: usize, s: usize, p: usize, ceil_mode: bool) -> MaxPool2dGeom {
        MaxPool2dGeom { n: 1, c: 1, h, w: h, kernel_size: (k, k), stride: (s, s), padding: (p, p), ceil_mode }
    }

    #[test]
    fn ceil_mode_drops_a_last_window_that_would_start_in_the_right_padding() {
        // 4 rows, k 3, s 2, p 1: floor gives 2; ceil gives 3 (the window at row 3 starts inside).
        assert_eq!(g(4, 3, 2, 1, false).out_hw().unwrap(), (2, 2));
        assert_eq!(g(4, 3, 2, 1, true).out_hw().unwrap(), (3, 3));
        // 5 rows, k 2, s 2, p 1, ceil: (5 + 2 − 2 + 1) / 2 + 1 = 4, but window 3 starts at
        // 6 − 1 = 5 ≥ h: dropped, 3.
        assert_eq!(pooling_output_size(5, 2, 1, 2, true), 3);
    }

    #[test]
    fn bad_geometry_gets_torchs_messages() {
        let e = g(8, 3, 1, 2, false).out_hw().unwrap_err().to_string();
        assert!(e.contains("pad should be at most half of effective kernel size, but got pad=2, kernel_size=3"), "{e}");
        let e = g(2, 5, 1, 1, false).out_hw().unwrap_err().to_string();
        assert!(e.contains("Output size is too small"), "{e}");
        assert!(g(8, 0, 1, 0, false).out_hw().is_err() && g(8, 2, 0, 0, false).out_hw().is_err());
    }
}
