//! Quantization numerics, pure Rust (no wgpu, no web APIs): the affine quantizer's scalar rules
//! exactly as PyTorch computes them. Backends call these (CPU) or mirror them in WGSL (GPU) and
//! are tested against them.
//!
//! Also: observers and qconfigs (`observer`, `qconfig`, `fake_quant`) and the eager-mode flow
//! (`eager`: prepare / calibrate / convert / quantize / quantize_dynamic and the report).

pub mod eager;
pub mod fake_quant;
pub mod observer;
pub mod qconfig;

pub use crate::rules::{QLinearSpec, QParams, QuantDType};
