//! Observer reductions: the small statistics PTQ calibration needs from each observed
//! activation, reduced where the activation is so only a few words come back (on WebGPU a
//! calibration run reads its statistics once instead of every observed output).
//!
//! - [`ObserveOps::aminmax_into`]: min and max of the finite elements plus the non-finite report;
//! - [`ObserveOps::aminmax_per_channel_into`]: the same per channel along `ch_axis`;
//! - [`ObserveOps::histc_accumulate`]: `torch.histc` counts (u32, exact) added into one row of a
//!   device-resident `(rows, bins)` buffer, so a calibration run reads its histograms once.
//!
//! The word layouts and their decoding are `crate::rules::stats`, the bin rule
//! `crate::rules::histc`. Not here: the observers that use them (`crate::quant::observer`).

use crate::backend::TensorOps;
use crate::rules::error::Result;
use crate::rules::histc::HistcRange;

/// Observer reductions; every result is exact (no rounding: comparisons and integer counts).
/// Results go into words of a caller's I32 buffer (zero-filled, each region written once), so a
/// calibration run can keep every batch's statistics on the device and read them once.
pub trait ObserveOps: TensorOps {
    /// `torch.aminmax` of an F32 tensor that also reports NaN / ±inf, written as
    /// `crate::rules::stats::AMINMAX_WORDS` words at word `at` of `out` (I32, any shape, those
    /// words zero): `[!key(min), key(max), non_finite_count, !first_nan, !first_pos_inf,
    /// !first_neg_inf]` over the finite elements (`crate::rules::stats::AminmaxStats::decode`);
    /// all zero for an empty tensor.
    fn aminmax_into(&self, x: &Self::Tensor, out: &mut Self::Tensor, at: usize) -> Result<()>;

    /// Per-channel aminmax of an F32 tensor along `ch_axis` (PerChannelMinMaxObserver's
    /// reduction over every other dimension), `2·C + 4` words at word `at` of `out`: C minima
    /// keys, C maxima keys, then the non-finite report (`crate::rules::stats::ChannelStats`).
    /// `ch_axis` must be a dimension of `x`.
    fn aminmax_per_channel_into(
        &self,
        x: &Self::Tensor,
        ch_axis: usize,
        out: &mut Self::Tensor,
        at: usize,
    ) -> Result<()>;

    /// Adds `torch.histc(x, range.bins, …)`'s counts of F32 `x` into row `row` of `counts`, an
    /// I32 `(rows, range.bins)` tensor holding u32 counts (`crate::rules::histc::HistcRange::bin`;
    /// values outside the range are skipped). `x` must be finite (check with
    /// [`ObserveOps::aminmax_into`] first): a GPU may assume so.
    fn histc_accumulate(
        &self,
        x: &Self::Tensor,
        range: &HistcRange,
        counts: &mut Self::Tensor,
        row: usize,
    ) -> Result<()>;
}
