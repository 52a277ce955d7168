//! Saving and loading a converted (int8) model as one safetensors file, layout
//! `quantplay-int8/1` (documented in docs/model-format.md):
//! - `__metadata__["format"] = "quantplay-int8/1"`, `__metadata__["model"]` = the module tree as
//!   JSON: each node's `name`, `type` (torch's name, e.g. `QuantizedLinearReLU`), sizes and
//!   scalar qparams (`scale`, `zero_point`, `weight_qscheme`, `weight_axis`);
//! - tensors: `<path>.weight` int8 codes in the float weight's shape, `<path>.weight_scale` f32
//!   and `<path>.weight_zero_point` int32 (one per tensor or per output channel), `<path>.bias`
//!   f32; float modules keep their `state_dict` keys.
//!
//! Not here: float model files (`spec.rs`, `state.rs`).
//!
//! Length: one role, the int8 file's writer and reader side by side, so the layout is stated once and both directions match.

use super::int8_check as check;
use super::state::{StateDict, Tensor};
use super::tree::{BatchNorm, Conv2d, DynamicLinear, Kind, Linear, Model, Module, QuantizedConv2d, QuantizedLinear};
use crate::backend::HostData;
use crate::rules::error::{Error, Result};
use crate::rules::{QParams, QuantDType};
use serde_json::{json, Value};
use std::collections::HashMap;

/// The format tag.
pub const FORMAT: &str = "quantplay-int8/1";

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

fn put_weight(sd: &mut StateDict, path: &str, codes: &[i8], shape: &[usize], q: &QParams, node: &mut Value) {
    sd.insert(join(path, "weight"), Tensor { shape: shape.to_vec(), data: HostData::I8(codes.to_vec()) });
    let (scales, zps, axis) = match q {
        QParams::PerTensor { scale, zero_point, .. } => (vec![*scale], vec![*zero_point], None),
        QParams::PerChannel { scales, zero_points, axis, .. } => (scales.clone(), zero_points.clone(), Some(*axis)),
    };
    node["weight_qscheme"] = json!(if axis.is_some() { "per_channel_affine" } else { "per_tensor_affine" });
    node["weight_axis"] = json!(axis);
    sd.insert(join(path, "weight_scale"), Tensor::f32(&[scales.len()], scales));
    sd.insert(join(path, "weight_zero_point"), Tensor { shape: vec![zps.len()], data: HostData::I32(zps) });
}

fn put_f32(sd: &mut StateDict, key: String, v: &Option<Vec<f32>>) {
    if let Some(v) = v {
        sd.insert(key, Tensor::f32(&[v.len()], v.clone()));
    }
}

fn save_node(m: &Module, path: &str, sd: &mut StateDict) -> Value {
    let mut node = json!({"name": m.name, "type": m.kind.type_name()});
    match &m.kind {
        Kind::QuantizedLinear(q) => {
            node["in_features"] = json!(q.in_features);
            node["out_features"] = json!(q.out_features);
            node["scale"] = json!(q.scale);
            node["zero_point"] = json!(q.zero_point);
            put_weight(sd, path, &q.weight_codes, &[q.out_features, q.in_features], &q.weight_qparams, &mut node);
            put_f32(sd, join(path, "bias"), &q.bias);
        }
        Kind::QuantizedConv2d(q) => {
            node["in_channels"] = json!(q.in_channels);
            node["out_channels"] = json!(q.out_channels);
            node["kernel_size"] = json!([q.kernel_size.0, q.kernel_size.1]);
            node["stride"] = json!([q.stride.0, q.stride.1]);
            node["padding"] = json!([q.padding.0, q.padding.1]);
            node["scale"] = json!(q.scale);
            node["zero_point"] = json!(q.zero_point);
            put_weight(
                sd,
                path,
                &q.weight_codes,
                &[q.out_channels, q.in_channels, q.kernel_size.0, q.kernel_size.1],
                &q.weight_qparams,
                &mut node,
            );
            put_f32(sd, join(path, "bias"), &q.bias);
        }
        Kind::DynamicQuantizedLinear(d) => {
            node["in_features"] = json!(d.in_features);
            node["out_features"] = json!(d.out_features);
            node["reduce_range"] = json!(d.reduce_range);
            put_weight(sd, path, &d.weight_codes, &[d.out_features, d.in_features], &d.weight_qparams, &mut node);
            put_f32(sd, join(path, "bias"), &d.bias);
        }
        Kind::Quantize(QParams::PerTensor { scale, zero_point, .. }) => {
            node["scale"] = json!(scale);
            node["zero_point"] = json!(zero_point);
        }
        Kind::QuantizedBatchNorm2d { bn, scale, zero_point } => {
            node["num_features"] = json!(bn.num_features);
            node["eps"] = json!(bn.eps);
            node["scale"] = json!(scale);
            node["zero_point"] = json!(zero_point);
            put_f32(sd, join(path, "weight"), &bn.weight);
            put_f32(sd, join(path, "bias"), &bn.bias);
            put_f32(sd, join(path, "running_mean"), &Some(bn.running_mean.clone()));
            put_f32(sd, join(path, "running_var"), &Some(bn.running_var.clone()));
        }
        Kind::Sequential => {
            node["children"] =
                Value::Array(m.children.iter().map(|c| save_node(c, &join(path, &c.name), sd)).collect());
        }
        _ => {
            // A float module: its spec fields, and its parameters under state_dict keys.
            let single = Model {
                root: Module {
                    name: String::new(),
                    kind: m.kind.clone(),
                    qconfig: Default::default(),
                    children: vec![],
                },
                input_shape: None,
                fuse: vec![],
            };
            for (k, t) in single.state_dict().tensors {
                sd.insert(join(path, &k), t);
            }
            if let Some(spec) = float_fields(&m.kind) {
                for (k, v) in spec.as_object().expect("object") {
                    node[k] = v.clone();
                }
            }
        }
    }
    node
}

