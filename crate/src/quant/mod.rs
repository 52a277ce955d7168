//! Quantization as torch.ao's eager mode does it: observers and qconfigs (`observer`, `qconfig`,
//! `fake_quant`) and the flow (`eager`: prepare / calibrate / convert / quantize /
//! quantize_dynamic, QAT and the report), generic over the backend.
//!
//! Not here: the scalar rules (`rules::affine`, `rules::qlinear`, …), which this module
//! re-exports the types of.

pub mod eager;
pub mod fake_quant;
pub mod observer;
pub mod qconfig;

pub use crate::rules::{QLinearSpec, QParams, QuantDType};
