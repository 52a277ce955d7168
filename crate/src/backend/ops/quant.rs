//! Integer codes: affine quantize / dequantize, the quantized Linear (int8 × int8 → int32 →
//! quint8), the dynamic Linear's int8 GEMM with float output, fake quantization and the
//! quantized element-wise ops (ReLU, BatchNorm as a per-channel lookup), with torch's
//! arithmetic from `rules`.

use crate::backend::TensorOps;
use crate::rules::error::Result;
use crate::rules::{QLinearSpec, QParams};

/// Quantized ops. Codes are `I8` for qint8 and `U8` for quint8.
pub trait QuantOps: TensorOps {
    /// f32 → integer codes with torch's `quantize_per_tensor` / `quantize_per_channel`
    /// arithmetic (`crate::rules::affine`); codes are `I8` for qint8 and `U8` for quint8.
    fn quantize(&self, x: &Self::Tensor, q: &QParams) -> Result<Self::Tensor>;

    /// Codes → f32, `(q - zero_point) * scale` (torch's `dequantize()`).
    fn dequantize(&self, codes: &Self::Tensor, q: &QParams) -> Result<Self::Tensor>;

    /// `torch.ops.quantized.linear(_relu)`: x uint8 codes (m, k), w int8 codes (n, k) →
    /// y uint8 codes (m, n), exact int32 accumulation and torch's requantization
    /// (`crate::rules::qlinear`).
    fn quantized_linear(&self, x: &Self::Tensor, w: &Self::Tensor, spec: &QLinearSpec) -> Result<Self::Tensor>;

    /// `max(code, zero_point)` on uint8 codes: `torch.relu` of a quint8 tensor (qparams kept).
    fn quantized_relu(&self, codes: &Self::Tensor, zero_point: i32) -> Result<Self::Tensor>;

    /// Per-channel lookup on uint8 codes x `(n, c, rest…)`: `y = table[c][x]` with table U8
    /// `(c, 256)`, exact. `quantized::batch_norm2d`'s output code depends only on (channel,
    /// input code), so `crate::rules::qbatchnorm::code_table` tabulates torch's arithmetic once.
    fn quantized_channel_lut(&self, codes: &Self::Tensor, table: &Self::Tensor) -> Result<Self::Tensor>;

    /// `torch.fake_quantize_per_{tensor,channel}_affine` (the `_cachemask` variants) on F32 x:
    /// returns `(y, mask)`, both F32, mask 1.0 where the unclamped code was inside
    /// `[quant_min, quant_max]` (the straight-through estimator's `grad · mask`). The rule is
    /// `crate::rules::fake::fake_quantize_val`; the qparams' dtype is ignored.
    fn fake_quantize(
        &self,
        x: &Self::Tensor,
        q: &QParams,
        quant_min: i32,
        quant_max: i32,
    ) -> Result<(Self::Tensor, Self::Tensor)>;

    /// `[min, max]` of all elements of an F32 tensor, as a `(2,)` tensor (fbgemm's
    /// `FindMinMax`, for dynamic quantization); `[0, 0]` for an empty tensor.
    fn min_max(&self, x: &Self::Tensor) -> Result<Self::Tensor>;

    /// The dynamic quantized Linear's int8 GEMM with float output (fbgemm's
    /// `ReQuantizeForFloat`): x uint8 codes `(m, k)` under per-tensor quint8 `x_q`, w int8
    /// `(n, k)` under qint8 `w_q` (per tensor or per channel on axis 0) → F32 `(m, n)`,
    /// `fma((float)acc, x_scale · w_scale[j], bias[j])` (`crate::rules::dynamic`).
    fn quantized_linear_float(
        &self,
        x: &Self::Tensor,
        w: &Self::Tensor,
        x_q: &QParams,
        w_q: &QParams,
        bias: Option<&[f32]>,
    ) -> Result<Self::Tensor>;
}
