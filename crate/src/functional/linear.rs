//! The one Linear forward and backward (`F.linear` and its autograd formulas), used by the MLP's
//! fp32 and autocast steps (`nn`), QAT (`quant::eager::qat_step`) and the module tree's forward
//! (`model::forward`). Shapes: x `(batch, in)`, w `(out, in)` as `nn.Linear.weight`, b `(out,)`,
//! y and `g = ∂L/∂y` `(batch, out)`.
//!
//! Source: torch/nn/functional.py `linear` (`x · wᵀ + b`) and the addmm backward in
//! tools/autograd/derivatives.yaml (`dx = g · w`, `dw = gᵀ · x`, `db = Σ_rows g`).

use crate::backend::Backend;
use crate::rules::error::Result;

/// `y = x · wᵀ + b` in f32 ([`crate::backend::FloatOps::linear`] without the ReLU).
pub fn linear_forward<B: Backend>(b: &B, x: &B::Tensor, w: &B::Tensor, bias: Option<&B::Tensor>) -> Result<B::Tensor> {
    b.linear(x, w, bias, false)
}

/// The gradients of a Linear: `dx` (when wanted) `(batch, in)`, `dw` `(out, in)`, `db` `(out,)`.
#[derive(Debug)]
pub struct LinearGrads<T> {
    /// `∂L/∂x = g · w`, when asked for (not for the first layer).
    pub dx: Option<T>,
    /// `∂L/∂w = gᵀ · x`.
    pub dw: T,
    /// `∂L/∂b = Σ_rows g`.
    pub db: T,
}

/// [`linear_forward`]'s gradients in f32: [`linear_backward_with`] with `matmul_t` and
/// `sum_rows`.
pub fn linear_backward<B: Backend>(
    b: &B,
    g: &B::Tensor,
    x: &B::Tensor,
    w: &B::Tensor,
    want_dx: bool,
) -> Result<LinearGrads<B::Tensor>> {
    linear_backward_with(g, x, w, want_dx, |p, q, tp, tq| b.matmul_t(p, q, tp, tq), |t| b.sum_rows(t))
}

/// A Linear's gradients with the GEMM `mm(p, q, transpose_p, transpose_q)` and the row sum
/// `rows` supplied, so autocast can run them in f16 (`nn::amp_step`) with the same formulas.
pub fn linear_backward_with<T>(
    g: &T,
    x: &T,
    w: &T,
    want_dx: bool,
    mm: impl Fn(&T, &T, bool, bool) -> Result<T>,
    rows: impl Fn(&T) -> Result<T>,
) -> Result<LinearGrads<T>> {
    let dw = mm(g, x, true, false)?;
    let db = rows(g)?;
    let dx = if want_dx { Some(mm(g, w, false, false)?) } else { None };
    Ok(LinearGrads { dx, dw, db })
}
