//! Fake quantization (quantize then dequantize in float, with the straight-through estimator's
//! mask) exactly as torch 2.15's CPU kernels compute it:
//! `fake_quantize_tensor_cachemask_kernel` and `fake_quant_per_channel_cachemask_cpu` in
//! aten/src/ATen/native/quantized/cpu/kernels/QuantizedOpKernels.cpp, reached from
//! FakeQuantPerTensorAffine.cpp / FakeQuantPerChannelAffine.cpp:
//!
//! ```text
//! inv_scale = 1.0f / scale                                   f32
//! qval      = (int64)(zero_point + nearbyint(x * inv_scale))  the add is in f32
//! y         = (clamp(qval, quant_min, quant_max) − zero_point) · scale   one rounding
//! mask      = quant_min <= qval <= quant_max
//! ```
//!
//! Measured on torch 2.15 (tests/fixtures/fake_quant.json): +inf → quant_max, −inf and NaN →
//! quant_min, all with mask false. Not here: observers and the FakeQuantize module.

/// `(y, mask)` for one element; see the module docs.
pub fn fake_quantize_val(x: f32, scale: f32, zero_point: i32, quant_min: i32, quant_max: i32) -> (f32, bool) {
    let inv_scale = 1.0f32 / scale;
    let s = zero_point as f32 + (x * inv_scale).round_ties_even();
    // Rust's float → int cast saturates (+inf → i64::MAX); torch sends NaN to quant_min.
    let qval = if s.is_nan() { i64::MIN } else { s as i64 };
    let clamped = qval.clamp(quant_min as i64, quant_max as i64);
    let y = ((clamped - zero_point as i64) as f64 * scale as f64) as f32;
    (y, quant_min as i64 <= qval && qval <= quant_max as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_round_to_even_and_out_of_range_codes_clamp_with_mask_false() {
        // scale 0.5, zp 0, [0, 255]: 0.25 → 0.5 → 0; 0.75 → 1.5 → 2 → 1.0.
        assert_eq!(fake_quantize_val(0.25, 0.5, 0, 0, 255), (0.0, true));
        assert_eq!(fake_quantize_val(0.75, 0.5, 0, 0, 255), (1.0, true));
        assert_eq!(fake_quantize_val(-2.5, 0.5, 0, 0, 255), (0.0, false));
        assert_eq!(fake_quantize_val(1e9, 0.5, 0, 0, 255), (127.5, false));
        assert_eq!(fake_quantize_val(f32::INFINITY, 0.5, 0, 0, 255), (127.5, false));
        assert_eq!(fake_quantize_val(f32::NAN, 0.5, 3, -128, 127), (-65.5, false));
        assert_eq!(fake_quantize_val(-0.25, 1.0, -5, -10, 10), (0.0, true));
    }
}
