//! Models as module trees, the way eager-mode PyTorch sees them: a JSON spec
//! (docs/model-format.md) plus safetensors weights keyed as `state_dict` keys, a tree of float,
//! fused and quantized modules, `fuse_modules`, and a forward pass on any backend.
//!
//! Not here: observers, qconfigs and prepare/convert (`quant::eager`), training (`nn`).

pub mod forward;
pub mod fuse;
pub mod int8;
pub mod int8_check;
pub mod pool;
pub mod spec;
pub mod state;
pub mod train;
pub mod tree;

pub use spec::ModelSpec;
pub use state::StateDict;
pub use tree::{Kind, Model, Module};

use crate::rules::error::Result;

/// Loads a model from its spec text and safetensors bytes (strict, as `load_state_dict`).
pub fn load(spec_json: &str, safetensors: &[u8]) -> Result<Model> {
    let spec = spec::parse(spec_json)?;
    let (weights, _) = StateDict::from_safetensors(safetensors)?;
    Model::from_spec(&spec, &weights)
}

/// The spec of an MLP as the playground trains it, ready for eager-mode quantization:
/// `quant` (QuantStub), `fc1`, `relu1`, …, `fcN`, `dequant` (DeQuantStub), fuse groups
/// `[fc_i, relu_i]`. `sizes = [in, hidden…, classes]`.
pub fn mlp_spec(sizes: &[usize]) -> ModelSpec {
    use spec::{ModuleKind, NodeSpec, QConfigAttr};
    let node =
        |name: String, kind: ModuleKind| NodeSpec { name, kind, qconfig: QConfigAttr::Inherit, children: vec![] };
    let mut children = vec![node("quant".into(), ModuleKind::QuantStub)];
    let mut fuse = Vec::new();
    let layers = sizes.len().saturating_sub(1);
    for (l, pair) in sizes.windows(2).enumerate() {
        children.push(node(
            format!("fc{}", l + 1),
            ModuleKind::Linear { in_features: pair[0], out_features: pair[1], bias: true },
        ));
        if l + 1 < layers {
            children.push(node(format!("relu{}", l + 1), ModuleKind::ReLU));
            fuse.push(vec![format!("fc{}", l + 1), format!("relu{}", l + 1)]);
        }
    }
    children.push(node("dequant".into(), ModuleKind::DeQuantStub));
    let root = NodeSpec { name: String::new(), kind: ModuleKind::Sequential, qconfig: QConfigAttr::Inherit, children };
    ModelSpec { input_shape: sizes.first().map(|&d| vec![d]), model: root, fuse }
}

/// An MLP's parameters (`weights[l]` `(out, in)`, `biases[l]` `(out,)`) as a [`Model`] with
/// [`mlp_spec`]'s layout.
pub fn mlp_model(sizes: &[usize], weights: &[Vec<f32>], biases: &[Vec<f32>]) -> Result<Model> {
    let spec = mlp_spec(sizes);
    let mut sd = StateDict::default();
    if weights.len() + 1 != sizes.len() || biases.len() + 1 != sizes.len() {
        return Err(crate::Error::Model {
            path: String::new(),
            detail: format!(
                "an MLP with sizes {sizes:?} needs {} weights and biases, got {} and {}",
                sizes.len().saturating_sub(1),
                weights.len(),
                biases.len()
            ),
        });
    }
    for (l, pair) in sizes.windows(2).enumerate() {
        // Overflow-checked: on wasm32 a (65536, 65536) layer's 2³² values would wrap to 0.
        let need = pair[0].checked_mul(pair[1]);
        if need != Some(weights[l].len()) || biases[l].len() != pair[1] {
            return Err(crate::Error::Model {
                path: format!("fc{}", l + 1),
                detail: format!(
                    "sizes {} → {} need {} weights and {} biases, got {} and {}",
                    pair[0],
                    pair[1],
                    need.map_or("more than usize::MAX".into(), |n| n.to_string()),
                    pair[1],
                    weights[l].len(),
                    biases[l].len()
                ),
            });
        }
        sd.insert(format!("fc{}.weight", l + 1), state::Tensor::f32(&[pair[1], pair[0]], weights[l].clone()));
        sd.insert(format!("fc{}.bias", l + 1), state::Tensor::f32(&[pair[1]], biases[l].clone()));
    }
    Model::from_spec(&spec, &sd)
}
