//! The Backend's op groups, as burn splits its backend into FloatTensorOps, QTensorOps, …:
//! [`TensorOps`] (I/O, views, copies; the `Tensor` type), [`FloatOps`], [`LayoutOps`],
//! [`DTypeOps`], [`QuantOps`], [`ObserveOps`], [`OptimOps`] and [`AmpOps`]. A backend implements each group;
//! [`super::Backend`] is all of them together. Ops that compose from others have default bodies.

mod amp;
mod dtype;
mod float;
mod layout;
mod observe;
mod optim;
mod quant;
mod tensor;

pub use amp::AmpOps;
pub use dtype::DTypeOps;
pub use float::FloatOps;
pub use layout::LayoutOps;
pub use observe::ObserveOps;
pub use optim::OptimOps;
pub use quant::QuantOps;
pub use tensor::TensorOps;
