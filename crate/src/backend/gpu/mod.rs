//! The WebGPU backend on wgpu: each op enqueues one compute dispatch of a `.wgsl` kernel
//! (see `kernels.rs`) and returns a buffer handle; only a read waits. The op-group impls are in
//! `float_ops.rs`, `quant_ops.rs` and `train_ops.rs`.
//!
//! Not here: adapter and device acquisition (`init.rs`), tolerances (`crate::parity`).
//! GPU errors never panic or hang: `faults.rs` records the device-lost callback and each op's
//! error scopes, and the next `read` returns them as named errors ([`Error::DeviceLost`],
//! [`Error::GpuFault`]); after a loss every op fails at once.

mod amp;
mod conv;
mod faults;
mod float_ops;
mod init;
pub mod kernels;
mod observe;
mod paths;
mod pool;
mod quant_ops;
mod train;
mod train_ops;
mod typed;
#[cfg(target_arch = "wasm32")]
mod web_adapter;

use super::{expect_dtype, DType, HasShape};
use crate::info::GpuInfo;
use crate::rules::error::{Error, Result};
pub use init::LowerLimits;
use kernels::{grid_1d, Kernel};
pub use paths::{F16Path, Int8Path, MatmulPath};

/// A dense, row-major tensor in a GPU storage buffer, as little-endian bytes padded to a
/// multiple of 4 (f16 two per u32 word, int8 four per word; see `backend::dtype`).
#[derive(Debug)]
pub struct GpuTensor {
    shape: Vec<usize>,
    dtype: DType,
    buffer: wgpu::Buffer,
}

impl HasShape for GpuTensor {
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn dtype(&self) -> DType {
        self.dtype
    }
}

/// Bytes a `len`-element tensor of `dtype` occupies: padded to 4, and at least 4 because WebGPU
/// rejects empty bindings.
fn padded_bytes(dtype: DType, len: usize) -> u64 {
    ((dtype.size() * len).div_ceil(4) * 4).max(4) as u64
}

/// The WebGPU backend: one device, one queue, one pipeline per [`Kernel`].
pub struct GpuBackend {
    device: wgpu::Device,
    queue: wgpu::Queue,
    pipelines: Vec<(Kernel, wgpu::ComputePipeline)>,
    info: GpuInfo,
    faults: faults::Sink,
    /// GPU → CPU copies made so far ([`GpuBackend::readback_count`]).
    readbacks: std::sync::atomic::AtomicU64,
    /// Armed by [`GpuBackend::inject_nan_gradient`]: the next `amp_unscale` poisons a gradient.
    nan_fault: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for GpuBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuBackend").field("info", &self.info).finish()
    }
}

impl GpuBackend {
    /// Finds an adapter (native: what wgpu enumerates, e.g. Mesa lavapipe; wasm:
    /// `navigator.gpu`), opens a device and compiles every kernel. Fails with
    /// [`Error::GpuUnavailable`] and the reason; never panics.
    pub async fn new() -> Result<GpuBackend> {
        init::open(LowerLimits::default()).await
    }

    /// [`GpuBackend::new`] with a device whose per-buffer limits are at most `lower`'s, so tests
    /// can meet `max_storage_buffer_binding_size` with a modest model instead of gigabytes.
    pub async fn with_lower_limits(lower: LowerLimits) -> Result<GpuBackend> {
        init::open(lower).await
    }

    /// What the adapter is and offers.
    pub fn info(&self) -> &GpuInfo {
        &self.info
    }

