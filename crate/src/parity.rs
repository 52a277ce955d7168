//! Named tolerances and the comparison the parity tests and the page use to decide whether a
//! backend agrees with the CPU reference. A value passes when
//! `|got - want| <= atol + rtol * |want|` (llm.c's rule), and both are NaN or neither is.
//!
//! Not here: the test bodies (see `tests/cases/`), which pick a tolerance per op.

use serde::Serialize;

/// An absolute plus relative error budget, with the reason it is what it is.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Tolerance {
    /// Absolute slack.
    pub atol: f32,
    /// Slack relative to the reference value.
    pub rtol: f32,
    /// One line on why this budget is right.
    pub why: &'static str,
}

/// Bit-exact: the op is one correctly rounded IEEE operation (or a select) per element.
pub const EXACT: Tolerance = Tolerance {
    atol: 0.0,
    rtol: 0.0,
    why: "add, mul, bias add and relu are single correctly rounded f32 ops (WGSL Floating Point Accuracy), so GPU and CPU agree bit for bit",
};

/// f32 matmul with inputs in [-1, 1] and k ≤ 1024: same summation order as the CPU, but the GPU
/// may fuse `acc + a·b` into an FMA, which changes each of the k roundings by ≤ ½ ulp of the
/// partial sum; with |partial sums| ≲ √k·0.6 that is ≲ k·2⁻²⁴·√k·0.6 ≈ 1.2e-3 worst case at
/// k = 1024, and far less in practice (errors are random-signed, ~√k·ulp).
pub const F32_MATMUL: Tolerance = Tolerance {
    atol: 1e-4,
    rtol: 1e-5,
    why: "same k order as the CPU; the GPU may fuse acc + a*b into one FMA, so each of the k roundings may differ by half an ulp",
};

/// Exp, log, sqrt and division on the GPU: WGSL allows a few ulp (exp 3 + 2·|x|, log 3,
/// division and sqrt 2.5), against the CPU's correctly rounded libm; ~170 ulp of headroom.
pub const F32_TRANSCENDENTAL: Tolerance = Tolerance {
    atol: 1e-6,
    rtol: 1e-5,
    why: "WGSL exp, log, sqrt and division may be off by a few ulp (spec, Floating Point Accuracy), the CPU's are correctly rounded",
};

/// One optimizer step: the GPU's fma may not fuse and Adam's sqrt and division may be off by
/// a few ulp, which moves the update by ulps of the update, far below an ulp of a typical weight.
pub const F32_OPTIMIZER: Tolerance = Tolerance {
    atol: 1e-7,
    rtol: 1e-6,
    why: "WGSL fma may not fuse and sqrt/division may be off by a few ulp; the difference is ulps of the update",
};

/// Losses over the first ten f32 training steps of a small MLP: each step's matmuls may differ
/// in the last bits between backends (and from torch), and the updates carry that into later
/// steps. Measured: 2.2e-7 relative against torch on every backend; a 1 % error in one
/// gradient moves the SGD losses by 1.6e-5, so this budget (10× the noise) catches it.
pub const F32_TRAINING_LOSS: Tolerance = Tolerance {
    atol: 1e-6,
    rtol: 2e-6,
    why: "ten steps of f32 training compound ulp-level matmul differences (FMA, summation order) through the weight updates",
};

/// Eval BatchNorm's `fma(x, alpha, beta)` on the GPU against the CPU's fused multiply-add: WGSL's
/// `fma` may be evaluated unfused, adding one rounding of `x·alpha` (≤ ½ ulp of |x·alpha|); with
/// |x·alpha| ≲ 64 in the tests that is ≤ 3.8e-6 absolute, and relative error elsewhere ≤ 2⁻²³.
pub const F32_CHANNEL_AFFINE: Tolerance = Tolerance {
    atol: 4e-6,
    rtol: 2.4e-7,
    why: "WGSL fma may not fuse: one extra rounding of x*alpha against the CPU's (and torch's) fused multiply-add",
};

