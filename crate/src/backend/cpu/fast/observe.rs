//! [`ObserveOps`] for [`CpuFast`]: aminmax with the SIMD pass of `simd.rs` (comparisons only,
//! so the same bits as the observers' host `aminmax`), histc with the vectorized bin loop of
//! `rules::histc`; the per-channel reduction is the reference's. Every result equals the
//! reference's, except that the lane order may pick the other zero of a `±0` min or max tie.

use super::super::reference::CpuReference;
use super::super::tensor::{tensor, CpuTensor};
use super::{simd, CpuFast};
use crate::backend::{check_aminmax, check_histc, HostData, ObserveOps};
use crate::rules::error::Result;
use crate::rules::histc::HistcRange;
use crate::rules::stats::AminmaxStats;

impl ObserveOps for CpuFast {
    fn aminmax(&self, x: &CpuTensor) -> Result<CpuTensor> {
        check_aminmax(x)?;
        let v = x.f32s("aminmax")?;
        let (a, b, finite) = simd::aminmax(v);
        let s = if !finite {
            AminmaxStats::of(v)
        } else {
            AminmaxStats { min_max: (!v.is_empty()).then_some((a, b)), non_finite: 0, first_non_finite: None }
        };
        Ok(tensor(&[4], HostData::I32(s.encode().to_vec())))
    }

    fn aminmax_per_channel(&self, x: &CpuTensor, ch_axis: usize) -> Result<CpuTensor> {
        CpuReference.aminmax_per_channel(x, ch_axis)
    }

    fn histc_accumulate(&self, x: &CpuTensor, range: &HistcRange, counts: &mut CpuTensor, row: usize) -> Result<()> {
        check_histc(x, range, counts, row)?;
        let add = range.counts(x.f32s("histc_accumulate")?);
        let HostData::I32(c) = &mut counts.data else { unreachable!("dtype checked") };
        for (c, a) in c[row * range.bins..(row + 1) * range.bins].iter_mut().zip(add) {
            *c = (*c as u32 + a) as i32;
        }
        Ok(())
    }
}
