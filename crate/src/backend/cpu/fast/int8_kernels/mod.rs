//! int8 GEMM micro-kernels for the CPU fast path: the Linear's accumulators
//! `acc[i][j] = Σ_p (x[i][p] − x_zp)(w[j][p] − w_zp[j])` in exact (wrapping) int32.
//!
//! Both operands are shifted by their zero points into i16 (|v| ≤ 255) and zero-padded: k to a
//! multiple of 16, rows of x to a multiple of 4 and rows of w to a multiple of 2. A 4×2 block of
//! outputs keeps 8 vector accumulators in registers while streaming k, with
//! `_mm256_madd_epi16` (AVX2, chosen at run time) or `i32x4.dot_i16x8_s` (wasm simd128): each
//! multiplies i16 pairs and adds them into i32 without saturation, so the sums are exact and
//! equal the reference's bit for bit. Elsewhere a scalar loop does the same sums. On CPUs with
//! AVX-512 VNNI a `vpdpbusd` kernel on the raw codes replaces all of this (`vnni`), and in wasm a
//! broadcast-layout simd128 kernel does (`simd128`); both avoid horizontal sums.

const KP: usize = 16; // k padding: one AVX2 vector, two simd128 vectors of i16
const MR: usize = 4; // x rows per block
const NR: usize = 2; // w rows per block

/// Zero-point-shifted, zero-padded i16 copy of `rows` × `k` codes; `zp(r)` is row r's zero point.
fn pack<T: Copy + Into<i32>>(
    codes: &[T],
    rows: usize,
    k: usize,
    rows_padded: usize,
    kp: usize,
    zp: impl Fn(usize) -> i32,
) -> Vec<i16> {
    let mut out = vec![0i16; rows_padded * kp];
    for r in 0..rows {
        let z = zp(r);
        for p in 0..k {
            out[r * kp + p] = (codes[r * k + p].into() - z) as i16;
        }
    }
    out
}

/// A weight (n, k) packed once for [`accumulate_packed`]: shifted by its zero points, i16,
/// zero-padded. A quantized Linear's weight never changes, so it is packed at setup.
#[derive(Debug, Clone)]
pub struct PackedWeight {
    n: usize,
    k: usize,
    kp: usize,
    data: Vec<i16>,
    #[cfg(target_arch = "x86_64")]
    vnni: Option<vnni::Packed>,
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    simd128: simd128::Packed,
}

impl PackedWeight {
    /// Packs w (n, k) codes with one zero point per row (and, on CPUs with AVX-512 VNNI, the
    /// raw int8 layout its kernel reads).
    pub fn new(w: &[i32], n: usize, k: usize, w_zps: &[i32]) -> PackedWeight {
        let kp = k.div_ceil(KP) * KP;
        PackedWeight {
            n,
            k,
            kp,
            data: pack(w, n, k, n.div_ceil(NR) * NR, kp, |r| w_zps[r]),
            #[cfg(target_arch = "x86_64")]
            vnni: vnni::available().then(|| vnni::Packed::new(w, n, k, w_zps)),
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            simd128: simd128::Packed::new(w, n, k, w_zps),
        }
    }
}

/// Whether this machine has a SIMD int8 kernel (AVX-512 VNNI or AVX2 natively, simd128 in wasm);
/// without one the portable scalar loop runs (same sums).
pub fn has_simd() -> bool {
    #[cfg(target_arch = "x86_64")]
    return vnni::available() || std::is_x86_feature_detected!("avx2");
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    return true;
    #[allow(unreachable_code)]
    false
}

/// The accumulators; x (m, k) uint8 and w (n, k) int8 codes, `w_zps` one zero point per row of w.
pub fn accumulate(x: &[u8], w: &[i32], m: usize, k: usize, n: usize, x_zp: i32, w_zps: &[i32]) -> Vec<i32> {
    accumulate_packed(x, m, x_zp, &PackedWeight::new(w, n, k, w_zps))
}

