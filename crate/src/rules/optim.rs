//! SGD and Adam update rules for one element, in the order PyTorch's single-tensor
//! implementations compute them (torch/optim/sgd.py `_single_tensor_sgd`, torch/optim/adam.py
//! `_single_tensor_adam`, foreach=False, maximize=False, amsgrad=False), on f32 master weights.
//!
//! `t.add(other, alpha=a)` is `fma(other, a, t)` here, because ATen's vectorised CPU add
//! kernel computes `vec::fmadd(b, alpha, a)` (aten/src/ATen/native/cpu/BinaryOpsKernel.cpp).
//! Python-float scalars (bias corrections, step size) are computed in f64 as Python does and
//! rounded to f32 where they meet a tensor. SGD matches torch 2.15 bit for bit
//! (tests/fixtures/optim.json). Adam does too except through `exp_avg_sq.sqrt()`: torch's CPU
//! build computes it with MKL's vsSqrt, which is within 1 ulp but not correctly rounded, so
//! Adam agrees within `parity::F32_OPTIMIZER`. WGSL's `fma` may or may not fuse, so the GPU
//! agrees within `parity::F32_OPTIMIZER` too.

// `!(x >= 0.0)` is on purpose throughout: it rejects NaN as well as the out-of-range values.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use crate::rules::error::{Error, Result};

fn bad(name: &'static str, v: f64, valid: &str) -> Result<()> {
    Err(Error::InvalidArgument { name, value: v.to_string(), valid: valid.into() })
}

/// `torch.optim.SGD` hyper-parameters. They are f64, like the Python floats torch gets, and each
/// derived scalar is rounded to f32 where it meets a tensor ([`SgdScalars`]).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SgdConfig {
    /// Learning rate.
    pub lr: f64,
    /// Momentum factor (0 disables the buffer).
    pub momentum: f64,
    /// Dampening for momentum.
    pub dampening: f64,
    /// L2 penalty.
    pub weight_decay: f64,
    /// Nesterov momentum.
    pub nesterov: bool,
}

impl Default for SgdConfig {
    /// torch's defaults, with lr = 0.01 (torch requires lr).
    fn default() -> Self {
        SgdConfig { lr: 0.01, momentum: 0.0, dampening: 0.0, weight_decay: 0.0, nesterov: false }
    }
}

/// The f32 scalars one SGD step uses, as ATen receives them from Python.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SgdScalars {
    /// `alpha = -lr` of `param.add_(grad, alpha=-lr)`.
    pub neg_lr: f32,
    /// `momentum` of `buf.mul_(momentum)` and nesterov's `grad.add(buf, alpha=momentum)`.
    pub momentum: f32,
    /// `alpha = 1 - dampening`, computed in f64.
    pub one_minus_dampening: f32,
    /// `alpha = weight_decay`.
    pub weight_decay: f32,
}

impl SgdConfig {
    /// torch's checks: lr ≥ 0, momentum ≥ 0, weight_decay ≥ 0; nesterov needs momentum > 0
    /// and zero dampening.
    pub fn validate(&self) -> Result<()> {
        if !(self.lr >= 0.0) {
            return bad("lr", self.lr, ">= 0");
        }
        if !(self.momentum >= 0.0) {
            return bad("momentum", self.momentum, ">= 0");
        }
        if !(self.weight_decay >= 0.0) {
            return bad("weight_decay", self.weight_decay, ">= 0");
        }
        if self.nesterov && (self.momentum <= 0.0 || self.dampening != 0.0) {
            return bad("nesterov momentum", self.momentum, "momentum > 0 and dampening = 0");
        }
        Ok(())
    }

    /// The f32 scalars of one step.
    pub fn scalars(&self) -> SgdScalars {
        SgdScalars {
            neg_lr: (-self.lr) as f32,
            momentum: self.momentum as f32,
            one_minus_dampening: (1.0 - self.dampening) as f32,
            weight_decay: self.weight_decay as f32,
        }
    }
}

/// One SGD step for one element: returns `(param, momentum_buffer)`. `first` is torch's
/// "buffer is None" case, where the buffer starts as a copy of the gradient. Always inlined, so
/// a loop compiled with the `fma` target feature (`backend::cpu::train`) turns each `mul_add`
/// into one instruction instead of a call to libm's `fmaf` (same result: both are exact FMAs).
#[inline(always)]
pub fn sgd_update(p: f32, g: f32, buf: f32, c: &SgdConfig, s: &SgdScalars, first: bool) -> (f32, f32) {
    let mut d = if c.weight_decay != 0.0 { p.mul_add(s.weight_decay, g) } else { g };
    let mut b = buf;
    if c.momentum != 0.0 {
        b = if first { d } else { d.mul_add(s.one_minus_dampening, b * s.momentum) };
        d = if c.nesterov { b.mul_add(s.momentum, d) } else { b };
    }
    (d.mul_add(s.neg_lr, p), b)
}

/// `torch.optim.Adam` hyper-parameters, with torch's defaults; f64 like Python's floats.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AdamConfig {
    /// Learning rate (default 1e-3).
    pub lr: f64,
    /// `betas[0]` (default 0.9).
    pub beta1: f64,
    /// `betas[1]` (default 0.999).
    pub beta2: f64,
    /// Added to the denominator (default 1e-8).
    pub eps: f64,
    /// L2 penalty (default 0).
    pub weight_decay: f64,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.0 }
    }
}

