//! An interactive training session on any [`Backend`]: the state behind the page's `Trainer`
//! (and usable natively). Steps run on the backend with nothing read back; each step's metrics
//! stay on the device until [`Session::flush`] reads a batch of them (at the end of
//! [`Session::run`], or every [`FLUSH_EVERY`] steps), so a WebGPU step does zero readbacks.
//!
//! Not here: config parsing (`session_config.rs`), the step itself (`amp_step.rs`), JS glue
//! (`web.rs`), snapshots and reports (`session_io.rs`).

use super::metrics::StepRecord;
use super::session_config::{LossKind, SessionConfig};
use super::session_plan::{forward_plan, training_plan, HINT};
use crate::amp::autocast::Trace;
use crate::amp::precision::{effective_precision, EffectivePrecision, Precision};
use crate::backend::{Backend, DType, HostData};
use crate::data::Dataset;
use crate::nn::amp_step::{AmpMode, DeviceScaler};
use crate::nn::mlp::Mlp;
use crate::rules::error::Result;
use crate::rules::limits::{check_at_most, MAX_RUN_STEPS};
use crate::rules::plan::{DeviceLimits, Phase, Plan};
use crate::rules::rng::Rng;

/// Steps whose metrics may wait on the device before a batch read.
pub const FLUSH_EVERY: usize = 64;

/// One step's metrics, still on the backend.
struct Pending<B: Backend> {
    step: usize,
    loss: B::Tensor,
    logits: B::Tensor,
    labels: Vec<i32>,
    grad_sq: B::Tensor,
    scale_used: Option<B::Tensor>,
    found_inf: Option<B::Tensor>,
    /// Whether this step's overflow was injected.
    injected: bool,
}

/// A training run in progress.
pub struct Session<B: Backend> {
    /// The config it was created with.
    pub cfg: SessionConfig,
    /// The precision that runs, and why.
    pub effective: EffectivePrecision,
    pub(crate) mlp: Mlp<B>,
    pub(crate) scaler: Option<DeviceScaler<B>>,
    pub(crate) train: Dataset,
    pub(crate) test: Dataset,
    pub(crate) batch_rng: Rng,
    /// Steps finished (dispatched).
    pub steps_done: usize,
    /// Skipped steps among those read back so far.
    pub overflow_count: usize,
    inject: bool,
    pending: Vec<Pending<B>>,
    pub(crate) last_trace: Trace,
    pub(crate) last_activation_bytes: usize,
    pub(crate) last_weight_bytes: usize,
    pub(crate) last_grads: Vec<B::Tensor>,
    pub(crate) last_scale: Option<B::Tensor>,
}

/// `[in, hidden…, classes]` for a dataset.
pub fn layer_sizes(cfg: &SessionConfig, data: &Dataset) -> Vec<usize> {
    std::iter::once(data.d).chain(cfg.hidden.iter().copied()).chain(std::iter::once(data.classes)).collect()
}

impl<B: Backend> Session<B> {
    /// Generates the data, splits it, initialises the MLP and (for 16-mixed / bf16-mixed) the
    /// scaler, all from `cfg.seed`. The backend's capabilities pick the effective precision.
    /// First checks the session's plan against `b.limits()` ([`Session::new_within`]).
    pub fn new(b: &B, cfg: SessionConfig) -> Result<Session<B>> {
        Session::new_within(b, cfg, &b.limits())
    }

    /// [`Session::new`] against given limits (tests lower the host budget this way): fails
    /// with [`crate::rules::Error::ResourceLimit`] before anything is generated or allocated
    /// when a planned tensor, a matmul grid or the host total is over a limit.
    pub fn new_within(b: &B, cfg: SessionConfig, limits: &DeviceLimits) -> Result<Session<B>> {
        let effective = Session::check(b, &cfg, limits)?;
        let data = crate::data::load(&cfg.dataset, cfg.samples, cfg.noise, cfg.seed)?;
        let (train, test) = data.split(cfg.train_ratio, cfg.seed)?;
        let mlp = Mlp::new(b, &layer_sizes(&cfg, &data), cfg.seed)?;
        let scaler =
            if effective.effective.uses_grad_scaler() { Some(DeviceScaler::new(b, cfg.scaler)?) } else { None };
        Ok(Session {
            batch_rng: Rng::new(cfg.seed ^ 0x5eed),
            cfg,
            effective,
            mlp,
            scaler,
            train,
            test,
            steps_done: 0,
            overflow_count: 0,
            inject: false,
            pending: Vec::new(),
            last_trace: Trace::default(),
            last_activation_bytes: 0,
            last_weight_bytes: 0,
            last_grads: Vec::new(),
            last_scale: None,
        })
    }

