//! `torch.histc(x, bins, min, max)`'s bin rule on the CPU (ATen
//! `aten/src/ATen/native/cpu/HistogramKernel.cpp`, `LINEAR_INTERPOLATION`), as one type every
//! backend shares: [`HistcRange`] holds the outer edges `linspace(min, max, bins + 1)[0]` and
//! `[bins]`, [`HistcRange::bin`] is torch's `pos = (int64)((x − edge₀)·bins / (edge_last −
//! edge₀))` in f32 with the last bin closed, and [`HistcRange::lower_edges`] tabulates, per bin,
//! the smallest f32 that lands in it, so a GPU can find the same bin with integer comparisons
//! only (WGSL division is not correctly rounded).
//!
//! Not here: the f32 `linspace`/`sum` arithmetic of the observer (`quant::observer::aten`), the
//! kernels (`backend`).

use crate::rules::stats::order_key;

/// The range a `histc` call bins into, as torch's CPU kernel computes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistcRange {
    /// `edges[0]`: values below are skipped.
    pub left: f32,
    /// `edges[bins]`: values above are skipped; the last bin is closed.
    pub right: f32,
    /// Bin count, at least 1.
    pub bins: usize,
}

impl HistcRange {
    /// `histc(…, bins, min, max)`'s range: `min == max` widens it by 1 each side (in f64, as
    /// torch does), then the ends are `linspace`'s first and last values: `step.mul_add(0, s)`
    /// and `(−step).mul_add(0, e)` in f32 (`quant::observer::aten::linspace`).
    pub fn new(min: f32, max: f32, bins: usize) -> HistcRange {
        let (mut lo, mut hi) = (min as f64, max as f64);
        if lo == hi {
            lo -= 1.0;
            hi += 1.0;
        }
        let (s, e) = (lo as f32, hi as f32);
        let bins = bins.max(1);
        let step = (e - s) / bins as f32;
        HistcRange { left: step.mul_add(0.0, s), right: (-step).mul_add(0.0, e), bins }
    }

    /// torch's bin of `v` before the last-bin clamp: `((v − left)·bins / width) as u32` in f32
    /// (Rust's `as` saturates, and NaN gives 0). Monotone non-decreasing in `v`: each f32 op is
    /// correctly rounded, and rounding is monotone.
    #[inline(always)]
    pub fn raw_bin(&self, v: f32) -> u32 {
        ((v - self.left) * self.bins as f32 / (self.right - self.left)) as u32
    }

    /// The bin `v` is counted in, `None` outside `[left, right]` (NaN included).
    #[inline(always)]
    pub fn bin(&self, v: f32) -> Option<u32> {
        (v >= self.left && v <= self.right).then(|| self.raw_bin(v).min(self.bins as u32 - 1))
    }

    /// torch's counts of `x` (integers; torch's f32 `+= 1` gives the same below 2^24 per bin).
    pub fn counts(&self, x: &[f32]) -> Vec<u32> {
        let mut counts = vec![0u32; self.bins];
        self.accumulate(x, &mut counts);
        counts
    }

    /// Adds `x`'s counts to `counts` (`bins` long): bin indices of 256 values first (a loop the
    /// compiler vectorizes), then the scattered increments.
    pub fn accumulate(&self, x: &[f32], counts: &mut [u32]) {
        let mut pos = [0u32; 256];
        for chunk in x.chunks(256) {
            for (p, &v) in pos.iter_mut().zip(chunk) {
                *p = self.bin(v).unwrap_or(u32::MAX);
            }
            for &p in &pos[..chunk.len()] {
                if p != u32::MAX {
                    counts[p as usize] += 1;
                }
            }
        }
    }

    /// `bins + 1` order keys ([`order_key`]): `[0]` and `[bins]` are the keys of `left` and
    /// `right`; `[k]` for `1 ≤ k < bins` is the key of the smallest f32 `v` in `[left, right]`
    /// whose [`HistcRange::bin`] is ≥ k (`u32::MAX` when none is). So for a finite `v` in the
    /// range, `bin(v)` is the number of `k` in `1..bins` with `order_key(v) ≥ keys[k]`: exact
    /// integer comparisons. Found by bisection over the keys between `left` and `right`
    /// (`raw_bin` is monotone), 32 steps per bin.
    pub fn lower_edges(&self) -> Vec<u32> {
        let (lo, hi) = (order_key(self.left), order_key(self.right));
        let mut keys = vec![lo; self.bins + 1];
        keys[self.bins] = hi;
        let bin_of_key = |k: u32| self.raw_bin(super::stats::key_value(k));
        let mut from = lo;
        for (k, slot) in keys.iter_mut().enumerate().take(self.bins).skip(1) {
            // Smallest key in [from, hi] with bin ≥ k; the answers ascend with k.
            if lo > hi || bin_of_key(hi) < k as u32 {
                *slot = u32::MAX;
                continue;
            }
            let (mut a, mut b) = (from, hi);
            while a < b {
                let m = a + (b - a) / 2;
                if bin_of_key(m) >= k as u32 {
                    b = m;
                } else {
                    a = m + 1;
                }
            }
            *slot = a;
            from = a;
        }
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::stats::key_value;

    #[test]
    fn the_tabulated_edges_give_every_value_the_bin_the_float_rule_gives() {
        let mut s = 0x2545f491u32;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            s
        };
        for &(min, max, bins) in &[(-1.0f32, 1.0f32, 2048usize), (0.0, 3.7, 7), (-1e-3, 5e4, 2048), (2.5, 2.5, 16)] {
            let r = HistcRange::new(min, max, bins);
            let keys = r.lower_edges();
            for i in 0..20_000u32 {
                let t = (next() as f32 / u32::MAX as f32) * 1.2 - 0.1;
                // A third of the values sit on a tabulated edge or just below it.
                let edge = keys[1 + (i as usize) % (bins - 1).max(1)].min(keys[bins]);
                let v = match i % 3 {
                    0 => key_value(edge),
                    1 => key_value(edge - 1),
                    _ => r.left + t * (r.right - r.left),
                };
                let Some(want) = r.bin(v) else { continue };
                let kv = order_key(v);
                let got = (1..bins).filter(|&k| kv >= keys[k]).count() as u32;
                assert_eq!(got, want, "v = {v:e} in {r:?}");
            }
        }
    }
}
