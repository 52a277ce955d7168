//! The numeric debugger around a PTQ run (`app::ptq::run`), for the CLI's `--debug`, `--sweep`
//! and `--keep-float` and the page's `debug`, `sweep` and `keep_float` options:
//! - `debug`: Numeric Suite's per-layer weight and activation comparison
//!   (`quant::eager::debug::compare`) of the run's model;
//! - `sweep`: one PTQ per quantized layer with only that layer kept float
//!   (`quant::eager::sensitivity`), rows sorted so the layer that hurts most comes first;
//! - `keep_float`: the run's accuracy against the fully quantized model's.
//!
//! Every run is on the caller's backend `b`, with the same data and options, so a row of the
//! sweep and a later keep-float run of that layer give the same accuracy.
//!
//! Not here: the comparisons' math (`quant::eager::debug`), the stubs (`sensitivity.rs`).

use crate::app::backends::Job;
use crate::app::ptq::{run, run_for_page, PtqOptions, PtqRun};
use crate::backend::Backend;
use crate::model::Model;
use crate::quant::eager::debug::{compare, NumericComparison};
use crate::quant::eager::sensitivity::{sort_sweep, SweepRow};
use crate::rules::error::{Error, Result};
use serde::Serialize;

/// What to add to a PTQ run (the run's own `keep_float` is in [`PtqOptions`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DebugOptions {
    /// Add the per-layer weight / activation comparison.
    pub debug: bool,
    /// Add the sensitivity sweep (needs labels).
    pub sweep: bool,
}

/// The sensitivity sweep.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sweep {
    /// Float model accuracy (0–1).
    pub float: f64,
    /// Fully quantized model accuracy (0–1), what each row's `gain` is measured from.
    pub int8: f64,
    /// One row per quantized layer, largest gain first.
    pub rows: Vec<SweepRow>,
}

/// The effect of the run's `keep_float` layers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeepFloat {
    /// The layers kept float.
    pub layers: Vec<String>,
    /// Fully quantized accuracy (0–1), when labels were given.
    pub int8: Option<f64>,
    /// Accuracy with `layers` kept float.
    pub accuracy: Option<f64>,
    /// `accuracy − int8`.
    pub change: Option<f64>,
}

/// What the debugger adds to the report; absent parts were not asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct DebugReport {
    /// `compare_weights` / `compare_model_outputs` of the run's model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debug: Option<NumericComparison>,
    /// The sensitivity sweep.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sweep: Option<Sweep>,
    /// The keep-float comparison.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_float: Option<KeepFloat>,
}

/// Data of a run: calibration `(x, shape)`, evaluation `(x, shape)` and its labels.
pub type DebugData<'a> = ((&'a [f32], &'a [usize]), Option<(&'a [f32], &'a [usize])>, Option<&'a [i32]>);

fn int8_acc(r: &PtqRun) -> Option<f64> {
    r.report.accuracy.map(|a| a.int8)
}