fn float_fields(k: &Kind) -> Option<Value> {
    Some(match k {
        Kind::Linear(l) | Kind::LinearReLU(l) => {
            json!({"in_features": l.in_features, "out_features": l.out_features, "bias": l.bias.is_some()})
        }
        Kind::Conv2d(c) | Kind::ConvReLU2d(c) => {
            json!({"in_channels": c.in_channels, "out_channels": c.out_channels, "kernel_size": [c.kernel_size.0, c.kernel_size.1],
            "stride": [c.stride.0, c.stride.1], "padding": [c.padding.0, c.padding.1], "bias": c.bias.is_some()})
        }
        Kind::BatchNorm(b) => {
            json!({"num_features": b.num_features, "eps": b.eps, "momentum": b.momentum, "affine": b.weight.is_some()})
        }
        Kind::Flatten { start_dim, end_dim } => json!({"start_dim": start_dim, "end_dim": end_dim}),
        Kind::Dropout { p } => json!({ "p": p }),
        Kind::MaxPool2d(p) => p.to_json(),
        _ => return None,
    })
}

/// Encodes a converted model as one safetensors file.
pub fn save(model: &Model) -> Result<Vec<u8>> {
    let mut sd = StateDict::default();
    let tree = save_node(&model.root, "", &mut sd);
    let meta = HashMap::from([
        ("format".to_string(), FORMAT.to_string()),
        ("model".to_string(), tree.to_string()),
        ("input_shape".to_string(), json!(model.input_shape).to_string()),
    ]);
    sd.to_safetensors(Some(meta))
}

fn err(path: &str, detail: impl Into<String>) -> Error {
    Error::Model { path: path.into(), detail: detail.into() }
}

struct Reader<'a> {
    sd: &'a StateDict,
}

impl Reader<'_> {
    fn f32(&self, key: &str) -> Result<Vec<f32>> {
        match self.sd.tensors.get(key).map(|t| &t.data) {
            Some(HostData::F32(v)) => Ok(v.clone()),
            _ => Err(err(key, "missing or not float32 in the int8 model file")),
        }
    }
    /// An optional vector of `n` values at `path.name` (absent is `None`; present with another
    /// length or dtype is an error).
    fn bias(&self, path: &str, name: &str, n: usize) -> Result<Option<Vec<f32>>> {
        let key = join(path, name);
        if !self.sd.tensors.contains_key(&key) {
            return Ok(None);
        }
        let v = Some(self.f32(&key)?);
        check::length(path, name, &v, n)?;
        Ok(v)
    }
    fn weight(&self, path: &str, node: &Value, shape: &[usize]) -> Result<(Vec<i8>, QParams)> {
        let (codes, codes_shape) = match self.sd.tensors.get(&join(path, "weight")) {
            Some(Tensor { shape, data: HostData::I8(v) }) => (v.clone(), shape.clone()),
            _ => return Err(err(path, "weight codes missing or not int8")),
        };
        let scales = self.f32(&join(path, "weight_scale"))?;
        let zps = match self.sd.tensors.get(&join(path, "weight_zero_point")).map(|t| &t.data) {
            Some(HostData::I32(v)) => v.clone(),
            _ => return Err(err(path, "weight_zero_point missing or not int32")),
        };
        let axis = match &node["weight_axis"] {
            Value::Null => None,
            v => Some(v.as_u64().ok_or_else(|| err(path, format!("weight_axis is {v}; expected 0 or null")))?),
        };
        Ok((codes, check::weight(path, shape, &codes_shape, scales, zps, axis)?))
    }
}

