//! Training numerics, pure Rust (no wgpu, no web APIs): optimizer update rules as PyTorch
//! writes them. Backends call these per element (CPU) or mirror them in WGSL (GPU).
//!
//! Later: modules with forward and backward, losses, the training loop.

pub mod batchnorm;
pub mod metrics;
pub mod mlp;
pub mod optim;
pub mod trainer;

pub use optim::{AdamConfig, SgdConfig};
