//! Opening the WebGPU device: adapter choice, device request, kernel compilation, and the
//! [`GpuInfo`] report. Any failure becomes [`Error::GpuUnavailable`] with the reason, so callers
//! can fall back to the CPU and show why.
//!
//! Native: wgpu's own enumeration (Vulkan; Mesa lavapipe on a machine without a GPU), honouring
//! `WGPU_BACKEND`, `WGPU_POWER_PREF` and `WGPU_ADAPTER_NAME`. Wasm: the browser's `navigator.gpu`.

use super::kernels::{Kernel, Needs};
use super::GpuBackend;
use crate::info::GpuInfo;
use crate::rules::error::{Error, Result};

fn unavailable(reason: impl Into<String>) -> Error {
    Error::GpuUnavailable(reason.into())
}

fn instance() -> wgpu::Instance {
    #[cfg(target_arch = "wasm32")]
    let desc = {
        let mut d = wgpu::InstanceDescriptor::new_without_display_handle();
        d.backends = wgpu::Backends::BROWSER_WEBGPU;
        d
    };
    #[cfg(not(target_arch = "wasm32"))]
    let desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
    wgpu::Instance::new(desc)
}

/// Per-buffer limits to ask for below the adapter's (tests: trip the plan check with a modest
/// model); `None` asks for the adapter's own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LowerLimits {
    /// At most this `max_storage_buffer_binding_size`.
    pub max_storage_buffer_binding_size: Option<u64>,
    /// At most this `max_buffer_size`.
    pub max_buffer_size: Option<u64>,
}

/// Opens the adapter and device and builds every pipeline. See the module docs.
pub(super) async fn open(lower: LowerLimits) -> Result<GpuBackend> {
    #[cfg(target_arch = "wasm32")]
    if !super::web_adapter::navigator_gpu_present() {
        return Err(unavailable("navigator.gpu is missing: this browser has no WebGPU, or it is turned off"));
    }
    let instance = instance();
    let adapter = instance
        .request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::from_env().unwrap_or(wgpu::PowerPreference::HighPerformance),
            force_fallback_adapter: false,
            compatible_surface: None,
            apply_limit_buckets: false,
        })
        .await
        .map_err(|e| unavailable(format!("no WebGPU adapter: {e}")))?;

    // Ask for shader-f16 where the adapter has it; the f16 kernels pick their path from it.
    let required_features = adapter.features() & wgpu::Features::SHADER_F16;
    let mut required_limits = adapter.limits();
    if let Some(v) = lower.max_storage_buffer_binding_size {
        required_limits.max_storage_buffer_binding_size = required_limits.max_storage_buffer_binding_size.min(v);
    }
    if let Some(v) = lower.max_buffer_size {
        required_limits.max_buffer_size = required_limits.max_buffer_size.min(v);
    }
    let (device, queue) = adapter
        .request_device(&wgpu::DeviceDescriptor {
            label: Some("quantplay"),
            required_features,
            required_limits,
            experimental_features: wgpu::ExperimentalFeatures::disabled(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        })
        .await
        .map_err(|e| unavailable(format!("device request failed: {e}")))?;

    let faults = super::faults::watch(&device);

    let packed_dot = instance.wgsl_language_features().contains(wgpu::WgslLanguageFeatures::Packed4x8IntegerDotProduct);
    let mut pipelines = Vec::new();
    let shader_f16 = device.features().contains(wgpu::Features::SHADER_F16);
    let available = |k: &Kernel| match k.needs() {
        Needs::Baseline => true,
        Needs::PackedDot => packed_dot,
        Needs::ShaderF16 => shader_f16,
    };
    for k in Kernel::all().filter(available) {
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(k.file().file),
            source: wgpu::ShaderSource::Wgsl(k.file().source.into()),
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(k.entry_point()),
            layout: None,
            module: &module,
            entry_point: Some(k.entry_point()),
            compilation_options: Default::default(),
            cache: None,
        });
        if let Some(e) = scope.pop().await {
            return Err(unavailable(format!("kernel {} in {} failed to build: {e}", k.entry_point(), k.file().file)));
        }
        pipelines.push((k, pipeline));
    }

    let info = describe(&instance, &adapter, &device).await;
    Ok(GpuBackend {
        device,
        queue,
        pipelines,
        info,
        faults,
        readbacks: Default::default(),
        nan_fault: Default::default(),
    })
}

/// PCI vendor ids of the vendors a user is likely to meet (Khronos ids for Mesa).
fn vendor_name(id: u32) -> String {
    match id {
        0x1002 => "amd".into(),
        0x10de => "nvidia".into(),
        0x8086 => "intel".into(),
        0x13b5 => "arm".into(),
        0x5143 => "qualcomm".into(),
        0x106b => "apple".into(),
        0x10005 => "mesa".into(),
        0x1ae0 => "google".into(),
        0 => String::new(),
        other => format!("0x{other:04x}"),
    }
}

async fn describe(instance: &wgpu::Instance, adapter: &wgpu::Adapter, device: &wgpu::Device) -> GpuInfo {
    let a = adapter.get_info();
    let packed = instance.wgsl_language_features().contains(wgpu::WgslLanguageFeatures::Packed4x8IntegerDotProduct);
    #[allow(unused_mut)]
    let mut info = GpuInfo {
        name: a.name.clone(),
        vendor: vendor_name(a.vendor),
        architecture: String::new(),
        backend: a.backend.to_str().to_string(),
        device_type: format!("{:?}", a.device_type),
        driver: [a.driver.as_str(), a.driver_info.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join(" "),
        is_fallback: a.device_type == wgpu::DeviceType::Cpu,
        shader_f16: device.features().contains(wgpu::Features::SHADER_F16),
        packed_int8_dot: packed,
        max_storage_buffer_binding_size: device.limits().max_storage_buffer_binding_size,
    };
    // wgpu's WebGPU backend leaves vendor and architecture empty (gfx-rs/wgpu#8819); ask the
    // browser's GPUAdapterInfo directly.
    #[cfg(target_arch = "wasm32")]
    if let Some(web) = super::web_adapter::adapter_info().await {
        if info.name.is_empty() {
            info.name = if web.description.is_empty() {
                format!("{} {}", web.vendor, web.architecture)
            } else {
                web.description
            };
        }
        info.vendor = web.vendor;
        info.architecture = web.architecture;
        info.is_fallback = web.is_fallback;
    }
    info
}
