//! Mixed-precision numerics, pure Rust (no wgpu, no web APIs): the GradScaler's rules as
//! `torch.amp` implements them. Backends call these (CPU) or mirror them in WGSL (GPU).
//!
//! Later: the GradScaler object itself (scale / unscale_ / step / update, state_dict),
//! precision strings and the autocast policy.

pub mod grad_scaler;
pub mod precision;
pub mod scaler;
pub mod schedule;

pub use grad_scaler::GradScaler;
pub use precision::{effective_precision, parse_precision, Precision};
pub use scaler::ScalerConfig;
