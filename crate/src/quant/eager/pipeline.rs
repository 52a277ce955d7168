//! The whole post-training static quantization run behind `quantplay quantize` and the page:
//! fuse (the spec's groups) → `quantize(model, calibrate, batches)` → report, with the qconfig
//! chosen by name and the CLI's observer / per-tensor overrides.
//!
//! Not here: file I/O (the CLI reads and writes files; the page passes typed arrays).

use super::convert::{convert, Converted, Mapping};
use super::prepare::{prepare, Prepared, QConfigDict};
use super::report::{build, Report};
use crate::backend::Backend;
use crate::error::Result;
use crate::model::fuse::fuse_modules;
use crate::model::spec::QConfigAttr;
use crate::model::Model;

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
    /// Apply the spec's fuse groups first.
    pub fuse: bool,
    /// Samples per calibration batch (matters for MovingAverage and Histogram observers).
    pub calib_batch: usize,
    /// Put weight codes and eval outputs in the report.
    pub dump: bool,
}

impl Default for PtqOptions {
    fn default() -> Self {
        PtqOptions { qconfig: None, observer: None, per_tensor: false, fuse: true, calib_batch: 32, dump: false }
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

/// Runs PTQ on a copy of `model` (it is left untouched) and reports; the quantized model runs on
/// `b` for the report. `calib`/`eval` are `(values, shape)` with the batch first; `labels` are
/// class indices for `eval`.
pub async fn run<B: Backend>(b: &B, model: &Model, calib: (&[f32], &[usize]), eval: Option<(&[f32], &[usize])>, labels: Option<&[i32]>, opt: &PtqOptions) -> Result<PtqRun> {
    let mut m = if opt.fuse { fuse_modules(model, &model.fuse)? } else { model.clone() };
    match (&opt.qconfig, &m.root.qconfig) {
        (Some(name), _) => m.root.qconfig = QConfigAttr::Named(name.clone()),
        (None, QConfigAttr::Inherit) => m.root.qconfig = QConfigAttr::Named("x86".into()),
        (None, _) => {}
    }
    let dict = QConfigDict { observer: opt.observer.clone(), per_tensor_weights: opt.per_tensor, ..Default::default() };
    let mut prepared = prepare(&m, &dict)?;
    prepared.calibrate(calib.0, calib.1, opt.calib_batch)?;
    let converted = convert(&prepared, &Mapping::default())?;
    let eval = eval.unwrap_or(calib);
    let report = build(b, &prepared, &converted.model, converted.float_modules.clone(), converted.warnings.clone(), calib, eval, labels, opt.dump).await?;
    Ok(PtqRun { prepared, converted, report })
}
