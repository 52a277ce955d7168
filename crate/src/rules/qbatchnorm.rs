//! `quantized::batch_norm2d` (nnq.BatchNorm2d) as torch 2.15 computes it on CPU, pure Rust.
//!
//! aten/src/ATen/native/quantized/cpu/qbatch_norm.cpp `compute_fused_params` (input_scale and
//! output_scale are `double` there; everything else f32):
//!
//! ```text
//! inv_sigma = (float)(1.0 / (double)sqrtf(var + (float)eps))
//! alpha     = (float)((double)(inv_sigma · weight) · (input_scale / output_scale))
//! beta      = (float)((double)(bias − mean · inv_sigma · weight) / output_scale)
//! ```
//!
//! and kernels/QuantizedOpKernels.cpp `q_batch_norm_kernel` per element, on both its vectorized
//! path (dequantize with scale 1: `x − in_zp` exactly, `fmadd`, quantize with scale 1 and
//! inverse 1) and its scalar tail (`lrintf(alpha·(x − in_zp) + beta)`, contracted to an FMA by the
//! compiler in the AVX2/AVX512 builds):
//!
//! ```text
//! code = clamp(out_zp + rne(fma(alpha[c], (float)(x − in_zp), beta[c])), 0, 255)
//! ```
//!
//! Checked against torch over every input code for 1–80 channels: double scales and the FMA are
//! the only combination with no mismatch. Since a code depends only on (channel, input code),
//! [`code_table`] tabulates it and backends run a gather (`Backend::quantized_channel_lut`),
//! exact everywhere. Not here: the gather itself, training-mode BatchNorm.

/// `(alpha, beta)` per channel, `compute_fused_params`. `weight` / `bias` `None` mean
/// affine=False; every slice `(c,)`.
pub fn fused_params(
    weight: Option<&[f32]>,
    bias: Option<&[f32]>,
    mean: &[f32],
    var: &[f32],
    eps: f64,
    input_scale: f32,
    output_scale: f32,
) -> (Vec<f32>, Vec<f32>) {
    let ratio = input_scale as f64 / output_scale as f64;
    (0..mean.len())
        .map(|c| {
            let inv_sigma = (1.0f64 / (var[c] + eps as f32).sqrt() as f64) as f32;
            let w = weight.map_or(1.0, |w| w[c]);
            let b = bias.map_or(0.0, |b| b[c]);
            let alpha = ((inv_sigma * w) as f64 * ratio) as f32;
            let beta = ((b - mean[c] * inv_sigma * w) as f64 / output_scale as f64) as f32;
            (alpha, beta)
        })
        .unzip()
}

/// One output code of the kernel: `clamp(out_zp + rne(fma(alpha, x − in_zp, beta)), 0, 255)`.
pub fn qbn_code(x: u8, alpha: f32, beta: f32, in_zero_point: i32, out_zero_point: i32) -> u8 {
    let y = alpha.mul_add((x as i32 - in_zero_point) as f32, beta);
    let r = y.round_ties_even() as i64 + out_zero_point as i64; // lrintf (saturating here)
    r.clamp(0, 255) as u8
}

/// Every output code, `(c, 256)`: row `c` maps each input code of channel `c`.
pub fn code_table(alpha: &[f32], beta: &[f32], in_zero_point: i32, out_zero_point: i32) -> Vec<u8> {
    alpha
        .iter()
        .zip(beta)
        .flat_map(|(&a, &b)| (0..=255u8).map(move |x| qbn_code(x, a, b, in_zero_point, out_zero_point)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_batchnorm_with_equal_scales_keeps_codes() {
        // mean 0, var 1 − eps, weight 1, bias 0, same qparams in and out: alpha = 1, beta = 0.
        let eps = 1e-5;
        let (a, b) = fused_params(None, None, &[0.0], &[1.0 - eps as f32], eps, 0.1, 0.1);
        let t = code_table(&a, &b, 3, 3);
        let same = t.iter().enumerate().filter(|(i, &c)| c as usize == *i).count();
        assert!(same >= 254, "alpha {} beta {}: {same} of 256 codes kept", a[0], b[0]);
    }

    #[test]
    fn codes_saturate_at_the_quint8_range() {
        assert_eq!(qbn_code(255, 10.0, 0.0, 0, 0), 255);
        assert_eq!(qbn_code(0, 10.0, 0.0, 255, 0), 0);
        assert_eq!(qbn_code(5, 1.0, 0.5, 5, 10), 10); // rne(0.5) = 0
    }
}
