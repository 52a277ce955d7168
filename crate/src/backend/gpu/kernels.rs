//! The registry of WGSL kernels: which `.wgsl` file holds which entry point, and how big a grid
//! each dispatch needs. Every shader file is listed in [`SHADER_FILES`]; a test validates each
//! with naga and checks that the directory holds no unlisted `.wgsl` file.
//!
//! Not here: pipeline creation and dispatch (see `mod.rs`).

/// One `.wgsl` file, embedded at compile time.
#[derive(Debug)]
pub struct ShaderFile {
    /// File name beside this module, e.g. `"matmul.wgsl"`.
    pub file: &'static str,
    /// The WGSL source.
    pub source: &'static str,
}

/// Library files: functions shared by several kernels, with no entry point. WGSL has no
/// includes, so a kernel that needs one is its own source followed by the library's (WGSL
/// module-scope declarations may come in any order); the kernel's header stays first.
pub const LIB_FILES: &[ShaderFile] = &[
    ShaderFile { file: "lib_f16_bits.wgsl", source: include_str!("lib_f16_bits.wgsl") },
    ShaderFile { file: "lib_i32_to_f32.wgsl", source: include_str!("lib_i32_to_f32.wgsl") },
    ShaderFile { file: "lib_requant.wgsl", source: include_str!("lib_requant.wgsl") },
];

/// Every shader file of the GPU backend (library text appended where used).
pub const SHADER_FILES: &[ShaderFile] = &[
    ShaderFile { file: "matmul.wgsl", source: include_str!("matmul.wgsl") },
    ShaderFile { file: "bias_add.wgsl", source: include_str!("bias_add.wgsl") },
    ShaderFile { file: "relu.wgsl", source: include_str!("relu.wgsl") },
    ShaderFile { file: "elementwise.wgsl", source: include_str!("elementwise.wgsl") },
    ShaderFile {
        file: "cast_f16.wgsl",
        source: concat!(include_str!("cast_f16.wgsl"), include_str!("lib_f16_bits.wgsl")),
    },
    ShaderFile { file: "quantize.wgsl", source: include_str!("quantize.wgsl") },
    ShaderFile { file: "dequantize.wgsl", source: include_str!("dequantize.wgsl") },
    ShaderFile {
        file: "qlinear.wgsl",
        source: concat!(
            include_str!("qlinear.wgsl"),
            include_str!("lib_i32_to_f32.wgsl"),
            include_str!("lib_requant.wgsl")
        ),
    },
    ShaderFile {
        file: "qlinear_dot4.wgsl",
        source: concat!(
            include_str!("qlinear_dot4.wgsl"),
            include_str!("lib_i32_to_f32.wgsl"),
            include_str!("lib_requant.wgsl")
        ),
    },
    ShaderFile { file: "reduce.wgsl", source: include_str!("reduce.wgsl") },
    ShaderFile { file: "cross_entropy.wgsl", source: include_str!("cross_entropy.wgsl") },
    ShaderFile { file: "sgd.wgsl", source: include_str!("sgd.wgsl") },
    ShaderFile { file: "adam.wgsl", source: include_str!("adam.wgsl") },
    ShaderFile {
        file: "matmul_f16.wgsl",
        source: concat!(include_str!("matmul_f16.wgsl"), include_str!("lib_f16_bits.wgsl")),
    },
    ShaderFile {
        file: "matmul_f16_native.wgsl",
        source: concat!(include_str!("matmul_f16_native.wgsl"), include_str!("lib_f16_bits.wgsl")),
    },
    ShaderFile { file: "amp_unscale.wgsl", source: include_str!("amp_unscale.wgsl") },
    ShaderFile { file: "amp_update_scale.wgsl", source: include_str!("amp_update_scale.wgsl") },
    ShaderFile { file: "amp_inv_scale.wgsl", source: include_str!("amp_inv_scale.wgsl") },
    ShaderFile { file: "matmul_tiled.wgsl", source: include_str!("matmul_tiled.wgsl") },
    ShaderFile { file: "matmul_blocked.wgsl", source: include_str!("matmul_blocked.wgsl") },
    ShaderFile { file: "matmul_blocked_v4.wgsl", source: include_str!("matmul_blocked_v4.wgsl") },
    ShaderFile { file: "conv.wgsl", source: include_str!("conv.wgsl") },
    ShaderFile { file: "channel_affine.wgsl", source: include_str!("channel_affine.wgsl") },
    ShaderFile { file: "qrelu.wgsl", source: include_str!("qrelu.wgsl") },
    ShaderFile { file: "fake_quant.wgsl", source: include_str!("fake_quant.wgsl") },
    ShaderFile { file: "min_max.wgsl", source: include_str!("min_max.wgsl") },
    ShaderFile {
        file: "qlinear_float.wgsl",
        source: concat!(include_str!("qlinear_float.wgsl"), include_str!("lib_i32_to_f32.wgsl")),
    },
    ShaderFile { file: "channel_lut.wgsl", source: include_str!("channel_lut.wgsl") },
    ShaderFile { file: "observe_aminmax.wgsl", source: include_str!("observe_aminmax.wgsl") },
    ShaderFile { file: "histc.wgsl", source: include_str!("histc.wgsl") },
    ShaderFile { file: "max_pool2d.wgsl", source: include_str!("max_pool2d.wgsl") },
];

