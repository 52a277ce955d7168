//! Training numerics over any backend: the MLP (`mlp`: parameters, optimizer state, the fp32
//! step) and the autocast step with the device-side GradScaler (`amp_step`). The optimizer and
//! scaler rules they apply are in `rules`.
//!
//! Not here: the interactive session, the CLI loop and the metrics log (`app`).

pub mod amp_step;
pub mod mlp;

pub use crate::rules::optim::{AdamConfig, SgdConfig};
