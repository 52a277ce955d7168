//! Running the module tree on any [`Backend`]: one leaf at a time, in forward order, on float
//! or quantized activations. Every op only enqueues work; nothing is read back here.
//!
//! Layer math, as torch's eval-mode modules compute it:
//! - Linear `(batch, in) → (batch, out)`: `x · Wᵀ + b` (`F.linear`).
//! - Conv2d `(n, c, h, w) → (n, out, oh, ow)`: im2col `(n·oh·ow, c·kh·kw)` · `W.reshape(out, c·kh·kw)ᵀ` + b.
//! - BatchNorm eval: `x · alpha[c] + beta[c]` with torch's alpha/beta (`nn::batchnorm`).
//! - Quantized Linear/Conv: `quantized_linear` on quint8 codes (quantized conv pads with the
//!   input zero point, as fbgemm does), output quint8 with the module's `scale`/`zero_point`.
//! - ReLU on a quantized tensor is `max(code, zero_point)`, keeping the qparams (`torch.relu`).
//! - MaxPool2d takes the max of floats, or of quint8 codes keeping the qparams
//!   (`quantized::max_pool2d`).
//! - Quantized BatchNorm2d: a per-channel code table (`quant::qbatchnorm`, torch's kernel).
//!
//! Not here: observers (the calibration loop in `quant::eager` reads leaf outputs back).

use super::tree::{Kind, Model, Module};
use crate::backend::{Backend, Conv2dGeom, HasShape, HostData};
use crate::rules::error::{fmt_shape, Error, Result};
use crate::rules::{QLinearSpec, QParams, QuantDType};
use std::collections::HashMap;

/// An activation between modules: float, or quint8 codes with per-tensor qparams.
#[derive(Debug)]
pub enum Act<T> {
    /// A float32 tensor.
    Float(T),
    /// quint8 codes and their qparams (a `torch.quint8` tensor).
    Quant(T, QParams),
}

impl<T: HasShape> Act<T> {
    /// The tensor's shape.
    pub fn shape(&self) -> &[usize] {
        match self {
            Act::Float(t) | Act::Quant(t, _) => t.shape(),
        }
    }
}

fn model_err(path: &str, detail: String) -> Error {
    Error::Model { path: path.to_string(), detail }
}

fn float_in<T: HasShape>(path: &str, kind: &Kind, x: Act<T>) -> Result<T> {
    match x {
        Act::Float(t) => Ok(t),
        Act::Quant(..) => Err(model_err(path, format!("{} is a float module but got a quantized (quint8) tensor; put a DeQuantStub before it, or give it a qconfig so convert swaps it", kind.type_name()))),
    }
}

fn quant_in<T: HasShape>(path: &str, kind: &Kind, x: Act<T>) -> Result<(T, QParams)> {
    match x {
        Act::Quant(t, q) => Ok((t, q)),
        Act::Float(_) => Err(model_err(
            path,
            format!(
                "{} expects a quantized (quint8) input but got float32; is the QuantStub missing before it?",
                kind.type_name()
            ),
        )),
    }
}

fn per_tensor(q: &QParams) -> (f32, i32) {
    match q {
        QParams::PerTensor { scale, zero_point, .. } => (*scale, *zero_point),
        QParams::PerChannel { .. } => unreachable!("activations are per tensor"),
    }
}

fn expect_rank<T: HasShape>(path: &str, what: &str, t: &T, rank: usize, detail: &str) -> Result<()> {
    if t.shape().len() != rank {
        return Err(model_err(path, format!("{what} expects input {detail}, got {}", fmt_shape(t.shape()))));
    }
    Ok(())
}

/// A module's parameters on the backend: weight (2-D, as the GEMM takes it) and bias.
type Uploaded<T> = (T, Option<T>);

/// Float Linear and Conv2d parameters uploaded once, by module path, for loops that run one model
/// on many batches (calibration): [`run_leaf_with`] uses them instead of uploading per call.
pub struct Params<B: Backend> {
    by_path: HashMap<String, Uploaded<B::Tensor>>,
}

