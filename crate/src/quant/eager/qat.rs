//! Quantization-aware training in eager mode, as torch 2.15's `fuse_modules_qat` →
//! `prepare_qat` → train → `convert` (torch/ao/quantization/quantize.py, fuse_modules.py,
//! torch/ao/nn/qat/modules/linear.py, torch/ao/nn/intrinsic/qat/modules/{linear_relu,
//! conv_fused}.py):
//!
//! - [`fuse_modules_qat`]: (Linear, ReLU) → LinearReLU; (Conv2d, BatchNorm2d[, ReLU]) →
//!   ConvBn2d / ConvBnReLU2d **keeping** the BatchNorm (trained, not folded); (Conv2d, ReLU) →
//!   ConvReLU2d; the other group members become Identity.
//! - [`prepare_qat`]: one qconfig for every module (torch's `model.qconfig = …` on the root),
//!   typically `get_default_qat_qconfig("x86")`; QuantStub gets an activation fake-quant, each
//!   Linear / Conv module a `weight_fake_quant` and an `activation_post_process` fake-quant.
//! - training steps: `qat_step.rs`.
//! - [`QatModel::convert`]: `from_float` of each QAT module: ConvBn folds its BatchNorm into the
//!   weights (`fuse_conv_bn_weights`), the module's `weight_fake_quant` observes the (folded)
//!   weight once more and its observer's `calculate_qparams` quantizes it; output qparams are
//!   the activation fake-quant observer's `calculate_qparams`.
//!
//! Not here: the fake-quant state machine (`quant::fake_quant`), layer math (`model::train`).
//! Unsupported: per-module qconfig overrides, unfused BatchNorm, Dropout with p > 0 in training.
//!
//! Length: one role, torch's QAT module swap (fuse_modules_qat, prepare_qat, convert) as one table of modules.

use super::convert::quantize_weight;
use crate::model::fuse::fold_conv_bn;
use crate::model::state::{StateDict, Tensor};
use crate::model::tree::{BatchNorm, Conv2d, Kind, Linear, Model, QuantizedConv2d, QuantizedLinear};
use crate::quant::fake_quant::FakeQuantize;
use crate::quant::qconfig::QConfig;
use crate::rules::error::{Error, Result};
use crate::rules::{QParams, QuantDType};

/// A module of the QAT model (torch's `nnqat` / `nniqat` classes and the pass-through ones).
#[derive(Debug, Clone, PartialEq)]
pub enum QatOp {
    QuantStub,
    DeQuantStub,
    Identity,
    ReLU,
    Flatten {
        start_dim: i64,
        end_dim: i64,
    },
    Dropout {
        p: f64,
    },
    /// `nnqat.Linear`, or `nniqat.LinearReLU` with `relu`.
    Linear {
        l: Linear,
        relu: bool,
    },
    /// `nnqat.Conv2d` / `nniqat.ConvReLU2d` without `bn`; `nniqat.ConvBn2d` /
    /// `ConvBnReLU2d` with it.
    Conv {
        c: Conv2d,
        bn: Option<BatchNorm>,
        relu: bool,
    },
}

impl QatOp {
    /// torch's class name, as `type(m).__name__` prints it after `prepare_qat`.
    pub fn type_name(&self) -> &'static str {
        match self {
            QatOp::QuantStub => "QuantStub",
            QatOp::DeQuantStub => "DeQuantStub",
            QatOp::Identity => "Identity",
            QatOp::ReLU => "ReLU",
            QatOp::Flatten { .. } => "Flatten",
            QatOp::Dropout { .. } => "Dropout",
            QatOp::Linear { relu: true, .. } => "LinearReLU",
            QatOp::Linear { .. } => "Linear",
            QatOp::Conv { bn: Some(_), relu: true, .. } => "ConvBnReLU2d",
            QatOp::Conv { bn: Some(_), .. } => "ConvBn2d",
            QatOp::Conv { relu: true, .. } => "ConvReLU2d",
            QatOp::Conv { .. } => "Conv2d",
        }
    }
}

