//! The quantization report: per quantized layer (every `Quantize`, and every quantized op with or
//! without int8 weights, e.g. `QuantizedBatchNorm2d`, a MaxPool2d on codes) its qparams, its float bias, a histogram of
//! its int8 weight codes, the SQNR of its output against the float model's and the share of calibration values
//! its output range clips; for the model, float vs int8 accuracy and agreement. The CLI prints it
//! as JSON and the page draws it.
//!
//! SQNR is torch.ao.ns's `compute_sqnr`: `20·log10(‖float‖ / ‖float − dequant(int8)‖)` dB (in f64).
//!
//! Not here: running the flow (`convert.rs`).

use super::prepare::Prepared;
use crate::backend::{Backend, HasShape, HostData};
use crate::model::forward::{run_leaf, Act};
use crate::model::tree::{Kind, Model};
use crate::quant::observer::clip_fraction;
use crate::rules::affine::dequantize_val;
use crate::rules::error::Result;
use crate::rules::QParams;
use serde::Serialize;
use std::collections::BTreeMap;

/// A scale and zero point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct QPair {
    /// Step between codes.
    pub scale: f32,
    /// Code of real 0.
    pub zero_point: i32,
}

/// One quantized layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerReport {
    /// Module path.
    pub name: String,
    /// torch's name for the quantized module (`QuantizedLinearReLU`, …).
    pub kind: String,
    /// The qparams of the input it receives; `None` for a `Quantize` (a QuantStub), whose
    /// input is float.
    pub input_scale: Option<f32>,
    /// See `input_scale`.
    pub input_zero_point: Option<i32>,
    /// `per_tensor_affine` or `per_channel_affine` (as `q_per_channel_*` names it); `None` for
    /// a layer without int8 weights (`Quantize`, `QuantizedBatchNorm2d`).
    pub weight_qscheme: Option<String>,
    /// Per-channel axis, if any.
    pub weight_axis: Option<usize>,
    /// One scale per tensor or per output channel (empty without weights).
    pub weight_scale: Vec<f32>,
    /// One zero point per tensor or per output channel (empty without weights).
    pub weight_zero_point: Vec<i32>,
    /// Counts of weight codes −128..=127 (256 bins; empty without weights).
    pub weight_histogram: Vec<u32>,
    /// The float bias the quantized op adds (torch keeps it f32 in `quantized::linear` /
    /// `conv2d` and quantizes it inside the kernel); `None` when the layer has none.
    pub bias: Option<Vec<f32>>,
    /// The output's scale.
    pub output_scale: f32,
    /// The output's zero point.
    pub output_zero_point: i32,
    /// SQNR of the dequantized output against the float model's, in dB (evaluation data).
    pub sqnr_db: f64,
    /// Percent of the float model's calibration outputs outside the output's quantized range.
    pub clip_percent: f64,
    /// The int8 weight codes (`--dump` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight_codes: Option<Vec<i8>>,
}

/// Float vs int8 on labelled data.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Accuracy {
    /// Float model accuracy, 0–1.
    pub float: f64,
    /// Quantized model accuracy, 0–1.
    pub int8: f64,
    /// Share of samples where both predict the same class.
    pub agreement: f64,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The QuantStub's qparams (the model input's).
    pub input: Option<QPair>,
    /// Quantized layers in forward order.
    pub layers: Vec<LayerReport>,
    /// Present when labels were given.
    pub accuracy: Option<Accuracy>,
    /// Modules left float although they had a qconfig (not in the mapping).
    pub float_modules: Vec<(String, String)>,
    /// Warnings from prepare and convert.
    pub warnings: Vec<String>,
    /// The quantized model's output codes on the evaluation data, before DeQuantize (`--dump`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_codes: Option<Vec<i32>>,
    /// The quantized model's float output on the evaluation data (`--dump`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<Vec<f32>>,
    /// Calibration on this backend against the CPU fast path's (`--compare-cpu`, on WebGPU).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calibration_vs_cpu: Option<super::calib_compare::CalibrationComparison>,
}

/// Every leaf's float output on `x` and the model's last output (empty when quantized), with
/// the float model run on backend `b`; the outputs are read back.
#[allow(clippy::type_complexity)] // (outputs by path, last output), named in the docs
pub async fn float_outputs<B: Backend>(
    b: &B,
    model: &Model,
    x: &[f32],
    shape: &[usize],
) -> Result<(BTreeMap<String, Vec<f32>>, Vec<f32>)> {
    let mut act = Act::Float(b.upload(x, shape)?);
    let mut outs = BTreeMap::new();
    for (path, m) in model.leaves() {
        act = run_leaf(b, &path, m, act)?;
        if let Act::Float(t) = &act {
            outs.insert(path, b.read(t).await?);
        }
    }
    let last = match act {
        Act::Float(t) => b.read(&t).await?,
        Act::Quant(..) => Vec::new(),
    };
    Ok((outs, last))
}

