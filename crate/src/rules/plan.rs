//! The plan check: a list of the tensors (and matmul dispatches) a piece of work will allocate,
//! each named as the user knows it, and its comparison with a backend's [`DeviceLimits`] before
//! anything is allocated. Pure arithmetic: bytes of a shape (overflow-checked in `u64`, so a shape
//! claiming 2⁴⁰ × 2⁴⁰ elements is "more than u64::MAX bytes", never a wrapped small number),
//! WebGPU's per-buffer limits, the matmul grid against `max_compute_workgroups_per_dimension`, and
//! the host total against a budget (`rules::limits::HOST_BUDGET`).
//!
//! Not here: which tensors a training step or a PTQ run makes (`app::session_plan`,
//! `app::ptq_plan`), reading the limits from a device (`TensorOps::limits`).

use crate::rules::dtype::DType;
use crate::rules::error::{fmt_shape, Error, LimitScope, Result};
use crate::rules::limits::{HOST_BUDGET, HOST_BUDGET_NAME, HOST_BUDGET_WHY};

/// A WebGPU device's limits that the plan checks (wgpu's `device.limits()`), plus what its
/// matmul kernel covers per workgroup.
#[derive(Debug, Clone, PartialEq)]
pub struct GpuLimits {
    /// The adapter's name, for messages (`SwiftShader Device (Subzero)`).
    pub adapter: String,
    /// `maxStorageBufferBindingSize`: the largest buffer a kernel may bind, in bytes.
    pub max_storage_buffer_binding_size: u64,
    /// `maxBufferSize`: the largest buffer the device creates, in bytes.
    pub max_buffer_size: u64,
    /// `maxComputeWorkgroupsPerDimension`: the largest grid side of one dispatch.
    pub max_compute_workgroups_per_dimension: u32,
    /// Output rows (and columns) one workgroup of the backend's f32 matmul covers: its grid is
    /// `(⌈n / tile⌉, ⌈m / tile⌉)` and is not spread over a second dimension.
    pub matmul_tile: u32,
}

/// Everything the plan compares against: the device's limits (`None` on a CPU backend, whose
/// tensors live in host memory) and the host memory budget.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceLimits {
    /// The GPU's limits, or `None` for a CPU backend.
    pub gpu: Option<GpuLimits>,
    /// Host bytes the work may plan in all (normally [`HOST_BUDGET`]).
    pub host_budget: u64,
    /// The budget's name in errors (normally [`HOST_BUDGET_NAME`]).
    pub host_budget_name: &'static str,
    /// Why the budget has its value, in errors.
    pub host_budget_why: &'static str,
}

impl DeviceLimits {
    /// A CPU backend's limits: no device, this target's [`HOST_BUDGET`].
    pub fn host() -> DeviceLimits {
        DeviceLimits {
            gpu: None,
            host_budget: HOST_BUDGET,
            host_budget_name: HOST_BUDGET_NAME,
            host_budget_why: HOST_BUDGET_WHY,
        }
    }

    /// The same limits with another host budget (tests, or a caller that knows its machine).
    pub fn with_host_budget(self, bytes: u64, name: &'static str, why: &'static str) -> DeviceLimits {
        DeviceLimits { host_budget: bytes, host_budget_name: name, host_budget_why: why, ..self }
    }
}

/// When a planned tensor is alive, for the host peak: persistent tensors plus the larger of one
/// training step's and one evaluation pass's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Held for the whole run (parameters, optimizer state, datasets).
    Persistent,
    /// Alive during one training step (or one calibration pass).
    Step,
    /// Alive during one evaluation pass.
    Eval,
}

/// One tensor a piece of work will allocate.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedTensor {
    /// As the user knows it: `fc1.weight`, `activation after fc1 on a batch`.
    pub name: String,
    /// Its shape.
    pub shape: Vec<usize>,
    /// Its element type.
    pub dtype: DType,
    /// True for host-only memory (datasets): never on the device, always in the host total.
    pub host_only: bool,
    /// When it is alive.
    pub phase: Phase,
}

impl PlannedTensor {
    /// `name (d0, d1) f32`, as errors print it.
    pub fn label(&self) -> String {
        format!("{} {} {}", self.name, fmt_shape(&self.shape), short_dtype(self.dtype))
    }
}

/// One f32 matmul dispatch with an `(m, n)` output.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedMatmul {
    /// As the user knows it: `fc1 forward on a batch`.
    pub name: String,
    /// Output rows.
    pub m: usize,
    /// Output columns.
    pub n: usize,
}

/// Everything a piece of work will allocate and dispatch.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    /// The tensors, in the order they are made.
    pub tensors: Vec<PlannedTensor>,
    /// The f32 matmul dispatches.
    pub matmuls: Vec<PlannedMatmul>,
}

/// `f32`, `f16`, `bf16`, `int8`, `uint8`, `int32`.
pub fn short_dtype(d: DType) -> &'static str {
    match d {
        DType::F32 => "f32",
        DType::F16 => "f16",
        DType::BF16 => "bf16",
        DType::I8 => "int8",
        DType::U8 => "uint8",
        DType::I32 => "int32",
    }
}

