//! [`ObserveOps`] for [`CpuFast`]: aminmax with the SIMD pass of `simd.rs` (comparisons only,
//! so the same bits as the observers' host `aminmax`), histc with the vectorized bin loop of
//! `rules::histc`; the per-channel reduction is the reference's. Every result equals the
//! reference's, except that the lane order may pick the other zero of a `±0` min or max tie.

use super::super::reference::put_words;
use super::super::reference::CpuReference;
use super::super::tensor::CpuTensor;
use super::{simd, CpuFast};
use crate::backend::{check_aminmax, check_histc, HostData, ObserveOps};
use crate::rules::error::Result;
use crate::rules::histc::HistcRange;
use crate::rules::stats::AminmaxStats;

impl ObserveOps for CpuFast {
    fn aminmax_into(&self, x: &CpuTensor, out: &mut CpuTensor, at: usize) -> Result<()> {
        check_aminmax(x, out, at)?;
        let v = x.f32s("aminmax")?;
        let (a, b, finite) = simd::aminmax(v);
        let s = if !finite {
            AminmaxStats::of(v)
        } else {
            AminmaxStats { min_max: (!v.is_empty()).then_some((a, b)), non_finite: Default::default() }
        };
        put_words(out, at, &s.encode());
        Ok(())
    }

    fn aminmax_per_channel_into(&self, x: &CpuTensor, ch_axis: usize, out: &mut CpuTensor, at: usize) -> Result<()> {
        CpuReference.aminmax_per_channel_into(x, ch_axis, out, at)
    }

    fn histc_accumulate(&self, x: &CpuTensor, range: &HistcRange, counts: &mut CpuTensor, row: usize) -> Result<()> {
        check_histc(x, range, counts, row)?;
        let HostData::I32(c) = &mut counts.data else { unreachable!("dtype checked") };
        let row = &mut c[row * range.bins..(row + 1) * range.bins];
        // The i32 words hold u32 counts (below 2^32 per bin).
        let mut u: Vec<u32> = row.iter().map(|&w| w as u32).collect();
        range.accumulate(x.f32s("histc_accumulate")?, &mut u);
        for (w, v) in row.iter_mut().zip(u) {
            *w = v as i32;
        }
        Ok(())
    }
}
