//! The quantized Linear's arithmetic, as `torch.ops.quantized.linear` computes it with the
//! fbgemm engine (aten/src/ATen/native/quantized/cpu/qlinear.cpp, fbgemm's
//! `ReQuantizeOutput` in OutputProcessing-inl.h and QuantUtilsAvx2.cc):
//!
//! ```text
//! acc[i][j]   = Σ_p (x[i][p] − x_zp) · (w[j][p] − w_zp[j])            exact int32
//! act[j]      = x_scale · w_scale[j]                                  f32
//! bias_q[j]   = bias[j] · (float)(1.0 / (double)act)   per tensor     f32 (fbgemm's vector path)
//!             = bias[j] / act[j]                        per channel    f32
//! mult[j]     = act[j] / out_scale                                    f32
//! y[i][j]     = clamp(nearbyint(((float)acc + bias_q[j]) · mult[j]) + out_zp, lo, 255)
//! ```
//!
//! with `lo = out_zp` for `linear_relu` and 0 otherwise. x is quint8 (m, k), w is qint8 (n, k)
//! as `nn.Linear.weight`, y is quint8 (m, n). The two bias formulas are pinned by fixtures built
//! to tell them apart (tests/fixtures/qlinear.json).
//!
//! Known difference: fbgemm on CPUs without AVX512-VNNI multiplies with `vpmaddubsw`, which
//! saturates pairs of u8·i8 products to int16 unless activations use `reduce_range` (7 bits).
//! quantplay always accumulates exactly, as torch does on VNNI CPUs and with `reduce_range`.
//! The int32 accumulator wraps, as torch's does, once k·255·255 exceeds 2³¹ (k > 33025).

use super::affine::{QParams, QuantDType};
use super::error::{Error, Result};

/// What `torch.ops.quantized.linear(_relu)` needs besides the codes.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct QLinearSpec {
    /// The input's scale (quint8 activations).
    pub x_scale: f32,
    /// The input's zero point, in 0..=255.
    pub x_zero_point: i32,
    /// The weight's qparams: qint8, per tensor or per channel along axis 0 (out_features).
    pub w: QParams,
    /// The float bias, one per output feature, if any.
    pub bias: Option<Vec<f32>>,
    /// The output's scale.
    pub out_scale: f32,
    /// The output's zero point, in 0..=255.
    pub out_zero_point: i32,
    /// Fuse ReLU (`linear_relu`): clamp below at the output zero point.
    pub relu: bool,
}

/// Per-output-column constants of the requantization, computed once per call.
#[derive(Debug, Clone, PartialEq)]
pub struct Requant {
    /// `w_zp[j]`.
    pub w_zero_points: Vec<i32>,
    /// `bias_q[j]` (0 without bias).
    pub bias_scaled: Vec<f32>,
    /// `mult[j]`.
    pub multiplier: Vec<f32>,
    /// The output zero point.
    pub out_zero_point: i32,
    /// Lowest output code: `out_zp` with relu, else 0.
    pub lo: i32,
}

