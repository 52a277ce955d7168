//! The whole post-training static quantization run behind `quantplay quantize` and the page:
//! fuse (the spec's groups) → `quantize(model, calibrate, batches)` → report, with the qconfig
//! chosen by name and the CLI's observer / per-tensor overrides.
//!
//! Not here: file I/O (the CLI reads and writes files; the page passes typed arrays).

use crate::app::backends::{Job, Ran};
use crate::backend::Backend;
use crate::backend::BackendKind;
use crate::model::fuse::fuse_modules;
use crate::model::spec::QConfigAttr;
use crate::model::Model;
use crate::quant::eager::calib_compare::{calibrate_on_cpu, compare};
use crate::quant::eager::convert::{convert, Converted, Mapping};
use crate::quant::eager::prepare::{prepare, Prepared, QConfigDict};
use crate::quant::eager::report::{build, Report};
use crate::rules::error::Result;

/// Options of one run (the CLI's flags).
#[derive(Debug, Clone, PartialEq)]
pub struct PtqOptions {
    /// qconfig name for the root (`default`, `x86`, `fbgemm`, `qnnpack`, `onednn`); `None`
    /// keeps the spec's root qconfig, or `x86` when the spec has none.
    pub qconfig: Option<String>,
    /// Activation observer override: `minmax`, `moving_average`, `histogram`.
    pub observer: Option<String>,
    /// Per-tensor weights (`default_weight_observer`) instead of the qconfig's.
    pub per_tensor: bool,
    /// Override the activation observers' `reduce_range`.
    pub reduce_range: Option<bool>,
    /// Apply the spec's fuse groups first.
    pub fuse: bool,
    /// Samples per calibration batch (matters for MovingAverage and Histogram observers).
    pub calib_batch: usize,
    /// Put weight codes and eval outputs in the report.
    pub dump: bool,
    /// Layers (fused paths) left float: `qconfig = None` plus stubs
    /// (`quant::eager::sensitivity::keep_float`); an unknown path is an error naming the valid.
    pub keep_float: Vec<String>,
    /// On a backend other than the CPU fast path, also calibrate on the CPU and put the
    /// comparison in the report (`calibration_vs_cpu`).
    pub compare_cpu: bool,
}

impl Default for PtqOptions {
    fn default() -> Self {
        PtqOptions {
            qconfig: None,
            observer: None,
            per_tensor: false,
            reduce_range: None,
            fuse: true,
            calib_batch: 32,
            dump: false,
            keep_float: Vec::new(),
            compare_cpu: false,
        }
    }
}

/// What a run produced.
pub struct PtqRun {
    /// The model that was prepared (fused if asked), with its calibrated observers.
    pub prepared: Prepared,
    /// The converted model and convert's notes.
    pub converted: Converted,
    /// The report.
    pub report: Report,
}

/// Runs PTQ on a copy of `model` (it is left untouched) and reports; calibration (the float
/// forward), the float reference and the quantized model all run on `b`. First checks the run's
/// plan (`ptq_plan`) against `b.limits()`: a tensor or grid over a limit is a named
/// [`crate::rules::Error::ResourceLimit`] before anything is fused, copied or allocated. `calib`/`eval` are `(values, shape)` with the batch first; `labels` are
/// class indices for `eval`.
pub async fn run<B: Backend>(
    b: &B,
    model: &Model,
    calib: (&[f32], &[usize]),
    eval: Option<(&[f32], &[usize])>,
    labels: Option<&[i32]>,
    opt: &PtqOptions,
) -> Result<PtqRun> {
    use crate::app::ptq_plan::{ptq_plan, HINT};
    ptq_plan(model, calib.1, eval.map(|e| e.1)).check(&b.limits(), "this quantization run", HINT)?;
    let mut m = if opt.fuse { fuse_modules(model, &model.fuse)? } else { model.clone() };
    match (&opt.qconfig, &m.root.qconfig) {
        (Some(name), _) => m.root.qconfig = QConfigAttr::Named(name.clone()),
        (None, QConfigAttr::Inherit) => m.root.qconfig = QConfigAttr::Named("x86".into()),
        (None, _) => {}
    }
    let dict = QConfigDict {
        observer: opt.observer.clone(),
        per_tensor_weights: opt.per_tensor,
        reduce_range: opt.reduce_range,
        ..Default::default()
    };
    let m = crate::quant::eager::sensitivity::keep_float(&m, &dict, &opt.keep_float)?;
    let mut prepared = prepare(&m, &dict)?;
    let unprepared = (opt.compare_cpu && b.capabilities().backend != BackendKind::Cpu).then(|| prepared.clone());
    prepared.calibrate_on(b, calib.0, calib.1, opt.calib_batch).await?;
    let converted = convert(&prepared, &Mapping::default())?;
    let eval = eval.unwrap_or(calib);
    let mut report = build(
        b,
        &prepared,
        &converted.model,
        converted.float_modules.clone(),
        converted.warnings.clone(),
        calib,
        eval,
        labels,
        opt.dump,
    )
    .await?;
    if let Some(u) = unprepared {
        let cpu = calibrate_on_cpu(&u, calib, opt.calib_batch).await?;
        let cpu_converted = convert(&cpu, &Mapping::default())?;
        let both = ((&prepared, &converted.model), (&cpu, &cpu_converted.model));
        report.calibration_vs_cpu = Some(compare(b, both.0, both.1, eval).await?);
    }
    Ok(PtqRun { prepared, converted, report })
}