impl<B: Backend> Params<B> {
    /// Uploads every float Linear / Conv2d (fused or not) weight and bias of `model`.
    pub fn upload(b: &B, model: &Model) -> Result<Params<B>> {
        let mut by_path = HashMap::new();
        for (path, m) in model.leaves() {
            let (w, shape, bias) = match &m.kind {
                Kind::Linear(l) | Kind::LinearReLU(l) => (&l.weight, [l.out_features, l.in_features], &l.bias),
                Kind::Conv2d(c) | Kind::ConvReLU2d(c) => {
                    (&c.weight, [c.out_channels, c.in_channels * c.kernel_size.0 * c.kernel_size.1], &c.bias)
                }
                _ => continue,
            };
            let bias = bias.as_ref().map(|v| b.upload(v, &[shape[0]])).transpose()?;
            by_path.insert(path, (b.upload(w, &shape)?, bias));
        }
        Ok(Params { by_path })
    }
}

/// The cached parameters, or a fresh upload of `w` `shape` and `bias`, as references.
fn params<'a, B: Backend>(
    b: &B,
    cached: Option<&'a Uploaded<B::Tensor>>,
    owned: &'a mut Option<Uploaded<B::Tensor>>,
    w: &[f32],
    shape: [usize; 2],
    bias: &Option<Vec<f32>>,
) -> Result<(&'a B::Tensor, Option<&'a B::Tensor>)> {
    let p = match cached {
        Some(p) => p,
        None => {
            let bias = bias.as_ref().map(|v| b.upload(v, &[shape[0]])).transpose()?;
            &*owned.insert((b.upload(w, &shape)?, bias))
        }
    };
    Ok((&p.0, p.1.as_ref()))
}

fn linear<B: Backend>(
    b: &B,
    path: &str,
    x: &B::Tensor,
    l: &super::tree::Linear,
    relu: bool,
    cached: Option<&Uploaded<B::Tensor>>,
) -> Result<B::Tensor> {
    if x.shape().len() != 2 || x.shape()[1] != l.in_features {
        return Err(model_err(
            path,
            format!("Linear expects input (batch, {}), got {}", l.in_features, fmt_shape(x.shape())),
        ));
    }
    let mut owned = None;
    let (w, bias) = params(b, cached, &mut owned, &l.weight, [l.out_features, l.in_features], &l.bias)?;
    b.linear(x, w, bias, relu)
}

fn geom(
    path: &str,
    x: &[usize],
    c_in: usize,
    k: (usize, usize),
    stride: (usize, usize),
    padding: (usize, usize),
) -> Result<Conv2dGeom> {
    if x.len() != 4 || x[1] != c_in {
        return Err(model_err(path, format!("Conv2d expects input (n, {c_in}, h, w), got {}", fmt_shape(x))));
    }
    Ok(Conv2dGeom { n: x[0], c: x[1], h: x[2], w: x[3], kh: k.0, kw: k.1, stride, padding })
}

fn conv2d<B: Backend>(
    b: &B,
    path: &str,
    x: &B::Tensor,
    c: &super::tree::Conv2d,
    cached: Option<&Uploaded<B::Tensor>>,
) -> Result<B::Tensor> {
    let g = geom(path, x.shape(), c.in_channels, c.kernel_size, c.stride, c.padding)?;
    let shape = [c.out_channels, c.in_channels * c.kernel_size.0 * c.kernel_size.1];
    let mut owned = None;
    let (w, bias) = params(b, cached, &mut owned, &c.weight, shape, &c.bias)?;
    Ok(crate::functional::conv_forward(b, x, w, bias, &g)?.0)
}

fn flatten_shape(path: &str, shape: &[usize], start: i64, end: i64) -> Result<Vec<usize>> {
    let r = shape.len() as i64;
    let norm = |d: i64| if d < 0 { d + r } else { d };
    let (s, e) = (norm(start), norm(end));
    if r == 0 || s < 0 || e >= r || s > e {
        return Err(model_err(
            path,
            format!("Flatten(start_dim={start}, end_dim={end}) does not fit input {}", fmt_shape(shape)),
        ));
    }
    let (s, e) = (s as usize, e as usize);
    let mut out = shape[..s].to_vec();
    out.push(shape[s..=e].iter().product());
    out.extend_from_slice(&shape[e + 1..]);
    Ok(out)
}

fn qspec(q_in: &QParams, w: &QParams, bias: &Option<Vec<f32>>, scale: f32, zero_point: i32, relu: bool) -> QLinearSpec {
    let (x_scale, x_zero_point) = per_tensor(q_in);
    QLinearSpec {
        x_scale,
        x_zero_point,
        w: w.clone(),
        bias: bias.clone(),
        out_scale: scale,
        out_zero_point: zero_point,
        relu,
    }
}

