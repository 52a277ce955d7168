// Dynamic quantized Linear's GEMM: y = fma((float)acc, mult[j], bias[j]) with the exact int32
// acc = Σ_p (x[i][p] − x_zp)(w[j][p] − w_zp[j]) (fbgemm's ReQuantizeForFloat).
// CPU twin: backend/cpu/reference/conv.rs :: quantized_linear_float
// Shapes: x (m, k) uint8 codes, w (n, k) int8 codes (four per u32 word) → y (m, n) f32.
//
// acc is exact (wrapping int32) and converted with
// lib_i32_to_f32.wgsl (appended); mult = x_scale · w_scale[j] comes from the host. WGSL's fma may
// be evaluated unfused, one extra rounding of acc·mult against the CPU: F32_DYNAMIC_LINEAR.
// One invocation per output, 256 per workgroup, 2-D grid (kernels.rs grid_1d).

struct Params {
    m: u32,
    k: u32,
    n: u32,
    x_zero_point: i32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read> w: array<u32>;
@group(0) @binding(3) var<storage, read> w_zero_points: array<i32>;
@group(0) @binding(4) var<storage, read> multiplier: array<f32>;
@group(0) @binding(5) var<storage, read> bias: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;

fn x_code(idx: u32) -> i32 {
    return i32((x[idx >> 2u] >> ((idx & 3u) * 8u)) & 0xffu);
}

fn w_code(idx: u32) -> i32 {
    let byte = (w[idx >> 2u] >> ((idx & 3u) * 8u)) & 0xffu;
    return i32(byte << 24u) >> 24u;
}

@compute @workgroup_size(256, 1, 1)
fn quantized_linear_float(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let o = (wid.y * groups.x + wid.x) * 256u + lid;
    if (o >= p.m * p.n) {
        return;
    }
    let i = o / p.n;
    let j = o % p.n;
    let wzp = w_zero_points[j];
    var acc = 0i;
    for (var q = 0u; q < p.k; q = q + 1u) {
        acc = acc + (x_code(i * p.k + q) - p.x_zero_point) * (w_code(j * p.k + q) - wzp);
    }
    y[o] = fma(i32_to_f32(acc), multiplier[j], bias[j]);
}
