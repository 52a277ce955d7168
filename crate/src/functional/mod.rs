//! Composite ops over any [`crate::backend::Backend`], as `torch.nn.functional` and the
//! quantized ops compose them: the one Linear and Conv2d forward/backward (`linear`, `conv`), a
//! quantized conv from im2col and the quantized Linear, the dynamic Linear from min/max,
//! quantize and the int8 GEMM.
//!
//! Below: `backend` and `rules`. Not here: module trees (`model`), observers (`quant`),
//! training loops (`nn`).

pub mod conv;
pub mod dynamic;
pub mod linear;
pub mod qconv;

pub use conv::{conv_backward, conv_forward};
pub use dynamic::quantized_linear_dynamic;
pub use linear::{linear_backward, linear_backward_with, linear_forward, LinearGrads};
pub use qconv::quantized_conv2d;
