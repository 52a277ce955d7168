//! The one backend enum and its rules, used by the CLI, the wasm surface and the page: one set
//! of names, and one rule for a missing or lost GPU.
//!
//! | name | backend | |
//! |---|---|---|
//! | `cpu` | [`super::cpu::CpuFast`] | SIMD GEMMs, every other op as the reference |
//! | `cpu-reference` | [`super::cpu::CpuReference`] | plain loops: the oracle |
//! | `webgpu` (alias `gpu`) | [`super::gpu::GpuBackend`] | WebGPU compute shaders |
//!
//! The GPU rule ([`BackendKind::fallback`]): when `webgpu` is asked for and no adapter or device
//! can be had, or the device is lost during a run, work moves to `cpu` and the reason is kept and
//! shown (the CLI prints it, the page shows a banner and every "ran on" label says `cpu`). An
//! argument error is never a GPU failure: it is reported as it is and changes nothing.

use crate::rules::error::{Error, Result};

/// Where work runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum BackendKind {
    /// The CPU fast path (`cpu`): the default.
    #[default]
    Cpu,
    /// The CPU reference (`cpu-reference`), the oracle every other backend is tested against.
    CpuReference,
    /// WebGPU (`webgpu`, alias `gpu`).
    WebGpu,
}

/// The names [`BackendKind::parse`] accepts, for error messages and `--help`.
pub const BACKEND_NAMES: &str = "\"cpu\", \"cpu-reference\", \"webgpu\" (alias \"gpu\")";

impl BackendKind {
    /// Every kind, in the order the names are listed.
    pub const ALL: [BackendKind; 3] = [BackendKind::Cpu, BackendKind::CpuReference, BackendKind::WebGpu];

    /// The name the CLI, the wasm surface, the page's URL and every report use.
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Cpu => "cpu",
            BackendKind::CpuReference => "cpu-reference",
            BackendKind::WebGpu => "webgpu",
        }
    }

    /// Parses a name ([`BACKEND_NAMES`]); anything else is an error naming the bad value and
    /// the valid ones.
    pub fn parse(s: &str) -> Result<BackendKind> {
        match s {
            "cpu" => Ok(BackendKind::Cpu),
            "cpu-reference" => Ok(BackendKind::CpuReference),
            "webgpu" | "gpu" => Ok(BackendKind::WebGpu),
            other => Err(Error::InvalidArgument { name: "backend", value: other.into(), valid: BACKEND_NAMES.into() }),
        }
    }

    /// Whether this runs on the host CPU (either CPU backend).
    pub fn is_cpu(self) -> bool {
        self != BackendKind::WebGpu
    }

    /// Where work goes when this backend is missing or lost: `cpu` for `webgpu`, nothing for the
    /// CPU backends (they cannot go missing). See the module docs for the whole rule.
    pub fn fallback(self) -> Option<BackendKind> {
        match self {
            BackendKind::WebGpu => Some(BackendKind::Cpu),
            _ => None,
        }
    }
}

impl std::fmt::Display for BackendKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for BackendKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<BackendKind> {
        BackendKind::parse(s)
    }
}

impl serde::Serialize for BackendKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for BackendKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<BackendKind, D::Error> {
        let s = String::deserialize(d)?;
        BackendKind::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// What a backend offers that the layers above decide on (precision, kernel paths, labels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Capabilities {
    /// Which backend this is.
    pub backend: BackendKind,
    /// WebGPU feature shader-f16: native f16 arithmetic in shaders (false on the CPU, which
    /// computes f16 through the half crate).
    pub shader_f16: bool,
    /// Packed 4×int8 dot products (WGSL `dot4I8Packed`); on the CPU, whether the int8 GEMM has
    /// a SIMD kernel on this machine (AVX-512 VNNI, AVX2 or wasm simd128).
    pub int8_dot: bool,
}

impl Capabilities {
    /// A CPU backend's capabilities.
    pub fn cpu(backend: BackendKind, int8_dot: bool) -> Capabilities {
        Capabilities { backend, shader_f16: false, int8_dot }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_gpu_is_an_alias() {
        for k in BackendKind::ALL {
            assert_eq!(BackendKind::parse(k.name()).unwrap(), k);
            assert_eq!(k.to_string(), k.name());
            assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{}\"", k.name()));
        }
        assert_eq!(BackendKind::parse("gpu").unwrap(), BackendKind::WebGpu);
        let e = BackendKind::parse("cuda").unwrap_err().to_string();
        assert!(e.contains("\"cuda\"") && e.contains("cpu-reference") && e.contains("webgpu"), "{e}");
    }

    #[test]
    fn only_webgpu_falls_back_and_it_falls_back_to_the_cpu_fast_path() {
        assert_eq!(BackendKind::WebGpu.fallback(), Some(BackendKind::Cpu));
        assert_eq!(BackendKind::Cpu.fallback(), None);
        assert_eq!(BackendKind::CpuReference.fallback(), None);
    }
}
