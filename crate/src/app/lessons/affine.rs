//! Lesson 1, affine int8 by hand: a tensor's min/max → torch's `scale` and `zero_point`
//! (`torch/ao/quantization/observer.py`, `UniformQuantizationObserverBase._calculate_qparams`),
//! then each value's code `clamp(round_half_even(x / scale) + zero_point, quant_min, quant_max)`
//! (`aten/src/ATen/native/quantized/AffineQuantizerBase.cpp`, `quantize_val`) and its
//! dequantized value `(q - zero_point) · scale`, with the rounding error.
//!
//! The qparams come from [`crate::quant::observer::MinMaxObserver`] and the codes from
//! [`crate::rules::affine::quantize_val`]: this file only lays the intermediate numbers out.

pub use super::affine_steps::Steps;
use super::{num, Lesson};
use crate::quant::observer::{MinMaxObserver, ObserverArgs, QScheme};
use crate::rules::affine::{dequantize_val, quantize_val, QuantDType};
use crate::rules::error::Error;
use serde::{Deserialize, Serialize};

/// The lesson's inputs: a tensor you can edit and the observer's arguments.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The tensor, `(n,)`, 1 to 64 finite values.
    pub values: Vec<f32>,
    /// `quint8` or `qint8`.
    pub dtype: String,
    /// `per_tensor_affine` or `per_tensor_symmetric`.
    pub qscheme: String,
    /// Halve the code range, as torch's `reduce_range`.
    #[serde(default)]
    pub reduce_range: bool,
}

/// One value's way through quantization.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The float value.
    pub x: f32,
    /// `x * (1 / scale)` in f32, as fbgemm computes it, before rounding.
    pub x_times_inv_scale: f32,
    /// `round_half_even(x / scale) + zero_point`, before the clamp.
    pub unclamped: i64,
    /// The stored code after the clamp to the dtype's range (torch clamps to the dtype, not to
    /// quant_min..quant_max; observed values land inside quant_min..quant_max anyway).
    pub code: i32,
    /// `(code - zero_point) · scale`.
    pub dequantized: f32,
    /// `dequantized - x`.
    pub error: f32,
    /// The clamp changed the code (the value lies outside the representable range).
    pub clamped: bool,
}

/// Every number the page shows.
#[derive(Debug, Clone, Serialize)]
pub struct Output {
    /// torch's dtype name, e.g. `torch.quint8`.
    pub dtype: &'static str,
    /// torch's qscheme name.
    pub qscheme: &'static str,
    /// Smallest code after reduce_range.
    pub quant_min: i32,
    /// Largest code after reduce_range.
    pub quant_max: i32,
    /// The observed minimum.
    pub min_val: f32,
    /// The observed maximum.
    pub max_val: f32,
    /// torch's scale (f32).
    pub scale: f32,
    /// torch's zero point.
    pub zero_point: i32,
    /// One row per value.
    pub rows: Vec<Row>,
    /// Largest `|error|` over the values that were not clamped (at most `scale / 2`).
    pub max_rounding_error: f32,
    /// `_calculate_qparams` step by step for the current qscheme (the worked example).
    pub steps: Steps,
    /// The smallest float the codes reach, `(quant_min - zero_point) · scale`.
    pub range_lo: f32,
    /// The largest float the codes reach, `(quant_max - zero_point) · scale`.
    pub range_hi: f32,
    /// The codes near the data (within 3 steps of `[min_neg, max_pos]`) and the float each
    /// stands for: the code grid the picture draws.
    pub grid: Vec<GridPoint>,
}

/// One code of the grid and the float it stands for.
#[derive(Debug, Clone, Serialize)]
pub struct GridPoint {
    /// The code.
    pub code: i32,
    /// `(code - zero_point) · scale`.
    pub value: f32,
}

/// Lesson 1 (`quantplay lesson affine`).
pub struct Affine;

fn check(input: &Input) -> Result<(QuantDType, QScheme), Error> {
    if input.values.is_empty() || input.values.len() > 64 {
        return Err(Error::InvalidArgument {
            name: "values",
            value: format!("{} values", input.values.len()),
            valid: "1 to 64 finite numbers, comma-separated".into(),
        });
    }
    if let Some(bad) = input.values.iter().find(|v| !v.is_finite()) {
        return Err(Error::InvalidArgument { name: "values", value: bad.to_string(), valid: "finite numbers".into() });
    }
    let dtype = QuantDType::parse(&input.dtype)?;
    let qscheme = QScheme::parse(&input.qscheme)?;
    if qscheme.is_per_channel() {
        return Err(Error::InvalidArgument {
            name: "qscheme",
            value: input.qscheme.clone(),
            valid: "per_tensor_affine, per_tensor_symmetric (per-channel is lesson 3)".into(),
        });
    }
    Ok((dtype, qscheme))
}