/// The f32 scalars one Adam step uses, each computed in f64 as Python does, then rounded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamScalars {
    /// The lerp weight `1 - beta1`.
    pub one_minus_beta1: f32,
    /// `beta2` of `exp_avg_sq.mul_(beta2)`.
    pub beta2: f32,
    /// `value = 1 - beta2` of `addcmul_`.
    pub one_minus_beta2: f32,
    /// `eps`.
    pub eps: f32,
    /// `alpha = weight_decay`.
    pub weight_decay: f32,
    /// `value = -step_size = -lr / (1 - beta1^step)`.
    pub neg_step_size: f32,
    /// `sqrt(1 - beta2^step)`.
    pub bc2_sqrt: f32,
}

impl AdamConfig {
    /// torch's checks: lr ≥ 0, eps ≥ 0, 0 ≤ betas < 1, weight_decay ≥ 0.
    pub fn validate(&self) -> Result<()> {
        if !(self.lr >= 0.0) {
            return bad("lr", self.lr, ">= 0");
        }
        if !(self.eps >= 0.0) {
            return bad("eps", self.eps, ">= 0");
        }
        if !(0.0..1.0).contains(&self.beta1) {
            return bad("beta1", self.beta1, "in [0, 1)");
        }
        if !(0.0..1.0).contains(&self.beta2) {
            return bad("beta2", self.beta2, "in [0, 1)");
        }
        if !(self.weight_decay >= 0.0) {
            return bad("weight_decay", self.weight_decay, ">= 0");
        }
        Ok(())
    }

    /// The scalars of 1-based step `step` (`beta ** step` is C's pow, as in Python).
    pub fn scalars(&self, step: u32) -> AdamScalars {
        let bc1 = 1.0 - super::math::pow(self.beta1, step as f64);
        let bc2 = 1.0 - super::math::pow(self.beta2, step as f64);
        AdamScalars {
            one_minus_beta1: (1.0 - self.beta1) as f32,
            beta2: self.beta2 as f32,
            one_minus_beta2: (1.0 - self.beta2) as f32,
            eps: self.eps as f32,
            weight_decay: self.weight_decay as f32,
            neg_step_size: (-(self.lr / bc1)) as f32,
            bc2_sqrt: bc2.sqrt() as f32,
        }
    }
}

/// One Adam step for one element: returns `(param, exp_avg, exp_avg_sq)`. Always inlined (see
/// [`sgd_update`]).
#[inline(always)]
pub fn adam_update(p: f32, g: f32, m: f32, v: f32, c: &AdamConfig, s: &AdamScalars) -> (f32, f32, f32) {
    let g = if c.weight_decay != 0.0 { p.mul_add(s.weight_decay, g) } else { g };
    // exp_avg.lerp_(grad, w): ATen's lerp_vec is fma(w, end - start, start) for |w| < 0.5,
    // else fma(w - 1, end - start, end).
    let w = s.one_minus_beta1;
    let m = if w.abs() < 0.5 { w.mul_add(g - m, m) } else { (w - 1.0).mul_add(g - m, g) };
    // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2): self + value * t1 * t2.
    let v = (v * s.beta2) + s.one_minus_beta2 * g * g;
    // denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
    let denom = v.sqrt() / s.bc2_sqrt + s.eps;
    // param.addcdiv_(exp_avg, denom, value=-step_size): self + value * t1 / t2.
    (p + s.neg_step_size * m / denom, m, v)
}

/// The per-step scalars of the backend's `adam_step_counted` op
/// for steps 1..=n: `[-step_size₁, √bc2₁, -step_size₂, √bc2₂, …]`, each as [`AdamConfig::scalars`].
pub fn adam_table(c: &AdamConfig, n: usize) -> Vec<f32> {
    (1..=n as u32)
        .flat_map(|t| {
            let s = c.scalars(t);
            [s.neg_step_size, s.bc2_sqrt]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_sgd_is_p_minus_lr_g_and_momentum_starts_from_the_gradient() {
        let c = SgdConfig { lr: 0.1, ..Default::default() };
        assert_eq!(sgd_update(1.0, 2.0, 0.0, &c, &c.scalars(), true).0, 0.8);
        let c = SgdConfig { lr: 0.1, momentum: 0.9, ..Default::default() };
        let (p, b) = sgd_update(1.0, 2.0, 123.0, &c, &c.scalars(), true);
        assert_eq!((p, b), (0.8, 2.0));
        let (p, b) = sgd_update(p, 2.0, b, &c, &c.scalars(), false);
        assert_eq!(b, 3.8); // 0.9·2 + 2
        assert!((p - (0.8 - 0.38)).abs() < 1e-6);
    }

    #[test]
    fn adam_first_step_moves_each_weight_by_about_lr() {
        // After one step m̂ = g and v̂ = g², so the update is lr·g/(|g| + eps) ≈ lr·sign(g).
        let c = AdamConfig::default();
        let (p, m, v) = adam_update(1.0, 0.5, 0.0, 0.0, &c, &c.scalars(1));
        assert!((p - (1.0 - 1e-3)).abs() < 1e-6, "{p}");
        // 1 - beta2 is computed in f64 (0.001), not in f32 (0.00099998713).
        assert_eq!((m, v), (0.1f32 * 0.5, 0.001f32 * 0.5 * 0.5));
    }

    #[test]
    fn configs_reject_what_torch_rejects() {
        assert!(SgdConfig { lr: -1.0, ..Default::default() }.validate().is_err());
        assert!(SgdConfig { nesterov: true, ..Default::default() }
            .validate()
            .unwrap_err()
            .to_string()
            .contains("dampening = 0"));
        assert!(AdamConfig { beta1: 1.0, ..Default::default() }.validate().unwrap_err().to_string().contains("[0, 1)"));
        assert!(AdamConfig::default().validate().is_ok());
    }
}
