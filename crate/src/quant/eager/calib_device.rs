//! Calibration with the observers' statistics reduced on the backend (issue 11): each observed
//! output stays where it was computed; the backend's `ObserveOps` reduce it and only the result
//! words come back. Per batch and observer one read of 4 words (aminmax; `2·C + 2` per
//! channel); a HistogramObserver's per-batch `histc` counts (u32) accumulate in one
//! `(rows, bins)` buffer on the device and are read once per run (per [`MAX_ROWS`] batches),
//! then replayed through the host's exact `_combine_histograms` in batch order.
//!
//! The updates are the observers' own (`forward_min_max`, `forward_channel_min_max`,
//! `forward_histc`), so on a CPU backend this path gives torch's numbers exactly as the host
//! `forward` does; the error messages are prepare's. Not here: the forward pass and the batch
//! loop (`prepare.rs`).

use crate::backend::{Backend, HasShape, HostData};
use crate::quant::observer::{HistogramObserver, Observer};
use crate::rules::error::{fmt_shape, Error, Result};
use crate::rules::histc::HistcRange;
use crate::rules::stats::{AminmaxStats, ChannelStats};
use std::collections::BTreeMap;

/// Batches a histogram count buffer holds before it is read and replayed (256 · 2048 bins ·
/// 4 bytes = 2 MiB per observer).
pub const MAX_ROWS: usize = 256;

/// One HistogramObserver's counts on the device during a run.
struct DeviceHistogram<B: Backend> {
    /// I32 `(rows, bins)`, u32 counts, row `r` the r-th histc of this buffer.
    counts: B::Tensor,
    rows: usize,
    used: usize,
    /// `(x_min, x_max, row)` per observer look, in order (a fused module looks twice).
    looks: Vec<(f32, f32, usize)>,
    /// The running range as the host observer will have it after the looks so far.
    shadow: HistogramObserver,
}

/// A calibration run's device-side state: the histogram buffers, and the looks of the batch
/// in progress (committed when the batch succeeds).
pub struct DeviceRun<B: Backend> {
    rows: usize,
    hist: BTreeMap<String, DeviceHistogram<B>>,
    batch: Vec<(String, f32, f32, usize)>,
}

impl<B: Backend> DeviceRun<B> {
    /// A run of up to `batches` batches (the count buffers get `min(batches, MAX_ROWS)` rows).
    pub fn new(batches: usize) -> DeviceRun<B> {
        DeviceRun { rows: batches.clamp(1, MAX_ROWS), hist: BTreeMap::new(), batch: Vec::new() }
    }

    /// Feeds observer `obs` (at `path`) the module output `t` through the backend's reductions,
    /// `times` looks (2 for a fused module's observer, as torch). Histogram counts are only
    /// enqueued; [`DeviceRun::commit`] and [`DeviceRun::flush`] finish them.
    pub async fn observe(&mut self, b: &B, path: &str, obs: &mut Observer, t: &B::Tensor, times: usize) -> Result<()> {
        let at = |e: Error| Error::Model { path: path.to_string(), detail: e.to_string() };
        if let Observer::PerChannel(o) = obs {
            if t.numel() == 0 {
                return Ok(());
            }
            if o.ch_axis >= t.shape().len() {
                let detail = format!("ch_axis {} is outside shape {}", o.ch_axis, fmt_shape(t.shape()));
                return Err(at(Error::Shape { op: o.kind(), detail }));
            }
            let s = ChannelStats::decode(&words(b.read_data(&b.aminmax_per_channel(t, o.ch_axis)?).await?));
            if let Some(i) = s.first_non_finite {
                return Err(non_finite(b, path, t, i).await);
            }
            for _ in 0..times {
                o.forward_channel_min_max(s.min.clone(), s.max.clone()).map_err(at)?;
            }
            return Ok(());
        }
        let s = AminmaxStats::decode(&words(b.read_data(&b.aminmax(t)?).await?));
        if let Some(i) = s.first_non_finite {
            return Err(non_finite(b, path, t, i).await);
        }
        let Some((lo, hi)) = s.min_max else { return Ok(()) }; // empty batches are ignored
        match obs {
            Observer::MinMax(o) => (0..times).for_each(|_| o.forward_min_max(lo, hi)),
            Observer::Histogram(o) => self.histc(b, path, o, t, lo, hi, times)?,
            Observer::PerChannel(_) | Observer::Placeholder(_) => {}
        }
        Ok(())
    }

