//! The CPU fast path, [`CpuFast`]: SIMD where the time goes, the reference everywhere else.
//!
//! - f32 GEMMs: matrixmultiply's sgemm (`gemm.rs`); its blocking reorders the additions, so it
//!   agrees with the reference within `parity::F32_MATMUL`, like the GPU.
//! - int8 GEMM: AVX-512 VNNI / AVX2 / wasm simd128 micro-kernels (`int8_kernels/`); integer sums
//!   are exact, so codes equal the reference's bit for bit.
//! - f16 GEMM and casts: an AVX-512 kernel keeping the reference's summation order, F16C
//!   conversions (`f16_gemm.rs`); bit-identical.
//! - optimizer steps: the reference's loops compiled with FMA (`simd.rs`); bit-identical.
//! - max pooling: windows clamped once per row and column (`pool.rs`); bit-identical.
//!
//! Every other op delegates to [`CpuReference`], so the two share validation and arithmetic
//! only where the fast path adds nothing. All of the crate's SIMD and `unsafe` code is under this
//! folder. Features are detected at run time; a CPU without them runs the portable code.

pub mod f16_gemm;
pub mod gemm;
pub mod int8_kernels;
mod observe;
mod pool;
pub mod simd;

use super::reference::CpuReference;
use super::tensor::{codes_of, tensor, CpuTensor};
use crate::backend::prelude::*;
use crate::backend::{
    bias_dims, check_cast, check_matmul_f16, check_qlinear, matmul_t_dims, BackendKind, Capabilities, Conv2dGeom,
    DType, HasShape, HostData,
};
use crate::rules::error::Result;
use crate::rules::optim::{AdamConfig, SgdConfig};
use crate::rules::scaler::ScalerConfig;
use crate::rules::{QLinearSpec, QParams};

/// The CPU fast path. Stateless; cheap to create.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuFast;

const R: CpuReference = CpuReference;

impl TensorOps for CpuFast {
    type Tensor = CpuTensor;

    fn capabilities(&self) -> Capabilities {
        Capabilities::cpu(BackendKind::Cpu, int8_kernels::has_simd())
    }

    fn copy(&self, x: &CpuTensor) -> Result<CpuTensor> {
        R.copy(x)
    }

    fn upload_data(&self, data: HostData, shape: &[usize]) -> Result<CpuTensor> {
        R.upload_data(data, shape)
    }

    async fn read_data(&self, t: &CpuTensor) -> Result<HostData> {
        R.read_data(t).await
    }

    fn reshape(&self, x: &CpuTensor, shape: &[usize]) -> Result<CpuTensor> {
        R.reshape(x, shape)
    }
}

impl FloatOps for CpuFast {
    /// The GEMM, then bias add and ReLU in one in-place pass with the same f32 operations as
    /// `bias_add` and `relu` (so the same bits as the default), compiled with AVX2 where present.
    fn linear(&self, x: &CpuTensor, w: &CpuTensor, bias: Option<&CpuTensor>, relu: bool) -> Result<CpuTensor> {
        let (m, k, n) = matmul_t_dims(x.shape(), w.shape(), false, true)?;
        let mut y = gemm::matmul_t(x.f32s("linear")?, w.f32s("linear")?, m, k, n, false, true);
        let bias = match bias {
            Some(b) => {
                bias_dims(&[m, n], b.shape())?;
                Some(b.f32s("linear")?)
            }
            None => None,
        };
        simd::bias_relu_in_place(&mut y, n, bias, relu);
        Ok(tensor(&[m, n], HostData::F32(y)))
    }

    fn matmul_t(&self, a: &CpuTensor, b: &CpuTensor, ta: bool, tb: bool) -> Result<CpuTensor> {
        let (m, k, n) = matmul_t_dims(a.shape(), b.shape(), ta, tb)?;
        let c = gemm::matmul_t(a.f32s("matmul_t")?, b.f32s("matmul_t")?, m, k, n, ta, tb);
        Ok(tensor(&[m, n], HostData::F32(c)))
    }

    fn bias_add(&self, x: &CpuTensor, bias: &CpuTensor) -> Result<CpuTensor> {
        R.bias_add(x, bias)
    }

    fn relu(&self, x: &CpuTensor) -> Result<CpuTensor> {
        R.relu(x)
    }

