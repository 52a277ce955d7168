//! A multi-layer perceptron (Linear → ReLU → … → Linear) trained with softmax cross-entropy,
//! generic over [`Backend`], in f32 (`32-true`). Every step stays on the backend: nothing is read
//! back unless the caller reads the loss. The layer math is torch's:
//! forward `z = h · Wᵀ + b` (`nn.functional.linear`), backward `dW = dzᵀ · h`, `db = Σ_rows dz`,
//! `dh = dz · W`, and `dz = dh · [z > 0]` through ReLU (`threshold_backward`).
//!
//! Not here: the autocast (16-mixed, bf16-mixed, *-true) step, which is `amp_step.rs`; Conv2d.

use crate::backend::{Backend, HasShape};
use crate::functional::{linear_backward, linear_forward, LinearGrads};
use crate::rules::error::{Error, Result};
use crate::rules::optim::{AdamConfig, SgdConfig};
use crate::rules::rng::Rng;

/// The optimizer and its hyper-parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Optimizer {
    /// `torch.optim.SGD`.
    Sgd(SgdConfig),
    /// `torch.optim.Adam`.
    Adam(AdamConfig),
}

pub(crate) struct Param<B: Backend> {
    pub(crate) value: B::Tensor,
    /// SGD's momentum buffer, or Adam's exp_avg.
    pub(crate) s1: B::Tensor,
    /// Adam's exp_avg_sq (unused by SGD).
    pub(crate) s2: B::Tensor,
}

impl<B: Backend> Param<B> {
    pub(crate) fn new(b: &B, data: &[f32], shape: &[usize]) -> Result<Param<B>> {
        let zeros = vec![0.0; data.len()];
        Ok(Param { value: b.upload(data, shape)?, s1: b.upload(&zeros, shape)?, s2: b.upload(&zeros, shape)? })
    }

    pub(crate) fn step(&mut self, b: &B, grad: &B::Tensor, opt: &Optimizer, step: u32) -> Result<()> {
        self.step_if(b, grad, opt, step, None)
    }

    /// The optimizer step, skipped on the device when `skip_if` (a `(1,)` flag) is non-zero.
    /// SGD's "first step" (buffer = gradient) is the general rule on a zero buffer when
    /// dampening is 0, so a skipped first step needs no device flag in that case.
    pub(crate) fn step_if(
        &mut self,
        b: &B,
        grad: &B::Tensor,
        opt: &Optimizer,
        step: u32,
        skip_if: Option<&B::Tensor>,
    ) -> Result<()> {
        match opt {
            Optimizer::Sgd(c) => b.sgd_step(&mut self.value, grad, &mut self.s1, c, step == 1, skip_if),
            Optimizer::Adam(c) => b.adam_step(&mut self.value, grad, &mut self.s1, &mut self.s2, c, step, skip_if),
        }
    }
}

/// What one training step leaves on the backend (nothing is read back).
pub struct StepOutput<B: Backend> {
    /// Mean cross-entropy, `(1,)`.
    pub loss: B::Tensor,
    /// The batch's logits `(batch, classes)`, from the forward pass before the update.
    pub logits: B::Tensor,
    /// Σ of every gradient element squared, `(1,)`: the squared global grad norm.
    pub grad_sq: B::Tensor,
}

/// An MLP on backend `B`: `sizes = [in, hidden…, classes]`.
pub struct Mlp<B: Backend> {
    pub(crate) sizes: Vec<usize>,
    pub(crate) weights: Vec<Param<B>>,
    pub(crate) biases: Vec<Param<B>>,
    pub(crate) step: u32,
    /// Adam's step count and bias-correction table on the device (autocast steps only).
    pub(crate) adam_dev: Option<super::amp_step::AdamCounter<B>>,
}

impl<B: Backend> Mlp<B> {
    /// Initialises like `nn.Linear` (`kaiming_uniform_(a=√5)` for W and the matching bias
    /// init, both U(−1/√in, 1/√in)) from `seed`.
    pub fn new(b: &B, sizes: &[usize], seed: u64) -> Result<Mlp<B>> {
        if sizes.len() < 2 || sizes.contains(&0) {
            return Err(Error::InvalidArgument {
                name: "layer sizes",
                value: format!("{sizes:?}"),
                valid: "[in, hidden…, classes], at least two sizes, all > 0".into(),
            });
        }
        let mut rng = Rng::new(seed);
        let (mut weights, mut biases) = (Vec::new(), Vec::new());
        for pair in sizes.windows(2) {
            let (fan_in, out) = (pair[0], pair[1]);
            let bound = 1.0 / (fan_in as f32).sqrt();
            weights.push(Param::new(b, &rng.uniform_vec(out * fan_in, -bound, bound), &[out, fan_in])?);
            biases.push(Param::new(b, &rng.uniform_vec(out, -bound, bound), &[out])?);
        }
        Ok(Mlp { sizes: sizes.to_vec(), weights, biases, step: 0, adam_dev: None })
    }

