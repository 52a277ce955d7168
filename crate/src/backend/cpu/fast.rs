//! CPU fast paths for the GEMMs, where the time goes. Each is parity-tested against the plain
//! loops in `reference.rs` by running every shared test body on `CpuBackend::fast()`.
//!
//! - f32: matrixmultiply's sgemm (packed, cache-blocked micro-kernels; runtime-detected AVX,
//!   FMA and AVX-512 natively, simd128 in wasm), one thread. Its blocking changes the order of
//!   the additions and may fuse them, so it agrees with the reference within
//!   `parity::F32_MATMUL`, like the GPU.
//! - int8: the Linear's accumulators as i16·i16 → i32 dot products of the zero-point-shifted
//!   codes (|x − x_zp|, |w − w_zp| ≤ 255 fit i16), which LLVM turns into vpmaddwd (AVX-512 BW or AVX2, chosen at run time) or i32x4.dot_i16x8 (wasm
//!   simd128). Integer sums are exact, so codes are
//!   bit-identical to the reference. AVX-512 VNNI (vpdpbusd) is not used yet.

/// `op(A) · op(B)` with shapes as `reference::matmul_t`, via matrixmultiply's sgemm.
pub fn matmul_t(a: &[f32], b: &[f32], m: usize, k: usize, n: usize, ta: bool, tb: bool) -> Vec<f32> {
    let mut c = vec![0.0f32; m * n];
    if m == 0 || n == 0 || k == 0 {
        return c;
    }
    // Element (i, p) of op(A) is a[i·rsa + p·csa]; likewise for B.
    let (rsa, csa) = if ta { (1, m as isize) } else { (k as isize, 1) };
    let (rsb, csb) = if tb { (1, k as isize) } else { (n as isize, 1) };
    assert!(a.len() >= m * k && b.len() >= k * n, "shapes are checked by the caller");
    // SAFETY: the strides above address exactly the m·k and k·n elements of `a` and `b`
    // (lengths asserted), and `c` holds m·n elements with row stride n.
    unsafe {
        matrixmultiply::sgemm(m, k, n, 1.0, a.as_ptr(), rsa, csa, b.as_ptr(), rsb, csb, 0.0, c.as_mut_ptr(), n as isize, 1);
    }
    c
}

/// The quantized Linear's accumulators, `Σ_p (x[i][p] − x_zp)(w[j][p] − w_zp[j])` in wrapping
/// int32 (= `quant::linear::accumulate`). Shapes: x (m, k) codes, w (n, k) codes → (m, n).
pub fn qlinear_accumulate(x: &[i32], w: &[i32], m: usize, k: usize, n: usize, x_zp: i32, w_zps: &[i32]) -> Vec<i32> {
    let xs: Vec<i16> = x.iter().map(|&v| (v - x_zp) as i16).collect();
    let ws: Vec<i16> = w.iter().enumerate().map(|(idx, &v)| (v - w_zps[idx / k.max(1)]) as i16).collect();
    let mut acc = vec![0i32; m * n];
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512bw") {
            // SAFETY: AVX-512 BW (which implies AVX-512 F) was detected at run time.
            unsafe { accumulate_avx512(&xs, &ws, k, n, &mut acc) };
            return acc;
        }
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2 was detected at run time just above.
            unsafe { accumulate_avx2(&xs, &ws, k, n, &mut acc) };
            return acc;
        }
    }
    accumulate(&xs, &ws, k, n, &mut acc);
    acc
}

#[inline(always)]
fn dot_i16(a: &[i16], b: &[i16]) -> i32 {
    a.iter().zip(b).fold(0i32, |s, (&x, &y)| s.wrapping_add(x as i32 * y as i32))
}

#[inline(always)]
fn accumulate(xs: &[i16], ws: &[i16], k: usize, n: usize, acc: &mut [i32]) {
    if k == 0 {
        return;
    }
    for (i, row) in acc.chunks_mut(n).enumerate() {
        let xr = &xs[i * k..(i + 1) * k];
        for (j, out) in row.iter_mut().enumerate() {
            *out = dot_i16(xr, &ws[j * k..(j + 1) * k]);
        }
    }
}

/// [`accumulate`] compiled with AVX-512 BW enabled (32 i16 lanes per vpmaddwd).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn accumulate_avx512(xs: &[i16], ws: &[i16], k: usize, n: usize, acc: &mut [i32]) {
    accumulate(xs, ws, k, n, acc)
}

/// [`accumulate`] compiled with AVX2 enabled, so the dot product becomes pmaddwd.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn accumulate_avx2(xs: &[i16], ws: &[i16], k: usize, n: usize, acc: &mut [i32]) {
    accumulate(xs, ws, k, n, acc)
}
