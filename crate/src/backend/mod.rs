//! The one small trait every compute backend implements, plus the shape rules all backends
//! share, so the CPU reference and the GPU reject the same operands with the same message.
//!
//! Not here: kernels (see `cpu.rs` and `gpu/`), tolerances (see `crate::parity`).
//!
//! Tensors are dense, row-major f32 for now. Shapes follow PyTorch's conventions:
//! `matmul` is `(m, k) · (k, n) → (m, n)` as `torch.mm`; `bias_add` adds a `(n,)` bias to every
//! row of `(rows, n)` as `torch.nn.functional.linear` does after its GEMM.

pub mod conv;
pub mod cpu;
mod dtype;
pub mod gpu;

pub use conv::Conv2dGeom;
pub use dtype::{DType, HostData};

use crate::error::{fmt_shape, Error, Result};
use crate::amp::ScalerConfig;
use crate::nn::{AdamConfig, SgdConfig};
use crate::quant::{QLinearSpec, QParams};
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
    /// (`crate::cast`), f16 / bf16 → f32 exactly. See [`check_cast`] for the supported pairs.
    fn cast(&self, x: &Self::Tensor, to: DType) -> Result<Self::Tensor>;

    /// f32 → integer codes with torch's `quantize_per_tensor` / `quantize_per_channel`
    /// arithmetic (`crate::quant::affine`); codes are `I8` for qint8 and `U8` for quint8.
    fn quantize(&self, x: &Self::Tensor, q: &QParams) -> Result<Self::Tensor>;

    /// Codes → f32, `(q - zero_point) * scale` (torch's `dequantize()`).
    fn dequantize(&self, codes: &Self::Tensor, q: &QParams) -> Result<Self::Tensor>;

    /// `torch.ops.quantized.linear(_relu)`: x uint8 codes (m, k), w int8 codes (n, k) →
    /// y uint8 codes (m, n), exact int32 accumulation and torch's requantization
    /// (`crate::quant::linear`).
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
    /// alpha/beta from `crate::nn::batchnorm::bn_eval_alpha_beta` (torch's CPU kernel fuses it).
    fn channel_affine(&self, x: &Self::Tensor, alpha: &Self::Tensor, beta: &Self::Tensor) -> Result<Self::Tensor>;

    /// `max(code, zero_point)` on uint8 codes: `torch.relu` of a quint8 tensor (qparams kept).
    fn quantized_relu(&self, codes: &Self::Tensor, zero_point: i32) -> Result<Self::Tensor>;

    /// Per-channel lookup on uint8 codes x `(n, c, rest…)`: `y = table[c][x]` with table U8
    /// `(c, 256)`, exact. `quantized::batch_norm2d`'s output code depends only on (channel,
    /// input code), so `crate::quant::qbatchnorm::code_table` tabulates torch's arithmetic once.
    fn quantized_channel_lut(&self, codes: &Self::Tensor, table: &Self::Tensor) -> Result<Self::Tensor>;

    /// `torch.fake_quantize_per_{tensor,channel}_affine` (the `_cachemask` variants) on F32 x:
    /// returns `(y, mask)`, both F32, mask 1.0 where the unclamped code was inside
    /// `[quant_min, quant_max]` (the straight-through estimator's `grad · mask`). The rule is
    /// `crate::quant::fake::fake_quantize_val`; the qparams' dtype is ignored.
    fn fake_quantize(&self, x: &Self::Tensor, q: &QParams, quant_min: i32, quant_max: i32) -> Result<(Self::Tensor, Self::Tensor)>;

    /// `[min, max]` of all elements of an F32 tensor, as a `(2,)` tensor (fbgemm's
    /// `FindMinMax`, for dynamic quantization); `[0, 0]` for an empty tensor.
    fn min_max(&self, x: &Self::Tensor) -> Result<Self::Tensor>;

    /// The dynamic quantized Linear's int8 GEMM with float output (fbgemm's
    /// `ReQuantizeForFloat`): x uint8 codes `(m, k)` under per-tensor quint8 `x_q`, w int8
    /// `(n, k)` under qint8 `w_q` (per tensor or per channel on axis 0) → F32 `(m, n)`,
    /// `fma((float)acc, x_scale · w_scale[j], bias[j])` (`crate::quant::dynamic`).
    fn quantized_linear_float(&self, x: &Self::Tensor, w: &Self::Tensor, x_q: &QParams, w_q: &QParams, bias: Option<&[f32]>) -> Result<Self::Tensor>;

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
    fn sgd_step(&self, p: &mut Self::Tensor, grad: &Self::Tensor, buf: &mut Self::Tensor, cfg: &SgdConfig, first: bool, skip_if: Option<&Self::Tensor>) -> Result<()>;

    /// One `torch.optim.Adam` step in place on `p`, `exp_avg` and `exp_avg_sq`; `step` ≥ 1.
    /// `skip_if` as for [`Backend::sgd_step`].
    #[allow(clippy::too_many_arguments)]
    fn adam_step(&self, p: &mut Self::Tensor, grad: &Self::Tensor, m: &mut Self::Tensor, v: &mut Self::Tensor, cfg: &AdamConfig, step: u32, skip_if: Option<&Self::Tensor>) -> Result<()>;

    /// [`Backend::adam_step`] with the step counted on the device, so steps GradScaler skips
    /// are not counted (torch's Adam never sees them): `count` `(1,)` f32 holds the steps
    /// taken so far and `table` `(2·N,)` f32 holds, for step t + 1, `table[2t] = -lr / (1 −
    /// β1^(t+1))` and `table[2t + 1] = √(1 − β2^(t+1))` ([`crate::nn::optim::adam_table`]).
    /// The caller advances `count` after all parameters of a step. `count` must be < N.
    #[allow(clippy::too_many_arguments)]
    fn adam_step_counted(&self, p: &mut Self::Tensor, grad: &Self::Tensor, m: &mut Self::Tensor, v: &mut Self::Tensor, cfg: &AdamConfig, table: &Self::Tensor, count: &Self::Tensor, skip_if: Option<&Self::Tensor>) -> Result<()>;

    /// f16 matmul as autocast runs it: f16 operands, f32 accumulation, f16 result rounded to
    /// nearest even. Shapes as [`Backend::matmul_t`].
    fn matmul_f16(&self, a: &Self::Tensor, b: &Self::Tensor, ta: bool, tb: bool) -> Result<Self::Tensor>;

    /// `GradScaler.unscale_` for one step, in place: every gradient is multiplied by
    /// `inv_scale` (`(1,)` f32) and `found_inf` (`(1,)` f32) is set to 1.0 if any element is
    /// inf or NaN. found_inf is never cleared here, so one flag covers all of a step's grads.
    fn amp_unscale(&self, grads: &mut [&mut Self::Tensor], inv_scale: &Self::Tensor, found_inf: &mut Self::Tensor) -> Result<()>;

    /// `GradScaler.unscale_`'s `inv_scale = (float)(1.0 / (double)scale)` for a `(1,)` f32
    /// scale that lives on the backend.
    fn amp_inv_scale(&self, scale: &Self::Tensor) -> Result<Self::Tensor>;

    /// `GradScaler.update` on the backend: `scale` (`(1,)` f32) and `growth_tracker` (`(1,)`
    /// int32) follow torch's `_amp_update_scale_` given `found_inf`.
    fn amp_update_scale(&self, scale: &mut Self::Tensor, growth_tracker: &mut Self::Tensor, found_inf: &Self::Tensor, cfg: &ScalerConfig) -> Result<()>;
}

