//! `torch.ao.quantization.prepare` (eager mode): qconfig propagation and observer insertion,
//! following torch/ao/quantization/quantize.py (`propagate_qconfig_`, `_add_observer_`).
//!
//! - **Propagation** (`_propagate_qconfig_helper`): a module's qconfig is its own attribute if set
//!   (including `None`), else `qconfig_dict` by path, else by type name, else its parent's.
//! - **Observers** (`_add_observer_`): an activation observer (`activation_post_process`) is
//!   inserted on the output of every leaf whose type is in torch's default propagation list and
//!   whose qconfig is not None — QuantStub, Linear, Conv2d, BatchNorm2d and the fused LinearReLU /
//!   ConvReLU2d — except DeQuantStub; Dropout is skipped; ReLU, Flatten, MaxPool2d and BatchNorm1d
//!   are not in the list and get none (they run on quantized tensors, or stay float).
//! - When no module got a qconfig, torch warns; so does this (in [`Prepared::warnings`]).
//!
//! Observers live in a side table keyed by the module path (torch hangs them on the module as
//! `<path>.activation_post_process`); the calibration forward runs on the backend the caller
//! passes to [`Prepared::observe_on`] (the CPU fast path for [`Prepared::observe`]), and the
//! observers take statistics reduced there (`calib_device.rs`).
//!
//! Not here: convert (`convert.rs`), the observers' math (`quant::observer`).

use crate::backend::cpu::fast::simd;
use crate::backend::{cpu::CpuFast, ready, Backend};
use crate::model::forward::{run_leaf_with, Act, Params};
use crate::model::spec::QConfigAttr;
use crate::model::tree::{Kind, Model, Module};
use crate::quant::eager::calib_device::DeviceRun;
use crate::quant::observer::Observer;
use crate::quant::qconfig::{qconfig_by_name, QConfig};
use crate::rules::error::{fmt_shape, Error, Result};
use std::collections::BTreeMap;

/// The `qconfig_dict` argument of `propagate_qconfig_`: qconfigs by module path and by type name
/// (`"Linear"`), each a qconfig name or `None` (stay float).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QConfigDict {
    /// By module path (`"fc1"`, `"features.0"`).
    pub by_name: BTreeMap<String, Option<String>>,
    /// By torch type name (`"Linear"`).
    pub by_type: BTreeMap<String, Option<String>>,
    /// Replaces every resolved qconfig's activation observer (`minmax`, `moving_average`,
    /// `histogram`), keeping its dtype, qscheme and reduce_range (the CLI's `--observer`).
    pub observer: Option<String>,
    /// Replaces every resolved qconfig's weight observer with `default_weight_observer`
    /// (per-tensor symmetric qint8; the CLI's `--per-tensor`).
    pub per_tensor_weights: bool,
    /// Overrides every resolved qconfig's activation `reduce_range` (the page's toggle).
    pub reduce_range: Option<bool>,
}

/// The modules `prepare` observes (torch's default qconfig propagation list, restricted to the
/// types quantplay has).
pub fn observed_type(k: &Kind) -> bool {
    matches!(k, Kind::QuantStub | Kind::Linear(_) | Kind::Conv2d(_) | Kind::LinearReLU(_) | Kind::ConvReLU2d(_))
        || matches!(k, Kind::BatchNorm(b) if b.dim == 2)
}

/// A prepared model: the float model, each module's propagated qconfig, and the observers.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The float model (fused or not), unchanged by prepare.
    pub model: Model,
    /// Propagated qconfigs by module path; a path absent here has qconfig None.
    pub qconfigs: BTreeMap<String, QConfig>,
    /// Activation observers by the observed module's path, in forward order of insertion.
    pub observers: BTreeMap<String, Observer>,
    /// Warnings torch would print (no qconfig anywhere, observers with no data, …).
    pub warnings: Vec<String>,
    /// Calibration batches seen.
    pub batches_observed: usize,
}

fn resolve(name: &Option<String>, path: &str, dict: &QConfigDict) -> Result<Option<QConfig>> {
    let Some(n) = name else { return Ok(None) };
    let at = |e: Error| Error::Model { path: path.into(), detail: e.to_string() };
    let mut q = qconfig_by_name(n).map_err(at)?;
    if let Some(kind) = &dict.observer {
        q = q.with_activation_observer(kind).map_err(at)?;
    }
    if dict.per_tensor_weights {
        q = q.per_tensor_weights();
    }
    if let Some(r) = dict.reduce_range {
        q.activation.args.reduce_range = r;
    }
    Ok(Some(q))
}

