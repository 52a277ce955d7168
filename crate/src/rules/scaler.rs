//! The two kernels behind `torch.amp.GradScaler`, per element and per step, exactly as
//! aten/src/ATen/native/cpu/AmpGradScalerKernels.cpp (and the CUDA twins in
//! aten/src/ATen/native/cuda/AmpKernels.cu) compute them:
//!
//! - `_amp_foreach_non_finite_check_and_unscale_`: for every gradient element, set `found_inf`
//!   to 1.0 if it is inf or NaN, and multiply it by `inv_scale` (unless `inv_scale` is 1). The
//!   caller computes `inv_scale = (float)(1.0 / (double)scale)`, as `GradScaler.unscale_` does
//!   with `self._scale.double().reciprocal().float()`.
//! - `_amp_update_scale_`: on `found_inf`, `scale = (float)(scale * backoff_factor)` and the
//!   growth tracker resets; otherwise the tracker counts successful steps and, when it reaches
//!   `growth_interval`, `scale = (float)(scale * growth_factor)` unless that is not finite, and
//!   the tracker resets. The factors are doubles, so the product is formed in f64 and rounded.

// `!(x >= 0.0)` is on purpose throughout: it rejects NaN as well as the out-of-range values.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use crate::rules::error::{Error, Result};

/// `torch.amp.GradScaler` settings, with torch's defaults.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScalerConfig {
    /// Starting scale (default 2¹⁶).
    pub init_scale: f64,
    /// Factor applied after `growth_interval` finite steps (default 2.0).
    pub growth_factor: f64,
    /// Factor applied on an inf/NaN step (default 0.5).
    pub backoff_factor: f64,
    /// Finite steps between growths (default 2000).
    pub growth_interval: u32,
}

impl Default for ScalerConfig {
    fn default() -> Self {
        ScalerConfig { init_scale: 65536.0, growth_factor: 2.0, backoff_factor: 0.5, growth_interval: 2000 }
    }
}

impl ScalerConfig {
    /// torch's checks, each naming the bad value: growth_factor > 1, backoff_factor < 1; and
    /// quantplay's stricter ones (torch accepts these and trains on NaN or never steps):
    /// backoff_factor > 0, growth_interval ≥ 1, and an init_scale that is finite, > 0 and in
    /// `[MIN_SCALE, f32::MAX]` once rounded to the f32 the scale is kept in.
    pub fn validate(&self) -> Result<()> {
        let bad = |name: &'static str, v: String, valid: &str| {
            Err(Error::InvalidArgument { name, value: v, valid: valid.into() })
        };
        if !(self.growth_factor > 1.0) {
            return bad("growth_factor", self.growth_factor.to_string(), "> 1.0");
        }
        if !(self.backoff_factor > 0.0 && self.backoff_factor < 1.0) {
            return bad("backoff_factor", self.backoff_factor.to_string(), "in (0, 1)");
        }
        if self.growth_interval < 1 || self.growth_interval > i32::MAX as u32 {
            return bad(
                "growth_interval",
                self.growth_interval.to_string(),
                ">= 1 (and at most 2^31 - 1, the int32 growth tracker's range)",
            );
        }
        if !(self.init_scale.is_finite() && self.init_scale > 0.0) {
            return bad("init_scale", self.init_scale.to_string(), "finite and > 0");
        }
        // The scale lives in an f32 (torch: `torch.full((), init_scale, dtype=torch.float32)`).
        // Past f32::MAX it would round to inf (torch's fill refuses it with "value cannot be
        // converted to type float without overflow"); below MIN_SCALE its reciprocal, which
        // unscale_ multiplies by, is inf in f32 (torch accepts that and writes inf/NaN into the
        // gradients unflagged). Both are refused here.
        let s = self.init_scale as f32;
        if !(s.is_finite() && s >= MIN_SCALE) {
            return bad(
                "init_scale",
                self.init_scale.to_string(),
                &format!("finite and > 0, and as an f32 in [{MIN_SCALE:e}, {:e}]: above, the f32 scale is inf; below, its reciprocal is", f32::MAX),
            );
        }
        Ok(())
    }
}

