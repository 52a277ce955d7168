//! The alternative kernels behind some GPU ops (f32 matmul: simple, tiled, register-blocked;
//! f16 matmul: native `enable f16` or packed u32; int8 GEMM: bytes or `dot4I8Packed`), and the
//! `*_with` entry points that run a chosen one, so tests check every path against the others
//! and benchmarks compare them. The trait methods in `mod.rs` pick the default path.

use super::{amp, train, typed, GpuBackend, GpuTensor};
use crate::rules::error::Result;
use crate::rules::QLinearSpec;

/// Which f32 matmul kernel [`GpuBackend::matmul_t_with`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatmulPath {
    /// `matmul.wgsl`: one invocation per output, inputs straight from storage.
    Simple,
    /// `matmul_tiled.wgsl`: 16×16 tiles staged in workgroup memory.
    Tiled,
    /// `matmul_blocked.wgsl`: 4×4 outputs per invocation held in registers.
    Blocked,
}

impl MatmulPath {
    /// The kernel `matmul` and `matmul_t` use, picked by `scripts/bench`: on the only adapter
    /// measured so far (SwiftShader, 2026-11-22) 512³ took 126 ms register-blocked (vec4), 830 ms
    /// simple and 1183 ms tiled (CPU emulation gains nothing from workgroup memory). Re-run the
    /// benchmark on a hardware GPU before changing this.
    pub const DEFAULT: MatmulPath = MatmulPath::Blocked;

    /// Output rows (and columns) one workgroup covers: 8 (8×8 invocations), 16 (16×16), 32
    /// (8×8 invocations of 4×4 outputs). The grid is `(⌈n / side⌉, ⌈m / side⌉)`.
    pub fn outputs_per_workgroup_side(self) -> u32 {
        match self {
            MatmulPath::Simple => super::kernels::MATMUL_TILE,
            MatmulPath::Tiled => super::kernels::MATMUL_TILED_TILE,
            MatmulPath::Blocked => 4 * super::kernels::MATMUL_TILE,
        }
    }
}

/// Which f16 matmul kernel [`GpuBackend::matmul_f16_with`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum F16Path {
    /// `matmul_f16_native.wgsl`: WGSL `enable f16`, needs the shader-f16 feature.
    Native,
    /// `matmul_f16.wgsl`: f16 packed two per u32, any adapter.
    Packed,
}

/// Which int8 GEMM kernel [`GpuBackend::quantized_linear_with`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Int8Path {
    /// `qlinear.wgsl`: byte-wise unpacking, any adapter, any k.
    Bytes,
    /// `qlinear_dot4.wgsl`: `dot4I8Packed`, needs the WGSL feature and k % 4 == 0.
    Dot4,
}

impl GpuBackend {
    /// [`Backend::quantized_linear`] on a chosen kernel, so tests can check both paths agree.
    pub fn quantized_linear_with(
        &self,
        x: &GpuTensor,
        w: &GpuTensor,
        spec: &QLinearSpec,
        path: Int8Path,
    ) -> Result<GpuTensor> {
        typed::quantized_linear(self, x, w, spec, path)
    }

    /// [`Backend::matmul_t`] on a chosen kernel, so tests and benchmarks can compare them.
    pub fn matmul_t_with(
        &self,
        a: &GpuTensor,
        b: &GpuTensor,
        ta: bool,
        tb: bool,
        path: MatmulPath,
    ) -> Result<GpuTensor> {
        train::matmul_t(self, a, b, ta, tb, path)
    }

    /// [`Backend::matmul_f16`] on a chosen kernel, so tests can check both paths agree.
    pub fn matmul_f16_with(
        &self,
        a: &GpuTensor,
        b: &GpuTensor,
        ta: bool,
        tb: bool,
        path: F16Path,
    ) -> Result<GpuTensor> {
        amp::matmul_f16(self, a, b, ta, tb, path)
    }
}