fn us(node: &Value, k: &str) -> usize {
    node[k].as_u64().unwrap_or(0) as usize
}

fn pair(node: &Value, k: &str) -> (usize, usize) {
    (node[k][0].as_u64().unwrap_or(0) as usize, node[k][1].as_u64().unwrap_or(0) as usize)
}

fn features(node: &Value, path: &str) -> Result<(usize, usize)> {
    let (i, o) = (us(node, "in_features"), us(node, "out_features"));
    check::positive(path, &[("in_features", i), ("out_features", o)])?;
    Ok((i, o))
}

type ConvSizes = (usize, usize, (usize, usize), (usize, usize), (usize, usize));

fn conv_sizes(node: &Value, path: &str) -> Result<ConvSizes> {
    let (i, o) = (us(node, "in_channels"), us(node, "out_channels"));
    check::positive(path, &[("in_channels", i), ("out_channels", o)])?;
    let (k, s, p) = (pair(node, "kernel_size"), pair(node, "stride"), pair(node, "padding"));
    check::conv_geometry(path, k, s, p)?;
    Ok((i, o, k, s, p))
}

fn load_node(node: &Value, path: &str, r: &Reader) -> Result<Module> {
    let ty = node["type"].as_str().ok_or_else(|| err(path, "node without a type"))?;
    let name = node["name"].as_str().unwrap_or("").to_string();
    let quantized = ty.starts_with("Quantize");
    let (scale, zero_point) = if quantized {
        check::activation(path, node["scale"].as_f64().unwrap_or(1.0), node["zero_point"].as_i64().unwrap_or(0))?
    } else {
        (1.0, 0)
    };
    let mut children = Vec::new();
    let kind = match ty {
        "Sequential" => {
            for c in node["children"].as_array().ok_or_else(|| err(path, "Sequential without children"))? {
                let cp = join(path, c["name"].as_str().unwrap_or(""));
                children.push(load_node(c, &cp, r)?);
            }
            Kind::Sequential
        }
        "QuantizedLinear" | "QuantizedLinearReLU" => {
            let (in_features, out_features) = features(node, path)?;
            let (weight_codes, weight_qparams) = r.weight(path, node, &[out_features, in_features])?;
            Kind::QuantizedLinear(QuantizedLinear {
                in_features,
                out_features,
                weight_codes,
                weight_qparams,
                bias: r.bias(path, "bias", out_features)?,
                scale,
                zero_point,
                relu: ty.ends_with("ReLU"),
            })
        }
        "QuantizedConv2d" | "QuantizedConvReLU2d" => {
            let (in_channels, out_channels, kernel_size, stride, padding) = conv_sizes(node, path)?;
            let shape = [out_channels, in_channels, kernel_size.0, kernel_size.1];
            let (weight_codes, weight_qparams) = r.weight(path, node, &shape)?;
            Kind::QuantizedConv2d(QuantizedConv2d {
                in_channels,
                out_channels,
                kernel_size,
                stride,
                padding,
                weight_codes,
                weight_qparams,
                bias: r.bias(path, "bias", out_channels)?,
                scale,
                zero_point,
                relu: ty == "QuantizedConvReLU2d",
            })
        }
        "DynamicQuantizedLinear" | "DynamicQuantizedLinearReLU" => {
            let (in_features, out_features) = features(node, path)?;
            let (weight_codes, weight_qparams) = r.weight(path, node, &[out_features, in_features])?;
            Kind::DynamicQuantizedLinear(DynamicLinear {
                in_features,
                out_features,
                weight_codes,
                weight_qparams,
                bias: r.bias(path, "bias", out_features)?,
                reduce_range: node["reduce_range"].as_bool().unwrap_or(true),
                relu: ty.ends_with("ReLU"),
            })
        }
        "Quantize" => Kind::Quantize(QParams::PerTensor { scale, zero_point, dtype: QuantDType::QUInt8 }),
        "DeQuantize" => Kind::DeQuantize,
        "QuantizedBatchNorm2d" => Kind::QuantizedBatchNorm2d { bn: bn(node, path, r)?, scale, zero_point },
        "Linear" | "LinearReLU" => {
            let pre = if ty == "LinearReLU" { "0." } else { "" };
            let (in_features, out_features) = features(node, path)?;
            let l = Linear {
                in_features,
                out_features,
                weight: r.sd.f32(&join(path, &format!("{pre}weight")), &[out_features, in_features])?,
                bias: r.bias(path, &format!("{pre}bias"), out_features)?,
            };
            if ty == "LinearReLU" {
                Kind::LinearReLU(l)
            } else {
                Kind::Linear(l)
            }
        }
        "Conv2d" | "ConvReLU2d" => {
            let pre = if ty == "ConvReLU2d" { "0." } else { "" };
            let (in_channels, out_channels, kernel_size, stride, padding) = conv_sizes(node, path)?;
            let shape = [out_channels, in_channels, kernel_size.0, kernel_size.1];
            let c = Conv2d {
                in_channels,
                out_channels,
                kernel_size,
                stride,
                padding,
                weight: r.sd.f32(&join(path, &format!("{pre}weight")), &shape)?,
                bias: r.bias(path, &format!("{pre}bias"), out_channels)?,
            };
            if ty == "ConvReLU2d" {
                Kind::ConvReLU2d(c)
            } else {
                Kind::Conv2d(c)
            }
        }
        "BatchNorm1d" | "BatchNorm2d" => {
            Kind::BatchNorm(BatchNorm { dim: if ty == "BatchNorm1d" { 1 } else { 2 }, ..bn(node, path, r)? })
        }
        "ReLU" => Kind::ReLU,
        "Flatten" => Kind::Flatten {
            start_dim: node["start_dim"].as_i64().unwrap_or(1),
            end_dim: node["end_dim"].as_i64().unwrap_or(-1),
        },
        "Dropout" => Kind::Dropout { p: node["p"].as_f64().unwrap_or(0.5) },
        "MaxPool2d" => Kind::MaxPool2d(super::pool::MaxPool2d::from_json(node, path)?),
        "QuantStub" => Kind::QuantStub,
        "DeQuantStub" => Kind::DeQuantStub,
        "Identity" => Kind::Identity,
        other => return Err(err(path, format!("unknown module type {other:?} in the int8 model file"))),
    };
    Ok(Module { name, kind, qconfig: Default::default(), children })
}

