//! Lesson 2, observers and calibration: the SAME seeded calibration batches go through torch's
//! `MinMaxObserver`, `MovingAverageMinMaxObserver` and `HistogramObserver`
//! (`torch/ao/quantization/observer.py`, here [`crate::quant::observer`]); each observer's
//! `calculate_qparams()` is then judged on all the data by its clipping error and its rounding
//! error, and the curve shows how the qparams and the error settle as more batches are seen.
//!
//! Definitions (per observer, over all `batches · batch_size` values `x`, with
//! `x̂ = (clamp(round_half_even(x · (1/scale)) + zero_point, qmin, qmax) − zero_point) · scale`,
//! `aten/src/ATen/native/quantized/AffineQuantizerBase.cpp`):
//! - a value is *clipped* when its unclamped code falls outside `[quant_min, quant_max]`;
//! - clipping error = Σ over clipped values of `(x̂ − x)²`, divided by the number of values;
//! - rounding error = the same sum over the other values, divided by the number of values;
//!   so clipping + rounding = the mean squared error of the whole tensor.
//!
//! Not here: the observers (`quant/observer`), the data generator (`observers_data.rs`).

use super::observers_data::{activation_batches, DataSpec};
use super::{num, num64, Lesson};
use crate::quant::observer::aten::histc;
use crate::quant::observer::{HistogramObserver, MinMaxObserver, ObserverArgs};
use crate::rules::affine::{dequantize_val, quantize_val, QParams};
use crate::rules::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// The lesson's inputs: the calibration data's recipe and the moving average's constant.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Calibration batches, 1 to 64.
    pub batches: usize,
    /// Values per batch, 1 to 4096.
    pub batch_size: usize,
    /// How far the outliers reach: an outlier is a normal value times this (1 to 100).
    pub outlier: f32,
    /// The generator's seed (SplitMix64, `rules/rng.rs`).
    pub seed: u64,
    /// `MovingAverageMinMaxObserver(averaging_constant=…)`, in (0, 1] (torch's default 0.01).
    pub averaging_constant: f32,
}

/// One observer after all the batches.
#[derive(Debug, Clone, Serialize)]
pub struct ObserverResult {
    /// torch's class name.
    pub observer: &'static str,
    /// The range the observer settled on (HistogramObserver: the histogram's full range).
    pub min_val: f32,
    /// See `min_val`.
    pub max_val: f32,
    /// HistogramObserver only: the `[min, max]` its `_non_linear_param_search` chose (before
    /// `_calculate_qparams` rounds the zero point, which moves `range_lo`/`range_hi` slightly).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search_range: Option<[f32; 2]>,
    /// `calculate_qparams()`'s scale.
    pub scale: f32,
    /// `calculate_qparams()`'s zero point.
    pub zero_point: i32,
    /// `(quant_min − zero_point) · scale`: the smallest float the codes reach.
    pub range_lo: f32,
    /// `(quant_max − zero_point) · scale`: the largest.
    pub range_hi: f32,
    /// Fraction of all values clipped.
    pub clip_fraction: f64,
    /// Σ_clipped (x̂ − x)² / n.
    pub clipping_error: f64,
    /// Σ_not clipped (x̂ − x)² / n.
    pub rounding_error: f64,
    /// clipping_error + rounding_error: the mean squared error.
    pub total_error: f64,
}

/// After `seen` batches: each observer's qparams and its total error on all the data.
#[derive(Debug, Clone, Serialize)]
pub struct CurvePoint {
    /// Batches seen so far.
    pub seen: usize,
    /// Scale per observer, in the order of `observers`.
    pub scale: Vec<f32>,
    /// Zero point per observer.
    pub zero_point: Vec<i32>,
    /// Total error (MSE on all the data) per observer.
    pub total_error: Vec<f64>,
    /// The observer's min_val per observer.
    pub min_val: Vec<f32>,
    /// The observer's max_val per observer.
    pub max_val: Vec<f32>,
    /// This batch's own minimum (`torch.aminmax` of the batch: what MovingAverage averages in).
    pub batch_min: f32,
    /// This batch's own maximum.
    pub batch_max: f32,
}

