//! The whole quantization-aware fine-tuning run behind `quantplay qat` and the page's "QAT"
//! mode, as torch's eager recipe: `model.train()`, `fuse_modules_qat(model, spec.fuse)`,
//! `model.qconfig = get_default_qat_qconfig(name)`, `prepare_qat(model)`, N steps of
//! `torch.optim.SGD(model.parameters(), lr)` on `F.cross_entropy`, optionally
//! `model.apply(torch.ao.quantization.disable_observer)` after K steps, then `model.eval()` and
//! `convert` (torch/ao/quantization/quantize.py). The report compares the converted model with
//! the float model it started from (eval-mode `fuse_modules`, so the paths match).
//!
//! Batches: without a seed, `DataLoader(data, batch_size, shuffle=False)` cycled over epochs
//! (rows in order, the last batch of an epoch may be short), which torch reproduces exactly; with
//! a seed, each epoch's order is a Fisher–Yates shuffle from quantplay's `Rng` (not torch's RNG).
//!
//! Not here: file I/O (the CLI), the QAT modules and step (`quant::eager::qat*`).

use crate::app::backends::Job;
use crate::backend::Backend;
use crate::model::fuse::fuse_modules;
use crate::model::Model;
use crate::quant::eager::qat::{fuse_modules_qat, prepare_qat, QatModel};
use crate::quant::eager::report::{build_against, Report};
use crate::quant::qconfig::get_default_qat_qconfig;
use crate::rules::error::{Error, Result};
use crate::rules::optim::SgdConfig;
use crate::rules::rng::Rng;
use serde::Serialize;

/// Options of one QAT run (the CLI's flags).
#[derive(Debug, Clone, PartialEq)]
pub struct QatOptions {
    /// Backend of `get_default_qat_qconfig`: `x86`, `fbgemm`, `qnnpack`, `onednn`.
    pub qconfig: String,
    /// Training steps (≥ 1).
    pub steps: usize,
    /// SGD learning rate (momentum 0, as the QAT step supports).
    pub lr: f64,
    /// Samples per step.
    pub batch: usize,
    /// Shuffle each epoch with this seed; `None` keeps the rows in order.
    pub seed: Option<u64>,
    /// Disable every fake-quant's observer after this many steps (`None`: never).
    pub disable_observer_after: Option<usize>,
    /// Put weight codes and eval outputs in the report.
    pub dump: bool,
}

impl Default for QatOptions {
    fn default() -> Self {
        QatOptions {
            qconfig: "x86".into(),
            steps: 10,
            lr: 0.01,
            batch: 32,
            seed: None,
            disable_observer_after: None,
            dump: false,
        }
    }
}

/// Samples `(values, shape)` with the batch first, and optional class labels.
pub type Samples<'a> = (&'a [f32], &'a [usize], Option<&'a [i32]>);

/// One training step's record.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct QatStepRecord {
    /// 1-based step.
    pub step: usize,
    /// Mean cross-entropy of the step's batch (before the update).
    pub loss: f32,
    /// Whether the fake-quant observers were on during the step.
    pub observer_enabled: bool,
}

/// One fake-quant module's qparams after training.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FakeQuantRecord {
    /// torch's module name (`fc1.weight_fake_quant`, `quant.activation_post_process`).
    pub path: String,
    /// Its `scale` buffer (one per tensor or per channel).
    pub scale: Vec<f32>,
    /// Its `zero_point` buffer.
    pub zero_point: Vec<i32>,
}

/// The QAT report: the static report of the converted model plus the training log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QatReport {
    /// Always `"qat"`.
    pub mode: &'static str,
    /// The converted model against the starting float model.
    #[serde(flatten)]
    pub report: Report,
    /// Every step's loss.
    pub steps: Vec<QatStepRecord>,
    /// Every fake-quant module's final scale and zero point.
    pub fake_quant: Vec<FakeQuantRecord>,
}

/// What a QAT run produced.
pub struct QatRun {
    /// The trained QAT model.
    pub qat: QatModel,
    /// The converted model.
    pub model: Model,
    /// The report.
    pub report: QatReport,
}

fn check(opt: &QatOptions, n: usize) -> Result<()> {
    let bad = |name, value: String, valid: &str| Err(Error::InvalidArgument { name, value, valid: valid.into() });
    if opt.steps == 0 {
        return bad("steps", "0".into(), "an integer >= 1");
    }
    if opt.batch == 0 {
        return bad("batch", "0".into(), "an integer >= 1");
    }
    if !(opt.lr.is_finite() && opt.lr > 0.0) {
        return bad("lr", opt.lr.to_string(), "a finite number > 0");
    }
    if n == 0 {
        return bad("training data", "0 samples".into(), "at least 1 sample");
    }
    Ok(())
}