/// One leaf of the QAT model with its fake-quant modules.
#[derive(Debug, Clone, PartialEq)]
pub struct QatLayer {
    /// Module path (`"fc1"`, `"features.0"`).
    pub path: String,
    pub op: QatOp,
    /// `<path>.weight_fake_quant` (Linear / Conv).
    pub weight_fq: Option<FakeQuantize>,
    /// `<path>.activation_post_process` (QuantStub, Linear / Conv).
    pub act_fq: Option<FakeQuantize>,
}

/// A model after `prepare_qat`: its leaves in forward order, and the float model it came from
/// (for `convert`'s tree).
#[derive(Debug, Clone)]
pub struct QatModel {
    pub layers: Vec<QatLayer>,
    pub base: Model,
    /// Training steps taken.
    pub steps: usize,
}

fn qat_err(path: &str, detail: String) -> Error {
    Error::Model { path: path.into(), detail }
}

/// `fuse_modules_qat(model, groups)` (model in training mode): the leaves as QAT ops, in forward
/// order, the fused module in each group's first slot and Identity in the others.
pub fn fuse_modules_qat(model: &Model, groups: &[Vec<String>]) -> Result<Vec<(String, QatOp)>> {
    let mut ops: Vec<(String, QatOp)> = Vec::new();
    for (path, m) in model.leaves() {
        let op = match &m.kind {
            Kind::QuantStub => QatOp::QuantStub,
            Kind::DeQuantStub => QatOp::DeQuantStub,
            Kind::Identity => QatOp::Identity,
            Kind::ReLU => QatOp::ReLU,
            &Kind::Flatten { start_dim, end_dim } => QatOp::Flatten { start_dim, end_dim },
            &Kind::Dropout { p } => QatOp::Dropout { p },
            Kind::Linear(l) => QatOp::Linear { l: l.clone(), relu: false },
            Kind::LinearReLU(l) => QatOp::Linear { l: l.clone(), relu: true },
            Kind::Conv2d(c) => QatOp::Conv { c: c.clone(), bn: None, relu: false },
            Kind::ConvReLU2d(c) => QatOp::Conv { c: c.clone(), bn: None, relu: true },
            Kind::BatchNorm(b) => QatOp::Conv {
                c: Conv2d {
                    in_channels: 0,
                    out_channels: b.num_features,
                    kernel_size: (0, 0),
                    stride: (1, 1),
                    padding: (0, 0),
                    weight: vec![],
                    bias: None,
                },
                bn: Some(b.clone()),
                relu: false,
            },
            k => {
                return Err(qat_err(
                    &path,
                    format!("{} cannot be trained with QAT; start from a float model", k.type_name()),
                ))
            }
        };
        ops.push((path, op));
    }
    let find = |ops: &[(String, QatOp)], p: &str| {
        ops.iter()
            .position(|(q, _)| q == p)
            .ok_or_else(|| qat_err(p, "fuse_modules_qat: no leaf module at this path".into()))
    };
    for g in groups {
        let idx: Vec<usize> = g.iter().map(|p| find(&ops, p)).collect::<Result<_>>()?;
        let kinds: Vec<&QatOp> = idx.iter().map(|&i| &ops[i].1).collect();
        let is_bn = |o: &QatOp| matches!(o, QatOp::Conv { c, bn: Some(_), .. } if c.kernel_size == (0, 0));
        let fused = match kinds.as_slice() {
            [QatOp::Linear { l, relu: false }, QatOp::ReLU] => QatOp::Linear { l: l.clone(), relu: true },
            [QatOp::Conv { c, bn: None, relu: false }, QatOp::ReLU] => QatOp::Conv { c: c.clone(), bn: None, relu: true },
            [QatOp::Conv { c, bn: None, relu: false }, b @ QatOp::Conv { bn: Some(bn), .. }] if is_bn(b) => QatOp::Conv { c: c.clone(), bn: Some(bn.clone()), relu: false },
            [QatOp::Conv { c, bn: None, relu: false }, b @ QatOp::Conv { bn: Some(bn), .. }, QatOp::ReLU] if is_bn(b) => QatOp::Conv { c: c.clone(), bn: Some(bn.clone()), relu: true },
            _ => return Err(qat_err(&g[0], format!("fuse_modules_qat: did not find fuser method for group {g:?}; fusable groups: (Linear, ReLU), (Conv2d, ReLU), (Conv2d, BatchNorm2d), (Conv2d, BatchNorm2d, ReLU)"))),
        };
        if let QatOp::Conv { c, bn: Some(bn), .. } = &fused {
            if bn.num_features != c.out_channels {
                return Err(qat_err(
                    &g[0],
                    format!(
                        "BatchNorm2d({}) does not match Conv2d's {} output channels",
                        bn.num_features, c.out_channels
                    ),
                ));
            }
        }
        ops[idx[0]].1 = fused;
        for &i in &idx[1..] {
            ops[i].1 = QatOp::Identity;
        }
    }
    Ok(ops)
}

