//! [`ObserveOps`] for [`CpuReference`]: the observer reductions as plain loops, the twins of
//! `gpu/observe_aminmax.wgsl` and `gpu/histc.wgsl`. Sequential order; min and max keep the
//! later of equal values (torch's scalar `aminmax`).

use super::super::tensor::CpuTensor;
use super::CpuReference;
use crate::backend::{check_aminmax, check_aminmax_per_channel, check_histc, HostData, ObserveOps};
use crate::rules::error::Result;
use crate::rules::histc::HistcRange;
use crate::rules::stats::{AminmaxStats, ChannelStats};

/// The aminmax statistics of `x`, plain loops ([`AminmaxStats::of`]).
pub fn aminmax(x: &[f32]) -> AminmaxStats {
    AminmaxStats::of(x)
}

/// Per-channel statistics of `x` with `channels` channels of `inner` contiguous elements
/// (`(outer, channels, inner)` row-major), plain loops.
pub fn aminmax_per_channel(x: &[f32], channels: usize, inner: usize) -> ChannelStats {
    let mut s = ChannelStats {
        min: vec![f32::INFINITY; channels],
        max: vec![f32::NEG_INFINITY; channels],
        non_finite: Default::default(),
    };
    for (i, &v) in x.iter().enumerate() {
        if !v.is_finite() {
            s.non_finite.add(i, v);
            continue;
        }
        let c = (i / inner.max(1)) % channels.max(1);
        if v <= s.min[c] {
            s.min[c] = v;
        }
        if v >= s.max[c] {
            s.max[c] = v;
        }
    }
    s
}

/// Adds the histc counts of `x` into `row` (`bins` words) one element at a time.
pub fn histc_accumulate(x: &[f32], range: &HistcRange, row: &mut [i32]) {
    for &v in x {
        if let Some(b) = range.bin(v) {
            row[b as usize] = (row[b as usize] as u32 + 1) as i32;
        }
    }
}

/// Writes `w` at word `at` of the I32 tensor `out` (checked by the caller).
pub(crate) fn put_words(out: &mut CpuTensor, at: usize, w: &[i32]) {
    let HostData::I32(o) = &mut out.data else { unreachable!("dtype checked") };
    o[at..at + w.len()].copy_from_slice(w);
}

impl ObserveOps for CpuReference {
    fn aminmax_into(&self, x: &CpuTensor, out: &mut CpuTensor, at: usize) -> Result<()> {
        check_aminmax(x, out, at)?;
        put_words(out, at, &aminmax(x.f32s("aminmax")?).encode());
        Ok(())
    }

    fn aminmax_per_channel_into(&self, x: &CpuTensor, ch_axis: usize, out: &mut CpuTensor, at: usize) -> Result<()> {
        let (c, inner) = check_aminmax_per_channel(x, ch_axis, out, at)?;
        put_words(out, at, &aminmax_per_channel(x.f32s("aminmax_per_channel")?, c, inner).encode());
        Ok(())
    }

    fn histc_accumulate(&self, x: &CpuTensor, range: &HistcRange, counts: &mut CpuTensor, row: usize) -> Result<()> {
        check_histc(x, range, counts, row)?;
        let HostData::I32(c) = &mut counts.data else { unreachable!("dtype checked") };
        histc_accumulate(x.f32s("histc_accumulate")?, range, &mut c[row * range.bins..(row + 1) * range.bins]);
        Ok(())
    }
}
