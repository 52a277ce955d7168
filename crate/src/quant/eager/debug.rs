//! The numeric debugger's per-layer comparison, after torch's Numeric Suite
//! (torch/ao/ns/_numeric_suite.py):
//! - [`compare_weights`] as `compare_weights(float_model.state_dict(), qmodel.state_dict())`
//!   followed by `compute_sqnr` on each pair: for every quantized layer, its float weight against
//!   its dequantized int8 weight — SQNR and max abs error;
//! - [`compare_model_outputs`] as `compare_model_outputs(float_model, qmodel, x)` with its
//!   `OutputLogger`s: for every quantized layer, its float output against its dequantized quint8
//!   output on the same input — SQNR, cosine similarity, max abs error, the share of float values
//!   the output's range clips, and the share of codes sitting at either end of the range.
//!
//! SQNR is torch's `compute_sqnr` (torch/ao/ns/fx/utils.py): `20·log10(‖x‖ / ‖x − y‖)`, here in
//! f64 ([`super::report::sqnr_db`]); torch reduces in f32, see
//! [`crate::parity::NUMERIC_SUITE_SQNR_DB`]. The float reference is the prepared (fused) model,
//! whose weights are what convert quantized (BatchNorm already folded).
//!
//! Not here: the sensitivity sweep (`sensitivity.rs`), running the flow (`app::ptq`).

use super::prepare::Prepared;
use super::report::{float_outputs, quant_trace, sqnr_db};
use crate::backend::Backend;
use crate::model::tree::{Kind, Model};
use crate::quant::observer::clip_fraction;
use crate::rules::affine::dequantize_val;
use crate::rules::error::Result;
use crate::rules::QParams;
use serde::Serialize;

/// One layer's float weight against its int8 weight (`compare_weights`' `{'float', 'quantized'}`
/// pair, reduced).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeightComparison {
    /// Module path (`fc1`, `features.0`), as the state_dict key's prefix.
    pub name: String,
    /// torch's name for the quantized module (`QuantizedLinearReLU`, …).
    pub kind: String,
    /// `compute_sqnr(w, qw.dequantize())` in dB; +inf when the weight is exactly representable.
    pub sqnr_db: f64,
    /// `(w − qw.dequantize()).abs().max()`, in f32 as torch computes it.
    pub max_abs_error: f32,
}

/// One layer's float output against its quantized output (`compare_model_outputs`' pair of
/// `OutputLogger.stats`, reduced).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivationComparison {
    /// Module path.
    pub name: String,
    /// torch's name for the quantized module.
    pub kind: String,
    /// `compute_sqnr(float_out, q_out.dequantize())` in dB.
    pub sqnr_db: f64,
    /// `F.cosine_similarity` of the two outputs flattened (in f64).
    pub cosine_similarity: f64,
    /// Largest `|float_out − q_out.dequantize()|`.
    pub max_abs_error: f32,
    /// Percent of float outputs outside the output's quantized range
    /// `[(qmin − zp)·scale, (qmax − zp)·scale]` (they round to a code past qmin or qmax).
    pub clip_percent: f64,
    /// Percent of output codes equal to qmin (after a ReLU this includes every zero when the
    /// zero point is qmin, so read it with `clip_lo`).
    pub at_min_percent: f64,
    /// Percent of output codes equal to qmax (saturated at the top).
    pub at_max_percent: f64,
    /// `(qmin − zp)·scale`, the lowest value the output can hold.
    pub clip_lo: f32,
    /// `(qmax − zp)·scale`, the highest value the output can hold.
    pub clip_hi: f32,
}

/// The whole comparison (the CLI's `debug` field, the page's `debug`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NumericComparison {
    /// Per quantized layer with a weight, in forward order.
    pub weights: Vec<WeightComparison>,
    /// Per quantized layer, in forward order.
    pub activations: Vec<ActivationComparison>,
}

/// The float weight `(out, in)` or `(out, in, kh, kw)` of a float module, with its shape.
fn float_weight(k: &Kind) -> Option<(&[f32], Vec<usize>)> {
    match k {
        Kind::Linear(l) | Kind::LinearReLU(l) => Some((&l.weight, vec![l.out_features, l.in_features])),
        Kind::Conv2d(c) | Kind::ConvReLU2d(c) => Some((&c.weight, c.weight_shape().to_vec())),
        _ => None,
    }
}

fn int8_weight(k: &Kind) -> Option<(&[i8], &QParams)> {
    match k {
        Kind::QuantizedLinear(l) => Some((&l.weight_codes, &l.weight_qparams)),
        Kind::QuantizedConv2d(c) => Some((&c.weight_codes, &c.weight_qparams)),
        _ => None,
    }
}

