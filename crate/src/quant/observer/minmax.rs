//! `MinMaxObserver`, `MovingAverageMinMaxObserver` and their per-channel twins
//! (`PerChannelMinMaxObserver`, `MovingAveragePerChannelMinMaxObserver`), as in torch 2.15's
//! `torch/ao/quantization/observer.py`: running min/max (or their moving average, the first batch
//! setting them directly) in f32, then `_calculate_qparams`.
//!
//! Moving average, in f32 tensor ops with the Python float constant rounded to f32:
//! `min = min + c·(min_cur − min)` (three separate roundings, no FMA). Not here: the histogram
//! observer (`histogram.rs`).
//!
//! Length: one role, the four MinMax observer classes, which share the min/max update and `_calculate_qparams` paths.

use super::{check_finite, check_min_le_max, uncalibrated, Calculated, ObserverArgs, QScheme, UniformQuant};
use crate::rules::affine::{channel_of, QParams};
use crate::rules::error::{Error, Result};

/// Running per-tensor min/max, plain or moving-average.
#[derive(Debug, Clone, PartialEq)]
pub struct MinMaxObserver {
    /// Validated options.
    pub quant: UniformQuant,
    /// `Some(c)` for `MovingAverageMinMaxObserver` (torch's default c is 0.01).
    pub averaging_constant: Option<f32>,
    /// Running minimum; `+inf` before any data (torch's initial buffer).
    pub min: f32,
    /// Running maximum; `-inf` before any data.
    pub max: f32,
}

impl MinMaxObserver {
    /// `MinMaxObserver(**args)`; per-tensor qschemes only, as torch.
    pub fn new(args: ObserverArgs) -> Result<Self> {
        Self::build("MinMaxObserver", args, None)
    }

    /// `MovingAverageMinMaxObserver(averaging_constant, **args)`.
    pub fn moving_average(averaging_constant: f32, args: ObserverArgs) -> Result<Self> {
        Self::build("MovingAverageMinMaxObserver", args, Some(averaging_constant))
    }

    fn build(kind: &'static str, args: ObserverArgs, averaging_constant: Option<f32>) -> Result<Self> {
        if args.qscheme.is_per_channel() {
            return Err(Error::InvalidArgument {
                name: "qscheme",
                value: args.qscheme.name().into(),
                valid: format!("{kind}'s qscheme only supports per_tensor_symmetric and per_tensor_affine"),
            });
        }
        if let Some(c) = averaging_constant {
            if !(c > 0.0 && c <= 1.0) {
                return Err(Error::InvalidArgument {
                    name: "averaging_constant",
                    value: c.to_string(),
                    valid: "0 < c <= 1".into(),
                });
            }
        }
        Ok(MinMaxObserver {
            quant: UniformQuant::new(kind, args)?,
            averaging_constant,
            min: f32::INFINITY,
            max: f32::NEG_INFINITY,
        })
    }

    /// torch's class name.
    pub fn kind(&self) -> &'static str {
        if self.averaging_constant.is_some() {
            "MovingAverageMinMaxObserver"
        } else {
            "MinMaxObserver"
        }
    }

    /// Records a batch (any shape, flat). Empty batches are ignored; NaN/inf is an error.
    pub fn forward(&mut self, x: &[f32]) -> Result<()> {
        if x.is_empty() {
            return Ok(());
        }
        let (lo, hi) = finite_aminmax(self.kind(), x)?;
        self.forward_min_max(lo, hi);
        Ok(())
    }

    /// The running min, `None` before any data.
    pub fn min_val(&self) -> Option<f32> {
        (self.min != f32::INFINITY || self.max != f32::NEG_INFINITY).then_some(self.min)
    }

    /// The running max, `None` before any data.
    pub fn max_val(&self) -> Option<f32> {
        self.min_val().map(|_| self.max)
    }

    /// torch's `calculate_qparams()`: the uncalibrated warning, the min > max error, or the qparams.
    pub fn calculate_qparams(&self) -> Result<Calculated> {
        per_tensor_qparams(self.kind(), &self.quant, self.min, self.max)
    }

    /// torch's `reset_min_max_vals()`.
    pub fn reset_min_max_vals(&mut self) {
        (self.min, self.max) = (f32::INFINITY, f32::NEG_INFINITY);
    }
}