/// The smallest scale whose f32 reciprocal ([`inv_scale`]) is finite, about 1/f32::MAX
/// (2.938737e-39, a subnormal just above 2⁻¹²⁸, whose reciprocal 2¹²⁸ rounds to inf). `init_scale` must be at least this; a scale that backs off below
/// it at run time makes the host `GradScaler::unscale_` fail (see `amp::grad_scaler`).
pub const MIN_SCALE: f32 = f32::from_bits(0x0020_0001);

/// `GradScaler.unscale_`'s inverse scale: `(float)(1.0 / (double)scale)`.
pub fn inv_scale(scale: f32) -> f32 {
    (1.0 / scale as f64) as f32
}

/// [`inv_scale`] on the bit pattern with integer operations only: the reciprocal correctly
/// rounded to f32 by long division of the significand. This is the algorithm of
/// `amp_inv_scale.wgsl` (WGSL has no f64 and its division is not correctly rounded). It equals
/// `(float)(1.0 / (double)s)` for every f32: the double rounding never differs from a single
/// correct rounding here (checked exhaustively over all significands for normal and subnormal
/// results when this was written; the unit test samples it).
pub fn inv_scale_bits(x: u32) -> u32 {
    let sign = x & 0x8000_0000;
    let mut e = ((x >> 23) & 0xFF) as i32;
    let mut m = x & 0x7F_FFFF;
    if e == 255 {
        return if m != 0 { x | 0x40_0000 } else { sign }; // NaN stays NaN (quiet); 1/inf = 0
    }
    if e == 0 {
        if m == 0 {
            return sign | 0x7F80_0000; // 1/0 = inf
        }
        let sh = m.leading_zeros() - 8; // move the leading one to bit 23
        m <<= sh;
        e = 1 - sh as i32;
    } else {
        m |= 0x80_0000;
    }
    // x = m·2^(e−150) with m in [2²³, 2²⁴).
    if m == 0x80_0000 {
        // A power of two: 1/x = 2^(127−e), exact.
        let be = 254 - e;
        return if be >= 255 {
            sign | 0x7F80_0000
        } else if be >= 1 {
            sign | ((be as u32) << 23)
        } else {
            sign | (1 << (276 - e))
        };
    }
    // Q = ⌊2⁴⁹ / m⌋ has 26 bits (2²⁵ ≤ Q < 2²⁶); rem ≠ 0 is the sticky bit. 1/x = Q·2^(101−e).
    let (mut rem, mut q) = (0x80_0000u32, 0u32);
    for _ in 0..26 {
        rem <<= 1;
        q <<= 1;
        if rem >= m {
            rem -= m;
            q |= 1;
        }
    }
    let round = |q: u32, shift: u32| -> u32 {
        let kept = q >> shift;
        let guard = (q >> (shift - 1)) & 1;
        let sticky = (q & ((1 << (shift - 1)) - 1)) != 0 || rem != 0;
        kept + (guard == 1 && (sticky || kept & 1 == 1)) as u32
    };
    let be = 253 - e;
    if be >= 1 {
        let mut r = round(q, 2);
        let mut be = be;
        if r == 0x100_0000 {
            r = 0x80_0000;
            be += 1;
        }
        return if be >= 255 { sign | 0x7F80_0000 } else { sign | ((be as u32) << 23) | (r & 0x7F_FFFF) };
    }
    // Subnormal result (e is 253 or 254): units of 2⁻¹⁴⁹ are Q >> (e − 250).
    sign | round(q, (e - 250) as u32)
}

/// One gradient element: `(unscaled, non_finite)`.
pub fn unscale_value(g: f32, inv_scale: f32) -> (f32, bool) {
    let v = if inv_scale == 1.0 { g } else { g * inv_scale };
    (v, !g.is_finite())
}

