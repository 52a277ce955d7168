//! QConfigs: which observer (or fake-quant module) watches activations and weights, as torch
//! 2.15's `torch/ao/quantization/qconfig.py` builds them. An [`ObserverSpec`] is a constructor
//! description (torch's `Observer.with_args(...)` partial): serde-serializable, shown in reports,
//! and turned into live state with [`ObserverSpec::build`].
//!
//! Table (torch 2.15, version 0 PTQ / version 1 QAT):
//! | qconfig | activation | weight |
//! |---|---|---|
//! | `default_qconfig` | MinMax quint8 0..=127 | MinMax qint8 per_tensor_symmetric |
//! | `x86`, `fbgemm` | Histogram reduce_range=True | PerChannelMinMax qint8 per_channel_symmetric |
//! | `qnnpack` | Histogram reduce_range=False | MinMax qint8 per_tensor_symmetric |
//! | `onednn` | Histogram reduce_range=False | PerChannelMinMax qint8 per_channel_symmetric |
//! Not here: propagation over a module tree (prepare), the fake-quant state (`fake_quant.rs`).
//!
//! Length: one role, torch's qconfig table (every named qconfig with its observer arguments) in one place to diff against qconfig.py.

use crate::quant::fake_quant::FakeQuantize;
use crate::quant::observer::{
    HistogramObserver, MinMaxObserver, Observer, ObserverArgs, PerChannelMinMaxObserver, PlaceholderObserver, QScheme,
};
use crate::rules::affine::QuantDType;
use crate::rules::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// An observer class, by torch's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ObserverKind {
    /// `MinMaxObserver`.
    MinMaxObserver,
    /// `MovingAverageMinMaxObserver`.
    MovingAverageMinMaxObserver,
    /// `PerChannelMinMaxObserver`.
    PerChannelMinMaxObserver,
    /// `MovingAveragePerChannelMinMaxObserver`.
    MovingAveragePerChannelMinMaxObserver,
    /// `HistogramObserver`.
    HistogramObserver,
    /// `PlaceholderObserver` (dynamic quantization).
    PlaceholderObserver,
}

/// A fake-quant module class wrapping the observer (QAT qconfigs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FakeQuantKind {
    /// `FakeQuantize` (`default_qat_qconfig`, version 0).
    FakeQuantize,
    /// `FusedMovingAvgObsFakeQuantize` (`get_default_qat_qconfig`, version 1, torch's default);
    /// modelled with the same observer + qparams state machine as `FakeQuantize`.
    FusedMovingAvgObsFakeQuantize,
}

/// A constructor description: `Kind.with_args(**args)`, optionally wrapped in a fake-quant module.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObserverSpec {
    /// The observer class.
    pub kind: ObserverKind,
    /// dtype, qscheme, reduce_range, quant_min/quant_max, eps.
    pub args: ObserverArgs,
    /// Channel axis (per-channel kinds; torch default 0).
    pub ch_axis: usize,
    /// Moving-average constant (moving-average kinds; torch default 0.01).
    pub averaging_constant: f32,
    /// Histogram bins (torch default 2048).
    pub bins: usize,
    /// `is_dynamic` (placeholder of the dynamic qconfigs).
    pub is_dynamic: bool,
    /// Set for QAT: the fake-quant module that owns the observer.
    pub fake_quant: Option<FakeQuantKind>,
}

impl ObserverSpec {
    /// `kind.with_args(**args)` with torch's defaults for the other fields.
    pub fn new(kind: ObserverKind, args: ObserverArgs) -> Self {
        ObserverSpec {
            kind,
            args,
            ch_axis: 0,
            averaging_constant: 0.01,
            bins: 2048,
            is_dynamic: false,
            fake_quant: None,
        }
    }

