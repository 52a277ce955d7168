//! The CPU reference backend: plain loops, written to be obviously correct. It is the oracle the
//! GPU backend (and, later, the SIMD fast paths) are tested against, so it favours clarity over
//! speed and fixes the summation order (`p = 0..k`, left to right, no FMA contraction: Rust never
//! fuses `a * b + c` on its own).
//!
//! Not here: fast paths. They will live beside this file and be parity-tested against it.

use super::{bias_dims, check_upload, matmul_dims, same_shape, Backend, HasShape};
use crate::error::Result;

/// A dense, row-major f32 tensor in host memory.
#[derive(Debug, Clone, PartialEq)]
pub struct CpuTensor {
    shape: Vec<usize>,
    data: Vec<f32>,
}

impl CpuTensor {
    /// The values, row-major.
    pub fn data(&self) -> &[f32] {
        &self.data
    }
}

impl HasShape for CpuTensor {
    fn shape(&self) -> &[usize] {
        &self.shape
    }
}

/// The reference backend. Stateless; cheap to create.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuBackend;

impl CpuBackend {
    /// A new CPU reference backend.
    pub fn new() -> Self {
        CpuBackend
    }
}

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
    x.iter().enumerate().map(|(i, &v)| v + bias[i % n]).collect()
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

fn tensor(shape: &[usize], data: Vec<f32>) -> CpuTensor {
    CpuTensor { shape: shape.to_vec(), data }
}

impl Backend for CpuBackend {
    type Tensor = CpuTensor;

    fn name(&self) -> &'static str {
        "cpu"
    }

    fn upload(&self, data: &[f32], shape: &[usize]) -> Result<CpuTensor> {
        check_upload(data, shape)?;
        Ok(tensor(shape, data.to_vec()))
    }

    async fn read(&self, t: &CpuTensor) -> Result<Vec<f32>> {
        Ok(t.data.clone())
    }

    fn matmul(&self, a: &CpuTensor, b: &CpuTensor) -> Result<CpuTensor> {
        let (m, k, n) = matmul_dims(&a.shape, &b.shape)?;
        Ok(tensor(&[m, n], matmul(&a.data, &b.data, m, k, n)))
    }

    fn bias_add(&self, x: &CpuTensor, bias: &CpuTensor) -> Result<CpuTensor> {
        let (_, n) = bias_dims(&x.shape, &bias.shape)?;
        Ok(tensor(&x.shape, bias_add(&x.data, &bias.data, n)))
    }

    fn relu(&self, x: &CpuTensor) -> Result<CpuTensor> {
        Ok(tensor(&x.shape, relu(&x.data)))
    }

    fn add(&self, a: &CpuTensor, b: &CpuTensor) -> Result<CpuTensor> {
        same_shape("add", &a.shape, &b.shape)?;
        Ok(tensor(&a.shape, add(&a.data, &b.data)))
    }

    fn mul(&self, a: &CpuTensor, b: &CpuTensor) -> Result<CpuTensor> {
        same_shape("mul", &a.shape, &b.shape)?;
        Ok(tensor(&a.shape, mul(&a.data, &b.data)))
    }
}
