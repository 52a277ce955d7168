//! Lesson 4, integer inference: one quantized Linear (`torch.ao.nn.quantized.Linear`, engine
//! fbgemm) done in integers, with every intermediate number of one output element `y[row][col]`:
//!
//! ```text
//! acc        = Σ_p (x_q[p] − x_zp) · (w_q[p] − w_zp)                          exact int32
//!            = Σ x_q·w_q − w_zp·Σ x_q − x_zp·Σ w_q + k·x_zp·w_zp             (the zero-point terms)
//! bias_q     = bias · (1/(s_x·s_w))   (per tensor)   or   bias / (s_x·s_w)  (per channel)   f32
//! M          = (s_x · s_w) / s_y                                              f32
//! y_q        = clamp(nearbyint((acc + bias_q) · M) + y_zp, 0, 255)
//! ```
//!
//! (aten/src/ATen/native/quantized/cpu/qlinear.cpp and fbgemm's `ReQuantizeOutput`; the
//! arithmetic is [`crate::rules::qlinear`], the whole output the CPU reference backend's
//! `quantized_linear`), checked against the float path `quantize(Linear(dequantize(x),
//! dequantize(w)) + bias)`. The qparams come from torch's default observers
//! ([`crate::quant::observer`]): MinMaxObserver (quint8, affine) on x and on the float output,
//! MinMaxObserver / PerChannelMinMaxObserver (qint8, symmetric) on the weight.
//!
//! Not here: the layer's float data (seeded, `rules::rng`); the page (lessons/integer.js).

use super::{num, Lesson};
use crate::backend::cpu::CpuReference;
use crate::backend::{ready, HostData, QuantOps, TensorOps};
use crate::quant::observer::minmax::per_channel_symmetric_qint8;
use crate::quant::observer::{MinMaxObserver, ObserverArgs, PerChannelMinMaxObserver, QScheme};
use crate::rules::affine::{dequantize_val, quantize_val, QParams, QuantDType};
use crate::rules::error::Error;
use crate::rules::qlinear::{accumulate, round_ties_even, QLinearSpec};
use crate::rules::rng::Rng;
use serde::{Deserialize, Serialize};

/// The lesson's inputs: the seeded layer's sizes, the weight's qscheme and the element shown.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Seeds the input, weight and bias.
    pub seed: u64,
    /// Rows of x, 1 to 16.
    pub batch: usize,
    /// k, 1 to 256.
    pub in_features: usize,
    /// n, 1 to 64.
    pub out_features: usize,
    /// Per-channel weight scales (`per_channel_symmetric`) instead of one (`per_tensor_symmetric`).
    #[serde(default)]
    pub per_channel: bool,
    /// The output element's row, `0..batch`.
    pub row: usize,
    /// The output element's column (output feature), `0..out_features`.
    pub col: usize,
}

/// Every number of one output element's integer computation.
#[derive(Debug, Clone, Serialize)]
pub struct Element {
    /// `x_q[row][p]`, `(k,)`.
    pub x_codes: Vec<i32>,
    /// `w_q[col][p]`, `(k,)`.
    pub w_codes: Vec<i32>,
    /// `Σ x_q·w_q`.
    pub sum_xw: i64,
    /// `Σ x_q`.
    pub sum_x: i64,
    /// `Σ w_q`.
    pub sum_w: i64,
    /// The weight's zero point for this column (0: symmetric).
    pub w_zero_point: i32,
    /// The weight's scale for this column.
    pub w_scale: f32,
    /// `Σ (x_q − x_zp)(w_q − w_zp)`, the int32 accumulator ([`accumulate`]).
    pub acc: i32,
    /// The float bias.
    pub bias: f32,
    /// `s_x · s_w` in f32.
    pub act_scale: f32,
    /// The bias in accumulator units, as fbgemm keeps it (f32, not rounded).
    pub bias_q: f32,
    /// `round(bias / (s_x·s_w))`: the int32 bias of the textbook (and qnnpack) formulation.
    pub bias_i32: i32,
    /// `M = s_x · s_w / s_y` in f32.
    pub multiplier: f32,
    /// `(acc + bias_q) · M` in f32.
    pub scaled: f32,
    /// `nearbyint(scaled)`, ties to even.
    pub rounded: f32,
    /// `rounded + y_zp`, before the clamp to 0..=255.
    pub unclamped: i64,
    /// The output code, as [`crate::rules::qlinear::requantize`] gives it.
    pub code: i32,
    /// The same element of the backend's whole quantized Linear output.
    pub backend_code: i32,
    /// The float path: `Linear(dequantize(x), dequantize(w)) + bias`.
    pub float_y: f32,
    /// The float path's output quantized with the output qparams.
    pub float_code: i32,
    /// `(code − y_zp) · s_y`.
    pub dequantized: f32,
}

