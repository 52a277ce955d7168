//! The CPU reference arithmetic for training ops: transposed matmuls for backward, relu
//! backward, scaling, reductions, softmax cross-entropy and the optimizer updates. Plain loops;
//! each function is the CPU twin a WGSL kernel names in its header.

use crate::rules::math::{expf, logf};
use crate::rules::optim::{adam_update, sgd_update, AdamConfig, SgdConfig};
use crate::rules::scaler::{self, ScalerConfig};

/// `op(A) · op(B)`, p ascending. a is (m, k) row-major, or (k, m) when `ta`; b is (k, n), or
/// (n, k) when `tb`; the result is (m, n). Backward of `y = x·Wᵀ` uses `dx = dy·W` and
/// `dW = dyᵀ·x` (torch.nn.functional.linear's autograd formulas).
pub fn matmul_t(a: &[f32], b: &[f32], m: usize, k: usize, n: usize, ta: bool, tb: bool) -> Vec<f32> {
    let mut c = vec![0.0f32; m * n];
    for i in 0..m {
        for j in 0..n {
            let mut acc = 0.0f32;
            for p in 0..k {
                let av = if ta { a[p * m + i] } else { a[i * k + p] };
                let bv = if tb { b[j * k + p] } else { b[p * n + j] };
                acc += av * bv;
            }
            c[i * n + j] = acc;
        }
    }
    c
}

/// `x <= 0 ? 0 : grad`, torch's `threshold_backward(grad, x, 0)` (NaN x passes the gradient).
pub fn relu_backward(grad: &[f32], x: &[f32]) -> Vec<f32> {
    grad.iter().zip(x).map(|(&g, &v)| if v <= 0.0 { 0.0 } else { g }).collect()
}

/// `x · s` element-wise.
pub fn scale(x: &[f32], s: f32) -> Vec<f32> {
    x.iter().map(|&v| v * s).collect()
}

/// Σ x, accumulated in f64 and rounded once: a more accurate reference than any f32 order.
pub fn sum(x: &[f32]) -> f32 {
    x.iter().map(|&v| v as f64).sum::<f64>() as f32
}

/// Σ over rows, rows ascending in f32: (rows, n) → (n,), a bias gradient.
pub fn sum_rows(x: &[f32], rows: usize, n: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; n];
    for r in 0..rows {
        for j in 0..n {
            out[j] += x[r * n + j];
        }
    }
    out
}

/// Per-row softmax cross-entropy of logits (b, c) against labels (b,) in `0..c`: returns the
/// row losses `logsumexp(x) − x[label]` and `dlogits = (softmax(x) − onehot(label)) / b`, the
/// gradient of the mean (torch `F.cross_entropy`, reduction='mean'). Labels are checked by the
/// caller. Max-subtracted for stability, as torch's log_softmax.
pub fn cross_entropy(logits: &[f32], labels: &[i32], b: usize, c: usize) -> (Vec<f32>, Vec<f32>) {
    let mut losses = vec![0.0f32; b];
    let mut d = vec![0.0f32; b * c];
    let inv_b = 1.0 / b as f32;
    for i in 0..b {
        let row = &logits[i * c..(i + 1) * c];
        let mx = row.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        let se: f32 = row.iter().map(|&v| expf(v - mx)).sum();
        let label = labels[i] as usize;
        losses[i] = mx + logf(se) - row[label];
        for j in 0..c {
            let p = expf(row[j] - mx) / se;
            d[i * c + j] = (p - if j == label { 1.0 } else { 0.0 }) * inv_b;
        }
    }
    (losses, d)
}

/// [`sgd_update`] over slices, in place. Always inlined, so the fast path's FMA copy
/// (`fast::simd::sgd_step`) compiles this same loop with FMA.
#[inline(always)]
pub fn sgd_step(p: &mut [f32], g: &[f32], buf: &mut [f32], c: &SgdConfig, first: bool) {
    let s = c.scalars();
    for i in 0..p.len() {
        (p[i], buf[i]) = sgd_update(p[i], g[i], buf[i], c, &s, first);
    }
}

/// [`adam_update`] over slices, in place; `step` counts from 1.
pub fn adam_step(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], c: &AdamConfig, step: u32) {
    adam_step_with(p, g, m, v, c, &c.scalars(step));
}

/// [`adam_update`] over slices with given scalars (the device-counted step's table entries).
/// Always inlined, for the fast path's FMA copy (`fast::simd::adam_step_with`).
#[inline(always)]
pub fn adam_step_with(
    p: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    c: &AdamConfig,
    s: &crate::rules::optim::AdamScalars,
) {
    for i in 0..p.len() {
        (p[i], m[i], v[i]) = adam_update(p[i], g[i], m[i], v[i], c, s);
    }
}

/// `GradScaler.unscale_` over one gradient, in place (`amp::scaler::unscale_value`); sets
/// `found_inf` on any inf or NaN and never clears it.
pub fn amp_unscale(g: &mut [f32], inv_scale: f32, found_inf: &mut bool) {
    for v in g.iter_mut() {
        let (u, bad) = scaler::unscale_value(*v, inv_scale);
        *v = u;
        *found_inf |= bad;
    }
}

/// `GradScaler.update` (`amp::scaler::update_scale`): returns `(scale, growth_tracker)`.
pub fn amp_update_scale(scale: f32, growth_tracker: i32, found_inf: bool, c: &ScalerConfig) -> (f32, i32) {
    scaler::update_scale(scale, growth_tracker, found_inf, c)
}

/// `(float)(1.0 / (double)scale)` (`amp::scaler::inv_scale`).
pub fn amp_inv_scale(scale: f32) -> f32 {
    scaler::inv_scale(scale)
}
