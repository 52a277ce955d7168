//! The `FakeQuantize` module's state machine on the host (torch 2.15
//! `torch/ao/quantization/fake_quantize.py`): an observer, the `observer_enabled` /
//! `fake_quant_enabled` flags, and the `scale` / `zero_point` buffers (initially `[1.0]`, `[0]`)
//! that `forward` refreshes from `calculate_qparams()` after observing and then hands to
//! `fake_quantize_per_tensor_affine` / `fake_quantize_per_channel_affine`.
//!
//! Not here: the element-wise fake-quant op and its straight-through gradient (a Backend op,
//! `fake_quantize(x, &QParams) -> (y, mask)`).
//!
//! `FusedMovingAvgObsFakeQuantize` (torch's default QAT module) runs one C++ op
//! (`fused_obs_fake_quant.cpp`): the same moving average, but qparams from fbgemm's
//! `ChooseQuantizationParams` ([`choose_quantization_params`]: scale computed in double, then
//! rounded to float), which differs from the observer's f32 `_calculate_qparams` by an ulp at
//! times; and it refreshes scale/zero_point only while fake quant is on.

use crate::quant::observer::{Observer, ObserverWarning, QScheme};
use crate::quant::qconfig::{FakeQuantKind, ObserverSpec};
use crate::rules::affine::{QParams, QuantDType};
use crate::rules::error::{Error, Result};

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
            return Err(Error::InvalidArgument {
                name: "fake_quant",
                value: "None".into(),
                valid: "FakeQuantize or FusedMovingAvgObsFakeQuantize (a QAT qconfig)".into(),
            });
        };
        if let (Some(lo), Some(hi)) = (spec.args.quant_min, spec.args.quant_max) {
            let d = spec.args.dtype;
            if lo > hi || lo < d.qmin() || hi > d.qmax() {
                return Err(Error::InvalidArgument {
                    name: "quant_min/quant_max",
                    value: format!("{lo}/{hi}"),
                    valid: format!("quant_min <= quant_max within {}..={} for {d:?}", d.qmin(), d.qmax()),
                });
            }
        }
        let observer = spec.build()?;
        let Some(q) = observer.quant().copied() else {
            return Err(Error::Unsupported {
                op: "FakeQuantize",
                detail: format!("{} has no code range; use a uniform observer", observer.kind()),
            });
        };
        let ch_axis = q.args.qscheme.is_per_channel().then_some(spec.ch_axis);
        Ok(FakeQuantize {
            kind,
            observer,
            observer_enabled: true,
            fake_quant_enabled: true,
            scale: vec![1.0],
            zero_point: vec![0],
            quant_min: q.quant_min,
            quant_max: q.quant_max,
            ch_axis,
        })
    }

    /// torch's `forward(X)` minus the element-wise op: observe `x` and refresh scale/zero_point
    /// if the observer is enabled, then report the qparams to fake-quantize with (if enabled).
    pub fn forward(&mut self, x: &[f32], shape: &[usize]) -> Result<FakeQuantStep> {
        if self.kind == FakeQuantKind::FusedMovingAvgObsFakeQuantize {
            return self.fused_forward(x, shape);
        }
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

    /// `fused_moving_avg_obs_fake_quant`: observe if enabled; if fake quant is enabled, recompute
    /// scale/zero_point from the running min/max with fbgemm's `ChooseQuantizationParams`.
    fn fused_forward(&mut self, x: &[f32], shape: &[usize]) -> Result<FakeQuantStep> {
        if self.observer_enabled {
            self.observer.forward(x, shape)?;
        }
        if !self.fake_quant_enabled {
            return Ok(FakeQuantStep { qparams: None, warning: None });
        }
        let (lo, hi) = (self.observer.min_val(), self.observer.max_val());
        if lo.is_empty() {
            return Err(Error::Unsupported { op: "FusedMovingAvgObsFakeQuantize", detail: "fake quant before the observer saw any data: torch would use the +inf/-inf initial min/max; enable the observer for the first batch".into() });
        }
        let symmetric = self.qscheme().is_symmetric();
        (self.scale, self.zero_point) = lo
            .iter()
            .zip(&hi)
            .map(|(&a, &b)| choose_quantization_params(a, b, self.quant_min, self.quant_max, symmetric))
            .unzip();
        Ok(FakeQuantStep { qparams: Some(self.qparams()), warning: None })
    }

    /// The current buffers as the qparams `fake_quantize_per_{tensor,channel}_affine` would get.
    pub fn qparams(&self) -> QParams {
        let dtype = self.dtype();
        match self.ch_axis {
            Some(axis)
                if self.scale.len() > 1 || self.observer.quant().is_some_and(|q| q.args.qscheme.is_per_channel()) =>
            {
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

/// fbgemm's `ChooseQuantizationParams(min, max, qmin, qmax, preserve_sparsity, false)` (QuantUtils.cc),
/// used by the fused QAT op: `preserve_sparsity` (symmetric qschemes) widens `[min, max]` to a
/// symmetric range; the scale is `(double(max) − min)/(qmax − qmin)` rounded to float (0.1 if it
/// is 0 or its reciprocal overflows); the zero point comes from whichever end adds less error
/// (the midpoint for symmetric ranges), rounded half to even and clamped.
pub fn choose_quantization_params(min: f32, max: f32, qmin: i32, qmax: i32, preserve_sparsity: bool) -> (f32, i32) {
    let (mut min, mut max) = (min, max);
    if min < 0.0 && max > 0.0 && preserve_sparsity {
        let sym_qmin = -((qmax - qmin) / 2 + 1);
        let sym_qmax = (qmax - qmin) / 2;
        let max_scale = (min / sym_qmin as f32).abs().max((max / sym_qmax as f32).abs()) as f64;
        min = (max_scale * sym_qmin as f64) as f32;
        max = (max_scale * sym_qmax as f64) as f32;
    }
    // std::min(min, 0.f) / std::max(max, 0.f): keep the first argument on ties.
    min = if 0.0 < min { 0.0 } else { min };
    max = if max < 0.0 { 0.0 } else { max };
    let mut scale = ((max as f64 - min as f64) / (qmax - qmin) as f64) as f32;
    if scale == 0.0 || (1.0f32 / scale).is_infinite() {
        scale = 0.1;
    }
    let s = scale as f64;
    let (zp_min, zp_max) = (qmin as f64 - min as f64 / s, qmax as f64 - max as f64 / s);
    let (err_min, err_max) =
        ((qmin as f64).abs() + (min as f64 / s).abs(), (qmax as f64).abs() + (max as f64 / s).abs());
    let mut initial = if err_min < err_max { zp_min } else { zp_max };
    if min < 0.0 && max > 0.0 && preserve_sparsity {
        initial = (qmin + qmax) as f64 / 2.0;
    }
    let zp = if initial < qmin as f64 {
        qmin
    } else if initial > qmax as f64 {
        qmax
    } else {
        initial.round_ties_even() as i32
    };
    (scale, zp)
}