fn propagate(
    m: &Module,
    path: &str,
    parent: Option<&QConfig>,
    dict: &QConfigDict,
    out: &mut BTreeMap<String, QConfig>,
) -> Result<()> {
    let mut q = match dict.by_type.get(m.kind.type_name()) {
        Some(n) => resolve(n, path, dict)?,
        None => parent.cloned(),
    };
    if let Some(n) = dict.by_name.get(path) {
        q = resolve(n, path, dict)?;
    }
    match &m.qconfig {
        QConfigAttr::Inherit => {}
        QConfigAttr::None => q = None,
        QConfigAttr::Named(n) => q = resolve(&Some(n.clone()), path, dict)?,
    }
    if let Some(q) = &q {
        out.insert(path.to_string(), q.clone());
    }
    for c in &m.children {
        let cp = if path.is_empty() { c.name.clone() } else { format!("{path}.{}", c.name) };
        propagate(c, &cp, q.as_ref(), dict, out)?;
    }
    Ok(())
}

/// `prepare(model, inplace=False)`: returns the prepared copy; `model` is untouched.
pub fn prepare(model: &Model, dict: &QConfigDict) -> Result<Prepared> {
    prepare_owned(model.clone(), dict)
}

/// `prepare(model, inplace=True)`: the model moves into the result.
pub fn prepare_owned(model: Model, dict: &QConfigDict) -> Result<Prepared> {
    let mut qconfigs = BTreeMap::new();
    propagate(&model.root, "", None, dict, &mut qconfigs)?;
    let mut warnings = Vec::new();
    if qconfigs.is_empty() {
        warnings.push("None of the submodule got qconfig applied. Make sure you passed correct configuration through `qconfig_dict` or by assigning the `.qconfig` attribute directly on submodules".to_string());
    }
    let mut observers = BTreeMap::new();
    for (path, m) in model.leaves() {
        if let (true, Some(q)) = (observed_type(&m.kind), qconfigs.get(&path)) {
            observers.insert(
                path.clone(),
                q.activation.build().map_err(|e| Error::Model { path: path.clone(), detail: e.to_string() })?,
            );
        }
    }
    Ok(Prepared { model, qconfigs, observers, warnings, batches_observed: 0 })
}

impl Prepared {
    /// Runs one calibration batch `x` (shape `(batch, …)` as the model takes it) through the
    /// float model on the CPU fast path (torch's CPU `model(x)`), feeding every observer its
    /// module's output: [`Prepared::observe_on`] with [`CpuFast`].
    pub fn observe(&mut self, x: &[f32], shape: &[usize]) -> Result<()> {
        ready(self.observe_on(&CpuFast, x, shape))
    }

    /// [`Prepared::observe`] with the float forward on backend `b`: each observed module's output
    /// is reduced on `b` (`ObserveOps`: min/max, per-channel min/max, histc counts) and only
    /// those statistics come back to the observers ([`DeviceRun`]). NaN or inf in `x` or in any
    /// observed output is an error naming the module; the observers are left as they were
    /// before the batch.
    pub async fn observe_on<B: Backend>(&mut self, b: &B, x: &[f32], shape: &[usize]) -> Result<()> {
        let mut run = DeviceRun::new(1);
        let failed = self.observe_with(b, x, shape, None, &mut run).await.err();
        run.flush(b, &mut self.observers, &mut self.batches_observed, failed).await
    }

