//! Named host tensors — a `state_dict` — and their safetensors encoding (the `safetensors` crate),
//! so `safetensors.torch.save_file(model.state_dict(), path)` files load here key for key.
//!
//! Not here: what the keys mean (the module tree in `tree.rs` reads and writes them).

use crate::backend::{DType, HostData};
use crate::rules::error::{fmt_shape, Error, Result};
use safetensors::tensor::{Dtype as StDtype, SafeTensors, TensorView};
use std::collections::{BTreeMap, HashMap};

/// One host tensor: a shape and row-major values.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    /// Outermost dimension first.
    pub shape: Vec<usize>,
    /// The values.
    pub data: HostData,
}

impl Tensor {
    /// An f32 tensor.
    pub fn f32(shape: &[usize], values: Vec<f32>) -> Tensor {
        Tensor { shape: shape.to_vec(), data: HostData::F32(values) }
    }
}

/// A `state_dict`: tensors by key (`fc1.weight`), sorted as safetensors sorts them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StateDict {
    /// The tensors.
    pub tensors: BTreeMap<String, Tensor>,
    /// Keys read from a file but not understood (e.g. int64 `num_batches_tracked`), kept so a
    /// caller can list them.
    pub ignored: Vec<String>,
}

impl StateDict {
    /// Inserts or replaces a tensor.
    pub fn insert(&mut self, key: impl Into<String>, t: Tensor) {
        self.tensors.insert(key.into(), t);
    }

    /// The f32 values of `key`, which must have `shape`. `path` names the module in errors.
    pub fn f32(&self, key: &str, shape: &[usize]) -> Result<Vec<f32>> {
        let t = self.tensors.get(key).ok_or_else(|| Error::Model {
            path: key.into(),
            detail: format!("missing from the weights; expected a float32 tensor of shape {}", fmt_shape(shape)),
        })?;
        if t.shape != shape {
            return Err(Error::Model {
                path: key.into(),
                detail: format!(
                    "has shape {} in the weights; the spec needs {}",
                    fmt_shape(&t.shape),
                    fmt_shape(shape)
                ),
            });
        }
        match &t.data {
            HostData::F32(v) => Ok(v.clone()),
            d => Err(Error::Model {
                path: key.into(),
                detail: format!("is {} in the weights; expected float32", d.dtype()),
            }),
        }
    }

    /// Reads a safetensors file's bytes. F32, F16, BF16, I8, U8 and I32 tensors are kept; I64
    /// (`num_batches_tracked`) and other dtypes are listed in [`StateDict::ignored`]. Returns the
    /// file's `__metadata__` too.
    pub fn from_safetensors(bytes: &[u8]) -> Result<(StateDict, HashMap<String, String>)> {
        let st = SafeTensors::deserialize(bytes)
            .map_err(|e| Error::Model { path: String::new(), detail: format!("not a safetensors file: {e}") })?;
        let (_, meta) = SafeTensors::read_metadata(bytes)
            .map_err(|e| Error::Model { path: String::new(), detail: format!("bad safetensors header: {e}") })?;
        let mut sd = StateDict::default();
        for (name, view) in st.tensors() {
            let dtype = match view.dtype() {
                StDtype::F32 => DType::F32,
                StDtype::F16 => DType::F16,
                StDtype::BF16 => DType::BF16,
                StDtype::I8 => DType::I8,
                StDtype::U8 => DType::U8,
                StDtype::I32 => DType::I32,
                StDtype::I64 if name.ends_with("num_batches_tracked") => {
                    sd.ignored.push(name);
                    continue;
                }
                StDtype::I64 => {
                    // int64 labels / zero points: keep as i32 when every value fits.
                    let vals: Vec<i64> = view
                        .data()
                        .chunks_exact(8)
                        .map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes")))
                        .collect();
                    let narrowed: Option<Vec<i32>> = vals.iter().map(|&v| i32::try_from(v).ok()).collect();
                    let vals = narrowed.ok_or_else(|| Error::Model {
                        path: name.clone(),
                        detail: "int64 values outside the int32 range".into(),
                    })?;
                    sd.insert(name, Tensor { shape: view.shape().to_vec(), data: HostData::I32(vals) });
                    continue;
                }
                _ => {
                    sd.ignored.push(name);
                    continue;
                }
            };
            let n: usize = view.shape().iter().product();
            sd.insert(
                name,
                Tensor { shape: view.shape().to_vec(), data: HostData::from_le_bytes(dtype, n, view.data()) },
            );
        }
        Ok((sd, meta.metadata().clone().unwrap_or_default()))
    }

