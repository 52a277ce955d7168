//! The report's optional comparison of calibration on the run's backend (WebGPU) against
//! calibration on the CPU fast path (`quantplay quantize --backend gpu --compare-cpu`, the
//! page's `compare_cpu: true`): per activation observer both qparams and the scale difference
//! in ulps, and how many int8 codes of the evaluation data differ between the two converted
//! models when both run on the same backend. The observers' statistics are exact on every
//! backend, so a difference comes only from the float forward (`parity::GPU_CALIBRATION_QPARAMS`).
//!
//! Not here: the calibration itself (`prepare.rs`, `calib_device.rs`), the rest of the report.

use super::prepare::Prepared;
use super::report::quant_trace;
use crate::backend::{cpu::CpuFast, Backend};
use crate::model::tree::Model;
use crate::rules::error::Result;
use crate::rules::QParams;
use serde::Serialize;

/// One activation observer's qparams from both calibrations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObserverDiff {
    /// The observed module's path.
    pub path: String,
    /// Scale calibrated on the CPU fast path.
    pub cpu_scale: f32,
    /// Zero point calibrated on the CPU fast path.
    pub cpu_zero_point: i32,
    /// Scale calibrated on the run's backend.
    pub scale: f32,
    /// Zero point calibrated on the run's backend.
    pub zero_point: i32,
    /// `|scale − cpu_scale|` in ulps of the f32 scale.
    pub scale_ulps: u32,
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalibrationComparison {
    /// Where the compared calibration ran (`"webgpu"`); the other one ran on `"cpu"`.
    pub backend: String,
    /// Per activation observer, in path order.
    pub observers: Vec<ObserverDiff>,
    /// Observers whose scale or zero point differ.
    pub observers_differ: usize,
    /// int8 output codes of every quantized layer on the evaluation data (both models run on
    /// the run's backend), and how many of them differ between the two converted models.
    pub eval_codes: usize,
    /// See `eval_codes`.
    pub eval_codes_differ: usize,
}

fn per_tensor(q: &QParams) -> Option<(f32, i32)> {
    match q {
        QParams::PerTensor { scale, zero_point, .. } => Some((*scale, *zero_point)),
        QParams::PerChannel { .. } => None,
    }
}

/// Compares `prepared` (calibrated on `b`) and its converted `quantized` model with
/// `cpu_prepared` / `cpu_quantized` (the same flow calibrated on the CPU fast path), the codes
/// on `eval` `(values, shape)` run on `b`.
pub async fn compare<B: Backend>(
    b: &B,
    (prepared, quantized): (&Prepared, &Model),
    (cpu_prepared, cpu_quantized): (&Prepared, &Model),
    eval: (&[f32], &[usize]),
) -> Result<CalibrationComparison> {
    let mut observers = Vec::new();
    for (path, o) in &prepared.observers {
        let Some(c) = cpu_prepared.observers.get(path) else { continue };
        let (Some((s, z)), Some((cs, cz))) =
            (per_tensor(&o.calculate_qparams()?.qparams), per_tensor(&c.calculate_qparams()?.qparams))
        else {
            continue;
        };
        let scale_ulps = (s.to_bits() as i64 - cs.to_bits() as i64).unsigned_abs() as u32;
        observers.push(ObserverDiff {
            path: path.clone(),
            cpu_scale: cs,
            cpu_zero_point: cz,
            scale: s,
            zero_point: z,
            scale_ulps,
        });
    }
    let (t, ct) =
        (quant_trace(b, quantized, eval.0, eval.1).await?, quant_trace(b, cpu_quantized, eval.0, eval.1).await?);
    let (mut eval_codes, mut eval_codes_differ) = (0, 0);
    for (path, (_, codes, _)) in &t.layers {
        let Some((_, cpu_codes, _)) = ct.layers.get(path) else { continue };
        eval_codes += codes.len();
        eval_codes_differ += codes.iter().zip(cpu_codes).filter(|(a, b)| a != b).count();
    }
    Ok(CalibrationComparison {
        backend: b.name().into(),
        observers_differ: observers.iter().filter(|o| o.scale_ulps != 0 || o.zero_point != o.cpu_zero_point).count(),
        observers,
        eval_codes,
        eval_codes_differ,
    })
}

/// The CPU side of [`compare`]: a fresh copy of `unprepared` (prepared, not yet calibrated)
/// calibrated on the CPU fast path with the same batches.
pub async fn calibrate_on_cpu(unprepared: &Prepared, calib: (&[f32], &[usize]), batch: usize) -> Result<Prepared> {
    let mut p = unprepared.clone();
    p.calibrate_on(&CpuFast, calib.0, calib.1, batch).await?;
    Ok(p)
}