fn out_q(scale: f32, zero_point: i32) -> QParams {
    QParams::PerTensor { scale, zero_point, dtype: QuantDType::QUInt8 }
}

/// Runs one module (not a Sequential) on `x`; `path` names it in errors.
pub fn run_leaf<B: Backend>(b: &B, path: &str, m: &Module, x: Act<B::Tensor>) -> Result<Act<B::Tensor>> {
    run_leaf_with(b, path, m, x, None)
}

/// [`run_leaf`] with float parameters taken from `params` when given (uploaded once for many
/// batches) instead of uploaded for this call.
pub fn run_leaf_with<B: Backend>(
    b: &B,
    path: &str,
    m: &Module,
    x: Act<B::Tensor>,
    params: Option<&Params<B>>,
) -> Result<Act<B::Tensor>> {
    let cached = params.and_then(|p| p.by_path.get(path));
    let k = &m.kind;
    Ok(match k {
        Kind::Sequential => return Err(model_err(path, "a Sequential is run through its children".into())),
        Kind::Identity | Kind::Dropout { .. } | Kind::QuantStub | Kind::DeQuantStub => x,
        Kind::ReLU => match x {
            Act::Float(t) => Act::Float(b.relu(&t)?),
            Act::Quant(t, q) => Act::Quant(b.quantized_relu(&t, per_tensor(&q).1)?, q),
        },
        Kind::Flatten { start_dim, end_dim } => {
            let shape = flatten_shape(path, x.shape(), *start_dim, *end_dim)?;
            match x {
                Act::Float(t) => Act::Float(b.reshape(&t, &shape)?),
                Act::Quant(t, q) => Act::Quant(b.reshape(&t, &shape)?, q),
            }
        }
        Kind::MaxPool2d(pool) => {
            let g = pool.geom(path, x.shape())?;
            match x {
                Act::Float(t) => Act::Float(b.max_pool2d(&t, &g)?),
                Act::Quant(t, q) => Act::Quant(b.max_pool2d(&t, &g)?, q),
            }
        }
        Kind::Linear(l) => Act::Float(linear(b, path, &float_in(path, k, x)?, l, false, cached)?),
        Kind::LinearReLU(l) => Act::Float(linear(b, path, &float_in(path, k, x)?, l, true, cached)?),
        Kind::Conv2d(c) => Act::Float(conv2d(b, path, &float_in(path, k, x)?, c, cached)?),
        Kind::ConvReLU2d(c) => Act::Float(b.relu(&conv2d(b, path, &float_in(path, k, x)?, c, cached)?)?),
        Kind::BatchNorm(bn) => {
            let t = float_in(path, k, x)?;
            let rank = if bn.dim == 1 { 2 } else { 4 };
            if t.shape().len() != rank || t.shape()[1] != bn.num_features {
                let want = if bn.dim == 1 {
                    format!("(n, {})", bn.num_features)
                } else {
                    format!("(n, {}, h, w)", bn.num_features)
                };
                return Err(model_err(
                    path,
                    format!("{} expects input {want}, got {}", k.type_name(), fmt_shape(t.shape())),
                ));
            }
            let (alpha, beta) = crate::rules::batchnorm::bn_eval_alpha_beta(
                bn.weight.as_deref(),
                bn.bias.as_deref(),
                &bn.running_mean,
                &bn.running_var,
                bn.eps,
            );
            let n = bn.num_features;
            Act::Float(b.channel_affine(&t, &b.upload(&alpha, &[n])?, &b.upload(&beta, &[n])?)?)
        }
        Kind::Quantize(q) => match x {
            Act::Float(t) => Act::Quant(b.quantize(&t, q)?, q.clone()),
            Act::Quant(..) => {
                return Err(model_err(
                    path,
                    "Quantize got an already quantized tensor; only one QuantStub may precede a quantized region"
                        .into(),
                ))
            }
        },
        Kind::DeQuantize => match x {
            Act::Quant(t, q) => Act::Float(b.dequantize(&t, &q)?),
            f @ Act::Float(_) => f,
        },
        Kind::QuantizedLinear(ql) => {
            let (t, q) = quant_in(path, k, x)?;
            expect_rank(path, k.type_name(), &t, 2, &format!("(batch, {})", ql.in_features))?;
            let w = b.upload_data(HostData::I8(ql.weight_codes.clone()), &[ql.out_features, ql.in_features])?;
            let spec = qspec(&q, &ql.weight_qparams, &ql.bias, ql.scale, ql.zero_point, ql.relu);
            Act::Quant(b.quantized_linear(&t, &w, &spec)?, out_q(ql.scale, ql.zero_point))
        }
        Kind::QuantizedConv2d(qc) => {
            let (t, q) = quant_in(path, k, x)?;
            let g = geom(path, t.shape(), qc.in_channels, qc.kernel_size, qc.stride, qc.padding)?;
            let (oh, ow) = g.out_hw()?;
            let cols = b.im2col(&t, &g, per_tensor(&q).1 as f32)?;
            let w = b.upload_data(
                HostData::I8(qc.weight_codes.clone()),
                &[qc.out_channels, qc.in_channels * qc.kernel_size.0 * qc.kernel_size.1],
            )?;
            let spec = qspec(&q, &qc.weight_qparams, &qc.bias, qc.scale, qc.zero_point, qc.relu);
            let rows = b.quantized_linear(&cols, &w, &spec)?;
            Act::Quant(b.rows_to_nchw(&rows, g.n, oh, ow)?, out_q(qc.scale, qc.zero_point))
        }
        Kind::QuantizedBatchNorm2d { bn, scale, zero_point } => {
            let (t, q) = quant_in(path, k, x)?;
            if t.shape().len() != 4 || t.shape()[1] != bn.num_features {
                return Err(model_err(
                    path,
                    format!(
                        "QuantizedBatchNorm2d expects input (n, {}, h, w), got {}",
                        bn.num_features,
                        fmt_shape(t.shape())
                    ),
                ));
            }
            let (in_scale, in_zp) = per_tensor(&q);
            let (alpha, beta) = crate::rules::qbatchnorm::fused_params(
                bn.weight.as_deref(),
                bn.bias.as_deref(),
                &bn.running_mean,
                &bn.running_var,
                bn.eps,
                in_scale,
                *scale,
            );
            let table = crate::rules::qbatchnorm::code_table(&alpha, &beta, in_zp, *zero_point);
            let table = b.upload_data(HostData::U8(table), &[bn.num_features, 256])?;
            Act::Quant(b.quantized_channel_lut(&t, &table)?, out_q(*scale, *zero_point))
        }
        Kind::DynamicQuantizedLinear(_) => {
            return Err(model_err(path, format!("{} chooses its input qparams from the batch's min/max, which needs a read back: run the model with `forward_async`", k.type_name())));
        }
    })
}

