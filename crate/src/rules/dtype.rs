//! Element types and host-side tensor data. Backends store every dtype as raw little-endian
//! bytes, so a GPU buffer holds f16 two per u32 word and int8 four per word, in the byte order
//! WGSL's `unpack2x16float` and `unpack4xI8` expect (element 0 in the lowest bits).
//!
//! Names follow PyTorch (`torch.float16`, `torch.int8`, ...). Quantized tensors are integer codes
//! plus qparams (see `quantize.rs`); the codes themselves are plain `I8`/`U8` here.

use crate::rules::error::{Error, Result};
use half::{bf16, f16};

/// An element type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum DType {
    /// `torch.float32`.
    F32,
    /// `torch.float16` (IEEE binary16).
    F16,
    /// `torch.bfloat16`.
    BF16,
    /// `torch.int8`: the codes of `torch.qint8`.
    I8,
    /// `torch.uint8`: the codes of `torch.quint8`.
    U8,
    /// `torch.int32`: GEMM accumulators, the codes of `torch.qint32`.
    I32,
}

impl DType {
    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            DType::F32 | DType::I32 => 4,
            DType::F16 | DType::BF16 => 2,
            DType::I8 | DType::U8 => 1,
        }
    }

    /// PyTorch's name: `"float32"`, `"float16"`, `"bfloat16"`, `"int8"`, `"uint8"`, `"int32"`.
    pub fn torch_name(self) -> &'static str {
        match self {
            DType::F32 => "float32",
            DType::F16 => "float16",
            DType::BF16 => "bfloat16",
            DType::I8 => "int8",
            DType::U8 => "uint8",
            DType::I32 => "int32",
        }
    }
}

impl std::fmt::Display for DType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.torch_name())
    }
}

/// Tensor values in host memory, one variant per [`DType`].
#[derive(Debug, Clone, PartialEq)]
pub enum HostData {
    /// f32 values.
    F32(Vec<f32>),
    /// f16 values (`half::f16`, bit-compatible with torch.float16).
    F16(Vec<f16>),
    /// bf16 values (`half::bf16`, bit-compatible with torch.bfloat16).
    BF16(Vec<bf16>),
    /// int8 values.
    I8(Vec<i8>),
    /// uint8 values.
    U8(Vec<u8>),
    /// int32 values.
    I32(Vec<i32>),
}

impl HostData {
    /// The element type.
    pub fn dtype(&self) -> DType {
        match self {
            HostData::F32(_) => DType::F32,
            HostData::F16(_) => DType::F16,
            HostData::BF16(_) => DType::BF16,
            HostData::I8(_) => DType::I8,
            HostData::U8(_) => DType::U8,
            HostData::I32(_) => DType::I32,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            HostData::F32(v) => v.len(),
            HostData::F16(v) => v.len(),
            HostData::BF16(v) => v.len(),
            HostData::I8(v) => v.len(),
            HostData::U8(v) => v.len(),
            HostData::I32(v) => v.len(),
        }
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values as little-endian bytes (the GPU buffer layout).
    pub fn to_le_bytes(&self) -> Vec<u8> {
        match self {
            HostData::F32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            HostData::F16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            HostData::BF16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            HostData::I8(v) => v.iter().map(|&x| x as u8).collect(),
            HostData::U8(v) => v.clone(),
            HostData::I32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        }
    }

    /// Rebuilds `len` values of `dtype` from little-endian bytes (extra padding is ignored).
    pub fn from_le_bytes(dtype: DType, len: usize, bytes: &[u8]) -> HostData {
        let chunks = |n: usize| bytes.chunks_exact(n).take(len);
        match dtype {
            DType::F32 => HostData::F32(chunks(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect()),
            DType::F16 => HostData::F16(chunks(2).map(|c| f16::from_le_bytes(c.try_into().unwrap())).collect()),
            DType::BF16 => HostData::BF16(chunks(2).map(|c| bf16::from_le_bytes(c.try_into().unwrap())).collect()),
            DType::I8 => HostData::I8(bytes[..len].iter().map(|&b| b as i8).collect()),
            DType::U8 => HostData::U8(bytes[..len].to_vec()),
            DType::I32 => HostData::I32(chunks(4).map(|c| i32::from_le_bytes(c.try_into().unwrap())).collect()),
        }
    }

    /// The f32 values, or a dtype error naming `op`.
    pub fn into_f32(self, op: &'static str) -> Result<Vec<f32>> {
        match self {
            HostData::F32(v) => Ok(v),
            other => Err(Error::DType { op, expected: "float32".into(), got: other.dtype() }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip_for_every_dtype_with_element_zero_lowest() {
        let all = [
            HostData::F32(vec![1.5, -0.0, f32::INFINITY]),
            HostData::F16(vec![f16::from_f32(0.1), f16::MAX, f16::from_bits(1)]),
            HostData::BF16(vec![bf16::from_f32(3.0), bf16::NEG_INFINITY]),
            HostData::I8(vec![-128, 127, 0, -1, 5]),
            HostData::U8(vec![0, 255, 7]),
            HostData::I32(vec![i32::MIN, 42]),
        ];
        for d in all {
            let mut bytes = d.to_le_bytes();
            assert_eq!(bytes.len(), d.len() * d.dtype().size());
            bytes.extend([0xAB; 3]); // GPU padding to a 4-byte multiple is ignored
            assert_eq!(HostData::from_le_bytes(d.dtype(), d.len(), &bytes), d);
        }
        // i8 packing: [-1, 2, 3, 4] is the u32 0x040302FF, as WGSL unpack4xI8 reads it.
        let b = HostData::I8(vec![-1, 2, 3, 4]).to_le_bytes();
        assert_eq!(u32::from_le_bytes(b.try_into().unwrap()), 0x0403_02FF);
    }
}
