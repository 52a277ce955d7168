//! Lesson 5's "where a real gradient falls": a short 32-true training run of the playground MLP
//! (the real [`Session`] on the CPU reference backend: digits, 64 → 16 → 16 → 10, MSE loss,
//! SGD lr 0.1 momentum 0.9, batch 32, seed 1), its last step's weight and bias gradients placed
//! on f16's number line: how many would be exactly zero, flushed to zero
//! (nonzero in f32, zero after `.half()`), subnormal, normal or inf in f16, without loss scaling
//! and after multiplying by a loss scale `2^k`, as `GradScaler` does before the f16 backward.
//!
//! The histogram has [`Session::grad_magnitudes`]'s `floor(log2|g|)` bins (a test checks they
//! agree); each gradient's f16 class comes from the library's cast
//! ([`crate::rules::cast::f32_to_f16`]).
//!
//! Why that configuration: digits is stored data (no sampling), and a plain MSE + SGD run is
//! the simplest one whose gradients reach f16's subnormal range. (The page and `quantplay lesson
//! formats` print the same numbers on any set-up: the CPU paths' exp/log/pow/sin/cos are libm on
//! every target, `rules/math.rs`.)
//! Not here: the bit layouts (`formats.rs`), the training step (`nn/amp_step.rs`).

use super::num;
use crate::amp::Precision;
use crate::app::session::Session;
use crate::app::session_config::{LossKind, SessionConfig};
use crate::app::session_io::{LOG2_MAX, LOG2_MIN};
use crate::backend::cpu::CpuReference;
use crate::backend::{ready, TensorOps};
use crate::nn::mlp::Optimizer;
use crate::rules::cast::f32_to_f16;
use crate::rules::error::Error;
use crate::rules::optim::SgdConfig;
use serde::Serialize;

/// How a set of gradients lands in f16.
#[derive(Debug, Clone, Default, Serialize)]
pub struct F16Counts {
    /// Exactly zero already in f32.
    pub zero: usize,
    /// Nonzero in f32, zero in f16 (below half the smallest subnormal, 2⁻²⁵).
    pub flush_to_zero: usize,
    /// f16 subnormals (below 2⁻¹⁴: fewer significant bits).
    pub subnormal: usize,
    /// f16 normals.
    pub normal: usize,
    /// inf in f16 (at or above 65520).
    pub overflow: usize,
    /// `flush_to_zero / (nonzero gradients)`.
    pub flush_share: f64,
    /// `subnormal / (nonzero gradients)`.
    pub subnormal_share: f64,
}

/// The gradients' picture and counts.
#[derive(Debug, Clone, Serialize)]
pub struct Gradients {
    /// The dataset trained on (`digits`).
    pub dataset: &'static str,
    /// Steps trained.
    pub steps: usize,
    /// Number of gradient values (all weights and biases).
    pub count: usize,
    /// Smallest nonzero `|g|`.
    pub min_abs: f32,
    /// `min_abs` after `.half()` (what f16 keeps of the smallest gradient; 0 if it flushes).
    pub min_abs_f16: f32,
    /// Largest `|g|`.
    pub max_abs: f32,
    /// `floor(log2|g|)` of bin 0 of `counts` (unscaled).
    pub log2_min: i32,
    /// Gradients per `floor(log2|g|)` bin, from `log2_min` up (clamped at the ends).
    pub counts: Vec<usize>,
    /// The loss scale's exponent `k`: the scaled gradients are `g · 2^k` (bins shift by `k`).
    pub loss_scale_log2: i32,
    /// The loss scale `2^k`.
    pub loss_scale: f32,
    /// Unscaled gradients in f16.
    pub unscaled: F16Counts,
    /// `g · 2^k` in f16.
    pub scaled: F16Counts,
}

