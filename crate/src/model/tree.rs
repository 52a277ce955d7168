//! The module tree with its parameters: built from a spec plus a `state_dict`, walked in
//! `named_modules()` order, written back as a `state_dict`. Float modules, torch's fused
//! intrinsic modules (`LinearReLU`, `ConvReLU2d`) and the quantized modules `convert` produces
//! all live in one [`Kind`] enum, so one tree holds a model at every stage of the eager flow.
//!
//! Not here: running a module (`forward.rs`), fusion (`fuse.rs`), prepare/convert (`quant::eager`).
//!
//! Length: one role, the tree's types (one `Kind` enum and the module structs it carries) and its walks; the state_dict round trip needs both.

use super::spec::{ModelSpec, ModuleKind, NodeSpec, QConfigAttr};
use super::state::{StateDict, Tensor};
use crate::rules::error::{Error, Result};
use crate::rules::QParams;

/// `nn.Linear`'s parameters: weight `(out_features, in_features)`, bias `(out_features,)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Linear {
    pub in_features: usize,
    pub out_features: usize,
    pub weight: Vec<f32>,
    pub bias: Option<Vec<f32>>,
}

/// `nn.Conv2d`'s parameters: weight `(out, in, kh, kw)`, bias `(out,)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Conv2d {
    pub in_channels: usize,
    pub out_channels: usize,
    pub kernel_size: (usize, usize),
    pub stride: (usize, usize),
    pub padding: (usize, usize),
    pub weight: Vec<f32>,
    pub bias: Option<Vec<f32>>,
}

impl Conv2d {
    /// Weight shape `(out, in, kh, kw)`.
    pub fn weight_shape(&self) -> [usize; 4] {
        [self.out_channels, self.in_channels, self.kernel_size.0, self.kernel_size.1]
    }
}

/// `nn.BatchNorm1d/2d` parameters and running statistics, each `(num_features,)`.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchNorm {
    pub dim: u8,
    pub num_features: usize,
    pub eps: f64,
    pub momentum: f64,
    pub weight: Option<Vec<f32>>,
    pub bias: Option<Vec<f32>>,
    pub running_mean: Vec<f32>,
    pub running_var: Vec<f32>,
}

/// A quantized Linear (`nnq.Linear`, or `nniq.LinearReLU` with `relu`): qint8 weight codes
/// `(out, in)` with their qparams, the float bias, and the output's `scale`/`zero_point`.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantizedLinear {
    pub in_features: usize,
    pub out_features: usize,
    pub weight_codes: Vec<i8>,
    pub weight_qparams: QParams,
    pub bias: Option<Vec<f32>>,
    pub scale: f32,
    pub zero_point: i32,
    pub relu: bool,
}

/// A quantized Conv2d (`nnq.Conv2d`, or `nniq.ConvReLU2d` with `relu`); weight codes
/// `(out, in, kh, kw)`.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantizedConv2d {
    pub in_channels: usize,
    pub out_channels: usize,
    pub kernel_size: (usize, usize),
    pub stride: (usize, usize),
    pub padding: (usize, usize),
    pub weight_codes: Vec<i8>,
    pub weight_qparams: QParams,
    pub bias: Option<Vec<f32>>,
    pub scale: f32,
    pub zero_point: i32,
    pub relu: bool,
}

/// A dynamically quantized Linear (`nnqd.Linear`): int8 weights, activations quantized per batch.
#[derive(Debug, Clone, PartialEq)]
pub struct DynamicLinear {
    pub in_features: usize,
    pub out_features: usize,
    pub weight_codes: Vec<i8>,
    pub weight_qparams: QParams,
    pub bias: Option<Vec<f32>>,
    pub reduce_range: bool,
    /// `nniqd.LinearReLU`: ReLU on the float output.
    pub relu: bool,
}

/// What a module is, with its parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Sequential,
    Linear(Linear),
    Conv2d(Conv2d),
    BatchNorm(BatchNorm),
    ReLU,
    Flatten {
        start_dim: i64,
        end_dim: i64,
    },
    Dropout {
        p: f64,
    },
    /// `nn.MaxPool2d`: the same module float and quantized (convert keeps it, as torch does).
    MaxPool2d(super::pool::MaxPool2d),
    QuantStub,
    DeQuantStub,
    Identity,
    /// `nni.LinearReLU` (after `fuse_modules`).
    LinearReLU(Linear),
    /// `nni.ConvReLU2d` (after `fuse_modules`; a folded BatchNorm is already in the conv).
    ConvReLU2d(Conv2d),
    /// `nnq.Quantize`: per-tensor quint8 qparams.
    Quantize(QParams),
    /// `nnq.DeQuantize`.
    DeQuantize,
    QuantizedLinear(QuantizedLinear),
    QuantizedConv2d(QuantizedConv2d),
    /// `nnq.BatchNorm2d`: float statistics, output `scale`/`zero_point`.
    QuantizedBatchNorm2d {
        bn: BatchNorm,
        scale: f32,
        zero_point: i32,
    },
    DynamicQuantizedLinear(DynamicLinear),
}