/// What the quantized model did at each quantized leaf: the input qparams, output codes and
/// qparams; plus the final output (codes before a final DeQuantize, and floats).
pub struct QuantTrace {
    /// Per quantized module path (every `Quantize` and every quantized op): (input qparams,
    /// `None` for a `Quantize`; output codes; output qparams).
    pub layers: BTreeMap<String, (Option<QParams>, Vec<i32>, QParams)>,
    /// Codes entering the last DeQuantize (empty if the output is never quantized).
    pub output_codes: Vec<i32>,
    /// The model's float output.
    pub output: Vec<f32>,
}

async fn codes<B: Backend>(b: &B, t: &B::Tensor) -> Result<Vec<i32>> {
    Ok(match b.read_data(t).await? {
        HostData::U8(v) => v.into_iter().map(i32::from).collect(),
        HostData::I8(v) => v.into_iter().map(i32::from).collect(),
        HostData::I32(v) => v,
        other => other.into_f32("codes")?.into_iter().map(|f| f as i32).collect(),
    })
}

/// Runs the converted model on backend `b`, reading back every quantized layer's output.
pub async fn quant_trace<B: Backend>(b: &B, model: &Model, x: &[f32], shape: &[usize]) -> Result<QuantTrace> {
    let mut act = Act::Float(b.upload(x, shape)?);
    let mut layers = BTreeMap::new();
    let mut output_codes = Vec::new();
    for (path, m) in model.leaves() {
        let q_in = match &act {
            Act::Quant(t, q) => {
                if matches!(m.kind, Kind::DeQuantize) {
                    output_codes = codes(b, t).await?;
                }
                Some(q.clone())
            }
            Act::Float(_) => None,
        };
        act = crate::model::forward::run_leaf_async(b, &path, m, act).await?;
        // MaxPool2d on codes is a weightless quantized op (`quantized::max_pool2d`): listed like
        // QuantizedBatchNorm2d, its output qparams its input's.
        let listed = m.kind.is_quantized() || matches!(m.kind, Kind::Quantize(_) | Kind::MaxPool2d(_));
        if let (true, Act::Quant(t, q_out)) = (listed && (q_in.is_some() || matches!(m.kind, Kind::Quantize(_))), &act)
        {
            layers.insert(path.clone(), (q_in, codes(b, t).await?, q_out.clone()));
        }
    }
    let output = match &act {
        Act::Float(t) => b.read(t).await?,
        Act::Quant(t, q) => {
            output_codes = codes(b, t).await?;
            output_codes
                .iter()
                .enumerate()
                .map(|(i, &c)| {
                    let (s, z) = q.at(t.shape(), i);
                    dequantize_val(c, s, z)
                })
                .collect()
        }
    };
    Ok(QuantTrace { layers, output_codes, output })
}

/// `20·log10(‖x‖ / ‖x − y‖)`; +inf when equal.
pub fn sqnr_db(x: &[f32], y: &[f32]) -> f64 {
    let ps: f64 = x.iter().map(|&v| (v as f64).powi(2)).sum::<f64>().sqrt();
    let pn: f64 = x.iter().zip(y).map(|(&a, &b)| (a as f64 - b as f64).powi(2)).sum::<f64>().sqrt();
    20.0 * (ps / pn).log10()
}

fn argmax(row: &[f32]) -> usize {
    row.iter().enumerate().fold(0, |best, (i, &v)| if v > row[best] { i } else { best })
}

/// Accuracy of float and int8 outputs `(n, classes)` against `labels`, and their agreement.
pub fn accuracy(float_out: &[f32], int8_out: &[f32], labels: &[i32]) -> Accuracy {
    let n = labels.len().max(1);
    let classes = float_out.len() / n;
    let (mut f, mut q, mut agree) = (0usize, 0usize, 0usize);
    for (i, &y) in labels.iter().enumerate() {
        let a = argmax(&float_out[i * classes..(i + 1) * classes]);
        let c = argmax(&int8_out[i * classes..(i + 1) * classes]);
        f += (a as i32 == y) as usize;
        q += (c as i32 == y) as usize;
        agree += (a == c) as usize;
    }
    Accuracy { float: f as f64 / n as f64, int8: q as f64 / n as f64, agreement: agree as f64 / n as f64 }
}

/// A layer's int8 weight codes, their qparams and its float bias.
type WeightOf<'a> = (&'a [i8], &'a QParams, &'a Option<Vec<f32>>);

