//! The int8 model file's consistency checks (`int8::load` calls them): every size a node claims
//! is tied to the tensors the file carries, so a file that claims huge or inconsistent shapes
//! is a named error at load, before anything is allocated from the claim, and a model that
//! loads can run.
//!
//! - sizes (features, channels, kernel, stride) are ≥ 1; padding is at most the kernel size
//!   (quantplay's limit: torch allows more, but each row or column past it is only padding,
//!   and a claimed padding of 2³¹ would make the first forward pass allocate terabytes);
//! - weight codes have exactly the layer's weight shape; per-tensor qparams are one scale and
//!   one zero point, per-channel ones one per output channel on axis 0; scales are finite and
//!   > 0, weight zero points in int8's range, activation zero points in quint8's;
//! - a bias has one value per output; BatchNorm's vectors one per feature.
//!
//! Not here: the layout (`int8.rs`), the float spec's checks (`spec.rs`).

use crate::rules::error::{fmt_shape, Error, Result};
use crate::rules::{QParams, QuantDType};

fn err(path: &str, detail: String) -> Error {
    Error::Model { path: path.into(), detail: format!("{detail} in the int8 model file") }
}

/// Sizes a node claims, by field name, must each be ≥ 1.
pub fn positive(path: &str, sizes: &[(&str, usize)]) -> Result<()> {
    match sizes.iter().find(|(_, v)| *v == 0) {
        Some((k, _)) => Err(err(path, format!("`{k}` is 0; sizes must be >= 1"))),
        None => Ok(()),
    }
}

/// A conv's kernel, stride (≥ 1) and padding (≤ kernel).
pub fn conv_geometry(
    path: &str,
    kernel: (usize, usize),
    stride: (usize, usize),
    padding: (usize, usize),
) -> Result<()> {
    positive(
        path,
        &[("kernel_size", kernel.0), ("kernel_size", kernel.1), ("stride", stride.0), ("stride", stride.1)],
    )?;
    if padding.0 > kernel.0 || padding.1 > kernel.1 {
        return Err(err(
            path,
            format!(
                "padding ({}, {}) is larger than kernel_size ({}, {}); quantplay accepts padding up to the kernel size",
                padding.0, padding.1, kernel.0, kernel.1
            ),
        ));
    }
    Ok(())
}

/// An activation's `scale` (finite, > 0) and `zero_point` (0..=255, quint8).
pub fn activation(path: &str, scale: f64, zero_point: i64) -> Result<(f32, i32)> {
    let s = scale as f32;
    if !(s.is_finite() && s > 0.0) {
        return Err(err(path, format!("`scale` is {scale}; it must be finite and > 0")));
    }
    if !(0..=255).contains(&zero_point) {
        return Err(err(path, format!("`zero_point` is {zero_point}; quint8 zero points are 0..=255")));
    }
    Ok((s, zero_point as i32))
}

/// A layer's weight: `codes` with `codes_shape` must have `shape`; the qparams are per tensor
/// (`axis` None: one scale) or per channel (`axis` Some(0): one per output channel).
pub fn weight(
    path: &str,
    shape: &[usize],
    codes_shape: &[usize],
    scales: Vec<f32>,
    zero_points: Vec<i32>,
    axis: Option<u64>,
) -> Result<QParams> {
    if codes_shape != shape {
        return Err(err(
            path,
            format!("weight codes have shape {}; the layer's sizes need {}", fmt_shape(codes_shape), fmt_shape(shape)),
        ));
    }
    let want = match axis {
        None => 1,
        Some(0) => shape[0],
        Some(a) => return Err(err(path, format!("weight_axis is {a}; only 0 (the output channel) is supported"))),
    };
    if scales.len() != want || zero_points.len() != want {
        return Err(err(
            path,
            format!(
                "{} weight scales and {} zero points; this weight needs {want} of each",
                scales.len(),
                zero_points.len()
            ),
        ));
    }
    if let Some(s) = scales.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
        return Err(err(path, format!("a weight scale is {s}; scales must be finite and > 0")));
    }
    if let Some(z) = zero_points.iter().find(|z| !(-128..=127).contains(*z)) {
        return Err(err(path, format!("a weight zero point is {z}; qint8 zero points are -128..=127")));
    }
    Ok(match axis {
        Some(_) => QParams::PerChannel { scales, zero_points, axis: 0, dtype: QuantDType::QInt8 },
        None => QParams::PerTensor { scale: scales[0], zero_point: zero_points[0], dtype: QuantDType::QInt8 },
    })
}

/// An optional per-output vector (`bias`, BatchNorm's `weight`) must have `n` values.
pub fn length(path: &str, what: &str, v: &Option<Vec<f32>>, n: usize) -> Result<()> {
    match v {
        Some(v) if v.len() != n => Err(err(path, format!("`{what}` has {} values; expected {n}", v.len()))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claimed_sizes_that_the_tensors_do_not_back_are_named_errors() {
        let huge = [1usize << 40, 1 << 20];
        let e = weight("fc", &huge, &[3, 4], vec![1.0], vec![0], None).unwrap_err().to_string();
        assert!(e.contains("(3, 4)") && e.contains("(1099511627776, 1048576)"), "{e}");
        let e = weight("fc", &[3, 4], &[3, 4], vec![1.0; 2], vec![0; 2], Some(0)).unwrap_err().to_string();
        assert!(e.contains("needs 3 of each"), "{e}");
        assert!(weight("fc", &[3, 4], &[3, 4], vec![0.0], vec![0], None).unwrap_err().to_string().contains("> 0"));
        assert!(weight("fc", &[3, 4], &[3, 4], vec![1.0], vec![200], None).is_err());
        assert!(weight("fc", &[3, 4], &[3, 4], vec![1.0; 3], vec![0; 3], Some(0)).is_ok());
        let e = conv_geometry("conv", (3, 3), (1, 1), (1, 65536)).unwrap_err().to_string();
        assert!(e.contains("padding (1, 65536)") && e.contains("kernel_size (3, 3)"), "{e}");
        assert!(conv_geometry("conv", (3, 3), (0, 1), (0, 0)).unwrap_err().to_string().contains("`stride` is 0"));
        assert!(activation("q", f64::NAN, 0).is_err() && activation("q", 0.1, 256).is_err());
        assert!(positive("fc", &[("in_features", 0)]).unwrap_err().to_string().contains("`in_features` is 0"));
    }
}
