//! Tensor I/O: upload, read back (the one async op), views and copies, and what the backend is.
//! Every other op group builds on this one (its `Tensor` type).

use crate::backend::{BackendKind, Capabilities, HasShape};
use crate::rules::error::Result;
use crate::rules::plan::DeviceLimits;
use crate::rules::HostData;
use std::future::Future;

/// Tensor I/O, the base of every op group.
///
/// Only [`TensorOps::read_data`] is async: a browser cannot block on the GPU, so reading results
/// back is the one place that waits. Every other op only enqueues work and returns a handle.
#[allow(async_fn_in_trait)]
pub trait TensorOps {
    /// The backend's tensor handle (host memory, or a GPU buffer).
    type Tensor: HasShape + std::fmt::Debug;

    /// What the backend is and offers: its [`BackendKind`], shader-f16, packed int8 dot
    /// products. The precision rules and every label that says where something ran read this.
    fn capabilities(&self) -> Capabilities;

    /// The backend's name in logs and reports, as the CLI and the page spell it: `"cpu"`,
    /// `"cpu-reference"` or `"webgpu"` ([`BackendKind::name`]).
    fn name(&self) -> &'static str {
        let kind: BackendKind = self.capabilities().backend;
        kind.name()
    }

    /// What the plan check compares against: the device's buffer and workgroup limits (WebGPU:
    /// `device.limits()`) and the host memory budget. CPU backends have no device limits and
    /// this target's `rules::limits::HOST_BUDGET`.
    fn limits(&self) -> DeviceLimits {
        DeviceLimits::host()
    }

    /// A new tensor with the same shape, dtype and elements (`tensor.clone()`); the source is
    /// untouched.
    fn copy(&self, x: &Self::Tensor) -> Result<Self::Tensor>;

    /// Copies `data` (row-major, `shape.iter().product()` values, any dtype) to the backend.
    fn upload_data(&self, data: HostData, shape: &[usize]) -> Result<Self::Tensor>;

    /// Copies a tensor of any dtype back to host memory, row-major.
    fn read_data(&self, t: &Self::Tensor) -> impl Future<Output = Result<HostData>>;

    /// Uploads f32 values: [`Self::upload_data`] with [`HostData::F32`].
    fn upload(&self, data: &[f32], shape: &[usize]) -> Result<Self::Tensor> {
        self.upload_data(HostData::F32(data.to_vec()), shape)
    }

    /// Reads an f32 tensor back; any other dtype is an [`crate::rules::Error::DType`].
    fn read(&self, t: &Self::Tensor) -> impl Future<Output = Result<Vec<f32>>> {
        async move { self.read_data(t).await?.into_f32("read") }
    }

    /// The same elements under a new shape (numel must match), any dtype; no copy.
    fn reshape(&self, x: &Self::Tensor, shape: &[usize]) -> Result<Self::Tensor>;
}