impl Lesson for Affine {
    const NAME: &'static str = "affine";
    type Input = Input;
    type Output = Output;

    fn run(input: &Input) -> Result<Output, Error> {
        let (dtype, qscheme) = check(input)?;
        let args = ObserverArgs { dtype, qscheme, reduce_range: input.reduce_range, ..ObserverArgs::default() };
        let mut obs = MinMaxObserver::new(args)?;
        obs.forward(&input.values)?;
        let quant = crate::quant::observer::UniformQuant::new("MinMaxObserver", args)?;
        let (scale, zero_point) = match obs.calculate_qparams()?.qparams {
            crate::rules::QParams::PerTensor { scale, zero_point, .. } => (scale, zero_point),
            crate::rules::QParams::PerChannel { .. } => unreachable!("per-tensor qscheme checked above"),
        };
        let (quant_min, quant_max) = (quant.quant_min, quant.quant_max);
        // fbgemm's quantize_val multiplies by the f32 reciprocal: `x * (1 / scale)`.
        let inv_scale = 1.0f32 / scale;
        let rows: Vec<Row> = input
            .values
            .iter()
            .map(|&x| {
                let code = quantize_val(x, scale, zero_point, dtype);
                let unclamped = (x * inv_scale).round_ties_even() as i64 + zero_point as i64;
                let dequantized = dequantize_val(code, scale, zero_point);
                Row {
                    x,
                    x_times_inv_scale: x * inv_scale,
                    unclamped,
                    code,
                    dequantized,
                    error: dequantized - x,
                    clamped: unclamped != code as i64,
                }
            })
            .collect();
        let max_rounding_error = rows.iter().filter(|r| !r.clamped).map(|r| r.error.abs()).fold(0.0, f32::max);
        let (min_val, max_val) = (obs.min_val().expect("observed"), obs.max_val().expect("observed"));
        let steps = Steps::new(&quant, min_val, max_val);
        debug_assert_eq!(
            (steps.scale, steps.zero_point),
            (scale, zero_point),
            "the steps end at the observer's qparams"
        );
        let (lo, hi) = (steps.min_neg - 3.0 * scale, steps.max_pos + 3.0 * scale);
        let grid = (quant_min..=quant_max)
            .map(|code| GridPoint { code, value: dequantize_val(code, scale, zero_point) })
            .filter(|g| g.value >= lo && g.value <= hi)
            .collect();
        Ok(Output {
            dtype: match dtype {
                QuantDType::QUInt8 => "torch.quint8",
                QuantDType::QInt8 => "torch.qint8",
            },
            qscheme: qscheme.name(),
            quant_min,
            quant_max,
            min_val,
            max_val,
            scale,
            zero_point,
            rows,
            max_rounding_error,
            steps,
            range_lo: dequantize_val(quant_min, scale, zero_point),
            range_hi: dequantize_val(quant_max, scale, zero_point),
            grid,
        })
    }

    fn render(o: &Output) -> String {
        let mut s =
            format!("dtype {}\nqscheme {}\nquant_min {}\nquant_max {}\n", o.dtype, o.qscheme, o.quant_min, o.quant_max);
        s += &format!("min_val {}\nmax_val {}\n", num(o.min_val), num(o.max_val));
        s += &o.steps.render();
        s += &format!("scale {}\nzero_point {}\n", num(o.scale), o.zero_point);
        s += &format!("range_lo {}\nrange_hi {}\n", num(o.range_lo), num(o.range_hi));
        s += "x x*(1/scale) unclamped code dequantized error\n";
        for r in &o.rows {
            let mark = if r.clamped { " clamped" } else { "" };
            let (x, xs, dq, err) = (num(r.x), num(r.x_times_inv_scale), num(r.dequantized), num(r.error));
            s += &format!("{x} {xs} {} {} {dq} {err}{mark}\n", r.unclamped, r.code);
        }
        s += &format!("max_rounding_error {}\n", num(o.max_rounding_error));
        s
    }
}