/// `(w − qw.dequantize()).abs().max()` and the dequantized weight, element `i` dequantized with
/// its tensor's or channel's `(scale, zero_point)` as `torch.dequantize` does (in f32).
pub fn dequantize_weight(codes: &[i8], q: &QParams, shape: &[usize]) -> Vec<f32> {
    codes
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let (s, z) = q.at(shape, i);
            dequantize_val(c as i32, s, z)
        })
        .collect()
}

fn max_abs(x: &[f32], y: &[f32]) -> f32 {
    x.iter().zip(y).fold(0.0f32, |m, (&a, &b)| m.max((a - b).abs()))
}

/// `F.cosine_similarity(x.flatten(), y.flatten(), dim=0)`: `x·y / max(‖x‖·‖y‖, 1e-8)`.
pub fn cosine_similarity(x: &[f32], y: &[f32]) -> f64 {
    let dot: f64 = x.iter().zip(y).map(|(&a, &b)| a as f64 * b as f64).sum();
    let nx: f64 = x.iter().map(|&a| (a as f64).powi(2)).sum::<f64>().sqrt();
    let ny: f64 = y.iter().map(|&b| (b as f64).powi(2)).sum::<f64>().sqrt();
    dot / (nx * ny).max(1e-8)
}

/// `compare_weights`: each quantized layer of `quantized` against the float module at the same
/// path of `float_model` (the prepared, fused model).
pub fn compare_weights(float_model: &Model, quantized: &Model) -> Vec<WeightComparison> {
    let mut out = Vec::new();
    for (path, m) in quantized.leaves() {
        let Some((codes, q)) = int8_weight(&m.kind) else { continue };
        let Some((w, shape)) = float_model.get(&path).and_then(|f| float_weight(&f.kind)) else { continue };
        let deq = dequantize_weight(codes, q, &shape);
        out.push(WeightComparison {
            name: path.clone(),
            kind: m.kind.type_name().into(),
            sqnr_db: sqnr_db(w, &deq),
            max_abs_error: max_abs(w, &deq),
        });
    }
    out
}

/// `compare_model_outputs` on `x` `(n, …)`: the float model (`prepared.model`) and `quantized`
/// both run on backend `b`; every quantized layer's output is compared.
pub async fn compare_model_outputs<B: Backend>(
    b: &B,
    prepared: &Prepared,
    quantized: &Model,
    x: &[f32],
    shape: &[usize],
) -> Result<Vec<ActivationComparison>> {
    let (float, _) = float_outputs(b, &prepared.model, x, shape).await?;
    let trace = quant_trace(b, quantized, x, shape).await?;
    let mut out = Vec::new();
    for (path, m) in quantized.leaves() {
        // torch's compare_model_outputs logs only its compare-output list
        // (get_default_compare_output_module_list), which has no nn.MaxPool2d.
        if matches!(m.kind, Kind::MaxPool2d(_)) {
            continue;
        }
        let (Some((_, codes, q_out)), Some(f)) = (trace.layers.get(&path), float.get(&path)) else { continue };
        let QParams::PerTensor { scale, zero_point, dtype } = q_out else { continue };
        let (qmin, qmax) = (dtype.qmin(), dtype.qmax());
        let deq: Vec<f32> = codes.iter().map(|&c| dequantize_val(c, *scale, *zero_point)).collect();
        let n = codes.len().max(1) as f64;
        let share = |v: i32| 100.0 * codes.iter().filter(|&&c| c == v).count() as f64 / n;
        out.push(ActivationComparison {
            name: path.clone(),
            kind: m.kind.type_name().into(),
            sqnr_db: sqnr_db(f, &deq),
            cosine_similarity: cosine_similarity(f, &deq),
            max_abs_error: max_abs(f, &deq),
            clip_percent: 100.0 * clip_fraction(f, &[f.len()], q_out, qmin, qmax),
            at_min_percent: share(qmin),
            at_max_percent: share(qmax),
            clip_lo: dequantize_val(qmin, *scale, *zero_point),
            clip_hi: dequantize_val(qmax, *scale, *zero_point),
        });
    }
    Ok(out)
}

/// Both comparisons: weights from the models, activations on the evaluation data `eval`.
pub async fn compare<B: Backend>(
    b: &B,
    prepared: &Prepared,
    quantized: &Model,
    eval: (&[f32], &[usize]),
) -> Result<NumericComparison> {
    Ok(NumericComparison {
        weights: compare_weights(&prepared.model, quantized),
        activations: compare_model_outputs(b, prepared, quantized, eval.0, eval.1).await?,
    })
}
