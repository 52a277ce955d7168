//! The WebGPU backend on wgpu: each op enqueues one compute dispatch of a `.wgsl` kernel
//! (see `kernels.rs`) and returns a buffer handle; only [`Backend::read`] waits.
//!
//! Not here: adapter and device acquisition (`init.rs`), tolerances (`crate::parity`).
//! GPU errors never panic: wgpu's uncaptured-error handler records them, and the next `read`
//! returns them as [`Error::Gpu`].

mod init;
pub mod kernels;
#[cfg(target_arch = "wasm32")]
mod web_adapter;

use super::{bias_dims, check_upload, matmul_dims, same_shape, Backend, HasShape};
use crate::error::{Error, Result};
use crate::info::GpuInfo;
use kernels::{grid_1d, grid_matmul, Kernel};
use std::sync::{Arc, Mutex};
use wgpu::util::DeviceExt;

/// A dense, row-major f32 tensor in a GPU storage buffer.
#[derive(Debug)]
pub struct GpuTensor {
    shape: Vec<usize>,
    buffer: wgpu::Buffer,
}

impl HasShape for GpuTensor {
    fn shape(&self) -> &[usize] {
        &self.shape
    }
}

/// The WebGPU backend: one device, one queue, one pipeline per [`Kernel`].
pub struct GpuBackend {
    device: wgpu::Device,
    queue: wgpu::Queue,
    pipelines: Vec<(Kernel, wgpu::ComputePipeline)>,
    info: GpuInfo,
    errors: Arc<Mutex<Vec<String>>>,
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
        init::open().await
    }

    /// What the adapter is and offers.
    pub fn info(&self) -> &GpuInfo {
        &self.info
    }

    fn pipeline(&self, k: Kernel) -> &wgpu::ComputePipeline {
        &self.pipelines.iter().find(|(kk, _)| *kk == k).expect("all kernels are built").1
    }

    fn check_size(&self, what: &str, bytes: u64) -> Result<()> {
        let limits = self.device.limits();
        let limit = (limits.max_storage_buffer_binding_size as u64).min(limits.max_buffer_size);
        if bytes > limit {
            return Err(Error::TooLarge { what: what.to_string(), bytes, limit });
        }
        Ok(())
    }

    /// A zero-filled storage buffer for `shape` (at least 4 bytes: WebGPU rejects empty bindings).
    fn output(&self, shape: &[usize]) -> Result<GpuTensor> {
        let bytes = 4 * shape.iter().product::<usize>() as u64;
        self.check_size("output tensor", bytes)?;
        let buffer = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("quantplay tensor"),
            size: bytes.max(4),
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        Ok(GpuTensor { shape: shape.to_vec(), buffer })
    }

    /// Binds `params` (a 16-byte uniform) at binding 0 and `buffers` at 1.., then dispatches.
    fn dispatch(&self, k: Kernel, params: [u32; 4], buffers: &[&wgpu::Buffer], grid: [u32; 3]) {
        if grid.contains(&0) {
            return; // empty tensor: nothing to compute, the zero-filled output is the answer
        }
        let uniform = self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("quantplay params"),
            contents: bytemuck::cast_slice(&params),
            usage: wgpu::BufferUsages::UNIFORM,
        });
        let pipeline = self.pipeline(k);
        let mut entries = vec![wgpu::BindGroupEntry { binding: 0, resource: uniform.as_entire_binding() }];
        for (i, b) in buffers.iter().enumerate() {
            entries.push(wgpu::BindGroupEntry { binding: i as u32 + 1, resource: b.as_entire_binding() });
        }
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(k.entry_point()),
            layout: &pipeline.get_bind_group_layout(0),
            entries: &entries,
        });
        let mut encoder = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: None, timestamp_writes: None });
            pass.set_pipeline(pipeline);
            pass.set_bind_group(0, &bind_group, &[]);
            pass.dispatch_workgroups(grid[0], grid[1], grid[2]);
        }
        self.queue.submit([encoder.finish()]);
    }

    fn elementwise(&self, k: Kernel, inputs: &[&GpuTensor], extra: u32) -> Result<GpuTensor> {
        let out = self.output(inputs[0].shape())?;
        let len = out.numel();
        let max = self.device.limits().max_compute_workgroups_per_dimension;
        let mut buffers: Vec<&wgpu::Buffer> = inputs.iter().map(|t| &t.buffer).collect();
        buffers.push(&out.buffer);
        self.dispatch(k, [u32_dim("len", len)?, extra, 0, 0], &buffers, grid_1d(len, max));
        Ok(out)
    }

    /// Errors wgpu reported since the last call, as one [`Error::Gpu`].
    fn take_errors(&self) -> Result<()> {
        let mut errs = self.errors.lock().unwrap_or_else(|p| p.into_inner());
        if errs.is_empty() {
            return Ok(());
        }
        let msg = errs.join("; ");
        errs.clear();
        Err(Error::Gpu(msg))
    }
}

