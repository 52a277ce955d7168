//! The shape and dtype rules every backend shares, so the CPU reference and the GPU reject the
//! same operands with the same message (matmul `(m, k)·(k, n)` as `torch.mm`, bias `(n,)` over
//! `(rows, n)` as `F.linear`, quantize / quantized Linear operands, upload lengths).
//!
//! Not here: the trait itself (`mod.rs`), kernels (`cpu/`, `gpu/`).

use super::{DType, HasShape};
use crate::rules::error::{fmt_shape, Error, Result};
use crate::rules::{QLinearSpec, QParams};

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
    let t = |s: &[usize], flip: bool| -> Vec<usize> {
        if flip && s.len() == 2 {
            vec![s[1], s[0]]
        } else {
            s.to_vec()
        }
    };
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
            detail: format!(
                "logits must be (b, c) with c > 0 and labels (b,), got {} and {}",
                fmt_shape(l),
                fmt_shape(t)
            ),
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
        return Err(Error::Shape {
            op: "quantized_linear",
            detail: format!("x must be (m, k) and w (n, k), got {} and {}", fmt_shape(x.shape()), fmt_shape(w.shape())),
        });
    };
    if k != k2 {
        return Err(Error::Shape {
            op: "quantized_linear",
            detail: format!(
                "x is {} and w is {}: in_features must match ({k} vs {k2})",
                fmt_shape(x.shape()),
                fmt_shape(w.shape())
            ),
        });
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
        _ => Err(Error::Unsupported {
            op: "cast",
            detail: format!("{from} → {to}; supported: float32 ↔ float16, float32 ↔ bfloat16"),
        }),
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
        return Err(err(format!("both operands must be 2-D, got {} and {}", fmt_shape(a), fmt_shape(b))));
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
            detail: format!("x must be (rows, n) and bias (n,), got {} and {}", fmt_shape(x), fmt_shape(bias)),
        }),
    }
}

/// Validates that an element-wise binary op gets equal shapes.
pub fn same_shape(op: &'static str, a: &[usize], b: &[usize]) -> Result<()> {
    if a != b {
        return Err(Error::Shape {
            op,
            detail: format!("shapes must be equal (no broadcasting), got {} and {}", fmt_shape(a), fmt_shape(b)),
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