    /// The plan check of a session of `cfg` on `b` against `limits`, allocating nothing; returns
    /// the precision that would run. The page calls it before it frees the runs it has.
    pub fn check(b: &B, cfg: &SessionConfig, limits: &DeviceLimits) -> Result<EffectivePrecision> {
        let effective = effective_precision(cfg.precision, true, b.capabilities());
        training_plan(cfg, effective.effective)?.check(limits, "this training session", HINT)?;
        Ok(effective)
    }

    /// The step's compute dtype and whether it is a `*-true` precision.
    pub fn mode(&self) -> AmpMode {
        let (dtype, pure) = match self.effective.effective {
            Precision::True32 => (DType::F32, false),
            Precision::Mixed16 => (DType::F16, false),
            Precision::MixedBf16 => (DType::BF16, false),
            Precision::True16 => (DType::F16, true),
            Precision::TrueBf16 => (DType::BF16, true),
        };
        AmpMode { dtype, pure, loss_multiplier: self.cfg.loss_multiplier as f32, inject_overflow: false }
    }

    /// Makes the next step's scaled gradients overflow (loss · inf).
    pub fn inject_overflow(&mut self) {
        self.inject = true;
    }

    /// The next minibatch's sample indices (drawn with replacement from the batch RNG).
    pub(crate) fn next_indices(&mut self) -> Vec<usize> {
        let n = self.train.len();
        let batch = self.cfg.batch.min(n);
        (0..batch).map(|_| (self.batch_rng.next_u64() % n as u64) as usize).collect()
    }

    /// Dispatches one step; nothing is read back.
    pub fn step(&mut self, b: &B) -> Result<()> {
        let idx = self.next_indices();
        let d = self.train.d;
        let classes = self.train.classes;
        let x: Vec<f32> = idx.iter().flat_map(|&i| self.train.x[i * d..(i + 1) * d].iter().copied()).collect();
        let y: Vec<i32> = idx.iter().map(|&i| self.train.y[i]).collect();
        let xt = b.upload(&x, &[idx.len(), d])?;
        let yt = b.upload_data(HostData::I32(y.clone()), &[idx.len()])?;
        let onehot = match self.cfg.loss {
            LossKind::Mse => Some(b.upload(&one_hot(&y, classes), &[idx.len(), classes])?),
            LossKind::CrossEntropy => None,
        };
        let mut mode = self.mode();
        mode.inject_overflow = std::mem::take(&mut self.inject);
        let injected = mode.inject_overflow;
        let opt = self.cfg.optimizer;
        let out = self.mlp.train_step_amp(b, &xt, &yt, onehot.as_ref(), &opt, &mode, self.scaler.as_mut())?;
        self.steps_done += 1;
        self.last_trace = out.trace;
        self.last_activation_bytes = out.activation_bytes;
        self.last_weight_bytes = out.weight_bytes;
        self.last_grads = out.grads;
        self.last_scale = match &out.scale_used {
            Some(s) => Some(b.copy(s)?),
            None => None,
        };
        self.pending.push(Pending {
            step: self.steps_done,
            loss: out.loss,
            logits: out.logits,
            labels: y,
            grad_sq: out.grad_sq,
            scale_used: out.scale_used,
            found_inf: out.found_inf,
            injected,
        });
        Ok(())
    }

