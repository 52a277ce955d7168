//! Lesson 1's worked example: torch's `_calculate_qparams` (`torch/ao/quantization/observer.py`,
//! `UniformQuantizationObserverBase._calculate_qparams`) written out one intermediate number at a
//! time, for the CURRENT qscheme only (affine: `(max_pos − min_neg) / (quant_max − quant_min)` and
//! `quant_min − round(min_neg / scale)`; symmetric: `max(−min_neg, max_pos) / ((quant_max −
//! quant_min) / 2)` and the fixed zero point 0 or 128).
//!
//! These steps only lay the numbers out for the page; the lesson's scale and zero point are the
//! observer's (`quant::observer::UniformQuant::qparams_of`), and the tests check the steps end at
//! exactly those. Not here: the codes of each value (`affine.rs`).

use super::num;
use crate::quant::observer::UniformQuant;
use crate::rules::affine::QuantDType;
use serde::Serialize;

/// Every intermediate number of `_calculate_qparams` for one tensor.
#[derive(Debug, Clone, Serialize)]
pub struct Steps {
    /// `true` for `per_tensor_symmetric` (then the `affine_*` fields are absent).
    pub symmetric: bool,
    /// `torch.min(min_val, 0)`.
    pub min_neg: f32,
    /// `torch.max(max_val, 0)`.
    pub max_pos: f32,
    /// Affine: `max_pos − min_neg`; symmetric: `max(−min_neg, max_pos)`.
    pub numerator: f32,
    /// Affine: `quant_max − quant_min`; symmetric: `(quant_max − quant_min) / 2`.
    pub denominator: f32,
    /// `numerator / denominator` in f32, before the floor.
    pub scale_raw: f32,
    /// The scale floor, `torch.finfo(torch.float32).eps` = 2⁻²³.
    pub eps: f32,
    /// `max(scale_raw, eps)`: torch's scale.
    pub scale: f32,
    /// Affine only: `min_neg / scale` in f32.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_neg_over_scale: Option<f32>,
    /// Affine only: `round_half_even(min_neg / scale)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rounded: Option<i32>,
    /// Affine only: `quant_min − rounded`, before the clamp to `[quant_min, quant_max]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zero_point_unclamped: Option<i64>,
    /// Symmetric only: why the zero point is what it is (`"qint8: 0"`, `"quint8: 128"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zero_point_rule: Option<&'static str>,
    /// torch's zero point.
    pub zero_point: i32,
}

impl Steps {
    /// The steps for `min_val..max_val` with `quant`'s range and qscheme (default quant range,
    /// as the lesson builds its observer without quant_min/quant_max).
    pub fn new(quant: &UniformQuant, min_val: f32, max_val: f32) -> Steps {
        let (qmin, qmax) = (quant.quant_min, quant.quant_max);
        let min_neg = if min_val < 0.0 { min_val } else { 0.0 };
        let max_pos = if max_val > 0.0 { max_val } else { 0.0 };
        let eps = quant.args.eps;
        let symmetric = quant.args.qscheme.is_symmetric();
        let (numerator, denominator) = if symmetric {
            (if -min_neg > max_pos { -min_neg } else { max_pos }, ((qmax - qmin) as f64 / 2.0) as f32)
        } else {
            (max_pos - min_neg, (qmax - qmin) as f32)
        };
        let scale_raw = numerator / denominator;
        let scale = if scale_raw > eps { scale_raw } else { eps };
        let mut s = Steps {
            symmetric,
            min_neg,
            max_pos,
            numerator,
            denominator,
            scale_raw,
            eps,
            scale,
            min_neg_over_scale: None,
            rounded: None,
            zero_point_unclamped: None,
            zero_point_rule: None,
            zero_point: 0,
        };
        if symmetric {
            let (rule, zp) = match quant.args.dtype {
                QuantDType::QInt8 => ("qint8: 0", 0),
                QuantDType::QUInt8 => ("quint8: 128", 128),
            };
            s.zero_point_rule = Some(rule);
            s.zero_point = zp;
        } else {
            let over = min_neg / scale;
            let rounded = over.round_ties_even() as i32;
            let unclamped = qmin as i64 - rounded as i64;
            s.min_neg_over_scale = Some(over);
            s.rounded = Some(rounded);
            s.zero_point_unclamped = Some(unclamped);
            s.zero_point = unclamped.clamp(qmin as i64, qmax as i64) as i32;
        }
        s
    }

    /// The command line's lines for these steps (each as the page's worked example prints it).
    pub fn render(&self) -> String {
        let mut s = format!("min_neg {}\nmax_pos {}\n", num(self.min_neg), num(self.max_pos));
        s += &format!("scale_numerator {}\nscale_denominator {}\n", num(self.numerator), num(self.denominator));
        s += &format!("scale_raw {}\neps {}\n", num(self.scale_raw), num(self.eps));
        match (self.min_neg_over_scale, self.rounded, self.zero_point_unclamped, self.zero_point_rule) {
            (Some(over), Some(r), Some(u), _) => {
                s += &format!("min_neg/scale {}\nrounded {r}\nzero_point_unclamped {u}\n", num(over));
            }
            (_, _, _, Some(rule)) => s += &format!("zero_point_rule {rule}\n"),
            _ => {}
        }
        s
    }
}
