//! Dynamic quantization of a Linear's activations, as `torch.ao.nn.quantized.dynamic.Linear`
//! computes it with fbgemm (aten/src/ATen/native/quantized/cpu/qlinear_dynamic.cpp):
//!
//! ```text
//! (min, max)       = fbgemm::FindMinMax(x)                          over the whole batch
//! (x_scale, x_zp)  = quant_utils::ChooseQuantizationParams(min, max, 0, 255,
//!                        preserve_sparsity = false, reduce_range)   (QuantUtils.h)
//! x_q              = clamp(nearbyint(x · (1.0f / x_scale)) + x_zp, 0, 255)   quint8
//! acc[i][j]        = Σ_p (x_q − x_zp)(w_q[j][p] − w_zp[j])           exact int32
//! y[i][j]          = fma((float)acc, x_scale · w_scale[j], bias[j])  fbgemm ReQuantizeForFloat
//! ```
//!
//! nnqd.Linear passes `reduce_range=True` on fbgemm/x86 (codes 0..=127). The rounding of x_q
//! (multiply, round, then add the zero point, not one fused multiply-add) and the fused output
//! were pinned with torch fixtures built to tell the candidates apart
//! (tests/fixtures/dynamic_linear.json). Not here: the backend ops (`Backend::min_max`,
//! `Backend::quantized_linear_float`), the composite over them (`functional::dynamic`) and
//! weight observers.

use super::affine::{QParams, QuantDType};
use super::error::{Error, Result};

/// Smallest scale `ChooseQuantizationParams` returns (fp16's smallest normal, QuantUtils.h).
pub const SMALL_SCALE_THRESHOLD: f32 = 6.1e-5;

/// `quant_utils::ChooseQuantizationParams(min, max, 0, 255, false, false, reduce_range)`:
/// `(scale, zero_point)` for quint8 activations. The scale is computed in f64 and rounded to f32
/// only at the end; the zero point uses the f64 scale. Errors on non-finite or `min > max`.
pub fn choose_qparams_dynamic(min: f32, max: f32, reduce_range: bool) -> Result<(f32, i32)> {
    if !(min.is_finite() && max.is_finite() && min <= max) {
        return Err(Error::InvalidArgument {
            name: "activation min/max",
            value: format!("{min}/{max}"),
            valid: "finite values with min <= max (NaN or inf in the input?)".into(),
        });
    }
    let (qmin, qmax) = if reduce_range { (0i32, 127i32) } else { (0, 255) };
    let (mut min, mut max) = (min.min(0.0), max.max(0.0));
    let mut scale = (max as f64 - min as f64) / (qmax - qmin) as f64;
    if scale as f32 == 0.0 || (1.0f32 / scale as f32).is_infinite() {
        scale = 0.1;
    }
    if scale < SMALL_SCALE_THRESHOLD as f64 {
        let org_scale = scale as f32;
        scale = SMALL_SCALE_THRESHOLD as f64;
        if min == 0.0 {
            max = SMALL_SCALE_THRESHOLD * (qmax - qmin) as f32;
        } else if max == 0.0 {
            min = -SMALL_SCALE_THRESHOLD * (qmax - qmin) as f32;
        } else {
            let amplifier = SMALL_SCALE_THRESHOLD / org_scale;
            min *= amplifier;
            max *= amplifier;
        }
    }
    let (qmin_f, qmax_f) = (qmin as f64, qmax as f64);
    let from_min = qmin_f - min as f64 / scale;
    let from_max = qmax_f - max as f64 / scale;
    let err_min = qmin_f.abs() - (min as f64 / scale).abs();
    let err_max = qmax_f.abs() - (max as f64 / scale).abs();
    let initial = if err_min < err_max { from_min } else { from_max };
    let zp = if initial < qmin_f {
        qmin
    } else if initial > qmax_f {
        qmax
    } else {
        initial.round_ties_even() as i32
    };
    Ok((scale as f32, zp))
}

/// The per-tensor quint8 qparams of the activations.
pub fn activation_qparams(min: f32, max: f32, reduce_range: bool) -> Result<QParams> {
    let (scale, zero_point) = choose_qparams_dynamic(min, max, reduce_range)?;
    Ok(QParams::PerTensor { scale, zero_point, dtype: QuantDType::QUInt8 })
}

/// One float output: `fma((float)acc, x_scale · w_scale, bias)` (bias 0 without one).
pub fn float_output(acc: i32, multiplier: f32, bias: f32) -> f32 {
    (acc as f32).mul_add(multiplier, bias)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choose_qparams_includes_zero_and_floors_tiny_scales() {
        // [-0.3, 12.4] over 0..=127: scale = 12.7 / 127, zero point round(0.3 / scale) = 3.
        let (s, z) = choose_qparams_dynamic(-0.3, 12.4, true).unwrap();
        assert_eq!((s, z), (((12.4f32 as f64 + 0.3f32 as f64) / 127.0) as f32, 3));
        // All positive: min is moved to 0, zero point 0.
        assert_eq!(choose_qparams_dynamic(1.0, 2.55, false).unwrap().1, 0);
        // A constant zero input: scale 0.1 (the reciprocal guard), zero point 0.
        assert_eq!(choose_qparams_dynamic(0.0, 0.0, false).unwrap(), (0.1, 0));
        // A tiny range is widened to SMALL_SCALE_THRESHOLD.
        assert_eq!(choose_qparams_dynamic(0.0, 1e-6, false).unwrap().0, SMALL_SCALE_THRESHOLD);
        assert!(choose_qparams_dynamic(f32::NAN, 1.0, false).unwrap_err().to_string().contains("NaN"));
    }
}
