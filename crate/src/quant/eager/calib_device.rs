//! Calibration with the observers' statistics reduced on the backend (issue 11): observed
//! outputs stay where they were computed, the backend's `ObserveOps` reduce them into small
//! I32 buffers that also stay there, and the host reads each buffer once per run:
//!
//! - MinMax, MovingAverage, per-channel (and placeholder) observers: each batch's aminmax words
//!   go to row `batch` of the observer's `(rows, words)` buffer; at the end of the run one read
//!   per observer, then the batches are replayed through the observers' own updates in order
//!   (MovingAverage's average only needs the sequence of batch min/max, not when it arrives);
//! - HistogramObserver: torch bins each batch over the running range grown by the batch's
//!   min/max, so those are needed during the run: one read per batch of the 6 words of every
//!   histogram observer together, then `histc` into row `batch` of a `(rows, bins)` u32 count
//!   buffer on the device, read once per run and replayed through `_combine_histograms`.
//!
//! So a run of `n` batches reads `observers` times (plus `n` when there are histogram
//! observers) instead of `n × observers` whole activations; buffers hold [`MAX_ROWS`] batches
//! and are flushed when full. Errors come out as the old per-batch path raised them: replay
//! stops at the first batch with a NaN/inf or a bad shape (earliest module in forward order
//! first), with every earlier batch applied and that one not. Not here: the forward pass and
//! the batch loop (`prepare.rs`).

use crate::backend::{Backend, HasShape, HostData};
use crate::quant::observer::{HistogramObserver, Observer};
use crate::rules::error::{fmt_shape, Error, Result};
use crate::rules::histc::HistcRange;
use crate::rules::stats::{channel_words, AminmaxStats, ChannelStats, NonFinite, AMINMAX_WORDS};
use std::collections::BTreeMap;

/// Batches a buffer holds before the run reads and replays it (2048 bins · 4 bytes · 256 =
/// 2 MiB per histogram observer).
pub const MAX_ROWS: usize = 256;

/// One observer look recorded during a batch: `(leaf index, path, what, times)`.
struct Look {
    leaf: usize,
    path: String,
    /// `None`: the stats row of this batch in the observer's buffer; `Some((x_min, x_max))`: a
    /// histogram look whose counts are that row of its count buffer.
    hist: Option<(f32, f32)>,
    row: usize,
    /// 2 for a fused module's observer (torch looks twice), else 1.
    times: usize,
}

/// A device buffer of `rows` result rows of `words` words each.
struct Rows<B: Backend> {
    buf: B::Tensor,
    words: usize,
    used: usize,
}

/// A calibration run's device-side state.
pub struct DeviceRun<B: Backend> {
    rows: usize,
    stats: BTreeMap<String, Rows<B>>,
    counts: BTreeMap<String, Rows<B>>,
    /// Running range of each histogram observer as the host will have it after the looks so far.
    shadows: BTreeMap<String, HistogramObserver>,
    batches: Vec<Vec<Look>>,
    current: Vec<Look>,
    /// Histogram outputs of the batch in progress: (leaf, path, output handle, times).
    waiting: Vec<(usize, String, B::Tensor, usize)>,
}

fn zeros<B: Backend>(b: &B, rows: usize, words: usize) -> Result<B::Tensor> {
    b.upload_data(HostData::I32(vec![0; rows * words]), &[rows, words])
}

fn words(d: HostData) -> Vec<i32> {
    match d {
        HostData::I32(w) => w,
        other => unreachable!("observer reductions return int32 words, got {}", other.dtype()),
    }
}

/// prepare's error for a NaN/inf in an observed output.
fn non_finite(path: &str, nf: &NonFinite) -> Option<Error> {
    let (i, v) = nf.first()?;
    Some(Error::Model {
        path: path.to_string(),
        detail: format!("output contains {v} at index {i} during calibration; observers need finite values"),
    })
}

impl<B: Backend> DeviceRun<B> {
    /// A run of up to `batches` batches (buffers get `min(batches, MAX_ROWS)` rows).
    pub fn new(batches: usize) -> DeviceRun<B> {
        DeviceRun {
            rows: batches.clamp(1, MAX_ROWS),
            stats: BTreeMap::new(),
            counts: BTreeMap::new(),
            shadows: BTreeMap::new(),
            batches: vec![],
            current: vec![],
            waiting: vec![],
        }
    }