    /// An MLP with given parameters: `weights[l]` is layer l's `(out, in)` row-major weight and
    /// `biases[l]` its `(out,)` bias, as `nn.Linear.weight` / `.bias` in a state_dict.
    pub fn from_params(b: &B, sizes: &[usize], weights: &[Vec<f32>], biases: &[Vec<f32>]) -> Result<Mlp<B>> {
        if sizes.len() < 2 || weights.len() != sizes.len() - 1 || biases.len() != sizes.len() - 1 {
            return Err(Error::InvalidArgument {
                name: "layer parameters",
                value: format!("{} weights, {} biases for sizes {sizes:?}", weights.len(), biases.len()),
                valid: "one weight and one bias per layer".into(),
            });
        }
        let mut mlp = Mlp { sizes: sizes.to_vec(), weights: Vec::new(), biases: Vec::new(), step: 0, adam_dev: None };
        for (l, pair) in sizes.windows(2).enumerate() {
            mlp.weights.push(Param::new(b, &weights[l], &[pair[1], pair[0]])?);
            mlp.biases.push(Param::new(b, &biases[l], &[pair[1]])?);
        }
        Ok(mlp)
    }

    /// Layer sizes `[in, hidden…, classes]`.
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }

    /// Logits `(batch, classes)` for `x` `(batch, in)`, plus every pre-activation `z` and layer
    /// input `h` (kept for backward).
    #[allow(clippy::type_complexity)] // a tuple of tensors, named in the docs
    fn forward_all(&self, b: &B, x: &B::Tensor) -> Result<(Vec<B::Tensor>, Vec<B::Tensor>)> {
        let last = self.weights.len() - 1;
        let (mut zs, mut hs) = (Vec::new(), Vec::new());
        let mut h = b.copy(x)?; // so `hs` owns every layer input
        for (l, (w, bias)) in self.weights.iter().zip(&self.biases).enumerate() {
            let z = linear_forward(b, &h, &w.value, Some(&bias.value))?;
            let next = if l < last { b.relu(&z)? } else { b.copy(&z)? };
            hs.push(h);
            zs.push(z);
            h = next;
        }
        Ok((zs, hs))
    }

    /// Reads the parameters back: `weights[l]` `(out, in)` and `biases[l]` `(out,)` per layer, as
    /// `nn.Linear` stores them (the inverse of [`Mlp::from_params`]).
    pub async fn params(&self, b: &B) -> Result<(Vec<Vec<f32>>, Vec<Vec<f32>>)> {
        let (mut ws, mut bs) = (Vec::new(), Vec::new());
        for (w, bias) in self.weights.iter().zip(&self.biases) {
            ws.push(b.read(&w.value).await?);
            bs.push(b.read(&bias.value).await?);
        }
        Ok((ws, bs))
    }

    /// Logits `(batch, classes)`.
    pub fn forward(&self, b: &B, x: &B::Tensor) -> Result<B::Tensor> {
        Ok(self.forward_all(b, x)?.0.pop().expect("at least one layer"))
    }

    /// One training step on a batch: forward, mean cross-entropy against int32 `labels`,
    /// backward, optimizer. Returns the loss, logits and squared gradient norm on the backend.
    pub fn train_step(&mut self, b: &B, x: &B::Tensor, labels: &B::Tensor, opt: &Optimizer) -> Result<StepOutput<B>> {
        if x.shape().get(1) != Some(&self.sizes[0]) {
            return Err(Error::Shape {
                op: "Mlp::train_step",
                detail: format!(
                    "x must be (batch, {}), got {}",
                    self.sizes[0],
                    crate::rules::error::fmt_shape(x.shape())
                ),
            });
        }
        let (zs, hs) = self.forward_all(b, x)?;
        let (loss, mut dz) = b.cross_entropy(zs.last().expect("a layer"), labels)?;
        self.step += 1;
        let mut grad_sq = b.upload(&[0.0], &[1])?;
        for l in (0..self.weights.len()).rev() {
            let LinearGrads { dx, dw, db } = linear_backward(b, &dz, &hs[l], &self.weights[l].value, l > 0)?;
            for g in [&dw, &db] {
                grad_sq = b.add(&grad_sq, &b.sum(&b.mul(g, g)?)?)?;
            }
            let next = match dx {
                Some(dh) => Some(b.relu_backward(&dh, &zs[l - 1])?),
                None => None,
            };
            self.weights[l].step(b, &dw, opt, self.step)?;
            self.biases[l].step(b, &db, opt, self.step)?;
            if let Some(n) = next {
                dz = n;
            }
        }
        let logits = zs.into_iter().last().expect("a layer");
        Ok(StepOutput { loss, logits, grad_sq })
    }
}
