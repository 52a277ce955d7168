//! The f16 GEMM of autocast's backward (`Backend::matmul_f16`) and the f32 ↔ f16 casts for the
//! CPU fast path, bit for bit equal to `reference::matmul_f16` (f32 accumulation with p
//! ascending from 0, then one rounding to f16) and to `crate::rules::cast::f32_to_f16`.
//!
//! Why a fused multiply-add gives the reference's bits: a product of two f16 values is exact in
//! f32 (11-bit significands make a ≤ 22-bit product, and 2⁻²⁴·2⁻²⁴ = 2⁻⁴⁸ and 65504² both lie
//! inside f32's normal range), so `fma(a, b, acc) = round(a·b + acc) = round(round(a·b) + acc)`,
//! which is the reference's `acc += a * b`. Only the order of the additions could differ, and
//! each output here keeps one accumulator that runs p = 0, 1, …, k−1, as the reference does. (An
//! f32 sgemm would not do: it splits k into blocks and sums the partial results.)
//!
//! Layout: both operands are upcast to f32 and packed: op(A) into panels of [`MR`] rows (for
//! each p, MR values), op(B) into panels of [`NR`] columns (k rows of NR values), zero-padded. With AVX-512F (run-time
//! detected) an [`MR`]×[`NR`] block of outputs lives in 16 zmm accumulators while p streams;
//! the f16 conversions use F16C's `vcvtph2ps` / `vcvtps2ph` (round to nearest even, the same
//! bits as `crate::rules::cast::f32_to_f16`, checked in the tests below over a spread of bit patterns).
//! Elsewhere (no AVX-512, wasm) it is the reference.

use half::f16;

/// Output columns per block: two 16-lane vectors.
pub const NR: usize = 32;
/// Output rows per block.
pub const MR: usize = 8;

/// `op(A) · op(B)` on f16 operands; shapes as `reference::matmul_t`. Bit-identical to
/// `reference::matmul_f16` (see the module docs).
pub fn matmul_f16(a: &[f16], b: &[f16], m: usize, k: usize, n: usize, ta: bool, tb: bool) -> Vec<f16> {
    #[cfg(target_arch = "x86_64")]
    if m > 0 && n > 0 && std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("f16c") {
        // f16 → f32 is exact, so upcasting before packing changes no bits.
        let (ap, bp) = (panels_a(&f16_to_f32(&a[..m * k]), m, k, ta), panels_b(&f16_to_f32(&b[..k * n]), k, n, tb));
        let mut c = vec![f16::ZERO; m * n];
        // SAFETY: the features were detected above; `ap` holds ⌈m/MR⌉ panels of k·MR values,
        // `bp` ⌈n/NR⌉ panels of k·NR values and `c` is m·n, which is all the kernel touches.
        unsafe { avx512::gemm(&ap, &bp, &mut c, m, k, n) };
        return c;
    }
    crate::backend::cpu::reference::matmul_f16(a, b, m, k, n, ta, tb)
}

/// op(A) (m, k) in panels of MR rows: panel q holds, for each p, the MR values op(A)[q·MR + r][p]
/// (rows past m are zero). `a` is (m, k) row-major, or (k, m) when `ta`.
#[cfg(target_arch = "x86_64")]
fn panels_a(a: &[f32], m: usize, k: usize, ta: bool) -> Vec<f32> {
    let panels = m.div_ceil(MR);
    let mut out = vec![0.0f32; panels * k * MR];
    for q in 0..panels {
        let (i0, h) = (q * MR, MR.min(m - q * MR));
        let panel = &mut out[q * k * MR..(q + 1) * k * MR];
        for p in 0..k {
            let dst = &mut panel[p * MR..p * MR + h];
            if ta {
                dst.copy_from_slice(&a[p * m + i0..p * m + i0 + h]);
            } else {
                for (r, d) in dst.iter_mut().enumerate() {
                    *d = a[(i0 + r) * k + p];
                }
            }
        }
    }
    out
}

/// op(B) (k, n) in panels of NR columns: panel q holds k rows of the NR values op(B)[p][q·NR + j]
/// (columns past n are zero). `b` is (k, n) row-major, or (n, k) when `tb`.
#[cfg(target_arch = "x86_64")]
fn panels_b(b: &[f32], k: usize, n: usize, tb: bool) -> Vec<f32> {
    let panels = n.div_ceil(NR);
    let mut out = vec![0.0f32; panels * k * NR];
    for q in 0..panels {
        let (j0, w) = (q * NR, NR.min(n - q * NR));
        let panel = &mut out[q * k * NR..(q + 1) * k * NR];
        for p in 0..k {
            let dst = &mut panel[p * NR..p * NR + w];
            if tb {
                for (j, d) in dst.iter_mut().enumerate() {
                    *d = b[(j0 + j) * k + p];
                }
            } else {
                dst.copy_from_slice(&b[p * n + j0..p * n + j0 + w]);
            }
        }
    }
    out
}

