//! `quantplay lesson NAME …`: the command each lesson page ends with. It prints the numbers the
//! page's widget shows for the same inputs (`--json`: exactly the page's output object), because
//! both go through `quantplay::app::lessons::run_json` with the same JSON input: each lesson's
//! flags below serialise to that input (field names = flags with `_`), and the page builds its
//! command line from the input it sent (`lessons/kit.js`, `commandFor`).
//!
//! Not here: the lessons' numbers (`app::lessons`), the pages (`lessons/`).

use clap::{Args, Subcommand};
use serde::Serialize;

#[path = "cli_lesson_amp.rs"]
mod amp;

/// The lessons, in reading order (lessons/index.html).
#[derive(Subcommand)]
pub enum LessonCmd {
    /// Lesson 1, affine int8 by hand: scale, zero_point, each value's code and rounding error.
    Affine(AffineFlags),
    /// Lesson 2, observers and calibration: MinMax, MovingAverage and Histogram on the same batches.
    Observers(crate::cli_lesson_observers::ObserversFlags),
    /// Lesson 3, per-channel weights and fusion: per-tensor vs per-channel scales per row, Conv+BN folding.
    PerChannel(crate::cli_lesson_b::PerChannelFlags),
    /// Lesson 4, integer inference: one quantized Linear output element in integers.
    Integer(crate::cli_lesson_b::IntegerFlags),
    /// Lesson 5, f16 and bf16: bit layouts, stored values, ulp, ranges; where real gradients fall.
    Formats(amp::FormatsFlags),
    /// Lesson 6, autocast: the op lists and the dtype trace of a real training step.
    Autocast(amp::AutocastFlags),
    /// Lesson 7, loss scaling: a GradScaler over a schedule of ok / inf / -inf / nan steps.
    LossScaling(amp::LossScalingFlags),
    /// Lesson 8, the whole pipeline: train in 16-mixed, quantize, find the layer that hurts,
    /// keep it float, export (`--out` writes the int8 file).
    Pipeline(crate::cli_lesson_pipeline::PipelineFlags),
}

/// `quantplay lesson affine`.
#[derive(Args, Serialize)]
pub struct AffineFlags {
    /// The tensor: 1 to 64 finite values, comma-separated (e.g. --values=-1.5,0.2,2).
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true, required = true)]
    values: Vec<f32>,
    /// quint8 or qint8.
    #[arg(long, default_value = "quint8")]
    dtype: String,
    /// per_tensor_affine or per_tensor_symmetric.
    #[arg(long, default_value = "per_tensor_affine")]
    qscheme: String,
    /// Halve the code range (torch's reduce_range).
    #[arg(long)]
    reduce_range: bool,
    /// Print the page's output object as JSON instead of text.
    #[arg(long)]
    #[serde(skip)]
    json: bool,
}

/// Runs the lesson and prints its numbers; exit code 2 with the error on bad input.
pub fn main(cmd: &LessonCmd) -> std::process::ExitCode {
    let (name, input, json) = match cmd {
        LessonCmd::Affine(f) => ("affine", serde_json::to_string(f), f.json),
        LessonCmd::Formats(f) => ("formats", serde_json::to_string(f), f.json),
        LessonCmd::LossScaling(f) => ("loss-scaling", serde_json::to_string(f), f.json),
        LessonCmd::Autocast(f) => ("autocast", serde_json::to_string(f), f.json),
        LessonCmd::PerChannel(f) => ("per-channel", serde_json::to_string(f), f.json),
        LessonCmd::Integer(f) => ("integer", serde_json::to_string(f), f.json),
        LessonCmd::Observers(f) => ("observers", serde_json::to_string(f), f.json),
        LessonCmd::Pipeline(f) => return crate::cli_lesson_pipeline::main(f),
    };
    let input = input.expect("lesson flags serialise");
    let out = if json {
        quantplay::app::lessons::run_json(name, &input).map(|s| s + "\n")
    } else {
        quantplay::app::lessons::render_json(name, &input)
    };
    match out {
        Ok(text) => {
            print!("{text}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