fn classify(g: &[f32], scale: f32) -> F16Counts {
    let mut c = F16Counts::default();
    for &v in g {
        let s = v * scale;
        let h = f32_to_f16(s);
        if v == 0.0 {
            c.zero += 1;
        } else if h.is_infinite() {
            c.overflow += 1;
        } else if h.to_f32() == 0.0 {
            c.flush_to_zero += 1;
        } else if !h.is_normal() {
            c.subnormal += 1;
        } else {
            c.normal += 1;
        }
    }
    let nonzero = (g.len() - c.zero).max(1) as f64;
    c.flush_share = c.flush_to_zero as f64 / nonzero;
    c.subnormal_share = c.subnormal as f64 / nonzero;
    c
}

/// [`Session::grad_magnitudes`]'s `floor(log2|g|)` bins from `LOG2_MIN` to `LOG2_MAX`, read
/// off the f32 exponent bits instead of `log2()` (libm's last bit differs between native and
/// wasm, which could move a value at a bin edge; the bits cannot). Zeros and non-finite values
/// are not counted, as there.
fn log2_bins(g: &[f32]) -> Vec<usize> {
    let mut bins = vec![0usize; (LOG2_MAX - LOG2_MIN + 1) as usize];
    for &v in g.iter().filter(|v| v.is_finite() && **v != 0.0) {
        let bits = v.abs().to_bits();
        let field = (bits >> 23) as i32;
        // A subnormal 2^-149 · m has floor(log2) = -149 + (index of m's top bit).
        let e = if field == 0 { -149 + 31 - bits.leading_zeros() as i32 } else { field - 127 };
        bins[(e.clamp(LOG2_MIN, LOG2_MAX) - LOG2_MIN) as usize] += 1;
    }
    bins
}

fn bad(name: &'static str, value: String, valid: &str) -> Error {
    Error::InvalidArgument { name, value, valid: valid.into() }
}

/// The dataset of the run (see the module docs for why it is fixed).
pub const DATASET: &str = "digits";

/// Trains the MLP of the module docs for `steps` steps and places its last gradients on f16's
/// number line, unscaled and times `2^k`.
pub fn gradients(steps: usize, k: i32) -> Result<Gradients, Error> {
    if !(1..=500).contains(&steps) {
        return Err(bad("grad_steps", steps.to_string(), "an integer in 1..=500"));
    }
    if !(-20..=40).contains(&k) {
        return Err(bad("loss_scale_log2", k.to_string(), "an integer in -20..=40 (loss scales 2^-20 to 2^40)"));
    }
    let cfg = SessionConfig {
        dataset: DATASET.into(),
        precision: Precision::True32,
        loss: LossKind::Mse,
        optimizer: Optimizer::Sgd(SgdConfig { lr: 0.1, momentum: 0.9, ..SgdConfig::default() }),
        ..SessionConfig::default()
    };
    let b = CpuReference;
    let mut s = Session::new(&b, cfg)?;
    // The CPU backend's futures are complete when made (backend::ready).
    ready(s.run(&b, steps))?;
    let mut g = Vec::new();
    for t in &s.last_grads {
        g.extend(ready(b.read(t))?);
    }
    let counts = log2_bins(&g);
    let scale = 2f32.powi(k);
    let abs = g.iter().map(|v| v.abs());
    let min_abs = abs.clone().filter(|&v| v > 0.0).fold(f32::INFINITY, f32::min);
    Ok(Gradients {
        dataset: DATASET,
        steps,
        count: g.len(),
        min_abs,
        min_abs_f16: f32_to_f16(min_abs).to_f32(),
        max_abs: abs.fold(0.0, f32::max),
        log2_min: LOG2_MIN,
        counts,
        loss_scale_log2: k,
        loss_scale: scale,
        unscaled: classify(&g, 1.0),
        scaled: classify(&g, scale),
    })
}

