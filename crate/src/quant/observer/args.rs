//! What every uniform observer shares (torch's `UniformQuantizationObserverBase` and
//! `torch/ao/quantization/utils.py`): the [`QScheme`], the constructor options ([`ObserverArgs`]),
//! their validation (`validate_qmin_qmax`, `calculate_qmin_qmax`), the `_calculate_qparams`
//! formula ([`UniformQuant::qparams_of`]), the uncalibrated warning, the named errors for
//! NaN/inf data and min > max, and the report's clip fraction.
//!
//! Not here: the observers' running state (`minmax.rs`, `histogram.rs`), the `Observer` enum (`mod.rs`).

use crate::rules::affine::{QParams, QuantDType};
use crate::rules::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// `torch.finfo(torch.float32).eps`, the default scale floor: 2⁻²³.
pub const F32_EPS: f32 = f32::EPSILON;

/// How codes map to reals, as torch names it (`torch.per_tensor_affine`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QScheme {
    /// One scale and zero point, range `[min, max]` (with 0 included).
    PerTensorAffine,
    /// One scale, range symmetric around 0; zero point 0 (qint8) or 128 (quint8).
    PerTensorSymmetric,
    /// Affine, one pair per channel along `ch_axis`.
    PerChannelAffine,
    /// Symmetric, one pair per channel along `ch_axis`.
    PerChannelSymmetric,
}

impl QScheme {
    /// True for the symmetric schemes.
    pub fn is_symmetric(self) -> bool {
        matches!(self, QScheme::PerTensorSymmetric | QScheme::PerChannelSymmetric)
    }
    /// True for the per-channel schemes.
    pub fn is_per_channel(self) -> bool {
        matches!(self, QScheme::PerChannelAffine | QScheme::PerChannelSymmetric)
    }
    /// torch's name: `"per_tensor_affine"`, ...
    pub fn name(self) -> &'static str {
        match self {
            QScheme::PerTensorAffine => "per_tensor_affine",
            QScheme::PerTensorSymmetric => "per_tensor_symmetric",
            QScheme::PerChannelAffine => "per_channel_affine",
            QScheme::PerChannelSymmetric => "per_channel_symmetric",
        }
    }
    /// Parses torch's name (with or without the `torch.` prefix).
    pub fn parse(name: &str) -> Result<QScheme> {
        let all = [
            QScheme::PerTensorAffine,
            QScheme::PerTensorSymmetric,
            QScheme::PerChannelAffine,
            QScheme::PerChannelSymmetric,
        ];
        let n = name.strip_prefix("torch.").unwrap_or(name);
        all.into_iter().find(|q| q.name() == n).ok_or_else(|| Error::InvalidArgument {
            name: "qscheme",
            value: name.into(),
            valid: all.map(|q| q.name()).join(", "),
        })
    }
}

/// The constructor arguments every uniform observer takes (`UniformQuantizationObserverBase`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ObserverArgs {
    /// `torch.quint8` (default) or `torch.qint8`.
    pub dtype: QuantDType,
    /// Default `per_tensor_affine` (per-channel observers: `per_channel_affine`).
    pub qscheme: QScheme,
    /// Halve the code range (torch: deprecated in favour of quant_min/quant_max).
    pub reduce_range: bool,
    /// Custom range start; used only when `quant_max` is given too, as in torch.
    pub quant_min: Option<i32>,
    /// Custom range end.
    pub quant_max: Option<i32>,
    /// Scale floor; default `torch.finfo(torch.float32).eps`.
    pub eps: f32,
}

impl Default for ObserverArgs {
    fn default() -> Self {
        ObserverArgs {
            dtype: QuantDType::QUInt8,
            qscheme: QScheme::PerTensorAffine,
            reduce_range: false,
            quant_min: None,
            quant_max: None,
            eps: F32_EPS,
        }
    }
}

impl ObserverArgs {
    /// These args with a different qscheme.
    pub fn with_qscheme(mut self, qscheme: QScheme) -> Self {
        self.qscheme = qscheme;
        self
    }
}

/// The validated code range an observer works with: torch's `calculate_qmin_qmax` result.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct UniformQuant {
    /// The constructor arguments.
    pub args: ObserverArgs,
    /// Smallest code after reduce_range.
    pub quant_min: i32,
    /// Largest code after reduce_range.
    pub quant_max: i32,
    /// Both quant_min and quant_max were given.
    pub has_customized_qrange: bool,
}