    /// A fresh observer in its initial (uncalibrated) state. Errors as torch's constructor would.
    pub fn build(&self) -> Result<Observer> {
        Ok(match self.kind {
            ObserverKind::MinMaxObserver => Observer::MinMax(MinMaxObserver::new(self.args)?),
            ObserverKind::MovingAverageMinMaxObserver => {
                Observer::MinMax(MinMaxObserver::moving_average(self.averaging_constant, self.args)?)
            }
            ObserverKind::PerChannelMinMaxObserver => {
                Observer::PerChannel(PerChannelMinMaxObserver::new(self.ch_axis, self.args)?)
            }
            ObserverKind::MovingAveragePerChannelMinMaxObserver => Observer::PerChannel(
                PerChannelMinMaxObserver::moving_average(self.averaging_constant, self.ch_axis, self.args)?,
            ),
            ObserverKind::HistogramObserver => {
                Observer::Histogram(Box::new(HistogramObserver::new(self.bins, self.args)?))
            }
            ObserverKind::PlaceholderObserver => Observer::Placeholder(PlaceholderObserver {
                dtype: self.args.dtype,
                quant_min: self.args.quant_min,
                quant_max: self.args.quant_max,
                is_dynamic: self.is_dynamic,
            }),
        })
    }

    /// A fake-quant module around a fresh observer (QAT). Errors if this spec has no `fake_quant`.
    pub fn build_fake_quant(&self) -> Result<FakeQuantize> {
        FakeQuantize::new(self)
    }

    /// A torch-like one-line description, e.g. `HistogramObserver(dtype=quint8, qscheme=per_tensor_affine, reduce_range=True)`.
    pub fn describe(&self) -> String {
        let a = &self.args;
        let mut s = format!(
            "{:?}(dtype={}, qscheme={}, reduce_range={}",
            self.kind,
            dtype_name(a.dtype),
            a.qscheme.name(),
            if a.reduce_range { "True" } else { "False" }
        );
        if let (Some(lo), Some(hi)) = (a.quant_min, a.quant_max) {
            s += &format!(", quant_min={lo}, quant_max={hi}");
        }
        match self.kind {
            ObserverKind::PerChannelMinMaxObserver => s += &format!(", ch_axis={}", self.ch_axis),
            ObserverKind::MovingAveragePerChannelMinMaxObserver => {
                s += &format!(", ch_axis={}, averaging_constant={}", self.ch_axis, self.averaging_constant)
            }
            ObserverKind::MovingAverageMinMaxObserver => {
                s += &format!(", averaging_constant={}", self.averaging_constant)
            }
            ObserverKind::HistogramObserver => s += &format!(", bins={}", self.bins),
            ObserverKind::PlaceholderObserver => {
                s += &format!(", is_dynamic={}", if self.is_dynamic { "True" } else { "False" })
            }
            ObserverKind::MinMaxObserver => {}
        }
        s += ")";
        match self.fake_quant {
            Some(fq) => format!("{fq:?}(observer={s})"),
            None => s,
        }
    }
}

/// `"quint8"` or `"qint8"`.
pub fn dtype_name(d: QuantDType) -> &'static str {
    match d {
        QuantDType::QInt8 => "qint8",
        QuantDType::QUInt8 => "quint8",
    }
}

/// Observers for activations and weights, as torch's `QConfig(activation, weight)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QConfig {
    /// Attached to QuantStub and the outputs of quantized modules.
    pub activation: ObserverSpec,
    /// Attached to weights at convert (or in QAT, fake-quantizing them).
    pub weight: ObserverSpec,
}

/// The names `get_default_qconfig` accepts.
pub const BACKENDS: [&str; 4] = ["fbgemm", "x86", "qnnpack", "onednn"];

fn qint8(qscheme: QScheme) -> ObserverArgs {
    ObserverArgs { dtype: QuantDType::QInt8, qscheme, ..ObserverArgs::default() }
}

/// torch's `default_weight_observer`: MinMax, qint8, per_tensor_symmetric.
pub fn default_weight_observer() -> ObserverSpec {
    ObserverSpec::new(ObserverKind::MinMaxObserver, qint8(QScheme::PerTensorSymmetric))
}