/// f32 → f16 with `crate::rules::cast::f32_to_f16`'s bits (torch's `.half()`), 16 at a time with
/// `vcvtps2ph` where the CPU has AVX-512F and F16C: the fast path's `cast`.
pub fn f32_to_f16(x: &[f32]) -> Vec<f16> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("f16c") {
        // Not zero-filled first (that memset was a tenth of a 16-mixed step): every element is
        // written before `set_len`.
        let mut out = Vec::with_capacity(x.len());
        // SAFETY: features detected; the kernel writes all x.len() elements of the spare
        // capacity (f16 has no invalid bit patterns), then the length is set.
        unsafe {
            avx512::downcast(x, out.spare_capacity_mut().as_mut_ptr() as *mut f16);
            out.set_len(x.len());
        }
        return out;
    }
    x.iter().map(|&v| crate::rules::cast::f32_to_f16(v)).collect()
}

/// f16 → f32 (exact): the fast path's `cast`.
pub fn f16_to_f32(x: &[f16]) -> Vec<f32> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("f16c") {
        let mut out = Vec::with_capacity(x.len());
        // SAFETY: as in `f32_to_f16`: all x.len() elements are written before `set_len`.
        unsafe {
            avx512::upcast(x, out.spare_capacity_mut().as_mut_ptr() as *mut f32);
            out.set_len(x.len());
        }
        return out;
    }
    x.iter().map(|v| v.to_f32()).collect()
}

// AVX-512 intrinsics are stable since Rust 1.89, above the declared MSRV (1.85), as for the
// VNNI kernel (`int8_kernels/vnni.rs`): a build needs 1.89 already.
#[cfg(target_arch = "x86_64")]
#[allow(clippy::incompatible_msrv)]
mod avx512 {
    use super::{MR, NR};
    use half::f16;
    use std::arch::x86_64::*;

    /// Every MR×NR output block (edges computed in full on zero padding, stored clipped).
    #[target_feature(enable = "avx512f,f16c")]
    pub(super) unsafe fn gemm(ap: &[f32], bp: &[f32], c: &mut [f16], m: usize, k: usize, n: usize) {
        for q in 0..n.div_ceil(NR) {
            let panel_b = &bp[q * k * NR..(q + 1) * k * NR];
            for r in 0..m.div_ceil(MR) {
                block(&ap[r * k * MR..(r + 1) * k * MR], panel_b, c, r * MR, q * NR, k, m, n);
            }
        }
    }

    /// Rows `i0..i0+MR` × columns `j0..j0+NR`: acc = 0, then acc = fma(a[i][p], b[p], acc) for
    /// p ascending, then one f32 → f16 rounding per output; outputs past (m, n) are dropped.
    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx512f,f16c")]
    unsafe fn block(
        panel_a: &[f32],
        panel_b: &[f32],
        c: &mut [f16],
        i0: usize,
        j0: usize,
        k: usize,
        m: usize,
        n: usize,
    ) {
        let mut acc = [[_mm512_setzero_ps(); 2]; MR];
        let (ap, bp) = (panel_a.as_ptr(), panel_b.as_ptr());
        for p in 0..k {
            // SAFETY: p < k; the panels are k·MR and k·NR long.
            let b0 = _mm512_loadu_ps(bp.add(p * NR));
            let b1 = _mm512_loadu_ps(bp.add(p * NR + 16));
            for (r, acc_r) in acc.iter_mut().enumerate() {
                let av = _mm512_set1_ps(*ap.add(p * MR + r));
                acc_r[0] = _mm512_fmadd_ps(av, b0, acc_r[0]);
                acc_r[1] = _mm512_fmadd_ps(av, b1, acc_r[1]);
            }
        }
        let w = NR.min(n - j0);
        for (r, acc_r) in acc.iter().enumerate().take(m - i0) {
            let mut bits = [0u16; NR];
            for (h, v) in acc_r.iter().enumerate() {
                let packed = _mm512_cvtps_ph::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(*v);
                _mm256_storeu_si256(bits.as_mut_ptr().add(16 * h) as *mut __m256i, packed);
            }
            let row = &mut c[(i0 + r) * n + j0..(i0 + r) * n + j0 + w];
            for (o, &bw) in row.iter_mut().zip(&bits) {
                *o = f16::from_bits(bw);
            }
        }
    }

