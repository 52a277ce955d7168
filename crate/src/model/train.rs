//! Training-mode BatchNorm2d for the module tree, forward and backward, as torch's autograd
//! computes it for the QAT modules. The Linear and Conv2d forward/backward are
//! `functional::{linear, conv}`.
//!
//! BatchNorm's per-channel statistics run on the host (the tensors are read back), as do
//! optimizer steps on the host-side parameters (`quant::eager::qat`). Shapes are given per
//! function.
//!
//! Sources: aten/src/ATen/native/Normalization.cpp and cpu/batch_norm_kernel.cpp
//! (training-mode BatchNorm: biased variance to normalize, unbiased for `running_var`).
//!
//! Not here: fake-quant state (`quant::fake_quant`), the QAT module list (`quant::eager::qat`).

/// What training-mode BatchNorm keeps for backward: per channel `(c,)` batch mean, biased
/// variance and `invstd = 1/sqrt(var + eps)`; `xhat` like x.
#[derive(Debug, Clone)]
pub struct BnCache {
    pub mean: Vec<f32>,
    pub var: Vec<f32>,
    pub invstd: Vec<f32>,
    pub xhat: Vec<f32>,
    /// Elements per channel, `n·h·w`.
    pub count: usize,
}

/// BatchNorm2d in training mode on host data x `(n, c, hw)` flattened NCHW: batch statistics
/// (sums in f64, rounded to f32), `y = (x − mean)·invstd·γ + β` with torch's fused form
/// `fma(x, α, β − mean·α)`, `α = invstd·γ`. Returns `(y, cache, unbiased variance)`.
pub fn bn_train_forward(
    x: &[f32],
    n: usize,
    c: usize,
    hw: usize,
    gamma: &[f32],
    beta: &[f32],
    eps: f64,
) -> (Vec<f32>, BnCache, Vec<f32>) {
    let count = n * hw;
    let at = |b: usize, ch: usize, p: usize| (b * c + ch) * hw + p;
    let (mut mean, mut var, mut invstd, mut unbiased) = (vec![0f32; c], vec![0f32; c], vec![0f32; c], vec![0f32; c]);
    let mut y = vec![0f32; x.len()];
    let mut xhat = vec![0f32; x.len()];
    for ch in 0..c {
        let mut s = 0f64;
        for b in 0..n {
            for p in 0..hw {
                s += x[at(b, ch, p)] as f64;
            }
        }
        let m = (s / count as f64) as f32;
        let mut ss = 0f64;
        for b in 0..n {
            for p in 0..hw {
                let d = (x[at(b, ch, p)] - m) as f64;
                ss += d * d;
            }
        }
        mean[ch] = m;
        var[ch] = (ss / count as f64) as f32;
        unbiased[ch] = (ss / (count.max(2) - 1) as f64) as f32;
        invstd[ch] = 1.0 / (var[ch] + eps as f32).sqrt();
        let alpha = invstd[ch] * gamma[ch];
        let shift = (-m).mul_add(alpha, beta[ch]);
        for b in 0..n {
            for p in 0..hw {
                let i = at(b, ch, p);
                xhat[i] = (x[i] - m) * invstd[ch];
                y[i] = x[i].mul_add(alpha, shift);
            }
        }
    }
    (y, BnCache { mean, var, invstd, xhat, count }, unbiased)
}

/// Gradients of [`bn_train_forward`] given `gy` like x: `(dx, dγ, dβ)` with
/// `dx = γ·invstd/M · (M·gy − Σgy − x̂·Σ(gy·x̂))` (torch's `batch_norm_backward`, training).
pub fn bn_train_backward(
    gy: &[f32],
    cache: &BnCache,
    n: usize,
    c: usize,
    hw: usize,
    gamma: &[f32],
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let at = |b: usize, ch: usize, p: usize| (b * c + ch) * hw + p;
    let m = cache.count as f64;
    let (mut dx, mut dg, mut db) = (vec![0f32; gy.len()], vec![0f32; c], vec![0f32; c]);
    for ch in 0..c {
        let (mut sg, mut sgx) = (0f64, 0f64);
        for b in 0..n {
            for p in 0..hw {
                let i = at(b, ch, p);
                sg += gy[i] as f64;
                sgx += gy[i] as f64 * cache.xhat[i] as f64;
            }
        }
        db[ch] = sg as f32;
        dg[ch] = sgx as f32;
        let k = gamma[ch] as f64 * cache.invstd[ch] as f64 / m;
        for b in 0..n {
            for p in 0..hw {
                let i = at(b, ch, p);
                dx[i] = (k * (m * gy[i] as f64 - sg - cache.xhat[i] as f64 * sgx)) as f32;
            }
        }
    }
    (dx, dg, db)
}

/// `running ← (1 − momentum)·running + momentum·batch` per channel (torch's running stats).
pub fn update_running(running: &mut [f32], batch: &[f32], momentum: f64) {
    let m = momentum as f32;
    for (r, &v) in running.iter_mut().zip(batch) {
        *r = (1.0 - m) * *r + m * v;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batchnorm_training_normalizes_each_channel_and_its_gradient_sums_to_zero() {
        let x: Vec<f32> = (0..16).map(|i| (i * i % 7) as f32).collect(); // (2, 2, 4)
        let (y, cache, _) = bn_train_forward(&x, 2, 2, 4, &[1.0, 2.0], &[0.0, 1.0], 1e-5);
        for ch in 0..2 {
            let vals: Vec<f32> = (0..2).flat_map(|b| (0..4).map(move |p| (b * 2 + ch) * 4 + p)).map(|i| y[i]).collect();
            let mean = vals.iter().sum::<f32>() / 8.0;
            assert!((mean - [0.0, 1.0][ch]).abs() < 1e-5, "channel {ch} mean {mean}");
        }
        let gy: Vec<f32> = (0..16).map(|i| (i as f32 * 0.37).sin()).collect();
        let (dx, _, _) = bn_train_backward(&gy, &cache, 2, 2, 4, &[1.0, 2.0]);
        let s: f32 = dx.iter().sum();
        assert!(s.abs() < 1e-4, "Σdx {s}");
    }
}
