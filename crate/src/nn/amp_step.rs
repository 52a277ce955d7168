//! One autocast training step of an [`Mlp`] on any [`Backend`], as torch runs it under
//! `torch.autocast(device, dtype)` with `torch.amp.GradScaler` (16-mixed, bf16-mixed), or on a
//! model cast with `.half()` / `.bfloat16()` (16-true, bf16-true, emulated here).
//!
//! Per layer (torch/csrc/autograd + aten/src/ATen/autocast_mode.cpp's lower-precision list):
//! `linear(x.to(d), W.to(d), b.to(d))` is one `addmm` in dtype `d`: products of `d` values
//! accumulated in f32, plus the bias, rounded to `d` once (here: f32 GEMM of the upcast `d`
//! operands, `bias_add`, one cast). ReLU runs in `d` (exact). Cross-entropy is on autocast's
//! f32 list, so the logits are upcast. Backward: `grad_logits · scale` is cast to `d` (the
//! backward of the upcast), `dW = dzᵀ·h` and `dh = dz·W` are `d` GEMMs (f32 accumulation, one
//! rounding: [`Backend::matmul_f16`] for f16), `db = Σ_rows dz` in f32 rounded to `d`, and the
//! weight grads are upcast to f32 (the backward of `W.to(d)`), so the master weights and the
//! optimizer stay f32. Then `unscale_` with found_inf, the optimizer steps skipped on the device
//! when found_inf is set, and `update()`; nothing is read back.
//!
//! Not here: the fp32 step (`mlp.rs`), the loop and metrics (`session.rs`).

use super::mlp::{Mlp, Optimizer};
use crate::amp::autocast::{Op, Trace};
use crate::backend::{Backend, DType, HasShape, HostData};
use crate::functional::{linear_backward_with, linear_forward};
use crate::rules::error::Result;
use crate::rules::limits::{check_at_most, MAX_RUN_STEPS};
use crate::rules::scaler::ScalerConfig;

/// GradScaler state on the backend: scale `(1,)` f32 and growth tracker `(1,)` int32.
pub struct DeviceScaler<B: Backend> {
    /// The current loss scale.
    pub scale: B::Tensor,
    /// Consecutive finite steps since the last growth or backoff.
    pub growth_tracker: B::Tensor,
    /// The growth/backoff rule.
    pub cfg: ScalerConfig,
}

impl<B: Backend> DeviceScaler<B> {
    /// A scaler starting at `cfg.init_scale` (validated) with a zero tracker.
    pub fn new(b: &B, cfg: ScalerConfig) -> Result<DeviceScaler<B>> {
        cfg.validate()?;
        Ok(DeviceScaler {
            scale: b.upload(&[cfg.init_scale as f32], &[1])?,
            growth_tracker: b.upload_data(HostData::I32(vec![0]), &[1])?,
            cfg,
        })
    }
}

/// Adam's step count on the device (steps not skipped) and its per-step scalar table.
pub struct AdamCounter<B: Backend> {
    /// `(1,)` f32: Adam steps taken.
    pub count: B::Tensor,
    /// `(2·n,)` f32: [`crate::rules::optim::adam_table`] for steps 1..=n.
    pub table: B::Tensor,
    /// Steps the table covers.
    pub n: usize,
}

/// Entries of an Adam table that covers `step`: double it (at least 256) so the table is
/// rebuilt rarely, but no more than [`MAX_RUN_STEPS`] (64 MiB), past which no run goes.
pub fn adam_table_len(step: usize) -> usize {
    step.saturating_mul(2).clamp(256, MAX_RUN_STEPS.max(step))
}

/// How one autocast step runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AmpMode {
    /// The compute dtype: F16 or BF16, or F32 for a plain 32-true step.
    pub dtype: DType,
    /// `*-true`: no scaler, and the master weights are rounded to `dtype` after each update.
    pub pure: bool,
    /// Multiplies the loss (and so every gradient) before scaling; 1.0 normally.
    pub loss_multiplier: f32,
    /// Multiplies the scaled loss by +inf this step, so its gradients overflow on purpose.
    pub inject_overflow: bool,
}

