//! `HistogramObserver` as torch 2.15 implements it (`torch/ao/quantization/observer.py`): a
//! running 2048-bin histogram over `[min_val, max_val]`, re-binned when the range grows
//! (`_combine_histograms`, `_upscale_histogram` with `upsample_rate = 16` in 2.15), and the L2
//! `_non_linear_param_search` that picks the clip range before `_calculate_qparams`.
//!
//! Bit-exactness rests on ATen's CPU arithmetic for histc, linspace, sum, cumsum and floor
//! division, reproduced in `aten.rs`. Python floats (bin widths in `_compute_quantization_error`)
//! are f64 and become f32 when they meet a tensor. Not here: the per-tensor qparams formula
//! (`args.rs`).

use super::aten::{cumsum, div_floor, histc, linspace, torch_sum};
use super::minmax::{finite_aminmax, max_f32, min_f32, per_tensor_qparams};
use super::{uncalibrated, Calculated, ObserverArgs, UniformQuant};
use crate::rules::error::{Error, Result};

/// torch 2.15's `HistogramObserver.upsample_rate` (older releases used 128).
pub const UPSAMPLE_RATE: usize = 16;

/// Running histogram of everything observed, and the range it covers.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramObserver {
    /// Validated options (per-tensor qschemes only).
    pub quant: UniformQuant,
    /// Bin count (torch default 2048).
    pub bins: usize,
    /// Bin counts (f32, as torch keeps them; fractional after re-binning).
    pub histogram: Vec<f32>,
    /// Range start; `+inf` before any data.
    pub min: f32,
    /// Range end; `-inf` before any data.
    pub max: f32,
}

impl HistogramObserver {
    /// `HistogramObserver(bins, **args)`.
    pub fn new(bins: usize, args: ObserverArgs) -> Result<Self> {
        if args.qscheme.is_per_channel() {
            return Err(Error::InvalidArgument {
                name: "qscheme",
                value: args.qscheme.name().into(),
                valid: "HistogramObserver's qscheme only supports per_tensor_symmetric and per_tensor_affine".into(),
            });
        }
        if bins == 0 {
            return Err(Error::InvalidArgument {
                name: "bins",
                value: "0".into(),
                valid: "at least 1 (torch default 2048)".into(),
            });
        }
        Ok(HistogramObserver {
            quant: UniformQuant::new("HistogramObserver", args)?,
            bins,
            histogram: vec![0.0; bins],
            min: f32::INFINITY,
            max: f32::NEG_INFINITY,
        })
    }

    /// The range start, `None` before any data.
    pub fn min_val(&self) -> Option<f32> {
        (self.min != f32::INFINITY || self.max != f32::NEG_INFINITY).then_some(self.min)
    }

    /// The range end, `None` before any data.
    pub fn max_val(&self) -> Option<f32> {
        self.min_val().map(|_| self.max)
    }

    /// torch's `forward(x)`: first batch sets range and histogram; later batches are binned over
    /// the grown range and the old histogram is re-binned into it.
    pub fn forward(&mut self, x: &[f32]) -> Result<()> {
        if x.is_empty() {
            return Ok(());
        }
        let (x_min, x_max) = finite_aminmax("HistogramObserver", x)?;
        let (lo, hi) = self.batch_range(x_min, x_max);
        self.forward_histc(x_min, x_max, histc(x, self.bins, lo, hi));
        Ok(())
    }

    /// The range torch bins a batch with min/max `(x_min, x_max)` over: the batch's own range
    /// for the first batch, else the running range grown to include it.
    pub fn batch_range(&self, x_min: f32, x_max: f32) -> (f32, f32) {
        if self.min == f32::INFINITY || self.max == f32::NEG_INFINITY {
            (x_min, x_max)
        } else {
            (min_f32(self.min, x_min), max_f32(self.max, x_max))
        }
    }

    /// The rest of [`HistogramObserver::forward`] once the batch's min/max and its
    /// `histc(x, bins, batch_range(…))` counts are known (on the host, or counted on a device
    /// as u32 and converted here): set, add, or `_combine_histograms`.
    pub fn forward_histc(&mut self, x_min: f32, x_max: f32, update: Vec<f32>) {
        if self.min == f32::INFINITY || self.max == f32::NEG_INFINITY {
            self.histogram = update;
            (self.min, self.max) = (x_min, x_max);
            return;
        }
        let (new_min, new_max) = self.batch_range(x_min, x_max);
        if new_min == self.min && new_max == self.max {
            add_assign(&mut self.histogram, &update);
        } else {
            self.histogram = self.combine_histograms(update, new_min, new_max);
            (self.min, self.max) = (new_min, new_max);
        }
    }

    /// `_combine_histograms(self.histogram, min, max, update_hist, update_min, update_max)`.
    fn combine_histograms(&self, mut update: Vec<f32>, update_min: f32, update_max: f32) -> Vec<f32> {
        if self.min == self.max {
            let bin_value = torch_sum(&self.histogram);
            let t = histc(&[self.min], self.bins, update_min, update_max);
            for (u, t) in update.iter_mut().zip(t) {
                *u += t * bin_value;
            }
            // torch: transformed_orig_hist + update_hist (commutative, same rounding).
            return update;
        }
        let t = self.upscale_histogram(update_min, update_max);
        add_assign(&mut update, &t);
        update
    }

