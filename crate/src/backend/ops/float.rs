//! f32 arithmetic: the GEMMs forward and backward need, element-wise ops, reductions, eval
//! BatchNorm's per-channel affine and the losses. Shapes follow torch: `matmul` is
//! `(m, k) · (k, n) → (m, n)` as `torch.mm`; `bias_add` adds a `(n,)` bias to every row of
//! `(rows, n)` as `F.linear` does after its GEMM.

use crate::backend::{expect_dtype, same_shape, HasShape, TensorOps};
use crate::rules::error::Result;
use crate::rules::DType;

/// f32 arithmetic. `matmul`, `mean` and `mse_loss` have default bodies composed from the
/// other ops, so a new backend needs only the primitives.
pub trait FloatOps: TensorOps {
    /// `F.linear(x, w, bias)`, then ReLU when `relu` (`nni.LinearReLU`): x `(batch, in)`, w
    /// `(out, in)` as `nn.Linear.weight`, bias `(out,)` → `(batch, out)`. The default composes
    /// [`Self::matmul_t`], [`Self::bias_add`] and [`Self::relu`]; a backend may fuse them if it
    /// keeps the same f32 operations (`y + b`, then NaN or > 0 kept, else 0).
    fn linear(
        &self,
        x: &Self::Tensor,
        w: &Self::Tensor,
        bias: Option<&Self::Tensor>,
        relu: bool,
    ) -> Result<Self::Tensor> {
        let mut y = self.matmul_t(x, w, false, true)?;
        if let Some(b) = bias {
            y = self.bias_add(&y, b)?;
        }
        if relu {
            y = self.relu(&y)?;
        }
        Ok(y)
    }

    /// `C = A · B`: `(m, k) · (k, n) → (m, n)`, f32 accumulation (`torch.mm`).
    fn matmul(&self, a: &Self::Tensor, b: &Self::Tensor) -> Result<Self::Tensor> {
        self.matmul_t(a, b, false, false)
    }

    /// `op(a) · op(b)` where `ta` / `tb` transpose: a is (m, k) or, with `ta`, (k, m); b is
    /// (k, n) or, with `tb`, (n, k); the result is (m, n). Backward needs all three forms.
    fn matmul_t(&self, a: &Self::Tensor, b: &Self::Tensor, ta: bool, tb: bool) -> Result<Self::Tensor>;

    /// `x + bias` for every row: `(rows, n) + (n,) → (rows, n)`.
    fn bias_add(&self, x: &Self::Tensor, bias: &Self::Tensor) -> Result<Self::Tensor>;

    /// `max(x, 0)` element-wise (`torch.relu`).
    fn relu(&self, x: &Self::Tensor) -> Result<Self::Tensor>;

    /// `x <= 0 ? 0 : grad` element-wise (torch's `threshold_backward(grad, x, 0)`).
    fn relu_backward(&self, grad: &Self::Tensor, x: &Self::Tensor) -> Result<Self::Tensor>;

    /// `a + b` element-wise; shapes must be equal (no broadcasting yet).
    fn add(&self, a: &Self::Tensor, b: &Self::Tensor) -> Result<Self::Tensor>;

    /// `a * b` element-wise; shapes must be equal (no broadcasting yet).
    fn mul(&self, a: &Self::Tensor, b: &Self::Tensor) -> Result<Self::Tensor>;

    /// `x · s` element-wise for a scalar `s`.
    fn scale(&self, x: &Self::Tensor, s: f32) -> Result<Self::Tensor>;

    /// Σ of all elements, as a `(1,)` tensor.
    fn sum(&self, x: &Self::Tensor) -> Result<Self::Tensor>;

    /// Mean of all elements as a `(1,)` tensor: [`Self::sum`] times `(float)(1/n)` (the
    /// factor form of ATen's mean reduction, `MeanOps::factor`); NaN for an empty tensor.
    fn mean(&self, x: &Self::Tensor) -> Result<Self::Tensor> {
        let n = x.numel();
        let s = self.sum(x)?;
        self.scale(&s, if n == 0 { f32::NAN } else { (1.0 / n as f64) as f32 })
    }

    /// Σ over rows: `(rows, n) → (n,)`, the bias gradient of a Linear.
    fn sum_rows(&self, x: &Self::Tensor) -> Result<Self::Tensor>;

    /// Mean softmax cross-entropy of logits `(b, c)` f32 against labels `(b,)` int32 in
    /// `0..c`: returns `(loss (1,), dlogits (b, c))` with `dlogits = (softmax − onehot) / b`.
    /// A label outside `0..c` is an error on the CPU; on the GPU, which cannot report it without
    /// a readback, that row's loss and gradient are NaN. An empty batch gives a NaN loss.
    fn cross_entropy(&self, logits: &Self::Tensor, labels: &Self::Tensor) -> Result<(Self::Tensor, Self::Tensor)>;

    /// `F.mse_loss(pred, target)` with mean reduction on f32 tensors of equal shape: returns
    /// `(loss (1,), dpred)` with `loss = mean((pred − target)²)` and `dpred = (2/n)·(pred −
    /// target)` (aten/src/ATen/native/Loss.cpp `mse_loss_backward_out`, norm = 2/numel).
    /// Composed from `add`, `scale`, `mul` and `mean`, so every backend has it.
    fn mse_loss(&self, pred: &Self::Tensor, target: &Self::Tensor) -> Result<(Self::Tensor, Self::Tensor)> {
        expect_dtype("mse_loss", pred, DType::F32)?;
        expect_dtype("mse_loss", target, DType::F32)?;
        same_shape("mse_loss", pred.shape(), target.shape())?;
        let diff = self.add(pred, &self.scale(target, -1.0)?)?;
        let loss = self.mean(&self.mul(&diff, &diff)?)?;
        let n = pred.numel();
        let grad = self.scale(&diff, if n == 0 { f32::NAN } else { (2.0 / n as f64) as f32 })?;
        Ok((loss, grad))
    }

    /// `y = fma(x, alpha[c], beta[c])` for x `(n, c, rest…)` F32: eval-mode BatchNorm with
    /// alpha/beta from `crate::rules::batchnorm::bn_eval_alpha_beta` (torch's CPU kernel fuses it).
    fn channel_affine(&self, x: &Self::Tensor, alpha: &Self::Tensor, beta: &Self::Tensor) -> Result<Self::Tensor>;
}