/// One `_amp_update_scale_`: returns `(scale, growth_tracker)`.
pub fn update_scale(scale: f32, growth_tracker: i32, found_inf: bool, c: &ScalerConfig) -> (f32, i32) {
    if found_inf {
        return ((scale as f64 * c.backoff_factor) as f32, 0);
    }
    let successful = growth_tracker + 1;
    if successful == c.growth_interval as i32 {
        let grown = (scale as f64 * c.growth_factor) as f32;
        (if grown.is_finite() { grown } else { scale }, 0)
    } else {
        (scale, successful)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_grows_after_growth_interval_finite_steps_and_halves_on_inf() {
        let c = ScalerConfig { growth_interval: 3, ..Default::default() };
        let (mut s, mut t) = (65536.0, 0);
        for _ in 0..2 {
            (s, t) = update_scale(s, t, false, &c);
        }
        assert_eq!((s, t), (65536.0, 2));
        (s, t) = update_scale(s, t, false, &c);
        assert_eq!((s, t), (131072.0, 0));
        (s, t) = update_scale(s, t, true, &c);
        assert_eq!((s, t), (65536.0, 0));
    }

    #[test]
    fn growth_stops_below_infinity_and_backoff_rounds_from_f64() {
        let c = ScalerConfig { growth_interval: 1, ..Default::default() };
        assert_eq!(update_scale(f32::MAX, 0, false, &c), (f32::MAX, 0));
        let c = ScalerConfig { backoff_factor: 0.3, ..Default::default() };
        assert_eq!(update_scale(3.0, 5, true, &c).0, (3.0f64 * 0.3) as f32);
    }

    #[test]
    fn unscale_flags_inf_and_nan_and_multiplies_by_the_f64_reciprocal() {
        assert_eq!(inv_scale(3.0), (1.0f64 / 3.0) as f32);
        assert_eq!(unscale_value(6.0, 0.5), (3.0, false));
        assert!(unscale_value(f32::NAN, 0.5).1 && unscale_value(f32::NEG_INFINITY, 0.5).1);
        assert_eq!(unscale_value(7.0, 1.0), (7.0, false));
    }

    #[test]
    fn integer_reciprocal_equals_torchs_f64_reciprocal_rounded_to_f32() {
        let check = |bits: u32| {
            let want = inv_scale(f32::from_bits(bits));
            let got = f32::from_bits(inv_scale_bits(bits));
            assert!(
                got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                "{bits:#x}: {got:e} vs {want:e}"
            );
        };
        for bits in [
            0,
            0x8000_0000,
            1,
            0x7F_FFFF,
            0x80_0000,
            0x3F80_0000,
            0x4040_0000,
            0x7F7F_FFFF,
            0x7F00_0000,
            0x7E80_0000,
            0x7F80_0000,
            0x7FC0_0000,
            0xFF80_0000,
        ] {
            check(bits);
        }
        let mut rng = crate::rules::rng::Rng::new(9);
        for _ in 0..300_000 {
            check(rng.next_u64() as u32);
        }
        // Scales above 2¹²⁶, whose reciprocals are subnormal.
        for _ in 0..100_000 {
            check(0x7E80_0000 | (rng.next_u64() as u32 & 0x00FF_FFFF));
        }
    }

    #[test]
    fn config_validation_names_each_bad_value() {
        let msg = |c: ScalerConfig| c.validate().unwrap_err().to_string();
        assert!(msg(ScalerConfig { growth_factor: 1.0, ..Default::default() }).contains("growth_factor"));
        assert!(msg(ScalerConfig { backoff_factor: 1.0, ..Default::default() }).contains("(0, 1)"));
        assert!(msg(ScalerConfig { growth_interval: 0, ..Default::default() }).contains(">= 1"));
        assert!(msg(ScalerConfig { init_scale: f64::INFINITY, ..Default::default() }).contains("finite"));
        assert!(ScalerConfig::default().validate().is_ok());
    }

    #[test]
    fn min_scale_is_the_smallest_f32_with_a_finite_reciprocal() {
        assert!(inv_scale(MIN_SCALE).is_finite());
        assert!(inv_scale(f32::from_bits(MIN_SCALE.to_bits() - 1)).is_infinite());
    }
}
