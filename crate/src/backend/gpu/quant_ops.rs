//! [`QuantOps`], [`LayoutOps`] and [`DTypeOps`] for [`GpuBackend`]: host-side validation, then
//! the kernel paths of `typed.rs`, `conv.rs` and `pool.rs`.

use super::*;
use crate::backend::prelude::*;
use crate::backend::{Conv2dGeom, DType};
use crate::rules::error::Result;
use crate::rules::{QLinearSpec, QParams};

impl QuantOps for GpuBackend {
    fn quantize(&self, x: &GpuTensor, q: &QParams) -> Result<GpuTensor> {
        typed::quantize(self, x, q)
    }

    fn dequantize(&self, codes: &GpuTensor, q: &QParams) -> Result<GpuTensor> {
        typed::dequantize(self, codes, q)
    }

    /// Uses `dot4I8Packed` when the adapter has it and k % 4 == 0, else the byte-wise kernel.
    fn quantized_linear(&self, x: &GpuTensor, w: &GpuTensor, spec: &QLinearSpec) -> Result<GpuTensor> {
        let path = if self.info.packed_int8_dot && x.shape.get(1).is_some_and(|k| k % 4 == 0) {
            Int8Path::Dot4
        } else {
            Int8Path::Bytes
        };
        typed::quantized_linear(self, x, w, spec, path)
    }

    fn quantized_relu(&self, codes: &GpuTensor, zero_point: i32) -> Result<GpuTensor> {
        conv::quantized_relu(self, codes, zero_point)
    }

    fn quantized_channel_lut(&self, codes: &GpuTensor, table: &GpuTensor) -> Result<GpuTensor> {
        conv::quantized_channel_lut(self, codes, table)
    }

    fn fake_quantize(
        &self,
        x: &GpuTensor,
        q: &QParams,
        quant_min: i32,
        quant_max: i32,
    ) -> Result<(GpuTensor, GpuTensor)> {
        conv::fake_quantize(self, x, q, quant_min, quant_max)
    }

    fn min_max(&self, x: &GpuTensor) -> Result<GpuTensor> {
        conv::min_max(self, x)
    }

    fn quantized_linear_float(
        &self,
        x: &GpuTensor,
        w: &GpuTensor,
        x_q: &QParams,
        w_q: &QParams,
        bias: Option<&[f32]>,
    ) -> Result<GpuTensor> {
        conv::quantized_linear_float(self, x, w, x_q, w_q, bias)
    }
}

impl LayoutOps for GpuBackend {
    fn im2col(&self, x: &GpuTensor, g: &Conv2dGeom, pad: f32) -> Result<GpuTensor> {
        conv::im2col(self, x, g, pad)
    }

    fn col2im(&self, cols: &GpuTensor, g: &Conv2dGeom) -> Result<GpuTensor> {
        conv::col2im(self, cols, g)
    }

    fn rows_to_nchw(&self, x: &GpuTensor, n: usize, h: usize, w: usize) -> Result<GpuTensor> {
        conv::rows_to_nchw(self, x, n, h, w)
    }

    fn nchw_to_rows(&self, x: &GpuTensor) -> Result<GpuTensor> {
        conv::nchw_to_rows(self, x)
    }

    fn max_pool2d(&self, x: &GpuTensor, g: &crate::backend::MaxPool2dGeom) -> Result<GpuTensor> {
        pool::max_pool2d(self, x, g)
    }
}

impl DTypeOps for GpuBackend {
    fn cast(&self, x: &GpuTensor, to: DType) -> Result<GpuTensor> {
        typed::cast(self, x, to)
    }

    fn matmul_f16(&self, a: &GpuTensor, b: &GpuTensor, ta: bool, tb: bool) -> Result<GpuTensor> {
        let path = if self.info.shader_f16 { F16Path::Native } else { F16Path::Packed };
        amp::matmul_f16(self, a, b, ta, tb, path)
    }
}
