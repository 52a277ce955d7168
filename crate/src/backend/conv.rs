//! The shape/dtype rules shared by every backend for the conv,
//! batch-norm and fake-quant ops (`im2col`, `col2im`, `rows_to_nchw`, `nchw_to_rows`,
//! `channel_affine`, `quantized_relu`, `fake_quantize`, `reshape`) and the dynamic Linear's
//! (`min_max`, `quantized_linear_float`), so the CPU reference and the GPU reject the same
//! operands with the same message.
//!
//! Not here: the arithmetic (`cpu/conv.rs`, `gpu/conv.rs`), the quantized conv composite
//! (`quant/qconv.rs`).
//!
//! Layouts follow torch.nn.Conv2d: input NCHW `(n, c, h, w)`, weight `(out, c, kh, kw)`;
//! `out_hw` is `floor((h + 2·pad − kh) / stride) + 1` (aten/src/ATen/native/ConvUtils.h
//! `conv_output_size` with dilation 1).

pub use super::geom::Conv2dGeom;
use super::{checked_numel, expect_dtype, DType, HasShape};
use crate::rules::error::{fmt_shape, Error, Result};
use crate::rules::QParams;

fn shape_err(op: &'static str, detail: String) -> Error {
    Error::Shape { op, detail }
}

/// Validates `reshape`: same element count.
pub fn check_reshape(x: &impl HasShape, shape: &[usize]) -> Result<()> {
    if checked_numel(shape)? != x.numel() {
        return Err(shape_err(
            "reshape",
            format!("cannot view {} ({} elements) as {}", fmt_shape(x.shape()), x.numel(), fmt_shape(shape)),
        ));
    }
    Ok(())
}

/// Validates `im2col`: x F32 or U8 shaped `(n, c, h, w)` as `g` says; returns the cols shape.
/// For U8 `pad` must be a code (an integer in 0..=255).
pub fn check_im2col(x: &impl HasShape, g: &Conv2dGeom, pad: f32) -> Result<[usize; 2]> {
    if !matches!(x.dtype(), DType::F32 | DType::U8) {
        return Err(Error::DType { op: "im2col", expected: "float32 or uint8".into(), got: x.dtype() });
    }
    if x.shape() != g.input_shape() {
        return Err(shape_err(
            "im2col",
            format!("x is {} but the geometry says {}", fmt_shape(x.shape()), fmt_shape(&g.input_shape())),
        ));
    }
    if x.dtype() == DType::U8 && !(pad.fract() == 0.0 && (0.0..=255.0).contains(&pad)) {
        return Err(Error::InvalidArgument {
            name: "pad",
            value: pad.to_string(),
            valid: "an integer code in 0..=255 for uint8 (the input zero_point)".into(),
        });
    }
    g.cols_shape()
}

/// Validates `col2im`: cols F32 shaped `(n·oh·ow, c·kh·kw)` for `g`.
pub fn check_col2im(cols: &impl HasShape, g: &Conv2dGeom) -> Result<()> {
    expect_dtype("col2im", cols, DType::F32)?;
    let want = g.cols_shape()?;
    if cols.shape() != want {
        return Err(shape_err(
            "col2im",
            format!("cols is {} but the geometry needs {}", fmt_shape(cols.shape()), fmt_shape(&want)),
        ));
    }
    Ok(())
}

fn layout_dtype(op: &'static str, x: &impl HasShape) -> Result<()> {
    if !matches!(x.dtype(), DType::F32 | DType::U8) {
        return Err(Error::DType { op, expected: "float32 or uint8".into(), got: x.dtype() });
    }
    Ok(())
}

/// Validates `rows_to_nchw`: x `(n·h·w, c)` F32 or U8; returns `c`.
pub fn check_rows_to_nchw(x: &impl HasShape, n: usize, h: usize, w: usize) -> Result<usize> {
    layout_dtype("rows_to_nchw", x)?;
    match x.shape() {
        &[rows, c] if Some(rows) == n.checked_mul(h).and_then(|v| v.checked_mul(w)) => Ok(c),
        s => Err(shape_err(
            "rows_to_nchw",
            format!("x must be (n·h·w, c) = ({}, c) for n={n}, h={h}, w={w}, got {}", n * h * w, fmt_shape(s)),
        )),
    }
}