/// `_calculate_qparams` on a per-tensor (0-dim) min/max, with `check_min_max_valid` first.
pub(crate) fn per_tensor_qparams(kind: &'static str, quant: &UniformQuant, min: f32, max: f32) -> Result<Calculated> {
    if min == f32::INFINITY && max == f32::NEG_INFINITY {
        return Ok(uncalibrated(kind, quant.args.dtype));
    }
    check_min_le_max(kind, &[min], &[max])?;
    let (s, z) = quant.qparams_of(&[min], &[max]);
    Ok(Calculated {
        qparams: QParams::PerTensor { scale: s[0], zero_point: z[0], dtype: quant.args.dtype },
        warning: None,
    })
}

/// `torch.aminmax` of a non-empty slice, rejecting NaN/inf with [`check_finite`]'s error. One pass
/// with 8 independent lanes (which the compiler vectorizes), then the lanes in order. Ties keep
/// the later value (torch's scalar aminmax does so for ±0: `[0, -0]` → -0); explicit comparisons
/// make ±0 resolve the same on every target (`f32::min` may return either zero). torch's own
/// vectorized order can pick the other zero; the sign of a zero min/max never changes the qparams.
pub(crate) fn finite_aminmax(observer: &'static str, x: &[f32]) -> Result<(f32, f32)> {
    // One SIMD-dispatched pass (comparisons only, so the same bits with or without AVX2; this was
    // 17 % of a MinMax PTQ run) that also reports whether every value was finite.
    let (a, b, finite) = crate::backend::cpu::fast::simd::aminmax(x);
    if !finite {
        check_finite(observer, x)?;
    }
    Ok((a, b))
}

/// The running minimum `a` updated with `b`: `b` when `b <= a` (the later of equal values).
#[inline(always)]
pub(crate) fn min_f32(a: f32, b: f32) -> f32 {
    if b <= a {
        b
    } else {
        a
    }
}

/// The running maximum `a` updated with `b`: `b` when `b >= a`.
#[inline(always)]
pub(crate) fn max_f32(a: f32, b: f32) -> f32 {
    if b >= a {
        b
    } else {
        a
    }
}

/// Running per-channel min/max along `ch_axis`, plain or moving-average.
#[derive(Debug, Clone, PartialEq)]
pub struct PerChannelMinMaxObserver {
    /// Validated options.
    pub quant: UniformQuant,
    /// The channel dimension.
    pub ch_axis: usize,
    /// `Some(c)` for `MovingAveragePerChannelMinMaxObserver`.
    pub averaging_constant: Option<f32>,
    /// Per-channel minima; empty before any data (torch's initial buffer).
    pub min_val: Vec<f32>,
    /// Per-channel maxima.
    pub max_val: Vec<f32>,
}

impl PerChannelMinMaxObserver {
    /// `PerChannelMinMaxObserver(ch_axis, **args)`; per-channel qschemes only. torch's default
    /// qscheme here is `per_channel_affine`: pass `args.with_qscheme(...)`.
    pub fn new(ch_axis: usize, args: ObserverArgs) -> Result<Self> {
        Self::build("PerChannelMinMaxObserver", ch_axis, args, None)
    }

    /// `MovingAveragePerChannelMinMaxObserver(averaging_constant, ch_axis, **args)`.
    pub fn moving_average(averaging_constant: f32, ch_axis: usize, args: ObserverArgs) -> Result<Self> {
        Self::build("MovingAveragePerChannelMinMaxObserver", ch_axis, args, Some(averaging_constant))
    }