impl UniformQuant {
    /// Validates `args` as torch's constructor does (`validate_qmin_qmax`, `calculate_qmin_qmax`,
    /// and the "cannot reduce range for symmetric quint8" check), naming `observer` in errors.
    pub fn new(observer: &'static str, args: ObserverArgs) -> Result<UniformQuant> {
        let custom = args.quant_min.zip(args.quant_max);
        let (quant_min, quant_max) = match custom {
            Some((lo, hi)) => {
                validate_qmin_qmax(lo, hi)?;
                if args.reduce_range {
                    (lo.div_euclid(2), hi.div_euclid(2))
                } else {
                    (lo, hi)
                }
            }
            None => match (args.dtype, args.reduce_range) {
                (QuantDType::QInt8, false) => (-128, 127),
                (QuantDType::QInt8, true) => (-64, 63),
                (QuantDType::QUInt8, false) => (0, 255),
                (QuantDType::QUInt8, true) => (0, 127),
            },
        };
        if args.qscheme.is_symmetric() && args.reduce_range && args.dtype == QuantDType::QUInt8 {
            return Err(Error::Unsupported {
                op: observer,
                detail: "cannot reduce range for symmetric quantization for quint8; use qint8 or reduce_range=false"
                    .into(),
            });
        }
        if !(args.eps.is_finite() && args.eps >= 0.0) {
            return Err(Error::InvalidArgument {
                name: "eps",
                value: args.eps.to_string(),
                valid: "a finite value >= 0 (default 2^-23)".into(),
            });
        }
        Ok(UniformQuant { args, quant_min, quant_max, has_customized_qrange: custom.is_some() })
    }

    /// `_calculate_qparams(min_val, max_val)` for one or more channels: `(scales, zero_points)`.
    /// Caller has checked `min <= max` and that the observer ran.
    pub fn qparams_of(&self, min_val: &[f32], max_val: &[f32]) -> (Vec<f32>, Vec<i32>) {
        min_val.iter().zip(max_val).map(|(&lo, &hi)| self.qparams_one(lo, hi)).unzip()
    }

    /// One channel of `_calculate_qparams`. Tensor ops in f32, the divisors are Python floats
    /// (f64) that torch rounds to f32 as the tensor's dtype: `float(qmax - qmin) / 2`, `float(qmax - qmin)`.
    fn qparams_one(&self, min_val: f32, max_val: f32) -> (f32, i32) {
        let (qmin, qmax) = (self.quant_min, self.quant_max);
        // torch.min(min_val, 0), torch.max(max_val, 0).
        let min_neg = if min_val < 0.0 { min_val } else { 0.0 };
        let max_pos = if max_val > 0.0 { max_val } else { 0.0 };
        if self.args.qscheme.is_symmetric() {
            let m = if -min_neg > max_pos { -min_neg } else { max_pos };
            let scale = m / ((qmax - qmin) as f64 / 2.0) as f32;
            let scale = if scale > self.args.eps { scale } else { self.args.eps };
            let zp = match self.args.dtype {
                QuantDType::QUInt8 if self.has_customized_qrange => (qmin + qmax).div_euclid(2),
                QuantDType::QUInt8 => 128,
                QuantDType::QInt8 => 0,
            };
            (scale, zp)
        } else {
            let scale = (max_pos - min_neg) / (qmax - qmin) as f32;
            let scale = if scale > self.args.eps { scale } else { self.args.eps };
            // quant_min - torch.round(min_val_neg / scale).to(torch.int), then clamp.
            let r = (min_neg / scale).round_ties_even() as i32;
            let zp = (qmin as i64 - r as i64).clamp(qmin as i64, qmax as i64) as i32;
            (scale, zp)
        }
    }
}

