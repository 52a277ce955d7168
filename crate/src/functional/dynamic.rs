//! `torch.ops.quantized.linear_dynamic` (nnqd.Linear's forward) as a composite of backend ops,
//! generic over [`Backend`]. The scalar rules (`ChooseQuantizationParams`, the fused float
//! output) are in `rules::dynamic`; this file only strings the ops together.

use crate::backend::{Backend, HasShape, HostData};
use crate::rules::dynamic::activation_qparams;
use crate::rules::error::Result;
use crate::rules::QParams;

/// `torch.ops.quantized.linear_dynamic` on any backend: x F32 `(m, k)`, w I8 `(n, k)` with
/// qparams `w_q` (qint8, per tensor or per channel on axis 0) → F32 `(m, n)`. The activation
/// min/max is computed on the backend and two floats are read back (the op's only wait), the
/// qparams are chosen on the host with torch's f64 arithmetic, then quantize and the int8 GEMM
/// run on the backend.
pub async fn quantized_linear_dynamic<B: Backend>(
    b: &B,
    x: &B::Tensor,
    w: &B::Tensor,
    w_q: &QParams,
    bias: Option<&[f32]>,
    reduce_range: bool,
) -> Result<B::Tensor> {
    if x.numel() == 0 {
        // fbgemm's FindMinMax of nothing leaves (0, 0): scale 0.1, zero point 0.
        let xq = activation_qparams(0.0, 0.0, reduce_range)?;
        let codes = b.upload_data(HostData::U8(vec![]), x.shape())?;
        return b.quantized_linear_float(&codes, w, &xq, w_q, bias);
    }
    let mm = b.read(&b.min_max(x)?).await?;
    let xq = activation_qparams(mm[0], mm[1], reduce_range)?;
    let codes = b.quantize(x, &xq)?;
    b.quantized_linear_float(&codes, w, &xq, w_q, bias)
}
