//! The page's Quantize modes besides static PTQ (`ptq::run_for_page`): **dynamic**
//! (`dynamic_run`: no calibration, evaluated on the test split) and **QAT** fine-tuning
//! (`qat_run`: N SGD steps from the run's current weights on its training split, then convert),
//! as one [`Job`] whose JSON has the static result's shape (`report`, `activations`,
//! `observers`, `placement`) plus `mode`, so the Quantize panel draws all three. Also the
//! options that pick the mode, taken out of `Trainer.quantize`'s options JSON.
//!
//! Not here: the runs themselves (`dynamic_run`, `qat_run`), the session's data (`session_quant`,
//! `session_qmodes`).

use crate::app::backends::Job;
use crate::app::dynamic_run::{self, DynamicOptions};
use crate::app::qat_run::{self, QatOptions};
use crate::backend::Backend;
use crate::model::Model;
use crate::rules::error::{Error, Result};
use serde_json::{json, Map, Value};

/// Steps a page QAT run may take at most (each reads tensors back to the host).
pub const MAX_PAGE_QAT_STEPS: u64 = 2000;

/// A Quantize mode other than static PTQ.
#[derive(Debug, Clone, PartialEq)]
pub enum PageMode {
    /// `quantize_dynamic` with `default_dynamic_qconfig`.
    Dynamic,
    /// QAT with these options (qconfig from the panel's qconfig backend).
    Qat(QatOptions),
}

/// Removes `mode`, `qat_steps`, `qat_lr` and `qat_batch` from the options object; returns
/// `None` for static PTQ (`mode` absent, null or `"static"`). Bad values are named errors.
pub fn take_mode(o: &mut Map<String, Value>) -> Result<Option<PageMode>> {
    let mode = o.remove("mode");
    let steps = o.remove("qat_steps");
    let lr = o.remove("qat_lr");
    let batch = o.remove("qat_batch");
    let bad =
        |name: &'static str, v: &Value, valid: String| Error::InvalidArgument { name, value: v.to_string(), valid };
    match mode.as_ref().map(|m| (m, m.as_str())) {
        None | Some((Value::Null, _)) | Some((_, Some("static"))) => Ok(None),
        Some((_, Some("dynamic"))) => Ok(Some(PageMode::Dynamic)),
        Some((_, Some("qat"))) => {
            let mut q = QatOptions { steps: 50, ..QatOptions::default() };
            if let Some(v) = steps.filter(|v| !v.is_null()) {
                q.steps = v
                    .as_u64()
                    .filter(|n| (1..=MAX_PAGE_QAT_STEPS).contains(n))
                    .ok_or_else(|| bad("qat_steps", &v, format!("an integer in 1..={MAX_PAGE_QAT_STEPS}")))?
                    as usize;
            }
            if let Some(v) = lr.filter(|v| !v.is_null()) {
                q.lr = v
                    .as_f64()
                    .filter(|x| x.is_finite() && *x > 0.0 && *x <= 10.0)
                    .ok_or_else(|| bad("qat_lr", &v, "a number in (0, 10]".into()))?;
            }
            if let Some(v) = batch.filter(|v| !v.is_null()) {
                let max = crate::rules::limits::MAX_ELEMENTS as u64;
                q.batch = v
                    .as_u64()
                    .filter(|n| (1..=max).contains(n))
                    .ok_or_else(|| bad("qat_batch", &v, format!("an integer in 1..={max}")))?
                    as usize;
            }
            Ok(Some(PageMode::Qat(q)))
        }
        Some((v, _)) => Err(bad("mode", v, "\"static\", \"dynamic\" or \"qat\"".into())),
    }
}

/// One dynamic or QAT run for the page.
pub struct PageModeJob<'a> {
    /// The run's current float MLP.
    pub model: &'a Model,
    /// Which mode, with its options.
    pub mode: &'a PageMode,
    /// Apply the model's fuse groups (the panel's "fuse Linear+ReLU").
    pub fuse: bool,
    /// The qconfig backend name (QAT: `get_default_qat_qconfig`).
    pub qconfig: &'a str,
    /// Training samples `(n, in)` and labels (QAT only; empty otherwise).
    pub train: (&'a [f32], &'a [usize], &'a [i32]),
    /// Evaluation samples `(m, in)` and labels.
    pub eval: (&'a [f32], &'a [usize], &'a [i32]),
}

impl Job for PageModeJob<'_> {
    type Output = Value;
    async fn run<B: Backend>(&self, b: &B) -> Result<Value> {
        let mut model = self.model.clone();
        if !self.fuse {
            model.fuse.clear();
        }
        let (ex, es, ey) = self.eval;
        let on = b.name();
        match self.mode {
            PageMode::Dynamic => {
                let opt = DynamicOptions { qconfig: "default".into(), fuse: self.fuse, dump: false };
                let r = dynamic_run::run(b, &model, Some((ex, es)), Some(ey), &opt).await?;
                let placement = json!({ "float_reference": on, "int8_forward": on });
                Ok(
                    json!({ "mode": "dynamic", "report": r.report, "activations": [], "observers": [], "placement": placement }),
                )
            }
            PageMode::Qat(q) => {
                let opt = QatOptions { qconfig: self.qconfig.into(), ..q.clone() };
                let r = qat_run::run(b, &model, self.train, Some((ex, es, Some(ey))), &opt, &|_| {}).await?;
                // Observers and SGD run on the host (quant::eager::qat_step); the forward and
                // backward passes on `b`.
                let placement =
                    json!({ "training": on, "observer_statistics": "cpu", "float_reference": on, "int8_forward": on });
                Ok(
                    json!({ "mode": "qat", "report": r.report, "activations": [], "observers": [], "placement": placement }),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take(s: &str) -> Result<Option<PageMode>> {
        let mut v: Value = serde_json::from_str(s).unwrap();
        take_mode(v.as_object_mut().unwrap())
    }

    #[test]
    fn the_mode_options_parse_and_bad_ones_name_the_valid_values() {
        assert_eq!(take("{}").unwrap(), None);
        assert_eq!(take(r#"{"mode":"static"}"#).unwrap(), None);
        assert_eq!(take(r#"{"mode":"dynamic"}"#).unwrap(), Some(PageMode::Dynamic));
        let Some(PageMode::Qat(q)) = take(r#"{"mode":"qat","qat_steps":7,"qat_lr":0.02}"#).unwrap() else { panic!() };
        assert_eq!((q.steps, q.lr), (7, 0.02));
        assert!(take(r#"{"mode":"fp8"}"#).unwrap_err().to_string().contains("\"dynamic\""));
        assert!(take(r#"{"mode":"qat","qat_steps":0}"#).unwrap_err().to_string().contains("1..=2000"));
        assert!(take(r#"{"mode":"qat","qat_lr":-1}"#).unwrap_err().to_string().contains("(0, 10]"));
    }
}
