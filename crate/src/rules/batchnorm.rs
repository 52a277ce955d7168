//! Eval-mode BatchNorm as torch 2.15's CPU kernel computes it
//! (`batch_norm_cpu_collect_linear_and_constant_terms` and the contiguous inference loop in
//! aten/src/ATen/native/cpu/batch_norm_kernel.cpp), all in f32:
//!
//! ```text
//! invstd[c] = 1.0f / sqrtf(var[c] + (float)eps)
//! alpha[c]  = invstd[c] · weight[c]
//! beta[c]   = fma(−mean[c], alpha[c], bias[c])      bias − mean·alpha, contracted by the compiler
//! y         = fma(x, alpha[c], beta[c])             x·alpha + beta, contracted too
//! ```
//!
//! The two FMAs are what torch's x86-64 build does (GCC contracts `a*b + c`); the unfused forms
//! match only ~60 % of outputs, the fused ones all of them (tests/fixtures/batchnorm.json).
//! Not here: the per-element loop (`Backend::channel_affine`) and training-mode statistics.

/// `(alpha, beta)` per channel from BatchNorm's parameters and running statistics; `weight` /
/// `bias` `None` mean affine=False (1 and 0). Shapes: every slice `(c,)`.
pub fn bn_eval_alpha_beta(
    weight: Option<&[f32]>,
    bias: Option<&[f32]>,
    mean: &[f32],
    var: &[f32],
    eps: f64,
) -> (Vec<f32>, Vec<f32>) {
    let eps = eps as f32;
    let (mut alpha, mut beta) = (Vec::with_capacity(mean.len()), Vec::with_capacity(mean.len()));
    for c in 0..mean.len() {
        let invstd = 1.0f32 / (var[c] + eps).sqrt();
        let a = invstd * weight.map_or(1.0, |w| w[c]);
        alpha.push(a);
        beta.push((-mean[c]).mul_add(a, bias.map_or(0.0, |b| b[c])));
    }
    (alpha, beta)
}

/// One output element: `fma(x, alpha, beta)`, correctly rounded once.
pub fn bn_eval_val(x: f32, alpha: f32, beta: f32) -> f32 {
    x.mul_add(alpha, beta)
}