    fn relu_backward(&self, grad: &CpuTensor, x: &CpuTensor) -> Result<CpuTensor> {
        R.relu_backward(grad, x)
    }

    fn add(&self, a: &CpuTensor, b: &CpuTensor) -> Result<CpuTensor> {
        R.add(a, b)
    }

    fn mul(&self, a: &CpuTensor, b: &CpuTensor) -> Result<CpuTensor> {
        R.mul(a, b)
    }

    fn scale(&self, x: &CpuTensor, s: f32) -> Result<CpuTensor> {
        R.scale(x, s)
    }

    fn sum(&self, x: &CpuTensor) -> Result<CpuTensor> {
        R.sum(x)
    }

    fn sum_rows(&self, x: &CpuTensor) -> Result<CpuTensor> {
        R.sum_rows(x)
    }

    fn cross_entropy(&self, logits: &CpuTensor, labels: &CpuTensor) -> Result<(CpuTensor, CpuTensor)> {
        R.cross_entropy(logits, labels)
    }

    fn channel_affine(&self, x: &CpuTensor, alpha: &CpuTensor, beta: &CpuTensor) -> Result<CpuTensor> {
        R.channel_affine(x, alpha, beta)
    }
}

impl LayoutOps for CpuFast {
    fn im2col(&self, x: &CpuTensor, g: &Conv2dGeom, pad: f32) -> Result<CpuTensor> {
        R.im2col(x, g, pad)
    }

    fn col2im(&self, cols: &CpuTensor, g: &Conv2dGeom) -> Result<CpuTensor> {
        R.col2im(cols, g)
    }

    fn rows_to_nchw(&self, x: &CpuTensor, n: usize, h: usize, w: usize) -> Result<CpuTensor> {
        R.rows_to_nchw(x, n, h, w)
    }

    fn nchw_to_rows(&self, x: &CpuTensor) -> Result<CpuTensor> {
        R.nchw_to_rows(x)
    }

    fn max_pool2d(&self, x: &CpuTensor, g: &crate::backend::MaxPool2dGeom) -> Result<CpuTensor> {
        let shape = crate::backend::pool::check_max_pool2d(x, g)?;
        let (oh, ow) = (shape[2], shape[3]);
        let data = match x.data() {
            HostData::F32(v) => {
                HostData::F32(pool::max_pool2d(v, g, oh, ow, f32::NEG_INFINITY, |v, m| v > m || v.is_nan()))
            }
            HostData::U8(v) => HostData::U8(pool::max_pool2d(v, g, oh, ow, u8::MIN, |v, m| v > m)),
            HostData::I8(v) => HostData::I8(pool::max_pool2d(v, g, oh, ow, i8::MIN, |v, m| v > m)),
            _ => unreachable!("dtype checked by check_max_pool2d"),
        };
        Ok(tensor(&shape, data))
    }
}

impl DTypeOps for CpuFast {
    fn cast(&self, x: &CpuTensor, to: DType) -> Result<CpuTensor> {
        check_cast(x.dtype(), to)?;
        match (x.data(), to) {
            (HostData::F32(v), DType::F16) => Ok(tensor(x.shape(), HostData::F16(f16_gemm::f32_to_f16(v)))),
            (HostData::F16(v), DType::F32) => Ok(tensor(x.shape(), HostData::F32(f16_gemm::f16_to_f32(v)))),
            _ => R.cast(x, to),
        }
    }

    fn matmul_f16(&self, a: &CpuTensor, b: &CpuTensor, ta: bool, tb: bool) -> Result<CpuTensor> {
        let (m, k, n) = check_matmul_f16(a, b, ta, tb)?;
        let (HostData::F16(av), HostData::F16(bv)) = (a.data(), b.data()) else { unreachable!("dtype checked") };
        Ok(tensor(&[m, n], HostData::F16(f16_gemm::matmul_f16(av, bv, m, k, n, ta, tb))))
    }
}

impl QuantOps for CpuFast {
    fn quantize(&self, x: &CpuTensor, q: &QParams) -> Result<CpuTensor> {
        R.quantize(x, q)
    }

    fn dequantize(&self, codes: &CpuTensor, q: &QParams) -> Result<CpuTensor> {
        R.dequantize(codes, q)
    }

