//! What this machine offers, as plain serialisable data: the CPU's SIMD features and the WebGPU
//! adapter (or why there is none). `quantplay info --json`, the page's backend panel and the
//! test logs all print these structs.
//!
//! Not here: choosing or opening backends (see `backend::gpu`).

use serde::Serialize;

/// The CPU side: architecture and the SIMD features detected at run time (native) or compiled in
/// (wasm, where `simd128` is a build-time target feature).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CpuInfo {
    /// `std::env::consts::ARCH`: `x86_64`, `aarch64`, `wasm32`.
    pub arch: String,
    /// Detected SIMD features, lower-case, e.g. `["sse4.2", "avx2", "fma"]`.
    pub simd: Vec<String>,
}

impl CpuInfo {
    /// Detects the features of the machine this runs on.
    pub fn detect() -> CpuInfo {
        CpuInfo { arch: std::env::consts::ARCH.to_string(), simd: simd_features() }
    }
}

#[cfg(target_arch = "x86_64")]
fn simd_features() -> Vec<String> {
    let mut v = Vec::new();
    macro_rules! probe {
        ($($f:tt),*) => { $( if std::is_x86_feature_detected!($f) { v.push($f.to_string()); } )* };
    }
    probe!(
        "sse2",
        "sse4.1",
        "sse4.2",
        "avx",
        "avx2",
        "fma",
        "f16c",
        "avx512f",
        "avx512bw",
        "avx512vnni",
        "avx512bf16",
        "avx512fp16",
        "avxvnni"
    );
    v
}

#[cfg(target_arch = "aarch64")]
fn simd_features() -> Vec<String> {
    let mut v = Vec::new();
    macro_rules! probe {
        ($($f:tt),*) => { $( if std::arch::is_aarch64_feature_detected!($f) { v.push($f.to_string()); } )* };
    }
    probe!("neon", "dotprod", "fp16", "i8mm", "bf16");
    v
}

#[cfg(target_arch = "wasm32")]
fn simd_features() -> Vec<String> {
    let mut v = Vec::new();
    if cfg!(target_feature = "simd128") {
        v.push("simd128".to_string());
    }
    if cfg!(target_feature = "relaxed-simd") {
        v.push("relaxed-simd".to_string());
    }
    v
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "wasm32")))]
fn simd_features() -> Vec<String> {
    Vec::new()
}

/// The WebGPU adapter and device quantplay opened.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GpuInfo {
    /// Adapter name, e.g. `"llvmpipe (LLVM 15.0.6, 256 bits)"`; the description on the web.
    pub name: String,
    /// Vendor: from the PCI id natively (`"mesa"`), from `GPUAdapterInfo.vendor` on the web.
    pub vendor: String,
    /// `GPUAdapterInfo.architecture` on the web (`"swiftshader"`); empty natively.
    pub architecture: String,
    /// The wgpu backend: `"vulkan"`, `"webgpu"`, ...
    pub backend: String,
    /// wgpu's device type: `Cpu` for software adapters, `DiscreteGpu`, ...
    pub device_type: String,
    /// Driver name and version, where the platform reports them.
    pub driver: String,
    /// A software or fallback adapter (lavapipe, SwiftShader): correct, but no speed reference.
    pub is_fallback: bool,
    /// WebGPU feature `shader-f16` is enabled on the device (WGSL `enable f16`).
    pub shader_f16: bool,
    /// WGSL language feature `packed_4x8_integer_dot_product` (`dot4I8Packed`).
    pub packed_int8_dot: bool,
    /// Largest storage buffer binding in bytes: bounds the largest tensor.
    pub max_storage_buffer_binding_size: u64,
}

/// Everything `quantplay info` reports.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SystemInfo {
    /// The CPU backend's host.
    pub cpu: CpuInfo,
    /// The WebGPU adapter, when one was opened.
    pub gpu: Option<GpuInfo>,
    /// Why there is no GPU backend, when there is none.
    pub gpu_unavailable_reason: Option<String>,
    /// The backend work goes to by default: `"webgpu"` when present, else `"cpu"`.
    pub active_backend: String,
}

impl SystemInfo {
    /// Assembles the report from a GPU open attempt.
    pub fn new(gpu: std::result::Result<&GpuInfo, &crate::Error>) -> SystemInfo {
        let (gpu, reason) = match gpu {
            Ok(g) => (Some(g.clone()), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let active_backend = if gpu.is_some() { "webgpu" } else { "cpu" }.to_string();
        SystemInfo { cpu: CpuInfo::detect(), gpu, gpu_unavailable_reason: reason, active_backend }
    }

    /// Human-readable multi-line form, for `quantplay info` without `--json`.
    pub fn to_text(&self) -> String {
        let yn = |b: bool| if b { "yes" } else { "no" };
        let simd = if self.cpu.simd.is_empty() { "none".to_string() } else { self.cpu.simd.join(" ") };
        let mut s = format!("CPU    {} · SIMD: {simd}\n", self.cpu.arch);
        match (&self.gpu, &self.gpu_unavailable_reason) {
            (Some(g), _) => {
                s += &format!(
                    "WebGPU {} · vendor {} · backend {} · type {}{}\n",
                    g.name,
                    or_dash(&g.vendor),
                    g.backend,
                    g.device_type,
                    if g.is_fallback { " (software/fallback)" } else { "" }
                );
                if !g.architecture.is_empty() {
                    s += &format!("       architecture {}\n", g.architecture);
                }
                if !g.driver.is_empty() {
                    s += &format!("       driver {}\n", g.driver);
                }
                s += &format!(
                    "       SHADER_F16: {} · packed int8 dot product: {}\n",
                    yn(g.shader_f16),
                    yn(g.packed_int8_dot)
                );
            }
            (None, reason) => s += &format!("WebGPU none: {}\n", reason.as_deref().unwrap_or("unknown")),
        }
        s += &format!("active backend: {}\n", self.active_backend);
        s
    }
}

fn or_dash(s: &str) -> &str {
    if s.is_empty() {
        "-"
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_gpu_the_report_names_the_reason_and_picks_the_cpu() {
        let err = crate::Error::GpuUnavailable("no adapter".into());
        let info = SystemInfo::new(Err(&err));
        assert_eq!(info.active_backend, "cpu");
        assert_eq!(info.gpu_unavailable_reason.as_deref(), Some("WebGPU unavailable: no adapter"));
        assert!(info.to_text().contains("WebGPU none: WebGPU unavailable: no adapter"));
        let json = serde_json::to_value(&info).unwrap();
        assert!(json["gpu"].is_null());
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn x86_64_always_reports_sse2() {
        assert!(CpuInfo::detect().simd.contains(&"sse2".to_string()));
    }
}
