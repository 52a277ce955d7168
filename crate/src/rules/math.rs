//! The transcendental functions of the CPU paths, the same bits on every target: the `libm`
//! crate (a pure-Rust port of musl's libm) on native and on wasm alike.
//!
//! Why: `f32::exp` and friends call the platform's libm. On wasm32 that is this same libm code
//! (compiler-builtins), but natively it is glibc's, and the two round a few inputs differently
//! in the last place. Measured here: the digits MLP trained in 16-mixed on the CPU reference
//! had the same loss on both targets up to step 22 and a 1-ulp different loss at step 23
//! (1.2805586 vs 1.2805587), so the page and `quantplay` would not print the same run.
//! Neither is torch's: its CPU kernels use their own vectorised exp/log (Sleef), and the
//! fixtures' named budgets (crate/src/parity.rs) already cover that difference.
//!
//! The playground's 2-D datasets use [`sin`], [`cos`] and [`log`], so a seed gives the same points
//! on the page and in `quantplay train`.
//!
//! Not here: the GPU's `exp`/`log` (WGSL built-ins, within the same budgets).

/// `e^x` in f32 (libm's `expf`).
#[inline]
pub fn expf(x: f32) -> f32 {
    libm::expf(x)
}

/// Natural log in f32 (libm's `logf`).
#[inline]
pub fn logf(x: f32) -> f32 {
    libm::logf(x)
}

/// Natural log in f64 (libm's `log`).
#[inline]
pub fn log(x: f64) -> f64 {
    libm::log(x)
}

/// Sine in f64 (libm's `sin`; the playground's datasets).
#[inline]
pub fn sin(x: f64) -> f64 {
    libm::sin(x)
}

/// Cosine in f64 (libm's `cos`).
#[inline]
pub fn cos(x: f64) -> f64 {
    libm::cos(x)
}

/// `x^y` in f64 (libm's `pow`; Python's `**` on floats is C's pow).
#[inline]
pub fn pow(x: f64, y: f64) -> f64 {
    libm::pow(x, y)
}

#[cfg(test)]
mod tests {
    #[test]
    fn math_functions_agree_with_std_within_one_ulp() {
        for i in -200..200 {
            let x = i as f32 * 0.0731;
            let (a, b) = (super::expf(x), x.exp());
            assert!((a.to_bits() as i64 - b.to_bits() as i64).abs() <= 1, "expf({x}): {a} vs {b}");
            let y = x.abs() + 1e-3;
            let (a, b) = (super::logf(y), y.ln());
            assert!((a.to_bits() as i64 - b.to_bits() as i64).abs() <= 1, "logf({y}): {a} vs {b}");
        }
        assert_eq!(super::pow(0.5, 3.0), 0.125);
        assert!(
            (super::sin(1.0) - 1f64.sin()).abs() <= f64::EPSILON
                && (super::cos(1.0) - 1f64.cos()).abs() <= f64::EPSILON
        );
        assert!((super::pow(0.999, 10.0) - 0.999f64.powf(10.0)).abs() <= f64::EPSILON);
        assert!((super::log(10.0) - std::f64::consts::LN_10).abs() <= f64::EPSILON * 4.0);
    }
}
