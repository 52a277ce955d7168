//! The one small trait every compute backend implements; the shape rules all backends share
//! live in `shapes.rs` (re-exported here).
//!
//! Not here: kernels (see `cpu.rs` and `gpu/`), tolerances (see `crate::parity`).
//!
//! Tensors are dense, row-major f32 for now. Shapes follow PyTorch's conventions:
//! `matmul` is `(m, k) · (k, n) → (m, n)` as `torch.mm`; `bias_add` adds a `(n,)` bias to every
//! row of `(rows, n)` as `torch.nn.functional.linear` does after its GEMM.

pub mod conv;
pub mod cpu;
pub mod gpu;
mod shapes;

pub use crate::rules::dtype::{DType, HostData};
pub use conv::Conv2dGeom;
pub use shapes::*;

use crate::rules::error::Result;
use crate::rules::optim::{AdamConfig, SgdConfig};
use crate::rules::scaler::ScalerConfig;
use crate::rules::{QLinearSpec, QParams};
use std::future::Future;

/// Anything that has a shape: every backend's tensor type.
pub trait HasShape {
    /// The tensor's shape, outermost dimension first.
    fn shape(&self) -> &[usize];
    /// The element type.
    fn dtype(&self) -> DType;
    /// Number of elements, the product of the shape (1 for a scalar `()`).
    fn numel(&self) -> usize {
        self.shape().iter().product()
    }
}

/// A compute backend. The CPU backend is the reference; every other backend must agree with it
/// within the tolerances in `crate::parity`.
///
/// Only [`Backend::read`] is async: a browser cannot block on the GPU, so reading results back
/// is the one place that waits. Every other op only enqueues work and returns a handle.
#[allow(async_fn_in_trait)]
pub trait Backend {
    /// The backend's tensor handle (host memory, or a GPU buffer).
    type Tensor: HasShape + std::fmt::Debug;

    /// A short name for logs and reports: `"cpu"` or `"webgpu"`.
    fn name(&self) -> &'static str;

    /// Copies `data` (row-major, `shape.iter().product()` values, any dtype) to the backend.
    fn upload_data(&self, data: HostData, shape: &[usize]) -> Result<Self::Tensor>;

    /// Copies a tensor of any dtype back to host memory, row-major.
    fn read_data(&self, t: &Self::Tensor) -> impl Future<Output = Result<HostData>>;

    /// Uploads f32 values: [`Backend::upload_data`] with [`HostData::F32`].
    fn upload(&self, data: &[f32], shape: &[usize]) -> Result<Self::Tensor> {
        self.upload_data(HostData::F32(data.to_vec()), shape)
    }

    /// Reads an f32 tensor back; any other dtype is an [`Error::DType`].
    fn read(&self, t: &Self::Tensor) -> impl Future<Output = Result<Vec<f32>>> {
        async move { self.read_data(t).await?.into_f32("read") }
    }

    /// `C = A · B`: `(m, k) · (k, n) → (m, n)`, f32 accumulation (`torch.mm`).
    fn matmul(&self, a: &Self::Tensor, b: &Self::Tensor) -> Result<Self::Tensor>;

    /// `x + bias` for every row: `(rows, n) + (n,) → (rows, n)`.
    fn bias_add(&self, x: &Self::Tensor, bias: &Self::Tensor) -> Result<Self::Tensor>;

    /// `max(x, 0)` element-wise (`torch.relu`).
    fn relu(&self, x: &Self::Tensor) -> Result<Self::Tensor>;

    /// `a + b` element-wise; shapes must be equal (no broadcasting yet).
    fn add(&self, a: &Self::Tensor, b: &Self::Tensor) -> Result<Self::Tensor>;

    /// `a * b` element-wise; shapes must be equal (no broadcasting yet).
    fn mul(&self, a: &Self::Tensor, b: &Self::Tensor) -> Result<Self::Tensor>;