    /// Encodes as safetensors with `metadata` in `__metadata__`. The same state and metadata
    /// give the same bytes in every process: the header's keys are written sorted (the
    /// `safetensors` crate writes `__metadata__` in `HashMap` order, which differs per process).
    pub fn to_safetensors(&self, metadata: Option<HashMap<String, String>>) -> Result<Vec<u8>> {
        let bytes: Vec<(String, StDtype, Vec<usize>, Vec<u8>)> = self
            .tensors
            .iter()
            .map(|(k, t)| {
                let dt = match t.data.dtype() {
                    DType::F32 => StDtype::F32,
                    DType::F16 => StDtype::F16,
                    DType::BF16 => StDtype::BF16,
                    DType::I8 => StDtype::I8,
                    DType::U8 => StDtype::U8,
                    DType::I32 => StDtype::I32,
                };
                (k.clone(), dt, t.shape.clone(), t.data.to_le_bytes())
            })
            .collect();
        let mut views = Vec::with_capacity(bytes.len());
        for (k, dt, shape, b) in &bytes {
            views.push((
                k.as_str(),
                TensorView::new(*dt, shape.clone(), b)
                    .map_err(|e| Error::Model { path: k.clone(), detail: format!("cannot encode: {e}") })?,
            ));
        }
        let raw = safetensors::serialize(views, metadata)
            .map_err(|e| Error::Model { path: String::new(), detail: format!("cannot write safetensors: {e}") })?;
        Ok(sorted_header(raw))
    }
}

/// `raw` (a safetensors file the `safetensors` crate wrote) with its JSON header rewritten with
/// sorted keys, padded with spaces to a multiple of 8 as the format asks; the tensors' data
/// offsets are relative to the end of the header, so the data is unchanged.
fn sorted_header(raw: Vec<u8>) -> Vec<u8> {
    let n = u64::from_le_bytes(raw[..8].try_into().expect("8-byte length")) as usize;
    let header: BTreeMap<String, serde_json::Value> =
        serde_json::from_slice(&raw[8..8 + n]).expect("safetensors wrote a JSON object header");
    let mut json = serde_json::to_string(&header).expect("a JSON object serialises");
    while !json.len().is_multiple_of(8) {
        json.push(' ');
    }
    let mut out = Vec::with_capacity(8 + json.len() + raw.len() - 8 - n);
    out.extend_from_slice(&(json.len() as u64).to_le_bytes());
    out.extend_from_slice(json.as_bytes());
    out.extend_from_slice(&raw[8 + n..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safetensors_round_trip_keeps_keys_dtypes_shapes_and_metadata() {
        let mut sd = StateDict::default();
        sd.insert("fc1.weight", Tensor::f32(&[2, 3], vec![1.0, -2.0, 3.5, 0.0, 1e-8, -0.0]));
        sd.insert("fc1.weight_codes", Tensor { shape: vec![3], data: HostData::I8(vec![-128, 0, 127]) });
        sd.insert("fc1.zero_point", Tensor { shape: vec![1], data: HostData::I32(vec![-7]) });
        let meta = HashMap::from([("spec".to_string(), "{}".to_string())]);
        let bytes = sd.to_safetensors(Some(meta.clone())).unwrap();
        let (back, m) = StateDict::from_safetensors(&bytes).unwrap();
        assert_eq!(back, sd);
        assert_eq!(m, meta);
        assert_eq!(back.f32("fc1.weight", &[2, 3]).unwrap()[1], -2.0);
        let e = back.f32("fc1.weight", &[3, 2]).unwrap_err().to_string();
        assert!(e.contains("(2, 3)") && e.contains("(3, 2)"), "{e}");
        assert!(back.f32("fc2.weight", &[1]).unwrap_err().to_string().contains("missing"));
    }

    #[test]
    fn the_same_state_and_metadata_give_the_same_bytes_whatever_the_hashmap_order() {
        let mut sd = StateDict::default();
        sd.insert("b.weight", Tensor::f32(&[2], vec![1.0, 2.0]));
        sd.insert("a.bias", Tensor { shape: vec![1], data: HostData::I32(vec![3]) });
        // Each HashMap has its own random hasher, so 16 keys iterate in a different order in
        // each (the safetensors crate writes them in that order).
        let keys: Vec<String> = (0..16).map(|i| format!("key{i}")).collect();
        let meta = |rev: bool| -> HashMap<String, String> {
            let mut ks = keys.clone();
            if rev {
                ks.reverse();
            }
            ks.into_iter().map(|k| (k.clone(), format!("value of {k}"))).collect()
        };
        let first = sd.to_safetensors(Some(meta(false))).unwrap();
        for rev in [false, true, false, true] {
            assert_eq!(sd.to_safetensors(Some(meta(rev))).unwrap(), first);
        }
        let n = u64::from_le_bytes(first[..8].try_into().unwrap()) as usize;
        assert_eq!(n % 8, 0, "the header is padded to 8 bytes");
        let (back, m) = StateDict::from_safetensors(&first).unwrap();
        assert_eq!((back, m), (sd, meta(false)));
    }
}
