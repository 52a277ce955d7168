//! `torch.ao.quantization.quantize_dynamic` for Linear: qint8 weights quantized once at convert
//! time; activations quantized per batch at run time from the batch's min/max
//! (`torch.ops.quantized.linear_dynamic`, which `nnqd.Linear` calls with `reduce_range=True`),
//! float output. Follows torch/ao/quantization/quantize.py (`quantize_dynamic`) and
//! torch/ao/nn/quantized/dynamic/modules/linear.py (`from_float`, `forward`).
//!
//! With the default spec only `nn.Linear` modules get a qconfig (by type), so a fused
//! `LinearReLU` stays float, as in torch.
//!
//! Not here: static quantization (`convert.rs`).

use super::convert::quantize_weight;
use crate::error::{Error, Result};
use crate::model::tree::{DynamicLinear, Kind, Model};
use crate::quant::qconfig::QConfig;

/// `quantize_dynamic(model, {nn.Linear: qconfig}, dtype=torch.qint8, inplace=False)`: returns
/// the converted copy and the paths it swapped; `model` is untouched. `qconfig` is
/// `default_dynamic_qconfig` or `per_channel_dynamic_qconfig`.
pub fn quantize_dynamic(model: &Model, qconfig: &QConfig) -> Result<(Model, Vec<String>)> {
    let mut out = model.clone();
    let mut swapped = Vec::new();
    for (path, m) in model.leaves() {
        let Kind::Linear(l) = &m.kind else { continue };
        if m.qconfig == crate::model::spec::QConfigAttr::None {
            continue;
        }
        let mut obs = qconfig.weight.build().map_err(|e| Error::Model { path: path.clone(), detail: e.to_string() })?;
        obs.forward(&l.weight, &[l.out_features, l.in_features]).map_err(|e| Error::Model { path: path.clone(), detail: format!("weight: {e}") })?;
        let wq = obs.calculate_qparams().map_err(|e| Error::Model { path: path.clone(), detail: format!("weight: {e}") })?.qparams;
        out.get_mut(&path).expect("path from leaves()").kind = Kind::DynamicQuantizedLinear(DynamicLinear {
            in_features: l.in_features,
            out_features: l.out_features,
            weight_codes: quantize_weight(&l.weight, &wq),
            weight_qparams: wq,
            bias: l.bias.clone(),
            reduce_range: true,
        });
        swapped.push(path);
    }
    Ok((out, swapped))
}