    /// Converts to `to` (`tensor.to(dtype)`): f32 → f16 / bf16 with torch's rounding
    /// (`crate::rules::cast`), f16 / bf16 → f32 exactly. See [`check_cast`] for the supported pairs.
    fn cast(&self, x: &Self::Tensor, to: DType) -> Result<Self::Tensor>;

    /// f32 → integer codes with torch's `quantize_per_tensor` / `quantize_per_channel`
    /// arithmetic (`crate::rules::affine`); codes are `I8` for qint8 and `U8` for quint8.
    fn quantize(&self, x: &Self::Tensor, q: &QParams) -> Result<Self::Tensor>;

    /// Codes → f32, `(q - zero_point) * scale` (torch's `dequantize()`).
    fn dequantize(&self, codes: &Self::Tensor, q: &QParams) -> Result<Self::Tensor>;

    /// `torch.ops.quantized.linear(_relu)`: x uint8 codes (m, k), w int8 codes (n, k) →
    /// y uint8 codes (m, n), exact int32 accumulation and torch's requantization
    /// (`crate::rules::qlinear`).
    fn quantized_linear(&self, x: &Self::Tensor, w: &Self::Tensor, spec: &QLinearSpec) -> Result<Self::Tensor>;

    /// The same elements under a new shape (numel must match), any dtype; no copy.
    fn reshape(&self, x: &Self::Tensor, shape: &[usize]) -> Result<Self::Tensor>;

    /// Patches of x `(n, c, h, w)` (F32 or U8) as rows: `(n·oh·ow, c·kh·kw)`, rows ordered
    /// `(n, oy, ox)`, columns `(c, ky, kx)`, so `cols · weight.reshape(out, c·kh·kw)ᵀ` is the
    /// convolution. Positions in the padding hold `pad` (0.0 for float, the input zero_point
    /// for uint8 codes, as fbgemm's quantized conv pads).
    fn im2col(&self, x: &Self::Tensor, g: &Conv2dGeom, pad: f32) -> Result<Self::Tensor>;

    /// The adjoint of [`Backend::im2col`] for F32: overlapping patches summed back into
    /// `(n, c, h, w)`. Each pixel sums its contributions in (ky, kx) ascending order from 0.0,
    /// as aten's col2im does, so every backend gives the same bits.
    fn col2im(&self, cols: &Self::Tensor, g: &Conv2dGeom) -> Result<Self::Tensor>;

    /// `(n·h·w, c) → (n, c, h, w)` (a GEMM's output rows back to NCHW); F32 or U8, exact.
    fn rows_to_nchw(&self, x: &Self::Tensor, n: usize, h: usize, w: usize) -> Result<Self::Tensor>;

    /// `(n, c, h, w) → (n·h·w, c)`, the inverse of [`Backend::rows_to_nchw`]; F32 or U8, exact.
    fn nchw_to_rows(&self, x: &Self::Tensor) -> Result<Self::Tensor>;

    /// `y = fma(x, alpha[c], beta[c])` for x `(n, c, rest…)` F32: eval-mode BatchNorm with
    /// alpha/beta from `crate::rules::batchnorm::bn_eval_alpha_beta` (torch's CPU kernel fuses it).
    fn channel_affine(&self, x: &Self::Tensor, alpha: &Self::Tensor, beta: &Self::Tensor) -> Result<Self::Tensor>;

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

    /// `op(a) · op(b)` where `ta` / `tb` transpose: a is (m, k) or, with `ta`, (k, m); b is
    /// (k, n) or, with `tb`, (n, k); the result is (m, n). Backward needs all three forms.
    fn matmul_t(&self, a: &Self::Tensor, b: &Self::Tensor, ta: bool, tb: bool) -> Result<Self::Tensor>;

    /// `x <= 0 ? 0 : grad` element-wise (torch's `threshold_backward(grad, x, 0)`).
    fn relu_backward(&self, grad: &Self::Tensor, x: &Self::Tensor) -> Result<Self::Tensor>;

    /// `x · s` element-wise for a scalar `s`.
    fn scale(&self, x: &Self::Tensor, s: f32) -> Result<Self::Tensor>;

