//! The compute backends: the [`Backend`] trait as op groups (`ops/`), the backend enum and
//! capabilities (`kind.rs`), the shape and dtype rules every backend shares (`shapes.rs`,
//! `conv.rs`, re-exported here), and the three implementations: the CPU reference and the CPU
//! fast path (`cpu/`) and WebGPU (`gpu/`).
//!
//! Tensors are dense and row-major, in any [`DType`]. Shapes follow PyTorch's conventions
//! (`(m, k) · (k, n) → (m, n)` as `torch.mm`). Below: `rules` only. Not here: tolerances
//! (`crate::parity`), composite ops (`crate::functional`).

pub mod conv;
pub mod cpu;
mod geom;
pub mod gpu;
mod kind;
mod observe_shapes;
mod ops;
pub mod pool;
mod shapes;

pub use crate::rules::dtype::{DType, HostData};
pub use conv::Conv2dGeom;
pub use kind::{BackendKind, Capabilities, BACKEND_NAMES};
pub use observe_shapes::*;
pub use ops::{AmpOps, DTypeOps, FloatOps, LayoutOps, ObserveOps, OptimOps, QuantOps, TensorOps};
pub use pool::MaxPool2dGeom;
pub use shapes::*;

/// The value of a future that is already complete, such as every CPU backend's `read_data`:
/// polls it once. For synchronous APIs over a CPU backend (the eager flow's `observe`, like
/// torch's CPU `model(x)`); a pending future (a GPU read) is a bug in the caller and panics.
pub fn ready<F: std::future::Future>(f: F) -> F::Output {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match std::pin::pin!(f).poll(&mut cx) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("backend::ready on a pending future (a GPU read needs .await)"),
    }
}

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

/// A compute backend: every op group. The CPU reference ([`cpu::CpuReference`]) is the oracle;
/// every other backend must agree with it within the tolerances in `crate::parity`. Implement
/// the groups and this trait follows; generic code takes `B: Backend`.
pub trait Backend: TensorOps + FloatOps + LayoutOps + DTypeOps + QuantOps + ObserveOps + OptimOps + AmpOps {}

impl<B: TensorOps + FloatOps + LayoutOps + DTypeOps + QuantOps + ObserveOps + OptimOps + AmpOps> Backend for B {}

/// The traits a caller needs in scope to call ops on a concrete backend type
/// (`use quantplay::backend::prelude::*`); generic code bounded by [`Backend`] needs none.
pub mod prelude {
    pub use super::{
        AmpOps, Backend, DTypeOps, FloatOps, HasShape, LayoutOps, ObserveOps, OptimOps, QuantOps, TensorOps,
    };
}