    /// Reads back the metrics of every step not yet read, as records.
    pub async fn flush(&mut self, b: &B) -> Result<Vec<StepRecord>> {
        let mut out = Vec::with_capacity(self.pending.len());
        let precision = self.effective.effective.as_str();
        for p in std::mem::take(&mut self.pending) {
            let loss = b.read(&p.loss).await?[0];
            let logits = b.read(&p.logits).await?;
            let classes = logits.len() / p.labels.len().max(1);
            let correct =
                logits.chunks(classes.max(1)).zip(&p.labels).filter(|(row, &l)| argmax(row) == l as usize).count();
            let skipped = match &p.found_inf {
                Some(f) => b.read(f).await?[0] != 0.0,
                None => false,
            };
            let scale = match &p.scale_used {
                Some(s) => Some(b.read(s).await?[0]),
                None => None,
            };
            self.overflow_count += skipped as usize;
            let grad_norm = b.read(&p.grad_sq).await?[0].sqrt();
            out.push(StepRecord {
                step: p.step,
                loss,
                accuracy: correct as f32 / p.labels.len().max(1) as f32,
                amp_enabled: scale.is_some() as u8,
                amp_precision: precision,
                amp_loss_scale: scale,
                skipped,
                grad_norm,
                overflow_count: self.overflow_count,
                injected: p.injected,
            });
        }
        Ok(out)
    }

    /// Runs `steps` steps, reading metrics back every [`FLUSH_EVERY`] steps and at the end. A
    /// run ends at [`MAX_RUN_STEPS`] steps: a call that would pass it is refused before any step.
    pub async fn run(&mut self, b: &B, steps: usize) -> Result<Vec<StepRecord>> {
        let total = (self.steps_done as u64).saturating_add(steps as u64);
        check_at_most("steps", total, MAX_RUN_STEPS, "MAX_RUN_STEPS (steps in one run, these included)")?;
        let mut records = Vec::with_capacity(steps);
        for i in 0..steps {
            self.step(b)?;
            if (i + 1) % FLUSH_EVERY == 0 {
                records.extend(self.flush(b).await?);
            }
        }
        records.extend(self.flush(b).await?);
        Ok(records)
    }

    /// Class probabilities `(n, classes)` (softmax of the f32 forward's logits) for `x` `(n, in)`.
    pub async fn probabilities(&self, b: &B, x: &[f32]) -> Result<Vec<f32>> {
        let d = self.train.d;
        let mut plan = Plan::default();
        forward_plan(&mut plan, &self.mlp.sizes, x.len() / d, "the samples asked for", Phase::Eval);
        plan.check(&b.limits(), "this forward pass", "ask for fewer samples")?;
        let logits = b.read(&self.mlp.forward(b, &b.upload(x, &[x.len() / d, d])?)?).await?;
        let c = self.train.classes;
        Ok(logits
            .chunks(c)
            .flat_map(|row| {
                let mx = row.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
                let e: Vec<f32> = row.iter().map(|&v| crate::rules::math::expf(v - mx)).collect();
                let s: f32 = e.iter().sum();
                e.into_iter().map(move |v| v / s)
            })
            .collect())
    }

    /// `(accuracy, mean cross-entropy)` of the f32 forward on a set.
    pub async fn score(&self, b: &B, set: &Dataset) -> Result<(f32, f32)> {
        if set.is_empty() {
            return Ok((f32::NAN, f32::NAN));
        }
        let p = self.probabilities(b, &set.x).await?;
        let c = set.classes;
        let (mut correct, mut nll) = (0usize, 0f64);
        for (row, &y) in p.chunks(c).zip(&set.y) {
            correct += (argmax(row) == y as usize) as usize;
            nll -= crate::rules::math::log(row[y as usize].max(f32::MIN_POSITIVE) as f64);
        }
        Ok((correct as f32 / set.len() as f32, (nll / set.len() as f64) as f32))
    }
}

fn one_hot(y: &[i32], classes: usize) -> Vec<f32> {
    let mut t = vec![0.0; y.len() * classes];
    for (i, &c) in y.iter().enumerate() {
        t[i * classes + c as usize] = 1.0;
    }
    t
}

pub(crate) fn argmax(row: &[f32]) -> usize {
    row.iter().enumerate().fold(0, |best, (i, &v)| if v > row[best] { i } else { best })
}
