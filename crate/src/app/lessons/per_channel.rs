//! Lesson 3, per-channel weights and fusion, on one seeded Conv2d → BatchNorm2d block:
//!
//! - the fold `fuse_modules(model, [["0", "1"]])` (torch/ao/quantization/fuse_modules.py →
//!   torch/nn/utils/fusion.py `fuse_conv_bn_weights`), done by [`crate::model::fuse`]:
//!   `w' = w · (γ · rsqrt(var + eps))`, `b' = (b − mean) · rsqrt(var + eps) · γ + β`, with the
//!   numbers of one channel and the check that the fused conv gives conv → BN's output;
//! - the weight's qint8 symmetric scales per tensor (`MinMaxObserver(qint8,
//!   per_tensor_symmetric)`: `max|w| / 127.5`) and per output channel
//!   (`PerChannelMinMaxObserver(ch_axis=0, per_channel_symmetric)`: `max|w[c]| / 127.5`), from
//!   [`crate::quant::observer`], and each row's weight error `|dequantize(quantize(w)) − w|`.
//!
//! The block is seeded, not trained: the conv has `nn.Conv2d`'s default init bound 1/√fan_in
//! (torch/nn/modules/conv.py), the BatchNorm's γ, β and running statistics are spread as a
//! trained network's are (γ in [0.1, 3), running_var over two decades), so the folded rows have
//! very different ranges: the case per-channel scales exist for.
//!
//! Not here: the page's chart (lessons/per-channel.js).

use super::{num, Lesson};
use crate::backend::cpu::CpuReference;
use crate::backend::{ready, TensorOps};
use crate::model::fuse::fuse_modules;
use crate::model::spec::QConfigAttr;
use crate::model::tree::{BatchNorm, Conv2d, Kind, Model, Module};
use crate::quant::observer::minmax::per_channel_symmetric_qint8;
use crate::quant::observer::{MinMaxObserver, ObserverArgs, PerChannelMinMaxObserver, QScheme};
use crate::rules::affine::{dequantize_val, quantize_val, QParams, QuantDType};
use crate::rules::error::Error;
use crate::rules::rng::Rng;
use serde::{Deserialize, Serialize};

/// The conv's input channels and kernel: 3 × 3×3, so a row has 27 weights.
const IN_CHANNELS: usize = 3;
const KERNEL: usize = 3;
/// The check's input: one (3, 8, 8) image, padding 1.
const SIDE: usize = 8;

/// The lesson's inputs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Seeds the conv, the BatchNorm and the check's input.
    pub seed: u64,
    /// The conv's output channels (= the weight's rows), 2 to 32.
    pub out_channels: usize,
    /// The channel whose fold is shown, `0..out_channels`.
    pub channel: usize,
    /// Whose weight is quantized: `fused` (the conv after folding, what convert quantizes) or
    /// `conv` (before folding).
    pub layer: String,
}

/// One weight row (output channel) under both schemes.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// `max |w[c]|`.
    pub max_abs: f32,
    /// The per-channel scale `max|w[c]| / 127.5`.
    pub scale: f32,
    /// Largest `|ŵ − w|` over the row with the one per-tensor scale.
    pub error_per_tensor: f32,
    /// Largest `|ŵ − w|` over the row with its own scale.
    pub error_per_channel: f32,
    /// Distinct codes the row uses per tensor (of 256).
    pub codes_per_tensor: usize,
    /// Distinct codes the row uses per channel.
    pub codes_per_channel: usize,
    /// The row's smallest and largest code per tensor (its code span; a row has only
    /// `in_channels·3·3` weights, so the count of codes says less than the span).
    pub span_per_tensor: [i32; 2],
    /// The row's smallest and largest code with its own scale.
    pub span_per_channel: [i32; 2],
}

