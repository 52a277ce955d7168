//! What the WebGPU device reports going wrong, kept until the next read returns it as a named
//! error: the device-lost callback (wgpu's `Device::set_device_lost_callback`, the browser's
//! `GPUDevice.lost` promise on the web) → [`Error::DeviceLost`]; an op's validation,
//! out-of-memory or internal error → [`Error::GpuFault`] naming the op (natively each op runs
//! inside wgpu error scopes, `Device::push_error_scope`; in the browser the scope's promise
//! would cost a task per op, so the uncaptured-error event reports it and the op is the one
//! wgpu's message names by label). After a loss every op fails at once with the loss: nothing
//! waits on a device that will never answer.
//!
//! Not here: the ops (`float_ops.rs` and the other op files), opening the device (`init.rs`).

use super::GpuBackend;
use crate::rules::error::{Error, Result};
use std::sync::{Arc, Mutex};

/// Faults recorded by wgpu's callbacks and the ops' error scopes.
#[derive(Default, Debug)]
pub(super) struct Faults {
    /// The device-lost callback's reason and message, once it has fired.
    lost: Option<String>,
    /// Errors caught since the last read, oldest first.
    errors: Vec<Error>,
}

/// The shared fault record of one device.
pub(super) type Sink = Arc<Mutex<Faults>>;

fn lock(sink: &Sink) -> std::sync::MutexGuard<'_, Faults> {
    sink.lock().unwrap_or_else(|p| p.into_inner())
}

/// The `GPUErrorFilter` name of a wgpu error.
fn kind(e: &wgpu::Error) -> &'static str {
    match e {
        wgpu::Error::OutOfMemory { .. } => "out-of-memory",
        wgpu::Error::Validation { .. } => "validation",
        wgpu::Error::Internal { .. } => "internal",
    }
}

/// Installs the device-lost callback and the uncaptured-error handler on `device`.
pub(super) fn watch(device: &wgpu::Device) -> Sink {
    let sink: Sink = Default::default();
    let lost = sink.clone();
    device.set_device_lost_callback(move |reason, message| {
        let text = if message.is_empty() { format!("{reason:?}") } else { format!("{reason:?}: {message}") };
        lock(&lost).lost.get_or_insert(text);
    });
    let errors = sink.clone();
    device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
        let fault = Error::GpuFault { kind: kind(&e), op: "a queued GPU op".into(), wgpu: e.to_string() };
        lock(&errors).errors.push(fault);
    }));
    sink
}

/// The value of a future that is already complete (wgpu-core's `pop_error_scope`), else `None`.
#[cfg(not(target_arch = "wasm32"))]
fn ready<T>(f: impl std::future::Future<Output = Option<T>>) -> Option<T> {
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => None,
    }
}

impl GpuBackend {
    /// Fails with [`Error::DeviceLost`] once the device-lost callback has fired.
    pub(super) fn check_lost(&self) -> Result<()> {
        match &lock(&self.faults).lost {
            Some(reason) => Err(Error::DeviceLost { reason: reason.clone() }),
            None => Ok(()),
        }
    }

    /// The loss, else the oldest error caught since the last call (the rest are dropped: the
    /// first one caused them).
    pub(super) fn take_errors(&self) -> Result<()> {
        self.check_lost()?;
        let mut f = lock(&self.faults);
        let first = f.errors.drain(..).next();
        first.map_or(Ok(()), Err)
    }

    /// Runs `f` (which makes buffers or enqueues work for `op`) inside out-of-memory and
    /// validation error scopes natively; what they catch is recorded under `op()` for the next
    /// read. In the browser `f` runs as it is (see the module docs).
    pub(super) fn scoped<T>(&self, op: impl FnOnce() -> String, f: impl FnOnce() -> T) -> T {
        #[cfg(not(target_arch = "wasm32"))]
        {
            let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
            let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
            let out = f();
            let caught = [ready(validation.pop()), ready(oom.pop())];
            if let Some(e) = caught.into_iter().flatten().next() {
                lock(&self.faults).errors.push(Error::GpuFault { kind: kind(&e), op: op(), wgpu: e.to_string() });
            }
            out
        }
        #[cfg(target_arch = "wasm32")]
        {
            let _ = op;
            f()
        }
    }

    /// `DeviceExt::create_buffer_init` without its panic: on a lost or failing device the new
    /// buffer is invalid and wgpu refuses its mapped range, which `create_buffer_init`
    /// `expect`s (it panicked natively right after `Device::destroy`, before the device-lost
    /// callback had fired). Here the refusal is the error: the loss when known, else a fault
    /// naming the buffer.
    pub(super) fn try_init_buffer(
        &self,
        label: &'static str,
        contents: &[u8],
        usage: wgpu::BufferUsages,
    ) -> Result<wgpu::Buffer> {
        let size = (contents.len() as u64).div_ceil(wgpu::COPY_BUFFER_ALIGNMENT).max(1) * wgpu::COPY_BUFFER_ALIGNMENT;
        let desc = wgpu::BufferDescriptor { label: Some(label), size, usage, mapped_at_creation: true };
        let buffer = self.scoped(|| format!("buffer {label} of {size} bytes"), || self.device.create_buffer(&desc));
        let refused = match buffer.get_mapped_range_mut(..) {
            Ok(mut view) => {
                view.slice(..contents.len()).copy_from_slice(contents);
                None
            }
            Err(e) => Some(e.to_string()),
        };
        if let Some(e) = refused {
            // Natively the device-lost callback fires from a poll: give it one, without waiting.
            #[cfg(not(target_arch = "wasm32"))]
            let _ = self.device.poll(wgpu::PollType::Poll);
            self.check_lost()?;
            // What the creation's scopes caught says why the buffer is invalid; else the refusal.
            let caught = lock(&self.faults).errors.pop();
            let op = format!("buffer {label} of {size} bytes");
            return Err(caught.unwrap_or(Error::GpuFault { kind: "validation", op, wgpu: e }));
        }
        buffer.unmap();
        Ok(buffer)
    }

    /// [`GpuBackend::try_init_buffer`] for ops that return no `Result` yet: a failure is
    /// recorded for the next read and an empty buffer of the same size stands in.
    pub(super) fn init_buffer(&self, label: &'static str, contents: &[u8], usage: wgpu::BufferUsages) -> wgpu::Buffer {
        self.try_init_buffer(label, contents, usage).unwrap_or_else(|e| {
            if !matches!(e, Error::DeviceLost { .. }) {
                lock(&self.faults).errors.push(e);
            }
            let size = (contents.len() as u64).div_ceil(4).max(1) * 4;
            self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size,
                usage,
                mapped_at_creation: false,
            })
        })
    }

    /// Test hook: destroys the device (`wgpu::Device::destroy`), as a driver reset or the
    /// browser's `GPUDevice.destroy()` would, so tests can check that every later op fails with
    /// [`Error::DeviceLost`]. Nothing in the crate calls it.
    #[doc(hidden)]
    pub fn destroy_device_for_test(&self) {
        self.device.destroy();
    }

    /// Test hook: enqueues the `relu` kernel with its output binding missing, a WebGPU
    /// validation error, so tests can check that the next read names it. Nothing in the crate
    /// calls it.
    #[doc(hidden)]
    pub fn provoke_validation_error_for_test(&self, x: &super::GpuTensor) {
        self.dispatch(super::Kernel::Relu, &[1, 0, 0, 0], &[&x.buffer], [1, 1, 1]);
    }
}
