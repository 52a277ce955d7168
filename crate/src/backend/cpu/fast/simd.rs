//! Run-time target-feature dispatch for the element loops whose results do not depend on the
//! instruction set: each function here is compiled twice, as is and with AVX2 (or FMA) enabled,
//! and the second copy runs when the CPU has the feature. The bits are the same either way
//! (comparisons, exact roundings such as `round_ties_even`, fused multiply-adds that libm's
//! `fmaf` computes identically); only the speed changes. The body is an `#[inline(always)]`
//! function called from a `#[target_feature]` one, which guarantees it is compiled with the
//! feature (a closure passed to such a function need not be inlined, and then is not).
//!
//! This is where the crate's `unsafe` for target features lives.

use crate::rules::affine::quantize_val;
use crate::rules::optim::{AdamConfig, AdamScalars, SgdConfig};
use crate::rules::{QParams, QuantDType};

/// `fn name(args) -> ret { body }`, dispatched at run time to a copy compiled with `feature`.
macro_rules! dispatch {
    ($(#[$m:meta])* pub fn $name:ident($($a:ident: $t:ty),* $(,)?) -> $ret:ty; $feature:tt; $body:block) => {
        $(#[$m])*
        pub fn $name($($a: $t),*) -> $ret {
            #[inline(always)]
            fn body($($a: $t),*) -> $ret $body
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!($feature) {
                #[target_feature(enable = $feature)]
                unsafe fn with_feature($($a: $t),*) -> $ret {
                    body($($a),*)
                }
                // SAFETY: the feature was detected just above.
                return unsafe { with_feature($($a),*) };
            }
            body($($a),*)
        }
    };
}

dispatch! {
    /// The reference's SGD loop (`reference::sgd_step`) compiled with FMA: its `mul_add`s become
    /// FMA instructions instead of libm `fmaf` calls (that call was 38 % of an fp32 step).
    pub fn sgd_step(p: &mut [f32], g: &[f32], buf: &mut [f32], c: &SgdConfig, first: bool) -> (); "fma";
    { crate::backend::cpu::reference::sgd_step(p, g, buf, c, first) }
}

dispatch! {
    /// The reference's Adam loop (`reference::adam_step_with`) compiled with FMA.
    pub fn adam_step_with(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], c: &AdamConfig, s: &AdamScalars) -> (); "fma";
    { crate::backend::cpu::reference::adam_step_with(p, g, m, v, c, s) }
}

dispatch! {
    /// `y[i][j] = relu?(y[i][j] + bias[j])` in place for y `(rows, n)`: `v + b`, then NaN or > 0
    /// kept and everything else 0 (`torch.relu`'s rule), the f32 operations of the reference's
    /// `bias_add` then `relu`, so the same bits.
    pub fn bias_relu_in_place(y: &mut [f32], n: usize, bias: Option<&[f32]>, relu: bool) -> (); "avx2";
    {
        let relu1 = |v: f32| if v.is_nan() || v > 0.0 { v } else { 0.0 };
        match bias {
            Some(bias) if n > 0 => {
                for row in y.chunks_exact_mut(n) {
                    for (v, &b) in row.iter_mut().zip(bias) {
                        let s = *v + b;
                        *v = if relu { relu1(s) } else { s };
                    }
                }
            }
            _ if relu => y.iter_mut().for_each(|v| *v = relu1(*v)),
            _ => {}
        }
    }
}

dispatch! {
    /// Whether every element is finite (no NaN, no ±inf): a branch-free pass over 8 lanes that
    /// vectorizes (an early-exit search does not).
    pub fn all_finite(v: &[f32]) -> bool; "avx2";
    {
        let mut ok = [true; 8];
        let mut chunks = v.chunks_exact(8);
        for c in &mut chunks {
            for l in 0..8 {
                ok[l] &= c[l].is_finite();
            }
        }
        ok.iter().all(|&o| o) && chunks.remainder().iter().all(|x| x.is_finite())
    }
}

dispatch! {
    /// `(min, max, all finite)` of a slice in one pass with 8 independent lanes, then the lanes
    /// in order. Ties keep the later value (`b <= a` takes `b`), so ±0 resolve the same on every
    /// target (`f32::min` may return either zero): the observers' `torch.aminmax` rule
    /// (`quant::observer::minmax`).
    pub fn aminmax(x: &[f32]) -> (f32, f32, bool); "avx2";
    {
        const L: usize = 8;
        let lo1 = |a: f32, b: f32| if b <= a { b } else { a };
        let hi1 = |a: f32, b: f32| if b >= a { b } else { a };
        let (mut lo, mut hi, mut finite) = ([f32::INFINITY; L], [f32::NEG_INFINITY; L], [true; L]);
        let mut chunks = x.chunks_exact(L);
        for c in &mut chunks {
            for l in 0..L {
                finite[l] &= c[l].is_finite();
                lo[l] = lo1(lo[l], c[l]);
                hi[l] = hi1(hi[l], c[l]);
            }
        }
        let (mut a, mut b) = (f32::INFINITY, f32::NEG_INFINITY);
        for l in 0..L {
            (a, b) = (lo1(a, lo[l]), hi1(b, hi[l]));
        }
        let mut all = finite.iter().all(|&f| f);
        for &v in chunks.remainder() {
            all &= v.is_finite();
            (a, b) = (lo1(a, v), hi1(b, v));
        }
        (a, b, all)
    }
}

dispatch! {
    /// qint8 codes of a float weight under `q` (per tensor, or per channel along axis 0), with
    /// `rules::affine::quantize_val`; with AVX2 `round_ties_even` is one instruction instead of a
    /// libm `rintf` call (the same exactly rounded result).
    pub fn quantize_i8(w: &[f32], q: &QParams) -> Vec<i8>; "avx2";
    {
        match q {
            QParams::PerTensor { scale, zero_point, .. } => {
                w.iter().map(|&v| quantize_val(v, *scale, *zero_point, QuantDType::QInt8) as i8).collect()
            }
            QParams::PerChannel { scales, zero_points, .. } => {
                let per = w.len() / scales.len().max(1);
                w.iter()
                    .enumerate()
                    .map(|(i, &v)| quantize_val(v, scales[i / per], zero_points[i / per], QuantDType::QInt8) as i8)
                    .collect()
            }
        }
    }
}

/// The index of the first NaN or ±inf in `v`: [`all_finite`] first, the search only when it
/// fails.
pub fn first_non_finite(v: &[f32]) -> Option<usize> {
    if all_finite(v) {
        None
    } else {
        v.iter().position(|x| !x.is_finite())
    }
}