/// A compute entry point the backend dispatches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// `matmul.wgsl :: matmul_t`, 8×8 workgroups over (n, m); plain and transposed forms.
    Matmul,
    /// `bias_add.wgsl :: bias_add`.
    BiasAdd,
    /// `relu.wgsl :: relu`.
    Relu,
    /// `relu.wgsl :: scale`.
    Scale,
    /// `elementwise.wgsl :: add`.
    Add,
    /// `elementwise.wgsl :: mul`.
    Mul,
    /// `elementwise.wgsl :: relu_backward`.
    ReluBackward,
    /// `cast_f16.wgsl :: f32_to_f16`, one invocation per packed word.
    F32ToF16,
    /// `cast_f16.wgsl :: f16_to_f32`, one invocation per packed word.
    F16ToF32,
    /// `quantize.wgsl :: quantize`, one invocation per word of four codes.
    Quantize,
    /// `dequantize.wgsl :: dequantize`, one invocation per word of four codes.
    Dequantize,
    /// `qlinear.wgsl :: quantized_linear`, one invocation per word of four output codes.
    QLinear,
    /// `qlinear_dot4.wgsl :: quantized_linear_dot4`: needs the WGSL language feature
    /// `packed_4x8_integer_dot_product` and k % 4 == 0.
    QLinearDot4,
    /// `reduce.wgsl :: sum_rows`, one invocation per column.
    SumRows,
    /// `reduce.wgsl :: sum`, a single workgroup.
    Sum,
    /// `cross_entropy.wgsl :: cross_entropy`, one invocation per row.
    CrossEntropy,
    /// `sgd.wgsl :: sgd_step`.
    SgdStep,
    /// `adam.wgsl :: adam_step`.
    AdamStep,
    /// Adam with the step counted on the device (adam.wgsl `adam_step_counted`).
    AdamStepCounted,
    /// `matmul_f16.wgsl :: matmul_f16`: f16 packed in u32, any adapter.
    MatmulF16,
    /// `matmul_f16_native.wgsl :: matmul_f16_native`: `enable f16`, needs shader-f16.
    MatmulF16Native,
    /// `amp_unscale.wgsl :: amp_unscale`.
    AmpUnscale,
    /// `amp_update_scale.wgsl :: amp_update_scale`, a single invocation.
    AmpUpdateScale,
    /// `amp_inv_scale.wgsl :: amp_inv_scale`, a single invocation.
    AmpInvScale,
    /// `matmul_tiled.wgsl :: matmul_t_tiled`, 16×16 workgroups with workgroup-memory tiles.
    MatmulTiled,
    /// `matmul_blocked.wgsl :: matmul_t_blocked`, 4×4 outputs per invocation.
    MatmulBlocked,
    /// `matmul_blocked_v4.wgsl :: matmul_t_blocked_v4`, the same with vec4 B and C, plain form
    /// with n % 4 == 0 only.
    MatmulBlockedV4,
    /// `conv.wgsl :: im2col_f32`, per element.
    Im2ColF32,
    /// `conv.wgsl :: im2col_u8`, per word of four codes.
    Im2ColU8,
    /// `conv.wgsl :: rows_to_nchw_f32`, per element.
    RowsToNchwF32,
    /// `conv.wgsl :: rows_to_nchw_u8`, per word of four codes.
    RowsToNchwU8,
    /// `conv.wgsl :: nchw_to_rows_f32`, per element.
    NchwToRowsF32,
    /// `conv.wgsl :: nchw_to_rows_u8`, per word of four codes.
    NchwToRowsU8,
    /// `conv.wgsl :: col2im`, a gather-sum per output pixel.
    Col2Im,
    /// `channel_affine.wgsl :: channel_affine`.
    ChannelAffine,
    /// `qrelu.wgsl :: quantized_relu`, per word of four codes.
    QuantizedRelu,
    /// `channel_lut.wgsl :: channel_lut`, four uint8 codes per invocation.
    ChannelLut,
    /// `fake_quant.wgsl :: fake_quantize`.
    FakeQuantize,
    /// `min_max.wgsl :: min_max`, a single workgroup.
    MinMax,
    /// `qlinear_float.wgsl :: quantized_linear_float`, one invocation per output.
    QLinearFloat,
    /// `observe_aminmax.wgsl :: aminmax`, strided over at most 1024 workgroups.
    Aminmax,
    /// `observe_aminmax.wgsl :: aminmax_per_channel`, strided over at most 1024 workgroups.
    AminmaxPerChannel,
    /// `histc.wgsl :: histc_accumulate`, one invocation per element.
    Histc,
    /// `max_pool2d.wgsl :: max_pool2d_f32`, per output element.
    MaxPool2dF32,
    /// `max_pool2d.wgsl :: max_pool2d_u8`, per word of four quint8 codes.
    MaxPool2dU8,
    /// `max_pool2d.wgsl :: max_pool2d_i8`, per word of four qint8 codes.
    MaxPool2dI8,
}

