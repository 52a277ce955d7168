//! AVX-512 VNNI: `vpdpbusd` multiplies raw uint8 x by raw int8 w, four pairs per int32 lane,
//! without saturation (unlike the `vpmaddubsw` fbgemm uses without VNNI). The weight is packed
//! so one 64-byte load holds 16 output columns × 4 consecutive k; four bytes of an x row are
//! broadcast against it, so each lane accumulates its own column and no horizontal sums are
//! needed. A 4-row × 64-column block keeps 16 accumulators in registers. The zero points are
//! applied afterwards with exact integer corrections:
//! `Σ(x − x_zp)(w − w_zp) = Σxw − w_zp·Σx − x_zp·Σw + k·x_zp·w_zp`, all wrapping int32.

use std::arch::x86_64::*;

const LANES: usize = 16; // int32 lanes (output columns) per zmm
const NV: usize = 4; // zmm accumulators per row: 64 columns per block
const MR: usize = 4; // x rows per block
const NB: usize = LANES * NV;

pub(super) fn available() -> bool {
    std::is_x86_feature_detected!("avx512f")
        && std::is_x86_feature_detected!("avx512bw")
        && std::is_x86_feature_detected!("avx512vnni")
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
        let w: [__m512i; NV] =
            std::array::from_fn(|v| _mm512_loadu_si512(wp.add((g * NB + v * LANES) * 4) as *const __m512i));
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