/// The accumulators against a pre-packed weight; x (m, k) uint8 codes.
pub fn accumulate_packed(x: &[u8], m: usize, x_zp: i32, w: &PackedWeight) -> Vec<i32> {
    #[cfg(target_arch = "x86_64")]
    if let Some(v) = &w.vnni {
        return v.accumulate(x, m, x_zp);
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    return w.simd128.accumulate(x, m, x_zp);
    #[allow(unreachable_code)]
    accumulate_i16(x, m, x_zp, w)
}

/// The i16 kernels (AVX2, simd128 or scalar), also on CPUs that have VNNI.
fn accumulate_i16(x: &[u8], m: usize, x_zp: i32, w: &PackedWeight) -> Vec<i32> {
    let (k, n, kp) = (w.k, w.n, w.kp);
    let (mp, np) = (m.div_ceil(MR) * MR, n.div_ceil(NR) * NR);
    let xs = pack(x, m, k, mp, kp, |_| x_zp);
    let ws = &w.data;
    let mut acc = vec![0i32; m * n];
    let mut block = |i: usize, j: usize, sums: [[i32; NR]; MR]| {
        for (r, row) in sums.iter().enumerate() {
            for (c, &s) in row.iter().enumerate() {
                if i + r < m && j + c < n {
                    acc[(i + r) * n + j + c] = s;
                }
            }
        }
    };
    for i in (0..mp).step_by(MR) {
        for j in (0..np).step_by(NR) {
            let xb = &xs[i * kp..(i + MR) * kp];
            let wb = &ws[j * kp..(j + NR) * kp];
            block(i, j, block_sums(xb, wb, kp));
        }
    }
    acc
}

/// Sums of one 4×2 block: `xb` holds 4 rows and `wb` 2 rows of `kp` i16 values.
#[inline]
fn block_sums(xb: &[i16], wb: &[i16], kp: usize) -> [[i32; NR]; MR] {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 was detected at run time; slices hold MR·kp and NR·kp values.
        return unsafe { block_avx2(xb, wb, kp) };
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    return block_simd128(xb, wb, kp);
    #[allow(unreachable_code)]
    block_scalar(xb, wb, kp)
}

fn block_scalar(xb: &[i16], wb: &[i16], kp: usize) -> [[i32; NR]; MR] {
    let mut s = [[0i32; NR]; MR];
    for (r, row) in s.iter_mut().enumerate() {
        for (c, out) in row.iter_mut().enumerate() {
            let (xr, wr) = (&xb[r * kp..(r + 1) * kp], &wb[c * kp..(c + 1) * kp]);
            *out = xr.iter().zip(wr).fold(0i32, |a, (&u, &v)| a.wrapping_add(u as i32 * v as i32));
        }
    }
    s
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn block_avx2(xb: &[i16], wb: &[i16], kp: usize) -> [[i32; NR]; MR] {
    use std::arch::x86_64::*;
    let mut acc = [[_mm256_setzero_si256(); NR]; MR];
    let (xp, wp) = (xb.as_ptr(), wb.as_ptr());
    let mut p = 0;
    while p < kp {
        let w0 = _mm256_loadu_si256(wp.add(p) as *const __m256i);
        let w1 = _mm256_loadu_si256(wp.add(kp + p) as *const __m256i);
        for (r, row) in acc.iter_mut().enumerate() {
            let xv = _mm256_loadu_si256(xp.add(r * kp + p) as *const __m256i);
            row[0] = _mm256_add_epi32(row[0], _mm256_madd_epi16(xv, w0));
            row[1] = _mm256_add_epi32(row[1], _mm256_madd_epi16(xv, w1));
        }
        p += 16;
    }
    let hsum = |v: __m256i| -> i32 {
        let s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
        let s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0b01_00_11_10));
        let s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0b10_11_00_01));
        _mm_cvtsi128_si32(s)
    };
    let mut out = [[0i32; NR]; MR];
    for r in 0..MR {
        for c in 0..NR {
            out[r][c] = hsum(acc[r][c]);
        }
    }
    out
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn block_simd128(xb: &[i16], wb: &[i16], kp: usize) -> [[i32; NR]; MR] {
    use core::arch::wasm32::*;
    let load = |s: &[i16], at: usize| -> v128 {
        assert!(at + 8 <= s.len());
        // SAFETY: the assert keeps the 16-byte read inside the slice; v128_load is unaligned.
        unsafe { v128_load(s.as_ptr().add(at) as *const v128) }
    };
    let mut acc = [[i32x4_splat(0); NR]; MR];
    let mut p = 0;
    while p < kp {
        let w0 = load(wb, p);
        let w1 = load(wb, kp + p);
        for (r, row) in acc.iter_mut().enumerate() {
            let xv = load(xb, r * kp + p);
            row[0] = i32x4_add(row[0], i32x4_dot_i16x8(xv, w0));
            row[1] = i32x4_add(row[1], i32x4_dot_i16x8(xv, w1));
        }
        p += 8;
    }
    let mut out = [[0i32; NR]; MR];
    for r in 0..MR {
        for c in 0..NR {
            let v = acc[r][c];
            out[r][c] = i32x4_extract_lane::<0>(v)
                .wrapping_add(i32x4_extract_lane::<1>(v))
                .wrapping_add(i32x4_extract_lane::<2>(v))
                .wrapping_add(i32x4_extract_lane::<3>(v));
        }
    }
    out
}

#[cfg(target_arch = "x86_64")]
mod vnni;

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd128;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocked_sums_equal_plain_sums_on_ragged_shapes() {
        let mut rng = crate::rules::rng::Rng::new(3);
        for &(m, k, n) in &[(1, 1, 1), (5, 17, 3), (4, 16, 2), (9, 100, 7)] {
            let x: Vec<u8> = (0..m * k).map(|_| (rng.next_u64() % 256) as u8).collect();
            let w: Vec<i32> = (0..n * k).map(|_| (rng.next_u64() % 256) as i32 - 128).collect();
            let zps: Vec<i32> = (0..n).map(|j| j as i32 - 2).collect();
            let xi: Vec<i32> = x.iter().map(|&v| v as i32).collect();
            let want = crate::rules::qlinear::accumulate(&xi, &w, m, k, n, 77, &zps);
            let packed = PackedWeight::new(&w, n, k, &zps);
            assert_eq!(accumulate_packed(&x, m, 77, &packed), want, "best kernel ({m}, {k}, {n})");
            assert_eq!(accumulate_i16(&x, m, 77, &packed), want, "i16 kernel ({m}, {k}, {n})");
        }
    }
}
