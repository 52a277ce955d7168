//! [`ObserveOps`] for [`CpuReference`]: the observer reductions as plain loops, the twins of
//! `gpu/observe_aminmax.wgsl` and `gpu/histc.wgsl`. Sequential order; min and max keep the
//! later of equal values (torch's scalar `aminmax`).

use super::super::tensor::{tensor, CpuTensor};
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
        non_finite: 0,
        first_non_finite: None,
    };
    for (i, &v) in x.iter().enumerate() {
        if !v.is_finite() {
            s.non_finite += 1;
            s.first_non_finite.get_or_insert(i);
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

impl ObserveOps for CpuReference {
    fn aminmax(&self, x: &CpuTensor) -> Result<CpuTensor> {
        check_aminmax(x)?;
        Ok(tensor(&[4], HostData::I32(aminmax(x.f32s("aminmax")?).encode().to_vec())))
    }

    fn aminmax_per_channel(&self, x: &CpuTensor, ch_axis: usize) -> Result<CpuTensor> {
        let (c, inner) = check_aminmax_per_channel(x, ch_axis)?;
        let w = aminmax_per_channel(x.f32s("aminmax_per_channel")?, c, inner).encode();
        Ok(tensor(&[2 * c + 2], HostData::I32(w)))
    }

    fn histc_accumulate(&self, x: &CpuTensor, range: &HistcRange, counts: &mut CpuTensor, row: usize) -> Result<()> {
        check_histc(x, range, counts, row)?;
        let HostData::I32(c) = &mut counts.data else { unreachable!("dtype checked") };
        histc_accumulate(x.f32s("histc_accumulate")?, range, &mut c[row * range.bins..(row + 1) * range.bins]);
        Ok(())
    }
}