/// Every number the page shows.
#[derive(Debug, Clone, Serialize)]
pub struct Output {
    /// Number of values, `batches · batch_size`.
    pub samples: usize,
    /// How many of them are outliers.
    pub outliers: usize,
    /// The data's minimum.
    pub data_min: f32,
    /// The data's maximum.
    pub data_max: f32,
    /// A 64-bin histogram of all the data over `[data_min, data_max]` (`torch.histc`).
    pub histogram: Vec<f32>,
    /// The observers' torch defaults the lesson uses.
    pub dtype: &'static str,
    /// See `dtype`.
    pub qscheme: &'static str,
    /// MinMax, MovingAverageMinMax, Histogram.
    pub observers: Vec<ObserverResult>,
    /// One point per batch seen.
    pub curve: Vec<CurvePoint>,
}

/// Lesson 2 (`quantplay lesson observers`).
pub struct Observers;

/// One observer's state and qparams at some point of the calibration.
struct Snapshot {
    name: &'static str,
    min: f32,
    max: f32,
    scale: f32,
    zero_point: i32,
    quant_min: i32,
    quant_max: i32,
}

impl Snapshot {
    /// `(clip_fraction, clipping_error, rounding_error)` of these qparams on `data`.
    fn errors(&self, data: &[f32]) -> (f64, f64, f64) {
        errors(data, self.scale, self.zero_point, self.quant_min, self.quant_max)
    }
}

/// The three observers, fed the same batches.
struct Three {
    minmax: MinMaxObserver,
    moving: MinMaxObserver,
    hist: HistogramObserver,
}

impl Three {
    fn new(c: f32) -> Result<Three> {
        let args = ObserverArgs::default(); // torch's defaults: quint8, per_tensor_affine
        Ok(Three {
            minmax: MinMaxObserver::new(args)?,
            moving: MinMaxObserver::moving_average(c, args)?,
            hist: HistogramObserver::new(2048, args)?,
        })
    }
    fn forward(&mut self, x: &[f32]) -> Result<()> {
        self.minmax.forward(x)?;
        self.moving.forward(x)?;
        self.hist.forward(x)
    }
    /// Each observer's state and `calculate_qparams()`, in the order MinMax, MovingAverage, Histogram.
    fn qparams(&self) -> Result<Vec<Snapshot>> {
        let per_tensor = |q: QParams| match q {
            QParams::PerTensor { scale, zero_point, .. } => (scale, zero_point),
            QParams::PerChannel { .. } => unreachable!("per-tensor observers"),
        };
        let mut out = Vec::new();
        for o in [&self.minmax, &self.moving] {
            let (s, z) = per_tensor(o.calculate_qparams()?.qparams);
            let (quant_min, quant_max) = (o.quant.quant_min, o.quant.quant_max);
            out.push(Snapshot {
                name: o.kind(),
                min: o.min,
                max: o.max,
                scale: s,
                zero_point: z,
                quant_min,
                quant_max,
            });
        }
        let h = &self.hist;
        let (s, z) = per_tensor(h.calculate_qparams()?.qparams);
        let (quant_min, quant_max) = (h.quant.quant_min, h.quant.quant_max);
        out.push(Snapshot {
            name: "HistogramObserver",
            min: h.min,
            max: h.max,
            scale: s,
            zero_point: z,
            quant_min,
            quant_max,
        });
        Ok(out)
    }
}

/// `(clip_fraction, clipping_error, rounding_error)` of quantizing `data` with these qparams.
fn errors(data: &[f32], scale: f32, zp: i32, qmin: i32, qmax: i32) -> (f64, f64, f64) {
    let dtype = ObserverArgs::default().dtype;
    let inv_scale = 1.0f32 / scale; // fbgemm's quantize_val multiplies by the f32 reciprocal
    let (mut clipped, mut clip_sq, mut round_sq) = (0usize, 0f64, 0f64);
    for &x in data {
        let code = quantize_val(x, scale, zp, dtype).clamp(qmin, qmax);
        let d = (dequantize_val(code, scale, zp) - x) as f64;
        let unclamped = (x * inv_scale).round_ties_even() as i64 + zp as i64;
        if unclamped < qmin as i64 || unclamped > qmax as i64 {
            clipped += 1;
            clip_sq += d * d;
        } else {
            round_sq += d * d;
        }
    }
    let n = data.len() as f64;
    (clipped as f64 / n, clip_sq / n, round_sq / n)
}

