//! The JSON model spec (docs/model-format.md, format `quantplay-model/1`): parsing with errors
//! that name the module path, the field and the valid values, and writing it back.
//!
//! Not here: weights (see `state.rs`), running a model (`forward.rs`).
//!
//! Length: one role, the spec's parser; most lines are its per-field error messages, which name path, field and valid values.

use crate::rules::error::{Error, Result};
use serde_json::{json, Map, Value};

/// The format tag every spec carries.
pub const FORMAT: &str = "quantplay-model/1";

/// A float module type and its constructor arguments, named as torch's constructors name them.
#[derive(Debug, Clone, PartialEq)]
pub enum ModuleKind {
    /// `nn.Sequential`: runs its children in order.
    Sequential,
    /// `nn.Linear(in_features, out_features, bias)`.
    Linear { in_features: usize, out_features: usize, bias: bool },
    /// `nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, bias)`, NCHW.
    Conv2d {
        in_channels: usize,
        out_channels: usize,
        kernel_size: (usize, usize),
        stride: (usize, usize),
        padding: (usize, usize),
        bias: bool,
    },
    /// `nn.BatchNorm1d` (`dim` 1) or `nn.BatchNorm2d` (`dim` 2).
    BatchNorm { dim: u8, num_features: usize, eps: f64, momentum: f64, affine: bool },
    /// `nn.ReLU`.
    ReLU,
    /// `nn.Flatten(start_dim, end_dim)`.
    Flatten { start_dim: i64, end_dim: i64 },
    /// `nn.Dropout(p)`: identity in eval mode.
    Dropout { p: f64 },
    /// `nn.MaxPool2d(kernel_size, stride, padding, ceil_mode)`, dilation 1.
    MaxPool2d(super::pool::MaxPool2d),
    /// `torch.ao.quantization.QuantStub`.
    QuantStub,
    /// `torch.ao.quantization.DeQuantStub`.
    DeQuantStub,
    /// `nn.Identity` (what fusion leaves in place of the fused-away modules).
    Identity,
}

impl ModuleKind {
    /// torch's class name (`"Linear"`, `"BatchNorm2d"`, …).
    pub fn type_name(&self) -> &'static str {
        match self {
            ModuleKind::Sequential => "Sequential",
            ModuleKind::Linear { .. } => "Linear",
            ModuleKind::Conv2d { .. } => "Conv2d",
            ModuleKind::BatchNorm { dim: 1, .. } => "BatchNorm1d",
            ModuleKind::BatchNorm { .. } => "BatchNorm2d",
            ModuleKind::ReLU => "ReLU",
            ModuleKind::Flatten { .. } => "Flatten",
            ModuleKind::Dropout { .. } => "Dropout",
            ModuleKind::MaxPool2d(_) => "MaxPool2d",
            ModuleKind::QuantStub => "QuantStub",
            ModuleKind::DeQuantStub => "DeQuantStub",
            ModuleKind::Identity => "Identity",
        }
    }
}

/// A module's own `qconfig` attribute, as in `module.qconfig = …`.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum QConfigAttr {
    /// No attribute: inherit (by name, by type, then the parent's).
    #[default]
    Inherit,
    /// `module.qconfig = None`: stay float.
    None,
    /// A named qconfig: `"default"`, `"x86"`, `"fbgemm"`, `"qnnpack"`, `"onednn"`.
    Named(String),
}

/// One node of the module tree.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeSpec {
    /// The attribute name in the parent (`""` for the root).
    pub name: String,
    /// Type and arguments.
    pub kind: ModuleKind,
    /// The module's own qconfig.
    pub qconfig: QConfigAttr,
    /// Children, in forward order (Sequential only).
    pub children: Vec<NodeSpec>,
}

/// A whole spec file.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSpec {
    /// One sample's shape, without the batch dimension, if given.
    pub input_shape: Option<Vec<usize>>,
    /// The root module.
    pub model: NodeSpec,
    /// Fuse groups as `fuse_modules` takes them: lists of module paths.
    pub fuse: Vec<Vec<String>>,
}

