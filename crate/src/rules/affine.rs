//! Affine quantization of f32 values to integer codes and back, per tensor or per channel, with
//! PyTorch's exact arithmetic.
//!
//! Quantize (ATen/native/quantized/AffineQuantizerBase.cpp `quantize_val`, and fbgemm's
//! `Quantize<T, LEGACY=false>` that the x86 kernels use):
//! `inv_scale = 1.0f / (float)scale; q = clamp(zero_point + nearbyint(x * inv_scale), qmin, qmax)`
//! in f32, with `nearbyint` rounding half to even. Multiplying by the f32 reciprocal, not dividing
//! by scale, is part of the contract: fbgemm's own example, scale = 0.00214854861 and
//! x = 0.273939937, gives x·(1/scale) = 127.5 → 128, where x / scale = 127.499992 → 127.
//!
//! Dequantize: `x = (q - zero_point) * scale` in f32. `q - zero_point` is an exact integer and the
//! product is rounded once.

use super::dtype::DType;
use crate::rules::error::{Error, Result};

/// A quantized dtype: `torch.qint8` (codes `int8`, range [-128, 127]) or `torch.quint8` (codes
/// `uint8`, range [0, 255]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum QuantDType {
    /// `torch.qint8`.
    QInt8,
    /// `torch.quint8`.
    QUInt8,
}

impl QuantDType {
    /// Smallest code: -128 or 0.
    pub fn qmin(self) -> i32 {
        match self {
            QuantDType::QInt8 => -128,
            QuantDType::QUInt8 => 0,
        }
    }

    /// Largest code: 127 or 255.
    pub fn qmax(self) -> i32 {
        match self {
            QuantDType::QInt8 => 127,
            QuantDType::QUInt8 => 255,
        }
    }

    /// The dtype the codes are stored as: `I8` or `U8`.
    pub fn code_dtype(self) -> DType {
        match self {
            QuantDType::QInt8 => DType::I8,
            QuantDType::QUInt8 => DType::U8,
        }
    }

    /// Parses PyTorch's name, `"qint8"` or `"quint8"`.
    pub fn parse(name: &str) -> Result<QuantDType> {
        match name {
            "qint8" => Ok(QuantDType::QInt8),
            "quint8" => Ok(QuantDType::QUInt8),
            _ => {
                Err(Error::InvalidArgument { name: "dtype", value: name.into(), valid: "\"qint8\", \"quint8\"".into() })
            }
        }
    }
}

/// Quantization parameters, as `torch.quantize_per_tensor` / `torch.quantize_per_channel` take them.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum QParams {
    /// One `scale` and `zero_point` for the whole tensor (`torch.per_tensor_affine`).
    PerTensor {
        /// Step between codes.
        scale: f32,
        /// The code of real 0.
        zero_point: i32,
        /// Code range.
        dtype: QuantDType,
    },
    /// One pair per index along `axis` (`torch.per_channel_affine`).
    PerChannel {
        /// Steps, one per channel.
        scales: Vec<f32>,
        /// Codes of real 0, one per channel.
        zero_points: Vec<i32>,
        /// The channel dimension (`ch_axis`).
        axis: usize,
        /// Code range.
        dtype: QuantDType,
    },
}

impl QParams {
    /// The quantized dtype.
    pub fn dtype(&self) -> QuantDType {
        match self {
            QParams::PerTensor { dtype, .. } | QParams::PerChannel { dtype, .. } => *dtype,
        }
    }

    /// Checks the params against a tensor shape as torch does: positive finite scales, zero
    /// points inside the code range, one pair per channel, and an axis inside the shape.
    pub fn validate(&self, shape: &[usize]) -> Result<()> {
        let bad = |name: &'static str, value: String, valid: String| Err(Error::InvalidArgument { name, value, valid });
        let (scales, zps, dtype): (&[f32], &[i32], QuantDType) = match self {
            QParams::PerTensor { scale, zero_point, dtype } => {
                (std::slice::from_ref(scale), std::slice::from_ref(zero_point), *dtype)
            }
            QParams::PerChannel { scales, zero_points, axis, dtype } => {
                let Some(&c) = shape.get(*axis) else {
                    return bad(
                        "axis",
                        axis.to_string(),
                        format!("0..{} for shape {}", shape.len(), crate::rules::error::fmt_shape(shape)),
                    );
                };
                if scales.len() != c || zero_points.len() != c {
                    return bad(
                        "scales/zero_points length",
                        format!("{}/{}", scales.len(), zero_points.len()),
                        format!("{c}, the size of axis {axis}"),
                    );
                }
                (scales, zero_points, *dtype)
            }
        };
        if let Some(s) = scales.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
            return bad("scale", s.to_string(), "finite and > 0".into());
        }
        if let Some(z) = zps.iter().find(|z| **z < dtype.qmin() || **z > dtype.qmax()) {
            return bad("zero_point", z.to_string(), format!("{}..={} for {dtype:?}", dtype.qmin(), dtype.qmax()));
        }
        Ok(())
    }

    /// `(scale, zero_point)` of element `i` (flat, row-major) of a tensor of `shape`.
    pub fn at(&self, shape: &[usize], i: usize) -> (f32, i32) {
        match self {
            QParams::PerTensor { scale, zero_point, .. } => (*scale, *zero_point),
            QParams::PerChannel { scales, zero_points, axis, .. } => {
                let c = channel_of(shape, *axis, i);
                (scales[c], zero_points[c])
            }
        }
    }
}

