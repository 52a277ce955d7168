//! The whole dynamic quantization run behind `quantplay quantize --dynamic` and the page's
//! "dynamic" mode: fuse (the spec's groups, so `(Linear, ReLU)` becomes LinearReLU) →
//! `quantize_dynamic(model, {Linear, LinearReLU: qconfig}, dtype=torch.qint8)` → report. The
//! qconfig is torch's `default_dynamic_qconfig` (per-tensor weights) or
//! `per_channel_dynamic_qconfig`; no calibration (activations are quantized per batch at run time).
//!
//! Not here: file I/O (the CLI), the swap (`quant::eager::dynamic`), the report
//! (`quant::eager::report_dynamic`).

use crate::app::backends::Job;
use crate::backend::Backend;
use crate::model::fuse::fuse_modules;
use crate::model::Model;
use crate::quant::eager::dynamic::quantize_dynamic;
use crate::quant::eager::report_dynamic::{build_dynamic, DynamicReport};
use crate::quant::qconfig::{default_dynamic_qconfig, per_channel_dynamic_qconfig, QConfig};
use crate::rules::error::{Error, Result};

/// The dynamic qconfig names `--qconfig` takes with `--dynamic`.
pub const DYNAMIC_QCONFIGS: &str = "default (default_dynamic_qconfig), per_channel (per_channel_dynamic_qconfig)";

/// Options of one dynamic run.
#[derive(Debug, Clone, PartialEq)]
pub struct DynamicOptions {
    /// `default` or `per_channel`.
    pub qconfig: String,
    /// Apply the spec's fuse groups first.
    pub fuse: bool,
    /// Put weight codes and eval outputs in the report.
    pub dump: bool,
}

impl Default for DynamicOptions {
    fn default() -> Self {
        DynamicOptions { qconfig: "default".into(), fuse: true, dump: false }
    }
}

/// torch's dynamic qconfig by name.
pub fn dynamic_qconfig(name: &str) -> Result<QConfig> {
    match name {
        "default" => Ok(default_dynamic_qconfig()),
        "per_channel" => Ok(per_channel_dynamic_qconfig()),
        _ => {
            Err(Error::InvalidArgument { name: "dynamic qconfig", value: name.into(), valid: DYNAMIC_QCONFIGS.into() })
        }
    }
}

/// What a dynamic run produced.
pub struct DynamicRun {
    /// The converted model (`DynamicQuantizedLinear` / `DynamicQuantizedLinearReLU` leaves).
    pub model: Model,
    /// The swapped module paths.
    pub swapped: Vec<String>,
    /// The report.
    pub report: DynamicReport,
}

/// Runs dynamic quantization on a copy of `model` and reports on `eval` `(values, shape)` when
/// given (float and dynamic models both run on `b`). The plan is checked against `b.limits()`
/// first, as a PTQ run's is.
pub async fn run<B: Backend>(
    b: &B,
    model: &Model,
    eval: Option<(&[f32], &[usize])>,
    labels: Option<&[i32]>,
    opt: &DynamicOptions,
) -> Result<DynamicRun> {
    use crate::app::ptq_plan::{ptq_plan, HINT};
    if let Some((_, shape)) = eval {
        let mut one = shape.to_vec();
        one[0] = 1;
        ptq_plan(model, &one, Some(shape)).check(&b.limits(), "this dynamic quantization run", HINT)?;
    }
    let qconfig = dynamic_qconfig(&opt.qconfig)?;
    let float = if opt.fuse { fuse_modules(model, &model.fuse)? } else { model.clone() };
    let (converted, swapped) = quantize_dynamic(&float, &qconfig, &["Linear", "LinearReLU"])?;
    let report = build_dynamic(b, &float, &converted, eval, labels, opt.dump).await?;
    Ok(DynamicRun { model: converted, swapped, report })
}

/// [`run`] as a [`Job`] for the backend rule (`app::backends`).
pub struct DynamicJob<'a> {
    /// The float model.
    pub model: &'a Model,
    /// Evaluation samples and their shape `(m, …)`.
    pub eval: Option<(&'a [f32], &'a [usize])>,
    /// Evaluation labels `(m,)`.
    pub labels: Option<&'a [i32]>,
    /// The run's options.
    pub opt: &'a DynamicOptions,
}

impl Job for DynamicJob<'_> {
    type Output = DynamicRun;
    async fn run<B: Backend>(&self, b: &B) -> Result<DynamicRun> {
        run(b, self.model, self.eval, self.labels, self.opt).await
    }
}