    /// Enqueues the batch's histc over the range the host observer will use.
    #[allow(clippy::too_many_arguments)]
    fn histc(
        &mut self,
        b: &B,
        path: &str,
        o: &HistogramObserver,
        t: &B::Tensor,
        lo: f32,
        hi: f32,
        times: usize,
    ) -> Result<()> {
        let rows = self.rows;
        let h = match self.hist.get_mut(path) {
            Some(h) => h,
            None => {
                let counts = b.upload_data(HostData::I32(vec![0; rows * o.bins]), &[rows, o.bins])?;
                let d = DeviceHistogram { counts, rows, used: 0, looks: vec![], shadow: o.clone() };
                self.hist.entry(path.to_string()).or_insert(d)
            }
        };
        if h.used == h.rows {
            return Err(Error::Model {
                path: path.to_string(),
                detail: format!("histogram count buffer full ({} rows); flush before the next batch", h.rows),
            });
        }
        let (r_lo, r_hi) = h.shadow.batch_range(lo, hi);
        let row = h.used;
        b.histc_accumulate(t, &HistcRange::new(r_lo, r_hi, o.bins), &mut h.counts, row)?;
        h.used += 1;
        for _ in 0..times {
            // The shadow's range after this look: the host replay will compute the same.
            (h.shadow.min, h.shadow.max) = (r_lo, r_hi);
            self.batch.push((path.to_string(), lo, hi, row));
        }
        Ok(())
    }

    /// The batch succeeded: its histogram looks become part of the run.
    pub fn commit(&mut self) {
        for (path, lo, hi, row) in self.batch.drain(..) {
            self.hist.get_mut(&path).expect("looked at").looks.push((lo, hi, row));
        }
    }

    /// Whether a count buffer is full (the caller flushes before the next batch).
    pub fn full(&self) -> bool {
        self.hist.values().any(|h| h.used == h.rows)
    }

    /// The batch failed: forget its looks (the run ends; [`DeviceRun::flush`] replays only
    /// the committed ones).
    pub fn discard(&mut self) {
        self.batch.clear();
    }

    /// Reads every count buffer once and replays the committed looks, in order, through the
    /// observers' `forward_histc`; the buffers start over empty.
    pub async fn flush(&mut self, b: &B, observers: &mut BTreeMap<String, Observer>) -> Result<()> {
        for (path, h) in self.hist.iter_mut() {
            if h.looks.is_empty() {
                continue;
            }
            let counts = words(b.read_data(&h.counts).await?);
            let Some(Observer::Histogram(o)) = observers.get_mut(path) else { continue };
            let bins = o.bins;
            for &(lo, hi, row) in &h.looks {
                let update = counts[row * bins..(row + 1) * bins].iter().map(|&c| c as u32 as f32).collect();
                o.forward_histc(lo, hi, update);
            }
            h.looks.clear();
            h.used = 0;
            h.counts = b.upload_data(HostData::I32(vec![0; h.rows * bins]), &[h.rows, bins])?;
        }
        Ok(())
    }
}

fn words(d: HostData) -> Vec<i32> {
    match d {
        HostData::I32(w) => w,
        other => unreachable!("observer reductions return int32 words, got {}", other.dtype()),
    }
}

/// prepare's error for a NaN/inf in an observed output: reads the output back (the error path
/// only) to name the value at the first bad index.
async fn non_finite<B: Backend>(b: &B, path: &str, t: &B::Tensor, i: usize) -> Error {
    let v = match b.read(t).await {
        Ok(v) => v[i],
        Err(e) => return e,
    };
    Error::Model {
        path: path.to_string(),
        detail: format!("output contains {v} at index {i} during calibration; observers need finite values"),
    }
}