/// `prepare_qat(model, inplace)` with `qconfig` on every module (a QAT qconfig: its observers
/// carry a fake-quant kind). `base` is the float model `ops` came from.
pub fn prepare_qat(base: &Model, ops: Vec<(String, QatOp)>, qconfig: &QConfig) -> Result<QatModel> {
    let mut layers = Vec::with_capacity(ops.len());
    for (path, op) in ops {
        let at = |e: Error| qat_err(&path, e.to_string());
        if let QatOp::Conv { c, .. } = &op {
            if c.kernel_size == (0, 0) {
                return Err(qat_err(&path, "an unfused BatchNorm2d is not supported in QAT; fuse it with the preceding Conv2d (fuse_modules_qat)".into()));
            }
        }
        let (weight_fq, act_fq) = match &op {
            QatOp::QuantStub => (None, Some(qconfig.activation.build_fake_quant().map_err(at)?)),
            QatOp::Linear { .. } | QatOp::Conv { .. } => (
                Some(qconfig.weight.build_fake_quant().map_err(at)?),
                Some(qconfig.activation.build_fake_quant().map_err(at)?),
            ),
            _ => (None, None),
        };
        layers.push(QatLayer { path, op, weight_fq, act_fq });
    }
    Ok(QatModel { layers, base: base.clone(), steps: 0 })
}

/// Per-tensor `(scale, zero_point)` of an activation fake-quant's observer (`calculate_qparams`).
fn act_qparams(path: &str, fq: &Option<FakeQuantize>) -> Result<(f32, i32)> {
    let fq = fq
        .as_ref()
        .ok_or_else(|| qat_err(path, "no activation fake-quant; was the model prepared with prepare_qat?".into()))?;
    match fq.calculate_qparams().map_err(|e| qat_err(path, e.to_string()))? {
        QParams::PerTensor { scale, zero_point, .. } => Ok((scale, zero_point)),
        QParams::PerChannel { .. } => Err(qat_err(path, "activation fake-quant must be per tensor".into())),
    }
}

/// `weight_post_process(mod.weight)` then `_quantize_weight`: the fake-quant observes `w` once
/// more (a copy: `self` stays as it was), its observer's qparams quantize it.
fn weight_codes(path: &str, fq: &Option<FakeQuantize>, w: &[f32], shape: &[usize]) -> Result<(Vec<i8>, QParams)> {
    let mut fq = fq.clone().ok_or_else(|| qat_err(path, "no weight_fake_quant".into()))?;
    fq.forward(w, shape).map_err(|e| qat_err(path, format!("weight: {e}")))?;
    let q = fq.calculate_qparams().map_err(|e| qat_err(path, format!("weight: {e}")))?;
    Ok((quantize_weight(w, &q), q))
}

impl QatModel {
    /// Every fake-quant module as torch names it (`fc1.weight_fake_quant`,
    /// `fc1.activation_post_process`), in `named_modules()` order.
    pub fn fake_quants(&self) -> Vec<(String, &FakeQuantize)> {
        let mut out = Vec::new();
        for l in &self.layers {
            if let Some(w) = &l.weight_fq {
                out.push((format!("{}.weight_fake_quant", l.path), w));
            }
            if let Some(a) = &l.act_fq {
                out.push((format!("{}.activation_post_process", l.path), a));
            }
        }
        out
    }