/// What one autocast step leaves on the backend (nothing is read back).
pub struct AmpStepOutput<B: Backend> {
    /// Mean cross-entropy (times the loss multiplier), `(1,)` f32.
    pub loss: B::Tensor,
    /// The batch's logits `(batch, classes)` f32, from the forward pass before the update.
    pub logits: B::Tensor,
    /// Σ g² over the unscaled gradients, `(1,)` (inf or NaN on an overflow step).
    pub grad_sq: B::Tensor,
    /// The scale this step used (a copy taken before `update()`); `None` without a scaler.
    pub scale_used: Option<B::Tensor>,
    /// 1.0 when this step's gradients had inf/NaN and the optimizer step was skipped.
    pub found_inf: Option<B::Tensor>,
    /// The unscaled f32 gradients, `[dW₀, db₀, dW₁, …]`.
    pub grads: Vec<B::Tensor>,
    /// Bytes of the tensors the step keeps for backward (layer inputs and pre-activations).
    pub activation_bytes: usize,
    /// Bytes of the parameters: the f32 masters plus the lower-precision copies the step made.
    pub weight_bytes: usize,
    /// The autocast op trace of this step.
    pub trace: Trace,
}

fn bytes<T: HasShape>(t: &T) -> usize {
    t.numel() * t.dtype().size()
}

/// `op(a) · op(b)` of two `d` tensors: f32 accumulation, rounded to `d` once.
fn mm_low<B: Backend>(b: &B, a: &B::Tensor, w: &B::Tensor, ta: bool, tb: bool) -> Result<B::Tensor> {
    match a.dtype() {
        DType::F16 => return b.matmul_f16(a, w, ta, tb),
        DType::F32 => return b.matmul_t(a, w, ta, tb),
        _ => {}
    }
    let c = b.matmul_t(&b.cast(a, DType::F32)?, &b.cast(w, DType::F32)?, ta, tb)?;
    b.cast(&c, a.dtype())
}