/// The module types the spec accepts.
pub const MODULE_TYPES: &str =
    "Sequential, Linear, Conv2d, BatchNorm1d, BatchNorm2d, ReLU, Flatten, Dropout, MaxPool2d, QuantStub, DeQuantStub, Identity";

fn bad(path: &str, detail: impl Into<String>) -> Error {
    Error::Model { path: path.to_string(), detail: detail.into() }
}

struct Fields<'a> {
    path: &'a str,
    obj: &'a Map<String, Value>,
    used: Vec<&'static str>,
}

impl<'a> Fields<'a> {
    fn get(&mut self, key: &'static str) -> Option<&'a Value> {
        self.used.push(key);
        self.obj.get(key)
    }
    fn usize(&mut self, key: &'static str, default: Option<usize>) -> Result<usize> {
        match self.get(key) {
            Some(v) => v
                .as_u64()
                .map(|n| n as usize)
                .ok_or_else(|| bad(self.path, format!("field `{key}` must be a non-negative integer, got {v}"))),
            None => default.ok_or_else(|| bad(self.path, format!("missing field `{key}`"))),
        }
    }
    fn pair(&mut self, key: &'static str, default: Option<usize>) -> Result<(usize, usize)> {
        match self.get(key) {
            Some(Value::Array(a)) if a.len() == 2 && a.iter().all(|v| v.as_u64().is_some()) => {
                Ok((a[0].as_u64().unwrap() as usize, a[1].as_u64().unwrap() as usize))
            }
            Some(v) => v.as_u64().map(|n| (n as usize, n as usize)).ok_or_else(|| {
                bad(self.path, format!("field `{key}` must be an integer or a pair of integers, got {v}"))
            }),
            None => default.map(|d| (d, d)).ok_or_else(|| bad(self.path, format!("missing field `{key}`"))),
        }
    }
    fn f64(&mut self, key: &'static str, default: f64) -> Result<f64> {
        match self.get(key) {
            Some(v) => v.as_f64().ok_or_else(|| bad(self.path, format!("field `{key}` must be a number, got {v}"))),
            None => Ok(default),
        }
    }
    fn i64(&mut self, key: &'static str, default: i64) -> Result<i64> {
        match self.get(key) {
            Some(v) => v.as_i64().ok_or_else(|| bad(self.path, format!("field `{key}` must be an integer, got {v}"))),
            None => Ok(default),
        }
    }
    fn bool(&mut self, key: &'static str, default: bool) -> Result<bool> {
        match self.get(key) {
            Some(v) => {
                v.as_bool().ok_or_else(|| bad(self.path, format!("field `{key}` must be true or false, got {v}")))
            }
            None => Ok(default),
        }
    }
    fn one(&mut self, key: &'static str) -> Result<()> {
        match self.get(key) {
            None => Ok(()),
            Some(v) if v.as_u64() == Some(1) || v == &json!([1, 1]) => Ok(()),
            Some(v) => Err(bad(self.path, format!("field `{key}` = {v} is not supported; only 1"))),
        }
    }
}

fn parse_node(v: &Value, path: &str) -> Result<NodeSpec> {
    let obj = v.as_object().ok_or_else(|| bad(path, format!("a module must be a JSON object, got {v}")))?;
    let mut f = Fields { path, obj, used: vec!["name", "type", "qconfig"] };
    let name = match obj.get("name") {
        Some(Value::String(s)) => s.clone(),
        None if path.is_empty() => String::new(),
        other => return Err(bad(path, format!("every child needs a string `name`, got {other:?}"))),
    };
    let ty = obj
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| bad(path, format!("missing string field `type`; valid types: {MODULE_TYPES}")))?;
    let kind = match ty {
        "Sequential" => ModuleKind::Sequential,
        "Linear" => ModuleKind::Linear {
            in_features: f.usize("in_features", None)?,
            out_features: f.usize("out_features", None)?,
            bias: f.bool("bias", true)?,
        },
        "Conv2d" => {
            f.one("dilation")?;
            f.one("groups")?;
            ModuleKind::Conv2d {
                in_channels: f.usize("in_channels", None)?,
                out_channels: f.usize("out_channels", None)?,
                kernel_size: f.pair("kernel_size", None)?,
                stride: f.pair("stride", Some(1))?,
                padding: f.pair("padding", Some(0))?,
                bias: f.bool("bias", true)?,
            }
        }
        "BatchNorm1d" | "BatchNorm2d" => ModuleKind::BatchNorm {
            dim: if ty == "BatchNorm1d" { 1 } else { 2 },
            num_features: f.usize("num_features", None)?,
            eps: f.f64("eps", 1e-5)?,
            momentum: f.f64("momentum", 0.1)?,
            affine: f.bool("affine", true)?,
        },
        "ReLU" => ModuleKind::ReLU,
        "Flatten" => ModuleKind::Flatten { start_dim: f.i64("start_dim", 1)?, end_dim: f.i64("end_dim", -1)? },
        "Dropout" => ModuleKind::Dropout { p: f.f64("p", 0.5)? },
        "MaxPool2d" => {
            let kernel_size = f.pair("kernel_size", None)?;
            let stride = match obj.get("stride") {
                None | Some(Value::Null) => {
                    f.used.push("stride");
                    kernel_size // torch's stride=None
                }
                Some(_) => f.pair("stride", None)?,
            };
            let (padding, ceil_mode) = (f.pair("padding", Some(0))?, f.bool("ceil_mode", false)?);
            let pool = super::pool::MaxPool2d { kernel_size, stride, padding, ceil_mode };
            ModuleKind::MaxPool2d(pool.checked(path, f.get("dilation"))?)
        }
        "QuantStub" => ModuleKind::QuantStub,
        "DeQuantStub" => ModuleKind::DeQuantStub,
        "Identity" => ModuleKind::Identity,
        other => return Err(bad(path, format!("unknown module type {other:?}; valid types: {MODULE_TYPES}"))),
    };
    if matches!(kind, ModuleKind::Conv2d { stride: (0, _) | (_, 0), .. }) {
        return Err(bad(path, "Conv2d stride must be >= 1"));
    }
    if let ModuleKind::Conv2d { kernel_size: k, padding: p, .. } = kind {
        // quantplay's limit (torch has none): past the kernel size a padded row is only zeros,
        // and a claimed padding of 2^31 would make the first forward pass allocate terabytes.
        if p.0 > k.0 || p.1 > k.1 {
            return Err(bad(
                path,
                format!("Conv2d padding ({}, {}) is larger than kernel_size ({}, {}); padding up to the kernel size is accepted", p.0, p.1, k.0, k.1),
            ));
        }
    }
    let qconfig = match obj.get("qconfig") {
        None => QConfigAttr::Inherit,
        Some(Value::Null) => QConfigAttr::None,
        Some(Value::String(s)) => QConfigAttr::Named(s.clone()),
        Some(v) => return Err(bad(path, format!("`qconfig` must be a qconfig name or null, got {v}"))),
    };
    let mut children = Vec::new();
    if kind == ModuleKind::Sequential {
        f.used.push("children");
        let list = obj
            .get("children")
            .and_then(Value::as_array)
            .ok_or_else(|| bad(path, "a Sequential needs a `children` array"))?;
        for c in list {
            let cname = c.get("name").and_then(Value::as_str).unwrap_or("?");
            let cpath = if path.is_empty() { cname.to_string() } else { format!("{path}.{cname}") };
            let child = parse_node(c, &cpath)?;
            if children.iter().any(|o: &NodeSpec| o.name == child.name) {
                return Err(bad(&cpath, "two children share this name"));
            }
            if child.name.is_empty() || child.name.contains('.') {
                return Err(bad(
                    &cpath,
                    format!("child names must be non-empty and contain no '.', got {:?}", child.name),
                ));
            }
            children.push(child);
        }
    }
    if let Some(k) = obj.keys().find(|k| !f.used.contains(&k.as_str())) {
        return Err(bad(path, format!("unknown field `{k}` for {ty}; valid fields: {}", f.used.join(", "))));
    }
    Ok(NodeSpec { name, kind, qconfig, children })
}