    /// One batch of [`Prepared::observe_on`] inside the calibration run `run`, with the float
    /// parameters already on `b` when given: the forward, every observer's reduction enqueued,
    /// the batch committed to `run` on success. The caller flushes `run` (which applies the
    /// statistics); an error is `(leaf index, error)` for that flush.
    async fn observe_with<B: Backend>(
        &self,
        b: &B,
        x: &[f32],
        shape: &[usize],
        params: Option<&Params<B>>,
        run: &mut DeviceRun<B>,
    ) -> std::result::Result<bool, (usize, Error)> {
        if let Some(want) = &self.model.input_shape {
            if shape.len() != want.len() + 1 || &shape[1..] != want.as_slice() {
                return Err((
                    0,
                    Error::Model {
                        path: String::new(),
                        detail: format!(
                            "calibration batch has shape {}; the model takes (batch, {})",
                            fmt_shape(shape),
                            want.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")
                        ),
                    },
                ));
            }
        }
        if let Some(i) = simd::first_non_finite(x) {
            return Err((
                0,
                Error::Model {
                    path: String::new(),
                    detail: format!("calibration data contains {} at index {i}; observers need finite values", x[i]),
                },
            ));
        }
        let forward = self.observe_forward(b, x, shape, params, run);
        let r = forward.await;
        // Histogram observers' statistics are checked even when a later module failed, so the
        // earliest bad module is the one named.
        let end = run.end_batch(b).await;
        match (r, end) {
            (Ok(()), Ok(())) => Ok(run.commit()),
            (Err(a), Err(b)) => Err(if b.0 < a.0 { b } else { a }),
            (Err(e), _) | (_, Err(e)) => Err(e),
        }
    }

    /// The float forward of one batch, each observer's reduction enqueued on its output.
    async fn observe_forward<B: Backend>(
        &self,
        b: &B,
        x: &[f32],
        shape: &[usize],
        params: Option<&Params<B>>,
        run: &mut DeviceRun<B>,
    ) -> std::result::Result<(), (usize, Error)> {
        let mut act = Act::Float(b.upload(x, shape).map_err(|e| (0, e))?);
        for (leaf, (path, m)) in self.model.leaves().into_iter().enumerate() {
            act = run_leaf_with(b, &path, m, act, params).map_err(|e| (leaf, e))?;
            let (Some(obs), Act::Float(t)) = (self.observers.get(&path), &act) else { continue };
            // torch quirk, kept for exactness: a fused module (`LinearReLU`, `ConvReLU2d`) is an
            // `nn.Sequential`, so the observer torch adds as its child runs once as a layer of
            // the Sequential and once more from the forward hook: it sees each batch twice
            // (visible with MovingAverage observers). A plain MinMaxObserver is idempotent
            // (min(min(m, lo), lo) = min(m, lo)), so its second look is skipped.
            let idempotent = matches!(obs, Observer::MinMax(o) if o.averaging_constant.is_none());
            let times = if matches!(m.kind, Kind::LinearReLU(_) | Kind::ConvReLU2d(_)) && !idempotent { 2 } else { 1 };
            run.look(b, leaf, &path, obs, t, times).map_err(|e| (leaf, e))?;
        }
        Ok(())
    }

    /// Runs `x` `(n, …)` through the observers in batches of `batch` samples, on the CPU fast
    /// path ([`Prepared::calibrate_on`] with [`CpuFast`]).
    pub fn calibrate(&mut self, x: &[f32], shape: &[usize], batch: usize) -> Result<()> {
        ready(self.calibrate_on(&CpuFast, x, shape, batch))
    }

    /// [`Prepared::calibrate`] with the float forward on backend `b`.
    pub async fn calibrate_on<B: Backend>(&mut self, b: &B, x: &[f32], shape: &[usize], batch: usize) -> Result<()> {
        let n = *shape.first().unwrap_or(&0);
        if n == 0 || x.is_empty() {
            return Err(Error::Model {
                path: String::new(),
                detail: format!(
                    "empty calibration set (shape {}); calibration needs at least one sample",
                    fmt_shape(shape)
                ),
            });
        }
        let per = x.len() / n;
        let batch = batch.max(1);
        // The float weights go to the backend once for every batch.
        let params = Params::upload(b, &self.model)?;
        let mut run = DeviceRun::new(n.div_ceil(batch));
        for start in (0..n).step_by(batch) {
            let end = (start + batch).min(n);
            let mut s = shape.to_vec();
            s[0] = end - start;
            match self.observe_with(b, &x[start * per..end * per], &s, Some(&params), &mut run).await {
                Ok(false) => {}
                Ok(true) => run.flush(b, &mut self.observers, &mut self.batches_observed, None).await?,
                // The batches before this one stay observed, as with one observe call each.
                Err(e) => return run.flush(b, &mut self.observers, &mut self.batches_observed, Some(e)).await,
            }
        }
        run.flush(b, &mut self.observers, &mut self.batches_observed, None).await
    }
}