/// Every number the page shows.
#[derive(Debug, Clone, Serialize)]
pub struct Output {
    /// `per_tensor_symmetric` or `per_channel_symmetric`.
    pub weight_qscheme: &'static str,
    /// The input's scale and zero point (quint8).
    pub x_scale: f32,
    /// The input's zero point.
    pub x_zero_point: i32,
    /// The weight's scales, one (per tensor) or one per output feature.
    pub w_scales: Vec<f32>,
    /// The output's scale, from MinMaxObserver on the float output.
    pub y_scale: f32,
    /// The output's zero point.
    pub y_zero_point: i32,
    /// The whole output's codes `(batch, out_features)`, from the backend.
    pub codes: Vec<i32>,
    /// The float path's codes, `(batch, out_features)`.
    pub float_codes: Vec<i32>,
    /// How many output codes differ from the float path's (by at most 1 in practice).
    pub mismatches: usize,
    /// The element shown.
    pub element: Element,
}

/// Lesson 4 (`quantplay lesson integer`).
pub struct Integer;

fn bad(name: &'static str, value: impl ToString, valid: String) -> Error {
    Error::InvalidArgument { name, value: value.to_string(), valid }
}

fn check(i: &Input) -> Result<(), Error> {
    for (name, v, max) in
        [("batch", i.batch, 16), ("in_features", i.in_features, 256), ("out_features", i.out_features, 64)]
    {
        if v == 0 || v > max {
            return Err(bad(name, v, format!("1 to {max}")));
        }
    }
    if i.row >= i.batch {
        return Err(bad("row", i.row, format!("0 to {} (batch − 1)", i.batch - 1)));
    }
    if i.col >= i.out_features {
        return Err(bad("col", i.col, format!("0 to {} (out_features − 1)", i.out_features - 1)));
    }
    Ok(())
}

/// The seeded layer: x `(batch, k)` uniform in [−0.5, 1.5), w `(n, k)` and bias `(n,)` uniform in
/// ±1/√k (the bound of `nn.Linear`'s default init, torch/nn/modules/linear.py).
pub fn seeded(i: &Input) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let mut rng = Rng::new(i.seed);
    let bound = 1.0 / (i.in_features as f32).sqrt();
    let x = rng.uniform_vec(i.batch * i.in_features, -0.5, 1.5);
    let w = rng.uniform_vec(i.out_features * i.in_features, -bound, bound);
    let b = rng.uniform_vec(i.out_features, -bound, bound);
    (x, w, b)
}

fn per_tensor(q: &QParams) -> (f32, i32) {
    match q {
        QParams::PerTensor { scale, zero_point, .. } => (*scale, *zero_point),
        QParams::PerChannel { .. } => unreachable!("per-tensor observer"),
    }
}

fn observe_tensor(x: &[f32], dtype: QuantDType, qscheme: QScheme) -> Result<QParams, Error> {
    let mut obs = MinMaxObserver::new(ObserverArgs { dtype, qscheme, ..ObserverArgs::default() })?;
    obs.forward(x)?;
    Ok(obs.calculate_qparams()?.qparams)
}

fn codes(t: &crate::backend::cpu::CpuTensor) -> Vec<i32> {
    match t.data() {
        HostData::U8(v) => v.iter().map(|&c| c as i32).collect(),
        HostData::I8(v) => v.iter().map(|&c| c as i32).collect(),
        other => unreachable!("quantized codes are u8/i8, got {:?}", other.dtype()),
    }
}