/// The index along `axis` of flat element `i`: `(i / inner) % shape[axis]`, where `inner` is the
/// product of the dimensions after `axis`.
pub fn channel_of(shape: &[usize], axis: usize, i: usize) -> usize {
    let inner: usize = shape[axis + 1..].iter().product();
    (i / inner) % shape[axis]
}

/// `q = clamp(zero_point + nearbyint(x * (1.0f / scale)), qmin, qmax)`, all in f32 as torch.
/// NaN maps to `zero_point` (torch's `nearbyint(NaN)` cast to int64 is undefined; fbgemm's
/// vector path yields the zero point), ±inf clamps to the range ends.
#[inline(always)]
pub fn quantize_val(x: f32, scale: f32, zero_point: i32, dtype: QuantDType) -> i32 {
    let inv_scale = 1.0f32 / scale;
    let r = (x * inv_scale).round_ties_even();
    if r.is_nan() {
        return zero_point.clamp(dtype.qmin(), dtype.qmax());
    }
    // f64 holds every value the sum can take exactly until the clamp.
    let q = zero_point as f64 + r as f64;
    q.clamp(dtype.qmin() as f64, dtype.qmax() as f64) as i32
}

/// `x = (q - zero_point) * scale` in f32, rounded once.
pub fn dequantize_val(q: i32, scale: f32, zero_point: i32) -> f32 {
    (q - zero_point) as f32 * scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantize_rounds_half_to_even_and_clamps_to_the_dtype() {
        let u8_ = QuantDType::QUInt8;
        // 0.25 / 0.5 = 0.5 → 0 (even); 0.75 / 0.5 = 1.5 → 2.
        assert_eq!(quantize_val(0.25, 0.5, 0, u8_), 0);
        assert_eq!(quantize_val(0.75, 0.5, 0, u8_), 2);
        assert_eq!(quantize_val(-0.25, 0.5, 128, u8_), 128);
        assert_eq!(quantize_val(1e9, 0.5, 0, u8_), 255);
        assert_eq!(quantize_val(-1e9, 0.5, 0, QuantDType::QInt8), -128);
        assert_eq!(quantize_val(f32::INFINITY, 0.5, 3, QuantDType::QInt8), 127);
    }

    #[test]
    fn quantize_multiplies_by_the_f32_reciprocal_like_fbgemm() {
        // fbgemm's documented example: 127.5 after x * (1/scale) → 128 (x / scale gives 127).
        assert_eq!(quantize_val(0.273_939_94, 0.002_148_548_6, 0, QuantDType::QUInt8), 128);
    }

    #[test]
    fn validate_names_the_bad_value_and_the_valid_range() {
        let p = QParams::PerTensor { scale: 0.0, zero_point: 0, dtype: QuantDType::QInt8 };
        assert!(p.validate(&[3]).unwrap_err().to_string().contains("finite and > 0"));
        let p = QParams::PerTensor { scale: 1.0, zero_point: 200, dtype: QuantDType::QInt8 };
        assert!(p.validate(&[3]).unwrap_err().to_string().contains("-128..=127"));
        let p =
            QParams::PerChannel { scales: vec![1.0; 2], zero_points: vec![0; 2], axis: 1, dtype: QuantDType::QUInt8 };
        assert!(p.validate(&[2, 3]).is_err());
        assert!(p.validate(&[3, 2]).is_ok());
        assert!(p.validate(&[2]).unwrap_err().to_string().contains("axis"));
    }

    #[test]
    fn channel_of_walks_the_axis() {
        // shape (2, 3, 4), axis 1: elements 0..4 are channel 0, 4..8 channel 1, 12..16 channel 0.
        assert_eq!(channel_of(&[2, 3, 4], 1, 5), 1);
        assert_eq!(channel_of(&[2, 3, 4], 1, 12), 0);
        assert_eq!(channel_of(&[2, 3, 4], 0, 12), 1);
        assert_eq!(channel_of(&[2, 3, 4], 2, 7), 3);
    }
}
