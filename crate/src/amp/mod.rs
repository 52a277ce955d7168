//! Mixed precision as `torch.amp` and Lightning define it, on the host: the GradScaler object
//! (`grad_scaler`, over the kernel rules in `rules::scaler`), schedules for `quantplay scaler`
//! (`schedule`), precision strings and the effective precision for a backend's capabilities
//! (`precision`), and the autocast op policy with its trace (`autocast`).
//!
//! Not here: the autocast training step (`nn::amp_step`), the loop around it (`app`).

pub mod autocast;
pub mod grad_scaler;
pub mod precision;
pub mod schedule;

pub use crate::rules::scaler::ScalerConfig;
pub use grad_scaler::GradScaler;
pub use precision::{effective_precision, parse_precision, Precision};
