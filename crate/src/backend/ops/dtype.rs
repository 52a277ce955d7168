//! Element-type conversions (torch's `tensor.to(dtype)` roundings) and the f16 GEMM autocast
//! runs (f16 operands, f32 accumulation, f16 result).

use crate::backend::TensorOps;
use crate::rules::error::Result;
use crate::rules::DType;

/// dtype ops.
pub trait DTypeOps: TensorOps {
    /// Converts to `to` (`tensor.to(dtype)`): f32 → f16 / bf16 with torch's rounding
    /// (`crate::rules::cast`), f16 / bf16 → f32 exactly. See [`super::check_cast`] for the supported pairs.
    fn cast(&self, x: &Self::Tensor, to: DType) -> Result<Self::Tensor>;

    /// f16 matmul as autocast runs it: f16 operands, f32 accumulation, f16 result rounded to
    /// nearest even. Shapes as [`Self::matmul_t`].
    fn matmul_f16(&self, a: &Self::Tensor, b: &Self::Tensor, ta: bool, tb: bool) -> Result<Self::Tensor>;
}
