//! The CPU reference arithmetic for the conv, batch-norm and fake-quant ops: im2col / col2im,
//! NCHW ↔ rows, the per-channel affine of eval BatchNorm, quantized relu and fake quantization.
//! Plain loops over slices. The data-movement ops are index maps (where each output element comes
//! from) applied by [`gather`] to any element type; each function is the CPU twin a WGSL kernel
//! names in its header.

use crate::backend::Conv2dGeom;
use crate::rules::{fake, QParams};

/// Where each element of the im2col matrix comes from: x `(n, c, h, w)` → `(n·oh·ow, c·kh·kw)`,
/// rows `(n, oy, ox)`, columns `(c, ky, kx)`; input pixel `(oy·sh − ph + ky, ox·sw − pw + kx)`,
/// `None` in the padding. Source: aten/src/ATen/native/im2col.h (the same gather, as rows).
pub fn im2col(g: &Conv2dGeom, oh: usize, ow: usize) -> Vec<Option<usize>> {
    let mut out = Vec::with_capacity(g.n * oh * ow * g.c * g.kh * g.kw);
    for n in 0..g.n {
        for oy in 0..oh {
            for ox in 0..ow {
                for c in 0..g.c {
                    for ky in 0..g.kh {
                        for kx in 0..g.kw {
                            let iy = (oy * g.stride.0 + ky) as isize - g.padding.0 as isize;
                            let ix = (ox * g.stride.1 + kx) as isize - g.padding.1 as isize;
                            let inside = iy >= 0 && ix >= 0 && (iy as usize) < g.h && (ix as usize) < g.w;
                            out.push(inside.then(|| ((n * g.c + c) * g.h + iy as usize) * g.w + ix as usize));
                        }
                    }
                }
            }
        }
    }
    out
}

/// `out[i] = x[src[i]]`, or `pad` where `src[i]` is `None`: applies an index map from
/// [`im2col`], [`rows_to_nchw`] or [`nchw_to_rows`] to any element type.
pub fn gather<T: Copy>(x: &[T], src: &[Option<usize>], pad: T) -> Vec<T> {
    src.iter().map(|s| s.map_or(pad, |i| x[i])).collect()
}

/// The adjoint of [`im2col`]: `(n·oh·ow, c·kh·kw)` → `(n, c, h, w)`. Each pixel gathers the
/// entries that im2col copied from it, in (ky, kx) ascending order, summing from 0.0 (the order
/// of aten's col2im scatter, and of the GPU kernel).
pub fn col2im(cols: &[f32], g: &Conv2dGeom, oh: usize, ow: usize) -> Vec<f32> {
    let k = g.c * g.kh * g.kw;
    let mut out = vec![0.0f32; g.n * g.c * g.h * g.w];
    for (o, v) in out.iter_mut().enumerate() {
        let (x, y, c, n) = (o % g.w, (o / g.w) % g.h, (o / (g.w * g.h)) % g.c, o / (g.w * g.h * g.c));
        let mut acc = 0.0f32;
        for ky in 0..g.kh {
            let ty = y + g.padding.0;
            if ty < ky || !(ty - ky).is_multiple_of(g.stride.0) || (ty - ky) / g.stride.0 >= oh {
                continue;
            }
            let oy = (ty - ky) / g.stride.0;
            for kx in 0..g.kw {
                let tx = x + g.padding.1;
                if tx < kx || !(tx - kx).is_multiple_of(g.stride.1) || (tx - kx) / g.stride.1 >= ow {
                    continue;
                }
                let ox = (tx - kx) / g.stride.1;
                acc += cols[((n * oh + oy) * ow + ox) * k + (c * g.kh + ky) * g.kw + kx];
            }
        }
        *v = acc;
    }
    out
}

/// Index map of `(n·h·w, c) → (n, c, h, w)`: `out[n][c][p] = x[n·hw + p][c]`.
pub fn rows_to_nchw(n: usize, c: usize, hw: usize) -> Vec<Option<usize>> {
    let mut out = Vec::with_capacity(n * c * hw);
    for b in 0..n {
        for ch in 0..c {
            for p in 0..hw {
                out.push(Some((b * hw + p) * c + ch));
            }
        }
    }
    out
}

