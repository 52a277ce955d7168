//! The eager-mode quantization flow of `torch.ao.quantization` on quantplay's module tree:
//! `prepare` (qconfig propagation, observers), calibration, `convert`, `quantize`,
//! `quantize_dynamic`, QAT (`qat`, `qat_step`), the report the CLI and the page show, and the numeric debugger
//! (`debug`: Numeric Suite's comparisons; `sensitivity`: keeping layers float).
//!
//! Not here: the observers' math (`quant::observer`), the module tree (`crate::model`).

pub mod calib_compare;
pub mod calib_device;
pub mod convert;
pub mod debug;
pub mod dynamic;
pub mod inspect;
pub mod prepare;
pub mod qat;
pub mod qat_step;
pub mod report;
pub mod report_dynamic;
pub mod sensitivity;

pub use convert::{convert, quantize, Converted, Mapping};
pub use dynamic::quantize_dynamic;
pub use prepare::{prepare, prepare_owned, Prepared, QConfigDict};
pub use qat::{fuse_modules_qat, prepare_qat, QatModel, QatOp};
pub use report::Report;
