//! The CPU reference arithmetic of `max_pool2d`: plain loops over every window position, the
//! oracle the fast path and `max_pool2d.wgsl` are tested against.
//!
//! Not here: the geometry and its checks (`backend/pool.rs`).

use crate::backend::MaxPool2dGeom;

/// Max pooling of x `(n, c, h, w)` → `(n, c, oh, ow)`: each output starts at `lowest` and
/// takes a window value `v` when `takes(v, max)`, over (ky, kx) ascending; positions in the
/// padding are skipped. aten/src/ATen/native/cpu/MaxPoolKernel.cpp `cpu_max_pool` (floats:
/// `lowest` −inf, `takes` = `v > max || isnan(v)`) and
/// aten/src/ATen/native/quantized/cpu/Pooling.cpp `spatial_dilated_max_pooling` (codes:
/// `lowest` the type's minimum, `takes` = `v > max`).
pub fn max_pool2d_with<T: Copy>(
    x: &[T],
    g: &MaxPool2dGeom,
    oh: usize,
    ow: usize,
    lowest: T,
    takes: impl Fn(T, T) -> bool,
) -> Vec<T> {
    let mut out = Vec::with_capacity(g.n * g.c * oh * ow);
    for plane in 0..g.n * g.c {
        for oy in 0..oh {
            for ox in 0..ow {
                let mut max = lowest;
                // Kernel rows/columns wholly in the padding are skipped in bulk (g.window), so
                // a huge claimed kernel costs nothing; the test below still guards each index.
                let ((ky0, ky1), (kx0, kx1)) = (g.window(0, oy), g.window(1, ox));
                for ky in ky0..ky1 {
                    for kx in kx0..kx1 {
                        let iy = (oy * g.stride.0 + ky) as isize - g.padding.0 as isize;
                        let ix = (ox * g.stride.1 + kx) as isize - g.padding.1 as isize;
                        if iy < 0 || ix < 0 || iy as usize >= g.h || ix as usize >= g.w {
                            continue;
                        }
                        let v = x[(plane * g.h + iy as usize) * g.w + ix as usize];
                        if takes(v, max) {
                            max = v;
                        }
                    }
                }
                out.push(max);
            }
        }
    }
    out
}

/// [`max_pool2d_with`] for f32, as aten's CPU kernel compares.
pub fn max_pool2d_f32(x: &[f32], g: &MaxPool2dGeom, oh: usize, ow: usize) -> Vec<f32> {
    max_pool2d_with(x, g, oh, ow, f32::NEG_INFINITY, |v, m| v > m || v.is_nan())
}

/// [`max_pool2d_with`] for quint8 codes.
pub fn max_pool2d_u8(x: &[u8], g: &MaxPool2dGeom, oh: usize, ow: usize) -> Vec<u8> {
    max_pool2d_with(x, g, oh, ow, u8::MIN, |v, m| v > m)
}

/// [`max_pool2d_with`] for qint8 codes.
pub fn max_pool2d_i8(x: &[i8], g: &MaxPool2dGeom, oh: usize, ow: usize) -> Vec<i8> {
    max_pool2d_with(x, g, oh, ow, i8::MIN, |v, m| v > m)
}