/// Validates a `(1,)` tensor of `dtype` used as a scalar on the device (scale, found_inf, ...).
pub fn check_scalar(op: &'static str, name: &str, t: &impl HasShape, dtype: DType) -> Result<()> {
    expect_dtype(op, t, dtype)?;
    if t.shape() != [1] {
        return Err(Error::Shape { op, detail: format!("{name} must be (1,), got {}", fmt_shape(t.shape())) });
    }
    Ok(())
}

/// Validates f16 matmul operands and returns `(m, k, n)`.
pub fn check_matmul_f16(a: &impl HasShape, b: &impl HasShape, ta: bool, tb: bool) -> Result<(usize, usize, usize)> {
    expect_dtype("matmul_f16", a, DType::F16)?;
    expect_dtype("matmul_f16", b, DType::F16)?;
    matmul_t_dims(a.shape(), b.shape(), ta, tb)
}

/// Validates `op(a) · op(b)` (see [`Backend::matmul_t`]) and returns `(m, k, n)`.
pub fn matmul_t_dims(a: &[usize], b: &[usize], ta: bool, tb: bool) -> Result<(usize, usize, usize)> {
    let t = |s: &[usize], flip: bool| -> Vec<usize> { if flip && s.len() == 2 { vec![s[1], s[0]] } else { s.to_vec() } };
    matmul_dims(&t(a, ta), &t(b, tb))
}