    /// Σ of all elements, as a `(1,)` tensor.
    fn sum(&self, x: &Self::Tensor) -> Result<Self::Tensor>;

    /// Mean of all elements as a `(1,)` tensor: [`Backend::sum`] times `(float)(1/n)` (the
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

    /// One `torch.optim.SGD` step in place on `p` and its momentum buffer (`first`: the
    /// buffer is new and starts as the gradient). With `skip_if`, a `(1,)` f32 flag such as
    /// GradScaler's found_inf, nothing changes when the flag is non-zero: the decision stays on
    /// the device.
    fn sgd_step(
        &self,
        p: &mut Self::Tensor,
        grad: &Self::Tensor,
        buf: &mut Self::Tensor,
        cfg: &SgdConfig,
        first: bool,
        skip_if: Option<&Self::Tensor>,
    ) -> Result<()>;

    /// One `torch.optim.Adam` step in place on `p`, `exp_avg` and `exp_avg_sq`; `step` ≥ 1.
    /// `skip_if` as for [`Backend::sgd_step`].
    #[allow(clippy::too_many_arguments)]
    fn adam_step(
        &self,
        p: &mut Self::Tensor,
        grad: &Self::Tensor,
        m: &mut Self::Tensor,
        v: &mut Self::Tensor,
        cfg: &AdamConfig,
        step: u32,
        skip_if: Option<&Self::Tensor>,
    ) -> Result<()>;

    /// [`Backend::adam_step`] with the step counted on the device, so steps GradScaler skips
    /// are not counted (torch's Adam never sees them): `count` `(1,)` f32 holds the steps
    /// taken so far and `table` `(2·N,)` f32 holds, for step t + 1, `table[2t] = -lr / (1 −
    /// β1^(t+1))` and `table[2t + 1] = √(1 − β2^(t+1))` ([`crate::rules::optim::adam_table`]).
    /// The caller advances `count` after all parameters of a step. `count` must be < N.
    #[allow(clippy::too_many_arguments)]
    fn adam_step_counted(
        &self,
        p: &mut Self::Tensor,
        grad: &Self::Tensor,
        m: &mut Self::Tensor,
        v: &mut Self::Tensor,
        cfg: &AdamConfig,
        table: &Self::Tensor,
        count: &Self::Tensor,
        skip_if: Option<&Self::Tensor>,
    ) -> Result<()>;

    /// f16 matmul as autocast runs it: f16 operands, f32 accumulation, f16 result rounded to
    /// nearest even. Shapes as [`Backend::matmul_t`].
    fn matmul_f16(&self, a: &Self::Tensor, b: &Self::Tensor, ta: bool, tb: bool) -> Result<Self::Tensor>;

    /// `GradScaler.unscale_` for one step, in place: every gradient is multiplied by
    /// `inv_scale` (`(1,)` f32) and `found_inf` (`(1,)` f32) is set to 1.0 if any element is
    /// inf or NaN. found_inf is never cleared here, so one flag covers all of a step's grads.
    fn amp_unscale(
        &self,
        grads: &mut [&mut Self::Tensor],
        inv_scale: &Self::Tensor,
        found_inf: &mut Self::Tensor,
    ) -> Result<()>;

    /// `GradScaler.unscale_`'s `inv_scale = (float)(1.0 / (double)scale)` for a `(1,)` f32
    /// scale that lives on the backend.
    fn amp_inv_scale(&self, scale: &Self::Tensor) -> Result<Self::Tensor>;

    /// `GradScaler.update` on the backend: `scale` (`(1,)` f32) and `growth_tracker` (`(1,)`
    /// int32) follow torch's `_amp_update_scale_` given `found_inf`.
    fn amp_update_scale(
        &self,
        scale: &mut Self::Tensor,
        growth_tracker: &mut Self::Tensor,
        found_inf: &Self::Tensor,
        cfg: &ScalerConfig,
    ) -> Result<()>;
}