fn weight_report(k: &Kind) -> Option<WeightOf<'_>> {
    match k {
        Kind::QuantizedLinear(l) => Some((&l.weight_codes, &l.weight_qparams, &l.bias)),
        Kind::QuantizedConv2d(c) => Some((&c.weight_codes, &c.weight_qparams, &c.bias)),
        Kind::DynamicQuantizedLinear(d) => Some((&d.weight_codes, &d.weight_qparams, &d.bias)),
        _ => None,
    }
}

/// Builds the report: `prepared` (the float model, for SQNR and clipping), `quantized`, the
/// calibration data, the evaluation data (`calib` when absent) and optional labels.
#[allow(clippy::too_many_arguments)]
pub async fn build<B: Backend>(
    b: &B,
    prepared: &Prepared,
    quantized: &Model,
    float_modules: Vec<(String, String)>,
    warnings: Vec<String>,
    calib: (&[f32], &[usize]),
    eval: (&[f32], &[usize]),
    labels: Option<&[i32]>,
    dump: bool,
) -> Result<Report> {
    build_against(b, &prepared.model, quantized, float_modules, warnings, calib, eval, labels, dump).await
}

/// [`build`] against any float model `float` (QAT compares with the float model it started
/// from, which was never `prepare`d); its leaves must have the quantized model's paths.
#[allow(clippy::too_many_arguments)]
pub async fn build_against<B: Backend>(
    b: &B,
    float: &Model,
    quantized: &Model,
    float_modules: Vec<(String, String)>,
    warnings: Vec<String>,
    calib: (&[f32], &[usize]),
    eval: (&[f32], &[usize]),
    labels: Option<&[i32]>,
    dump: bool,
) -> Result<Report> {
    let (float_eval, float_last) = float_outputs(b, float, eval.0, eval.1).await?;
    let (float_calib, _) = float_outputs(b, float, calib.0, calib.1).await?;
    let trace = quant_trace(b, quantized, eval.0, eval.1).await?;
    let mut layers = Vec::new();
    let mut input = None;
    for (path, m) in quantized.leaves() {
        if let Kind::Quantize(QParams::PerTensor { scale, zero_point, .. }) = &m.kind {
            input.get_or_insert(QPair { scale: *scale, zero_point: *zero_point });
        }
        let Some((q_in, out_codes, q_out)) = trace.layers.get(&path) else { continue };
        let QParams::PerTensor { scale: out_s, zero_point: out_z, dtype } = q_out else { continue };
        let (in_s, in_z) = match q_in {
            Some(QParams::PerTensor { scale, zero_point, .. }) => (Some(*scale), Some(*zero_point)),
            Some(QParams::PerChannel { .. }) => continue,
            None => (None, None),
        };
        let deq: Vec<f32> = out_codes.iter().map(|&c| dequantize_val(c, *out_s, *out_z)).collect();
        let sqnr = float_eval.get(&path).map_or(f64::NAN, |f| sqnr_db(f, &deq));
        // Clipping happens at the dtype's range: a converted model stores quint8 codes 0..=255
        // even when the observer used reduce_range.
        let clip = float_calib
            .get(&path)
            .map_or(0.0, |f| 100.0 * clip_fraction(f, &[f.len()], q_out, dtype.qmin(), dtype.qmax()));
        let w = weight_report(&m.kind);
        let mut hist = vec![0u32; if w.is_some() { 256 } else { 0 }];
        for &c in w.map_or(&[][..], |w| w.0) {
            hist[(c as i32 + 128) as usize] += 1;
        }
        let (scheme, axis, scales, zps) = match w.map(|w| w.1) {
            Some(QParams::PerTensor { scale, zero_point, .. }) => {
                (Some("per_tensor_affine"), None, vec![*scale], vec![*zero_point])
            }
            Some(QParams::PerChannel { scales, zero_points, axis, .. }) => {
                (Some("per_channel_affine"), Some(*axis), scales.clone(), zero_points.clone())
            }
            None => (None, None, vec![], vec![]),
        };
        layers.push(LayerReport {
            name: path.clone(),
            kind: m.kind.type_name().into(),
            input_scale: in_s,
            input_zero_point: in_z,
            weight_qscheme: scheme.map(String::from),
            weight_axis: axis,
            weight_scale: scales,
            weight_zero_point: zps,
            weight_histogram: hist,
            bias: w.and_then(|w| w.2.clone()),
            output_scale: *out_s,
            output_zero_point: *out_z,
            sqnr_db: sqnr,
            clip_percent: clip,
            weight_codes: (dump && w.is_some()).then(|| w.map_or(vec![], |w| w.0.to_vec())),
        });
    }
    let accuracy = labels.map(|y| accuracy(&float_last, &trace.output, y));
    Ok(Report {
        input,
        layers,
        accuracy,
        float_modules,
        warnings,
        output_codes: dump.then(|| trace.output_codes.clone()),
        output: dump.then(|| trace.output.clone()),
        calibration_vs_cpu: None,
    })
}
