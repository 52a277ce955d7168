//! The tensor type both CPU backends share, [`CpuTensor`] (shape + host buffer), and the
//! plumbing their op impls share: typed views, code widening, the skip flag.

use crate::backend::{check_scalar, expect_dtype, DType, HasShape, HostData};
use crate::rules::error::Result;

/// A dense, row-major tensor in host memory.
#[derive(Debug, Clone, PartialEq)]
pub struct CpuTensor {
    pub(crate) shape: Vec<usize>,
    pub(crate) data: HostData,
}

impl CpuTensor {
    /// The values, row-major.
    pub fn data(&self) -> &HostData {
        &self.data
    }

    /// The f32 values; an error naming `op` for any other dtype.
    pub(crate) fn f32s(&self, op: &'static str) -> Result<&[f32]> {
        expect_dtype(op, self, DType::F32)?;
        match &self.data {
            HostData::F32(v) => Ok(v),
            _ => unreachable!("dtype checked"),
        }
    }

    /// The f32 values, mutable; the caller has checked the dtype.
    pub(crate) fn f32s_mut(&mut self) -> &mut [f32] {
        match &mut self.data {
            HostData::F32(v) => v,
            _ => unreachable!("dtype checked by the caller"),
        }
    }
}

impl HasShape for CpuTensor {
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn dtype(&self) -> DType {
        self.data.dtype()
    }
}

/// A tensor of `shape` over `data` (lengths checked by the caller).
pub(crate) fn tensor(shape: &[usize], data: HostData) -> CpuTensor {
    CpuTensor { shape: shape.to_vec(), data }
}

/// int8 / uint8 codes widened to i32.
pub(crate) fn codes_of(data: &HostData) -> Vec<i32> {
    match data {
        HostData::I8(v) => v.iter().map(|&c| c as i32).collect(),
        HostData::U8(v) => v.iter().map(|&c| c as i32).collect(),
        _ => unreachable!("dtype checked by check_dequantize / check_qlinear"),
    }
}

/// Whether an optimizer step is skipped: `skip_if` is a non-zero `(1,)` f32 flag.
pub(crate) fn skip(skip_if: Option<&CpuTensor>, op: &'static str) -> Result<bool> {
    match skip_if {
        None => Ok(false),
        Some(f) => {
            check_scalar(op, "skip_if", f, DType::F32)?;
            Ok(f.f32s(op)?[0] != 0.0)
        }
    }
}
