//! quantplay: int8 post-training quantization (the eager-mode `torch.ao.quantization` flow) and
//! FP16 mixed-precision training (`torch.amp` autocast + GradScaler) with PyTorch's numbers, on a
//! CPU reference, a CPU fast path and WebGPU (wgpu), compiled natively and to wasm.
//!
//! The layers, bottom first (docs/architecture.md has the module graph, which tests/layers.rs
//! checks; a module imports only the layers below it):
//! - [`rules`], [`parity`], [`info`]: numeric rules and op-signature types (dtypes, casts, qparams,
//!   requantization, optimizer and GradScaler rules, the error type), named tolerances, machine
//!   facts. No tensors, no backends.
//! - [`backend`]: the [`Backend`] trait as op groups, the backend enum [`BackendKind`], and
//!   [`CpuReference`] (plain loops, the oracle), [`CpuFast`] (SIMD) and [`GpuBackend`] (WGSL).
//! - [`functional`]: composite ops over any backend (quantized conv, dynamic Linear).
//! - [`model`], [`amp`], [`data`]: module trees (spec, state dicts, fuse, forward, int8 files);
//!   precision strings, autocast policy and the GradScaler object; datasets.
//! - [`quant`], [`nn`]: observers, qconfigs and the eager flow; the MLP's fp32 and autocast steps.
//! - [`app`] (and `bench`): the training session, the CLI loop, the PTQ run, the backend rule
//!   for running a job; the benchmark workloads (cargo feature `bench`).
//! - `web` (wasm only): the one `#[wasm_bindgen]` surface. The CLI is `src/main.rs`.
//!
//! The entry points a newcomer needs are re-exported here: [`model::load`], [`prepare`],
//! [`convert`], [`quantize`], [`quantize_dynamic`] for PTQ (examples/quantize.rs), and
//! [`app::trainer`] for training (examples/train_amp.rs).

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
pub use backend::{AmpOps, DTypeOps, FloatOps, LayoutOps, ObserveOps, OptimOps, QuantOps, TensorOps};
pub use model::{load, Model, ModelSpec, StateDict};
pub use quant::eager::{convert, prepare, quantize, quantize_dynamic, Mapping, Prepared, QConfigDict};
pub use rules::error::{Error, Result};
pub use rules::{QLinearSpec, QParams, QuantDType};