/// The fold of one channel, before and after.
#[derive(Debug, Clone, Serialize)]
pub struct Fold {
    /// The conv's first 3×3 kernel of the channel (input channel 0), before.
    pub weight: Vec<f32>,
    /// The conv's bias.
    pub bias: f32,
    /// BatchNorm's γ (`weight`), β (`bias`), running mean and variance, eps.
    pub gamma: f32,
    /// β.
    pub beta: f32,
    /// `running_mean[c]`.
    pub running_mean: f32,
    /// `running_var[c]`.
    pub running_var: f32,
    /// `eps`.
    pub eps: f32,
    /// `1 / sqrt(var + eps)`.
    pub rsqrt: f32,
    /// `γ · rsqrt`: what every weight of the channel is multiplied by.
    pub factor: f32,
    /// The same kernel after the fold.
    pub fused_weight: Vec<f32>,
    /// `(b − mean) · rsqrt · γ + β`.
    pub fused_bias: f32,
    /// conv → BN's output at (channel, 0, 0) of the check's input.
    pub y_conv_bn: f32,
    /// The fused conv's output there.
    pub y_fused: f32,
}

/// Every number the page shows.
#[derive(Debug, Clone, Serialize)]
pub struct Output {
    /// `fused` or `conv`.
    pub layer: String,
    /// The per-tensor scale `max|w| / 127.5`.
    pub scale_per_tensor: f32,
    /// One row per output channel.
    pub rows: Vec<Row>,
    /// The rows' largest errors averaged over the rows, per tensor (the largest error over the
    /// whole tensor is the widest row's, about the same under both schemes).
    pub mean_row_error_per_tensor: f32,
    /// The same, per channel.
    pub mean_row_error_per_channel: f32,
    /// The shown channel's fold.
    pub fold: Fold,
    /// `max |fused − conv→BN|` over the whole check output.
    pub fused_max_abs_diff: f32,
    /// `max |conv→BN|` over the check output, to read the difference against.
    pub output_max_abs: f32,
}

/// Lesson 3 (`quantplay lesson per-channel`).
pub struct PerChannel;

fn module(name: &str, kind: Kind) -> Module {
    Module { name: name.into(), kind, qconfig: QConfigAttr::Inherit, children: vec![] }
}

/// The seeded block `Sequential(Conv2d(3, C, 3, padding=1), BatchNorm2d(C))` and its input.
pub fn seeded(seed: u64, c: usize) -> (Model, Vec<f32>) {
    let mut rng = Rng::new(seed);
    let fan_in = IN_CHANNELS * KERNEL * KERNEL;
    let bound = 1.0 / (fan_in as f32).sqrt();
    let conv = Conv2d {
        in_channels: IN_CHANNELS,
        out_channels: c,
        kernel_size: (KERNEL, KERNEL),
        stride: (1, 1),
        padding: (1, 1),
        weight: rng.uniform_vec(c * fan_in, -bound, bound),
        bias: Some(rng.uniform_vec(c, -bound, bound)),
    };
    let bn = BatchNorm {
        dim: 2,
        num_features: c,
        eps: 1e-5,
        momentum: 0.1,
        weight: Some(rng.uniform_vec(c, 0.1, 3.0)),
        bias: Some(rng.uniform_vec(c, -0.5, 0.5)),
        running_mean: rng.uniform_vec(c, -0.3, 0.3),
        // powf in f64, then rounded to f32: f32 powf is libm's, not correctly rounded, and
        // differs by an ulp between native and wasm32; the f64 result rounds to the same f32.
        running_var: (0..c).map(|_| 10f64.powf(f64::from(rng.uniform(-2.0, 0.0))) as f32).collect(),
    };
    let x = rng.uniform_vec(IN_CHANNELS * SIDE * SIDE, -1.0, 1.0);
    (block(conv, bn), x)
}

/// `Sequential(conv, bn)`, the modules named `0` and `1` as torch names them.
pub fn block(conv: Conv2d, bn: BatchNorm) -> Model {
    let root = Module {
        name: String::new(),
        kind: Kind::Sequential,
        qconfig: QConfigAttr::Inherit,
        children: vec![module("0", Kind::Conv2d(conv)), module("1", Kind::BatchNorm(bn))],
    };
    Model { root, input_shape: Some(vec![IN_CHANNELS, SIDE, SIDE]), fuse: vec![] }
}