/// Validates cross-entropy operands: f32 logits (b, c) and int32 labels (b,); returns (b, c).
pub fn cross_entropy_dims(logits: &impl HasShape, labels: &impl HasShape) -> Result<(usize, usize)> {
    expect_dtype("cross_entropy", logits, DType::F32)?;
    expect_dtype("cross_entropy", labels, DType::I32)?;
    match (logits.shape(), labels.shape()) {
        (&[b, c], &[bl]) if b == bl && c > 0 => Ok((b, c)),
        (l, t) => Err(Error::Shape {
            op: "cross_entropy",
            detail: format!("logits must be (b, c) with c > 0 and labels (b,), got {} and {}", fmt_shape(l), fmt_shape(t)),
        }),
    }
}

/// Validates an optimizer step: every tensor f32 and shaped like the parameter.
pub fn check_step(op: &'static str, p: &impl HasShape, others: &[&dyn HasShapeDyn]) -> Result<()> {
    expect_dtype(op, p, DType::F32)?;
    for t in others {
        if t.dyn_dtype() != DType::F32 {
            return Err(Error::DType { op, expected: "float32".into(), got: t.dyn_dtype() });
        }
        same_shape(op, p.shape(), t.dyn_shape())?;
    }
    Ok(())
}

/// Object-safe view of [`HasShape`], for checks over mixed lists.
pub trait HasShapeDyn {
    /// The shape.
    fn dyn_shape(&self) -> &[usize];
    /// The dtype.
    fn dyn_dtype(&self) -> DType;
}

impl<T: HasShape> HasShapeDyn for T {
    fn dyn_shape(&self) -> &[usize] {
        self.shape()
    }
    fn dyn_dtype(&self) -> DType {
        self.dtype()
    }
}

/// Validates a quantized Linear: x uint8 (m, k), w int8 (n, k), a spec that fits; returns (m, k, n).
pub fn check_qlinear(x: &impl HasShape, w: &impl HasShape, spec: &QLinearSpec) -> Result<(usize, usize, usize)> {
    expect_dtype("quantized_linear", x, DType::U8)?;
    expect_dtype("quantized_linear", w, DType::I8)?;
    let (&[m, k], &[n, k2]) = (x.shape(), w.shape()) else {
        return Err(Error::Shape { op: "quantized_linear", detail: format!("x must be (m, k) and w (n, k), got {} and {}", fmt_shape(x.shape()), fmt_shape(w.shape())) });
    };
    if k != k2 {
        return Err(Error::Shape { op: "quantized_linear", detail: format!("x is {} and w is {}: in_features must match ({k} vs {k2})", fmt_shape(x.shape()), fmt_shape(w.shape())) });
    }
    spec.validate(n, k)?;
    Ok((m, k, n))
}

/// Fails with [`Error::DType`] unless `t` has dtype `want`.
pub fn expect_dtype(op: &'static str, t: &impl HasShape, want: DType) -> Result<()> {
    if t.dtype() != want {
        return Err(Error::DType { op, expected: want.torch_name().into(), got: t.dtype() });
    }
    Ok(())
}

/// The conversions [`Backend::cast`] supports: f32 ↔ f16, f32 ↔ bf16, and any dtype to itself.
pub fn check_cast(from: DType, to: DType) -> Result<()> {
    use DType::*;
    match (from, to) {
        (a, b) if a == b => Ok(()),
        (F32, F16) | (F16, F32) | (F32, BF16) | (BF16, F32) => Ok(()),
        _ => Err(Error::Unsupported { op: "cast", detail: format!("{from} → {to}; supported: float32 ↔ float16, float32 ↔ bfloat16") }),
    }
}

