//! What the playground draws after a PTQ run, computed from the calibration data: each observed
//! activation's histogram with the quantization grid and clip range, and an observer comparison
//! (MinMax vs MovingAverage vs Histogram on the same batches: scale, zero point, clip % and SQNR).
//!
//! The grid: codes `q ∈ [qmin, qmax]` sit at `(q − zero_point)·scale`; the clip range is
//! `[(qmin − zp)·scale, (qmax − zp)·scale]`. SQNR is `20·log10(‖x‖/‖x − fq(x)‖)` with
//! `fq(x) = (clamp(round(x/scale) + zp, qmin, qmax) − zp)·scale` (torch's fake quantization).
//!
//! Not here: the per-layer report (`report.rs`).

use super::prepare::Prepared;
use super::report::{float_outputs, sqnr_db};
use crate::backend::Backend;
use crate::model::tree::Kind;
use crate::quant::observer::clip_fraction;
use crate::quant::qconfig::QConfig;
use crate::rules::affine::{dequantize_val, quantize_val};
use crate::rules::error::{Error, Result};
use crate::rules::QParams;
use serde::Serialize;

/// Bins of an activation histogram.
pub const HIST_BINS: usize = 64;

/// One observed activation: its calibration histogram and its qparams.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivationHistogram {
    /// Module path (the observed module's output).
    pub name: String,
    /// Left edge of the first bin.
    pub lo: f32,
    /// Right edge of the last bin.
    pub hi: f32,
    /// Counts, [`HIST_BINS`] bins of equal width over `[lo, hi]`.
    pub counts: Vec<u32>,
    /// The observer's scale.
    pub scale: f32,
    /// The observer's zero point.
    pub zero_point: i32,
    /// Smallest code the observer allows (reduce_range halves the range).
    pub quant_min: i32,
    /// Largest code.
    pub quant_max: i32,
    /// `(quant_min − zp)·scale`.
    pub clip_lo: f32,
    /// `(quant_max − zp)·scale`.
    pub clip_hi: f32,
}

/// One observer kind on one activation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObserverRow {
    /// Module path.
    pub name: String,
    /// `minmax`, `moving_average` or `histogram`.
    pub observer: String,
    /// torch's class name.
    pub kind: String,
    /// Chosen scale.
    pub scale: f32,
    /// Chosen zero point.
    pub zero_point: i32,
    /// Percent of the calibration values outside the code range.
    pub clip_percent: f64,
    /// SQNR of fake-quantized calibration values against the floats, dB.
    pub sqnr_db: f64,
}

fn histogram(v: &[f32], lo: f32, hi: f32) -> Vec<u32> {
    let mut counts = vec![0u32; HIST_BINS];
    let width = (hi - lo).max(f32::MIN_POSITIVE) / HIST_BINS as f32;
    for &x in v {
        let i = (((x - lo) / width) as usize).min(HIST_BINS - 1);
        counts[i] += 1;
    }
    counts
}

fn per_tensor(q: &QParams) -> Option<(f32, i32)> {
    match q {
        QParams::PerTensor { scale, zero_point, .. } => Some((*scale, *zero_point)),
        QParams::PerChannel { .. } => None,
    }
}

/// Histograms of every observed activation over the calibration data `(x, shape)`, with the
/// calibrated observers' qparams.
/// The float model runs on `b`.
pub async fn activation_histograms<B: Backend>(
    b: &B,
    p: &Prepared,
    x: &[f32],
    shape: &[usize],
) -> Result<Vec<ActivationHistogram>> {
    let (outs, _) = float_outputs(b, &p.model, x, shape).await?;
    let mut rows = Vec::new();
    for (path, _) in p.model.leaves() {
        let (Some(obs), Some(v)) = (p.observers.get(&path), outs.get(&path)) else { continue };
        let Some((scale, zero_point)) = per_tensor(&obs.calculate_qparams()?.qparams) else { continue };
        let (quant_min, quant_max) = obs.quant().map_or((0, 255), |q| (q.quant_min, q.quant_max));
        let (clip_lo, clip_hi) =
            (dequantize_val(quant_min, scale, zero_point), dequantize_val(quant_max, scale, zero_point));
        let lo = v.iter().copied().fold(clip_lo, f32::min);
        let hi = v.iter().copied().fold(clip_hi, f32::max);
        rows.push(ActivationHistogram {
            name: path,
            lo,
            hi,
            counts: histogram(v, lo, hi),
            scale,
            zero_point,
            quant_min,
            quant_max,
            clip_lo,
            clip_hi,
        });
    }
    Ok(rows)
}

/// Calibrates a fresh observer of each kind (the qconfig's activation observer with its class
/// replaced, as the CLI's `--observer` does) on the same float outputs, batch by batch, and
/// reports what each would choose for every observed activation.
/// The float model runs on `b`.
pub async fn observer_comparison<B: Backend>(
    b: &B,
    p: &Prepared,
    qconfig: &QConfig,
    x: &[f32],
    shape: &[usize],
    batch: usize,
) -> Result<Vec<ObserverRow>> {
    let n = *shape.first().unwrap_or(&0);
    if n == 0 {
        return Err(Error::Model {
            path: String::new(),
            detail: "empty calibration set; the comparison needs at least one sample".into(),
        });
    }
    let per = x.len() / n;
    let mut batches = Vec::new();
    for s in (0..n).step_by(batch.max(1)) {
        let e = (s + batch.max(1)).min(n);
        let mut sh = shape.to_vec();
        sh[0] = e - s;
        batches.push(float_outputs(b, &p.model, &x[s * per..e * per], &sh).await?.0);
    }
    let (all, _) = float_outputs(b, &p.model, x, shape).await?;
    let mut rows = Vec::new();
    for (path, m) in p.model.leaves() {
        if !p.observers.contains_key(&path) {
            continue;
        }
        // Fused modules feed their observer twice per batch in torch (see prepare.rs).
        let times = if matches!(m.kind, Kind::LinearReLU(_) | Kind::ConvReLU2d(_)) { 2 } else { 1 };
        for kind in ["minmax", "moving_average", "histogram"] {
            let mut obs = qconfig.with_activation_observer(kind)?.activation.build()?;
            for b in &batches {
                for _ in 0..times {
                    obs.forward(&b[&path], &[b[&path].len()])?;
                }
            }
            let Some((scale, zero_point)) = per_tensor(&obs.calculate_qparams()?.qparams) else { continue };
            let (qmin, qmax) = obs.quant().map_or((0, 255), |q| (q.quant_min, q.quant_max));
            let v = &all[&path];
            let q = QParams::PerTensor { scale, zero_point, dtype: obs.dtype() };
            let fq: Vec<f32> = v
                .iter()
                .map(|&x| {
                    let c = quantize_val(x, scale, zero_point, obs.dtype()).clamp(qmin, qmax);
                    dequantize_val(c, scale, zero_point)
                })
                .collect();
            rows.push(ObserverRow {
                name: path.clone(),
                observer: kind.into(),
                kind: obs.kind().into(),
                scale,
                zero_point,
                clip_percent: 100.0 * clip_fraction(v, &[v.len()], &q, qmin, qmax),
                sqnr_db: sqnr_db(v, &fq),
            });
        }
    }
    Ok(rows)
}
