//! [`TensorOps`] (buffers, readback, copies) and [`FloatOps`] for [`GpuBackend`]: each op
//! validates on the host and enqueues one dispatch; only `read_data` waits.

use super::*;
use crate::backend::prelude::*;
use crate::backend::{bias_dims, check_upload, same_shape, BackendKind, Capabilities, HasShape, HostData};
use crate::rules::error::{fmt_shape, Error, Result};

impl TensorOps for GpuBackend {
    type Tensor = GpuTensor;

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            backend: BackendKind::WebGpu,
            shader_f16: self.info.shader_f16,
            int8_dot: self.info.packed_int8_dot,
        }
    }

    fn limits(&self) -> crate::rules::plan::DeviceLimits {
        self.plan_limits()
    }

    fn copy(&self, x: &GpuTensor) -> Result<GpuTensor> {
        self.check_lost()?;
        let bytes = padded_bytes(x.dtype, x.numel());
        self.check_size("copied tensor", bytes)?;
        let buffer = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("quantplay tensor"),
            size: bytes,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut encoder = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        encoder.copy_buffer_to_buffer(&x.buffer, 0, &buffer, 0, bytes);
        self.queue.submit([encoder.finish()]);
        Ok(GpuTensor { shape: x.shape.clone(), dtype: x.dtype, buffer })
    }

    fn upload_data(&self, data: HostData, shape: &[usize]) -> Result<GpuTensor> {
        check_upload(data.len(), shape)?;
        self.check_lost()?;
        let dtype = data.dtype();
        let mut contents = data.to_le_bytes();
        contents.resize(padded_bytes(dtype, data.len()) as usize, 0);
        self.check_size("uploaded tensor", contents.len() as u64)?;
        let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST;
        let buffer = self.try_init_buffer("quantplay tensor", &contents, usage)?;
        Ok(GpuTensor { shape: shape.to_vec(), dtype, buffer })
    }

    async fn read_data(&self, t: &GpuTensor) -> Result<HostData> {
        if t.numel() == 0 {
            return self.take_errors().map(|_| HostData::from_le_bytes(t.dtype, 0, &[]));
        }
        // After a loss, fail with it at once instead of enqueuing a copy that cannot run.
        self.check_lost()?;
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
        let mapped = rx.await;
        // On a loss the browser rejects the map (GPUDevice.destroy() aborts it) and wgpu-core
        // fails it: name the loss when the device-lost callback has said so already.
        self.check_lost()?;
        mapped
            .map_err(|_| Error::Gpu("readback was cancelled (device lost?)".into()))?
            .map_err(|e| Error::Gpu(format!("mapping the readback buffer of {} failed: {e}", fmt_shape(&t.shape))))?;
        let out = {
            let view = staging.slice(..).get_mapped_range().map_err(|e| Error::Gpu(format!("{e}")))?;
            HostData::from_le_bytes(t.dtype, t.numel(), &view)
        };
        staging.unmap();
        self.take_errors()?;
        Ok(out)
    }

    fn reshape(&self, x: &GpuTensor, shape: &[usize]) -> Result<GpuTensor> {
        conv::reshape(x, shape)
    }
}

impl FloatOps for GpuBackend {
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

    fn channel_affine(&self, x: &GpuTensor, alpha: &GpuTensor, beta: &GpuTensor) -> Result<GpuTensor> {
        conv::channel_affine(self, x, alpha, beta)
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
}