/// Validates a quantize call: an f32 input and qparams that fit its shape.
pub fn check_quantize(x: &impl HasShape, q: &QParams) -> Result<()> {
    expect_dtype("quantize", x, DType::F32)?;
    q.validate(x.shape())
}

/// Validates a dequantize call: codes of the qparams' dtype and qparams that fit their shape.
pub fn check_dequantize(codes: &impl HasShape, q: &QParams) -> Result<()> {
    expect_dtype("dequantize", codes, q.dtype().code_dtype())?;
    q.validate(codes.shape())
}

/// The element count of `shape`, or [`Error::TooLarge`] if it overflows `usize` (wasm32's is
/// 32 bits, where (65536, 65536) would wrap to 0).
pub fn checked_numel(shape: &[usize]) -> Result<usize> {
    shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)).ok_or_else(|| Error::TooLarge {
        what: format!("a tensor of shape {}", fmt_shape(shape)),
        bytes: u64::MAX,
        limit: usize::MAX as u64,
    })
}

/// Checks that `len` values fill `shape` exactly; returns the element count.
pub fn check_upload(len: usize, shape: &[usize]) -> Result<usize> {
    let expected = checked_numel(shape)?;
    if len != expected {
        return Err(Error::DataLength { shape: shape.to_vec(), expected, got: len });
    }
    Ok(expected)
}

/// Validates `(m, k) · (k, n)` and returns `(m, k, n)`.
pub fn matmul_dims(a: &[usize], b: &[usize]) -> Result<(usize, usize, usize)> {
    let err = |detail: String| Error::Shape { op: "matmul", detail };
    checked_numel(a)?;
    checked_numel(b)?;
    let (&[m, k], &[k2, n]) = (a, b) else {
        return Err(err(format!(
            "both operands must be 2-D, got {} and {}",
            fmt_shape(a),
            fmt_shape(b)
        )));
    };
    if k != k2 {
        return Err(err(format!(
            "a is {} and b is {}: a's columns ({k}) must equal b's rows ({k2})",
            fmt_shape(a),
            fmt_shape(b)
        )));
    }
    Ok((m, k, n))
}

/// Validates `(rows, n) + (n,)` and returns `(rows, n)`.
pub fn bias_dims(x: &[usize], bias: &[usize]) -> Result<(usize, usize)> {
    match (x, bias) {
        (&[rows, n], &[nb]) if n == nb => Ok((rows, n)),
        _ => Err(Error::Shape {
            op: "bias_add",
            detail: format!(
                "x must be (rows, n) and bias (n,), got {} and {}",
                fmt_shape(x),
                fmt_shape(bias)
            ),
        }),
    }
}

/// Validates that an element-wise binary op gets equal shapes.
pub fn same_shape(op: &'static str, a: &[usize], b: &[usize]) -> Result<()> {
    if a != b {
        return Err(Error::Shape {
            op,
            detail: format!(
                "shapes must be equal (no broadcasting), got {} and {}",
                fmt_shape(a),
                fmt_shape(b)
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matmul_dims_accepts_matching_inner_dims_and_names_bad_shapes() {
        assert_eq!(matmul_dims(&[2, 3], &[3, 4]).unwrap(), (2, 3, 4));
        let msg = matmul_dims(&[2, 3], &[4, 5]).unwrap_err().to_string();
        assert!(msg.contains("(2, 3)") && msg.contains("(4, 5)"), "{msg}");
        let msg = matmul_dims(&[6], &[6, 1]).unwrap_err().to_string();
        assert!(msg.contains("2-D") && msg.contains("(6,)"), "{msg}");
    }

    #[test]
    fn bias_dims_needs_bias_as_wide_as_rows() {
        assert_eq!(bias_dims(&[4, 3], &[3]).unwrap(), (4, 3));
        assert!(bias_dims(&[4, 3], &[4]).is_err());
        assert!(bias_dims(&[3], &[3]).is_err());
    }

    #[test]
    fn check_upload_reports_expected_and_given_lengths() {
        assert_eq!(check_upload(6, &[2, 3]).unwrap(), 6);
        let e = check_upload(5, &[2, 3]).unwrap_err();
        assert_eq!(e, Error::DataLength { shape: vec![2, 3], expected: 6, got: 5 });
    }
}