fn conv_of(m: &Model) -> &Conv2d {
    match &m.get("0").expect("the block has a conv").kind {
        Kind::Conv2d(c) => c,
        other => unreachable!("module 0 is a Conv2d, got {}", other.type_name()),
    }
}

fn run_model(m: &Model, x: &[f32]) -> Result<Vec<f32>, Error> {
    let b = CpuReference;
    let t = b.upload(x, &[1, IN_CHANNELS, SIDE, SIDE])?;
    match crate::model::forward::forward(&b, m, t)? {
        crate::model::forward::Act::Float(y) => ready(b.read(&y)),
        crate::model::forward::Act::Quant(..) => unreachable!("a float block"),
    }
}

/// The row's largest `|ŵ − w|`, how many distinct codes it uses and its (min, max) code, under
/// `scale`.
fn row_error(w: &[f32], scale: f32) -> (f32, usize, [i32; 2]) {
    let mut codes: Vec<i32> = w.iter().map(|&v| quantize_val(v, scale, 0, QuantDType::QInt8)).collect();
    let err = w.iter().zip(&codes).map(|(&v, &q)| (dequantize_val(q, scale, 0) - v).abs()).fold(0.0, f32::max);
    codes.sort_unstable();
    codes.dedup();
    let span = [codes[0], codes[codes.len() - 1]];
    (err, codes.len(), span)
}

fn check(i: &Input) -> Result<(), Error> {
    let bad = |name: &'static str, value: String, valid: String| Err(Error::InvalidArgument { name, value, valid });
    if !(2..=32).contains(&i.out_channels) {
        return bad("out_channels", i.out_channels.to_string(), "2 to 32".into());
    }
    if i.channel >= i.out_channels {
        return bad("channel", i.channel.to_string(), format!("0 to {} (out_channels − 1)", i.out_channels - 1));
    }
    if i.layer != "fused" && i.layer != "conv" {
        return bad("layer", i.layer.clone(), "fused, conv".into());
    }
    Ok(())
}

/// The lesson on an explicit block `Sequential(Conv2d(3, C, 3, padding=1), BatchNorm2d(C))` (a
/// fixture's, or [`seeded`]'s) and its `(1, 3, 8, 8)` input `x`.
pub fn compute(model: &Model, x: &[f32], i: &Input) -> Result<Output, Error> {
    check(i)?;
    let (c, ch) = (i.out_channels, i.channel);
    let fused = fuse_modules(model, &[vec!["0".into(), "1".into()]])?;
    let (conv, fconv) = (conv_of(model), conv_of(&fused));
    let bn = match &model.get("1").expect("the block has a BatchNorm").kind {
        Kind::BatchNorm(bn) => bn.clone(),
        other => unreachable!("module 1 is a BatchNorm2d, got {}", other.type_name()),
    };
    let (y, yf) = (run_model(model, x)?, run_model(&fused, x)?);
    let w = if i.layer == "fused" { &fconv.weight } else { &conv.weight };
    let per = w.len() / c;
    let mut obs = MinMaxObserver::new(ObserverArgs {
        dtype: QuantDType::QInt8,
        qscheme: QScheme::PerTensorSymmetric,
        ..ObserverArgs::default()
    })?;
    obs.forward(w)?;
    let QParams::PerTensor { scale: scale_per_tensor, .. } = obs.calculate_qparams()?.qparams else {
        unreachable!("a per-tensor observer")
    };
    let mut pc = PerChannelMinMaxObserver::new(0, per_channel_symmetric_qint8())?;
    pc.forward(w, &[c, per])?;
    let QParams::PerChannel { scales, .. } = pc.calculate_qparams()?.qparams else {
        unreachable!("a per-channel observer")
    };
    let rows: Vec<Row> = (0..c)
        .map(|r| {
            let row = &w[r * per..(r + 1) * per];
            let (error_per_tensor, codes_per_tensor, span_per_tensor) = row_error(row, scale_per_tensor);
            let (error_per_channel, codes_per_channel, span_per_channel) = row_error(row, scales[r]);
            let max_abs = row.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            Row {
                max_abs,
                scale: scales[r],
                error_per_tensor,
                error_per_channel,
                codes_per_tensor,
                codes_per_channel,
                span_per_tensor,
                span_per_channel,
            }
        })
        .collect();
    let rsqrt = 1.0f32 / (bn.running_var[ch] + bn.eps as f32).sqrt();
    let gamma = bn.weight.as_ref().map_or(1.0, |g| g[ch]);
    let k = KERNEL * KERNEL;
    let at = ch * SIDE * SIDE; // (channel, 0, 0) of the (1, C, 8, 8) output
    let fold = Fold {
        weight: conv.weight[ch * per..ch * per + k].to_vec(),
        bias: conv.bias.as_ref().map_or(0.0, |b| b[ch]),
        gamma,
        beta: bn.bias.as_ref().map_or(0.0, |b| b[ch]),
        running_mean: bn.running_mean[ch],
        running_var: bn.running_var[ch],
        eps: bn.eps as f32,
        rsqrt,
        factor: gamma * rsqrt,
        fused_weight: fconv.weight[ch * per..ch * per + k].to_vec(),
        fused_bias: fconv.bias.as_ref().expect("the fold adds a bias")[ch],
        y_conv_bn: y[at],
        y_fused: yf[at],
    };
    Ok(Output {
        layer: i.layer.clone(),
        scale_per_tensor,
        mean_row_error_per_tensor: rows.iter().map(|r| r.error_per_tensor).sum::<f32>() / c as f32,
        mean_row_error_per_channel: rows.iter().map(|r| r.error_per_channel).sum::<f32>() / c as f32,
        rows,
        fold,
        fused_max_abs_diff: y.iter().zip(&yf).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max),
        output_max_abs: y.iter().fold(0.0f32, |m, v| m.max(v.abs())),
    })
}