/// The row indices of every step's batch.
pub fn batches(n: usize, batch: usize, steps: usize, seed: Option<u64>) -> Vec<Vec<usize>> {
    let mut rng = seed.map(Rng::new);
    let mut order: Vec<usize> = Vec::new();
    let mut at = 0;
    let mut out = Vec::with_capacity(steps);
    while out.len() < steps {
        if at >= order.len() {
            order = (0..n).collect();
            if let Some(r) = rng.as_mut() {
                for i in (1..n).rev() {
                    order.swap(i, (r.next_u64() % (i as u64 + 1)) as usize);
                }
            }
            at = 0;
        }
        let end = (at + batch).min(n);
        out.push(order[at..end].to_vec());
        at = end;
    }
    out
}

/// Runs QAT on a copy of `model` with `train` `(values, shape)` and class labels, reports on
/// `eval` (the training data when absent). Training, the float reference and the int8 model run
/// on `b`. `on_step` sees each step's record as soon as the step is done (the CLI's progress).
pub async fn run<B: Backend>(
    b: &B,
    model: &Model,
    train: (&[f32], &[usize], &[i32]),
    eval: Option<Samples<'_>>,
    opt: &QatOptions,
    on_step: &dyn Fn(&QatStepRecord),
) -> Result<QatRun> {
    use crate::app::ptq_plan::{ptq_plan, HINT};
    let (x, shape, y) = train;
    let n = shape.first().copied().unwrap_or(0);
    check(opt, n)?;
    let mut one = shape.to_vec();
    one[0] = opt.batch.min(n);
    ptq_plan(model, &one, eval.map(|e| e.1)).check(&b.limits(), "this QAT run", HINT)?;
    let qconfig = get_default_qat_qconfig(&opt.qconfig).map_err(|_| Error::InvalidArgument {
        name: "QAT qconfig",
        value: opt.qconfig.clone(),
        valid: "x86, fbgemm, qnnpack, onednn (get_default_qat_qconfig)".into(),
    })?;
    let mut qat = prepare_qat(model, fuse_modules_qat(model, &model.fuse)?, &qconfig)?;
    let per = x.len() / n;
    let cfg = SgdConfig { lr: opt.lr, ..SgdConfig::default() };
    let mut steps = Vec::with_capacity(opt.steps);
    for (i, rows) in batches(n, opt.batch, opt.steps, opt.seed).into_iter().enumerate() {
        let observer_enabled = opt.disable_observer_after.is_none_or(|k| i < k);
        if !observer_enabled {
            for l in &mut qat.layers {
                l.weight_fq.iter_mut().chain(l.act_fq.iter_mut()).for_each(|f| f.disable_observer());
            }
        }
        let bx: Vec<f32> = rows.iter().flat_map(|&r| x[r * per..(r + 1) * per].iter().copied()).collect();
        let by: Vec<i32> = rows.iter().map(|&r| y[r]).collect();
        let mut bs = shape.to_vec();
        bs[0] = rows.len();
        let loss = qat.train_step(b, &bx, &bs, &by, &cfg).await?;
        let record = QatStepRecord { step: i + 1, loss, observer_enabled };
        on_step(&record);
        steps.push(record);
    }
    let converted = qat.convert()?;
    let float = fuse_modules(model, &model.fuse)?;
    let (ex, es, ey) = eval.unwrap_or((x, shape, Some(y)));
    let report =
        build_against(b, &float, &converted, Vec::new(), Vec::new(), (x, shape), (ex, es), ey, opt.dump).await?;
    let fake_quant = qat
        .fake_quants()
        .into_iter()
        .map(|(path, f)| FakeQuantRecord { path, scale: f.scale.clone(), zero_point: f.zero_point.clone() })
        .collect();
    Ok(QatRun { qat, model: converted, report: QatReport { mode: "qat", report, steps, fake_quant } })
}

/// [`run`] as a [`Job`] for the backend rule (`app::backends`).
pub struct QatJob<'a> {
    /// The float model.
    pub model: &'a Model,
    /// Training samples, shape `(n, …)`, and labels `(n,)`.
    pub train: (&'a [f32], &'a [usize], &'a [i32]),
    /// Evaluation samples, shape and optional labels.
    pub eval: Option<Samples<'a>>,
    /// The run's options.
    pub opt: &'a QatOptions,
    /// Called after each step.
    pub on_step: &'a dyn Fn(&QatStepRecord),
}

impl Job for QatJob<'_> {
    type Output = QatRun;
    async fn run<B: Backend>(&self, b: &B) -> Result<QatRun> {
        run(b, self.model, self.train, self.eval, self.opt, self.on_step).await
    }
}

#[cfg(test)]
mod tests {
    use super::batches;

    #[test]
    fn unseeded_batches_walk_the_rows_in_order_and_wrap_at_each_epoch() {
        assert_eq!(batches(5, 2, 4, None), vec![vec![0, 1], vec![2, 3], vec![4], vec![0, 1]]);
    }

    #[test]
    fn seeded_batches_cover_every_row_once_per_epoch() {
        let b = batches(7, 3, 3, Some(9));
        let mut seen: Vec<usize> = b.concat();
        seen.sort();
        assert_eq!(seen, (0..7).collect::<Vec<_>>());
        assert_ne!(b.concat(), (0..7).collect::<Vec<_>>(), "seed 9 shuffles");
    }
}