    fn build(kind: &'static str, ch_axis: usize, args: ObserverArgs, averaging_constant: Option<f32>) -> Result<Self> {
        if !args.qscheme.is_per_channel() {
            return Err(Error::InvalidArgument {
                name: "qscheme",
                value: args.qscheme.name().into(),
                valid: format!("{kind}'s qscheme only supports per_channel_symmetric and per_channel_affine"),
            });
        }
        if let Some(c) = averaging_constant {
            if !(c > 0.0 && c <= 1.0) {
                return Err(Error::InvalidArgument {
                    name: "averaging_constant",
                    value: c.to_string(),
                    valid: "0 < c <= 1".into(),
                });
            }
        }
        Ok(PerChannelMinMaxObserver {
            quant: UniformQuant::new(kind, args)?,
            ch_axis,
            averaging_constant,
            min_val: vec![],
            max_val: vec![],
        })
    }

    /// torch's class name.
    pub fn kind(&self) -> &'static str {
        if self.averaging_constant.is_some() {
            "MovingAveragePerChannelMinMaxObserver"
        } else {
            "PerChannelMinMaxObserver"
        }
    }

    /// Records a batch `x` of `shape`: per channel along `ch_axis`, the min/max over all other
    /// dimensions. The channel count must not change between batches.
    pub fn forward(&mut self, x: &[f32], shape: &[usize]) -> Result<()> {
        if x.is_empty() {
            return Ok(());
        }
        let kind = self.kind();
        let Some(&channels) = shape.get(self.ch_axis) else {
            return Err(Error::Shape {
                op: kind,
                detail: format!("ch_axis {} is outside shape {}", self.ch_axis, crate::rules::error::fmt_shape(shape)),
            });
        };
        check_finite(kind, x)?;
        let mut lo = vec![f32::INFINITY; channels];
        let mut hi = vec![f32::NEG_INFINITY; channels];
        for (i, &v) in x.iter().enumerate() {
            let c = channel_of(shape, self.ch_axis, i);
            lo[c] = min_f32(lo[c], v);
            hi[c] = max_f32(hi[c], v);
        }
        self.forward_channel_min_max(lo, hi)
    }

    /// The update half of [`PerChannelMinMaxObserver::forward`]: a batch's per-channel minima
    /// and maxima (from the host loop above or a backend's `aminmax_per_channel`) folded in as
    /// torch does (set, running min/max, or moving average). The channel count must not change.
    pub fn forward_channel_min_max(&mut self, lo: Vec<f32>, hi: Vec<f32>) -> Result<()> {
        let (kind, channels) = (self.kind(), lo.len());
        if self.min_val.is_empty() {
            (self.min_val, self.max_val) = (lo, hi);
            return Ok(());
        }
        if self.min_val.len() != channels {
            return Err(Error::Shape {
                op: kind,
                detail: format!(
                    "batch has {channels} channels along axis {} but earlier batches had {}",
                    self.ch_axis,
                    self.min_val.len()
                ),
            });
        }
        for c in 0..channels {
            match self.averaging_constant {
                Some(a) => {
                    self.min_val[c] += a * (lo[c] - self.min_val[c]);
                    self.max_val[c] += a * (hi[c] - self.max_val[c]);
                }
                None => {
                    self.min_val[c] = min_f32(self.min_val[c], lo[c]);
                    self.max_val[c] = max_f32(self.max_val[c], hi[c]);
                }
            }
        }
        Ok(())
    }

    /// torch's `calculate_qparams()`, per channel along `ch_axis`.
    pub fn calculate_qparams(&self) -> Result<Calculated> {
        let kind = self.kind();
        if self.min_val.is_empty() {
            return Ok(uncalibrated(kind, self.quant.args.dtype));
        }
        check_min_le_max(kind, &self.min_val, &self.max_val)?;
        let (scales, zero_points) = self.quant.qparams_of(&self.min_val, &self.max_val);
        Ok(Calculated {
            qparams: QParams::PerChannel { scales, zero_points, axis: self.ch_axis, dtype: self.quant.args.dtype },
            warning: None,
        })
    }
}

/// `torch.per_channel_symmetric` qint8 args, torch's `default_per_channel_weight_observer` options.
pub fn per_channel_symmetric_qint8() -> ObserverArgs {
    ObserverArgs {
        dtype: crate::rules::affine::QuantDType::QInt8,
        qscheme: QScheme::PerChannelSymmetric,
        ..ObserverArgs::default()
    }
}
