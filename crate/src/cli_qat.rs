//! `quantplay qat`: quantization-aware fine-tuning of a model read from files, as torch's eager
//! recipe (`app::qat_run`: fuse_modules_qat → prepare_qat → N SGD steps → convert) on a
//! training file (`x`, `y`), with a per-step loss log (stderr, or `steps` in `--json`), the same
//! report as `quantize` plus the final fake-quant qparams, and the int8 file (`--out`). A thin
//! shell: file I/O and printing only.
//!
//! Not here: the run (`app::qat_run`), static / dynamic quantization (`cli_quantize.rs`,
//! `cli_dynamic.rs`).

use crate::cli_files::refuse_overwriting_inputs;
use crate::cli_quantize::{print_report, write_int8};
use clap::Args;
use quantplay::app::qat_run::{QatJob, QatOptions, QatStepRecord};
use quantplay::{Error, Result};

/// Quantization-aware training (torch.ao.quantization eager QAT) from a float model, then convert.
#[derive(Args)]
pub struct QatArgs {
    /// The model spec (docs/model-format.md); its fuse groups are fused with fuse_modules_qat.
    #[arg(long)]
    spec: String,
    /// Float weights, keyed as the model's state_dict.
    #[arg(long)]
    weights: String,
    /// Training data: safetensors with `x` [N, ...] and `y` (class labels).
    #[arg(long)]
    data: String,
    /// Evaluation data: safetensors with `x` and optionally `y` (default: the training data).
    #[arg(long)]
    eval: Option<String>,
    /// Training steps.
    #[arg(long, default_value_t = 100)]
    steps: usize,
    /// SGD learning rate (momentum 0).
    #[arg(long, default_value_t = 0.01)]
    lr: f64,
    /// Samples per step (batches walk the rows in order, wrapping at each epoch).
    #[arg(long, default_value_t = 32)]
    batch: usize,
    /// get_default_qat_qconfig backend: x86, fbgemm, qnnpack or onednn.
    #[arg(long, default_value = "x86")]
    qconfig: String,
    /// Shuffle the rows each epoch with this seed (quantplay's RNG, not torch's).
    #[arg(long)]
    seed: Option<u64>,
    /// Disable every fake-quant observer after this many steps (torch's disable_observer).
    #[arg(long)]
    disable_observer_after: Option<usize>,
    /// cpu (the fast path), cpu-reference (plain loops) or webgpu (alias gpu; a missing or
    /// failing GPU falls back to cpu with the reason).
    #[arg(long, default_value = "cpu")]
    backend: quantplay::BackendKind,
    /// Write the int8 model (safetensors, layout quantplay-int8/1).
    #[arg(long)]
    out: Option<String>,
    /// Print the report (with `steps` and `fake_quant`) as JSON; no per-step lines on stderr.
    #[arg(long)]
    json: bool,
    /// Add each layer's weight codes and the eval outputs (codes and dequantized) to the report.
    #[arg(long)]
    dump: bool,
}

fn run(a: &QatArgs) -> Result<()> {
    if let Some(out) = &a.out {
        let mut inputs = vec![("--spec", a.spec.as_str()), ("--weights", &a.weights), ("--data", &a.data)];
        inputs.extend(a.eval.as_deref().map(|e| ("--eval", e)));
        refuse_overwriting_inputs(out, &inputs)?;
    }
    let model = crate::cli_inputs::model(&a.spec, &a.weights)?;
    let train = crate::cli_inputs::data("--data", &a.data, &model)?;
    let labels = train.y.as_deref().ok_or_else(|| Error::File {
        file: format!("--data {}", a.data),
        detail: "has no tensor `y`: QAT trains on class labels; a training file needs `x` and `y`".into(),
    })?;
    let eval = a.eval.as_deref().map(|p| crate::cli_inputs::data("--eval", p, &model)).transpose()?;
    let opt = QatOptions {
        qconfig: a.qconfig.clone(),
        steps: a.steps,
        lr: a.lr,
        batch: a.batch,
        seed: a.seed,
        disable_observer_after: a.disable_observer_after,
        dump: a.dump,
    };
    let (quiet, steps) = (a.json, a.steps);
    let progress = move |r: &QatStepRecord| {
        if !quiet {
            let obs = if r.observer_enabled { "" } else { "  (observers off)" };
            eprintln!("step {:>5}/{steps}  loss {:.6}{obs}", r.step, r.loss);
        }
    };
    let job = QatJob {
        model: &model,
        train: (&train.x, &train.shape, labels),
        eval: eval.as_ref().map(|d| (d.x.as_slice(), d.shape.as_slice(), d.y.as_deref())),
        opt: &opt,
        on_step: &progress,
    };
    let ran = pollster::block_on(quantplay::app::backends::run(a.backend, &job))?;
    if let Some(why) = &ran.fallback {
        eprintln!("note: {why}; running on {} instead", ran.ran_on);
    }
    let result = ran.output;
    let r = &result.report;
    for w in &r.report.warnings {
        eprintln!("warning: {w}");
    }
    if let Some(out) = &a.out {
        write_int8(out, &result.model)?;
    }
    if a.json {
        println!("{}", serde_json::to_string(r).expect("report serialises"));
        return Ok(());
    }
    print_report(&r.report);
    if let (Some(first), Some(last)) = (r.steps.first(), r.steps.last()) {
        println!("loss: step 1 {:.6}  step {} {:.6}", first.loss, last.step, last.loss);
    }
    Ok(())
}

/// Runs the subcommand; errors print as `error: …` with exit code 2.
pub fn main(a: &QatArgs) -> std::process::ExitCode {
    match run(a) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
