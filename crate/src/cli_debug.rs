//! `quantplay quantize`'s numeric-debugger flags (`--debug`, `--sweep`, `--keep-float`) and how
//! their results print: a thin shell over `app::ptq_debug`. Sweep progress goes to stderr.
//!
//! Not here: the comparisons (`quant::eager::debug`), the runs (`app::ptq_debug`).

use clap::Args;
use quantplay::app::ptq::{PtqOptions, PtqRun};
use quantplay::app::ptq_debug::{self, DebugOptions, DebugReport};
use quantplay::quant::eager::Report;
use quantplay::Result;

/// The numeric debugger (torch.ao.ns Numeric Suite's `compare_weights` /
/// `compare_model_outputs`, plus a sensitivity sweep).
#[derive(Args, Default)]
pub struct DebugArgs {
    /// Add each quantized layer's float-vs-int8 weight and activation comparison (SQNR, cosine
    /// similarity, max abs error, clipping) to the report.
    #[arg(long)]
    pub debug: bool,
    /// Add the sensitivity sweep: accuracy with each quantized layer alone kept float, the layer
    /// that hurts most first (one PTQ per layer; needs --eval with `y`).
    #[arg(long)]
    pub sweep: bool,
    /// Keep these layers float (comma-separated paths, e.g. fc1,fc2) and report the accuracy
    /// change against the fully quantized model.
    #[arg(long, value_name = "PATHS")]
    pub keep_float: Option<String>,
}

impl DebugArgs {
    /// The flags as library options.
    pub fn options(&self) -> DebugOptions {
        DebugOptions { debug: self.debug, sweep: self.sweep }
    }
}

/// `--keep-float fc1,fc2` as paths (blank entries dropped; an unknown path is refused later by
/// `keep_float`, naming the valid ones).
pub fn keep_float_paths(arg: Option<&str>) -> Vec<String> {
    arg.map(|s| s.split(',').map(str::trim).filter(|p| !p.is_empty()).map(String::from).collect()).unwrap_or_default()
}

/// The debugger's additions for a finished run on backend `b`, printing sweep progress.
pub async fn extras<B: quantplay::Backend>(
    b: &B,
    model: &quantplay::model::Model,
    data: ptq_debug::DebugData<'_>,
    opt: &PtqOptions,
    dbg: DebugOptions,
    run: &PtqRun,
) -> Result<DebugReport> {
    let mut progress = |done: usize, total: usize, layer: &str| {
        if done < total {
            eprintln!("sweep {}/{total}: {layer} kept float", done + 1);
        } else {
            eprintln!("sweep done: {total} PTQ runs");
        }
    };
    ptq_debug::extras(b, model, data, opt, dbg, Some(run), &mut progress).await
}

/// The report as JSON with the debugger's fields (`debug`, `sweep`, `keep_float`) added when
/// present.
pub fn json(r: &Report, d: &DebugReport) -> String {
    let mut v = serde_json::to_value(r).expect("report serialises");
    if let serde_json::Value::Object(extra) = serde_json::to_value(d).expect("debug report serialises") {
        for (k, val) in extra {
            v[k] = val;
        }
    }
    v.to_string()
}

/// Prints the debugger's tables after the report's.
pub fn print_text(d: &DebugReport) {
    if let Some(c) = &d.debug {
        println!("compare_weights: {:<16} {:>9} {:>12}", "layer", "SQNR dB", "max abs err");
        for w in &c.weights {
            println!("                 {:<16} {:>9.2} {:>12.4e}", w.name, w.sqnr_db, w.max_abs_error);
        }
        println!(
            "compare_model_outputs: {:<16} {:>9} {:>9} {:>12} {:>7} {:>7} {:>7}",
            "layer", "SQNR dB", "cosine", "max abs err", "clip %", "@min %", "@max %"
        );
        for a in &c.activations {
            println!(
                "                       {:<16} {:>9.2} {:>9.6} {:>12.4e} {:>7.3} {:>7.2} {:>7.2}",
                a.name,
                a.sqnr_db,
                a.cosine_similarity,
                a.max_abs_error,
                a.clip_percent,
                a.at_min_percent,
                a.at_max_percent
            );
        }
    }
    if let Some(s) = &d.sweep {
        println!("sensitivity (accuracy with one layer kept float; float {:.4}, int8 {:.4}):", s.float, s.int8);
        for r in &s.rows {
            println!("  {:<16} {:.4} ({:+.4})", r.name, r.accuracy, r.gain);
        }
    }
    if let Some(k) = &d.keep_float {
        match (k.int8, k.accuracy, k.change) {
            (Some(q), Some(a), Some(c)) => {
                println!("kept float: {}: accuracy {a:.4} vs fully int8 {q:.4} ({c:+.4})", k.layers.join(", "))
            }
            _ => println!(
                "kept float: {} (no labels: give --eval with `y` for the accuracy change)",
                k.layers.join(", ")
            ),
        }
    }
}
