//! wasm simd128 with the broadcast layout: the zero-point-shifted i16 weight is packed so one
//! v128 holds 4 output columns × 2 consecutive k; a pair of x values is splatted against it and
//! `i32x4.dot_i16x8_s` adds both products into each column's lane, so there are no horizontal
//! sums. A 4-row × 8-column block keeps 8 accumulators in registers (4 × 12, 4 × 16, 6 × 8 and
//! 8 × 4 blocks measured slower in node on x86-64: V8 has 16 vector registers).

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
                    acc[(i + r) * n + blk * NB..(i + r) * n + blk * NB + cols]
                        .copy_from_slice(&tile[r * NB..r * NB + cols]);
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
