//! [`QuantOps`] for [`CpuReference`]: validate, then the plain loops of `math.rs` / `conv.rs`.

use super::super::tensor::{codes_of, tensor, CpuTensor};
use super::*;
use crate::backend::prelude::*;
use crate::backend::{check_dequantize, check_qlinear, check_quantize, DType, HasShape, HostData};
use crate::rules::error::Result;
use crate::rules::{QLinearSpec, QParams};

impl QuantOps for CpuReference {
    fn quantize(&self, x: &CpuTensor, q: &QParams) -> Result<CpuTensor> {
        check_quantize(x, q)?;
        let codes = quantize(x.f32s("quantize")?, x.shape(), q);
        let data = match q.dtype().code_dtype() {
            DType::I8 => HostData::I8(codes.iter().map(|&c| c as i8).collect()),
            _ => HostData::U8(codes.iter().map(|&c| c as u8).collect()),
        };
        Ok(tensor(x.shape(), data))
    }

    fn dequantize(&self, codes: &CpuTensor, q: &QParams) -> Result<CpuTensor> {
        check_dequantize(codes, q)?;
        Ok(tensor(codes.shape(), HostData::F32(dequantize(&codes_of(&codes.data), codes.shape(), q))))
    }

    fn quantized_linear(&self, x: &CpuTensor, w: &CpuTensor, spec: &QLinearSpec) -> Result<CpuTensor> {
        let (m, k, n) = check_qlinear(x, w, spec)?;
        Ok(tensor(&[m, n], HostData::U8(quantized_linear(&codes_of(x.data()), &codes_of(w.data()), m, k, n, spec))))
    }

    fn quantized_relu(&self, codes: &CpuTensor, zero_point: i32) -> Result<CpuTensor> {
        crate::backend::conv::check_quantized_relu(codes, zero_point)?;
        let HostData::U8(v) = &codes.data else { unreachable!("dtype checked") };
        Ok(tensor(codes.shape(), HostData::U8(quantized_relu(v, zero_point as u8))))
    }

    fn quantized_channel_lut(&self, codes: &CpuTensor, table: &CpuTensor) -> Result<CpuTensor> {
        let (c, inner) = crate::backend::conv::check_channel_lut(codes, table)?;
        let (HostData::U8(v), HostData::U8(t)) = (&codes.data, &table.data) else { unreachable!("dtype checked") };
        Ok(tensor(codes.shape(), HostData::U8(channel_lut(v, t, c, inner))))
    }

    fn fake_quantize(
        &self,
        x: &CpuTensor,
        q: &QParams,
        quant_min: i32,
        quant_max: i32,
    ) -> Result<(CpuTensor, CpuTensor)> {
        crate::backend::conv::check_fake_quantize(x, q, quant_min, quant_max)?;
        let (y, m) = fake_quantize(x.f32s("fake_quantize")?, x.shape(), q, quant_min, quant_max);
        Ok((tensor(x.shape(), HostData::F32(y)), tensor(x.shape(), HostData::F32(m))))
    }

    fn min_max(&self, x: &CpuTensor) -> Result<CpuTensor> {
        crate::backend::conv::check_min_max(x)?;
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
        let ((m, k, n), mult, zps) = crate::backend::conv::check_qlinear_float(x, w, x_q, w_q, bias)?;
        let QParams::PerTensor { zero_point, .. } = x_q else { unreachable!("checked per tensor") };
        let y = quantized_linear_float(&codes_of(&x.data), &codes_of(&w.data), m, k, n, *zero_point, &zps, &mult, bias);
        Ok(tensor(&[m, n], HostData::F32(y)))
    }
}