    /// f16 → f32 of `src` into `dst` (room for src.len() values) with `vcvtph2ps`, the tail
    /// one by one.
    #[target_feature(enable = "avx512f,f16c")]
    pub(super) unsafe fn upcast(src: &[f16], dst: *mut f32) {
        let mut i = 0;
        while i + 16 <= src.len() {
            // SAFETY: i + 16 <= src.len(), and dst has room for src.len() values.
            let h = _mm256_loadu_si256(src.as_ptr().add(i) as *const __m256i);
            _mm512_storeu_ps(dst.add(i), _mm512_cvtph_ps(h));
            i += 16;
        }
        for (j, v) in src.iter().enumerate().skip(i) {
            dst.add(j).write(v.to_f32());
        }
    }

    /// f32 → f16 of `src` into `dst` (room for src.len() values) with `vcvtps2ph` (nearest
    /// even), the tail one by one.
    #[target_feature(enable = "avx512f,f16c")]
    pub(super) unsafe fn downcast(src: &[f32], dst: *mut f16) {
        let mut i = 0;
        while i + 16 <= src.len() {
            // SAFETY: i + 16 <= src.len(), and dst has room for src.len() values.
            let h = _mm512_cvtps_ph::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(_mm512_loadu_ps(
                src.as_ptr().add(i),
            ));
            _mm256_storeu_si256(dst.add(i) as *mut __m256i, h);
            i += 16;
        }
        for (j, &v) in src.iter().enumerate().skip(i) {
            dst.add(j).write(crate::rules::cast::f32_to_f16(v));
        }
    }

    /// `vcvtps2ph` (round to nearest even) on 16 values, for the conversion test.
    #[cfg(test)]
    #[target_feature(enable = "avx512f,f16c")]
    pub(super) unsafe fn to_f16_bits(x: &[f32; 16]) -> [u16; 16] {
        let mut out = [0u16; 16];
        let packed = _mm512_cvtps_ph::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(_mm512_loadu_ps(x.as_ptr()));
        _mm256_storeu_si256(out.as_mut_ptr() as *mut __m256i, packed);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::rng::Rng;

    fn has_avx512() -> bool {
        #[cfg(target_arch = "x86_64")]
        return std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("f16c");
        #[cfg(not(target_arch = "x86_64"))]
        false
    }

    #[test]
    fn vcvtps2ph_rounds_as_cast_f32_to_f16_over_a_spread_of_bit_patterns() {
        if !has_avx512() {
            return;
        }
        // Every 65521st bit pattern (all exponents, signs, NaN payloads) plus the edges.
        let mut xs: Vec<u32> = (0..=u32::MAX / 65521).map(|i| i * 65521).collect();
        xs.extend([
            0x477F_E000,
            0x477F_EFFF,
            0x477F_F000,
            0x3300_0000,
            0x3300_0001,
            0x7F80_0001,
            0xFF80_0000,
            0x7FC0_0000,
            0x8000_0000,
            1,
        ]);
        for chunk in xs.chunks(16) {
            let mut v = [0.0f32; 16];
            for (o, &x) in v.iter_mut().zip(chunk) {
                *o = f32::from_bits(x);
            }
            #[cfg(target_arch = "x86_64")]
            let got = unsafe { avx512::to_f16_bits(&v) };
            #[cfg(not(target_arch = "x86_64"))]
            let got = [0u16; 16];
            for (l, &x) in chunk.iter().enumerate() {
                assert_eq!(got[l], crate::rules::cast::f32_to_f16_bits(x), "f32 bits {x:#010x}");
            }
        }
    }

    #[test]
    fn equals_the_reference_bit_for_bit_on_every_shape_and_transpose() {
        let mut rng = Rng::new(7);
        for &(m, k, n) in &[(1, 1, 1), (9, 3, 33), (17, 64, 70), (8, 300, 32), (20, 256, 100)] {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                // Values with mixed magnitudes, so partial sums round and some outputs overflow f16.
                let mut gen = |len: usize| -> Vec<f16> {
                    (0..len)
                        .map(|i| {
                            crate::rules::cast::f32_to_f16(if i % 13 == 0 {
                                rng.uniform(-3e4, 3e4)
                            } else {
                                rng.uniform(-2.0, 2.0)
                            })
                        })
                        .collect()
                };
                let (a, b) = (gen(m * k), gen(k * n));
                let want = crate::backend::cpu::reference::matmul_f16(&a, &b, m, k, n, ta, tb);
                let got = matmul_f16(&a, &b, m, k, n, ta, tb);
                let bits = |v: &[f16]| v.iter().map(|h| h.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&got), bits(&want), "({m}, {k}, {n}) ta={ta} tb={tb}");
            }
        }
    }
}
