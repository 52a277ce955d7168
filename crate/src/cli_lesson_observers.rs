//! `quantplay lesson observers`'s flags: they serialise to lesson 2's JSON input
//! (`app::lessons::observers::Input`; field names = flags with `_`). Not here: the numbers.

use clap::Args;
use serde::Serialize;

/// `quantplay lesson observers`.
#[derive(Args, Serialize)]
pub struct ObserversFlags {
    /// Calibration batches, 1 to 64.
    #[arg(long, default_value_t = 16)]
    batches: usize,
    /// Values per batch, 1 to 4096.
    #[arg(long, default_value_t = 1024)]
    batch_size: usize,
    /// How far the outliers reach: an outlier is a normal value times this (1 to 100).
    #[arg(long, default_value_t = 8.0)]
    outlier: f32,
    /// The data generator's seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// MovingAverageMinMaxObserver's averaging_constant, in (0, 1].
    #[arg(long, default_value_t = 0.01)]
    averaging_constant: f32,
    /// Print the page's output object as JSON instead of text.
    #[arg(long)]
    #[serde(skip)]
    pub json: bool,
}
