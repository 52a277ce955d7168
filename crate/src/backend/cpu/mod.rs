//! The CPU reference backend: plain loops, written to be obviously correct. It is the oracle the
//! GPU backend (and, later, the SIMD fast paths) are tested against, so it favours clarity over
//! speed and fixes the summation order (`p = 0..k`, left to right, no FMA contraction: Rust never
//! fuses `a * b + c` on its own). Casts and quantization call the pure numerics in
//! `crate::rules::cast` and `crate::rules::affine`.
//!
//! This file holds the tensor type and the [`Backend`] impl, which validates and delegates; the
//! arithmetic is in `reference.rs` (inference ops) and `train.rs` (training ops), where each
//! WGSL kernel's header points.
//!
//! Not here: fast paths. They will live beside these files and be parity-tested against them.

mod conv;
pub mod f16_gemm;
pub mod fast;
pub mod int8_kernels;
mod reference;
mod train;

pub use conv::*;
pub use reference::*;
pub use train::*;

use super::{
    bias_dims, check_cast, check_dequantize, check_qlinear, check_quantize, check_step, check_upload,
    cross_entropy_dims,
};
use super::{check_matmul_f16, check_scalar, expect_dtype, matmul_dims, matmul_t_dims, same_shape};
use super::{Backend, DType, HasShape, HostData};
use crate::rules::error::Error;
use crate::rules::error::Result;
use crate::rules::optim::{AdamConfig, SgdConfig};
use crate::rules::scaler::ScalerConfig;
use crate::rules::{QLinearSpec, QParams};

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

    fn f32s_mut(&mut self) -> &mut [f32] {
        match &mut self.data {
            HostData::F32(v) => v,
            _ => unreachable!("dtype checked by check_step"),
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

/// The CPU backend: the plain-loop reference ([`CpuBackend::new`], the oracle), or the same
/// with SIMD GEMMs ([`CpuBackend::fast`], see `fast.rs`). Stateless; cheap to create.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuBackend {
    fast: bool,
}

impl CpuBackend {
    /// The reference: every op as plain loops.
    pub fn new() -> Self {
        CpuBackend { fast: false }
    }

    /// The fast path: SIMD, cache-blocked GEMMs (f32, f16 and int8); every other op as the
    /// reference.
    pub fn fast() -> Self {
        CpuBackend { fast: true }
    }
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
        if self.fast {
            "cpu-fast"
        } else {
            "cpu"
        }
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
        let (av, bv) = (a.f32s("matmul")?, b.f32s("matmul")?);
        let c = if self.fast { fast::matmul_t(av, bv, m, k, n, false, false) } else { matmul(av, bv, m, k, n) };
        Ok(tensor(&[m, n], HostData::F32(c)))
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
            (HostData::F32(v), DType::F16) if self.fast => HostData::F16(f16_gemm::f32_to_f16(v)),
            (HostData::F16(v), DType::F32) if self.fast => HostData::F32(f16_gemm::f16_to_f32(v)),
            (HostData::F32(v), DType::F16) => HostData::F16(f32_to_f16(v)),
            (HostData::F32(v), DType::BF16) => {
                HostData::BF16(v.iter().map(|&x| crate::rules::cast::f32_to_bf16(x)).collect())
            }
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
        let y = if self.fast {
            let r = spec.requant(n);
            let HostData::U8(xu) = &x.data else { unreachable!("dtype checked by check_qlinear") };
            let acc = fast::qlinear_accumulate(xu, &codes_of(&w.data), m, k, n, spec.x_zero_point, &r.w_zero_points);
            crate::rules::qlinear::requantize_all(&acc, n, &r)
        } else {
            quantized_linear(&codes_of(&x.data), &codes_of(&w.data), m, k, n, spec)
        };
        Ok(tensor(&[m, n], HostData::U8(y)))
    }

    fn reshape(&self, x: &CpuTensor, shape: &[usize]) -> Result<CpuTensor> {
        super::conv::check_reshape(x, shape)?;
        Ok(tensor(shape, x.data.clone()))
    }

    fn im2col(&self, x: &CpuTensor, g: &super::Conv2dGeom, pad: f32) -> Result<CpuTensor> {
        let shape = super::conv::check_im2col(x, g, pad)?;
        let (oh, ow) = g.out_hw()?;
        let data = match &x.data {
            HostData::F32(v) => HostData::F32(gather(v, &im2col(g, oh, ow), pad)),
            HostData::U8(v) => HostData::U8(gather(v, &im2col(g, oh, ow), pad as u8)),
            _ => unreachable!("dtype checked by check_im2col"),
        };
        Ok(tensor(&shape, data))
    }

    fn col2im(&self, cols: &CpuTensor, g: &super::Conv2dGeom) -> Result<CpuTensor> {
        super::conv::check_col2im(cols, g)?;
        let (oh, ow) = g.out_hw()?;
        Ok(tensor(&g.input_shape(), HostData::F32(col2im(cols.f32s("col2im")?, g, oh, ow))))
    }

    fn rows_to_nchw(&self, x: &CpuTensor, n: usize, h: usize, w: usize) -> Result<CpuTensor> {
        let c = super::conv::check_rows_to_nchw(x, n, h, w)?;
        let data = match &x.data {
            HostData::F32(v) => HostData::F32(gather(v, &rows_to_nchw(n, c, h * w), 0.0)),
            HostData::U8(v) => HostData::U8(gather(v, &rows_to_nchw(n, c, h * w), 0)),
            _ => unreachable!("dtype checked"),
        };
        Ok(tensor(&[n, c, h, w], data))
    }

    fn nchw_to_rows(&self, x: &CpuTensor) -> Result<CpuTensor> {
        let [n, c, h, w] = super::conv::check_nchw_to_rows(x)?;
        let data = match &x.data {
            HostData::F32(v) => HostData::F32(gather(v, &nchw_to_rows(n, c, h * w), 0.0)),
            HostData::U8(v) => HostData::U8(gather(v, &nchw_to_rows(n, c, h * w), 0)),
            _ => unreachable!("dtype checked"),
        };
        Ok(tensor(&[n * h * w, c], data))
    }

    fn channel_affine(&self, x: &CpuTensor, alpha: &CpuTensor, beta: &CpuTensor) -> Result<CpuTensor> {
        let (_, inner) = super::conv::check_channel_affine(x, alpha, beta)?;
        let y = channel_affine(
            x.f32s("channel_affine")?,
            alpha.f32s("channel_affine")?,
            beta.f32s("channel_affine")?,
            inner,
        );
        Ok(tensor(&x.shape, HostData::F32(y)))
    }

    fn quantized_relu(&self, codes: &CpuTensor, zero_point: i32) -> Result<CpuTensor> {
        super::conv::check_quantized_relu(codes, zero_point)?;
        let HostData::U8(v) = &codes.data else { unreachable!("dtype checked") };
        Ok(tensor(&codes.shape, HostData::U8(quantized_relu(v, zero_point as u8))))
    }

    fn quantized_channel_lut(&self, codes: &CpuTensor, table: &CpuTensor) -> Result<CpuTensor> {
        let (c, inner) = super::conv::check_channel_lut(codes, table)?;
        let (HostData::U8(v), HostData::U8(t)) = (&codes.data, &table.data) else { unreachable!("dtype checked") };
        Ok(tensor(&codes.shape, HostData::U8(channel_lut(v, t, c, inner))))
    }

    fn fake_quantize(
        &self,
        x: &CpuTensor,
        q: &QParams,
        quant_min: i32,
        quant_max: i32,
    ) -> Result<(CpuTensor, CpuTensor)> {
        super::conv::check_fake_quantize(x, q, quant_min, quant_max)?;
        let (y, m) = fake_quantize(x.f32s("fake_quantize")?, &x.shape, q, quant_min, quant_max);
        Ok((tensor(&x.shape, HostData::F32(y)), tensor(&x.shape, HostData::F32(m))))
    }

    fn min_max(&self, x: &CpuTensor) -> Result<CpuTensor> {
        super::conv::check_min_max(x)?;
        Ok(tensor(&[2], HostData::F32(min_max(x.f32s("min_max")?))))
    }

    fn quantized_linear_float(
        &self,
        x: &CpuTensor,
        w: &CpuTensor,
        x_q: &QParams,
        w_q: &QParams,
        bias: Option<&[f32]>,
    ) -> Result<CpuTensor> {
        let ((m, k, n), mult, zps) = super::conv::check_qlinear_float(x, w, x_q, w_q, bias)?;
        let QParams::PerTensor { zero_point, .. } = x_q else { unreachable!("checked per tensor") };
        let y = quantized_linear_float(&codes_of(&x.data), &codes_of(&w.data), m, k, n, *zero_point, &zps, &mult, bias);
        Ok(tensor(&[m, n], HostData::F32(y)))
    }

    fn matmul_t(&self, a: &CpuTensor, b: &CpuTensor, ta: bool, tb: bool) -> Result<CpuTensor> {
        let (m, k, n) = matmul_t_dims(&a.shape, &b.shape, ta, tb)?;
        let (av, bv) = (a.f32s("matmul_t")?, b.f32s("matmul_t")?);
        let c = if self.fast { fast::matmul_t(av, bv, m, k, n, ta, tb) } else { matmul_t(av, bv, m, k, n, ta, tb) };
        Ok(tensor(&[m, n], HostData::F32(c)))
    }

    fn relu_backward(&self, grad: &CpuTensor, x: &CpuTensor) -> Result<CpuTensor> {
        same_shape("relu_backward", &grad.shape, &x.shape)?;
        Ok(tensor(&x.shape, HostData::F32(relu_backward(grad.f32s("relu_backward")?, x.f32s("relu_backward")?))))
    }

    fn scale(&self, x: &CpuTensor, s: f32) -> Result<CpuTensor> {
        Ok(tensor(&x.shape, HostData::F32(scale(x.f32s("scale")?, s))))
    }

    fn sum(&self, x: &CpuTensor) -> Result<CpuTensor> {
        Ok(tensor(&[1], HostData::F32(vec![sum(x.f32s("sum")?)])))
    }

    fn sum_rows(&self, x: &CpuTensor) -> Result<CpuTensor> {
        let &[rows, n] = x.shape.as_slice() else {
            return Err(Error::Shape {
                op: "sum_rows",
                detail: format!("x must be (rows, n), got {}", crate::rules::error::fmt_shape(&x.shape)),
            });
        };
        Ok(tensor(&[n], HostData::F32(sum_rows(x.f32s("sum_rows")?, rows, n))))
    }

    fn cross_entropy(&self, logits: &CpuTensor, labels: &CpuTensor) -> Result<(CpuTensor, CpuTensor)> {
        let (b, c) = cross_entropy_dims(logits, labels)?;
        let HostData::I32(l) = &labels.data else { unreachable!("dtype checked") };
        if let Some(bad) = l.iter().find(|&&t| t < 0 || t as usize >= c) {
            return Err(Error::InvalidArgument {
                name: "label",
                value: bad.to_string(),
                valid: format!("0..{c} (the number of classes)"),
            });
        }
        let (losses, d) = cross_entropy(logits.f32s("cross_entropy")?, l, b, c);
        let mean = if b == 0 { f32::NAN } else { sum(&losses) / b as f32 };
        Ok((tensor(&[1], HostData::F32(vec![mean])), tensor(&logits.shape, HostData::F32(d))))
    }

    fn sgd_step(
        &self,
        p: &mut CpuTensor,
        grad: &CpuTensor,
        buf: &mut CpuTensor,
        cfg: &SgdConfig,
        first: bool,
        skip_if: Option<&CpuTensor>,
    ) -> Result<()> {
        check_step("sgd_step", p, &[grad, &*buf])?;
        cfg.validate()?;
        if skip(skip_if, "sgd_step")? {
            return Ok(());
        }
        sgd_step(p.f32s_mut(), grad.f32s("sgd_step")?, buf.f32s_mut(), cfg, first);
        Ok(())
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
        check_step("adam_step", p, &[grad, &*m, &*v])?;
        cfg.validate()?;
        if step == 0 {
            return Err(Error::InvalidArgument {
                name: "step",
                value: "0".into(),
                valid: ">= 1 (Adam counts steps from 1)".into(),
            });
        }
        if skip(skip_if, "adam_step")? {
            return Ok(());
        }
        adam_step(p.f32s_mut(), grad.f32s("adam_step")?, m.f32s_mut(), v.f32s_mut(), cfg, step);
        Ok(())
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
        check_step("adam_step", p, &[grad, &*m, &*v])?;
        check_scalar("adam_step", "count", count, DType::F32)?;
        cfg.validate()?;
        let t = count.f32s("adam_step")?[0] as usize;
        let table = table.f32s("adam_step")?;
        if 2 * t + 1 >= table.len() {
            return Err(Error::InvalidArgument {
                name: "count",
                value: t.to_string(),
                valid: format!("< {} (the table's steps)", table.len() / 2),
            });
        }
        if skip(skip_if, "adam_step")? {
            return Ok(());
        }
        let s = crate::rules::optim::AdamScalars {
            neg_step_size: table[2 * t],
            bc2_sqrt: table[2 * t + 1],
            ..cfg.scalars(1)
        };
        adam_step_with(p.f32s_mut(), grad.f32s("adam_step")?, m.f32s_mut(), v.f32s_mut(), cfg, &s);
        Ok(())
    }

    fn matmul_f16(&self, a: &CpuTensor, b: &CpuTensor, ta: bool, tb: bool) -> Result<CpuTensor> {
        let (m, k, n) = check_matmul_f16(a, b, ta, tb)?;
        let (HostData::F16(av), HostData::F16(bv)) = (&a.data, &b.data) else { unreachable!("dtype checked") };
        let c =
            if self.fast { f16_gemm::matmul_f16(av, bv, m, k, n, ta, tb) } else { matmul_f16(av, bv, m, k, n, ta, tb) };
        Ok(tensor(&[m, n], HostData::F16(c)))
    }

    fn amp_unscale(
        &self,
        grads: &mut [&mut CpuTensor],
        inv_scale: &CpuTensor,
        found_inf: &mut CpuTensor,
    ) -> Result<()> {
        check_scalar("amp_unscale", "inv_scale", inv_scale, DType::F32)?;
        check_scalar("amp_unscale", "found_inf", found_inf, DType::F32)?;
        for g in grads.iter() {
            expect_dtype("amp_unscale", &**g, DType::F32)?;
        }
        let inv = inv_scale.f32s("amp_unscale")?[0];
        let mut found = found_inf.f32s("amp_unscale")?[0] != 0.0;
        for g in grads.iter_mut() {
            amp_unscale(g.f32s_mut(), inv, &mut found);
        }
        if found {
            found_inf.f32s_mut()[0] = 1.0;
        }
        Ok(())
    }

    fn amp_inv_scale(&self, scale: &CpuTensor) -> Result<CpuTensor> {
        check_scalar("amp_inv_scale", "scale", scale, DType::F32)?;
        Ok(tensor(&[1], HostData::F32(vec![amp_inv_scale(scale.f32s("amp_inv_scale")?[0])])))
    }

    fn amp_update_scale(
        &self,
        scale: &mut CpuTensor,
        growth_tracker: &mut CpuTensor,
        found_inf: &CpuTensor,
        cfg: &ScalerConfig,
    ) -> Result<()> {
        check_scalar("amp_update_scale", "scale", scale, DType::F32)?;
        check_scalar("amp_update_scale", "growth_tracker", growth_tracker, DType::I32)?;
        check_scalar("amp_update_scale", "found_inf", found_inf, DType::F32)?;
        cfg.validate()?;
        let HostData::I32(t) = &mut growth_tracker.data else { unreachable!("dtype checked") };
        let (s, nt) = amp_update_scale(
            scale.f32s("amp_update_scale")?[0],
            t[0],
            found_inf.f32s("amp_update_scale")?[0] != 0.0,
            cfg,
        );
        t[0] = nt;
        scale.f32s_mut()[0] = s;
        Ok(())
    }
}

/// Whether an optimizer step is skipped: `skip_if` is a non-zero `(1,)` f32 flag.
fn skip(skip_if: Option<&CpuTensor>, op: &'static str) -> Result<bool> {
    match skip_if {
        None => Ok(false),
        Some(f) => {
            check_scalar(op, "skip_if", f, DType::F32)?;
            Ok(f.f32s(op)?[0] != 0.0)
        }
    }
}
