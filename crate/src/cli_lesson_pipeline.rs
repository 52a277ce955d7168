//! `quantplay lesson pipeline`: lesson 8's flags (the page's inputs) and its one extra, `--out`,
//! which writes the exported int8 file that the page offers as a download (same bytes: the
//! fingerprint `int8_file_fnv1a` is printed by both).
//!
//! Not here: the run (`quantplay::app::lessons::pipeline`).

use clap::Args;
use quantplay::app::lessons::{pipeline, Lesson};
use serde::Serialize;

/// `quantplay lesson pipeline`.
#[derive(Args, Serialize)]
pub struct PipelineFlags {
    /// Hidden widths of the MLP 64 → … → 10, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "32,32")]
    hidden: Vec<usize>,
    /// 32-true, 16-mixed, bf16-mixed, 16-true or bf16-true.
    #[arg(long, default_value = "16-mixed")]
    precision: String,
    /// Training steps (batch 32, Adam).
    #[arg(long, default_value_t = 300)]
    steps: usize,
    /// Adam's learning rate.
    #[arg(long, default_value_t = 0.01)]
    lr: f64,
    /// Seed of the split, the init and the batches.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Calibration samples (the first of the training split).
    #[arg(long, default_value_t = 8)]
    calib: usize,
    /// x86, fbgemm, qnnpack, onednn or default.
    #[arg(long, default_value = "x86")]
    qconfig: String,
    /// auto (the layer whose float copy helps most, if any helps), none, or a path such as fc1.
    #[arg(long, default_value = "auto")]
    keep_float: String,
    /// Write the int8 model file here (quantplay's int8 safetensors).
    #[arg(long)]
    #[serde(skip)]
    out: Option<String>,
    /// Print the page's output object as JSON instead of text.
    #[arg(long)]
    #[serde(skip)]
    json: bool,
}

/// Runs lesson 8 and prints its numbers; writes `--out`.
pub fn main(f: &PipelineFlags) -> std::process::ExitCode {
    let run = || -> quantplay::Result<String> {
        let input: pipeline::Input = serde_json::from_value(serde_json::to_value(f).expect("flags serialise"))
            .expect("the flags are the lesson's input fields");
        let (out, file) = pipeline::run_with_file(&input)?;
        if let Some(path) = &f.out {
            crate::cli_files::write_atomic(path, |w| std::io::Write::write_all(w, &file))?;
            eprintln!("wrote {path} ({} bytes)", file.len());
        }
        Ok(if f.json {
            serde_json::to_string(&out).expect("serialises") + "\n"
        } else {
            pipeline::Pipeline::render(&out)
        })
    };
    match run() {
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