impl Kind {
    /// The name torch prints for the module (`_get_name()`): `"Linear"`, `"LinearReLU"`,
    /// `"QuantizedLinearReLU"`, `"QuantizedConv2d"`, `"DynamicQuantizedLinear"`, …
    pub fn type_name(&self) -> &'static str {
        match self {
            Kind::Sequential => "Sequential",
            Kind::Linear(_) => "Linear",
            Kind::Conv2d(_) => "Conv2d",
            Kind::BatchNorm(b) if b.dim == 1 => "BatchNorm1d",
            Kind::BatchNorm(_) => "BatchNorm2d",
            Kind::ReLU => "ReLU",
            Kind::Flatten { .. } => "Flatten",
            Kind::Dropout { .. } => "Dropout",
            Kind::MaxPool2d(_) => "MaxPool2d",
            Kind::QuantStub => "QuantStub",
            Kind::DeQuantStub => "DeQuantStub",
            Kind::Identity => "Identity",
            Kind::LinearReLU(_) => "LinearReLU",
            Kind::ConvReLU2d(_) => "ConvReLU2d",
            Kind::Quantize(_) => "Quantize",
            Kind::DeQuantize => "DeQuantize",
            Kind::QuantizedLinear(q) if q.relu => "QuantizedLinearReLU",
            Kind::QuantizedLinear(_) => "QuantizedLinear",
            Kind::QuantizedConv2d(q) if q.relu => "QuantizedConvReLU2d",
            Kind::QuantizedConv2d(_) => "QuantizedConv2d",
            Kind::QuantizedBatchNorm2d { .. } => "QuantizedBatchNorm2d",
            Kind::DynamicQuantizedLinear(d) if d.relu => "DynamicQuantizedLinearReLU",
            Kind::DynamicQuantizedLinear(_) => "DynamicQuantizedLinear",
        }
    }

    /// Whether the module consumes and produces quantized tensors.
    pub fn is_quantized(&self) -> bool {
        matches!(self, Kind::QuantizedLinear(_) | Kind::QuantizedConv2d(_) | Kind::QuantizedBatchNorm2d { .. })
    }
}

/// One module: its attribute name, kind, own qconfig attribute and children.
#[derive(Debug, Clone, PartialEq)]
pub struct Module {
    pub name: String,
    pub kind: Kind,
    pub qconfig: QConfigAttr,
    pub children: Vec<Module>,
}

/// A model: the root module and, if the spec gave it, one sample's shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub root: Module,
    pub input_shape: Option<Vec<usize>>,
    /// Fuse groups from the spec (applied by `fuse_modules`, not on load).
    pub fuse: Vec<Vec<String>>,
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

fn opt(sd: &StateDict, key: &str, n: usize, present: bool) -> Result<Option<Vec<f32>>> {
    if present {
        sd.f32(key, &[n]).map(Some)
    } else {
        Ok(None)
    }
}

fn build(n: &NodeSpec, path: &str, sd: &StateDict, used: &mut Vec<String>) -> Result<Module> {
    let mut key = |k: &str| {
        let full = join(path, k);
        used.push(full.clone());
        full
    };
    let kind = match &n.kind {
        ModuleKind::Sequential => Kind::Sequential,
        &ModuleKind::Linear { in_features, out_features, bias } => Kind::Linear(Linear {
            in_features,
            out_features,
            weight: sd.f32(&key("weight"), &[out_features, in_features])?,
            bias: opt(sd, &key("bias"), out_features, bias)?,
        }),
        &ModuleKind::Conv2d { in_channels, out_channels, kernel_size, stride, padding, bias } => Kind::Conv2d(Conv2d {
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            weight: sd.f32(&key("weight"), &[out_channels, in_channels, kernel_size.0, kernel_size.1])?,
            bias: opt(sd, &key("bias"), out_channels, bias)?,
        }),
        &ModuleKind::BatchNorm { dim, num_features, eps, momentum, affine } => {
            let _ = key("num_batches_tracked");
            Kind::BatchNorm(BatchNorm {
                dim,
                num_features,
                eps,
                momentum,
                weight: opt(sd, &key("weight"), num_features, affine)?,
                bias: opt(sd, &key("bias"), num_features, affine)?,
                running_mean: sd.f32(&key("running_mean"), &[num_features])?,
                running_var: sd.f32(&key("running_var"), &[num_features])?,
            })
        }
        ModuleKind::ReLU => Kind::ReLU,
        &ModuleKind::Flatten { start_dim, end_dim } => Kind::Flatten { start_dim, end_dim },
        &ModuleKind::Dropout { p } => Kind::Dropout { p },
        &ModuleKind::MaxPool2d(p) => Kind::MaxPool2d(p),
        ModuleKind::QuantStub => Kind::QuantStub,
        ModuleKind::DeQuantStub => Kind::DeQuantStub,
        ModuleKind::Identity => Kind::Identity,
    };
    let children = n.children.iter().map(|c| build(c, &join(path, &c.name), sd, used)).collect::<Result<_>>()?;
    Ok(Module { name: n.name.clone(), kind, qconfig: n.qconfig.clone(), children })
}

