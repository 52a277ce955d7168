//! Run-time target-feature dispatch for element loops whose results do not depend on the
//! instruction set: the loop is compiled a second time with AVX2 or FMA enabled and that copy runs
//! when the CPU has the feature. The bits are the same either way (comparisons, exact roundings
//! such as `round_ties_even`, fused multiply-adds that libm's `fmaf` computes identically); only
//! the speed changes. This is where the crate's `unsafe` for target features lives; callers pass
//! safe closures.

/// Runs `f` (inlined element loops) compiled with AVX2 when the CPU has it, else as compiled.
/// For loops whose results do not depend on vector width (comparisons, exact roundings such as
/// `round_ties_even`, which a baseline x86-64 build calls libm's `rintf` for), so the bits are
/// the same either way; only the speed changes.
#[inline(always)]
pub fn with_avx2<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        #[target_feature(enable = "avx2")]
        unsafe fn run<R>(f: impl FnOnce() -> R) -> R {
            f()
        }
        // SAFETY: the feature was detected just above.
        return unsafe { run(f) };
    }
    f()
}

/// Runs `f` (an element loop of `f32::mul_add`s, inlined) compiled with the `fma` target
/// feature when the CPU has it: the same exactly rounded FMAs as libm's `fmaf`, which is what a
/// baseline x86-64 build calls per element otherwise (that call was 38 % of an fp32 training
/// step). Elsewhere `f` runs as compiled.
#[inline(always)]
pub fn with_fma<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("fma") {
        #[target_feature(enable = "fma")]
        unsafe fn run<R>(f: impl FnOnce() -> R) -> R {
            f()
        }
        // SAFETY: the feature was detected just above.
        return unsafe { run(f) };
    }
    f()
}

/// `y[i][j] = relu?(y[i][j] + bias[j])` in place for y `(rows, n)`: `v + b`, then NaN or > 0
/// kept and everything else 0 (`torch.relu`'s rule), the f32 operations of the reference's
/// `bias_add` then `relu`, so the same bits; compiled with AVX2 where the CPU has it.
pub fn bias_relu_in_place(y: &mut [f32], n: usize, bias: Option<&[f32]>, relu: bool) {
    let relu1 = |v: f32| if v.is_nan() || v > 0.0 { v } else { 0.0 };
    with_avx2(|| match bias {
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
    })
}

/// Whether every element is finite (no NaN, no ±inf): a branch-free pass over 8 lanes that
/// vectorizes (an early-exit search does not), compiled with AVX2 where the CPU has it.
pub fn all_finite(v: &[f32]) -> bool {
    #[inline(always)]
    fn lanes(v: &[f32]) -> bool {
        let mut ok = [true; 8];
        let mut chunks = v.chunks_exact(8);
        for c in &mut chunks {
            for l in 0..8 {
                ok[l] &= c[l].is_finite();
            }
        }
        ok.iter().all(|&o| o) && chunks.remainder().iter().all(|x| x.is_finite())
    }
    with_avx2(|| lanes(v))
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