impl Lesson for PerChannel {
    const NAME: &'static str = "per-channel";
    type Input = Input;
    type Output = Output;

    fn run(i: &Input) -> Result<Output, Error> {
        check(i)?;
        let (model, x) = seeded(i.seed, i.out_channels);
        compute(&model, &x, i)
    }

    fn render(o: &Output) -> String {
        let list = |v: &[f32]| v.iter().map(|&x| num(x)).collect::<Vec<_>>().join(",");
        let f = &o.fold;
        let mut s = format!("layer {}\nscale_per_tensor {}\n", o.layer, num(o.scale_per_tensor));
        s += "row max_abs scale_per_channel max_error_per_tensor max_error_per_channel span_per_tensor span_per_channel\n";
        for (c, r) in o.rows.iter().enumerate() {
            let (m, sc, et, ec) = (num(r.max_abs), num(r.scale), num(r.error_per_tensor), num(r.error_per_channel));
            let span = |s: [i32; 2]| format!("{}..{}", s[0], s[1]);
            s += &format!("{c} {m} {sc} {et} {ec} {} {}\n", span(r.span_per_tensor), span(r.span_per_channel));
        }
        let (t, c) = (num(o.mean_row_error_per_tensor), num(o.mean_row_error_per_channel));
        s += &format!("mean_row_error_per_tensor {t}\nmean_row_error_per_channel {c}\n");
        s += &format!("weight {}\nbias {}\n", list(&f.weight), num(f.bias));
        s += &format!(
            "gamma {}\nbeta {}\nrunning_mean {}\nrunning_var {}\neps {}\n",
            num(f.gamma),
            num(f.beta),
            num(f.running_mean),
            num(f.running_var),
            num(f.eps)
        );
        s += &format!(
            "rsqrt {}\nfactor {}\nfused_weight {}\nfused_bias {}\n",
            num(f.rsqrt),
            num(f.factor),
            list(&f.fused_weight),
            num(f.fused_bias)
        );
        s += &format!("y_conv_bn {}\ny_fused {}\n", num(f.y_conv_bn), num(f.y_fused));
        s += &format!("fused_max_abs_diff {}\noutput_max_abs {}\n", num(o.fused_max_abs_diff), num(o.output_max_abs));
        s
    }
}

#[cfg(test)]
#[path = "per_channel_tests.rs"]
mod tests;