impl Model {
    /// Builds the tree from `spec` and loads `weights` strictly, as `load_state_dict(strict=True)`:
    /// every parameter must be present with its shape, and no key may be left over.
    pub fn from_spec(spec: &ModelSpec, weights: &StateDict) -> Result<Model> {
        let mut used = Vec::new();
        let root = build(&spec.model, "", weights, &mut used)?;
        if let Some(k) = weights.tensors.keys().find(|k| !used.contains(k)) {
            return Err(Error::Model { path: k.clone(), detail: "is in the weights but no module in the spec has this parameter (unexpected key, as load_state_dict(strict=True) reports)".into() });
        }
        Ok(Model { root, input_shape: spec.input_shape.clone(), fuse: spec.fuse.clone() })
    }

    /// Every module with its path, parents before children (`named_modules()`; the root is `""`).
    pub fn named_modules(&self) -> Vec<(String, &Module)> {
        fn pre<'a>(m: &'a Module, path: String, out: &mut Vec<(String, &'a Module)>) {
            out.push((path.clone(), m));
            for c in &m.children {
                pre(c, join(&path, &c.name), out);
            }
        }
        let mut out = Vec::new();
        pre(&self.root, String::new(), &mut out);
        out
    }

    /// The modules a forward pass runs, in order, with their paths: the leaves (Sequential
    /// children are run in order; a Sequential is a container only).
    pub fn leaves(&self) -> Vec<(String, &Module)> {
        self.named_modules().into_iter().filter(|(_, m)| m.kind != Kind::Sequential).collect()
    }

    /// The module at `path` (`""` is the root).
    pub fn get(&self, path: &str) -> Option<&Module> {
        let mut m = &self.root;
        if path.is_empty() {
            return Some(m);
        }
        for part in path.split('.') {
            m = m.children.iter().find(|c| c.name == part)?;
        }
        Some(m)
    }

    /// The module at `path`, mutably.
    pub fn get_mut(&mut self, path: &str) -> Option<&mut Module> {
        let mut m = &mut self.root;
        if path.is_empty() {
            return Some(m);
        }
        for part in path.split('.') {
            m = m.children.iter_mut().find(|c| c.name == part)?;
        }
        Some(m)
    }

    /// The float parameters as a `state_dict`, keyed as torch keys them (a fused `LinearReLU`'s
    /// Linear is child `0`: `fc1.0.weight`).
    pub fn state_dict(&self) -> StateDict {
        let mut sd = StateDict::default();
        for (path, m) in self.named_modules() {
            let mut put =
                |k: &str, shape: &[usize], v: &[f32]| sd.insert(join(&path, k), Tensor::f32(shape, v.to_vec()));
            match &m.kind {
                Kind::Linear(l) | Kind::LinearReLU(l) => {
                    let pre = if matches!(m.kind, Kind::LinearReLU(_)) { "0." } else { "" };
                    put(&format!("{pre}weight"), &[l.out_features, l.in_features], &l.weight);
                    if let Some(b) = &l.bias {
                        put(&format!("{pre}bias"), &[l.out_features], b);
                    }
                }
                Kind::Conv2d(c) | Kind::ConvReLU2d(c) => {
                    let pre = if matches!(m.kind, Kind::ConvReLU2d(_)) { "0." } else { "" };
                    put(&format!("{pre}weight"), &c.weight_shape(), &c.weight);
                    if let Some(b) = &c.bias {
                        put(&format!("{pre}bias"), &[c.out_channels], b);
                    }
                }
                Kind::BatchNorm(b) => {
                    let n = b.num_features;
                    if let (Some(w), Some(bb)) = (&b.weight, &b.bias) {
                        put("weight", &[n], w);
                        put("bias", &[n], bb);
                    }
                    put("running_mean", &[n], &b.running_mean);
                    put("running_var", &[n], &b.running_var);
                }
                _ => {}
            }
        }
        sd
    }
}
