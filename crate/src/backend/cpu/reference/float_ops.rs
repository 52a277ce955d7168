//! [`FloatOps`] for [`CpuReference`]: validate, then the plain loops of `math.rs` / `train.rs`.

use super::super::tensor::{tensor, CpuTensor};
use super::*;
use crate::backend::prelude::*;
use crate::backend::{bias_dims, cross_entropy_dims, matmul_dims, matmul_t_dims, same_shape, HasShape, HostData};
use crate::rules::error::{Error, Result};

impl FloatOps for CpuReference {
    fn matmul(&self, a: &CpuTensor, b: &CpuTensor) -> Result<CpuTensor> {
        let (m, k, n) = matmul_dims(a.shape(), b.shape())?;
        Ok(tensor(&[m, n], HostData::F32(matmul(a.f32s("matmul")?, b.f32s("matmul")?, m, k, n))))
    }

    fn bias_add(&self, x: &CpuTensor, bias: &CpuTensor) -> Result<CpuTensor> {
        let (_, n) = bias_dims(x.shape(), bias.shape())?;
        Ok(tensor(x.shape(), HostData::F32(bias_add(x.f32s("bias_add")?, bias.f32s("bias_add")?, n))))
    }

    fn relu(&self, x: &CpuTensor) -> Result<CpuTensor> {
        Ok(tensor(x.shape(), HostData::F32(relu(x.f32s("relu")?))))
    }

    fn add(&self, a: &CpuTensor, b: &CpuTensor) -> Result<CpuTensor> {
        same_shape("add", a.shape(), b.shape())?;
        Ok(tensor(a.shape(), HostData::F32(add(a.f32s("add")?, b.f32s("add")?))))
    }

    fn mul(&self, a: &CpuTensor, b: &CpuTensor) -> Result<CpuTensor> {
        same_shape("mul", a.shape(), b.shape())?;
        Ok(tensor(a.shape(), HostData::F32(mul(a.f32s("mul")?, b.f32s("mul")?))))
    }

    fn channel_affine(&self, x: &CpuTensor, alpha: &CpuTensor, beta: &CpuTensor) -> Result<CpuTensor> {
        let (_, inner) = crate::backend::conv::check_channel_affine(x, alpha, beta)?;
        let y = channel_affine(
            x.f32s("channel_affine")?,
            alpha.f32s("channel_affine")?,
            beta.f32s("channel_affine")?,
            inner,
        );
        Ok(tensor(x.shape(), HostData::F32(y)))
    }

    fn matmul_t(&self, a: &CpuTensor, b: &CpuTensor, ta: bool, tb: bool) -> Result<CpuTensor> {
        let (m, k, n) = matmul_t_dims(a.shape(), b.shape(), ta, tb)?;
        let c = matmul_t(a.f32s("matmul_t")?, b.f32s("matmul_t")?, m, k, n, ta, tb);
        Ok(tensor(&[m, n], HostData::F32(c)))
    }

    fn relu_backward(&self, grad: &CpuTensor, x: &CpuTensor) -> Result<CpuTensor> {
        same_shape("relu_backward", grad.shape(), x.shape())?;
        Ok(tensor(x.shape(), HostData::F32(relu_backward(grad.f32s("relu_backward")?, x.f32s("relu_backward")?))))
    }

    fn scale(&self, x: &CpuTensor, s: f32) -> Result<CpuTensor> {
        Ok(tensor(x.shape(), HostData::F32(scale(x.f32s("scale")?, s))))
    }

    fn sum(&self, x: &CpuTensor) -> Result<CpuTensor> {
        Ok(tensor(&[1], HostData::F32(vec![sum(x.f32s("sum")?)])))
    }

    fn sum_rows(&self, x: &CpuTensor) -> Result<CpuTensor> {
        let &[rows, n] = x.shape() else {
            return Err(Error::Shape {
                op: "sum_rows",
                detail: format!("x must be (rows, n), got {}", crate::rules::error::fmt_shape(x.shape())),
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
        Ok((tensor(&[1], HostData::F32(vec![mean])), tensor(logits.shape(), HostData::F32(d))))
    }
}
