//! The report of a dynamically quantized model (`quantize_dynamic`): per swapped Linear /
//! LinearReLU its int8 weight qparams and code histogram, the quint8 qparams its input gets at
//! run time on the evaluation batch (`quantized::linear_dynamic` picks them from the batch's
//! min/max, `rules::dynamic::choose_qparams_dynamic`), and the SQNR of its float output against
//! the float model's; for the model, float vs int8 accuracy and agreement.
//!
//! A dynamic layer has no output scale, zero point or clipping (its output is float), so its row
//! lacks those fields of the static report (`report.rs`).
//!
//! Not here: the static report (`report.rs`), the swap itself (`dynamic.rs`).

use super::report::{accuracy, float_outputs, sqnr_db, Accuracy, QPair};
use crate::backend::Backend;
use crate::model::forward::{run_leaf_async, Act};
use crate::model::tree::{DynamicLinear, Kind, Model};
use crate::rules::dynamic::choose_qparams_dynamic;
use crate::rules::error::Result;
use crate::rules::QParams;
use serde::Serialize;

/// One dynamically quantized layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DynamicLayerReport {
    /// Module path.
    pub name: String,
    /// torch's name (`DynamicQuantizedLinear`, `DynamicQuantizedLinearReLU`).
    pub kind: String,
    /// The quint8 qparams chosen for its input on the whole evaluation batch (reduce_range as
    /// the module has it); null without evaluation data.
    pub input_scale: Option<f32>,
    /// See `input_scale`.
    pub input_zero_point: Option<i32>,
    /// `per_tensor_affine` or `per_channel_affine`.
    pub weight_qscheme: String,
    /// Per-channel axis, if any.
    pub weight_axis: Option<usize>,
    /// One scale per tensor or per output channel.
    pub weight_scale: Vec<f32>,
    /// One zero point per tensor or per output channel.
    pub weight_zero_point: Vec<i32>,
    /// Counts of weight codes −128..=127 (256 bins).
    pub weight_histogram: Vec<u32>,
    /// SQNR of its float output against the float model's, in dB (evaluation data; null
    /// without it).
    pub sqnr_db: Option<f64>,
    /// The int8 weight codes (`--dump` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight_codes: Option<Vec<i8>>,
}

/// The whole dynamic report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DynamicReport {
    /// Always `"dynamic"`, so a reader tells it from the static report.
    pub mode: &'static str,
    /// The model input's qparams: none (a dynamic model takes float input); kept for the
    /// static report's shape.
    pub input: Option<QPair>,
    /// Swapped layers in forward order.
    pub layers: Vec<DynamicLayerReport>,
    /// Present when labels were given.
    pub accuracy: Option<Accuracy>,
    /// Linear-like modules left float (their qconfig is None), with their type.
    pub float_modules: Vec<(String, String)>,
    /// Notes of the run.
    pub warnings: Vec<String>,
    /// The dynamic model's float output on the evaluation data (`--dump`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<Vec<f32>>,
}

fn min_max(v: &[f32]) -> (f32, f32) {
    v.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &x| (lo.min(x), hi.max(x)))
}

fn layer_row(path: &str, m: &crate::model::tree::Module, d: &DynamicLinear, dump: bool) -> DynamicLayerReport {
    let mut hist = vec![0u32; 256];
    for &c in &d.weight_codes {
        hist[(c as i32 + 128) as usize] += 1;
    }
    let (scheme, axis, scales, zps) = match &d.weight_qparams {
        QParams::PerTensor { scale, zero_point, .. } => ("per_tensor_affine", None, vec![*scale], vec![*zero_point]),
        QParams::PerChannel { scales, zero_points, axis, .. } => {
            ("per_channel_affine", Some(*axis), scales.clone(), zero_points.clone())
        }
    };
    DynamicLayerReport {
        name: path.into(),
        kind: m.kind.type_name().into(),
        input_scale: None,
        input_zero_point: None,
        weight_qscheme: scheme.into(),
        weight_axis: axis,
        weight_scale: scales,
        weight_zero_point: zps,
        weight_histogram: hist,
        sqnr_db: None,
        weight_codes: dump.then(|| d.weight_codes.clone()),
    }
}

/// Builds the report of `dynamic` (the output of `quantize_dynamic` on `float`) on `eval`
/// `(values, shape)` with optional class labels; both models run on `b`. Without `eval` the
/// report has the weights only.
pub async fn build_dynamic<B: Backend>(
    b: &B,
    float: &Model,
    dynamic: &Model,
    eval: Option<(&[f32], &[usize])>,
    labels: Option<&[i32]>,
    dump: bool,
) -> Result<DynamicReport> {
    let float_modules: Vec<(String, String)> = dynamic
        .leaves()
        .into_iter()
        .filter(|(_, m)| matches!(m.kind, Kind::Linear(_) | Kind::LinearReLU(_)))
        .map(|(p, m)| (p, m.kind.type_name().to_string()))
        .collect();
    let mut warnings = Vec::new();
    if !dynamic.leaves().iter().any(|(_, m)| matches!(m.kind, Kind::DynamicQuantizedLinear(_))) {
        warnings
            .push("quantize_dynamic swapped no module: the model has no Linear or LinearReLU with a qconfig".into());
    }
    let Some(eval) = eval else {
        let layers = dynamic
            .leaves()
            .into_iter()
            .filter_map(|(p, m)| match &m.kind {
                Kind::DynamicQuantizedLinear(d) => Some(layer_row(&p, m, d, dump)),
                _ => None,
            })
            .collect();
        return Ok(DynamicReport {
            mode: "dynamic",
            input: None,
            layers,
            accuracy: None,
            float_modules,
            warnings,
            output: None,
        });
    };
    let (float_eval, float_last) = float_outputs(b, float, eval.0, eval.1).await?;
    let mut act = Act::Float(b.upload(eval.0, eval.1)?);
    let mut layers = Vec::new();
    for (path, m) in dynamic.leaves() {
        let input = match (&m.kind, &act) {
            (Kind::DynamicQuantizedLinear(_), Act::Float(t)) => Some(b.read(t).await?),
            _ => None,
        };
        act = run_leaf_async(b, &path, m, act).await?;
        let (Kind::DynamicQuantizedLinear(d), Some(x), Act::Float(t)) = (&m.kind, input, &act) else { continue };
        let (lo, hi) = min_max(&x);
        let (in_s, in_z) = choose_qparams_dynamic(lo, hi, d.reduce_range)?;
        let out = b.read(t).await?;
        let mut row = layer_row(&path, m, d, dump);
        row.input_scale = Some(in_s);
        row.input_zero_point = Some(in_z);
        row.sqnr_db = float_eval.get(&path).map(|f| sqnr_db(f, &out));
        layers.push(row);
    }
    let output = match act {
        Act::Float(t) => b.read(&t).await?,
        Act::Quant(..) => Vec::new(),
    };
    Ok(DynamicReport {
        mode: "dynamic",
        input: None,
        layers,
        accuracy: labels.map(|y| accuracy(&float_last, &output, y)),
        float_modules,
        warnings,
        output: dump.then_some(output),
    })
}
