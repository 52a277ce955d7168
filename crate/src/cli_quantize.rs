//! `quantplay quantize`: reads a model (JSON spec + safetensors weights) and calibration /
//! evaluation data (safetensors with `x` [N, …] and optional `y`), runs post-training static
//! quantization (`quant::eager::pipeline`), prints the report, optionally writes the int8 model
//! (atomically, never over an input: `cli_files.rs`). A thin shell over the library: file I/O
//! and printing only.

use crate::cli_files::{read_input, refuse_overwriting_inputs, write_atomic};
use clap::Args;
use quantplay::app::data_file;
use quantplay::app::ptq::{self, PtqOptions};
use quantplay::model::int8;
use quantplay::Result;
use std::io::Write;

/// Post-training static quantization with torch.ao.quantization's eager-mode semantics.
#[derive(Args)]
pub struct QuantizeArgs {
    /// The model spec (docs/model-format.md).
    #[arg(long)]
    spec: String,
    /// Float weights, keyed as the model's state_dict.
    #[arg(long)]
    weights: String,
    /// Calibration data: safetensors with `x` [N, ...].
    #[arg(long)]
    calib: String,
    /// Evaluation data: safetensors with `x` and optionally `y` (class labels).
    #[arg(long)]
    eval: Option<String>,
    /// qconfig: default, x86, fbgemm, qnnpack or onednn (default: the spec's, else x86).
    #[arg(long)]
    qconfig: Option<String>,
    /// Activation observer override: minmax, moving_average or histogram.
    #[arg(long)]
    observer: Option<String>,
    /// Per-tensor weights (default_weight_observer) instead of the qconfig's.
    #[arg(long)]
    per_tensor: bool,
    /// Do not apply the spec's fuse groups.
    #[arg(long)]
    no_fuse: bool,
    /// Samples per calibration batch.
    #[arg(long, default_value_t = 32)]
    calib_batch: usize,
    /// cpu (the fast path), cpu-reference (plain loops) or webgpu (alias gpu; a missing or
    /// failing GPU falls back to cpu with the reason).
    #[arg(long, default_value = "cpu")]
    backend: quantplay::BackendKind,
    /// Write the int8 model (safetensors, layout quantplay-int8/1).
    #[arg(long)]
    out: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Add each layer's weight codes and the eval outputs (codes and dequantized) to the report.
    #[arg(long)]
    dump: bool,
    /// With --backend webgpu: also calibrate on the CPU and report both qparams per observer
    /// and how many int8 eval codes differ (`calibration_vs_cpu` in --json).
    #[arg(long)]
    compare_cpu: bool,
}

fn run(a: &QuantizeArgs) -> Result<()> {
    if let Some(out) = &a.out {
        let mut inputs = vec![("--spec", a.spec.as_str()), ("--weights", &a.weights), ("--calib", &a.calib)];
        inputs.extend(a.eval.as_deref().map(|e| ("--eval", e)));
        refuse_overwriting_inputs(out, &inputs)?;
    }
    let spec = String::from_utf8_lossy(&read_input("--spec", &a.spec)?).into_owned();
    let model = quantplay::model::load(&spec, &read_input("--weights", &a.weights)?)?;
    let data = |flag, path: &str| data_file::read(path, &read_input(flag, path)?);
    let calib = data("--calib", &a.calib)?;
    let eval = a.eval.as_deref().map(|p| data("--eval", p)).transpose()?;
    let opt = PtqOptions {
        qconfig: a.qconfig.clone(),
        observer: a.observer.clone(),
        per_tensor: a.per_tensor,
        reduce_range: None,
        fuse: !a.no_fuse,
        calib_batch: a.calib_batch,
        dump: a.dump,
        compare_cpu: a.compare_cpu,
    };
    let ev = eval.as_ref().map(|d| (d.x.as_slice(), d.shape.as_slice()));
    let labels = eval.as_ref().and_then(|d| d.y.as_deref());
    struct PtqJob<'a> {
        model: &'a quantplay::model::Model,
        calib: (&'a [f32], &'a [usize]),
        eval: Option<(&'a [f32], &'a [usize])>,
        labels: Option<&'a [i32]>,
        opt: &'a PtqOptions,
    }
    impl quantplay::app::backends::Job for PtqJob<'_> {
        type Output = ptq::PtqRun;
        async fn run<B: quantplay::Backend>(&self, b: &B) -> Result<ptq::PtqRun> {
            ptq::run(b, self.model, self.calib, self.eval, self.labels, self.opt).await
        }
    }
    let job = PtqJob { model: &model, calib: (&calib.x, &calib.shape), eval: ev, labels, opt: &opt };
    let ran = pollster::block_on(quantplay::app::backends::run(a.backend, &job))?;
    if let Some(why) = &ran.fallback {
        eprintln!("note: {why}; running on {} instead", ran.ran_on);
    }
    let result = ran.output;
    for w in &result.report.warnings {
        eprintln!("warning: {w}");
    }
    if let Some(out) = &a.out {
        let bytes = int8::save(&result.converted.model)?;
        write_atomic(out, |f| {
            let (first, rest) = bytes.split_at(bytes.len() / 2);
            f.write_all(first)?;
            crate::cli_interrupt::fault_pause();
            f.write_all(rest)
        })?;
    }
    let r = &result.report;
    if a.json {
        println!("{}", serde_json::to_string(r).expect("report serialises"));
        return Ok(());
    }
    if let Some(i) = &r.input {
        println!("input: scale {} zero_point {}", i.scale, i.zero_point);
    }
    println!(
        "{:<16} {:<22} {:>12} {:>5} {:<18} {:>9} {:>7}",
        "layer", "kind", "out scale", "zp", "weight qscheme", "SQNR dB", "clip %"
    );
    for l in &r.layers {
        println!(
            "{:<16} {:<22} {:>12.6e} {:>5} {:<18} {:>9.2} {:>7.3}",
            l.name, l.kind, l.output_scale, l.output_zero_point, l.weight_qscheme, l.sqnr_db, l.clip_percent
        );
    }
    for (p, t) in &r.float_modules {
        println!("float (not in the mapping): {p} ({t})");
    }
    if let Some(acc) = &r.accuracy {
        println!("accuracy: float {:.4}  int8 {:.4}  agreement {:.4}", acc.float, acc.int8, acc.agreement);
    }
    match &r.calibration_vs_cpu {
        Some(c) => crate::cli_compare::print(c),
        None if a.compare_cpu => println!("--compare-cpu: the run was on {}, nothing to compare", ran.ran_on),
        None => {}
    }
    Ok(())
}

/// Runs the subcommand; errors print as `error: …` with exit code 2.
pub fn main(a: &QuantizeArgs) -> std::process::ExitCode {
    match run(a) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