fn check(input: &Input) -> Result<DataSpec> {
    let bad =
        |name: &'static str, value: String, valid: &str| Error::InvalidArgument { name, value, valid: valid.into() };
    if !(1..=64).contains(&input.batches) {
        return Err(bad("batches", input.batches.to_string(), "1 to 64"));
    }
    if !(1..=4096).contains(&input.batch_size) {
        return Err(bad("batch_size", input.batch_size.to_string(), "1 to 4096"));
    }
    if !(input.outlier >= 1.0 && input.outlier <= 100.0) {
        return Err(bad("outlier", input.outlier.to_string(), "1 to 100 (1: no outliers)"));
    }
    Ok(DataSpec { batches: input.batches, batch_size: input.batch_size, outlier: input.outlier, seed: input.seed })
}

impl Lesson for Observers {
    const NAME: &'static str = "observers";
    type Input = Input;
    type Output = Output;

    fn run(input: &Input) -> Result<Output> {
        let spec = check(input)?;
        let data = activation_batches(&spec);
        let all: Vec<f32> = data.batches.concat();
        let mut three = Three::new(input.averaging_constant)?;
        let mut curve = Vec::with_capacity(spec.batches);
        for (k, batch) in data.batches.iter().enumerate() {
            three.forward(batch)?;
            let q = three.qparams()?;
            curve.push(CurvePoint {
                seen: k + 1,
                scale: q.iter().map(|o| o.scale).collect(),
                zero_point: q.iter().map(|o| o.zero_point).collect(),
                total_error: q.iter().map(|o| o.errors(&all)).map(|e| e.1 + e.2).collect(),
                min_val: q.iter().map(|o| o.min).collect(),
                max_val: q.iter().map(|o| o.max).collect(),
                batch_min: batch.iter().copied().fold(f32::INFINITY, f32::min),
                batch_max: batch.iter().copied().fold(f32::NEG_INFINITY, f32::max),
            });
        }
        let observers = three
            .qparams()?
            .into_iter()
            .map(|o| {
                let (clip_fraction, clipping_error, rounding_error) = o.errors(&all);
                ObserverResult {
                    observer: o.name,
                    min_val: o.min,
                    max_val: o.max,
                    search_range: (o.name == "HistogramObserver").then(|| {
                        let (lo, hi) = three.hist.non_linear_param_search();
                        [lo, hi]
                    }),
                    scale: o.scale,
                    zero_point: o.zero_point,
                    range_lo: dequantize_val(o.quant_min, o.scale, o.zero_point),
                    range_hi: dequantize_val(o.quant_max, o.scale, o.zero_point),
                    clip_fraction,
                    clipping_error,
                    rounding_error,
                    total_error: clipping_error + rounding_error,
                }
            })
            .collect();
        let (data_min, data_max) = (three.minmax.min, three.minmax.max);
        Ok(Output {
            samples: all.len(),
            outliers: data.outliers,
            data_min,
            data_max,
            histogram: histc(&all, 64, data_min, data_max),
            dtype: "torch.quint8",
            qscheme: "per_tensor_affine",
            observers,
            curve,
        })
    }

    fn render(o: &Output) -> String {
        let mut s = format!("samples {}\noutliers {}\n", o.samples, o.outliers);
        s += &format!(
            "data_min {}\ndata_max {}\ndtype {}\nqscheme {}\n",
            num(o.data_min),
            num(o.data_max),
            o.dtype,
            o.qscheme
        );
        for r in &o.observers {
            let n = r.observer;
            s += &format!("{n} min_val {}\n{n} max_val {}\n", num(r.min_val), num(r.max_val));
            if let Some([lo, hi]) = r.search_range {
                s += &format!("{n} search_range {} {}\n", num(lo), num(hi));
            }
            s += &format!("{n} scale {}\n{n} zero_point {}\n", num(r.scale), r.zero_point);
            s += &format!("{n} range {} {}\n", num(r.range_lo), num(r.range_hi));
            s += &format!("{n} clip_fraction {}\n", num64(r.clip_fraction));
            s += &format!(
                "{n} clipping_error {}\n{n} rounding_error {}\n",
                num64(r.clipping_error),
                num64(r.rounding_error)
            );
            s += &format!("{n} total_error {}\n", num64(r.total_error));
        }
        s += "seen scale(MinMax MovingAverage Histogram) zero_point(…) total_error(…)\n";
        for p in &o.curve {
            let sc: Vec<String> = p.scale.iter().map(|&x| num(x)).collect();
            let zp: Vec<String> = p.zero_point.iter().map(|z| z.to_string()).collect();
            let te: Vec<String> = p.total_error.iter().map(|&x| num64(x)).collect();
            s += &format!("{} {} {} {}\n", p.seen, sc.join(" "), zp.join(" "), te.join(" "));
        }
        s
    }
}