    /// How many tensors this backend has copied back to the CPU ([`Backend::read_data`] with at
    /// least one element; each is a staging copy, a map and a wait). A training step that reads
    /// nothing back leaves it unchanged; the benchmark reports its delta per 16-mixed step.
    pub fn readback_count(&self) -> u64 {
        self.readbacks.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Fault injection: the next `amp_unscale` on this device first writes a NaN into element
    /// 0 of its first gradient, in the device buffer, as a faulty kernel or driver would. The
    /// NaN exists only here (a CPU run of the same step stays finite), so this is how the tests
    /// show what a gradient that is NaN only on the GPU does: GradScaler's found-inf check, on
    /// the device, skips that step and backs the scale off (docs/reliability.md). Nothing in the
    /// library calls it; it stays armed until an `amp_unscale` with a non-empty gradient runs.
    pub fn inject_nan_gradient(&self) {
        self.nan_fault.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Disarms the fault and returns whether it was armed (see [`GpuBackend::inject_nan_gradient`]).
    fn take_nan_fault(&self) -> bool {
        self.nan_fault.swap(false, std::sync::atomic::Ordering::Relaxed)
    }

    /// The kernel's pipeline; only kernels needing an absent WGSL feature are missing.
    fn pipeline(&self, k: Kernel) -> &wgpu::ComputePipeline {
        &self.pipelines.iter().find(|(kk, _)| *kk == k).expect("kernel built (callers check Kernel::needs)").1
    }

    /// The device's limits for the plan check ([`TensorOps::limits`]): its buffer and workgroup
    /// limits and the default f32 matmul's outputs per workgroup side, plus the host budget.
    fn plan_limits(&self) -> crate::rules::plan::DeviceLimits {
        let l = self.device.limits();
        let gpu = crate::rules::plan::GpuLimits {
            adapter: self.info.name.clone(),
            max_storage_buffer_binding_size: l.max_storage_buffer_binding_size,
            max_buffer_size: l.max_buffer_size,
            max_compute_workgroups_per_dimension: l.max_compute_workgroups_per_dimension,
            matmul_tile: MatmulPath::DEFAULT.outputs_per_workgroup_side(),
        };
        crate::rules::plan::DeviceLimits { gpu: Some(gpu), ..crate::rules::plan::DeviceLimits::host() }
    }

    fn check_size(&self, what: &str, bytes: u64) -> Result<()> {
        let limits = self.device.limits();
        let limit = limits.max_storage_buffer_binding_size.min(limits.max_buffer_size);
        if bytes > limit {
            return Err(Error::TooLarge { what: what.to_string(), bytes, limit });
        }
        Ok(())
    }

    /// A named error instead of a validation error when a 2-D grid (the f32 matmul's, not spread
    /// like [`grid_1d`]) has a side over `max_compute_workgroups_per_dimension`.
    fn check_grid(&self, what: &str, (m, n): (usize, usize), grid: [u32; 3]) -> Result<()> {
        let max = self.device.limits().max_compute_workgroups_per_dimension;
        for (groups, unit) in [(grid[0], "workgroups along x"), (grid[1], "workgroups along y")] {
            if groups > max {
                return Err(Error::ResourceLimit {
                    tensor: format!("the {what} with a ({m}, {n}) output"),
                    needs: groups as u64,
                    unit,
                    scope: crate::rules::error::LimitScope::Adapter(self.info.name.clone()),
                    limit_name: "max_compute_workgroups_per_dimension",
                    limit: max as u64,
                    hint: "use fewer rows or columns",
                });
            }
        }
        Ok(())
    }

    /// A zero-filled storage buffer for a tensor of `shape` and `dtype`.
    fn output(&self, shape: &[usize], dtype: DType) -> Result<GpuTensor> {
        self.check_lost()?;
        let bytes = padded_bytes(dtype, super::checked_numel(shape)?);
        self.check_size("output tensor", bytes)?;
        let what = || format!("output tensor {} of {dtype}", crate::rules::error::fmt_shape(shape));
        let buffer = self.scoped(what, || {
            self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("quantplay tensor"),
                size: bytes,
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        });
        Ok(GpuTensor { shape: shape.to_vec(), dtype, buffer })
    }

    /// A small read-only storage buffer of 4-byte values (scales, zero points).
    fn small_buffer(&self, words: &[u32]) -> wgpu::Buffer {
        let contents: &[u32] = if words.is_empty() { &[0] } else { words };
        self.init_buffer("quantplay small", bytemuck::cast_slice(contents), wgpu::BufferUsages::STORAGE)
    }

    /// Binds `params` (a uniform of 4-byte fields, a multiple of 16 bytes) at binding 0 and
    /// `buffers` at 1.. (at 0.. when `params` is empty), then dispatches `grid` workgroups.
    fn dispatch(&self, k: Kernel, params: &[u32], buffers: &[&wgpu::Buffer], grid: [u32; 3]) {
        if grid.contains(&0) {
            return; // empty tensor: nothing to compute, the zero-filled output is the answer
        }
        self.scoped(|| format!("kernel {}", k.entry_point()), || self.encode(k, params, buffers, grid));
    }

    /// [`GpuBackend::dispatch`]'s body: the bind group, one compute pass, one submit.
    fn encode(&self, k: Kernel, params: &[u32], buffers: &[&wgpu::Buffer], grid: [u32; 3]) {
        let params_bytes = bytemuck::cast_slice(if params.is_empty() { &[0u32; 4] } else { params });
        let uniform = self.init_buffer("quantplay params", params_bytes, wgpu::BufferUsages::UNIFORM);
        let pipeline = self.pipeline(k);
        // Kernels with no parameters (an empty `params`) start their buffers at binding 0.
        let mut entries = Vec::new();
        if !params.is_empty() {
            entries.push(wgpu::BindGroupEntry { binding: 0, resource: uniform.as_entire_binding() });
        }
        let first = entries.len() as u32;
        for (i, b) in buffers.iter().enumerate() {
            entries.push(wgpu::BindGroupEntry { binding: first + i as u32, resource: b.as_entire_binding() });
        }
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(k.entry_point()),
            layout: &pipeline.get_bind_group_layout(0),
            entries: &entries,
        });
        let mut encoder = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        {
            let mut pass =
                encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: None, timestamp_writes: None });
            pass.set_pipeline(pipeline);
            pass.set_bind_group(0, &bind_group, &[]);
            pass.dispatch_workgroups(grid[0], grid[1], grid[2]);
        }
        self.queue.submit([encoder.finish()]);
    }

    /// Grid for `invocations` one-per-item invocations (items: elements or packed words).
    fn grid(&self, invocations: usize) -> [u32; 3] {
        grid_1d(invocations, self.device.limits().max_compute_workgroups_per_dimension)
    }

    fn elementwise(&self, k: Kernel, op: &'static str, inputs: &[&GpuTensor], extra: u32) -> Result<GpuTensor> {
        for t in inputs {
            expect_dtype(op, *t, DType::F32)?;
        }
        let out = self.output(inputs[0].shape(), DType::F32)?;
        let len = out.numel();
        let mut buffers: Vec<&wgpu::Buffer> = inputs.iter().map(|t| &t.buffer).collect();
        buffers.push(&out.buffer);
        self.dispatch(k, &[u32_dim("len", len)?, extra, 0, 0], &buffers, self.grid(len));
        Ok(out)
    }
}

fn u32_dim(what: &str, v: usize) -> Result<u32> {
    u32::try_from(v).map_err(|_| Error::TooLarge { what: what.to_string(), bytes: v as u64, limit: u32::MAX as u64 })
}
