//! The CPU reference arithmetic for inference ops: matmul, bias add, relu, add, mul, f16 casts,
//! quantize / dequantize and the quantized Linear. Plain loops over slices; each function is the
//! CPU twin a WGSL kernel names in its header.

use crate::rules::{affine, qlinear as linear, QLinearSpec, QParams};

/// `c[i][j] = Σ_p a[i][p] · b[p][j]`, p ascending. Shapes: a (m, k), b (k, n) → (m, n).
/// Source: the definition of `torch.mm`; with k = 0 the result is all zeros, as in torch.
pub fn matmul(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
    let mut c = vec![0.0f32; m * n];
    for i in 0..m {
        for j in 0..n {
            let mut acc = 0.0f32;
            for p in 0..k {
                acc += a[i * k + p] * b[p * n + j];
            }
            c[i * n + j] = acc;
        }
    }
    c
}

/// `y[r][j] = x[r][j] + bias[j]`. Shapes: x (rows, n), bias (n,) → (rows, n).
pub fn bias_add(x: &[f32], bias: &[f32], n: usize) -> Vec<f32> {
    // Row by row (the same sums as `x[i] + bias[i % n]`, without a division per element).
    let mut out = Vec::with_capacity(x.len());
    for row in x.chunks(n.max(1)) {
        out.extend(row.iter().zip(bias).map(|(&v, &b)| v + b));
    }
    out
}

/// `max(x, 0)`, keeping NaN as NaN like `torch.relu` (`clamp_min(0)` propagates NaN).
pub fn relu(x: &[f32]) -> Vec<f32> {
    x.iter().map(|&v| if v.is_nan() || v > 0.0 { v } else { 0.0 }).collect()
}

/// `a + b` element-wise.
pub fn add(a: &[f32], b: &[f32]) -> Vec<f32> {
    a.iter().zip(b).map(|(x, y)| x + y).collect()
}

/// `a * b` element-wise.
pub fn mul(a: &[f32], b: &[f32]) -> Vec<f32> {
    a.iter().zip(b).map(|(x, y)| x * y).collect()
}

/// f32 → f16 with torch's rounding (`crate::rules::cast::f32_to_f16_bits`).
pub fn f32_to_f16(x: &[f32]) -> Vec<half::f16> {
    x.iter().map(|&v| crate::rules::cast::f32_to_f16(v)).collect()
}

/// `op(A) · op(B)` on f16 operands with f32 accumulation (p ascending) and the result rounded
/// to f16, as autocast's f16 matmul; shapes as [`super::matmul_t`]. Products of two f16 values
/// are exact in f32, so only the order of the additions matters.
pub fn matmul_f16(
    a: &[half::f16],
    b: &[half::f16],
    m: usize,
    k: usize,
    n: usize,
    ta: bool,
    tb: bool,
) -> Vec<half::f16> {
    let (a32, b32) = (f16_to_f32(a), f16_to_f32(b));
    super::matmul_t(&a32, &b32, m, k, n, ta, tb).into_iter().map(crate::rules::cast::f32_to_f16).collect()
}

/// f16 → f32, exact.
pub fn f16_to_f32(x: &[half::f16]) -> Vec<f32> {
    x.iter().map(|v| v.to_f32()).collect()
}

/// Flat codes of `x` (shape `shape`) under `q`, as i32 (`quant::affine::quantize_val`).
pub fn quantize(x: &[f32], shape: &[usize], q: &QParams) -> Vec<i32> {
    let dtype = q.dtype();
    x.iter()
        .enumerate()
        .map(|(i, &v)| {
            let (scale, zp) = q.at(shape, i);
            affine::quantize_val(v, scale, zp, dtype)
        })
        .collect()
}

/// Flat values of `codes` (shape `shape`) under `q` (`quant::affine::dequantize_val`).
pub fn dequantize(codes: &[i32], shape: &[usize], q: &QParams) -> Vec<f32> {
    codes
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let (scale, zp) = q.at(shape, i);
            affine::dequantize_val(c, scale, zp)
        })
        .collect()
}

/// Output codes of `torch.ops.quantized.linear(_relu)` (`quant::linear`). Shapes: x (m, k)
/// uint8 codes, w (n, k) int8 codes → (m, n).
pub fn quantized_linear(x: &[i32], w: &[i32], m: usize, k: usize, n: usize, spec: &QLinearSpec) -> Vec<u8> {
    let r = spec.requant(n);
    let acc = linear::accumulate(x, w, m, k, n, spec.x_zero_point, &r.w_zero_points);
    acc.iter().enumerate().map(|(o, &a)| linear::requantize(a, o % n, &r) as u8).collect()
}