/// Parses a spec file's text.
pub fn parse(text: &str) -> Result<ModelSpec> {
    let v: Value = serde_json::from_str(text).map_err(|e| bad("", format!("the spec is not valid JSON: {e}")))?;
    let obj = v.as_object().ok_or_else(|| bad("", "the spec must be a JSON object"))?;
    match obj.get("format").and_then(Value::as_str) {
        Some(FORMAT) => {}
        other => return Err(bad("", format!("`format` must be {FORMAT:?}, got {other:?}"))),
    }
    for k in obj.keys() {
        if !["format", "input_shape", "model", "fuse"].contains(&k.as_str()) {
            return Err(bad(
                "",
                format!("unknown top-level field `{k}`; valid fields: format, input_shape, model, fuse"),
            ));
        }
    }
    let input_shape = match obj.get("input_shape") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            serde_json::from_value::<Vec<usize>>(v.clone())
                .map_err(|_| bad("", format!("`input_shape` must be a list of sizes, got {v}")))?,
        ),
    };
    let model = parse_node(obj.get("model").ok_or_else(|| bad("", "missing field `model`"))?, "")?;
    let fuse = match obj.get("fuse") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => serde_json::from_value::<Vec<Vec<String>>>(v.clone())
            .map_err(|_| bad("", format!("`fuse` must be a list of lists of module paths, got {v}")))?,
    };
    Ok(ModelSpec { input_shape, model, fuse })
}