/// The debugger's additions for `opt` on `model`. `main` is the run of `opt` when the caller
/// already has it (the CLI), else it is run here when needed. `progress(done, total, layer)` is
/// called before each sweep run and once at the end (`done == total`, layer `""`).
pub async fn extras<B: Backend>(
    b: &B,
    model: &Model,
    data: DebugData<'_>,
    opt: &PtqOptions,
    dbg: DebugOptions,
    main: Option<&PtqRun>,
    progress: &mut dyn FnMut(usize, usize, &str),
) -> Result<DebugReport> {
    let (calib, eval, labels) = data;
    if dbg.sweep && labels.is_none() {
        return Err(Error::InvalidArgument {
            name: "sweep",
            value: "evaluation data without labels".into(),
            valid: "evaluation data with class labels (the CLI's --eval file with a `y` tensor)".into(),
        });
    }
    // The extra runs need neither the dump nor a second, CPU calibration to compare with.
    let quiet = PtqOptions { dump: false, compare_cpu: false, ..opt.clone() };
    let main_owned;
    let main = match main {
        Some(m) => m,
        None => {
            main_owned = run(b, model, calib, eval, labels, &quiet).await?;
            &main_owned
        }
    };
    let mut out = DebugReport::default();
    if dbg.debug {
        let ev = eval.unwrap_or(calib);
        out.debug = Some(compare(b, &main.prepared, &main.converted.model, ev).await?);
    }
    // The fully quantized run: `main` itself unless layers were kept float.
    let baseline_owned;
    let baseline = if opt.keep_float.is_empty() || labels.is_none() {
        main
    } else {
        let full = PtqOptions { keep_float: Vec::new(), ..quiet.clone() };
        baseline_owned = run(b, model, calib, eval, labels, &full).await?;
        &baseline_owned
    };
    if !opt.keep_float.is_empty() {
        let (int8, accuracy) = if labels.is_some() { (int8_acc(baseline), int8_acc(main)) } else { (None, None) };
        out.keep_float = Some(KeepFloat {
            layers: opt.keep_float.clone(),
            int8,
            accuracy,
            change: int8.zip(accuracy).map(|(a, b)| b - a),
        });
    }
    if dbg.sweep {
        let acc = baseline.report.accuracy.expect("labels were checked");
        // The sweep starts from the fully quantized model, whatever the run kept float.
        // Layers with int8 weights (what keep_float accepts); not the QuantStubs' Quantize rows.
        let layers: Vec<String> =
            baseline.report.layers.iter().filter(|l| l.weight_qscheme.is_some()).map(|l| l.name.clone()).collect();
        let mut rows = Vec::new();
        for (i, name) in layers.iter().enumerate() {
            progress(i, layers.len(), name);
            let one = PtqOptions { keep_float: vec![name.clone()], ..quiet.clone() };
            let r = run(b, model, calib, eval, labels, &one).await?;
            let a = int8_acc(&r).expect("labels were checked");
            rows.push(SweepRow { name: name.clone(), accuracy: a, gain: a - acc.int8 });
        }
        progress(layers.len(), layers.len(), "");
        sort_sweep(&mut rows);
        out.sweep = Some(Sweep { float: acc.float, int8: acc.int8, rows });
    }
    Ok(out)
}

/// The page's debugger options, taken out of its options object (so `options_from_json` sees
/// only PTQ fields): `"debug"` and `"sweep"` (booleans) and `"keep_float"` (an array of layer
/// paths). A bad value is an error naming it and the valid ones.
pub fn take_page_options(o: &mut serde_json::Map<String, serde_json::Value>) -> Result<(DebugOptions, Vec<String>)> {
    let flag = |o: &mut serde_json::Map<String, serde_json::Value>, k: &'static str| match o.remove(k) {
        None | Some(serde_json::Value::Null) => Ok(false),
        Some(v) => {
            v.as_bool().ok_or(Error::InvalidArgument { name: k, value: v.to_string(), valid: "true or false".into() })
        }
    };
    let dbg = DebugOptions { debug: flag(o, "debug")?, sweep: flag(o, "sweep")? };
    let keep = match o.remove("keep_float") {
        None | Some(serde_json::Value::Null) => Vec::new(),
        Some(v) => {
            let bad = || Error::InvalidArgument {
                name: "keep_float",
                value: v.to_string(),
                valid: "an array of layer paths (strings such as \"fc1\")".into(),
            };
            let arr = v.as_array().ok_or_else(bad)?;
            arr.iter().map(|s| s.as_str().map(String::from).ok_or_else(bad)).collect::<Result<Vec<_>>>()?
        }
    };
    Ok((dbg, keep))
}

/// The page's quantize with the debugger: [`run_for_page`]'s JSON plus the [`DebugReport`]'s
/// fields (`debug`, `sweep`, `keep_float`) at the top level.
pub struct PageDebugJob<'a> {
    /// The page's PTQ job (its options carry `keep_float`).
    pub quant: crate::app::ptq::PageQuantJob<'a>,
    /// What to add.
    pub dbg: DebugOptions,
}

impl Job for PageDebugJob<'_> {
    type Output = serde_json::Value;
    async fn run<B: Backend>(&self, b: &B) -> Result<serde_json::Value> {
        let q = &self.quant;
        let mut v = run_for_page(b, q.model, q.calib, q.eval, q.eval_y, q.opt).await?;
        if self.dbg != DebugOptions::default() || !q.opt.keep_float.is_empty() {
            let data = (q.calib, Some(q.eval), Some(q.eval_y));
            let d = extras(b, q.model, data, q.opt, self.dbg, None, &mut |_, _, _| {}).await?;
            let d = serde_json::to_value(d).expect("the debug report serialises");
            for (k, val) in d.as_object().expect("an object") {
                v[k] = val.clone();
            }
        }
        Ok(v)
    }
}