/// Parses the page's options JSON: `{"qconfig", "observer", "per_tensor", "reduce_range",
/// "fuse", "calib_batch", "compare_cpu"}`, every field optional; unknown fields and bad values are errors
/// naming them and the valid values.
pub fn options_from_json(text: &str) -> Result<PtqOptions> {
    use crate::rules::error::Error;
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| Error::InvalidArgument {
        name: "options",
        value: text.into(),
        valid: format!("a JSON object ({e})"),
    })?;
    let obj = v.as_object().ok_or_else(|| Error::InvalidArgument {
        name: "options",
        value: text.into(),
        valid: "a JSON object".into(),
    })?;
    let mut o = PtqOptions::default();
    for (k, val) in obj {
        let bad = |valid: &str| Error::InvalidArgument {
            name: "PTQ option",
            value: format!("{k} = {val}"),
            valid: valid.into(),
        };
        match k.as_str() {
            "qconfig" => {
                o.qconfig = Some(
                    val.as_str()
                        .ok_or_else(|| bad("qconfig: \"default\", \"x86\", \"fbgemm\", \"qnnpack\", \"onednn\""))?
                        .to_string(),
                )
            }
            "observer" => {
                o.observer = if val.is_null() {
                    None
                } else {
                    Some(
                        val.as_str()
                            .ok_or_else(|| bad("observer: null, \"minmax\", \"moving_average\", \"histogram\""))?
                            .to_string(),
                    )
                }
            }
            "per_tensor" => o.per_tensor = val.as_bool().ok_or_else(|| bad("per_tensor: true or false"))?,
            "reduce_range" => {
                o.reduce_range = if val.is_null() {
                    None
                } else {
                    Some(val.as_bool().ok_or_else(|| bad("reduce_range: null, true or false"))?)
                }
            }
            "fuse" => o.fuse = val.as_bool().ok_or_else(|| bad("fuse: true or false"))?,
            "compare_cpu" => o.compare_cpu = val.as_bool().ok_or_else(|| bad("compare_cpu: true or false"))?,
            "calib_batch" => {
                // Checked before the cast: on wasm32 `2³² as usize` is 0, a chunk size of 0.
                let max = crate::rules::limits::MAX_ELEMENTS as u64;
                o.calib_batch = val
                    .as_u64()
                    .filter(|&n| (1..=max).contains(&n))
                    .ok_or_else(|| bad(&format!("calib_batch: an integer in 1..={max}")))?
                    as usize
            }
            _ => return Err(bad("fields qconfig, observer, per_tensor, reduce_range, fuse, calib_batch, compare_cpu")),
        }
    }
    Ok(o)
}

/// One PTQ run for the playground: the report, each activation's histogram with its grid and
/// clip range, and the observer comparison, as one JSON object
/// `{"report", "activations", "observers"}`.
pub async fn run_for_page<B: Backend>(
    b: &B,
    model: &Model,
    calib: (&[f32], &[usize]),
    eval: (&[f32], &[usize]),
    labels: &[i32],
    opt: &PtqOptions,
) -> Result<serde_json::Value> {
    let r = run(b, model, calib, Some(eval), Some(labels), opt).await?;
    let activations = crate::quant::eager::inspect::activation_histograms(b, &r.prepared, calib.0, calib.1).await?;
    let qname = opt.qconfig.clone().unwrap_or_else(|| "x86".into());
    let mut qc = crate::quant::qconfig::qconfig_by_name(&qname)?;
    if let Some(rr) = opt.reduce_range {
        qc.activation.args.reduce_range = rr;
    }
    let observers =
        crate::quant::eager::inspect::observer_comparison(b, &r.prepared, &qc, calib.0, calib.1, opt.calib_batch)
            .await?;
    // Where each part ran, so the page can say it truly: the forward passes run on `b`, and so
    // do the observers' reductions (min/max, histc counts: `quant::eager::calib_device`); the
    // host only folds those few statistics into the observers (`observer_updates`).
    let on = b.name();
    let placement = serde_json::json!({
        "calibration_forward": on,
        "observer_statistics": on,
        "observer_updates": "cpu",
        "float_reference": on,
        "int8_forward": on,
    });
    Ok(
        serde_json::json!({ "report": r.report, "activations": activations, "observers": observers, "placement": placement }),
    )
}

/// [`run_for_page`] as a [`Job`], so the backend rule (`app::backends`) decides where it runs.
pub struct PageQuantJob<'a> {
    /// The float model.
    pub model: &'a Model,
    /// Calibration samples and their shape `(n, in)`.
    pub calib: (&'a [f32], &'a [usize]),
    /// Evaluation samples and their shape `(m, in)`.
    pub eval: (&'a [f32], &'a [usize]),
    /// Evaluation labels `(m,)`.
    pub eval_y: &'a [i32],
    /// The run's options.
    pub opt: &'a PtqOptions,
}

impl Job for PageQuantJob<'_> {
    type Output = serde_json::Value;
    async fn run<B: Backend>(&self, b: &B) -> Result<serde_json::Value> {
        run_for_page(b, self.model, self.calib, self.eval, self.eval_y, self.opt).await
    }
}

impl Ran<serde_json::Value> {
    /// The page's JSON with `ran_on` (where it ran) and `fallback` (why not where asked, or
    /// null) added.
    pub fn into_json(self) -> serde_json::Value {
        let mut v = self.output;
        v["ran_on"] = self.ran_on.name().into();
        v["fallback"] = self.fallback.into();
        v
    }
}
