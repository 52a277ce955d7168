//! Training numerics, pure Rust (no wgpu, no web APIs): optimizer update rules as PyTorch
//! writes them. Backends call these per element (CPU) or mirror them in WGSL (GPU).
//!
//! Modules: the MLP (`mlp`, fp32 step; `amp_step`, autocast step), the optimizers, the
//! interactive session (`session`), the CLI loop (`trainer`) and the metrics log.

pub mod amp_step;
pub mod metrics;
pub mod mlp;
pub mod session;
pub mod session_config;
pub mod session_io;
pub mod session_quant;
pub mod trainer;

pub use crate::rules::optim::{AdamConfig, SgdConfig};