/// The dynamic quantized Linear's float output `fma((float)acc, x_scale·w_scale, bias)` on the
/// GPU against the CPU (and torch): WGSL's `fma` may be evaluated unfused, one extra rounding of
/// `acc·mult` (≤ ½ ulp of it, ≲ 2e-6 for the |acc·mult| ≲ 30 of the tests). Everything before
/// it (min/max, qparams, codes, the int32 accumulator) is exact on every backend.
pub const F32_DYNAMIC_LINEAR: Tolerance = Tolerance {
    atol: 4e-6,
    rtol: 2.4e-7,
    why: "WGSL fma may not fuse: one extra rounding of acc*x_scale*w_scale against fbgemm's fused multiply-add",
};

/// The run-time input scale of a dynamic Linear that follows another one, on WebGPU against
/// torch (tests/cli_modes.rs): its input is the previous layer's float output, within
/// [`F32_DYNAMIC_LINEAR`] of torch's, so the batch max and the scale `(max − min) / 127` (f64,
/// `rules::dynamic::choose_qparams_dynamic`) differ by the same few ulps relative. Measured on
/// lavapipe: 1 ulp (≤ 1.2e-7 relative); the budget is 2 ulps. The first layer's input scale and
/// every zero point must be exact.
pub const DYNAMIC_CHAINED_INPUT_SCALE_RTOL: f32 = 2.4e-7;

/// 16-mixed losses of two backends over ten steps. Logits are f16 (ulp 2⁻¹¹ relative), and a
/// different f32 summation order in a GEMM flips an f16 rounding now and then; each flip is an
/// f16 ulp of one activation, which the updates carry on. Measured: see README (amp section);
/// the budget is a few f16 ulps of the loss, far below what one wrong rounding mode (a
/// truncating cast moves the losses by ~1e-2) or a missed scale would cause.
pub const F16_MIXED_BACKEND_LOSS: Tolerance = Tolerance {
    atol: 1e-3,
    rtol: 2e-3,
    why: "f16 activations: f32 summation order may flip an f16 rounding (2^-11 relative), carried through ten updates",
};

/// The MLP's first ten 16-mixed losses against torch CPU autocast(float16) + GradScaler. Same
/// f16 rounding points as torch (addmm rounds once, grads cast to f16 at the upcast), but
/// torch's CPU f16 GEMM sums in another order, and its f32 cross-entropy and log_softmax
/// backward round differently from softmax − onehot; both are f16-ulp effects, as above.
pub const F16_MIXED_TORCH_LOSS: Tolerance = Tolerance {
    atol: 1e-3,
    rtol: 2e-3,
    why: "torch's CPU f16 GEMM order and cross-entropy backward differ at the f16 ulp (2^-11) level",
};

/// Multiple of Σ|x| allowed between a GPU f32 sum (strided, then a 256-wide tree) and the f64
/// reference: each of the ≲ n/256 + 8 roundings is ≤ 2⁻²⁴ of a partial sum ≤ Σ|x|, and they
/// add up like a random walk, so 1e-6·Σ|x| holds with margin up to n ≈ 10⁶.
pub const F32_SUM_PER_ABS_MASS: f32 = 1e-6;

/// The tolerance for a sum of values whose absolute values add up to `abs_mass`.
pub fn f32_sum(abs_mass: f32) -> Tolerance {
    Tolerance {
        atol: F32_SUM_PER_ABS_MASS * abs_mass,
        rtol: 0.0,
        why: "GPU sums in a different order (strided, then a tree) than the f64 reference; error ≤ 1e-6·Σ|x|",
    }
}

/// The result of comparing a backend's output with the reference.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Agreement {
    /// Number of values compared.
    pub len: usize,
    /// Largest `|got - want|` over all values (0 when both are NaN).
    pub max_abs_diff: f32,
    /// Index of the worst value, if any value differs.
    pub worst_index: Option<usize>,
    /// Values outside the tolerance.
    pub mismatches: usize,
    /// Values that differ at all (in bits, treating NaN as equal to NaN).
    pub bit_differences: usize,
    /// The tolerance used.
    pub tolerance: Tolerance,
}