fn pair_json(p: (usize, usize)) -> Value {
    if p.0 == p.1 {
        json!(p.0)
    } else {
        json!([p.0, p.1])
    }
}

/// A node back to JSON (the same fields [`parse`] reads).
pub fn node_to_json(n: &NodeSpec) -> Value {
    let mut o = match &n.kind {
        ModuleKind::Linear { in_features, out_features, bias } => {
            json!({"in_features": in_features, "out_features": out_features, "bias": bias})
        }
        ModuleKind::Conv2d { in_channels, out_channels, kernel_size, stride, padding, bias } => {
            json!({"in_channels": in_channels, "out_channels": out_channels,
            "kernel_size": pair_json(*kernel_size), "stride": pair_json(*stride), "padding": pair_json(*padding), "bias": bias})
        }
        ModuleKind::BatchNorm { num_features, eps, momentum, affine, .. } => {
            json!({"num_features": num_features, "eps": eps, "momentum": momentum, "affine": affine})
        }
        ModuleKind::Flatten { start_dim, end_dim } => json!({"start_dim": start_dim, "end_dim": end_dim}),
        ModuleKind::Dropout { p } => json!({ "p": p }),
        ModuleKind::MaxPool2d(p) => p.to_json(),
        _ => json!({}),
    };
    let m = o.as_object_mut().expect("object");
    if !n.name.is_empty() {
        m.insert("name".into(), json!(n.name));
    }
    m.insert("type".into(), json!(n.kind.type_name()));
    match &n.qconfig {
        QConfigAttr::Inherit => {}
        QConfigAttr::None => {
            m.insert("qconfig".into(), Value::Null);
        }
        QConfigAttr::Named(s) => {
            m.insert("qconfig".into(), json!(s));
        }
    }
    if n.kind == ModuleKind::Sequential {
        m.insert("children".into(), Value::Array(n.children.iter().map(node_to_json).collect()));
    }
    o
}

/// The whole spec back to JSON.
pub fn to_json(s: &ModelSpec) -> Value {
    let mut o = json!({"format": FORMAT, "model": node_to_json(&s.model)});
    if let Some(shape) = &s.input_shape {
        o["input_shape"] = json!(shape);
    }
    if !s.fuse.is_empty() {
        o["fuse"] = json!(s.fuse);
    }
    o
}
