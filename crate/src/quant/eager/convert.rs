//! `torch.ao.quantization.convert` and `quantize` (eager mode), following
//! torch/ao/quantization/quantize.py (`_convert`, `swap_module`) and each quantized module's
//! `from_float`:
//! - QuantStub → Quantize with its observer's qparams; DeQuantStub → DeQuantize;
//! - Linear / LinearReLU / Conv2d / ConvReLU2d → their quantized modules: a **fresh** weight
//!   observer from the module's qconfig sees the float weight once, the weight is quantized with
//!   its qparams (`_quantize_weight`: `quantize_per_tensor` or `quantize_per_channel`, qint8), and
//!   the output `scale`/`zero_point` come from the activation observer;
//! - BatchNorm2d → QuantizedBatchNorm2d with the observer's output qparams;
//! - a module with a qconfig whose type is not in the mapping stays float (listed in
//!   [`Converted::float_modules`]); observers are dropped.
//!
//! Not here: dynamic quantization (`dynamic.rs`), the report (`report.rs`).

use super::prepare::Prepared;
use crate::model::tree::{Kind, Model, QuantizedConv2d, QuantizedLinear};
use crate::rules::error::{Error, Result};
use crate::rules::{QParams, QuantDType};
use std::collections::BTreeMap;

/// Float type → quantized implementation, as `get_default_static_quant_module_mappings()`.
pub const DEFAULT_STATIC_MAPPING: &[(&str, &str)] = &[
    ("QuantStub", "Quantize"),
    ("DeQuantStub", "DeQuantize"),
    ("Linear", "QuantizedLinear"),
    ("LinearReLU", "QuantizedLinearReLU"),
    ("Conv2d", "QuantizedConv2d"),
    ("ConvReLU2d", "QuantizedConvReLU2d"),
    ("BatchNorm2d", "QuantizedBatchNorm2d"),
];

/// A module mapping for `convert`: which float types to swap, and for what.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    entries: BTreeMap<String, String>,
}

impl Default for Mapping {
    fn default() -> Self {
        Mapping { entries: DEFAULT_STATIC_MAPPING.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect() }
    }
}

impl Mapping {
    /// A custom mapping from `(float type, quantized type)` pairs. Every pair must be one
    /// quantplay implements (see [`DEFAULT_STATIC_MAPPING`]); anything else is an error naming
    /// the pair and the valid ones.
    pub fn custom<S: AsRef<str>>(pairs: &[(S, S)]) -> Result<Mapping> {
        let valid = || DEFAULT_STATIC_MAPPING.iter().map(|(a, b)| format!("{a} → {b}")).collect::<Vec<_>>().join(", ");
        let mut entries = BTreeMap::new();
        for (f, q) in pairs {
            let (f, q) = (f.as_ref(), q.as_ref());
            if !DEFAULT_STATIC_MAPPING.iter().any(|(a, b)| *a == f && *b == q) {
                return Err(Error::InvalidArgument {
                    name: "mapping entry",
                    value: format!("{f} → {q}"),
                    valid: valid(),
                });
            }
            entries.insert(f.to_string(), q.to_string());
        }
        Ok(Mapping { entries })
    }

    /// Whether `float_type` is swapped.
    pub fn maps(&self, float_type: &str) -> bool {
        self.entries.contains_key(float_type)
    }
}

/// The converted model and what convert noticed.
#[derive(Debug, Clone)]
pub struct Converted {
    /// The quantized model.
    pub model: Model,
    /// Modules that had a qconfig but stayed float (not in the mapping), with their types.
    pub float_modules: Vec<(String, String)>,
    /// Warnings (e.g. an observer that saw no data: scale 1.0, zero_point 0, as torch does).
    pub warnings: Vec<String>,
}

/// Quantizes a float weight with qint8 `q` (`_quantize_weight`); per-channel along axis 0.
/// Compiled with AVX2 where the CPU has it, so `round_ties_even` is one instruction instead of a
/// libm call (the same exactly rounded result).
pub fn quantize_weight(w: &[f32], q: &QParams) -> Vec<i8> {
    crate::backend::cpu::fast::simd::quantize_i8(w, q)
}

fn act_qparams(p: &Prepared, path: &str, warnings: &mut Vec<String>) -> Result<(f32, i32)> {
    let obs = p.observers.get(path).ok_or_else(|| Error::Model {
        path: path.into(),
        detail: "has a qconfig but no activation observer; was the model prepared?".into(),
    })?;
    let calc = obs.calculate_qparams().map_err(|e| Error::Model { path: path.into(), detail: e.to_string() })?;
    if let Some(w) = calc.warning {
        warnings.push(format!("{path}: {}: {}", w.observer, w.message));
    }
    match calc.qparams {
        QParams::PerTensor { scale, zero_point, .. } => Ok((scale, zero_point)),
        QParams::PerChannel { .. } => {
            Err(Error::Model { path: path.into(), detail: "activation observers must be per tensor".into() })
        }
    }
}