impl Agreement {
    /// Every value within tolerance, and the lengths matched.
    pub fn ok(&self) -> bool {
        self.mismatches == 0
    }
}

/// Compares `got` with the reference `want` under `tol`. A length mismatch counts every
/// missing or extra value as a mismatch.
pub fn compare(got: &[f32], want: &[f32], tol: Tolerance) -> Agreement {
    let mut a = Agreement {
        len: want.len(),
        max_abs_diff: 0.0,
        worst_index: None,
        mismatches: got.len().abs_diff(want.len()),
        bit_differences: got.len().abs_diff(want.len()),
        tolerance: tol,
    };
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        if g.is_nan() && w.is_nan() {
            continue;
        }
        if g.to_bits() != w.to_bits() {
            a.bit_differences += 1;
        }
        let diff = if g == w { 0.0 } else { (g - w).abs() };
        // EXACT means the same bits (so -0.0 is not +0.0); an infinity must be matched exactly
        // (its rtol budget would be infinite too); a NaN on one side only makes `diff` NaN,
        // which fails the `<=`.
        let within = if tol.atol == 0.0 && tol.rtol == 0.0 {
            g.to_bits() == w.to_bits()
        } else if g.is_infinite() || w.is_infinite() {
            g == w
        } else {
            diff <= tol.atol + tol.rtol * w.abs()
        };
        if !within {
            a.mismatches += 1;
        }
        if diff.is_nan() || diff > a.max_abs_diff {
            a.max_abs_diff = if diff.is_nan() { f32::INFINITY } else { diff };
            a.worst_index = Some(i);
        }
    }
    a
}

/// QAT (tests/cases/qat.rs, eager_qat.json): relative tolerance on each step's mean
/// cross-entropy against torch. Our float GEMMs sum in another order than MKL (a few ulps per
/// output), BatchNorm statistics reduce in f64, and torch's CPU `torch.sqrt` (ConvBn's
/// `running_std`) is not correctly rounded (about 1 in 5 f32 inputs land 1 ulp off; ours is), so
/// activations differ by ulps. Measured on CPU, CPU-fast and lavapipe: at most 1 ulp (~1e-7
/// relative) over 3 steps; 1e-6 leaves ~10 ulps of room.
pub const QAT_LOSS_RTOL: f32 = 1e-6;
/// QAT: relative tolerance on fake-quant scales, during training and after convert. Activation
/// scales follow the moving min/max of outputs that differ by ulps (see [`QAT_LOSS_RTOL`]);
/// ConvBn weight scales inherit the 1-ulp `torch.sqrt` difference. Measured: at most 3 ulps
/// (~2.5e-7 relative). Zero points must match exactly.
pub const QAT_SCALE_RTOL: f32 = 1e-6;
/// QAT: absolute tolerance on trained parameters and BatchNorm running statistics after 3 SGD
/// steps (lr 0.05). Measured worst: 1.2e-7 (1 ulp of a BatchNorm weight near 1.0).
pub const QAT_PARAM_ATOL: f32 = 1e-6;

/// Numeric debugger, `compare_weights` (tests/numeric_debugger.rs): absolute tolerance in dB on a
/// layer's weight SQNR against torch's `compute_sqnr`. The weight codes and the dequantized
/// weight are bit-exact (so is the max abs error); only the reduction differs: torch takes two
/// f32 `torch.norm`s, a f32 division and log10, quantplay sums in f64. Each f32 norm is within a
/// few ulps (~1e-6 relative), which moves 20·log10 by ≲ 2e-5 dB; 1e-4 dB leaves room.
pub const NUMERIC_SUITE_SQNR_DB: f64 = 1e-4;