    fn quantized_linear(&self, x: &CpuTensor, w: &CpuTensor, spec: &QLinearSpec) -> Result<CpuTensor> {
        let (m, k, n) = check_qlinear(x, w, spec)?;
        let r = spec.requant(n);
        let HostData::U8(xu) = x.data() else { unreachable!("dtype checked by check_qlinear") };
        let acc = gemm::qlinear_accumulate(xu, &codes_of(w.data()), m, k, n, spec.x_zero_point, &r.w_zero_points);
        Ok(tensor(&[m, n], HostData::U8(crate::rules::qlinear::requantize_all(&acc, n, &r))))
    }

    fn quantized_relu(&self, codes: &CpuTensor, zero_point: i32) -> Result<CpuTensor> {
        R.quantized_relu(codes, zero_point)
    }

    fn quantized_channel_lut(&self, codes: &CpuTensor, table: &CpuTensor) -> Result<CpuTensor> {
        R.quantized_channel_lut(codes, table)
    }

    fn fake_quantize(
        &self,
        x: &CpuTensor,
        q: &QParams,
        quant_min: i32,
        quant_max: i32,
    ) -> Result<(CpuTensor, CpuTensor)> {
        R.fake_quantize(x, q, quant_min, quant_max)
    }

    fn min_max(&self, x: &CpuTensor) -> Result<CpuTensor> {
        R.min_max(x)
    }

    fn quantized_linear_float(
        &self,
        x: &CpuTensor,
        w: &CpuTensor,
        x_q: &QParams,
        w_q: &QParams,
        bias: Option<&[f32]>,
    ) -> Result<CpuTensor> {
        R.quantized_linear_float(x, w, x_q, w_q, bias)
    }
}

/// The optimizer steps are the reference's validation with its loops compiled with FMA
/// ([`simd::sgd_step`], [`simd::adam_step_with`]): the element rules are `f32::mul_add` chains,
/// which then become FMA instructions instead of libm calls (same exactly rounded results).
impl OptimOps for CpuFast {
    fn sgd_step(
        &self,
        p: &mut CpuTensor,
        grad: &CpuTensor,
        buf: &mut CpuTensor,
        cfg: &SgdConfig,
        first: bool,
        skip_if: Option<&CpuTensor>,
    ) -> Result<()> {
        crate::backend::cpu::reference::sgd_with(p, grad, buf, cfg, first, skip_if, simd::sgd_step)
    }

    fn adam_step(
        &self,
        p: &mut CpuTensor,
        grad: &CpuTensor,
        m: &mut CpuTensor,
        v: &mut CpuTensor,
        cfg: &AdamConfig,
        step: u32,
        skip_if: Option<&CpuTensor>,
    ) -> Result<()> {
        crate::backend::cpu::reference::adam_with(p, grad, m, v, cfg, step, skip_if, simd::adam_step_with)
    }

    fn adam_step_counted(
        &self,
        p: &mut CpuTensor,
        grad: &CpuTensor,
        m: &mut CpuTensor,
        v: &mut CpuTensor,
        cfg: &AdamConfig,
        table: &CpuTensor,
        count: &CpuTensor,
        skip_if: Option<&CpuTensor>,
    ) -> Result<()> {
        crate::backend::cpu::reference::adam_counted_with(
            p,
            grad,
            m,
            v,
            cfg,
            table,
            count,
            skip_if,
            simd::adam_step_with,
        )
    }
}

impl AmpOps for CpuFast {
    fn amp_unscale(
        &self,
        grads: &mut [&mut CpuTensor],
        inv_scale: &CpuTensor,
        found_inf: &mut CpuTensor,
    ) -> Result<()> {
        R.amp_unscale(grads, inv_scale, found_inf)
    }

    fn amp_inv_scale(&self, scale: &CpuTensor) -> Result<CpuTensor> {
        R.amp_inv_scale(scale)
    }

    fn amp_update_scale(
        &self,
        scale: &mut CpuTensor,
        growth_tracker: &mut CpuTensor,
        found_inf: &CpuTensor,
        cfg: &ScalerConfig,
    ) -> Result<()> {
        R.amp_update_scale(scale, growth_tracker, found_inf, cfg)
    }
}