/// torch's `default_per_channel_weight_observer`: PerChannelMinMax, qint8, per_channel_symmetric, ch_axis 0.
pub fn default_per_channel_weight_observer() -> ObserverSpec {
    ObserverSpec::new(ObserverKind::PerChannelMinMaxObserver, qint8(QScheme::PerChannelSymmetric))
}

fn histogram(reduce_range: bool) -> ObserverSpec {
    ObserverSpec::new(ObserverKind::HistogramObserver, ObserverArgs { reduce_range, ..ObserverArgs::default() })
}

/// torch's `default_qconfig`: activation `MinMaxObserver(quant_min=0, quant_max=127)` (quint8),
/// weight `default_weight_observer`.
pub fn default_qconfig() -> QConfig {
    let act = ObserverArgs { quant_min: Some(0), quant_max: Some(127), ..ObserverArgs::default() };
    QConfig { activation: ObserverSpec::new(ObserverKind::MinMaxObserver, act), weight: default_weight_observer() }
}

/// torch's `get_default_qconfig(backend)` (version 0). Unknown names are an error listing the valid ones.
pub fn get_default_qconfig(backend: &str) -> Result<QConfig> {
    Ok(match backend {
        "fbgemm" | "x86" => QConfig { activation: histogram(true), weight: default_per_channel_weight_observer() },
        "qnnpack" => QConfig { activation: histogram(false), weight: default_weight_observer() },
        "onednn" => QConfig { activation: histogram(false), weight: default_per_channel_weight_observer() },
        _ => return Err(unknown_backend(backend)),
    })
}

/// The CLI's `--qconfig` names: the four backends plus `"default"` (`default_qconfig`).
pub fn qconfig_by_name(name: &str) -> Result<QConfig> {
    if name == "default" {
        return Ok(default_qconfig());
    }
    get_default_qconfig(name).map_err(|_| Error::InvalidArgument {
        name: "qconfig",
        value: name.into(),
        valid: "x86, fbgemm, qnnpack, onednn, default".into(),
    })
}

fn unknown_backend(backend: &str) -> Error {
    Error::InvalidArgument {
        name: "backend",
        value: backend.into(),
        valid: format!("{} (torch: backend must be one of {BACKENDS:?})", BACKENDS.join(", ")),
    }
}

fn fq(kind: FakeQuantKind, obs: ObserverKind, args: ObserverArgs) -> ObserverSpec {
    ObserverSpec { fake_quant: Some(kind), ..ObserverSpec::new(obs, args) }
}

/// torch's `default_fake_quant`: FakeQuantize(MovingAverageMinMax, quint8 0..=255, reduce_range → 0..=127).
pub fn default_fake_quant() -> ObserverSpec {
    default_qat_qconfig().activation
}

/// torch's `default_weight_fake_quant`: FakeQuantize(MovingAverageMinMax, qint8 −128..=127, per_tensor_symmetric).
pub fn default_weight_fake_quant() -> ObserverSpec {
    default_qat_qconfig().weight
}

/// torch's `default_per_channel_weight_fake_quant`: FakeQuantize(MovingAveragePerChannelMinMax,
/// qint8 −128..=127, per_channel_symmetric, ch_axis 0).
pub fn default_per_channel_weight_fake_quant() -> ObserverSpec {
    let w = ObserverArgs { quant_min: Some(-128), quant_max: Some(127), ..qint8(QScheme::PerChannelSymmetric) };
    fq(FakeQuantKind::FakeQuantize, ObserverKind::MovingAveragePerChannelMinMaxObserver, w)
}

