//! Validation of the observer reductions (`ops::ObserveOps`) that every backend shares, so the
//! CPU and the GPU reject the same arguments with the same errors.

use crate::backend::{expect_dtype, DType, HasShape};
use crate::rules::error::{fmt_shape, Error, Result};
use crate::rules::histc::HistcRange;

/// Validates the output region of an `*_into` reduction: I32 `out` with `words` words from `at`.
fn check_out(op: &'static str, out: &impl HasShape, at: usize, words: usize) -> Result<()> {
    expect_dtype(op, out, DType::I32)?;
    if at.checked_add(words).is_none_or(|end| end > out.numel()) {
        return Err(Error::Shape {
            op,
            detail: format!(
                "{words} result words at word {at} do not fit out of shape {} ({} words)",
                fmt_shape(out.shape()),
                out.numel()
            ),
        });
    }
    Ok(())
}

/// Validates `aminmax_into`: F32 `x`, room for `AMINMAX_WORDS` words at `at`.
pub fn check_aminmax(x: &impl HasShape, out: &impl HasShape, at: usize) -> Result<()> {
    expect_dtype("aminmax", x, DType::F32)?;
    check_out("aminmax", out, at, crate::rules::stats::AMINMAX_WORDS)
}

/// Validates `aminmax_per_channel_into` and returns `(channels, inner)`: `ch_axis`'s size and
/// the product of the dimensions after it.
pub fn check_aminmax_per_channel(
    x: &impl HasShape,
    ch_axis: usize,
    out: &impl HasShape,
    at: usize,
) -> Result<(usize, usize)> {
    expect_dtype("aminmax_per_channel", x, DType::F32)?;
    let Some(&c) = x.shape().get(ch_axis) else {
        return Err(Error::Shape {
            op: "aminmax_per_channel",
            detail: format!(
                "ch_axis {ch_axis} is outside shape {}; valid axes are 0..{}",
                fmt_shape(x.shape()),
                x.shape().len()
            ),
        });
    };
    check_out("aminmax_per_channel", out, at, crate::rules::stats::channel_words(c))?;
    Ok((c, x.shape()[ch_axis + 1..].iter().product()))
}

/// Validates `histc_accumulate`: F32 `x`, I32 `counts` of shape `(rows, range.bins)` and
/// `row < rows`.
pub fn check_histc(x: &impl HasShape, range: &HistcRange, counts: &impl HasShape, row: usize) -> Result<()> {
    expect_dtype("histc_accumulate", x, DType::F32)?;
    expect_dtype("histc_accumulate", counts, DType::I32)?;
    let s = counts.shape();
    if s.len() != 2 || s[1] != range.bins || row >= s[0] {
        return Err(Error::Shape {
            op: "histc_accumulate",
            detail: format!(
                "counts has shape {} and row {row}; it must be (rows, {}) with row < rows",
                fmt_shape(s),
                range.bins
            ),
        });
    }
    Ok(())
}