/// What an adapter must offer for a kernel to be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Nothing beyond WebGPU's baseline.
    Baseline,
    /// The WGSL language feature `packed_4x8_integer_dot_product`.
    PackedDot,
    /// The WebGPU feature `shader-f16`.
    ShaderF16,
}

/// `(kernel, file, entry point)` for every kernel, in the order pipelines are built.
const TABLE: &[(Kernel, &str, &str)] = &[
    (Kernel::Matmul, "matmul.wgsl", "matmul_t"),
    (Kernel::BiasAdd, "bias_add.wgsl", "bias_add"),
    (Kernel::Relu, "relu.wgsl", "relu"),
    (Kernel::Scale, "relu.wgsl", "scale"),
    (Kernel::Add, "elementwise.wgsl", "add"),
    (Kernel::Mul, "elementwise.wgsl", "mul"),
    (Kernel::ReluBackward, "elementwise.wgsl", "relu_backward"),
    (Kernel::F32ToF16, "cast_f16.wgsl", "f32_to_f16"),
    (Kernel::F16ToF32, "cast_f16.wgsl", "f16_to_f32"),
    (Kernel::Quantize, "quantize.wgsl", "quantize"),
    (Kernel::Dequantize, "dequantize.wgsl", "dequantize"),
    (Kernel::QLinear, "qlinear.wgsl", "quantized_linear"),
    (Kernel::QLinearDot4, "qlinear_dot4.wgsl", "quantized_linear_dot4"),
    (Kernel::SumRows, "reduce.wgsl", "sum_rows"),
    (Kernel::Sum, "reduce.wgsl", "sum"),
    (Kernel::CrossEntropy, "cross_entropy.wgsl", "cross_entropy"),
    (Kernel::SgdStep, "sgd.wgsl", "sgd_step"),
    (Kernel::AdamStep, "adam.wgsl", "adam_step"),
    (Kernel::AdamStepCounted, "adam.wgsl", "adam_step_counted"),
    (Kernel::MatmulF16, "matmul_f16.wgsl", "matmul_f16"),
    (Kernel::MatmulF16Native, "matmul_f16_native.wgsl", "matmul_f16_native"),
    (Kernel::AmpUnscale, "amp_unscale.wgsl", "amp_unscale"),
    (Kernel::AmpUpdateScale, "amp_update_scale.wgsl", "amp_update_scale"),
    (Kernel::AmpInvScale, "amp_inv_scale.wgsl", "amp_inv_scale"),
    (Kernel::MatmulTiled, "matmul_tiled.wgsl", "matmul_t_tiled"),
    (Kernel::MatmulBlocked, "matmul_blocked.wgsl", "matmul_t_blocked"),
    (Kernel::MatmulBlockedV4, "matmul_blocked_v4.wgsl", "matmul_t_blocked_v4"),
    (Kernel::Im2ColF32, "conv.wgsl", "im2col_f32"),
    (Kernel::Im2ColU8, "conv.wgsl", "im2col_u8"),
    (Kernel::RowsToNchwF32, "conv.wgsl", "rows_to_nchw_f32"),
    (Kernel::RowsToNchwU8, "conv.wgsl", "rows_to_nchw_u8"),
    (Kernel::NchwToRowsF32, "conv.wgsl", "nchw_to_rows_f32"),
    (Kernel::NchwToRowsU8, "conv.wgsl", "nchw_to_rows_u8"),
    (Kernel::Col2Im, "conv.wgsl", "col2im"),
    (Kernel::ChannelAffine, "channel_affine.wgsl", "channel_affine"),
    (Kernel::QuantizedRelu, "qrelu.wgsl", "quantized_relu"),
    (Kernel::FakeQuantize, "fake_quant.wgsl", "fake_quantize"),
    (Kernel::MinMax, "min_max.wgsl", "min_max"),
    (Kernel::QLinearFloat, "qlinear_float.wgsl", "quantized_linear_float"),
    (Kernel::ChannelLut, "channel_lut.wgsl", "channel_lut"),
    (Kernel::Aminmax, "observe_aminmax.wgsl", "aminmax"),
    (Kernel::AminmaxPerChannel, "observe_aminmax.wgsl", "aminmax_per_channel"),
    (Kernel::Histc, "histc.wgsl", "histc_accumulate"),
    (Kernel::MaxPool2dF32, "max_pool2d.wgsl", "max_pool2d_f32"),
    (Kernel::MaxPool2dU8, "max_pool2d.wgsl", "max_pool2d_u8"),
    (Kernel::MaxPool2dI8, "max_pool2d.wgsl", "max_pool2d_i8"),
];