/// torch's `default_qat_qconfig` (version 0): FakeQuantize with MovingAverageMinMax observers,
/// activation quint8 0..=255 reduce_range (→ 0..=127), weight qint8 -128..=127 per_tensor_symmetric.
pub fn default_qat_qconfig() -> QConfig {
    use FakeQuantKind::FakeQuantize as F;
    use ObserverKind::MovingAverageMinMaxObserver as M;
    let act = ObserverArgs { quant_min: Some(0), quant_max: Some(255), reduce_range: true, ..ObserverArgs::default() };
    let w = ObserverArgs { quant_min: Some(-128), quant_max: Some(127), ..qint8(QScheme::PerTensorSymmetric) };
    QConfig { activation: fq(F, M, act), weight: fq(F, M, w) }
}

/// torch's `get_default_qat_qconfig(backend)` (version 1, torch's default): FusedMovingAvgObsFakeQuantize
/// with a MovingAverageMinMax activation observer (quint8 0..=255, reduce_range as the PTQ
/// qconfig) and MovingAveragePerChannelMinMax weights (qnnpack: MovingAverageMinMax per-tensor).
pub fn get_default_qat_qconfig(backend: &str) -> Result<QConfig> {
    use FakeQuantKind::FusedMovingAvgObsFakeQuantize as F;
    let reduce_range = match backend {
        "fbgemm" | "x86" => true,
        "qnnpack" | "onednn" => false,
        _ => return Err(unknown_backend(backend)),
    };
    let act = ObserverArgs { quant_min: Some(0), quant_max: Some(255), reduce_range, ..ObserverArgs::default() };
    let weight = if backend == "qnnpack" {
        fq(
            F,
            ObserverKind::MovingAverageMinMaxObserver,
            ObserverArgs { quant_min: Some(-128), quant_max: Some(127), ..qint8(QScheme::PerTensorSymmetric) },
        )
    } else {
        fq(
            F,
            ObserverKind::MovingAveragePerChannelMinMaxObserver,
            ObserverArgs { quant_min: Some(-128), quant_max: Some(127), ..qint8(QScheme::PerChannelSymmetric) },
        )
    };
    Ok(QConfig { activation: fq(F, ObserverKind::MovingAverageMinMaxObserver, act), weight })
}

fn dynamic(weight: ObserverSpec) -> QConfig {
    let act = ObserverArgs { quant_min: Some(0), quant_max: Some(255), ..ObserverArgs::default() };
    QConfig {
        activation: ObserverSpec { is_dynamic: true, ..ObserverSpec::new(ObserverKind::PlaceholderObserver, act) },
        weight,
    }
}

/// torch's `default_dynamic_qconfig`: PlaceholderObserver(quint8, 0..=255, is_dynamic) + `default_weight_observer`.
pub fn default_dynamic_qconfig() -> QConfig {
    dynamic(default_weight_observer())
}

/// torch's `per_channel_dynamic_qconfig`: as the dynamic one with `default_per_channel_weight_observer`.
pub fn per_channel_dynamic_qconfig() -> QConfig {
    dynamic(default_per_channel_weight_observer())
}

impl QConfig {
    /// The CLI's `--observer minmax|moving_average|histogram`: swaps the activation observer's
    /// class, keeping its dtype, qscheme, reduce_range and range.
    pub fn with_activation_observer(&self, name: &str) -> Result<QConfig> {
        let kind = match name {
            "minmax" => ObserverKind::MinMaxObserver,
            "moving_average" => ObserverKind::MovingAverageMinMaxObserver,
            "histogram" => ObserverKind::HistogramObserver,
            _ => {
                return Err(Error::InvalidArgument {
                    name: "observer",
                    value: name.into(),
                    valid: "minmax, moving_average, histogram".into(),
                })
            }
        };
        let mut q = self.clone();
        q.activation.kind = kind;
        Ok(q)
    }

    /// The CLI's `--per-tensor`: weights observed by `default_weight_observer` (MinMax qint8
    /// per_tensor_symmetric) instead of per channel.
    pub fn per_tensor_weights(&self) -> QConfig {
        QConfig { activation: self.activation.clone(), weight: default_weight_observer() }
    }
}