fn u32_dim(what: &str, v: usize) -> Result<u32> {
    u32::try_from(v).map_err(|_| Error::TooLarge { what: what.to_string(), bytes: v as u64, limit: u32::MAX as u64 })
}

impl Backend for GpuBackend {
    type Tensor = GpuTensor;

    fn name(&self) -> &'static str {
        "webgpu"
    }

    fn upload(&self, data: &[f32], shape: &[usize]) -> Result<GpuTensor> {
        check_upload(data, shape)?;
        self.check_size("uploaded tensor", 4 * data.len() as u64)?;
        let contents: &[u8] = if data.is_empty() { &[0u8; 4] } else { bytemuck::cast_slice(data) };
        let buffer = self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("quantplay tensor"),
            contents,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
        });
        Ok(GpuTensor { shape: shape.to_vec(), buffer })
    }

    async fn read(&self, t: &GpuTensor) -> Result<Vec<f32>> {
        let bytes = 4 * t.numel() as u64;
        if bytes == 0 {
            return self.take_errors().map(|_| Vec::new());
        }
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("quantplay readback"),
            size: bytes,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut encoder = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        encoder.copy_buffer_to_buffer(&t.buffer, 0, &staging, 0, bytes);
        self.queue.submit([encoder.finish()]);
        let (tx, rx) = futures_channel::oneshot::channel();
        staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        // Native backends need a poll to make progress; on the web the browser drives it and
        // poll is a no-op, so the await below is what waits.
        #[cfg(not(target_arch = "wasm32"))]
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| Error::Gpu(format!("poll failed: {e}")))?;
        let mapped = rx.await.map_err(|_| Error::Gpu("readback was cancelled (device lost?)".into()))?;
        mapped.map_err(|e| Error::Gpu(format!("mapping the readback buffer failed: {e}")))?;
        let out = {
            let view = staging.slice(..).get_mapped_range().map_err(|e| Error::Gpu(format!("{e}")))?;
            bytemuck::pod_collect_to_vec::<u8, f32>(&view)
        };
        staging.unmap();
        self.take_errors()?;
        Ok(out)
    }

    fn matmul(&self, a: &GpuTensor, b: &GpuTensor) -> Result<GpuTensor> {
        let (m, k, n) = matmul_dims(&a.shape, &b.shape)?;
        let out = self.output(&[m, n])?;
        let params = [u32_dim("m", m)?, u32_dim("k", k)?, u32_dim("n", n)?, 0];
        self.dispatch(Kernel::Matmul, params, &[&a.buffer, &b.buffer, &out.buffer], grid_matmul(m, n));
        Ok(out)
    }

    fn bias_add(&self, x: &GpuTensor, bias: &GpuTensor) -> Result<GpuTensor> {
        let (_, n) = bias_dims(&x.shape, &bias.shape)?;
        self.elementwise(Kernel::BiasAdd, &[x, bias], u32_dim("n", n)?)
    }

    fn relu(&self, x: &GpuTensor) -> Result<GpuTensor> {
        self.elementwise(Kernel::Relu, &[x], 0)
    }

    fn add(&self, a: &GpuTensor, b: &GpuTensor) -> Result<GpuTensor> {
        same_shape("add", &a.shape, &b.shape)?;
        self.elementwise(Kernel::Add, &[a, b], 0)
    }

    fn mul(&self, a: &GpuTensor, b: &GpuTensor) -> Result<GpuTensor> {
        same_shape("mul", &a.shape, &b.shape)?;
        self.elementwise(Kernel::Mul, &[a, b], 0)
    }
}