impl Gradients {
    /// The command line's lines for the gradients.
    pub fn render(&self) -> String {
        let mut s = format!("gradients dataset {} steps {} count {}\n", self.dataset, self.steps, self.count);
        s += &format!("gradients min_abs {} max_abs {}\n", num(self.min_abs), num(self.max_abs));
        s += &format!("gradients min_abs_f16 {}\n", num(self.min_abs_f16));
        for (name, c) in [("unscaled", &self.unscaled), (&*format!("scaled_2^{}", self.loss_scale_log2), &self.scaled)]
        {
            s += &format!(
                "{name} zero {} flush_to_zero {} subnormal {} normal {} overflow {}\n",
                c.zero, c.flush_to_zero, c.subnormal, c.normal, c.overflow
            );
            s += &format!(
                "{name} flush_share {} subnormal_share {}\n",
                super::num64(c.flush_share),
                super::num64(c.subnormal_share)
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bins_are_the_sessions_grad_magnitudes_bins() {
        let b = CpuReference;
        let mut s =
            Session::new(&b, SessionConfig { precision: Precision::True32, ..SessionConfig::default() }).unwrap();
        ready(s.run(&b, 3)).unwrap();
        let mut g = Vec::new();
        for t in &s.last_grads {
            g.extend(ready(b.read(t)).unwrap());
        }
        g.extend([2f32.powi(-149), 3.0 * 2f32.powi(-140), 0.75, -1.0, 1e30, 0.0]);
        let want: Vec<usize> = (LOG2_MIN..=LOG2_MAX)
            .map(|e| {
                g.iter()
                    .filter(|v| **v != 0.0 && ((v.abs().log2().floor() as i32).clamp(LOG2_MIN, LOG2_MAX)) == e)
                    .count()
            })
            .collect();
        assert_eq!(log2_bins(&g), want);
        let hist = ready(s.grad_magnitudes(&b)).unwrap();
        let counts: Vec<usize> =
            hist["unscaled"]["counts"].as_array().unwrap().iter().map(|c| c.as_u64().unwrap() as usize).collect();
        assert_eq!(log2_bins(&g[..g.len() - 6]), counts);
    }

    #[test]
    fn every_gradient_is_counted_once_and_scaling_lifts_flushed_ones_into_range() {
        let g = gradients(5, 16).unwrap();
        assert_eq!(g.count, 64 * 16 + 16 + 16 * 16 + 16 + 16 * 10 + 10);
        for c in [&g.unscaled, &g.scaled] {
            assert_eq!(c.zero + c.flush_to_zero + c.subnormal + c.normal + c.overflow, g.count);
        }
        assert_eq!(g.counts.iter().sum::<usize>() + g.unscaled.zero, g.count);
        // The smallest gradient after 30 steps is an f16 subnormal: f16 keeps it as a whole
        // multiple of 2⁻²⁴, which is not the f32 value.
        let g30 = gradients(30, 16).unwrap();
        assert!(g30.min_abs < 2f32.powi(-14), "{}", g30.min_abs);
        assert_eq!((g30.min_abs_f16 / 2f32.powi(-24)).fract(), 0.0);
        assert_ne!(g30.min_abs_f16, g30.min_abs);
        // A hand-made set: 2⁻³⁰ flushes in f16; times 2¹⁶ it is 2⁻¹⁴, the smallest normal.
        let c = classify(&[2f32.powi(-30), 2f32.powi(-20), 1.0, 0.0], 1.0);
        assert_eq!((c.zero, c.flush_to_zero, c.subnormal, c.normal), (1, 1, 1, 1));
        let c = classify(&[2f32.powi(-30), 2f32.powi(-20), 1.0, 0.0], 65536.0);
        assert_eq!((c.flush_to_zero, c.subnormal, c.normal, c.overflow), (0, 0, 2, 1));
        assert!(gradients(0, 0).unwrap_err().to_string().contains("1..=500"));
        assert!(gradients(5, 41).unwrap_err().to_string().contains("-20..=40"));
    }
}