impl<B: Backend> Mlp<B> {
    /// One autocast step on `x` `(batch, in)` f32 and int32 `labels` (see the module doc).
    /// `scaler` is `None` for `*-true` and when AMP is off.
    /// With `onehot` (`(batch, classes)` f32) the loss is MSE against it instead.
    #[allow(clippy::too_many_arguments)]
    pub fn train_step_amp(
        &mut self,
        b: &B,
        x: &B::Tensor,
        labels: &B::Tensor,
        onehot: Option<&B::Tensor>,
        opt: &Optimizer,
        mode: &AmpMode,
        scaler: Option<&mut DeviceScaler<B>>,
    ) -> Result<AmpStepOutput<B>> {
        let d = mode.dtype;
        let ac = if d == DType::F32 { None } else { Some(d) };
        let mut trace = Trace::default();
        let last = self.weights.len() - 1;
        let up = |t: &B::Tensor| b.cast(t, DType::F32);
        // Forward: keep every layer input h (in d) and pre-activation z (in d).
        let (mut hs, mut zs, mut ws) = (Vec::new(), Vec::new(), Vec::new());
        let mut h = b.cast(x, d)?;
        for l in 0..=last {
            let w = b.cast(&self.weights[l].value, d)?;
            let bias_d = b.cast(&self.biases[l].value, d)?;
            let bias = up(&bias_d)?;
            let z = b.cast(&linear_forward(b, &up(&h)?, &up(&w)?, Some(&bias))?, d)?;
            // The dtypes the op consumes, after autocast's cast: `linear(x.to(d), W.to(d), b.to(d))`.
            let consumed = [h.dtype(), w.dtype(), bias_d.dtype()];
            let zt = trace.record(&format!("fc{}", l + 1), Op::Linear, &consumed, ac)?;
            let next = if l < last {
                trace.record(&format!("relu{}", l + 1), Op::Relu, &[zt], ac)?;
                b.cast(&b.relu(&up(&z)?)?, d)?
            } else {
                b.cast(&z, d)? // a copy (same-dtype cast)
            };
            hs.push(h);
            zs.push(z);
            ws.push(w);
            h = next;
        }
        let logits = up(&h)?;
        let (mut loss, mut dlogits) = match onehot {
            Some(t) => {
                trace.record("loss", Op::MseLoss, &[d, DType::F32], ac)?;
                b.mse_loss(&logits, t)?
            }
            None => {
                trace.record("loss", Op::CrossEntropy, &[d], ac)?;
                b.cross_entropy(&logits, labels)?
            }
        };
        if mode.loss_multiplier != 1.0 {
            loss = b.scale(&loss, mode.loss_multiplier)?;
            dlogits = b.scale(&dlogits, mode.loss_multiplier)?;
        }
        if mode.inject_overflow {
            dlogits = b.scale(&dlogits, f32::INFINITY)?;
        }
        // (loss · scale).backward(): scale is a device scalar, so multiply by it with the
        // unscale kernel (g · s, exact for a power of two) and a throw-away flag.
        let scale_used = match scaler.as_deref() {
            Some(s) => {
                let mut unused = b.upload(&[0.0], &[1])?;
                b.amp_unscale(&mut [&mut dlogits], &s.scale, &mut unused)?;
                Some(b.copy(&s.scale)?)
            }
            None => None,
        };
        let mut dz = b.cast(&dlogits, d)?;
        let mut grads: Vec<Option<(B::Tensor, B::Tensor)>> = (0..=last).map(|_| None).collect();
        for l in (0..=last).rev() {
            // f16 GEMMs (f32 accumulation) and the bias gradient summed in f32, rounded to `d`.
            let mm = |p: &B::Tensor, q: &B::Tensor, tp, tq| mm_low(b, p, q, tp, tq);
            let rows = |t: &B::Tensor| b.cast(&b.sum_rows(&up(t)?)?, d);
            let g = linear_backward_with(&dz, &hs[l], &ws[l], l > 0, mm, rows)?;
            if let Some(dh) = g.dx {
                dz = b.cast(&b.relu_backward(&up(&dh)?, &up(&zs[l - 1])?)?, d)?;
            }
            grads[l] = Some((up(&g.dw)?, up(&g.db)?));
        }
        let mut grads: Vec<B::Tensor> = grads
            .into_iter()
            .flat_map(|g| {
                let (w, bb) = g.expect("every layer has grads");
                [w, bb]
            })
            .collect();
        let found_inf = match scaler.as_deref() {
            Some(s) => {
                let inv = b.amp_inv_scale(&s.scale)?;
                let mut flag = b.upload(&[0.0], &[1])?;
                let mut refs: Vec<&mut B::Tensor> = grads.iter_mut().collect();
                b.amp_unscale(&mut refs, &inv, &mut flag)?;
                Some(flag)
            }
            None => None,
        };
        let mut grad_sq = b.upload(&[0.0], &[1])?;
        for g in &grads {
            grad_sq = b.add(&grad_sq, &b.sum(&b.mul(g, g)?)?)?;
        }
        self.step += 1;
        if let Optimizer::Adam(c) = opt {
            // Dispatched steps bound the count, so a table of `self.step` entries suffices.
            if self.adam_dev.as_ref().is_none_or(|a| a.n < self.step as usize) {
                check_at_most("Adam step", self.step as u64, MAX_RUN_STEPS, "MAX_RUN_STEPS")?;
                let n = adam_table_len(self.step as usize);
                let count = match self.adam_dev.take() {
                    Some(a) => a.count,
                    None => b.upload(&[(self.step - 1) as f32], &[1])?,
                };
                self.adam_dev =
                    Some(AdamCounter { count, table: b.upload(&crate::rules::optim::adam_table(c, n), &[2 * n])?, n });
            }
        }
        for l in 0..=last {
            match (opt, self.adam_dev.as_ref()) {
                (Optimizer::Adam(c), Some(a)) => {
                    for (p, g) in [(&mut self.weights[l], &grads[2 * l]), (&mut self.biases[l], &grads[2 * l + 1])] {
                        b.adam_step_counted(
                            &mut p.value,
                            g,
                            &mut p.s1,
                            &mut p.s2,
                            c,
                            &a.table,
                            &a.count,
                            found_inf.as_ref(),
                        )?;
                    }
                }
                _ => {
                    self.weights[l].step_if(b, &grads[2 * l], opt, self.step, found_inf.as_ref())?;
                    self.biases[l].step_if(b, &grads[2 * l + 1], opt, self.step, found_inf.as_ref())?;
                }
            }
            if mode.pure {
                for p in [&mut self.weights[l], &mut self.biases[l]] {
                    p.value = up(&b.cast(&p.value, d)?)?;
                }
            }
        }
        if let (Optimizer::Adam(_), Some(a)) = (opt, self.adam_dev.as_mut()) {
            let one = b.upload(&[1.0], &[1])?;
            let inc = match &found_inf {
                Some(f) => b.add(&one, &b.scale(f, -1.0)?)?,
                None => one,
            };
            a.count = b.add(&a.count, &inc)?;
        }
        if let (Some(s), Some(flag)) = (scaler, found_inf.as_ref()) {
            b.amp_update_scale(&mut s.scale, &mut s.growth_tracker, flag, &s.cfg)?;
        }
        let activation_bytes = hs.iter().chain(&zs).map(bytes).sum();
        let masters: usize = self.weights.iter().chain(&self.biases).map(|p| bytes(&p.value)).sum();
        // The low-precision weight copies (32-true's are plain copies, not counted). The
        // biases' copies are transient (cast, upcast, added) and not counted either.
        let copies: usize = if d == DType::F32 { 0 } else { ws.iter().map(bytes).sum() };
        let weight_bytes = masters + copies;
        Ok(AmpStepOutput { loss, logits, grad_sq, scale_used, found_inf, grads, activation_bytes, weight_bytes, trace })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::cpu::CpuReference;
    use crate::backend::prelude::*;
    use crate::rules::optim::SgdConfig;

    #[test]
    fn the_trace_lists_a_linears_weight_and_bias_in_the_dtype_it_consumed() {
        let b = CpuReference;
        let x = b.upload(&[0.5, -1.0, 0.25, 2.0, -0.75, 1.5], &[3, 2]).unwrap();
        let y = b.upload_data(HostData::I32(vec![0, 1, 1]), &[3]).unwrap();
        let opt = Optimizer::Sgd(SgdConfig { lr: 0.1, ..Default::default() });
        for (d, name, pure) in [
            (DType::F16, "float16", false),
            (DType::BF16, "bfloat16", false),
            (DType::F16, "float16", true),
            (DType::F32, "float32", false),
        ] {
            let mut mlp = Mlp::new(&b, &[2, 4, 2], 7).unwrap();
            let mode = AmpMode { dtype: d, pure, loss_multiplier: 1.0, inject_overflow: false };
            let out = mlp.train_step_amp(&b, &x, &y, None, &opt, &mode, None).unwrap();
            let linears: Vec<_> = out.trace.entries.iter().filter(|e| e.op == Op::Linear).collect();
            assert_eq!(linears.len(), 2, "{name}: one entry per layer");
            for e in linears {
                // torch: F.linear(x.half(), w.half(), b.half()) under autocast; all f32 without it.
                assert_eq!(e.inputs, [name, name, name], "{name} {}: input, weight, bias", e.name);
                assert_eq!(e.output, name, "{name} {}", e.name);
            }
            let loss = out.trace.entries.last().unwrap();
            assert_eq!(
                (loss.op, loss.inputs.as_slice(), loss.output),
                (Op::CrossEntropy, [name].as_slice(), "float32")
            );
        }
    }
}
