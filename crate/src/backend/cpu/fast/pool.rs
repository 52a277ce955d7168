//! The fast path's `max_pool2d`: the window clamped to the input once per output row and
//! column (no per-element padding test), rows read as slices. Same values in the same (ky, kx)
//! order as the reference (`cpu/reference/pool.rs`), so the result is bit-identical, NaN
//! payloads included.
//!
//! Not here: validation (`backend/pool.rs`), SIMD (the windows are small; the cost is the
//! bounds tests this removes).

use crate::backend::MaxPool2dGeom;

/// `[start, end)` of the input positions window `o` covers along `axis` (0 rows, 1 columns).
fn span(g: &MaxPool2dGeom, axis: usize, o: usize) -> (usize, usize) {
    let (s, p) = if axis == 0 { (g.stride.0, g.padding.0) } else { (g.stride.1, g.padding.1) };
    let (lo, hi) = g.window(axis, o);
    let first = o as i128 * s as i128 - p as i128;
    ((first + lo as i128) as usize, (first + hi as i128) as usize)
}

/// Max pooling of x `(n, c, h, w)` → `(n, c, oh, ow)`, each output from `lowest` taking `v`
/// when `takes(v, max)`, as [`crate::backend::cpu::reference::max_pool2d_with`].
pub fn max_pool2d<T: Copy>(
    x: &[T],
    g: &MaxPool2dGeom,
    oh: usize,
    ow: usize,
    lowest: T,
    takes: impl Fn(T, T) -> bool,
) -> Vec<T> {
    let rows: Vec<_> = (0..oh).map(|o| span(g, 0, o)).collect();
    let cols: Vec<_> = (0..ow).map(|o| span(g, 1, o)).collect();
    let mut out = Vec::with_capacity(g.n * g.c * oh * ow);
    for plane in x.chunks_exact(g.h * g.w).take(g.n * g.c) {
        for &(y0, y1) in &rows {
            for &(x0, x1) in &cols {
                let mut max = lowest;
                for row in plane[y0 * g.w..y1 * g.w].chunks_exact(g.w) {
                    for &v in &row[x0..x1] {
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