fn weight_qparams(p: &Prepared, path: &str, w: &[f32], shape: &[usize]) -> Result<QParams> {
    let q = &p.qconfigs[path];
    let mut obs = q.weight.build().map_err(|e| Error::Model { path: path.into(), detail: e.to_string() })?;
    obs.forward(w, shape).map_err(|e| Error::Model { path: path.into(), detail: format!("weight: {e}") })?;
    let wq = obs
        .calculate_qparams()
        .map_err(|e| Error::Model { path: path.into(), detail: format!("weight: {e}") })?
        .qparams;
    if !matches!(
        &wq,
        QParams::PerTensor { dtype: QuantDType::QInt8, .. } | QParams::PerChannel { dtype: QuantDType::QInt8, .. }
    ) {
        return Err(Error::Model { path: path.into(), detail: "Weight observer must have dtype torch.qint8".into() });
    }
    Ok(wq)
}

/// `convert(prepared, mapping, inplace=False)`: `prepared` is untouched.
pub fn convert(p: &Prepared, mapping: &Mapping) -> Result<Converted> {
    let mut model = p.model.clone();
    let mut warnings = p.warnings.clone();
    let mut float_modules = Vec::new();
    for (path, m) in p.model.leaves() {
        if !p.qconfigs.contains_key(&path) {
            continue;
        }
        let ty = m.kind.type_name();
        if !mapping.maps(ty) {
            if p.observers.contains_key(&path) || matches!(m.kind, Kind::DeQuantStub) {
                float_modules.push((path.clone(), ty.to_string()));
            }
            continue;
        }
        let new = match &m.kind {
            Kind::QuantStub => {
                let (scale, zero_point) = act_qparams(p, &path, &mut warnings)?;
                Kind::Quantize(QParams::PerTensor { scale, zero_point, dtype: QuantDType::QUInt8 })
            }
            Kind::DeQuantStub => Kind::DeQuantize,
            Kind::Linear(l) | Kind::LinearReLU(l) => {
                let wq = weight_qparams(p, &path, &l.weight, &[l.out_features, l.in_features])?;
                let (scale, zero_point) = act_qparams(p, &path, &mut warnings)?;
                Kind::QuantizedLinear(QuantizedLinear {
                    in_features: l.in_features,
                    out_features: l.out_features,
                    weight_codes: quantize_weight(&l.weight, &wq),
                    weight_qparams: wq,
                    bias: l.bias.clone(),
                    scale,
                    zero_point,
                    relu: matches!(m.kind, Kind::LinearReLU(_)),
                })
            }
            Kind::Conv2d(c) | Kind::ConvReLU2d(c) => {
                let wq = weight_qparams(p, &path, &c.weight, &c.weight_shape())?;
                let (scale, zero_point) = act_qparams(p, &path, &mut warnings)?;
                Kind::QuantizedConv2d(QuantizedConv2d {
                    in_channels: c.in_channels,
                    out_channels: c.out_channels,
                    kernel_size: c.kernel_size,
                    stride: c.stride,
                    padding: c.padding,
                    weight_codes: quantize_weight(&c.weight, &wq),
                    weight_qparams: wq,
                    bias: c.bias.clone(),
                    scale,
                    zero_point,
                    relu: matches!(m.kind, Kind::ConvReLU2d(_)),
                })
            }
            Kind::BatchNorm(bn) if bn.dim == 2 => {
                let (scale, zero_point) = act_qparams(p, &path, &mut warnings)?;
                Kind::QuantizedBatchNorm2d { bn: bn.clone(), scale, zero_point }
            }
            _ => continue,
        };
        model.get_mut(&path).expect("path from leaves()").kind = new;
    }
    Ok(Converted { model, float_modules, warnings })
}

/// `quantize(model, run_fn, run_args, mapping, inplace)`: prepare a copy of `model` (or `model`
/// itself when `inplace`), call `run_fn(prepared, run_args)` to calibrate, convert. With
/// `inplace = false` the caller's model is untouched; with `inplace = true` it becomes the
/// converted model. On any error the caller's model is unchanged.
pub fn quantize<A: ?Sized>(
    model: &mut Model,
    run_fn: impl FnOnce(&mut Prepared, &A) -> Result<()>,
    run_args: &A,
    mapping: &Mapping,
    dict: &super::prepare::QConfigDict,
    inplace: bool,
) -> Result<Converted> {
    let mut prepared = super::prepare::prepare(model, dict)?;
    run_fn(&mut prepared, run_args)?;
    let converted = convert(&prepared, mapping)?;
    if inplace {
        *model = converted.model.clone();
    }
    Ok(converted)
}
