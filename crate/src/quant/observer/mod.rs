//! Observers: the host-side state that `prepare` attaches to activations and weights, and
//! `calculate_qparams`, exactly as torch 2.15 computes them (`torch/ao/quantization/observer.py`,
//! `utils.py`). Batches come in as `&[f32]` plus a shape (row-major, PyTorch's layout).
//!
//! Here: the [`Observer`] enum that prepare/convert hold and the placeholder observer. The shared
//! options, validation and qparams formula are in `args.rs`; the observers in `minmax.rs`
//! (MinMax, MovingAverage, per-channel) and `histogram.rs`; ATen's arithmetic in `aten.rs`.
//! Not here: fake quantization (`quant/fake_quant.rs`), qconfigs (`qconfig.rs`).
//!
//! Differences from torch, on purpose: NaN or ±inf in a batch is a named error naming the
//! observer (torch's aminmax would propagate NaN into the qparams, and its HistogramObserver
//! drops ±inf with a warning); a custom quant range must hold ≤ 256 values for quint8 too
//! (torch only checks qint8).

pub mod args;
pub mod aten;
mod device_stats;
pub mod histogram;
pub mod minmax;

pub use args::*;
pub use histogram::HistogramObserver;
pub use minmax::{MinMaxObserver, PerChannelMinMaxObserver};

use crate::rules::affine::QuantDType;
use crate::rules::error::{Error, Result};
use serde::Serialize;

/// Any observer prepare/convert can hold.
#[derive(Debug, Clone, PartialEq)]
pub enum Observer {
    /// `MinMaxObserver` or `MovingAverageMinMaxObserver`.
    MinMax(MinMaxObserver),
    /// `PerChannelMinMaxObserver` or `MovingAveragePerChannelMinMaxObserver`.
    PerChannel(PerChannelMinMaxObserver),
    /// `HistogramObserver`.
    Histogram(Box<HistogramObserver>),
    /// `PlaceholderObserver` (dynamic quantization: qparams are computed per batch at run time).
    Placeholder(PlaceholderObserver),
}

impl Observer {
    /// torch's class name, e.g. `"HistogramObserver"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Observer::MinMax(o) => o.kind(),
            Observer::PerChannel(o) => o.kind(),
            Observer::Histogram(_) => "HistogramObserver",
            Observer::Placeholder(_) => "PlaceholderObserver",
        }
    }

    /// Records a batch `x` of `shape` (torch: `observer(x)`); empty batches are ignored.
    pub fn forward(&mut self, x: &[f32], shape: &[usize]) -> Result<()> {
        args::check_len(self.kind(), x, shape)?;
        match self {
            Observer::MinMax(o) => o.forward(x),
            Observer::PerChannel(o) => o.forward(x, shape),
            Observer::Histogram(o) => o.forward(x),
            Observer::Placeholder(_) => Ok(()),
        }
    }

    /// torch's `calculate_qparams()`.
    pub fn calculate_qparams(&self) -> Result<Calculated> {
        match self {
            Observer::MinMax(o) => o.calculate_qparams(),
            Observer::PerChannel(o) => o.calculate_qparams(),
            Observer::Histogram(o) => o.calculate_qparams(),
            Observer::Placeholder(_) => Err(Error::Unsupported { op: "PlaceholderObserver", detail: "calculate_qparams should not be called for PlaceholderObserver (dynamic quantization computes qparams per batch)".into() }),
        }
    }

    /// Running minimum(s): one value per tensor, or one per channel; empty before any data.
    pub fn min_val(&self) -> Vec<f32> {
        match self {
            Observer::MinMax(o) => o.min_val().into_iter().collect(),
            Observer::PerChannel(o) => o.min_val.clone(),
            Observer::Histogram(o) => o.min_val().into_iter().collect(),
            Observer::Placeholder(_) => vec![],
        }
    }

    /// Running maximum(s), like [`Observer::min_val`].
    pub fn max_val(&self) -> Vec<f32> {
        match self {
            Observer::MinMax(o) => o.max_val().into_iter().collect(),
            Observer::PerChannel(o) => o.max_val.clone(),
            Observer::Histogram(o) => o.max_val().into_iter().collect(),
            Observer::Placeholder(_) => vec![],
        }
    }

    /// The quantized dtype the observer targets.
    pub fn dtype(&self) -> QuantDType {
        match self {
            Observer::MinMax(o) => o.quant.args.dtype,
            Observer::PerChannel(o) => o.quant.args.dtype,
            Observer::Histogram(o) => o.quant.args.dtype,
            Observer::Placeholder(o) => o.dtype,
        }
    }

    /// The validated code range (`None` for the placeholder).
    pub fn quant(&self) -> Option<&UniformQuant> {
        match self {
            Observer::MinMax(o) => Some(&o.quant),
            Observer::PerChannel(o) => Some(&o.quant),
            Observer::Histogram(o) => Some(&o.quant),
            Observer::Placeholder(_) => None,
        }
    }
}

/// torch's `PlaceholderObserver`: records nothing; carries the dtype and range for dynamic
/// quantization (`default_dynamic_qconfig`: quint8, 0..=255, is_dynamic).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlaceholderObserver {
    /// Target dtype.
    pub dtype: QuantDType,
    /// Range start, if given.
    pub quant_min: Option<i32>,
    /// Range end, if given.
    pub quant_max: Option<i32>,
    /// Marks dynamic quantization.
    pub is_dynamic: bool,
}