/// torch's `validate_qmin_qmax` plus the 256-value limit of `calculate_qmin_qmax`.
pub fn validate_qmin_qmax(quant_min: i32, quant_max: i32) -> Result<()> {
    let value = format!("quant_min={quant_min}, quant_max={quant_max}");
    if !(quant_min <= 0 && 0 <= quant_max) {
        return Err(Error::InvalidArgument {
            name: "quantization range",
            value,
            valid: "a user-specified range must include 0 (quant_min <= 0 <= quant_max)".into(),
        });
    }
    if quant_min >= quant_max {
        return Err(Error::InvalidArgument {
            name: "quantization range",
            value,
            valid: "quant_min strictly less than quant_max".into(),
        });
    }
    if (quant_max as i64 - quant_min as i64 + 1) > 256 {
        return Err(Error::InvalidArgument {
            name: "quantization range",
            value,
            valid: "at most 256 values (the maximum 8-bit range)".into(),
        });
    }
    Ok(())
}

/// A warning torch would print and that callers should surface (e.g. in the report).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObserverWarning {
    /// The observer's torch class name.
    pub observer: &'static str,
    /// torch's message.
    pub message: String,
}

/// `calculate_qparams`'s result: the qparams and, for an observer that never saw data, torch's
/// "must run observer before calling calculate_qparams" warning (qparams are then scale 1.0, zp 0).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calculated {
    /// What torch returns.
    pub qparams: QParams,
    /// Set when torch would warn.
    pub warning: Option<ObserverWarning>,
}

/// The "must run observer before calling calculate_qparams" default: scale 1.0, zero point 0
/// (one element, as torch returns it, even for per-channel observers).
pub fn uncalibrated(observer: &'static str, dtype: QuantDType) -> Calculated {
    Calculated {
        qparams: QParams::PerTensor { scale: 1.0, zero_point: 0, dtype },
        warning: Some(ObserverWarning {
            observer,
            message: "must run observer before calling calculate_qparams. Returning default values.".into(),
        }),
    }
}

/// Rejects NaN and ±inf in a calibration batch, naming the observer and the first bad index.
pub fn check_finite(observer: &'static str, x: &[f32]) -> Result<()> {
    match x.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(Error::InvalidArgument {
            name: "calibration data",
            value: format!("{} at flat index {i} (seen by {observer})", x[i]),
            valid: "finite values only; torch would propagate NaN/inf into the qparams".into(),
        }),
    }
}

/// torch's `check_min_max_valid` assertion: `min_val > max_val` is an error naming both.
pub fn check_min_le_max(observer: &'static str, min_val: &[f32], max_val: &[f32]) -> Result<()> {
    match min_val.iter().zip(max_val).position(|(lo, hi)| lo > hi) {
        None => Ok(()),
        Some(c) => Err(Error::InvalidArgument {
            name: "min_val/max_val",
            value: format!("min {} > max {} (channel {c} of {observer})", min_val[c], max_val[c]),
            valid: "min_val <= max_val".into(),
        }),
    }
}

/// `x.len()` must be the product of `shape`.
pub fn check_len(observer: &'static str, x: &[f32], shape: &[usize]) -> Result<()> {
    let n: usize = shape.iter().product();
    if n != x.len() {
        return Err(Error::Shape {
            op: observer,
            detail: format!(
                "data has {} values but shape {} needs {n}",
                x.len(),
                crate::rules::error::fmt_shape(shape)
            ),
        });
    }
    Ok(())
}

/// Fraction of `x` that quantizing with `qparams` would clip: values whose unclamped code
/// `zero_point + round_half_even(x · (1/scale))` (torch's arithmetic) falls outside
/// `[quant_min, quant_max]`, i.e. values outside `[(qmin − zp)·scale, (qmax − zp)·scale]` by more
/// than the half step that rounding absorbs anyway. Per channel, each element uses its channel's
/// pair. `quant_min`/`quant_max` are the observer's (possibly reduced) range. 0 for empty `x`.
/// (A plain `v > (qmax − zp)·scale` test would count MinMax's own max as clipped whenever the f32
/// product rounds down, though its code is exactly qmax.)
pub fn clip_fraction(x: &[f32], shape: &[usize], qparams: &QParams, quant_min: i32, quant_max: i32) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    let clipped = x
        .iter()
        .enumerate()
        .filter(|&(i, &v)| {
            let (scale, zp) = qparams.at(shape, i);
            let code = zp as f64 + (v * (1.0f32 / scale)).round_ties_even() as f64;
            code < quant_min as f64 || code > quant_max as f64
        })
        .count();
    clipped as f64 / x.len() as f64
}
