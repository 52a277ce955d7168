//! `quantplay quantize`: reads a model (JSON spec + safetensors weights) and calibration /
//! evaluation data (safetensors with `x` [N, …] and optional `y`), runs post-training static
//! quantization (`quant::eager::pipeline`; `--dynamic` hands over to `cli_dynamic.rs`), prints the report, optionally writes the int8 model
//! (atomically, never over an input: `cli_files.rs`). A thin shell over the library: file I/O
//! and printing only.

use crate::cli_files::{refuse_overwriting_inputs, write_atomic};
use crate::cli_inputs;
use clap::Args;
use quantplay::app::ptq::{self, PtqOptions};
use quantplay::model::int8;
use quantplay::Result;
use std::io::Write;

/// Post-training static quantization with torch.ao.quantization's eager-mode semantics, or
/// dynamic quantization (`--dynamic`, `cli_dynamic.rs`).
#[derive(Args)]
pub struct QuantizeArgs {
    /// The model spec (docs/model-format.md).
    #[arg(long)]
    pub(crate) spec: String,
    /// Float weights, keyed as the model's state_dict.
    #[arg(long)]
    pub(crate) weights: String,
    /// Calibration data: safetensors with `x` [N, ...] (static only; required there).
    #[arg(long)]
    pub(crate) calib: Option<String>,
    /// Evaluation data: safetensors with `x` and optionally `y` (class labels).
    #[arg(long)]
    pub(crate) eval: Option<String>,
    /// Dynamic quantization (torch's quantize_dynamic on Linear and LinearReLU): no calibration.
    #[arg(long)]
    pub(crate) dynamic: bool,
    /// qconfig: default, x86, fbgemm, qnnpack or onednn (default: the spec's, else x86); with
    /// --dynamic: default (default_dynamic_qconfig) or per_channel.
    #[arg(long)]
    pub(crate) qconfig: Option<String>,
    /// Activation observer override: minmax, moving_average or histogram. Swaps the observer class
    /// only: the qconfig's dtype, qscheme, reduce_range and quant range are kept (`default` keeps 0..127).
    #[arg(long)]
    pub(crate) observer: Option<String>,
    /// Per-tensor weights (default_weight_observer) instead of the qconfig's.
    #[arg(long)]
    pub(crate) per_tensor: bool,
    /// Do not apply the spec's fuse groups.
    #[arg(long)]
    pub(crate) no_fuse: bool,
    /// Samples per calibration batch (>= 1) [default: 32].
    #[arg(long)]
    pub(crate) calib_batch: Option<usize>,
    /// cpu (the fast path), cpu-reference (plain loops) or webgpu (alias gpu; a missing or
    /// failing GPU falls back to cpu with the reason).
    #[arg(long, default_value = "cpu")]
    pub(crate) backend: quantplay::BackendKind,
    /// Write the int8 model (safetensors, layout quantplay-int8/1).
    #[arg(long)]
    pub(crate) out: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub(crate) json: bool,
    /// Add each layer's weight codes and the eval outputs (codes and dequantized) to the report.
    #[arg(long)]
    pub(crate) dump: bool,
    /// The numeric debugger's flags (`cli_debug.rs`).
    #[command(flatten)]
    pub(crate) debug: crate::cli_debug::DebugArgs,
    /// With --backend webgpu: also calibrate on the CPU and report both qparams per observer
    /// and how many int8 eval codes differ (`calibration_vs_cpu` in --json).
    #[arg(long)]
    pub(crate) compare_cpu: bool,
}