/// Index map of `(n, c, h, w) → (n·h·w, c)`: `out[n·hw + p][c] = x[n][c][p]`.
pub fn nchw_to_rows(n: usize, c: usize, hw: usize) -> Vec<Option<usize>> {
    let mut out = Vec::with_capacity(n * c * hw);
    for b in 0..n {
        for p in 0..hw {
            for ch in 0..c {
                out.push(Some((b * c + ch) * hw + p));
            }
        }
    }
    out
}

/// `y = fma(x, alpha[ch], beta[ch])` with `ch = (i / inner) % c` (`nn::batchnorm::bn_eval_val`).
pub fn channel_affine(x: &[f32], alpha: &[f32], beta: &[f32], inner: usize) -> Vec<f32> {
    let c = alpha.len();
    x.iter()
        .enumerate()
        .map(|(i, &v)| {
            let ch = (i / inner.max(1)) % c;
            crate::rules::batchnorm::bn_eval_val(v, alpha[ch], beta[ch])
        })
        .collect()
}

/// `max(code, zero_point)`.
pub fn quantized_relu(codes: &[u8], zero_point: u8) -> Vec<u8> {
    codes.iter().map(|&q| q.max(zero_point)).collect()
}

/// `table[ch·256 + code]` with `ch = (i / inner) % c` (`quant::qbatchnorm::code_table`).
pub fn channel_lut(codes: &[u8], table: &[u8], c: usize, inner: usize) -> Vec<u8> {
    codes.iter().enumerate().map(|(i, &q)| table[((i / inner.max(1)) % c.max(1)) * 256 + q as usize]).collect()
}

/// `(y, mask)` of every element of `x` (shape `shape`) under `q` (`quant::fake`), mask 1.0/0.0.
pub fn fake_quantize(x: &[f32], shape: &[usize], q: &QParams, quant_min: i32, quant_max: i32) -> (Vec<f32>, Vec<f32>) {
    x.iter()
        .enumerate()
        .map(|(i, &v)| {
            let (scale, zp) = q.at(shape, i);
            let (y, m) = fake::fake_quantize_val(v, scale, zp, quant_min, quant_max);
            (y, if m { 1.0 } else { 0.0 })
        })
        .unzip()
}

/// `[min, max]` of `x`, `[0, 0]` when empty. A NaN anywhere makes both NaN, so the dynamic
/// Linear reports it (fbgemm's `FindMinMax` compares with `<`, so its result with NaN depends on
/// where the NaN sits; quantplay refuses instead).
pub fn min_max(x: &[f32]) -> Vec<f32> {
    let Some(&first) = x.first() else { return vec![0.0, 0.0] };
    if x.iter().any(|v| v.is_nan()) {
        return vec![f32::NAN, f32::NAN];
    }
    let (lo, hi) = x.iter().fold((first, first), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    vec![lo, hi]
}

/// `y[i][j] = fma((float)acc[i][j], mult[j], bias[j])` (`quant::dynamic::float_output`) with
/// the exact int32 `acc` of `quant::linear::accumulate`. Shapes: x (m, k) codes, w (n, k) codes
/// → (m, n).
#[allow(clippy::too_many_arguments)]
pub fn quantized_linear_float(
    x: &[i32],
    w: &[i32],
    m: usize,
    k: usize,
    n: usize,
    x_zp: i32,
    w_zps: &[i32],
    mult: &[f32],
    bias: Option<&[f32]>,
) -> Vec<f32> {
    let acc = crate::rules::qlinear::accumulate(x, w, m, k, n, x_zp, w_zps);
    acc.iter()
        .enumerate()
        .map(|(o, &a)| crate::rules::dynamic::float_output(a, mult[o % n], bias.map_or(0.0, |b| b[o % n])))
        .collect()
}
