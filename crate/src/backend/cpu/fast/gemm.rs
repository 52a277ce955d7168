//! CPU fast paths for the GEMMs, where the time goes. Each is parity-tested against the plain
//! loops in `reference/` by running every shared test body on [`super::CpuFast`].
//!
//! - f32: matrixmultiply's sgemm (packed, cache-blocked micro-kernels; runtime-detected AVX,
//!   FMA and AVX-512 natively, simd128 in wasm), one thread. Its blocking changes the order of
//!   the additions and may fuse them, so it agrees with the reference within
//!   `parity::F32_MATMUL`, like the GPU.
//! - int8: the Linear's accumulators from 4×2-blocked i16 micro-kernels (`int8_kernels/`):
//!   AVX-512 VNNI or AVX2 natively (chosen at run time), simd128 in wasm. Integer sums are
//!   exact, so codes are bit-identical to the reference.
//! - f16 (autocast's backward GEMMs): an AVX-512 kernel that keeps the reference's summation
//!   order, so it is bit-identical too (`f16_gemm.rs`).

/// `op(A) · op(B)` with shapes as `reference::matmul_t`, via matrixmultiply's sgemm.
pub fn matmul_t(a: &[f32], b: &[f32], m: usize, k: usize, n: usize, ta: bool, tb: bool) -> Vec<f32> {
    if m == 0 || n == 0 || k == 0 {
        return vec![0.0f32; m * n];
    }
    // Not zero-filled: with beta = 0 sgemm writes every element of C without reading it
    // (matrixmultiply's documented contract), so the length is set after the call.
    let mut c: Vec<f32> = Vec::with_capacity(m * n);
    // Element (i, p) of op(A) is a[i·rsa + p·csa]; likewise for B.
    let (rsa, csa) = if ta { (1, m as isize) } else { (k as isize, 1) };
    let (rsb, csb) = if tb { (1, k as isize) } else { (n as isize, 1) };
    assert!(a.len() >= m * k && b.len() >= k * n, "shapes are checked by the caller");
    // SAFETY: the strides above address exactly the m·k and k·n elements of `a` and `b`
    // (lengths asserted), and `c` has capacity for m·n elements with row stride n, all written
    // by sgemm (beta = 0) before `set_len`.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            rsa,
            csa,
            b.as_ptr(),
            rsb,
            csb,
            0.0,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
        c.set_len(m * n);
    }
    c
}

/// The quantized Linear's accumulators, `Σ_p (x[i][p] − x_zp)(w[j][p] − w_zp[j])` in wrapping
/// int32 (= `quant::linear::accumulate`). Shapes: x (m, k) uint8 codes, w (n, k) int8 codes
/// → (m, n). See `int8_kernels.rs`.
pub fn qlinear_accumulate(x: &[u8], w: &[i32], m: usize, k: usize, n: usize, x_zp: i32, w_zps: &[i32]) -> Vec<i32> {
    super::int8_kernels::accumulate(x, w, m, k, n, x_zp, w_zps)
}