    /// The row this batch writes (batches since the last flush).
    fn row(&self) -> usize {
        self.batches.len()
    }

    /// Observer `obs` at `path` (leaf `leaf` in forward order) looks `times` times at the
    /// module output `t`: the reduction is enqueued, nothing is read.
    pub fn look(&mut self, b: &B, leaf: usize, path: &str, obs: &Observer, t: &B::Tensor, times: usize) -> Result<()> {
        let row = self.row();
        let (ch_axis, words) = match obs {
            Observer::Histogram(o) => {
                self.shadows.entry(path.to_string()).or_insert_with(|| (**o).clone());
                self.waiting.push((leaf, path.to_string(), b.reshape(t, t.shape())?, times));
                return Ok(());
            }
            Observer::PerChannel(o) => {
                if t.numel() == 0 {
                    return Ok(()); // torch ignores empty batches
                }
                let Some(&c) = t.shape().get(o.ch_axis) else {
                    let detail = format!("ch_axis {} is outside shape {}", o.ch_axis, fmt_shape(t.shape()));
                    return Err(Error::Model {
                        path: path.into(),
                        detail: Error::Shape { op: o.kind(), detail }.to_string(),
                    });
                };
                (Some(o.ch_axis), channel_words(c))
            }
            _ => (None, AMINMAX_WORDS),
        };
        let rows = self.rows;
        let r = match self.stats.get_mut(path) {
            Some(r) => r,
            None => self.stats.entry(path.to_string()).or_insert(Rows { buf: zeros(b, rows, words)?, words, used: 0 }),
        };
        if r.words != words {
            // A per-channel observer's channel count changed within the run.
            let (now, before) = ((words - 4) / 2, (r.words - 4) / 2);
            let detail = format!(
                "batch has {now} channels along axis {} but earlier batches had {before}",
                ch_axis.unwrap_or(0)
            );
            return Err(Error::Model {
                path: path.into(),
                detail: Error::Shape { op: obs.kind(), detail }.to_string(),
            });
        }
        match ch_axis {
            Some(axis) => b.aminmax_per_channel_into(t, axis, &mut r.buf, row * words)?,
            None => b.aminmax_into(t, &mut r.buf, row * words)?,
        }
        r.used = row + 1;
        self.current.push(Look { leaf, path: path.to_string(), hist: None, row, times });
        Ok(())
    }

    /// The end of a batch's forward: one read of every histogram observer's min/max words,
    /// then each one's `histc` over its grown range into its count buffer. An error carries the
    /// leaf index of the module it names.
    pub async fn end_batch(&mut self, b: &B) -> std::result::Result<(), (usize, Error)> {
        if self.waiting.is_empty() {
            return Ok(());
        }
        let waiting = std::mem::take(&mut self.waiting);
        let first = waiting[0].0;
        let mut out = zeros(b, waiting.len(), AMINMAX_WORDS).map_err(|e| (first, e))?;
        for (k, (leaf, _, t, _)) in waiting.iter().enumerate() {
            b.aminmax_into(t, &mut out, k * AMINMAX_WORDS).map_err(|e| (*leaf, e))?;
        }
        let w = words(b.read_data(&out).await.map_err(|e| (first, e))?);
        let row = self.row();
        for (k, (leaf, path, t, times)) in waiting.into_iter().enumerate() {
            let s = AminmaxStats::decode(&w[k * AMINMAX_WORDS..(k + 1) * AMINMAX_WORDS]);
            if let Some(e) = non_finite(&path, &s.non_finite) {
                return Err((leaf, e));
            }
            let Some((lo, hi)) = s.min_max else { continue }; // empty batch
            let shadow = self.shadows.get_mut(&path).expect("registered in look");
            let (r_lo, r_hi) = shadow.batch_range(lo, hi);
            let bins = shadow.bins;
            let rows = self.rows;
            let c = match self.counts.get_mut(&path) {
                Some(c) => c,
                None => self.counts.entry(path.clone()).or_insert(Rows {
                    buf: zeros(b, rows, bins).map_err(|e| (leaf, e))?,
                    words: bins,
                    used: 0,
                }),
            };
            b.histc_accumulate(&t, &HistcRange::new(r_lo, r_hi, bins), &mut c.buf, row).map_err(|e| (leaf, e))?;
            c.used = row + 1;
            (shadow.min, shadow.max) = (r_lo, r_hi); // a second look bins over the same range
            self.current.push(Look { leaf, path, hist: Some((lo, hi)), row, times });
        }
        Ok(())
    }

