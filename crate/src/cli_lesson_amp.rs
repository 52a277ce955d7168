//! The flags of the mixed-precision lessons (`quantplay lesson formats | loss-scaling |
//! autocast`), kept out of `cli_lesson.rs` so the lessons' helpers edit different files. Each
//! struct serialises to its lesson's JSON input (field names = flags with `_`).
//!
//! Not here: the lessons' numbers (`quantplay::app::lessons`), the dispatch (`cli_lesson.rs`).

use clap::Args;
use serde::Serialize;

/// `quantplay lesson formats`.
#[derive(Args, Serialize)]
pub struct FormatsFlags {
    /// The number to store in float32, float16 and bfloat16 (finite).
    #[arg(long, allow_hyphen_values = true, required = true)]
    value: f64,
    /// Training steps of the playground MLP before its gradients are read (1 to 500).
    #[arg(long, default_value_t = 30)]
    grad_steps: usize,
    /// k of the loss scale 2^k the gradients are compared with (-20 to 40).
    #[arg(long, default_value_t = 16, allow_hyphen_values = true)]
    loss_scale_log2: i32,
    /// Print the page's output object as JSON instead of text.
    #[arg(long)]
    #[serde(skip)]
    pub json: bool,
}

/// `quantplay lesson loss-scaling` (the same GradScaler replay as `quantplay scaler`).
#[derive(Args, Serialize)]
pub struct LossScalingFlags {
    /// Comma-separated events: ok, inf, -inf, nan (e.g. --schedule=ok,inf,ok,nan).
    #[arg(long, allow_hyphen_values = true, required = true)]
    schedule: String,
    /// Starting scale.
    #[arg(long, default_value_t = 65536.0)]
    init_scale: f64,
    /// Factor after growth_interval finite steps (> 1).
    #[arg(long, default_value_t = 2.0)]
    growth_factor: f64,
    /// Factor on an inf/NaN step (in (0, 1)).
    #[arg(long, default_value_t = 0.5)]
    backoff_factor: f64,
    /// Finite steps between growths (>= 1).
    #[arg(long, default_value_t = 2000)]
    growth_interval: u32,
    /// Print the page's output object as JSON instead of text.
    #[arg(long)]
    #[serde(skip)]
    pub json: bool,
}

/// `quantplay lesson autocast`.
#[derive(Args, Serialize)]
pub struct AutocastFlags {
    /// 32-true, 16-mixed, bf16-mixed, 16-true or bf16-true.
    #[arg(long, default_value = "16-mixed")]
    precision: String,
    /// Hidden layer widths, comma-separated (1 to 8 layers of 1 to 256).
    #[arg(long, value_delimiter = ',', default_value = "16,16")]
    hidden: Vec<usize>,
    /// Print the page's output object as JSON instead of text.
    #[arg(long)]
    #[serde(skip)]
    pub json: bool,
}
