//! Quantization numerics, pure Rust (no wgpu, no web APIs): the affine quantizer's scalar rules
//! exactly as PyTorch computes them. Backends call these (CPU) or mirror them in WGSL (GPU) and
//! are tested against them.
//!
//! Later: observers, qconfigs, prepare/convert (the eager-mode flow).

pub mod affine;
pub mod dynamic;
pub mod fake;
pub mod linear;
pub mod qconv;

pub use affine::{QParams, QuantDType};
pub use linear::QLinearSpec;