fn bn(node: &Value, path: &str, r: &Reader) -> Result<BatchNorm> {
    let n = us(node, "num_features");
    check::positive(path, &[("num_features", n)])?;
    let b = BatchNorm {
        dim: 2,
        num_features: n,
        eps: node["eps"].as_f64().unwrap_or(1e-5),
        momentum: node["momentum"].as_f64().unwrap_or(0.1),
        weight: r.bias(path, "weight", n)?,
        bias: r.bias(path, "bias", n)?,
        running_mean: r.sd.f32(&join(path, "running_mean"), &[n])?,
        running_var: r.sd.f32(&join(path, "running_var"), &[n])?,
    };
    Ok(b)
}

/// Loads a file written by [`save`].
pub fn load(bytes: &[u8]) -> Result<Model> {
    let (sd, meta) = StateDict::from_safetensors(bytes)?;
    if meta.get("format").map(String::as_str) != Some(FORMAT) {
        return Err(err(
            "",
            format!("not a quantplay int8 model: __metadata__.format is {:?}, expected {FORMAT:?}", meta.get("format")),
        ));
    }
    let tree: Value = serde_json::from_str(meta.get("model").map(String::as_str).unwrap_or("null"))
        .map_err(|e| err("", format!("bad model metadata: {e}")))?;
    let input_shape = meta.get("input_shape").and_then(|s| serde_json::from_str(s).ok()).flatten();
    Ok(Model { root: load_node(&tree, "", &Reader { sd: &sd })?, input_shape, fuse: vec![] })
}
