//! The flags of `quantplay lesson per-channel` and `quantplay lesson integer` (lessons 3 and 4):
//! each struct serialises to the lesson's JSON input (`app::lessons::per_channel::Input`,
//! `app::lessons::integer::Input`; field names = flags with `_`).
//!
//! Not here: the dispatch (`cli_lesson.rs`), the numbers (`app::lessons`).

use clap::Args;
use serde::Serialize;

/// `quantplay lesson per-channel`.
#[derive(Args, Serialize)]
pub struct PerChannelFlags {
    /// Seeds the Conv2d → BatchNorm2d block and the check's input (2: one row clearly loses most
    /// to the shared scale).
    #[arg(long, default_value_t = 2)]
    seed: u64,
    /// The conv's output channels (the weight's rows), 2 to 32.
    #[arg(long, default_value_t = 8)]
    out_channels: usize,
    /// The channel whose fold is shown, 0 to out_channels − 1.
    #[arg(long, default_value_t = 0)]
    channel: usize,
    /// Whose weight is quantized: fused (after folding BatchNorm in) or conv (before).
    #[arg(long, default_value = "fused")]
    layer: String,
    /// Print the page's output object as JSON instead of text.
    #[arg(long)]
    #[serde(skip)]
    pub json: bool,
}

/// `quantplay lesson integer`.
#[derive(Args, Serialize)]
pub struct IntegerFlags {
    /// Seeds the input, weight and bias.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Rows of the input, 1 to 16.
    #[arg(long, default_value_t = 2)]
    batch: usize,
    /// in_features (k), 1 to 256.
    #[arg(long, default_value_t = 8)]
    in_features: usize,
    /// out_features (n), 1 to 64.
    #[arg(long, default_value_t = 4)]
    out_features: usize,
    /// Per-channel weight scales (per_channel_symmetric) instead of per_tensor_symmetric.
    #[arg(long)]
    per_channel: bool,
    /// The output element's row, 0 to batch − 1.
    #[arg(long, default_value_t = 0)]
    row: usize,
    /// The output element's column, 0 to out_features − 1.
    #[arg(long, default_value_t = 0)]
    col: usize,
    /// Print the page's output object as JSON instead of text.
    #[arg(long)]
    #[serde(skip)]
    pub json: bool,
}
