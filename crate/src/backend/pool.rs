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

/// One side of aten's `pooling_output_shape` (dilation 1), as torch computes it in int64 (here
/// in i128, so no size a file can claim overflows); ≤ 0 for a window larger than the padded
/// input. `stride` must be ≥ 1.
pub fn pooling_output_size(input: usize, kernel: usize, pad: usize, stride: usize, ceil_mode: bool) -> i128 {
    let (i, k, p, s) = (input as i128, kernel as i128, pad as i128, stride.max(1) as i128);
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
        let side = |v: i128| {
            usize::try_from(v).map_err(|_| Error::InvalidArgument {
                name: "max_pool2d geometry",
                value: format!("output size {v}"),
                valid: "an output that fits in memory".into(),
            })
        };
        Ok((side(oh)?, side(ow)?))
    }

    /// The `[start, end)` range of kernel rows (`axis` 0) or columns (1) of output row/column
    /// `o` that fall inside the input: the rest of the window is padding, never the max. Lets
    /// every backend loop over the input only, however large a kernel a file claims.
    pub fn window(&self, axis: usize, o: usize) -> (usize, usize) {
        let (s, p, k, size) = if axis == 0 {
            (self.stride.0, self.padding.0, self.kernel_size.0, self.h)
        } else {
            (self.stride.1, self.padding.1, self.kernel_size.1, self.w)
        };
        let first = o as i128 * s as i128 - p as i128; // input index of kernel position 0
        let lo = (-first).clamp(0, k as i128) as usize;
        let hi = (size as i128 - first).clamp(0, k as i128) as usize;
        (lo, hi.max(lo))
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
    fn a_huge_claimed_kernel_reads_only_the_input_and_overflows_nothing() {
        use crate::backend::prelude::*;
        let k = 1usize << 40;
        let g = MaxPool2dGeom {
            n: 1,
            c: 1,
            h: 1,
            w: 3,
            kernel_size: (k, 3),
            stride: (1, 1),
            padding: (k / 2, 1),
            ceil_mode: true,
        };
        assert_eq!(g.out_hw().unwrap(), (2, 3));
        assert_eq!(g.window(0, 0), (k / 2, k / 2 + 1));
        let huge = MaxPool2dGeom { kernel_size: (usize::MAX, 1), padding: (usize::MAX / 2, 0), ..g };
        let _ = huge.out_hw(); // no overflow panic, whatever the answer
        fn pool<B: Backend>(b: &B, g: &MaxPool2dGeom) -> Vec<f32> {
            let x = b.upload(&[1.0, 7.0, 3.0], &[1, 1, 1, 3]).unwrap();
            crate::backend::ready(b.read(&b.max_pool2d(&x, g).unwrap())).unwrap()
        }
        assert_eq!(pool(&crate::backend::cpu::CpuReference, &g), [7.0; 6]);
        assert_eq!(pool(&crate::backend::cpu::CpuFast, &g), [7.0; 6]);
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