/// Validates `nchw_to_rows`: x `(n, c, h, w)` F32 or U8; returns the dims.
pub fn check_nchw_to_rows(x: &impl HasShape) -> Result<[usize; 4]> {
    layout_dtype("nchw_to_rows", x)?;
    match x.shape() {
        &[n, c, h, w] => Ok([n, c, h, w]),
        s => Err(shape_err("nchw_to_rows", format!("x must be (n, c, h, w), got {}", fmt_shape(s)))),
    }
}

/// Validates `channel_affine`: x F32 `(n, c, rest…)`, alpha and beta F32 `(c,)`; returns
/// `(c, inner)` with inner the product of `rest` (1 when empty).
pub fn check_channel_affine(x: &impl HasShape, alpha: &impl HasShape, beta: &impl HasShape) -> Result<(usize, usize)> {
    for t in [x.shape(), alpha.shape(), beta.shape()].iter().zip([x.dtype(), alpha.dtype(), beta.dtype()]) {
        if t.1 != DType::F32 {
            return Err(Error::DType { op: "channel_affine", expected: "float32".into(), got: t.1 });
        }
    }
    let s = x.shape();
    if s.len() < 2 || alpha.shape() != [s[1]] || beta.shape() != [s[1]] {
        return Err(shape_err(
            "channel_affine",
            format!(
                "x must be (n, c, ...) and alpha, beta (c,), got {}, {} and {}",
                fmt_shape(s),
                fmt_shape(alpha.shape()),
                fmt_shape(beta.shape())
            ),
        ));
    }
    Ok((s[1], s[2..].iter().product()))
}

/// Validates `quantized_relu`: U8 codes and a zero point in 0..=255.
pub fn check_quantized_relu(codes: &impl HasShape, zero_point: i32) -> Result<()> {
    expect_dtype("quantized_relu", codes, DType::U8)?;
    if !(0..=255).contains(&zero_point) {
        return Err(Error::InvalidArgument {
            name: "zero_point",
            value: zero_point.to_string(),
            valid: "0..=255 (quint8)".into(),
        });
    }
    Ok(())
}

/// Validates `quantized_channel_lut`: U8 codes `(n, c, rest…)` and a U8 table `(c, 256)`;
/// returns `(c, inner)` with inner the product of `rest` (1 when empty).
pub fn check_channel_lut(codes: &impl HasShape, table: &impl HasShape) -> Result<(usize, usize)> {
    expect_dtype("quantized_channel_lut", codes, DType::U8)?;
    expect_dtype("quantized_channel_lut", table, DType::U8)?;
    let s = codes.shape();
    if s.len() < 2 || table.shape() != [s[1], 256] {
        return Err(shape_err(
            "quantized_channel_lut",
            format!(
                "codes must be (n, c, ...) and the table (c, 256), got {} and {}",
                fmt_shape(s),
                fmt_shape(table.shape())
            ),
        ));
    }
    Ok((s[1], s[2..].iter().product()))
}

/// Validates `fake_quantize` as torch does (FakeQuantPerTensorAffine.cpp,
/// FakeQuantPerChannelAffine.cpp): F32 x, `quant_min <= quant_max`, positive finite scales, every
/// zero point within `[quant_min, quant_max]`, per-channel pairs matching the axis. The qparams'
/// dtype is not used: the code range is `[quant_min, quant_max]`.
pub fn check_fake_quantize(x: &impl HasShape, q: &QParams, quant_min: i32, quant_max: i32) -> Result<()> {
    expect_dtype("fake_quantize", x, DType::F32)?;
    let bad = |name: &'static str, value: String, valid: String| Err(Error::InvalidArgument { name, value, valid });
    if quant_min > quant_max {
        return bad("quant_min", format!("{quant_min} > quant_max {quant_max}"), "quant_min <= quant_max".into());
    }
    let (scales, zps): (&[f32], &[i32]) = match q {
        QParams::PerTensor { scale, zero_point, .. } => (std::slice::from_ref(scale), std::slice::from_ref(zero_point)),
        QParams::PerChannel { scales, zero_points, axis, .. } => {
            let Some(&c) = x.shape().get(*axis) else {
                return bad(
                    "axis",
                    axis.to_string(),
                    format!("0..{} for shape {}", x.shape().len(), fmt_shape(x.shape())),
                );
            };
            if scales.len() != c || zero_points.len() != c {
                return bad(
                    "scales/zero_points length",
                    format!("{}/{}", scales.len(), zero_points.len()),
                    format!("{c}, the size of axis {axis}"),
                );
            }
            (scales, zero_points)
        }
    };
    if let Some(s) = scales.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
        return bad("scale", s.to_string(), "finite and > 0".into());
    }
    if let Some(z) = zps.iter().find(|z| **z < quant_min || **z > quant_max) {
        return bad(
            "zero_point",
            z.to_string(),
            format!("between quant_min and quant_max ({quant_min}..={quant_max})"),
        );
    }
    Ok(())
}

