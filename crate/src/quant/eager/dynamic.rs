//! `torch.ao.quantization.quantize_dynamic` for Linear (and the fused LinearReLU when asked):
//! qint8 weights quantized once at convert time with the qconfig's weight observer; activations
//! quantized per batch at run time from the batch's min/max (`torch.ops.quantized.linear_dynamic`,
//! which `nnqd.Linear` calls with `reduce_range=True`), float output. Follows
//! torch/ao/quantization/quantize.py (`quantize_dynamic`) and
//! torch/ao/nn/quantized/dynamic/modules/linear.py (`from_float`, `forward`); the run-time op is
//! `quant::dynamic::quantized_linear_dynamic`.
//!
//! torch's default spec (`qconfig_spec=None`) maps `nn.Linear` only, so a fused `LinearReLU`
//! stays float unless `types` names it (then it becomes `DynamicQuantizedLinearReLU`).
//!
//! Not here: static quantization (`convert.rs`).

use super::convert::quantize_weight;
use crate::model::spec::QConfigAttr;
use crate::model::tree::{DynamicLinear, Kind, Model};
use crate::quant::qconfig::QConfig;
use crate::rules::error::{Error, Result};

/// The module types `quantize_dynamic` can swap.
pub const DYNAMIC_TYPES: &str = "Linear, LinearReLU";

/// `quantize_dynamic(model, {type: qconfig for type in types}, dtype=torch.qint8,
/// inplace=False)`: returns the converted copy and the swapped paths; `model` is untouched.
/// `qconfig` is `default_dynamic_qconfig()` or `per_channel_dynamic_qconfig()`; `types` names
/// torch types (`["Linear"]` is torch's default). A module whose own qconfig is None stays float.
pub fn quantize_dynamic(model: &Model, qconfig: &QConfig, types: &[&str]) -> Result<(Model, Vec<String>)> {
    if let Some(t) = types.iter().find(|t| !["Linear", "LinearReLU"].contains(t)) {
        return Err(Error::InvalidArgument {
            name: "quantize_dynamic type",
            value: t.to_string(),
            valid: DYNAMIC_TYPES.into(),
        });
    }
    let mut out = model.clone();
    let mut swapped = Vec::new();
    for (path, m) in model.leaves() {
        let (l, relu) = match &m.kind {
            Kind::Linear(l) => (l, false),
            Kind::LinearReLU(l) => (l, true),
            _ => continue,
        };
        if !types.contains(&m.kind.type_name()) || m.qconfig == QConfigAttr::None {
            continue;
        }
        let at = |e: Error| Error::Model { path: path.clone(), detail: format!("weight: {e}") };
        let mut obs = qconfig.weight.build().map_err(at)?;
        obs.forward(&l.weight, &[l.out_features, l.in_features]).map_err(at)?;
        let wq = obs.calculate_qparams().map_err(at)?.qparams;
        out.get_mut(&path).expect("path from leaves()").kind = Kind::DynamicQuantizedLinear(DynamicLinear {
            in_features: l.in_features,
            out_features: l.out_features,
            weight_codes: quantize_weight(&l.weight, &wq),
            weight_qparams: wq,
            bias: l.bias.clone(),
            reduce_range: true,
            relu,
        });
        swapped.push(path);
    }
    Ok((out, swapped))
}