impl QLinearSpec {
    /// Checks the spec for a weight of `n` output features and `k` input features.
    pub fn validate(&self, n: usize, k: usize) -> Result<()> {
        let bad = |name: &'static str, value: String, valid: &str| {
            Err(Error::InvalidArgument { name, value, valid: valid.into() })
        };
        if self.w.dtype() != QuantDType::QInt8 {
            return bad("weight dtype", format!("{:?}", self.w.dtype()), "qint8");
        }
        if let QParams::PerChannel { axis, .. } = &self.w {
            if *axis != 0 {
                return bad("weight axis", axis.to_string(), "0 (out_features)");
            }
        }
        self.w.validate(&[n, k])?;
        for (name, s) in [("x_scale", self.x_scale), ("out_scale", self.out_scale)] {
            if !(s.is_finite() && s > 0.0) {
                return bad(name, s.to_string(), "finite and > 0");
            }
        }
        for (name, z) in [("x_zero_point", self.x_zero_point), ("out_zero_point", self.out_zero_point)] {
            if !(0..=255).contains(&z) {
                return bad(name, z.to_string(), "0..=255 (quint8)");
            }
        }
        if let Some(b) = &self.bias {
            if b.len() != n {
                return bad("bias length", b.len().to_string(), &format!("{n} (out_features)"));
            }
            if let Some(v) = b.iter().find(|v| !v.is_finite()) {
                return bad("bias value", v.to_string(), "finite");
            }
        }
        // x_scale · w_scale must stay a normal f32, or bias / act and act / out_scale blow up.
        let r = self.requant(n);
        if let Some(m) = r.multiplier.iter().chain(&r.bias_scaled).find(|v| !v.is_finite()) {
            return bad("x_scale · w_scale", m.to_string(), "scales whose product is a finite, non-zero f32");
        }
        Ok(())
    }

    /// The per-column constants for `n` output features (see the module docs).
    pub fn requant(&self, n: usize) -> Requant {
        let (scales, zps): (Vec<f32>, Vec<i32>) = match &self.w {
            QParams::PerTensor { scale, zero_point, .. } => (vec![*scale; n], vec![*zero_point; n]),
            QParams::PerChannel { scales, zero_points, .. } => (scales.clone(), zero_points.clone()),
        };
        let per_tensor = matches!(self.w, QParams::PerTensor { .. });
        let act: Vec<f32> = scales.iter().map(|&s| self.x_scale * s).collect();
        let bias_scaled = (0..n)
            .map(|j| match &self.bias {
                None => 0.0,
                Some(b) if per_tensor => b[j] * ((1.0f64 / act[j] as f64) as f32),
                Some(b) => b[j] / act[j],
            })
            .collect();
        Requant {
            w_zero_points: zps,
            bias_scaled,
            multiplier: act.iter().map(|&a| a / self.out_scale).collect(),
            out_zero_point: self.out_zero_point,
            lo: if self.relu { self.out_zero_point } else { 0 },
        }
    }
}

/// Output code of column `j` from its int32 accumulator (see the module docs).
pub fn requantize(acc: i32, j: usize, r: &Requant) -> i32 {
    let ab = (acc as f32 + r.bias_scaled[j]) * r.multiplier[j];
    let q = round_ties_even(ab) as f64 + r.out_zero_point as f64;
    q.clamp(r.lo as f64, 255.0) as i32
}

/// Output codes of a whole (m, n) accumulator matrix, row by row ([`requantize`] per element).
pub fn requantize_all(acc: &[i32], n: usize, r: &Requant) -> Vec<u8> {
    let mut out = vec![0u8; acc.len()];
    if n == 0 {
        return out;
    }
    let (lo, zp) = (r.lo as f32, r.out_zero_point as f32);
    for (row_in, row_out) in acc.chunks(n).zip(out.chunks_mut(n)) {
        for j in 0..n {
            let ab = (row_in[j] as f32 + r.bias_scaled[j]) * r.multiplier[j];
            // round(ab) + zp is exact in f32 while |round(ab)| < 2²⁴, and beyond that both
            // sides of the clamp agree, so f32 is enough here (requantize uses f64 for clarity).
            row_out[j] = (round_ties_even(ab) + zp).clamp(lo, 255.0) as u8;
        }
    }
    out
}

/// `nearbyint` in the default rounding mode (ties to even), as `f32::round_ties_even`, written
/// so it compiles to two adds instead of a libm call on baseline x86-64 (no SSE4.1 `roundss`):
/// below 2²³, |v| + 2²³ lies in [2²³, 2²⁴) where the f32 spacing is 1, so the add rounds |v| to
/// an integer, ties to even; from 2²³ up every f32 is already an integer. NaN stays NaN.
#[inline(always)]
pub fn round_ties_even(v: f32) -> f32 {
    const TWO_23: f32 = 8_388_608.0;
    let a = v.abs();
    if a < TWO_23 {
        ((a + TWO_23) - TWO_23).copysign(v)
    } else {
        v
    }
}

