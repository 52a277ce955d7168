//! The bottom layer: numeric rules and op-signature types that every other layer may use and
//! that use nothing above them (no backend, model, quantization flow, training or app code).
//!
//! - [`dtype`]: element types and host buffers ([`DType`], [`HostData`]);
//! - [`cast`]: f32 → f16 / bf16 with torch's rounding; [`rng`]: the seeded generator;
//! - [`error`]: the crate's one error type;
//! - [`affine`]: [`QParams`], [`QuantDType`] and the scalar quantize/dequantize rules;
//! - [`qlinear`]: [`QLinearSpec`] and fbgemm's requantization; [`dynamic`]: the dynamic
//!   Linear's `ChooseQuantizationParams` and float output; [`fake`]: fake quantization;
//! - [`batchnorm`], [`qbatchnorm`]: eval BatchNorm's float and quantized arithmetic;
//! - [`optim`]: SGD / Adam configs and update rules; [`scaler`]: GradScaler's config and rules;
//! - [`histc`]: `torch.histc`'s bin rule and its exact edge table; [`stats`]: the words the
//!   observer reductions return (order keys, the non-finite report);
//! - [`math`]: exp/log/pow with the same bits on every target (libm, native and wasm);
//! - [`limits`]: the named size limits that readers of outside bytes check before allocating,
//!   and the host memory budget; [`plan`]: the plan check of planned tensors against a
//!   backend's [`plan::DeviceLimits`].
//!
//! Backends call these per element (CPU) or mirror them in WGSL (GPU); the layers above use the
//! configs and types in their signatures. Not here: anything that holds a tensor or a backend.

pub mod affine;
pub mod batchnorm;
pub mod cast;
pub mod dtype;
pub mod dynamic;
pub mod error;
pub mod fake;
pub mod histc;
pub mod limits;
pub mod math;
pub mod optim;
pub mod plan;
pub mod qbatchnorm;
pub mod qlinear;
pub mod rng;
pub mod scaler;
pub mod stats;

pub use affine::{QParams, QuantDType};
pub use dtype::{DType, HostData};
pub use error::{Error, Result};
pub use optim::{AdamConfig, SgdConfig};
pub use qlinear::QLinearSpec;
pub use scaler::ScalerConfig;
