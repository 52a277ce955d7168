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
fn pack<T: Copy + Into<i32>>(codes: &[T], rows: usize, k: usize, rows_padded: usize, kp: usize, zp: impl Fn(usize) -> i32) -> Vec<i16> {
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

/// AVX-512 VNNI: `vpdpbusd` multiplies raw uint8 x by raw int8 w, four pairs per int32 lane,
/// without saturation (unlike the `vpmaddubsw` fbgemm uses without VNNI). The weight is packed
/// so one 64-byte load holds 16 output columns × 4 consecutive k; four bytes of an x row are
/// broadcast against it, so each lane accumulates its own column and no horizontal sums are
/// needed. A 4-row × 64-column block keeps 16 accumulators in registers. The zero points are
/// applied afterwards with exact integer corrections:
/// `Σ(x − x_zp)(w − w_zp) = Σxw − w_zp·Σx − x_zp·Σw + k·x_zp·w_zp`, all wrapping int32.
#[cfg(target_arch = "x86_64")]
mod vnni {
    use std::arch::x86_64::*;

    const LANES: usize = 16; // int32 lanes (output columns) per zmm
    const NV: usize = 4; // zmm accumulators per row: 64 columns per block
    const MR: usize = 4; // x rows per block
    const NB: usize = LANES * NV;

    pub(super) fn available() -> bool {
        std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512bw") && std::is_x86_feature_detected!("avx512vnni")
    }

    /// w (n, k) as [column block][k group of 4][16·NV columns][4 bytes], zero-padded, with Σw
    /// and w_zp per row.
    #[derive(Debug, Clone)]
    pub(super) struct Packed {
        n: usize,
        k: usize,
        groups: usize,
        w: Vec<i8>,
        sums: Vec<i32>,
        zps: Vec<i32>,
    }

    impl Packed {
        pub(super) fn new(w: &[i32], n: usize, k: usize, zps: &[i32]) -> Packed {
            let groups = k.div_ceil(4);
            let blocks = n.div_ceil(NB);
            let mut data = vec![0i8; blocks * groups * NB * 4];
            let mut sums = vec![0i32; n];
            for j in 0..n {
                let (blk, col) = (j / NB, j % NB);
                for p in 0..k {
                    data[((blk * groups + p / 4) * NB + col) * 4 + p % 4] = w[j * k + p] as i8;
                    sums[j] = sums[j].wrapping_add(w[j * k + p]);
                }
            }
            Packed { n, k, groups, w: data, sums, zps: zps.to_vec() }
        }

        pub(super) fn accumulate(&self, x: &[u8], m: usize, x_zp: i32) -> Vec<i32> {
            let (n, k, groups) = (self.n, self.k, self.groups);
            let mp = m.div_ceil(MR) * MR;
            // x rows padded to whole groups of 4 bytes, read as one i32 per group.
            let mut xs = vec![0u8; mp * groups * 4];
            let mut xsum = vec![0i32; m];
            for i in 0..m {
                let row = &x[i * k..(i + 1) * k];
                xs[i * groups * 4..i * groups * 4 + k].copy_from_slice(row);
                xsum[i] = row.iter().fold(0i32, |a, &v| a.wrapping_add(v as i32));
            }
            let mut acc = vec![0i32; m * n];
            let mut tile = [0i32; MR * NB];
            let kk = k as i32;
            for blk in 0..n.div_ceil(NB) {
                let wb = &self.w[blk * groups * NB * 4..(blk + 1) * groups * NB * 4];
                for i in (0..mp).step_by(MR) {
                    // SAFETY: available() held when this Packed was built; xs holds MR rows of
                    // groups·4 bytes from row i and wb holds groups·NB·4 bytes.
                    unsafe { block(&xs[i * groups * 4..(i + MR) * groups * 4], wb, groups, &mut tile) };
                    for r in 0..MR.min(m.saturating_sub(i)) {
                        let ii = i + r;
                        for c in 0..NB.min(n - blk * NB) {
                            let jj = blk * NB + c;
                            let z = self.zps[jj];
                            acc[ii * n + jj] = tile[r * NB + c]
                                .wrapping_sub(z.wrapping_mul(xsum[ii]))
                                .wrapping_sub(x_zp.wrapping_mul(self.sums[jj]))
                                .wrapping_add(kk.wrapping_mul(x_zp).wrapping_mul(z));
                        }
                    }
                }
            }
            acc
        }
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    unsafe fn block(xb: &[u8], wb: &[i8], groups: usize, out: &mut [i32; MR * NB]) {
        let mut acc = [[_mm512_setzero_si512(); NV]; MR];
        let (xp, wp) = (xb.as_ptr(), wb.as_ptr());
        let row = groups * 4;
        for g in 0..groups {
            let w: [__m512i; NV] = std::array::from_fn(|v| _mm512_loadu_si512(wp.add((g * NB + v * LANES) * 4) as *const __m512i));
            for (r, a) in acc.iter_mut().enumerate() {
                let xv = _mm512_set1_epi32((xp.add(r * row + g * 4) as *const i32).read_unaligned());
                for v in 0..NV {
                    a[v] = _mm512_dpbusd_epi32(a[v], xv, w[v]);
                }
            }
        }
        for (r, a) in acc.iter().enumerate() {
            for (v, &vec) in a.iter().enumerate() {
                _mm512_storeu_si512(out.as_mut_ptr().add(r * NB + v * LANES) as *mut __m512i, vec);
            }
        }
    }
}

/// wasm simd128 with the broadcast layout: the zero-point-shifted i16 weight is packed so one
/// v128 holds 4 output columns × 2 consecutive k; a pair of x values is splatted against it and
/// `i32x4.dot_i16x8_s` adds both products into each column's lane, so there are no horizontal
/// sums. A 4-row × 8-column block keeps 8 accumulators in registers (4 × 12, 4 × 16, 6 × 8 and
/// 8 × 4 blocks measured slower in node on x86-64: V8 has 16 vector registers).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd128 {
    use core::arch::wasm32::*;

    const NV: usize = 2; // v128 accumulators per row
    const NB: usize = 4 * NV; // columns per block
    const MR: usize = 4;

    #[derive(Debug, Clone)]
    pub(super) struct Packed {
        n: usize,
        k: usize,
        pairs: usize,
        w: Vec<i16>,
    }

    impl Packed {
        pub(super) fn new(w: &[i32], n: usize, k: usize, zps: &[i32]) -> Packed {
            let pairs = k.div_ceil(2);
            let blocks = n.div_ceil(NB);
            let mut data = vec![0i16; blocks * pairs * NB * 2];
            for j in 0..n {
                let (blk, col) = (j / NB, j % NB);
                for p in 0..k {
                    data[((blk * pairs + p / 2) * NB + col) * 2 + p % 2] = (w[j * k + p] - zps[j]) as i16;
                }
            }
            Packed { n, k, pairs, w: data }
        }

        pub(super) fn accumulate(&self, x: &[u8], m: usize, x_zp: i32) -> Vec<i32> {
            let (n, k, pairs) = (self.n, self.k, self.pairs);
            let mp = m.div_ceil(MR) * MR;
            // x − x_zp as i16, rows padded to whole pairs, read as one i32 per pair.
            let mut xs = vec![0i16; mp * pairs * 2];
            for i in 0..m {
                for p in 0..k {
                    xs[i * pairs * 2 + p] = (x[i * k + p] as i32 - x_zp) as i16;
                }
            }
            let mut acc = vec![0i32; m * n];
            let mut tile = [0i32; MR * NB];
            for blk in 0..n.div_ceil(NB) {
                let wb = &self.w[blk * pairs * NB * 2..(blk + 1) * pairs * NB * 2];
                for i in (0..mp).step_by(MR) {
                    block(&xs[i * pairs * 2..(i + MR) * pairs * 2], wb, pairs, &mut tile);
                    for r in 0..MR.min(m.saturating_sub(i)) {
                        let cols = NB.min(n - blk * NB);
                        acc[(i + r) * n + blk * NB..(i + r) * n + blk * NB + cols].copy_from_slice(&tile[r * NB..r * NB + cols]);
                    }
                }
            }
            acc
        }
    }

    fn block(xb: &[i16], wb: &[i16], pairs: usize, out: &mut [i32; MR * NB]) {
        assert!(xb.len() >= MR * pairs * 2 && wb.len() >= pairs * NB * 2);
        let mut acc = [[i32x4_splat(0); NV]; MR];
        let (xp, wp) = (xb.as_ptr(), wb.as_ptr());
        let row = pairs * 2;
        for g in 0..pairs {
            // SAFETY: the assert above bounds every read: g < pairs, v < NV, r < MR.
            unsafe {
                let w: [v128; NV] = core::array::from_fn(|v| v128_load(wp.add((g * NB + v * 4) * 2) as *const v128));
                for (r, a) in acc.iter_mut().enumerate() {
                    let xv = i32x4_splat((xp.add(r * row + g * 2) as *const i32).read_unaligned());
                    for v in 0..NV {
                        a[v] = i32x4_add(a[v], i32x4_dot_i16x8(xv, w[v]));
                    }
                }
            }
        }
        for (r, a) in acc.iter().enumerate() {
            for (v, &vec) in a.iter().enumerate() {
                for lane in 0..4 {
                    out[r * NB + v * 4 + lane] = match lane {
                        0 => i32x4_extract_lane::<0>(vec),
                        1 => i32x4_extract_lane::<1>(vec),
                        2 => i32x4_extract_lane::<2>(vec),
                        _ => i32x4_extract_lane::<3>(vec),
                    };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocked_sums_equal_plain_sums_on_ragged_shapes() {
        let mut rng = crate::rng::Rng::new(3);
        for &(m, k, n) in &[(1, 1, 1), (5, 17, 3), (4, 16, 2), (9, 100, 7)] {
            let x: Vec<u8> = (0..m * k).map(|_| (rng.next_u64() % 256) as u8).collect();
            let w: Vec<i32> = (0..n * k).map(|_| (rng.next_u64() % 256) as i32 - 128).collect();
            let zps: Vec<i32> = (0..n).map(|j| j as i32 - 2).collect();
            let xi: Vec<i32> = x.iter().map(|&v| v as i32).collect();
            let want = crate::quant::linear::accumulate(&xi, &w, m, k, n, 77, &zps);
            let packed = PackedWeight::new(&w, n, k, &zps);
            assert_eq!(accumulate_packed(&x, m, 77, &packed), want, "best kernel ({m}, {k}, {n})");
            assert_eq!(accumulate_i16(&x, m, 77, &packed), want, "i16 kernel ({m}, {k}, {n})");
        }
    }
}