/// Invocations per workgroup of the 1-D kernels (`@workgroup_size(256)`).
pub const ELEMENTWISE_WORKGROUP: u32 = 256;
/// Side of the square matmul workgroup (`@workgroup_size(8, 8)`).
pub const MATMUL_TILE: u32 = 8;

impl Kernel {
    /// Every kernel, in the order pipelines are built.
    pub fn all() -> impl Iterator<Item = Kernel> {
        TABLE.iter().map(|(k, _, _)| *k)
    }

    fn row(self) -> &'static (Kernel, &'static str, &'static str) {
        TABLE.iter().find(|(k, _, _)| *k == self).expect("every kernel is in TABLE")
    }

    /// The file that defines this kernel.
    pub fn file(self) -> &'static ShaderFile {
        let name = self.row().1;
        SHADER_FILES.iter().find(|f| f.file == name).expect("every kernel's file is registered")
    }

    /// The `@compute` function's name in its file.
    pub fn entry_point(self) -> &'static str {
        self.row().2
    }

    /// What the adapter must offer for this kernel.
    pub fn needs(self) -> Needs {
        match self {
            Kernel::QLinearDot4 => Needs::PackedDot,
            Kernel::MatmulF16Native => Needs::ShaderF16,
            _ => Needs::Baseline,
        }
    }
}

/// Workgroup grid for `len` elements at [`ELEMENTWISE_WORKGROUP`] per group, spread over x and y
/// so no dimension exceeds `max_per_dim` (WebGPU's default limit is 65535). Kernels recover the
/// flat index as `(wid.y * groups.x + wid.x) * 256 + lid`; surplus invocations return early.
pub fn grid_1d(len: usize, max_per_dim: u32) -> [u32; 3] {
    let groups = len.div_ceil(ELEMENTWISE_WORKGROUP as usize) as u64;
    if groups <= max_per_dim as u64 {
        return [groups as u32, 1, 1];
    }
    let x = max_per_dim as u64;
    [x as u32, groups.div_ceil(x) as u32, 1]
}

/// Side of the tiled matmul's square workgroup and tiles (`matmul_tiled.wgsl`).
pub const MATMUL_TILED_TILE: u32 = 16;

/// Workgroup grid for an `(m, n)` matmul output with `tile`×`tile` workgroups.
pub fn grid_matmul(m: usize, n: usize, tile: u32) -> [u32; 3] {
    let t = tile as usize;
    [n.div_ceil(t) as u32, m.div_ceil(t) as u32, 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_1d_covers_every_element_without_exceeding_the_limit() {
        for &(len, max) in
            &[(0usize, 65535u32), (1, 65535), (256, 65535), (257, 65535), (1000, 3), (70_000 * 256, 65535)]
        {
            let [x, y, z] = grid_1d(len, max);
            assert!(x <= max && y <= max && z == 1, "{len}: {x} {y}");
            let covered = x as usize * y as usize * 256;
            assert!(covered >= len, "{len} not covered by {x}x{y}");
            assert!(covered < len + x as usize * 256 || len == 0, "{len}: too many rows {x}x{y}");
        }
        assert_eq!(grid_1d(1000, 3), [3, 2, 1]);
    }

    #[test]
    fn every_kernel_names_a_registered_file_that_defines_its_entry_point() {
        for k in Kernel::all() {
            let src = k.file().source;
            assert!(src.contains(&format!("fn {}(", k.entry_point())), "{k:?}");
        }
    }
}
