//! The WebGPU backend on wgpu: each op enqueues one compute dispatch of a `.wgsl` kernel
//! (see `kernels.rs`) and returns a buffer handle; only [`Backend::read`] waits.
//!
//! Not here: adapter and device acquisition (`init.rs`), tolerances (`crate::parity`).
//! GPU errors never panic: wgpu's uncaptured-error handler records them, and the next `read`
//! returns them as [`Error::Gpu`].

mod amp;
mod conv;
mod init;
pub mod kernels;
mod paths;
mod train;
mod typed;
#[cfg(target_arch = "wasm32")]
mod web_adapter;

use super::{bias_dims, check_upload, expect_dtype, same_shape, Backend, DType, HasShape, HostData};
use crate::info::GpuInfo;
use crate::rules::error::{Error, Result};
use crate::rules::optim::{AdamConfig, SgdConfig};
use crate::rules::scaler::ScalerConfig;
use crate::rules::{QLinearSpec, QParams};
use kernels::{grid_1d, Kernel};
pub use paths::{F16Path, Int8Path, MatmulPath};
use std::sync::{Arc, Mutex};
use wgpu::util::DeviceExt;

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
    errors: Arc<Mutex<Vec<String>>>,
    /// GPU → CPU copies made so far ([`GpuBackend::readback_count`]).
    readbacks: std::sync::atomic::AtomicU64,
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

    /// How many tensors this backend has copied back to the CPU ([`Backend::read_data`] with at
    /// least one element; each is a staging copy, a map and a wait). A training step that reads
    /// nothing back leaves it unchanged; the benchmark reports its delta per 16-mixed step.
    pub fn readback_count(&self) -> u64 {
        self.readbacks.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The kernel's pipeline; only kernels needing an absent WGSL feature are missing.
    fn pipeline(&self, k: Kernel) -> &wgpu::ComputePipeline {
        &self.pipelines.iter().find(|(kk, _)| *kk == k).expect("kernel built (callers check Kernel::needs)").1
    }

    fn check_size(&self, what: &str, bytes: u64) -> Result<()> {
        let limits = self.device.limits();
        let limit = (limits.max_storage_buffer_binding_size as u64).min(limits.max_buffer_size);
        if bytes > limit {
            return Err(Error::TooLarge { what: what.to_string(), bytes, limit });
        }
        Ok(())
    }

    /// A zero-filled storage buffer for a tensor of `shape` and `dtype`.
    fn output(&self, shape: &[usize], dtype: DType) -> Result<GpuTensor> {
        let bytes = padded_bytes(dtype, super::checked_numel(shape)?);
        self.check_size("output tensor", bytes)?;
        let buffer = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("quantplay tensor"),
            size: bytes,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        Ok(GpuTensor { shape: shape.to_vec(), dtype, buffer })
    }

    /// A small read-only storage buffer of 4-byte values (scales, zero points).
    fn small_buffer(&self, words: &[u32]) -> wgpu::Buffer {
        let contents: &[u32] = if words.is_empty() { &[0] } else { words };
        self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("quantplay small"),
            contents: bytemuck::cast_slice(contents),
            usage: wgpu::BufferUsages::STORAGE,
        })
    }

    /// Binds `params` (a uniform of 4-byte fields, a multiple of 16 bytes) at binding 0 and
    /// `buffers` at 1.. (at 0.. when `params` is empty), then dispatches `grid` workgroups.
    fn dispatch(&self, k: Kernel, params: &[u32], buffers: &[&wgpu::Buffer], grid: [u32; 3]) {
        if grid.contains(&0) {
            return; // empty tensor: nothing to compute, the zero-filled output is the answer
        }
        let uniform = self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("quantplay params"),
            contents: bytemuck::cast_slice(if params.is_empty() { &[0u32; 4] } else { params }),
            usage: wgpu::BufferUsages::UNIFORM,
        });
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

    fn upload_data(&self, data: HostData, shape: &[usize]) -> Result<GpuTensor> {
        check_upload(data.len(), shape)?;
        let dtype = data.dtype();
        let mut contents = data.to_le_bytes();
        contents.resize(padded_bytes(dtype, data.len()) as usize, 0);
        self.check_size("uploaded tensor", contents.len() as u64)?;
        let buffer = self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("quantplay tensor"),
            contents: &contents,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
        });
        Ok(GpuTensor { shape: shape.to_vec(), dtype, buffer })
    }

    async fn read_data(&self, t: &GpuTensor) -> Result<HostData> {
        if t.numel() == 0 {
            return self.take_errors().map(|_| HostData::from_le_bytes(t.dtype, 0, &[]));
        }
        self.readbacks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let bytes = padded_bytes(t.dtype, t.numel());
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
        self.device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| Error::Gpu(format!("poll failed: {e}")))?;
        let mapped = rx.await.map_err(|_| Error::Gpu("readback was cancelled (device lost?)".into()))?;
        mapped.map_err(|e| Error::Gpu(format!("mapping the readback buffer failed: {e}")))?;
        let out = {
            let view = staging.slice(..).get_mapped_range().map_err(|e| Error::Gpu(format!("{e}")))?;
            HostData::from_le_bytes(t.dtype, t.numel(), &view)
        };
        staging.unmap();
        self.take_errors()?;
        Ok(out)
    }

    fn matmul(&self, a: &GpuTensor, b: &GpuTensor) -> Result<GpuTensor> {
        train::matmul_t(self, a, b, false, false, MatmulPath::DEFAULT)
    }

    fn bias_add(&self, x: &GpuTensor, bias: &GpuTensor) -> Result<GpuTensor> {
        let (_, n) = bias_dims(&x.shape, &bias.shape)?;
        self.elementwise(Kernel::BiasAdd, "bias_add", &[x, bias], u32_dim("n", n)?)
    }

    fn relu(&self, x: &GpuTensor) -> Result<GpuTensor> {
        self.elementwise(Kernel::Relu, "relu", &[x], 0)
    }

    fn add(&self, a: &GpuTensor, b: &GpuTensor) -> Result<GpuTensor> {
        same_shape("add", &a.shape, &b.shape)?;
        self.elementwise(Kernel::Add, "add", &[a, b], 0)
    }

    fn mul(&self, a: &GpuTensor, b: &GpuTensor) -> Result<GpuTensor> {
        same_shape("mul", &a.shape, &b.shape)?;
        self.elementwise(Kernel::Mul, "mul", &[a, b], 0)
    }

    fn cast(&self, x: &GpuTensor, to: DType) -> Result<GpuTensor> {
        typed::cast(self, x, to)
    }

    fn quantize(&self, x: &GpuTensor, q: &QParams) -> Result<GpuTensor> {
        typed::quantize(self, x, q)
    }

    fn dequantize(&self, codes: &GpuTensor, q: &QParams) -> Result<GpuTensor> {
        typed::dequantize(self, codes, q)
    }

    fn reshape(&self, x: &GpuTensor, shape: &[usize]) -> Result<GpuTensor> {
        conv::reshape(x, shape)
    }

    fn im2col(&self, x: &GpuTensor, g: &super::Conv2dGeom, pad: f32) -> Result<GpuTensor> {
        conv::im2col(self, x, g, pad)
    }

    fn col2im(&self, cols: &GpuTensor, g: &super::Conv2dGeom) -> Result<GpuTensor> {
        conv::col2im(self, cols, g)
    }

    fn rows_to_nchw(&self, x: &GpuTensor, n: usize, h: usize, w: usize) -> Result<GpuTensor> {
        conv::rows_to_nchw(self, x, n, h, w)
    }

    fn nchw_to_rows(&self, x: &GpuTensor) -> Result<GpuTensor> {
        conv::nchw_to_rows(self, x)
    }

    fn channel_affine(&self, x: &GpuTensor, alpha: &GpuTensor, beta: &GpuTensor) -> Result<GpuTensor> {
        conv::channel_affine(self, x, alpha, beta)
    }

    fn quantized_relu(&self, codes: &GpuTensor, zero_point: i32) -> Result<GpuTensor> {
        conv::quantized_relu(self, codes, zero_point)
    }

    fn quantized_channel_lut(&self, codes: &GpuTensor, table: &GpuTensor) -> Result<GpuTensor> {
        conv::quantized_channel_lut(self, codes, table)
    }

    fn fake_quantize(
        &self,
        x: &GpuTensor,
        q: &QParams,
        quant_min: i32,
        quant_max: i32,
    ) -> Result<(GpuTensor, GpuTensor)> {
        conv::fake_quantize(self, x, q, quant_min, quant_max)
    }

    fn min_max(&self, x: &GpuTensor) -> Result<GpuTensor> {
        conv::min_max(self, x)
    }

    fn quantized_linear_float(
        &self,
        x: &GpuTensor,
        w: &GpuTensor,
        x_q: &QParams,
        w_q: &QParams,
        bias: Option<&[f32]>,
    ) -> Result<GpuTensor> {
        conv::quantized_linear_float(self, x, w, x_q, w_q, bias)
    }

    fn matmul_t(&self, a: &GpuTensor, b: &GpuTensor, ta: bool, tb: bool) -> Result<GpuTensor> {
        train::matmul_t(self, a, b, ta, tb, MatmulPath::DEFAULT)
    }

    fn relu_backward(&self, grad: &GpuTensor, x: &GpuTensor) -> Result<GpuTensor> {
        train::relu_backward(self, grad, x)
    }

    fn scale(&self, x: &GpuTensor, s: f32) -> Result<GpuTensor> {
        train::scale(self, x, s)
    }

    fn sum(&self, x: &GpuTensor) -> Result<GpuTensor> {
        train::sum(self, x)
    }

    fn sum_rows(&self, x: &GpuTensor) -> Result<GpuTensor> {
        train::sum_rows(self, x)
    }

    fn cross_entropy(&self, logits: &GpuTensor, labels: &GpuTensor) -> Result<(GpuTensor, GpuTensor)> {
        train::cross_entropy(self, logits, labels)
    }

    fn sgd_step(
        &self,
        p: &mut GpuTensor,
        grad: &GpuTensor,
        buf: &mut GpuTensor,
        cfg: &SgdConfig,
        first: bool,
        skip_if: Option<&GpuTensor>,
    ) -> Result<()> {
        train::sgd_step(self, p, grad, buf, cfg, first, skip_if)
    }

    fn adam_step(
        &self,
        p: &mut GpuTensor,
        grad: &GpuTensor,
        m: &mut GpuTensor,
        v: &mut GpuTensor,
        cfg: &AdamConfig,
        step: u32,
        skip_if: Option<&GpuTensor>,
    ) -> Result<()> {
        train::adam_step(self, p, grad, m, v, cfg, step, skip_if)
    }

    /// Uses `enable f16` where the device has shader-f16, else f16 packed in u32.
    fn adam_step_counted(
        &self,
        p: &mut GpuTensor,
        grad: &GpuTensor,
        m: &mut GpuTensor,
        v: &mut GpuTensor,
        cfg: &AdamConfig,
        table: &GpuTensor,
        count: &GpuTensor,
        skip_if: Option<&GpuTensor>,
    ) -> Result<()> {
        train::adam_step_counted(self, p, grad, m, v, cfg, table, count, skip_if)
    }

    fn matmul_f16(&self, a: &GpuTensor, b: &GpuTensor, ta: bool, tb: bool) -> Result<GpuTensor> {
        let path = if self.info.shader_f16 { F16Path::Native } else { F16Path::Packed };
        amp::matmul_f16(self, a, b, ta, tb, path)
    }

    fn amp_unscale(
        &self,
        grads: &mut [&mut GpuTensor],
        inv_scale: &GpuTensor,
        found_inf: &mut GpuTensor,
    ) -> Result<()> {
        amp::unscale(self, grads, inv_scale, found_inf)
    }

    fn amp_update_scale(
        &self,
        scale: &mut GpuTensor,
        growth_tracker: &mut GpuTensor,
        found_inf: &GpuTensor,
        cfg: &ScalerConfig,
    ) -> Result<()> {
        amp::update_scale(self, scale, growth_tracker, found_inf, cfg)
    }

    fn amp_inv_scale(&self, scale: &GpuTensor) -> Result<GpuTensor> {
        amp::inv_scale(self, scale)
    }

    /// Uses `dot4I8Packed` when the adapter has it and k % 4 == 0, else the byte-wise kernel.
    fn quantized_linear(&self, x: &GpuTensor, w: &GpuTensor, spec: &QLinearSpec) -> Result<GpuTensor> {
        let path = if self.info.packed_int8_dot && x.shape.get(1).is_some_and(|k| k % 4 == 0) {
            Int8Path::Dot4
        } else {
            Int8Path::Bytes
        };
        typed::quantized_linear(self, x, w, spec, path)
    }
}
