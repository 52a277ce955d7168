//! Observer reductions: the small statistics PTQ calibration needs from each observed
//! activation, reduced where the activation is so only a few words come back (on WebGPU a
//! calibration batch then reads 4 words per observer instead of the whole output).
//!
//! - [`ObserveOps::aminmax`]: min and max of the finite elements plus the non-finite report;
//! - [`ObserveOps::aminmax_per_channel`]: the same per channel along `ch_axis`;
//! - [`ObserveOps::histc_accumulate`]: `torch.histc` counts (u32, exact) added into one row of a
//!   device-resident `(rows, bins)` buffer, so a calibration run reads its histograms once.
//!
//! The word layouts and their decoding are `crate::rules::stats`, the bin rule
//! `crate::rules::histc`. Not here: the observers that use them (`crate::quant::observer`).

use crate::backend::TensorOps;
use crate::rules::error::Result;
use crate::rules::histc::HistcRange;

/// Observer reductions; every result is exact (no rounding: comparisons and integer counts).
pub trait ObserveOps: TensorOps {
    /// `torch.aminmax` of an F32 tensor that also reports NaN / ±inf: an I32 `(4,)` tensor
    /// `[!key(min), key(max), non_finite_count, !first_non_finite]` over the finite elements
    /// (`crate::rules::stats::AminmaxStats::decode`), all zero for an empty tensor.
    fn aminmax(&self, x: &Self::Tensor) -> Result<Self::Tensor>;

    /// Per-channel aminmax of an F32 tensor along `ch_axis` (PerChannelMinMaxObserver's
    /// reduction over every other dimension): I32 `(2·C + 2,)`, C minima keys, C maxima keys,
    /// then the non-finite count and first index (`crate::rules::stats::ChannelStats::decode`).
    /// `ch_axis` must be a dimension of `x`.
    fn aminmax_per_channel(&self, x: &Self::Tensor, ch_axis: usize) -> Result<Self::Tensor>;

    /// Adds `torch.histc(x, range.bins, …)`'s counts of F32 `x` into row `row` of `counts`, an
    /// I32 `(rows, range.bins)` tensor holding u32 counts (`crate::rules::histc::HistcRange::bin`;
    /// values outside the range are skipped). `x` must be finite (check with
    /// [`ObserveOps::aminmax`] first): a GPU may assume so.
    fn histc_accumulate(
        &self,
        x: &Self::Tensor,
        range: &HistcRange,
        counts: &mut Self::Tensor,
        row: usize,
    ) -> Result<()>;
}
