//! The CPU reference backend: plain loops, written to be obviously correct. It is the oracle the
//! GPU backend (and, later, the SIMD fast paths) are tested against, so it favours clarity over
//! speed and fixes the summation order (`p = 0..k`, left to right, no FMA contraction: Rust never
//! fuses `a * b + c` on its own). Casts and quantization call the pure numerics in
//! `crate::cast` and `crate::quant::affine`.
//!
//! Not here: fast paths. They will live beside this file and be parity-tested against it.

use super::{bias_dims, check_cast, check_dequantize, check_qlinear, check_quantize, check_upload, expect_dtype, matmul_dims, same_shape};
use super::{Backend, DType, HasShape, HostData};
use crate::error::Result;
use crate::quant::{affine, linear, QLinearSpec, QParams};

/// A dense, row-major tensor in host memory.
#[derive(Debug, Clone, PartialEq)]
pub struct CpuTensor {
    shape: Vec<usize>,
    data: HostData,
}

impl CpuTensor {
    /// The values, row-major.
    pub fn data(&self) -> &HostData {
        &self.data
    }

    fn f32s(&self, op: &'static str) -> Result<&[f32]> {
        expect_dtype(op, self, DType::F32)?;
        match &self.data {
            HostData::F32(v) => Ok(v),
            _ => unreachable!("dtype checked"),
        }
    }
}

impl HasShape for CpuTensor {
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn dtype(&self) -> DType {
        self.data.dtype()
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

/// f32 → f16 with torch's rounding (`crate::cast::f32_to_f16_bits`).
pub fn f32_to_f16(x: &[f32]) -> Vec<half::f16> {
    x.iter().map(|&v| crate::cast::f32_to_f16(v)).collect()
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

fn codes_of(data: &HostData) -> Vec<i32> {
    match data {
        HostData::I8(v) => v.iter().map(|&c| c as i32).collect(),
        HostData::U8(v) => v.iter().map(|&c| c as i32).collect(),
        _ => unreachable!("dtype checked by check_dequantize / check_qlinear"),
    }
}

fn tensor(shape: &[usize], data: HostData) -> CpuTensor {
    CpuTensor { shape: shape.to_vec(), data }
}

impl Backend for CpuBackend {
    type Tensor = CpuTensor;

    fn name(&self) -> &'static str {
        "cpu"
    }

    fn upload_data(&self, data: HostData, shape: &[usize]) -> Result<CpuTensor> {
        check_upload(data.len(), shape)?;
        Ok(tensor(shape, data))
    }

    async fn read_data(&self, t: &CpuTensor) -> Result<HostData> {
        Ok(t.data.clone())
    }

    fn matmul(&self, a: &CpuTensor, b: &CpuTensor) -> Result<CpuTensor> {
        let (m, k, n) = matmul_dims(&a.shape, &b.shape)?;
        Ok(tensor(&[m, n], HostData::F32(matmul(a.f32s("matmul")?, b.f32s("matmul")?, m, k, n))))
    }

    fn bias_add(&self, x: &CpuTensor, bias: &CpuTensor) -> Result<CpuTensor> {
        let (_, n) = bias_dims(&x.shape, &bias.shape)?;
        Ok(tensor(&x.shape, HostData::F32(bias_add(x.f32s("bias_add")?, bias.f32s("bias_add")?, n))))
    }

    fn relu(&self, x: &CpuTensor) -> Result<CpuTensor> {
        Ok(tensor(&x.shape, HostData::F32(relu(x.f32s("relu")?))))
    }

    fn add(&self, a: &CpuTensor, b: &CpuTensor) -> Result<CpuTensor> {
        same_shape("add", &a.shape, &b.shape)?;
        Ok(tensor(&a.shape, HostData::F32(add(a.f32s("add")?, b.f32s("add")?))))
    }

    fn mul(&self, a: &CpuTensor, b: &CpuTensor) -> Result<CpuTensor> {
        same_shape("mul", &a.shape, &b.shape)?;
        Ok(tensor(&a.shape, HostData::F32(mul(a.f32s("mul")?, b.f32s("mul")?))))
    }

    fn cast(&self, x: &CpuTensor, to: DType) -> Result<CpuTensor> {
        check_cast(x.dtype(), to)?;
        let data = match (&x.data, to) {
            (d, to) if d.dtype() == to => d.clone(),
            (HostData::F32(v), DType::F16) => HostData::F16(f32_to_f16(v)),
            (HostData::F32(v), DType::BF16) => HostData::BF16(v.iter().map(|&x| crate::cast::f32_to_bf16(x)).collect()),
            (HostData::F16(v), DType::F32) => HostData::F32(f16_to_f32(v)),
            (HostData::BF16(v), DType::F32) => HostData::F32(v.iter().map(|x| x.to_f32()).collect()),
            _ => unreachable!("check_cast lists the supported pairs"),
        };
        Ok(tensor(&x.shape, data))
    }

    fn quantize(&self, x: &CpuTensor, q: &QParams) -> Result<CpuTensor> {
        check_quantize(x, q)?;
        let codes = quantize(x.f32s("quantize")?, &x.shape, q);
        let data = match q.dtype().code_dtype() {
            DType::I8 => HostData::I8(codes.iter().map(|&c| c as i8).collect()),
            _ => HostData::U8(codes.iter().map(|&c| c as u8).collect()),
        };
        Ok(tensor(&x.shape, data))
    }

    fn dequantize(&self, codes: &CpuTensor, q: &QParams) -> Result<CpuTensor> {
        check_dequantize(codes, q)?;
        Ok(tensor(&codes.shape, HostData::F32(dequantize(&codes_of(&codes.data), &codes.shape, q))))
    }

    fn quantized_linear(&self, x: &CpuTensor, w: &CpuTensor, spec: &QLinearSpec) -> Result<CpuTensor> {
        let (m, k, n) = check_qlinear(x, w, spec)?;
        let y = quantized_linear(&codes_of(&x.data), &codes_of(&w.data), m, k, n, spec);
        Ok(tensor(&[m, n], HostData::U8(y)))
    }
}
