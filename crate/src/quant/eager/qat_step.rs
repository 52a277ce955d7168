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

use super::qat::{QatModel, QatOp};
use crate::backend::{Backend, Conv2dGeom, HasShape, HostData};
use crate::functional::{conv_backward, conv_forward, linear_backward, linear_forward};
use crate::model::train::{bn_train_backward, bn_train_forward, update_running};
use crate::quant::fake_quant::FakeQuantize;
use crate::rules::error::{fmt_shape, Error, Result};
use crate::rules::optim::{sgd_update, SgdConfig};

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
            let path = layer.path.clone();
            let op = layer.op.clone();
            let cache = match &op {
                QatOp::QuantStub => {
                    let fq = layer.act_fq.as_mut().expect("prepared");
                    act = fake_quant(b, &path, fq, &act).await?.0;
                    Cache::None
                }
                QatOp::DeQuantStub | QatOp::Identity => Cache::None,
                QatOp::Dropout { p } if *p == 0.0 => Cache::None,
                QatOp::Dropout { p } => {
                    return Err(step_err(
                        &path,
                        format!("Dropout(p={p}) in training draws torch's RNG masks; QAT here supports p = 0 only"),
                    ))
                }
                QatOp::ReLU => {
                    act = b.relu(&act)?;
                    Cache::Relu(b.reshape(&act, act.shape())?)
                }
                &QatOp::Flatten { start_dim, end_dim } => {
                    let s = act.shape().to_vec();
                    let r = s.len() as i64;
                    let norm = |d: i64| if d < 0 { d + r } else { d };
                    let (a, e) = (norm(start_dim) as usize, norm(end_dim) as usize);
                    let mut out = s[..a].to_vec();
                    out.push(s[a..=e].iter().product());
                    out.extend_from_slice(&s[e + 1..]);
                    act = b.reshape(&act, &out)?;
                    Cache::Flatten(s)
                }
                QatOp::Linear { l, relu } => {
                    if act.shape().len() != 2 || act.shape()[1] != l.in_features {
                        return Err(step_err(
                            &path,
                            format!("Linear expects input (batch, {}), got {}", l.in_features, fmt_shape(act.shape())),
                        ));
                    }
                    let w = b.upload(&l.weight, &[l.out_features, l.in_features])?;
                    let (wq, wmask) = fake_quant(b, &path, layer.weight_fq.as_mut().expect("prepared"), &w).await?;
                    let bias = l.bias.as_ref().map(|v| b.upload(v, &[l.out_features])).transpose()?;
                    let mut y = linear_forward(b, &act, &wq, bias.as_ref())?;
                    let mut relu_out = None;
                    if *relu {
                        y = b.relu(&y)?;
                        relu_out = Some(b.reshape(&y, y.shape())?);
                    }
                    let (out, act_mask) = fake_quant(b, &path, layer.act_fq.as_mut().expect("prepared"), &y).await?;
                    let x_in = std::mem::replace(&mut act, out);
                    Cache::Linear { x: x_in, wq, wmask, act_mask, relu_out }
                }
                QatOp::Conv { c, bn, relu } => {
                    let s = act.shape().to_vec();
                    if s.len() != 4 || s[1] != c.in_channels {
                        return Err(step_err(
                            &path,
                            format!("Conv2d expects input (n, {}, h, w), got {}", c.in_channels, fmt_shape(&s)),
                        ));
                    }
                    let geom = Conv2dGeom {
                        n: s[0],
                        c: s[1],
                        h: s[2],
                        w: s[3],
                        kh: c.kernel_size.0,
                        kw: c.kernel_size.1,
                        stride: c.stride,
                        padding: c.padding,
                    };
                    let (oh, ow) = geom.out_hw()?;
                    let (oc, per) = (c.out_channels, c.weight.len() / c.out_channels.max(1));
                    let (running_std, sf): (Vec<f32>, Vec<f32>) = match bn {
                        Some(bn) => (0..oc)
                            .map(|k| {
                                let rs = (bn.running_var[k] + bn.eps as f32).sqrt();
                                (rs, bn.weight.as_ref().map_or(1.0, |g| g[k]) / rs)
                            })
                            .unzip(),
                        None => (vec![1.0; oc], vec![1.0; oc]),
                    };
                    let w_scaled: Vec<f32> = c
                        .weight
                        .iter()
                        .enumerate()
                        .map(|(i, &v)| if bn.is_some() { v * sf[i / per] } else { v })
                        .collect();
                    let w = b.upload(&w_scaled, &[oc, per])?;
                    let (wq, wmask_t) = fake_quant(
                        b,
                        &path,
                        layer.weight_fq.as_mut().expect("prepared"),
                        &b.reshape(&w, &c.weight_shape())?,
                    )
                    .await?;
                    let wq = b.reshape(&wq, &[oc, per])?;
                    let wmask = host(b, &wmask_t).await?;
                    let (conv, cols) = conv_forward(b, &act, &wq, None, &geom)?;
                    let hw = oh * ow;
                    let (mut y, bn_cache) = match bn {
                        Some(bnp) => {
                            let conv_h = host(b, &conv).await?;
                            let z: Vec<f32> = conv_h
                                .iter()
                                .enumerate()
                                .map(|(i, &v)| {
                                    let k = (i / hw) % oc;
                                    v / sf[k] + c.bias.as_ref().map_or(0.0, |bb| bb[k])
                                })
                                .collect();
                            let gamma = bnp.weight.clone().unwrap_or(vec![1.0; oc]);
                            let beta = bnp.bias.clone().unwrap_or(vec![0.0; oc]);
                            let (y, cache, unbiased) = bn_train_forward(&z, geom.n, oc, hw, &gamma, &beta, bnp.eps);
                            let layer_bn = match &mut layer.op {
                                QatOp::Conv { bn: Some(b), .. } => b,
                                _ => unreachable!(),
                            };
                            update_running(&mut layer_bn.running_mean, &cache.mean, layer_bn.momentum);
                            update_running(&mut layer_bn.running_var, &unbiased, layer_bn.momentum);
                            (
                                b.upload(&y, &[geom.n, oc, oh, ow])?,
                                Some(ConvBnCache {
                                    conv: conv_h,
                                    sf,
                                    running_std,
                                    w_orig: c.weight.clone(),
                                    bn: cache,
                                    hw,
                                }),
                            )
                        }
                        None => {
                            let y = match &c.bias {
                                Some(bb) => {
                                    let rows = b.nchw_to_rows(&conv)?;
                                    b.rows_to_nchw(&b.bias_add(&rows, &b.upload(bb, &[oc])?)?, geom.n, oh, ow)?
                                }
                                None => conv,
                            };
                            (y, None)
                        }
                    };
                    let mut relu_out = None;
                    if *relu {
                        y = b.relu(&y)?;
                        relu_out = Some(b.reshape(&y, y.shape())?);
                    }
                    let (out, act_mask) = fake_quant(b, &path, layer.act_fq.as_mut().expect("prepared"), &y).await?;
                    act = out;
                    Cache::Conv { cols, geom, wq, wmask, act_mask, relu_out, bn: bn_cache }
                }
            };
            caches.push(cache);
        }
        let labels_t = b.upload_data(HostData::I32(labels.to_vec()), &[labels.len()])?;
        let (loss, mut g) = b.cross_entropy(&act, &labels_t)?;
        let loss = host(b, &loss).await?[0];
        let first_weighted = self.layers.iter().position(|l| matches!(l.op, QatOp::Linear { .. } | QatOp::Conv { .. }));
        for (i, (layer, cache)) in self.layers.iter_mut().zip(caches).enumerate().rev() {
            let want_dx = first_weighted.is_some_and(|f| i > f);
            match cache {
                Cache::None => {}
                Cache::Relu(y) => g = b.relu_backward(&g, &y)?,
                Cache::Flatten(s) => g = b.reshape(&g, &s)?,
                Cache::Linear { x, wq, wmask, act_mask, relu_out } => {
                    g = b.mul(&g, &act_mask)?;
                    if let Some(y) = &relu_out {
                        g = b.relu_backward(&g, y)?;
                    }
                    let crate::functional::LinearGrads { dx, dw: dwq, db } = linear_backward(b, &g, &x, &wq, want_dx)?;
                    let dw = host(b, &b.mul(&dwq, &wmask)?).await?;
                    let db = host(b, &db).await?;
                    let QatOp::Linear { l, .. } = &mut layer.op else { unreachable!() };
                    sgd(&mut l.weight, &dw, cfg);
                    if let Some(bias) = &mut l.bias {
                        sgd(bias, &db, cfg);
                    }
                    if let Some(dx) = dx {
                        g = dx;
                    }
                }
                Cache::Conv { cols, geom, wq, wmask, act_mask, relu_out, bn } => {
                    g = b.mul(&g, &act_mask)?;
                    if let Some(y) = &relu_out {
                        g = b.relu_backward(&g, y)?;
                    }
                    let QatOp::Conv { c, bn: bnp, .. } = &mut layer.op else { unreachable!() };
                    let oc = c.out_channels;
                    let per = c.weight.len() / oc.max(1);
                    let (gconv, dbias, bn_grads, dsf_div) = match &bn {
                        Some(bc) => {
                            let gy = host(b, &g).await?;
                            let p = bnp.as_ref().expect("bn cache implies bn");
                            let gamma = p.weight.clone().unwrap_or(vec![1.0; oc]);
                            let (dz, dgamma, dbeta) = bn_train_backward(&gy, &bc.bn, geom.n, oc, bc.hw, &gamma);
                            let (mut dbias, mut dsf) = (vec![0f64; oc], vec![0f64; oc]);
                            let mut dconv = vec![0f32; dz.len()];
                            for (i, &d) in dz.iter().enumerate() {
                                let k = (i / bc.hw) % oc;
                                dbias[k] += d as f64;
                                dconv[i] = d / bc.sf[k];
                                dsf[k] -= d as f64 * bc.conv[i] as f64 / (bc.sf[k] as f64 * bc.sf[k] as f64);
                            }
                            (
                                b.upload(&dconv, g.shape())?,
                                Some(dbias.iter().map(|&v| v as f32).collect::<Vec<_>>()),
                                Some((dgamma, dbeta)),
                                Some(dsf),
                            )
                        }
                        None => (b.reshape(&g, g.shape())?, None, None, None),
                    };
                    let (dx, dwq) = conv_backward(b, &gconv, &cols, &wq, &geom, want_dx)?;
                    let dwq = host(b, &dwq).await?;
                    let d_scaled: Vec<f32> = dwq.iter().zip(&wmask).map(|(g, m)| g * m).collect();
                    match (&bn, bnp.as_mut()) {
                        (Some(bc), Some(p)) => {
                            let mut dsf = dsf_div.expect("with bn");
                            let dw: Vec<f32> = d_scaled
                                .iter()
                                .enumerate()
                                .map(|(i, &d)| {
                                    let k = i / per;
                                    dsf[k] += d as f64 * bc.w_orig[i] as f64;
                                    d * bc.sf[k]
                                })
                                .collect();
                            let (dgamma, dbeta) = bn_grads.expect("with bn");
                            let dgamma: Vec<f32> = (0..oc)
                                .map(|k| (dgamma[k] as f64 + dsf[k] / bc.running_std[k] as f64) as f32)
                                .collect();
                            sgd(&mut c.weight, &dw, cfg);
                            if let (Some(bias), Some(db)) = (&mut c.bias, &dbias) {
                                sgd(bias, db, cfg);
                            }
                            if let (Some(gm), Some(bt)) = (&mut p.weight, &mut p.bias) {
                                sgd(gm, &dgamma, cfg);
                                sgd(bt, &dbeta, cfg);
                            }
                        }
                        _ => {
                            if let Some(bias) = &mut c.bias {
                                let rows = b.nchw_to_rows(&gconv)?;
                                let db = host(b, &b.sum_rows(&rows)?).await?;
                                sgd(bias, &db, cfg);
                            }
                            sgd(&mut c.weight, &d_scaled, cfg);
                        }
                    }
                    if let Some(dx) = dx {
                        g = dx;
                    }
                }
            }
        }
        self.steps += 1;
        Ok(loss)
    }
}