/// Bytes of a dense `shape` of `dtype`, or `None` when the count overflows `u64`.
pub fn tensor_bytes(shape: &[usize], dtype: DType) -> Option<u64> {
    shape.iter().try_fold(dtype.size() as u64, |acc, &d| acc.checked_mul(d as u64))
}

/// Bytes the WebGPU backend allocates for it: [`tensor_bytes`] padded to a multiple of 4 and at
/// least 4 (WebGPU rejects empty bindings; `backend::gpu`'s `padded_bytes`).
pub fn device_bytes(shape: &[usize], dtype: DType) -> Option<u64> {
    tensor_bytes(shape, dtype)?.checked_next_multiple_of(4).map(|b| b.max(4))
}

impl Plan {
    /// Adds a device tensor (in host memory on a CPU backend).
    pub fn tensor(&mut self, name: impl Into<String>, shape: &[usize], dtype: DType, phase: Phase) {
        self.tensors.push(PlannedTensor { name: name.into(), shape: shape.to_vec(), dtype, host_only: false, phase });
    }

    /// Adds a host-only tensor (a dataset), alive for the whole run.
    pub fn host(&mut self, name: impl Into<String>, shape: &[usize], dtype: DType) {
        let (name, shape) = (name.into(), shape.to_vec());
        self.tensors.push(PlannedTensor { name, shape, dtype, host_only: true, phase: Phase::Persistent });
    }

    /// Adds an f32 matmul with an `(m, n)` output.
    pub fn matmul(&mut self, name: impl Into<String>, m: usize, n: usize) {
        self.matmuls.push(PlannedMatmul { name: name.into(), m, n });
    }

    /// The host peak in bytes (saturating): persistent tensors plus the larger of the step's and
    /// the evaluation's; device tensors count only when `on_host` (a CPU backend).
    pub fn host_bytes(&self, on_host: bool) -> u64 {
        let sum = |phase: Phase| {
            self.tensors
                .iter()
                .filter(|t| t.phase == phase && (t.host_only || on_host))
                .map(|t| tensor_bytes(&t.shape, t.dtype).unwrap_or(u64::MAX))
                .fold(0u64, u64::saturating_add)
        };
        sum(Phase::Persistent).saturating_add(sum(Phase::Step).max(sum(Phase::Eval)))
    }