/// What [`check_qlinear_float`] returns: `((m, k, n), x_scale · w_scale[j], w_zero_point[j])`.
pub type QLinearFloatDims = ((usize, usize, usize), Vec<f32>, Vec<i32>);

/// Validates `quantized_linear_float`: x uint8 `(m, k)`, w int8 `(n, k)`, per-tensor quint8
/// `x_q`, qint8 `w_q` per tensor or per channel on axis 0, a finite `(n,)` bias; returns
/// `(m, k, n)` and the per-column multipliers `x_scale · w_scale[j]` and zero points.
pub fn check_qlinear_float(
    x: &impl HasShape,
    w: &impl HasShape,
    x_q: &QParams,
    w_q: &QParams,
    bias: Option<&[f32]>,
) -> Result<QLinearFloatDims> {
    let op = "quantized_linear_float";
    expect_dtype(op, x, DType::U8)?;
    expect_dtype(op, w, DType::I8)?;
    let (&[m, k], &[n, k2]) = (x.shape(), w.shape()) else {
        return Err(shape_err(
            op,
            format!("x must be (m, k) and w (n, k), got {} and {}", fmt_shape(x.shape()), fmt_shape(w.shape())),
        ));
    };
    if k != k2 {
        return Err(shape_err(
            op,
            format!(
                "x is {} and w is {}: in_features must match ({k} vs {k2})",
                fmt_shape(x.shape()),
                fmt_shape(w.shape())
            ),
        ));
    }
    let bad = |name: &'static str, value: String, valid: &str| {
        Err(Error::InvalidArgument { name, value, valid: valid.into() })
    };
    let QParams::PerTensor { scale: xs, dtype: crate::rules::QuantDType::QUInt8, .. } = x_q else {
        return bad("activation qparams", format!("{x_q:?}"), "per-tensor quint8");
    };
    x_q.validate(x.shape())?;
    if w_q.dtype() != crate::rules::QuantDType::QInt8 {
        return bad("weight dtype", format!("{:?}", w_q.dtype()), "qint8");
    }
    if let QParams::PerChannel { axis, .. } = w_q {
        if *axis != 0 {
            return bad("weight axis", axis.to_string(), "0 (out_features)");
        }
    }
    w_q.validate(w.shape())?;
    if let Some(b) = bias {
        if b.len() != n {
            return bad("bias length", b.len().to_string(), &format!("{n} (out_features)"));
        }
        if let Some(v) = b.iter().find(|v| !v.is_finite()) {
            return bad("bias value", v.to_string(), "finite");
        }
    }
    let (mult, zps) = match w_q {
        QParams::PerTensor { scale, zero_point, .. } => (vec![xs * scale; n], vec![*zero_point; n]),
        QParams::PerChannel { scales, zero_points, .. } => {
            (scales.iter().map(|s| xs * s).collect(), zero_points.clone())
        }
    };
    Ok(((m, k, n), mult, zps))
}

/// Validates `min_max`: an F32 tensor.
pub fn check_min_max(x: &impl HasShape) -> Result<()> {
    expect_dtype("min_max", x, DType::F32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geom(h: usize, w: usize, k: usize, s: usize, p: usize) -> Conv2dGeom {
        Conv2dGeom { n: 2, c: 3, h, w, kh: k, kw: k, stride: (s, s), padding: (p, p) }
    }

    #[test]
    fn out_hw_follows_torch_conv_output_size() {
        assert_eq!(geom(5, 5, 3, 1, 0).out_hw().unwrap(), (3, 3));
        assert_eq!(geom(5, 5, 3, 2, 1).out_hw().unwrap(), (3, 3));
        assert_eq!(geom(6, 7, 3, 2, 1).out_hw().unwrap(), (3, 4));
        assert_eq!(geom(1, 1, 3, 1, 1).out_hw().unwrap(), (1, 1));
    }

    #[test]
    fn out_hw_rejects_kernels_larger_than_the_padded_input_and_zero_strides() {
        let msg = geom(2, 2, 3, 1, 0).out_hw().unwrap_err().to_string();
        assert!(msg.contains("kernel (3, 3)") && msg.contains("(2, 2)"), "{msg}");
        assert!(geom(5, 5, 3, 0, 0).out_hw().unwrap_err().to_string().contains("strides ≥ 1"));
    }
}
