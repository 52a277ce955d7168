//! One QAT training step on any [`Backend`]: forward in training mode with fake-quantized
//! weights and activations, mean cross-entropy, backward with the straight-through estimator,
//! SGD on the host-side parameters. torch's modules, per `QatOp`:
//!
//! - fake-quant (`FusedMovingAvgObsFakeQuantize.forward`): the host observes the tensor and
//!   picks qparams (`quant::fake_quant`), the backend fake-quantizes; gradient `grad · mask`.
//! - Linear / LinearReLU (nnqat/linear.py, nniqat/linear_relu.py):
//!   `relu?(x · fq(W)ᵀ + b)` `(batch, in) → (batch, out)`, then the output fake-quant.
//! - ConvBn2d / ConvBnReLU2d (nniqat/conv_fused.py `_forward_approximate`), per channel c:
//!   `sf = γ / sqrt(running_var + eps)`, `conv = conv2d(x, fq(W·sf), 0)`,
//!   `z = conv / sf + bias`, `y = relu?(BatchNorm_train(z))`; gradients reach γ through sf too.
//! - ReLU, Flatten, Dropout(p = 0), Identity, stubs: as float.
//!
//! The GEMMs, gathers and element-wise ops run on the backend; observers, BatchNorm statistics
//! and the SGD update (`nn::optim::sgd_update`) on the host, so each step reads tensors back.
//! Not here: building the QAT model and convert (`qat.rs`), layer formulas (`model::train`).

use super::qat::{QatLayer, QatModel, QatOp};
use crate::backend::{Backend, Conv2dGeom, HasShape, HostData};
use crate::functional::{conv_backward, conv_forward, linear_backward, linear_forward};
use crate::model::train::{bn_train_backward, bn_train_forward, update_running};
use crate::quant::fake_quant::FakeQuantize;
use crate::rules::error::{fmt_shape, Error, Result};
use crate::rules::optim::{sgd_update, SgdConfig};

#[path = "qat_backward.rs"]
mod backward;
#[path = "qat_forward.rs"]
mod forward;
use backward::backward_layer;
use forward::forward_layer;

/// One leaf's saved forward state; short-lived (one per leaf per step), so the size spread
/// between variants costs nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
enum Cache<T> {
    None,
    Relu(T),
    Flatten(Vec<usize>),
    Linear {
        x: T,
        wq: T,
        wmask: T,
        act_mask: T,
        relu_out: Option<T>,
    },
    Conv {
        cols: T,
        geom: Conv2dGeom,
        wq: T,
        wmask: Vec<f32>,
        act_mask: T,
        relu_out: Option<T>,
        bn: Option<ConvBnCache>,
    },
}

struct ConvBnCache {
    conv: Vec<f32>,
    sf: Vec<f32>,
    running_std: Vec<f32>,
    w_orig: Vec<f32>,
    bn: crate::model::train::BnCache,
    hw: usize,
}

fn step_err(path: &str, detail: String) -> Error {
    Error::Model { path: path.into(), detail }
}

async fn host<B: Backend>(b: &B, t: &B::Tensor) -> Result<Vec<f32>> {
    b.read(t).await
}

/// Observes `t` with `fq` and fake-quantizes it: `(y, mask)`; with fake quant disabled the
/// tensor passes unchanged with mask 1.
async fn fake_quant<B: Backend>(
    b: &B,
    path: &str,
    fq: &mut FakeQuantize,
    t: &B::Tensor,
) -> Result<(B::Tensor, B::Tensor)> {
    let v = host(b, t).await?;
    let step = fq.forward(&v, t.shape()).map_err(|e| step_err(path, e.to_string()))?;
    match step.qparams {
        Some(q) => b.fake_quantize(t, &q, fq.quant_min, fq.quant_max),
        None => Ok((b.upload(&v, t.shape())?, b.upload(&vec![1.0; v.len()], t.shape())?)),
    }
}

fn sgd(p: &mut [f32], g: &[f32], cfg: &SgdConfig) {
    let s = cfg.scalars();
    for (p, &g) in p.iter_mut().zip(g) {
        *p = sgd_update(*p, g, 0.0, cfg, &s, true).0;
    }
}

impl QatModel {
    /// One training step on a batch x `(batch, …)` with int class labels `(batch,)`: forward,
    /// mean cross-entropy, backward, `torch.optim.SGD` (momentum 0 only). Returns the loss.
    /// Fake-quant modules observe and update their qparams during the forward, as torch's do.
    pub async fn train_step<B: Backend>(
        &mut self,
        b: &B,
        x: &[f32],
        shape: &[usize],
        labels: &[i32],
        cfg: &SgdConfig,
    ) -> Result<f32> {
        if cfg.momentum != 0.0 || cfg.weight_decay != 0.0 {
            return Err(Error::InvalidArgument {
                name: "SgdConfig",
                value: format!("momentum {} weight_decay {}", cfg.momentum, cfg.weight_decay),
                valid: "momentum 0 and weight_decay 0 for QAT training".into(),
            });
        }
        let mut act = b.upload(x, shape)?;
        let mut caches: Vec<Cache<B::Tensor>> = Vec::with_capacity(self.layers.len());
        for layer in &mut self.layers {
            let (out, cache) = forward_layer(b, layer, act).await?;
            act = out;
            caches.push(cache);
        }
        let labels_t = b.upload_data(HostData::I32(labels.to_vec()), &[labels.len()])?;
        let (loss, mut g) = b.cross_entropy(&act, &labels_t)?;
        let loss = host(b, &loss).await?[0];
        let first_weighted = self.layers.iter().position(|l| matches!(l.op, QatOp::Linear { .. } | QatOp::Conv { .. }));
        for (i, (layer, cache)) in self.layers.iter_mut().zip(caches).enumerate().rev() {
            let want_dx = first_weighted.is_some_and(|f| i > f);
            g = backward_layer(b, layer, cache, g, want_dx, cfg).await?;
        }
        self.steps += 1;
        Ok(loss)
    }
}
