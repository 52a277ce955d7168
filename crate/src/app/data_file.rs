//! The calibration / evaluation data file that `quantplay quantize --calib/--eval` reads:
//! safetensors with `x` (float32, batch first) and optionally `y` (int32, int64 or uint8 class
//! labels, one per sample), checked so a bad file is a named error here, not a panic later.
//!
//! Not here: reading the file from disk (the CLI, under `rules::limits::MAX_INPUT_BYTES`), the
//! PTQ run that uses the samples (`ptq`).

use crate::backend::HostData;
use crate::model::StateDict;
use crate::rules::error::{fmt_shape, Error, Result};

/// The samples of one data file.
#[derive(Debug, Clone, PartialEq)]
pub struct DataFile {
    /// `x`'s values, row-major.
    pub x: Vec<f32>,
    /// `x`'s shape, `(N, …)` with N ≥ 1.
    pub shape: Vec<usize>,
    /// `y` as class indices (≥ 0), one per sample, when the file has it.
    pub y: Option<Vec<i32>>,
}

/// Parses a data file's bytes; `name` (how the file was given, e.g. `--calib calib.safetensors`)
/// names it in every error ([`Error::File`]).
pub fn read(name: &str, bytes: &[u8]) -> Result<DataFile> {
    let bad = |detail: String| Error::File { file: name.into(), detail };
    let (sd, _) = StateDict::from_safetensors(bytes).map_err(|e| bad(e.to_string()))?;
    let x = sd.tensors.get("x").ok_or_else(|| {
        let has: Vec<&str> = sd.tensors.keys().map(|k| k.as_str()).collect();
        let has = if has.is_empty() { "none".to_string() } else { has.join(", ") };
        bad(format!("has no tensor `x` (it has: {has}); a data file needs `x` [N, …] and may have `y`"))
    })?;
    let xs = match &x.data {
        HostData::F32(v) => v.clone(),
        d => return Err(bad(format!("`x` is {}; expected float32", d.dtype()))),
    };
    let n = match x.shape.first() {
        Some(&n) if n >= 1 => n,
        _ => return Err(bad(format!("`x` has shape {}; expected (N, …) with N >= 1", fmt_shape(&x.shape)))),
    };
    let y = match sd.tensors.get("y") {
        None => None,
        Some(t) => {
            let labels = match &t.data {
                HostData::I32(v) => v.clone(),
                HostData::U8(v) => v.iter().map(|&c| c as i32).collect(),
                d => return Err(bad(format!("`y` is {}; expected integer class labels", d.dtype()))),
            };
            if t.shape.len() != 1 || labels.len() != n {
                return Err(bad(format!(
                    "`y` has shape {}; expected ({n},), one label per sample of `x` {}",
                    fmt_shape(&t.shape),
                    fmt_shape(&x.shape)
                )));
            }
            if let Some(l) = labels.iter().find(|&&l| l < 0) {
                return Err(bad(format!("`y` holds the label {l}; class labels are >= 0")));
            }
            Some(labels)
        }
    };
    Ok(DataFile { x: xs, shape: x.shape.clone(), y })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::state::Tensor;

    fn file(tensors: Vec<(&str, Tensor)>) -> Vec<u8> {
        let mut sd = StateDict::default();
        for (k, t) in tensors {
            sd.insert(k, t);
        }
        sd.to_safetensors(None).unwrap()
    }

    #[test]
    fn a_data_file_gives_x_its_shape_and_labels() {
        let y = Tensor { shape: vec![2], data: HostData::U8(vec![1, 0]) };
        let d = read("d", &file(vec![("x", Tensor::f32(&[2, 3], vec![0.5; 6])), ("y", y)])).unwrap();
        assert_eq!((d.shape, d.y), (vec![2, 3], Some(vec![1, 0])));
    }

    #[test]
    fn labels_that_do_not_match_the_samples_are_named_errors() {
        let x = || ("x", Tensor::f32(&[2, 3], vec![0.5; 6]));
        let msg = |b: Vec<u8>| read("eval.st", &b).unwrap_err().to_string();
        let three = Tensor { shape: vec![3], data: HostData::I32(vec![0, 1, 2]) };
        assert!(msg(file(vec![x(), ("y", three)])).contains("expected (2,)"));
        let negative = Tensor { shape: vec![2], data: HostData::I32(vec![0, -1]) };
        assert!(msg(file(vec![x(), ("y", negative)])).contains("label -1"));
        assert!(msg(file(vec![("x", Tensor::f32(&[0, 3], vec![]))])).contains("N >= 1"));
        assert_eq!(
            msg(file(vec![("z", Tensor::f32(&[1], vec![0.0])), ("w", Tensor::f32(&[1], vec![0.0]))])),
            "eval.st: has no tensor `x` (it has: w, z); a data file needs `x` [N, …] and may have `y`"
        );
        assert!(msg(b"not safetensors".to_vec()).starts_with("eval.st: "));
    }
}