fn run(a: &QuantizeArgs) -> Result<()> {
    if a.dynamic {
        return crate::cli_dynamic::run(a);
    }
    let calib_path = a.calib.as_deref().ok_or_else(|| quantplay::Error::InvalidArgument {
        name: "--calib",
        value: "(missing)".into(),
        valid: "a calibration file (safetensors with `x`) for static quantization, or --dynamic, which needs none"
            .into(),
    })?;
    if let Some(out) = &a.out {
        let mut inputs = vec![("--spec", a.spec.as_str()), ("--weights", &a.weights), ("--calib", calib_path)];
        inputs.extend(a.eval.as_deref().map(|e| ("--eval", e)));
        refuse_overwriting_inputs(out, &inputs)?;
    }
    if a.calib_batch == Some(0) {
        return Err(quantplay::Error::InvalidArgument {
            name: "--calib-batch",
            value: "0".into(),
            valid: "a sample count >= 1".into(),
        });
    }
    let model = cli_inputs::model(&a.spec, &a.weights)?;
    let calib = cli_inputs::data("--calib", calib_path, &model)?;
    let eval = a.eval.as_deref().map(|p| cli_inputs::data("--eval", p, &model)).transpose()?;
    let opt = PtqOptions {
        qconfig: a.qconfig.clone(),
        observer: a.observer.clone(),
        per_tensor: a.per_tensor,
        reduce_range: None,
        fuse: !a.no_fuse,
        calib_batch: a.calib_batch.unwrap_or(32),
        dump: a.dump,
        keep_float: crate::cli_debug::keep_float_paths(a.debug.keep_float.as_deref()),
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
        dbg: quantplay::app::ptq_debug::DebugOptions,
    }
    impl quantplay::app::backends::Job for PtqJob<'_> {
        type Output = (ptq::PtqRun, quantplay::app::ptq_debug::DebugReport);
        async fn run<B: quantplay::Backend>(&self, b: &B) -> Result<Self::Output> {
            let r = ptq::run(b, self.model, self.calib, self.eval, self.labels, self.opt).await?;
            let data = (self.calib, self.eval, self.labels);
            let d = crate::cli_debug::extras(b, self.model, data, self.opt, self.dbg, &r).await?;
            Ok((r, d))
        }
    }
    let dbg = a.debug.options();
    let job = PtqJob { model: &model, calib: (&calib.x, &calib.shape), eval: ev, labels, opt: &opt, dbg };
    let ran = pollster::block_on(quantplay::app::backends::run(a.backend, &job))?;
    if let Some(why) = &ran.fallback {
        eprintln!("note: {why}; running on {} instead", ran.ran_on);
    }
    let (result, extras) = ran.output;
    for w in &result.report.warnings {
        eprintln!("warning: {w}");
    }
    if let Some(out) = &a.out {
        write_int8(out, &result.converted.model)?;
    }
    let r = &result.report;
    if a.json {
        println!("{}", crate::cli_debug::json(r, &extras));
        return Ok(());
    }
    print_report(r);
    crate::cli_debug::print_text(&extras);
    match &r.calibration_vs_cpu {
        Some(c) => crate::cli_compare::print(c),
        None if a.compare_cpu => println!("--compare-cpu: the run was on {}, nothing to compare", ran.ran_on),
        None => {}
    }
    Ok(())
}

/// Prints a static report as text: input qparams, the per-layer table, float modules, accuracy.
pub fn print_report(r: &quantplay::quant::eager::Report) {
    if let Some(i) = &r.input {
        println!("input: scale {} zero_point {}", i.scale, i.zero_point);
    }
    println!(
        "{:<16} {:<22} {:>12} {:>5} {:<18} {:>6} {:>9} {:>7}",
        "layer", "kind", "out scale", "zp", "weight qscheme", "bias", "SQNR dB", "clip %"
    );
    for l in &r.layers {
        let bias = l.bias.as_ref().map_or("-".to_string(), |b| format!("f32×{}", b.len()));
        println!(
            "{:<16} {:<22} {:>12.6e} {:>5} {:<18} {:>6} {:>9.2} {:>7.3}",
            l.name,
            l.kind,
            l.output_scale,
            l.output_zero_point,
            l.weight_qscheme.as_deref().unwrap_or("- (no weights)"),
            bias,
            l.sqnr_db,
            l.clip_percent
        );
    }
    for (p, t) in &r.float_modules {
        println!("float (not in the mapping): {p} ({t})");
    }
    if let Some(acc) = &r.accuracy {
        println!("accuracy: float {:.4}  int8 {:.4}  agreement {:.4}", acc.float, acc.int8, acc.agreement);
    }
}

/// Writes a converted model to `out` (`quantplay-int8/1`, atomically; the fault pause halfway
/// lets tests interrupt it).
pub fn write_int8(out: &str, model: &quantplay::model::Model) -> Result<()> {
    let bytes = int8::save(model)?;
    write_atomic(out, |f| {
        let (first, rest) = bytes.split_at(bytes.len() / 2);
        f.write_all(first)?;
        crate::cli_interrupt::fault_pause();
        f.write_all(rest)
    })
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