    /// The float parameters and BatchNorm statistics, keyed as the torch QAT model's
    /// `state_dict()` (`fc1.weight`, `features.0.bn.running_mean`).
    pub fn state_dict(&self) -> StateDict {
        let mut sd = StateDict::default();
        let mut put = |k: String, shape: &[usize], v: &[f32]| sd.insert(k, Tensor::f32(shape, v.to_vec()));
        for l in &self.layers {
            let p = &l.path;
            match &l.op {
                QatOp::Linear { l: lin, .. } => {
                    put(format!("{p}.weight"), &[lin.out_features, lin.in_features], &lin.weight);
                    if let Some(b) = &lin.bias {
                        put(format!("{p}.bias"), &[lin.out_features], b);
                    }
                }
                QatOp::Conv { c, bn, .. } => {
                    put(format!("{p}.weight"), &c.weight_shape(), &c.weight);
                    if let Some(b) = &c.bias {
                        put(format!("{p}.bias"), &[c.out_channels], b);
                    }
                    if let Some(bn) = bn {
                        let n = [bn.num_features];
                        if let (Some(w), Some(b)) = (&bn.weight, &bn.bias) {
                            put(format!("{p}.bn.weight"), &n, w);
                            put(format!("{p}.bn.bias"), &n, b);
                        }
                        put(format!("{p}.bn.running_mean"), &n, &bn.running_mean);
                        put(format!("{p}.bn.running_var"), &n, &bn.running_var);
                    }
                }
                _ => {}
            }
        }
        sd
    }

    /// `convert(model.eval(), inplace=False)`: the quantized module tree; `self` is unchanged.
    pub fn convert(&self) -> Result<Model> {
        let mut m = self.base.clone();
        for l in &self.layers {
            let p = &l.path;
            let kind = match &l.op {
                QatOp::QuantStub => {
                    let (scale, zero_point) = act_qparams(p, &l.act_fq)?;
                    Kind::Quantize(QParams::PerTensor { scale, zero_point, dtype: QuantDType::QUInt8 })
                }
                QatOp::DeQuantStub => Kind::DeQuantize,
                QatOp::Identity => Kind::Identity,
                QatOp::ReLU => Kind::ReLU,
                &QatOp::Flatten { start_dim, end_dim } => Kind::Flatten { start_dim, end_dim },
                &QatOp::Dropout { p } => Kind::Dropout { p },
                QatOp::Linear { l: lin, relu } => {
                    let (codes, wq) = weight_codes(p, &l.weight_fq, &lin.weight, &[lin.out_features, lin.in_features])?;
                    let (scale, zero_point) = act_qparams(p, &l.act_fq)?;
                    Kind::QuantizedLinear(QuantizedLinear {
                        in_features: lin.in_features,
                        out_features: lin.out_features,
                        weight_codes: codes,
                        weight_qparams: wq,
                        bias: lin.bias.clone(),
                        scale,
                        zero_point,
                        relu: *relu,
                    })
                }
                QatOp::Conv { c, bn, relu } => {
                    let c = match bn {
                        Some(bn) => fold_conv_bn(c, bn, p)?,
                        None => c.clone(),
                    };
                    let (codes, wq) = weight_codes(p, &l.weight_fq, &c.weight, &c.weight_shape())?;
                    let (scale, zero_point) = act_qparams(p, &l.act_fq)?;
                    Kind::QuantizedConv2d(QuantizedConv2d {
                        in_channels: c.in_channels,
                        out_channels: c.out_channels,
                        kernel_size: c.kernel_size,
                        stride: c.stride,
                        padding: c.padding,
                        weight_codes: codes,
                        weight_qparams: wq,
                        bias: c.bias.clone(),
                        scale,
                        zero_point,
                        relu: *relu,
                    })
                }
            };
            m.get_mut(p).ok_or_else(|| qat_err(p, "not in the base model".into()))?.kind = kind;
        }
        Ok(m)
    }
}
