//! Composite ops over any [`crate::backend::Backend`], as `torch.nn.functional` and the
//! quantized ops compose them: a quantized conv from im2col and the quantized Linear, the
//! dynamic Linear from min/max, quantize and the int8 GEMM.
//!
//! Below: `backend` and `rules`. Not here: module trees (`model`), observers (`quant`),
//! training loops (`nn`).

pub mod dynamic;
pub mod qconv;

pub use dynamic::quantized_linear_dynamic;
pub use qconv::quantized_conv2d;
