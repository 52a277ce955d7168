//! The two CPU backends over one tensor type ([`CpuTensor`], `tensor.rs`):
//!
//! - [`CpuReference`] (`reference/`): plain loops, the oracle every other backend is tested
//!   against; no SIMD and no `unsafe`.
//! - [`CpuFast`] (`fast/`): SIMD, cache-blocked GEMMs (f32, f16, int8), F16C casts and FMA
//!   optimizer loops, chosen at run time; every other op is the reference's. It owns all of the
//!   crate's SIMD and `unsafe` code, and is parity-tested against the reference by running every
//!   shared test body on both.

pub mod fast;
pub mod reference;
mod tensor;

pub use fast::CpuFast;
pub use reference::CpuReference;
pub use tensor::CpuTensor;
