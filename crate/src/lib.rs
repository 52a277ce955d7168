//! quantplay: int8 post-training quantization and FP16 mixed-precision training with PyTorch's
//! semantics, on a CPU reference backend and a WebGPU (wgpu) backend, compiled natively and to wasm.
//!
//! This crate root only wires modules together. The layers are:
//! - [`backend`]: the small [`backend::Backend`] trait, the CPU reference ([`backend::cpu`]) and
//!   the WebGPU backend ([`backend::gpu`]). The CPU backend is the oracle; the GPU must agree.
//! - [`cast`], [`quant`]: pure numerics (f16/bf16 casts, affine quantization) with torch's
//!   exact arithmetic; the CPU backend calls them and the WGSL kernels mirror them.
//! - [`parity`]: named tolerances and the comparison used by tests and by the page.
//! - [`info`]: what this machine offers (CPU SIMD features, the WebGPU adapter), as data.
//! - `web` (wasm only): the one thin `#[wasm_bindgen]` surface the page and wasm tests call.
//!
//! Numeric code (later `quant/`, `amp/`, `nn/`) stays pure Rust and never names wgpu or web APIs.

pub mod amp;
pub mod app;
pub mod backend;
#[cfg(feature = "bench")]
pub mod bench;
pub mod data;
pub mod functional;
pub mod info;
pub mod model;
pub mod nn;
pub mod parity;
pub mod quant;
pub mod rules;

#[cfg(target_arch = "wasm32")]
pub mod web;

pub use backend::cpu::{CpuFast, CpuReference};
pub use backend::gpu::GpuBackend;
pub use backend::{prelude, Backend, BackendKind, Capabilities, DType, HasShape, HostData};
pub use backend::{AmpOps, DTypeOps, FloatOps, LayoutOps, OptimOps, QuantOps, TensorOps};
pub use rules::error::{Error, Result};
