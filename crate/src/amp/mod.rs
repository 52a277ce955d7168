//! Mixed-precision numerics, pure Rust (no wgpu, no web APIs), as `torch.amp` and Lightning
//! define them: the GradScaler's kernel rules (`scaler`) and object (`grad_scaler`), schedules
//! for `quantplay scaler` (`schedule`), precision strings and the effective precision
//! (`precision`), and the autocast op policy with its trace (`autocast`). Backends call these
//! (CPU) or mirror them in WGSL (GPU).
//!
//! Later: the training loop that strings them together.

pub mod autocast;
pub mod grad_scaler;
pub mod precision;
pub mod schedule;

pub use crate::rules::scaler::ScalerConfig;
pub use grad_scaler::GradScaler;
pub use precision::{effective_precision, parse_precision, Precision};
