//! The crate's one error type. Every fallible public function returns [`Result`].
//!
//! Messages name the bad value and what would have been valid, in PyTorch's shape notation
//! `(rows, cols)`, so they can be shown to a user as they are. The wasm surface converts them
//! into `JsError` without rewording.

use std::fmt;

/// Everything that can go wrong in quantplay.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// Operand shapes do not fit the op, e.g. `matmul` of `(2, 3)` and `(4, 5)`.
    Shape {
        /// The op that rejected its operands (`"matmul"`, `"add"`, ...).
        op: &'static str,
        /// What was wrong and what would have been valid.
        detail: String,
    },
    /// `upload` got a data slice whose length is not the product of the shape.
    DataLength {
        /// The shape the caller asked for.
        shape: Vec<usize>,
        /// `shape.iter().product()`.
        expected: usize,
        /// The slice length the caller passed.
        got: usize,
    },
    /// A buffer would exceed a device limit.
    TooLarge {
        /// What was being allocated.
        what: String,
        /// Bytes requested.
        bytes: u64,
        /// The device's limit in bytes.
        limit: u64,
    },
    /// A planned tensor or dispatch would exceed a limit of the adapter or the host memory
    /// budget; found by the plan check before anything is allocated (see `rules::plan`).
    /// Not a device error: the work would fail the same way on a retry, so nothing falls back.
    ResourceLimit {
        /// What would be allocated or dispatched, as the user knows it, with its shape and
        /// dtype: `fc2.weight (8192, 8192) f32`.
        tensor: String,
        /// What it needs, in `unit`s.
        needs: u64,
        /// `"bytes"`, or `"workgroups along x"` / `"… along y"` for a dispatch grid.
        unit: &'static str,
        /// Whose limit it is.
        scope: LimitScope,
        /// The limit's name as WebGPU spells it (`max_storage_buffer_binding_size`) or the
        /// constant in `rules::limits` (`HOST_BUDGET_WASM32`).
        limit_name: &'static str,
        /// The limit's value, in `unit`s.
        limit: u64,
        /// What the user can change, e.g. `lower the hidden widths or the batch size`.
        hint: &'static str,
    },
    /// No usable GPU: no adapter, or the device request failed. Carries the reason.
    GpuUnavailable(String),
    /// The GPU reported an error outside an op's error scopes (a failed map or poll, an error
    /// the browser reported without naming the op).
    Gpu(String),
    /// The GPU device is lost (`GPUDevice.destroy()`, a driver reset, wgpu's device-lost
    /// callback): every later op on it fails with this error instead of hanging.
    DeviceLost {
        /// What wgpu's device-lost callback said: the reason (`Destroyed`, `Unknown`) and message.
        reason: String,
    },
    /// An op's WebGPU error scope caught an error (`GPUErrorFilter` validation, out-of-memory or
    /// internal; wgpu's `push_error_scope`).
    GpuFault {
        /// The error filter that caught it: `"validation"`, `"out-of-memory"` or `"internal"`.
        kind: &'static str,
        /// The op or tensor being made, e.g. `"kernel relu"`, `"output tensor (64, 32)"`.
        op: String,
        /// What wgpu said.
        wgpu: String,
    },
    /// An operand has the wrong element type, e.g. `matmul` of int8 codes.
    DType {
        /// The op that rejected its operand.
        op: &'static str,
        /// What the op accepts, e.g. `"float32"`.
        expected: String,
        /// What it got.
        got: super::dtype::DType,
    },
    /// The op exists, but not for this backend or dtype combination.
    Unsupported {
        /// The op.
        op: &'static str,
        /// What was asked for and what is supported.
        detail: String,
    },
    /// An argument outside its valid set, e.g. an unknown backend name.
    InvalidArgument {
        /// The parameter's name.
        name: &'static str,
        /// The value given.
        value: String,
        /// The values that would have been accepted.
        valid: String,
    },
    /// A problem with an input file as a whole, named by its path (and the CLI flag that gave it):
    /// a data file without `x`, of the wrong width, or not safetensors at all.
    File {
        /// How the file was given, e.g. `--calib calib.safetensors`.
        file: String,
        /// What is wrong and what would be valid.
        detail: String,
    },
    /// A model spec, weights file or module tree problem, at a module path (`""` = the root).
    Model {
        /// The module path, as `named_modules()` spells it.
        path: String,
        /// What is wrong and what would be valid.
        detail: String,
    },
}

/// Whose limit an [`Error::ResourceLimit`] names.
#[derive(Debug, Clone, PartialEq)]
pub enum LimitScope {
    /// The WebGPU adapter's, with its name (`SwiftShader Device (Subzero)`).
    Adapter(String),
    /// quantplay's host memory budget, with the reason for its value.
    Host(&'static str),
}

/// `std::result::Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Formats a shape the way PyTorch prints `tensor.shape`: `(2, 3)`, `(5,)`, `()`.
pub fn fmt_shape(shape: &[usize]) -> String {
    match shape {
        [] => "()".to_string(),
        [d] => format!("({d},)"),
        _ => {
            let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            format!("({})", parts.join(", "))
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Shape { op, detail } => write!(f, "{op}: {detail}"),
            Error::DataLength { shape, expected, got } => {
                write!(f, "upload: shape {} needs {expected} values, got {got}", fmt_shape(shape))
            }
            Error::TooLarge { what, bytes, limit } => {
                write!(f, "{what} needs {bytes} bytes, over the device limit of {limit} bytes")
            }
            Error::ResourceLimit { tensor, needs, unit, scope, limit_name, limit, hint } => {
                let needs = if *needs == u64::MAX { format!("more than {needs}") } else { needs.to_string() };
                match scope {
                    LimitScope::Adapter(name) => write!(
                        f,
                        "{tensor} needs {needs} {unit}; this adapter's {limit_name} is {limit} ({name}) — {hint}"
                    ),
                    LimitScope::Host(why) => write!(
                        f,
                        "{tensor} needs {needs} {unit}; the host memory budget {limit_name} is {limit} ({why}) — {hint}"
                    ),
                }
            }
            Error::GpuUnavailable(reason) => write!(f, "WebGPU unavailable: {reason}"),
            Error::Gpu(msg) => write!(f, "GPU error: {msg}"),
            Error::DeviceLost { reason } => {
                write!(f, "GPU device lost ({reason}); the GPU cannot be used until it is opened again")
            }
            Error::GpuFault { kind, op, wgpu } => write!(f, "GPU {kind} error in {op}: {wgpu}"),
            Error::DType { op, expected, got } => write!(f, "{op}: expected a {expected} tensor, got {got}"),
            Error::Unsupported { op, detail } => write!(f, "{op}: {detail}"),
            Error::InvalidArgument { name, value, valid } => {
                write!(f, "invalid {name} {value:?}; valid values: {valid}")
            }
            Error::File { file, detail } => write!(f, "{file}: {detail}"),
            Error::Model { path, detail } if path.is_empty() => write!(f, "model: {detail}"),
            Error::Model { path, detail } => write!(f, "module `{path}`: {detail}"),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_print_like_torch() {
        assert_eq!(fmt_shape(&[]), "()");
        assert_eq!(fmt_shape(&[5]), "(5,)");
        assert_eq!(fmt_shape(&[2, 3]), "(2, 3)");
    }
}