/// Numeric debugger, `compare_model_outputs`: absolute tolerance in dB on a layer's output SQNR
/// against torch's. The quantized outputs are torch's codes exactly, but the float reference
/// outputs come from our GEMMs, which sum in another order than MKL (a few ulps per value), on
/// top of the f32-vs-f64 reduction of [`NUMERIC_SUITE_SQNR_DB`]. Measured on the fixture's 12
/// outputs on the CPU reference and fast path: at most 1.4e-5 dB; 1e-4 dB leaves ~7× room.
pub const NUMERIC_SUITE_OUTPUT_SQNR_DB: f64 = 1e-4;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_tolerance_compares_bits_so_signed_zeros_differ() {
        assert!(!compare(&[-0.0], &[0.0], EXACT).ok());
        assert!(compare(&[-0.0], &[0.0], F32_MATMUL).ok());
    }

    #[test]
    fn exact_tolerance_rejects_a_one_ulp_difference() {
        let x = 1.0f32;
        let next = f32::from_bits(x.to_bits() + 1);
        let a = compare(&[next], &[x], EXACT);
        assert!(!a.ok());
        assert_eq!(a.worst_index, Some(0));
        assert_eq!(a.bit_differences, 1);
    }

    #[test]
    fn matmul_tolerance_accepts_rounding_noise_but_not_real_errors() {
        assert!(compare(&[10.0 + 5e-5], &[10.0], F32_MATMUL).ok());
        assert!(!compare(&[10.01], &[10.0], F32_MATMUL).ok());
    }

    #[test]
    fn nan_matches_only_nan_and_length_mismatch_fails() {
        assert!(compare(&[f32::NAN], &[f32::NAN], EXACT).ok());
        assert!(!compare(&[0.0], &[f32::NAN], F32_MATMUL).ok());
        assert!(!compare(&[f32::NAN], &[0.0], F32_MATMUL).ok());
        assert!(!compare(&[1.0], &[1.0, 2.0], EXACT).ok());
        assert!(!compare(&[f32::INFINITY], &[f32::NEG_INFINITY], F32_MATMUL).ok());
    }
}

/// How far calibrated activation qparams may be from the CPU reference's: scale ulps and
/// zero-point steps, with the reason.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct QParamsBudget {
    /// Largest scale difference, in ulps of the f32 scale.
    pub scale_ulps: u32,
    /// Largest zero-point difference.
    pub zero_point: i32,
    /// One line on why this budget is right.
    pub why: &'static str,
}

/// Activation qparams calibrated on a backend against the CPU reference's. The observers'
/// statistics are exact on every backend (integer comparisons and counts, `ObserveOps`), so
/// the qparams differ only where the float forward's outputs do: the f32 matmul's summation
/// order or FMA contraction (`F32_MATMUL`) can move an activation's min/max by an ulp or two,
/// and `scale = (max − min) / 255` with it. Measured (tests/cases/calib_budget.rs, 147
/// observers of the eager fixtures eager_mlp/cnn/nested/boundaries plus the page's spiral,
/// circle and digits MLPs with MinMax, MovingAverage and Histogram observers): WebGPU on
/// lavapipe and on Chromium's SwiftShader 0 differences (the same k order, no FMA); the CPU
/// fast path (sgemm's blocked order) 33 of 147 scales differ, by at most 2 ulps, no zero point
/// differs. The budget leaves 4× that for a GPU that contracts into FMAs (not measured: no
/// hardware adapter here), and one zero-point step, which a min that lands on a rounding
/// boundary of `qmin − round(min / scale)` can take.
pub const GPU_CALIBRATION_QPARAMS: QParamsBudget = QParamsBudget {
    scale_ulps: 8,
    zero_point: 1,
    why: "observer statistics are exact; only the float forward's matmul order/FMA moves min/max by ulps (measured: 0 on lavapipe and SwiftShader, <= 2 ulps for the CPU fast path)",
};