/// `acc[i][j] = Σ_p (x[i][p] − x_zp)(w[j][p] − w_zp[j])` in wrapping int32. Shapes: x (m, k)
/// codes, w (n, k) codes → (m, n).
pub fn accumulate(x: &[i32], w: &[i32], m: usize, k: usize, n: usize, x_zp: i32, w_zps: &[i32]) -> Vec<i32> {
    let mut acc = vec![0i32; m * n];
    for i in 0..m {
        for j in 0..n {
            let mut s = 0i32;
            for p in 0..k {
                s = s.wrapping_add((x[i * k + p] - x_zp) * (w[j * k + p] - w_zps[j]));
            }
            acc[i * n + j] = s;
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(w: QParams, bias: Option<Vec<f32>>, relu: bool) -> QLinearSpec {
        QLinearSpec { x_scale: 0.5, x_zero_point: 10, w, bias, out_scale: 0.25, out_zero_point: 100, relu }
    }

    #[test]
    fn a_hand_computed_linear_gives_the_expected_codes() {
        // x = [12, 8] → (x − 10) = [2, −2]; w rows [3, 1] and [−4, 5]; acc = [4, −18].
        // act = 0.5·0.5 = 0.25, mult = 1; y = acc + 100 (+ bias/act) → [104, 82]; with bias
        // [0.25, −0.5]: bias_q = [1, −2] → [105, 80]; relu clamps below at 100.
        let w = QParams::PerTensor { scale: 0.5, zero_point: 0, dtype: QuantDType::QInt8 };
        let acc = accumulate(&[12, 8], &[3, 1, -4, 5], 1, 2, 2, 10, &[0, 0]);
        assert_eq!(acc, vec![4, -18]);
        let r = spec(w.clone(), None, false).requant(2);
        assert_eq!([requantize(acc[0], 0, &r), requantize(acc[1], 1, &r)], [104, 82]);
        let r = spec(w.clone(), Some(vec![0.25, -0.5]), false).requant(2);
        assert_eq!([requantize(acc[0], 0, &r), requantize(acc[1], 1, &r)], [105, 80]);
        let r = spec(w, Some(vec![0.25, -0.5]), true).requant(2);
        assert_eq!([requantize(acc[0], 0, &r), requantize(acc[1], 1, &r)], [105, 100]);
        assert_eq!(requantize_all(&acc, 2, &r), vec![105, 100]);
    }

    #[test]
    fn fast_rounding_equals_round_ties_even() {
        let mut rng = crate::rules::rng::Rng::new(11);
        let specials = [0.5f32, 1.5, 2.5, -0.5, -2.5, 8_388_607.5, 8_388_608.0, 1e30, -1e30, 0.0, -0.0, 4_194_303.5];
        for v in specials.into_iter().chain((0..100_000).map(|_| f32::from_bits(rng.next_u64() as u32))) {
            let (got, want) = (round_ties_even(v), v.round_ties_even());
            assert!(got == want || (got.is_nan() && want.is_nan()), "{v}: {got} vs {want}");
        }
    }

    #[test]
    fn validate_rejects_quint8_weights_bad_axes_and_short_bias() {
        let pt = QParams::PerTensor { scale: 0.5, zero_point: 0, dtype: QuantDType::QInt8 };
        assert!(spec(pt.clone(), None, false).validate(2, 3).is_ok());
        let msg = spec(pt.clone(), Some(vec![0.0]), false).validate(2, 3).unwrap_err().to_string();
        assert!(msg.contains("bias length") && msg.contains("2 (out_features)"), "{msg}");
        let u8w = QParams::PerTensor { scale: 0.5, zero_point: 0, dtype: QuantDType::QUInt8 };
        assert!(spec(u8w, None, false).validate(2, 3).unwrap_err().to_string().contains("qint8"));
        let ax1 =
            QParams::PerChannel { scales: vec![1.0; 3], zero_points: vec![0; 3], axis: 1, dtype: QuantDType::QInt8 };
        assert!(spec(ax1, None, false).validate(2, 3).unwrap_err().to_string().contains("out_features"));
        let mut s = spec(pt, None, false);
        s.out_zero_point = 300;
        assert!(s.validate(2, 3).unwrap_err().to_string().contains("0..=255"));
    }
}