    /// `_upscale_histogram`: spreads each bin over `UPSAMPLE_RATE` sub-bins, maps their mid-points
    /// into the new range with `bucketize(right=True) − 1`, clamps, and `bincount`s the weights.
    fn upscale_histogram(&self, update_min: f32, update_max: f32) -> Vec<f32> {
        let n = self.bins * UPSAMPLE_RATE;
        let bin_size = (self.max - self.min) / n as f32;
        let half = 0.5f32 * bin_size;
        let mids = linspace(self.min as f64, self.max as f64, n + 1);
        let bounds = linspace(update_min as f64, update_max as f64, self.bins + 1);
        let mut out = vec![0.0f32; self.bins];
        // bucketize(right=True) = the number of bounds <= mid. The mid-points ascend, so a pointer
        // walks the bounds instead of a binary search per point (it also steps back, so an
        // out-of-order mid-point still gets the exact count).
        let mut k = 0usize;
        for (i, &m) in mids[..n].iter().enumerate() {
            let mid = m + half;
            while k < bounds.len() && bounds[k] <= mid {
                k += 1;
            }
            while k > 0 && bounds[k - 1] > mid {
                k -= 1;
            }
            let b = (k as i64 - 1).clamp(0, self.bins as i64 - 1) as usize;
            out[b] += self.histogram[i / UPSAMPLE_RATE] / UPSAMPLE_RATE as f32;
        }
        out
    }

    /// torch's `calculate_qparams()`: `_non_linear_param_search`, then `_calculate_qparams`.
    pub fn calculate_qparams(&self) -> Result<Calculated> {
        if self.min == f32::INFINITY && self.max == f32::NEG_INFINITY {
            return Ok(uncalibrated("HistogramObserver", self.quant.args.dtype));
        }
        let (lo, hi) = self.non_linear_param_search();
        per_tensor_qparams("HistogramObserver", &self.quant, lo, hi)
    }

    /// `_non_linear_param_search`: walks the quantile bounds inward in 1e-5 steps while the L2
    /// quantization error keeps falling; returns the new `(min, max)` (f32 tensor arithmetic).
    pub fn non_linear_param_search(&self) -> (f32, f32) {
        let bins = self.bins;
        let bin_width = (self.max - self.min) / bins as f32;
        let total = torch_sum(&self.histogram) as f64;
        let csum = cumsum(&self.histogram);
        let stepsize = 1e-5f64;
        let (mut alpha, mut beta) = (0.0f64, 1.0f64);
        let (mut start_bin, mut end_bin) = (0usize, bins - 1);
        let mut norm_min = f64::INFINITY;
        while alpha < beta {
            let next_alpha = alpha + stepsize;
            let next_beta = beta - stepsize;
            // cSum[l] < next_alpha * total: a 0-dim f32 tensor against a Python float, compared in f32.
            let (lo_q, hi_q) = ((next_alpha * total) as f32, (next_beta * total) as f32);
            let (mut l, mut r) = (start_bin, end_bin);
            while l < end_bin && csum[l] < lo_q {
                l += 1;
            }
            while r > start_bin && csum[r] > hi_q {
                r -= 1;
            }
            let (mut next_start, mut next_end) = (start_bin, end_bin);
            if (l - start_bin) > (end_bin - r) {
                next_start = l;
                alpha = next_alpha;
            } else {
                next_end = r;
                beta = next_beta;
            }
            if next_start == start_bin && next_end == end_bin {
                continue;
            }
            let norm = self.quantization_error(next_start, next_end);
            if norm > norm_min {
                break;
            }
            norm_min = norm;
            start_bin = next_start;
            end_bin = next_end;
        }
        (self.min + bin_width * start_bin as f32, self.min + bin_width * (end_bin + 1) as f32)
    }

    /// `_compute_quantization_error(next_start_bin, next_end_bin)`, returned as torch's `.item()`.
    fn quantization_error(&self, start: usize, end: usize) -> f64 {
        let bins = self.bins;
        let dst_nbins = 256f64; // 2 ** torch.iinfo(dtype).bits for 8-bit dtypes
        let bin_width = (self.max as f64 - self.min as f64) / bins as f64;
        let dst_bin_width = bin_width * (end as f64 - start as f64 + 1.0) / dst_nbins;
        if dst_bin_width == 0.0 {
            return 0.0;
        }
        let (bw, dw, dw_half) = (bin_width as f32, dst_bin_width as f32, (dst_bin_width / 2.0) as f32);
        let neg_half = (-dst_bin_width / 2.0) as f32;
        let top = (dst_nbins - 1.0) as f32;
        // The middle term's scalar: _get_norm(tensor(-dst/2), tensor(dst/2), density) before `density *`.
        let mid_norm = (dw_half * dw_half * dw_half - neg_half * neg_half * neg_half) / 3.0;
        let cube_neg_half = neg_half * neg_half * neg_half;
        let norm: Vec<f32> = (0..bins)
            .map(|i| {
                let begin = (i as f32 - start as f32) * bw; // (src_bin - next_start_bin) is an int64 tensor
                let src_end = begin + bw;
                let dob = div_floor(begin, dw).clamp(0.0, top);
                let dob_center = (dob + 0.5) * dw;
                let doe = div_floor(src_end, dw).clamp(0.0, top);
                let density = self.histogram[i] / bw;
                let db = begin - dob_center;
                let n1 = density * ((dw_half * dw_half * dw_half - db * db * db) / 3.0);
                let n2 = (doe - dob - 1.0) * (density * mid_norm);
                let doe_center = doe * dw + dw_half;
                let de = src_end - doe_center;
                let n3 = density * ((de * de * de - cube_neg_half) / 3.0);
                ((0.0f32 + n1) + n2) + n3
            })
            .collect();
        torch_sum(&norm) as f64
    }
}

fn add_assign(a: &mut [f32], b: &[f32]) {
    for (a, b) in a.iter_mut().zip(b) {
        *a += b;
    }
}