    /// The first limit the plan exceeds, as [`Error::ResourceLimit`] naming the tensor, its size,
    /// the limit and `hint`; `what` names the work for the host total (`one training step`).
    pub fn check(&self, limits: &DeviceLimits, what: &str, hint: &'static str) -> Result<()> {
        let err = |tensor: String, needs, unit, scope, limit_name, limit| Error::ResourceLimit {
            tensor,
            needs,
            unit,
            scope,
            limit_name,
            limit,
            hint,
        };
        if let Some(g) = &limits.gpu {
            let adapter = || LimitScope::Adapter(g.adapter.clone());
            // The smaller of the two per-buffer limits is the one a tensor meets first.
            let (name, limit) = if g.max_storage_buffer_binding_size <= g.max_buffer_size {
                ("max_storage_buffer_binding_size", g.max_storage_buffer_binding_size)
            } else {
                ("max_buffer_size", g.max_buffer_size)
            };
            for t in self.tensors.iter().filter(|t| !t.host_only) {
                let bytes = device_bytes(&t.shape, t.dtype).unwrap_or(u64::MAX);
                if bytes > limit {
                    return Err(err(t.label(), bytes, "bytes", adapter(), name, limit));
                }
            }
            let tile = g.matmul_tile.max(1) as u64;
            let max = g.max_compute_workgroups_per_dimension as u64;
            for mm in &self.matmuls {
                for (side, unit) in [(mm.n, "workgroups along x"), (mm.m, "workgroups along y")] {
                    let groups = (side as u64).div_ceil(tile);
                    if groups > max {
                        let what = format!("the matmul of {} with a ({}, {}) output", mm.name, mm.m, mm.n);
                        return Err(err(what, groups, unit, adapter(), "max_compute_workgroups_per_dimension", max));
                    }
                }
            }
        }
        let on_host = limits.gpu.is_none();
        let total = self.host_bytes(on_host);
        if total > limits.host_budget {
            let kept =
                if on_host { "parameters, gradients, optimizer state, activations, datasets" } else { "datasets" };
            return Err(err(
                format!("the host memory of {what} ({kept})"),
                total,
                "bytes",
                LimitScope::Host(limits.host_budget_why),
                limits.host_budget_name,
                limits.host_budget,
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn swiftshader() -> DeviceLimits {
        let gpu = GpuLimits {
            adapter: "SwiftShader".into(),
            max_storage_buffer_binding_size: 1 << 27,
            max_buffer_size: 1 << 28,
            max_compute_workgroups_per_dimension: 65535,
            matmul_tile: 32,
        };
        DeviceLimits { gpu: Some(gpu), ..DeviceLimits::host() }
    }

    #[test]
    fn bytes_of_a_shape_count_each_dtype_and_overflow_to_none() {
        assert_eq!(tensor_bytes(&[512, 784], DType::F32), Some(512 * 784 * 4));
        assert_eq!(tensor_bytes(&[4096, 512], DType::F16), Some(4096 * 512 * 2));
        assert_eq!(tensor_bytes(&[3, 5], DType::I8), Some(15));
        assert_eq!(tensor_bytes(&[], DType::F32), Some(4), "a scalar is one element");
        assert_eq!(tensor_bytes(&[0, 9], DType::F32), Some(0));
        assert_eq!(device_bytes(&[3, 5], DType::I8), Some(16), "padded to a multiple of 4");
        assert_eq!(device_bytes(&[0], DType::F32), Some(4), "never an empty binding");
        assert_eq!(tensor_bytes(&[1 << 40], DType::F32), Some(1 << 42), "2^40 elements fit u64 as bytes");
        assert_eq!(tensor_bytes(&[1 << 40, 1 << 40], DType::I8), None, "2^80 bytes overflow");
        assert_eq!(tensor_bytes(&[1 << 31, 1 << 31, 4], DType::F32), None, "2^64 bytes overflow");
        assert_eq!(device_bytes(&[usize::MAX], DType::I8), None, "padding past u64::MAX overflows");
    }

    #[test]
    fn a_tensor_over_the_binding_limit_is_named_with_its_bytes_and_the_limit() {
        let mut p = Plan::default();
        p.tensor("fc1.weight", &[4096, 4096], DType::F32, Phase::Persistent);
        p.tensor("fc2.weight", &[8192, 8192], DType::F32, Phase::Persistent);
        let msg = p.check(&swiftshader(), "one training step", "lower the hidden widths").unwrap_err().to_string();
        assert_eq!(
            msg,
            "fc2.weight (8192, 8192) f32 needs 268435456 bytes; this adapter's max_storage_buffer_binding_size \
             is 134217728 (SwiftShader) — lower the hidden widths"
        );
        // The same plan on a CPU backend meets only the host budget, which it is under.
        assert!(p.check(&DeviceLimits::host(), "one training step", "").is_ok());
    }

    #[test]
    fn an_overflowing_shape_exceeds_every_limit_without_wrapping() {
        let mut p = Plan::default();
        p.tensor("huge", &[1 << 40, 1 << 40], DType::F32, Phase::Step);
        let e = p.check(&swiftshader(), "it", "").unwrap_err();
        assert!(matches!(e, Error::ResourceLimit { needs: u64::MAX, .. }), "{e:?}");
        assert!(e.to_string().contains("needs more than 18446744073709551615 bytes"), "{e}");
        let e = p.check(&DeviceLimits::host(), "it", "").unwrap_err();
        assert!(matches!(e, Error::ResourceLimit { needs: u64::MAX, limit_name: "HOST_BUDGET_NATIVE", .. }), "{e:?}");
    }

    #[test]
    fn a_matmul_grid_past_the_workgroup_limit_is_named_per_dimension() {
        let mut p = Plan::default();
        p.matmul("fc1 forward", 65535 * 32, 16);
        assert!(p.check(&swiftshader(), "it", "").is_ok(), "65535 row groups fit exactly");
        p.matmul("fc1 forward on the test set", 65535 * 32 + 1, 16);
        let msg = p.check(&swiftshader(), "it", "lower the samples").unwrap_err().to_string();
        assert!(msg.starts_with("the matmul of fc1 forward on the test set with a (2097121, 16) output needs 65536 workgroups along y; this adapter's max_compute_workgroups_per_dimension is 65535"), "{msg}");
        assert!(p.check(&DeviceLimits::host(), "it", "").is_ok(), "CPU backends have no grid");
    }

    #[test]
    fn the_host_peak_is_persistent_plus_the_larger_phase_and_is_held_to_the_budget() {
        let mut p = Plan::default();
        p.tensor("w", &[1000], DType::F32, Phase::Persistent);
        p.tensor("step", &[300], DType::F32, Phase::Step);
        p.tensor("eval", &[500], DType::F32, Phase::Eval);
        p.host("data", &[100], DType::F32);
        assert_eq!(p.host_bytes(true), 4000 + 400 + 2000);
        assert_eq!(p.host_bytes(false), 400, "on a GPU only the datasets are on the host");
        let tight = DeviceLimits::host().with_host_budget(6399, "TEST_BUDGET", "a test");
        let msg = p.check(&tight, "one training step", "lower the batch").unwrap_err().to_string();
        assert_eq!(
            msg,
            "the host memory of one training step (parameters, gradients, optimizer state, activations, \
             datasets) needs 6400 bytes; the host memory budget TEST_BUDGET is 6399 (a test) — lower the batch"
        );
        assert!(p.check(&tight.with_host_budget(6400, "TEST_BUDGET", "a test"), "it", "").is_ok());
    }
}