/// [`run_leaf`], plus the modules that must read back (dynamic quantization's per-batch
/// activation qparams: `torch.ops.quantized.linear_dynamic`, see `quant::dynamic`).
pub async fn run_leaf_async<B: Backend>(b: &B, path: &str, m: &Module, x: Act<B::Tensor>) -> Result<Act<B::Tensor>> {
    let Kind::DynamicQuantizedLinear(dl) = &m.kind else { return run_leaf(b, path, m, x) };
    let t = float_in(path, &m.kind, x)?;
    expect_rank(path, m.kind.type_name(), &t, 2, &format!("(batch, {})", dl.in_features))?;
    let w = b.upload_data(HostData::I8(dl.weight_codes.clone()), &[dl.out_features, dl.in_features])?;
    let y =
        crate::functional::quantized_linear_dynamic(b, &t, &w, &dl.weight_qparams, dl.bias.as_deref(), dl.reduce_range)
            .await?;
    Ok(Act::Float(if dl.relu { b.relu(&y)? } else { y }))
}

/// Runs the whole model on `x` (float), returning the last activation; handles every module.
pub async fn forward_async<B: Backend>(b: &B, model: &Model, x: B::Tensor) -> Result<Act<B::Tensor>> {
    let mut act = Act::Float(x);
    for (path, m) in model.leaves() {
        act = run_leaf_async(b, &path, m, act).await?;
    }
    Ok(act)
}

/// Runs the whole model on `x` (float), returning the last activation (every module but the
/// dynamic ones, which need [`forward_async`]).
pub fn forward<B: Backend>(b: &B, model: &Model, x: B::Tensor) -> Result<Act<B::Tensor>> {
    let mut act = Act::Float(x);
    for (path, m) in model.leaves() {
        act = run_leaf(b, &path, m, act)?;
    }
    Ok(act)
}
