//! The `FakeQuantize` module's state machine on the host (torch 2.15
//! `torch/ao/quantization/fake_quantize.py`): an observer, the `observer_enabled` /
//! `fake_quant_enabled` flags, and the `scale` / `zero_point` buffers (initially `[1.0]`, `[0]`)
//! that `forward` refreshes from `calculate_qparams()` after observing and then hands to
//! `fake_quantize_per_tensor_affine` / `fake_quantize_per_channel_affine`.
//!
//! Not here: the element-wise fake-quant op and its straight-through gradient (a Backend op,
//! `fake_quantize(x, &QParams) -> (y, mask)`). `FusedMovingAvgObsFakeQuantize` is modelled by the
//! same state machine (its fused kernel is not separately reproduced).

use crate::error::{Error, Result};
use crate::quant::affine::{QParams, QuantDType};
use crate::quant::observer::{Observer, ObserverWarning, QScheme};
use crate::quant::qconfig::{FakeQuantKind, ObserverSpec};

/// One fake-quant module: observer + flags + current qparams.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeQuantize {
    /// `FakeQuantize` or `FusedMovingAvgObsFakeQuantize`.
    pub kind: FakeQuantKind,
    /// `activation_post_process`.
    pub observer: Observer,
    /// torch's `observer_enabled` buffer (initially on).
    pub observer_enabled: bool,
    /// torch's `fake_quant_enabled` buffer (initially on).
    pub fake_quant_enabled: bool,
    /// The `scale` buffer: one value per tensor, or one per channel once observed.
    pub scale: Vec<f32>,
    /// The `zero_point` buffer.
    pub zero_point: Vec<i32>,
    /// The observer's code range (after reduce_range), passed to the fake-quant op.
    pub quant_min: i32,
    /// The observer's code range end.
    pub quant_max: i32,
    /// The channel axis for per-channel qschemes.
    pub ch_axis: Option<usize>,
}

/// What one `forward` did.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeQuantStep {
    /// The qparams to fake-quantize the batch with, or `None` when fake quant is disabled (the
    /// batch passes through unchanged).
    pub qparams: Option<QParams>,
    /// torch's warning if `calculate_qparams` ran on an empty observer.
    pub warning: Option<ObserverWarning>,
}

impl FakeQuantize {
    /// Builds the module described by `spec` (whose `fake_quant` must be set), checking
    /// `quant_min <= quant_max` and that both lie within the dtype as torch's constructor does.
    pub fn new(spec: &ObserverSpec) -> Result<FakeQuantize> {
        let Some(kind) = spec.fake_quant else {
            return Err(Error::InvalidArgument { name: "fake_quant", value: "None".into(), valid: "FakeQuantize or FusedMovingAvgObsFakeQuantize (a QAT qconfig)".into() });
        };
        if let (Some(lo), Some(hi)) = (spec.args.quant_min, spec.args.quant_max) {
            let d = spec.args.dtype;
            if lo > hi || lo < d.qmin() || hi > d.qmax() {
                return Err(Error::InvalidArgument { name: "quant_min/quant_max", value: format!("{lo}/{hi}"), valid: format!("quant_min <= quant_max within {}..={} for {d:?}", d.qmin(), d.qmax()) });
            }
        }
        let observer = spec.build()?;
        let Some(q) = observer.quant().copied() else {
            return Err(Error::Unsupported { op: "FakeQuantize", detail: format!("{} has no code range; use a uniform observer", observer.kind()) });
        };
        let ch_axis = q.args.qscheme.is_per_channel().then_some(spec.ch_axis);
        Ok(FakeQuantize { kind, observer, observer_enabled: true, fake_quant_enabled: true, scale: vec![1.0], zero_point: vec![0], quant_min: q.quant_min, quant_max: q.quant_max, ch_axis })
    }

    /// torch's `forward(X)` minus the element-wise op: observe `x` and refresh scale/zero_point
    /// if the observer is enabled, then report the qparams to fake-quantize with (if enabled).
    pub fn forward(&mut self, x: &[f32], shape: &[usize]) -> Result<FakeQuantStep> {
        let mut warning = None;
        if self.observer_enabled {
            self.observer.forward(x, shape)?;
            let c = self.observer.calculate_qparams()?;
            warning = c.warning;
            (self.scale, self.zero_point) = match c.qparams {
                QParams::PerTensor { scale, zero_point, .. } => (vec![scale], vec![zero_point]),
                QParams::PerChannel { scales, zero_points, .. } => (scales, zero_points),
            };
        }
        Ok(FakeQuantStep { qparams: self.fake_quant_enabled.then(|| self.qparams()), warning })
    }

    /// The current buffers as the qparams `fake_quantize_per_{tensor,channel}_affine` would get.
    pub fn qparams(&self) -> QParams {
        let dtype = self.dtype();
        match self.ch_axis {
            Some(axis) if self.scale.len() > 1 || self.observer.quant().is_some_and(|q| q.args.qscheme.is_per_channel()) => {
                QParams::PerChannel { scales: self.scale.clone(), zero_points: self.zero_point.clone(), axis, dtype }
            }
            _ => QParams::PerTensor { scale: self.scale[0], zero_point: self.zero_point[0], dtype },
        }
    }

    /// torch's `calculate_qparams()` (delegates to the observer, does not touch the buffers).
    pub fn calculate_qparams(&self) -> Result<QParams> {
        Ok(self.observer.calculate_qparams()?.qparams)
    }

    /// The quantized dtype.
    pub fn dtype(&self) -> QuantDType {
        self.observer.dtype()
    }

    /// The qscheme (per-tensor affine for an observer without one).
    pub fn qscheme(&self) -> QScheme {
        self.observer.quant().map_or(QScheme::PerTensorAffine, |q| q.args.qscheme)
    }

    /// torch's `enable_observer(enabled)`.
    pub fn enable_observer(&mut self, enabled: bool) {
        self.observer_enabled = enabled;
    }

    /// torch's `disable_observer()`.
    pub fn disable_observer(&mut self) {
        self.observer_enabled = false;
    }

    /// torch's `enable_fake_quant(enabled)`.
    pub fn enable_fake_quant(&mut self, enabled: bool) {
        self.fake_quant_enabled = enabled;
    }

    /// torch's `disable_fake_quant()`.
    pub fn disable_fake_quant(&mut self) {
        self.fake_quant_enabled = false;
    }
}
