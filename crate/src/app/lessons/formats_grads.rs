//! Lesson 5's "where a real gradient falls": a short 32-true training run of the playground MLP
//! (the real [`Session`] on the CPU reference backend), its last step's weight and bias
//! gradients placed on f16's number line: how many would be exactly zero, flushed to zero
//! (nonzero in f32, zero after `.half()`), subnormal, normal or inf in f16, without loss scaling
//! and after multiplying by a loss scale `2^k`, as `GradScaler` does before the f16 backward.
//!
//! The histogram is [`Session::grad_magnitudes`] (`floor(log2|g|)` bins); each gradient's f16
//! class comes from the library's cast ([`crate::rules::cast::f32_to_f16`]).
//! Not here: the bit layouts (`formats.rs`), the training step (`nn/amp_step.rs`).

use super::num;
use crate::amp::Precision;
use crate::app::session::Session;
use crate::app::session_config::SessionConfig;
use crate::app::session_io::LOG2_MIN;
use crate::backend::cpu::CpuReference;
use crate::backend::{ready, TensorOps};
use crate::rules::cast::f32_to_f16;
use crate::rules::error::Error;
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
    /// The dataset trained on.
    pub dataset: String,
    /// Steps trained.
    pub steps: usize,
    /// Number of gradient values (all weights and biases).
    pub count: usize,
    /// Smallest nonzero `|g|`.
    pub min_abs: f32,
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

fn bad(name: &'static str, value: String, valid: &str) -> Error {
    Error::InvalidArgument { name, value, valid: valid.into() }
}

/// Trains the playground MLP (defaults of [`SessionConfig`], 32-true) on `dataset` for `steps`
/// steps and places its last gradients on f16's number line, unscaled and times `2^k`.
pub fn gradients(dataset: &str, steps: usize, k: i32) -> Result<Gradients, Error> {
    if !(1..=500).contains(&steps) {
        return Err(bad("grad_steps", steps.to_string(), "an integer in 1..=500"));
    }
    if !(-20..=40).contains(&k) {
        return Err(bad("loss_scale_log2", k.to_string(), "an integer in -20..=40 (loss scales 2^-20 to 2^40)"));
    }
    let cfg = SessionConfig { dataset: dataset.into(), precision: Precision::True32, ..SessionConfig::default() };
    let b = CpuReference;
    let mut s = Session::new(&b, cfg)?;
    // The CPU backend's futures are complete when made (backend::ready).
    ready(s.run(&b, steps))?;
    let mut g = Vec::new();
    for t in &s.last_grads {
        g.extend(ready(b.read(t))?);
    }
    let hist = ready(s.grad_magnitudes(&b))?;
    let counts = hist["unscaled"]["counts"]
        .as_array()
        .expect("grad_magnitudes has counts")
        .iter()
        .map(|c| c.as_u64().expect("a count") as usize)
        .collect();
    let scale = 2f32.powi(k);
    let abs = g.iter().map(|v| v.abs());
    Ok(Gradients {
        dataset: dataset.into(),
        steps,
        count: g.len(),
        min_abs: abs.clone().filter(|&v| v > 0.0).fold(f32::INFINITY, f32::min),
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
    fn every_gradient_is_counted_once_and_scaling_lifts_flushed_ones_into_range() {
        let g = gradients("circle", 5, 16).unwrap();
        for c in [&g.unscaled, &g.scaled] {
            assert_eq!(c.zero + c.flush_to_zero + c.subnormal + c.normal + c.overflow, g.count);
        }
        assert_eq!(g.counts.iter().sum::<usize>() + g.unscaled.zero, g.count);
        // A hand-made set: 2⁻³⁰ flushes in f16; times 2¹⁶ it is 2⁻¹⁴, the smallest normal.
        let c = classify(&[2f32.powi(-30), 2f32.powi(-20), 1.0, 0.0], 1.0);
        assert_eq!((c.zero, c.flush_to_zero, c.subnormal, c.normal), (1, 1, 1, 1));
        let c = classify(&[2f32.powi(-30), 2f32.powi(-20), 1.0, 0.0], 65536.0);
        assert_eq!((c.flush_to_zero, c.subnormal, c.normal, c.overflow), (0, 0, 2, 1));
        assert!(gradients("moons", 5, 0).unwrap_err().to_string().contains("circle"));
        assert!(gradients("circle", 0, 0).unwrap_err().to_string().contains("1..=500"));
    }
}