/// The lesson on explicit data: x `(m, k)`, w `(n, k)`, bias `(n,)`; `out` overrides the output
/// qparams (a fixture's), else MinMaxObserver on the float output picks them.
pub fn compute(i: &Input, x: &[f32], w: &[f32], bias: &[f32], out: Option<(f32, i32)>) -> Result<Output, Error> {
    check(i)?;
    let (m, k, n) = (i.batch, i.in_features, i.out_features);
    let b = CpuReference;
    let xq = observe_tensor(x, QuantDType::QUInt8, QScheme::PerTensorAffine)?;
    let wq = if i.per_channel {
        let mut obs = PerChannelMinMaxObserver::new(0, per_channel_symmetric_qint8())?;
        obs.forward(w, &[n, k])?;
        obs.calculate_qparams()?.qparams
    } else {
        observe_tensor(w, QuantDType::QInt8, QScheme::PerTensorSymmetric)?
    };
    let x_codes_t = b.quantize(&b.upload(x, &[m, k])?, &xq)?;
    let w_codes_t = b.quantize(&b.upload(w, &[n, k])?, &wq)?;
    let (xc, wc) = (codes(&x_codes_t), codes(&w_codes_t));
    // The float path: dequantize → F.linear → + bias (torch/nn/functional.py `linear`).
    let x_dq = b.dequantize(&x_codes_t, &xq)?;
    let w_dq = b.dequantize(&w_codes_t, &wq)?;
    let y = crate::functional::linear_forward(&b, &x_dq, &w_dq, Some(&b.upload(bias, &[n])?))?;
    let y = ready(b.read(&y))?;
    let (x_scale, x_zero_point) = per_tensor(&xq);
    let (y_scale, y_zero_point) = match out {
        Some(o) => o,
        None => per_tensor(&observe_tensor(&y, QuantDType::QUInt8, QScheme::PerTensorAffine)?),
    };
    let spec = QLinearSpec {
        x_scale,
        x_zero_point,
        w: wq.clone(),
        bias: Some(bias.to_vec()),
        out_scale: y_scale,
        out_zero_point: y_zero_point,
        relu: false,
    };
    spec.validate(n, k)?;
    let out_codes = codes(&b.quantized_linear(&x_codes_t, &w_codes_t, &spec)?);
    let float_codes: Vec<i32> = y.iter().map(|&v| quantize_val(v, y_scale, y_zero_point, QuantDType::QUInt8)).collect();
    let mismatches = out_codes.iter().zip(&float_codes).filter(|(a, b)| a != b).count();
    let (r, j) = (i.row, i.col);
    let xr = xc[r * k..(r + 1) * k].to_vec();
    let wr = wc[j * k..(j + 1) * k].to_vec();
    let requant = spec.requant(n);
    let w_zp = requant.w_zero_points[j];
    let acc = accumulate(&xr, &wr, 1, k, 1, x_zero_point, &[w_zp])[0];
    let (bias_q, multiplier) = (requant.bias_scaled[j], requant.multiplier[j]);
    let scaled = (acc as f32 + bias_q) * multiplier;
    let rounded = round_ties_even(scaled);
    let w_scale = match &wq {
        QParams::PerTensor { scale, .. } => *scale,
        QParams::PerChannel { scales, .. } => scales[j],
    };
    let act_scale = x_scale * w_scale;
    let element = Element {
        sum_xw: xr.iter().zip(&wr).map(|(&a, &b)| a as i64 * b as i64).sum(),
        sum_x: xr.iter().map(|&a| a as i64).sum(),
        sum_w: wr.iter().map(|&a| a as i64).sum(),
        x_codes: xr,
        w_codes: wr,
        w_zero_point: w_zp,
        w_scale,
        acc,
        bias: bias[j],
        act_scale,
        bias_q,
        bias_i32: (bias[j] / act_scale).round_ties_even() as i32,
        multiplier,
        scaled,
        rounded,
        unclamped: rounded as i64 + y_zero_point as i64,
        code: crate::rules::qlinear::requantize(acc, j, &requant),
        backend_code: out_codes[r * n + j],
        float_y: y[r * n + j],
        float_code: float_codes[r * n + j],
        dequantized: dequantize_val(out_codes[r * n + j], y_scale, y_zero_point),
    };
    Ok(Output {
        weight_qscheme: if i.per_channel { "per_channel_symmetric" } else { "per_tensor_symmetric" },
        x_scale,
        x_zero_point,
        w_scales: match &wq {
            QParams::PerTensor { scale, .. } => vec![*scale],
            QParams::PerChannel { scales, .. } => scales.clone(),
        },
        y_scale,
        y_zero_point,
        codes: out_codes,
        float_codes,
        mismatches,
        element,
    })
}

impl Lesson for Integer {
    const NAME: &'static str = "integer";
    type Input = Input;
    type Output = Output;

    fn run(input: &Input) -> Result<Output, Error> {
        check(input)?;
        let (x, w, b) = seeded(input);
        compute(input, &x, &w, &b, None)
    }

    fn render(o: &Output) -> String {
        let e = &o.element;
        let list = |v: &[i32]| v.iter().map(i32::to_string).collect::<Vec<_>>().join(",");
        let mut s = format!("weight_qscheme {}\n", o.weight_qscheme);
        s += &format!("x_scale {}\nx_zero_point {}\n", num(o.x_scale), o.x_zero_point);
        s += &format!("w_scale {}\nw_zero_point {}\n", num(e.w_scale), e.w_zero_point);
        s += &format!("y_scale {}\ny_zero_point {}\n", num(o.y_scale), o.y_zero_point);
        s += &format!("x_codes {}\nw_codes {}\n", list(&e.x_codes), list(&e.w_codes));
        s += &format!("sum_xw {}\nsum_x {}\nsum_w {}\nacc {}\n", e.sum_xw, e.sum_x, e.sum_w, e.acc);
        s += &format!(
            "bias {}\nact_scale {}\nbias_q {}\nbias_i32 {}\n",
            num(e.bias),
            num(e.act_scale),
            num(e.bias_q),
            e.bias_i32
        );
        s += &format!("multiplier {}\nscaled {}\nrounded {}\n", num(e.multiplier), num(e.scaled), num(e.rounded));
        s += &format!("unclamped {}\ncode {}\nbackend_code {}\n", e.unclamped, e.code, e.backend_code);
        s += &format!("float_y {}\nfloat_code {}\ndequantized {}\n", num(e.float_y), e.float_code, num(e.dequantized));
        s += &format!("mismatches {} of {}\n", o.mismatches, o.codes.len());
        s
    }
}

#[cfg(test)]
#[path = "integer_tests.rs"]
mod tests;