    /// The batch's forward and looks succeeded: it joins the run. Returns whether the buffers
    /// are full (the caller then flushes before the next batch).
    pub fn commit(&mut self) -> bool {
        let mut looks = std::mem::take(&mut self.current);
        looks.sort_by_key(|l| l.leaf);
        self.batches.push(looks);
        self.batches.len() == self.rows
    }

    /// Reads every buffer once and replays the committed batches in order into `observers`
    /// (counting them in `observed`); buffers start over. When the batch in progress failed
    /// with `failed` = (leaf, error), its looks at earlier leaves are checked too, and the
    /// earliest error is returned. Replay stops at the first failing batch, leaving the
    /// observers as they were before it.
    pub async fn flush(
        &mut self,
        b: &B,
        observers: &mut BTreeMap<String, Observer>,
        observed: &mut usize,
        failed: Option<(usize, Error)>,
    ) -> Result<()> {
        let read_all = |m: &BTreeMap<String, Rows<B>>| -> Vec<String> {
            m.iter().filter(|(_, r)| r.used > 0).map(|(p, _)| p.clone()).collect()
        };
        let mut stat_words = BTreeMap::new();
        for p in read_all(&self.stats) {
            stat_words.insert(p.clone(), (words(b.read_data(&self.stats[&p].buf).await?), self.stats[&p].words));
        }
        let mut count_words = BTreeMap::new();
        for p in read_all(&self.counts) {
            count_words.insert(p.clone(), (words(b.read_data(&self.counts[&p].buf).await?), self.counts[&p].words));
        }
        let batches = std::mem::take(&mut self.batches);
        let partial = std::mem::take(&mut self.current);
        self.waiting.clear();
        for r in self.stats.values_mut().chain(self.counts.values_mut()) {
            if r.used > 0 {
                r.buf = zeros(b, self.rows, r.words)?;
                r.used = 0;
            }
        }
        for looks in &batches {
            let mut staged = observers.clone();
            for l in looks {
                replay(&mut staged, l, &stat_words, &count_words)?;
            }
            *observers = staged;
            *observed += 1;
        }
        let Some((leaf, e)) = failed else { return Ok(()) };
        // The failed batch: an earlier module's NaN/inf or shape error comes first.
        let mut scratch = observers.clone();
        for l in partial.iter().filter(|l| l.leaf < leaf && l.hist.is_none()) {
            replay(&mut scratch, l, &stat_words, &BTreeMap::new())?;
        }
        Err(e)
    }
}

type Words = BTreeMap<String, (Vec<i32>, usize)>;

/// Applies one recorded look to its observer, as `forward` would have.
fn replay(observers: &mut BTreeMap<String, Observer>, l: &Look, stats: &Words, counts: &Words) -> Result<()> {
    let at = |e: Error| Error::Model { path: l.path.clone(), detail: e.to_string() };
    let Some(obs) = observers.get_mut(&l.path) else { return Ok(()) };
    if let Some((lo, hi)) = l.hist {
        let (w, bins) = &counts[&l.path];
        let Observer::Histogram(o) = obs else { unreachable!("histogram looks are histograms'") };
        for _ in 0..l.times {
            let update = w[l.row * bins..(l.row + 1) * bins].iter().map(|&c| c as u32 as f32).collect();
            o.forward_histc(lo, hi, update);
        }
        return Ok(());
    }
    let (w, n) = &stats[&l.path];
    let w = &w[l.row * n..(l.row + 1) * n];
    match obs {
        Observer::PerChannel(o) => {
            let s = ChannelStats::decode(w);
            if let Some(e) = non_finite(&l.path, &s.non_finite) {
                return Err(e);
            }
            for _ in 0..l.times {
                o.forward_channel_min_max(s.min.clone(), s.max.clone()).map_err(at)?;
            }
        }
        _ => {
            let s = AminmaxStats::decode(w);
            if let Some(e) = non_finite(&l.path, &s.non_finite) {
                return Err(e);
            }
            if let (Observer::MinMax(o), Some((lo, hi))) = (obs, s.min_max) {
                (0..l.times).for_each(|_| o.forward_min_max(lo, hi));
            }
        }
    }
    Ok(())
}
