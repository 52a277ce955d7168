//! Models as module trees, the way eager-mode PyTorch sees them: a JSON spec
//! (docs/model-format.md) plus safetensors weights keyed as `state_dict` keys, a tree of float,
//! fused and quantized modules, `fuse_modules`, and a forward pass on any backend.
//!
//! Not here: observers, qconfigs and prepare/convert (`quant::eager`), training (`nn`).

pub mod forward;
pub mod fuse;
pub mod int8;
pub mod spec;
pub mod state;
pub mod train;
pub mod tree;

pub use spec::ModelSpec;
pub use state::StateDict;
pub use tree::{Kind, Model, Module};

use crate::error::Result;

/// Loads a model from its spec text and safetensors bytes (strict, as `load_state_dict`).
pub fn load(spec_json: &str, safetensors: &[u8]) -> Result<Model> {
    let spec = spec::parse(spec_json)?;
    let (weights, _) = StateDict::from_safetensors(safetensors)?;
    Model::from_spec(&spec, &weights)
}
