// f16 matmul as autocast runs it: f16 inputs, f32 accumulation, f16 output. Shapes: A (m, k) or
// (k, m) with ta, B (k, n) or (n, k) with tb → C (m, n); f16 stored two per u32 word (element
// 2w in the low half). This is the path for adapters without shader-f16.
// CPU twin: backend/cpu/reference/math.rs :: matmul_f16
//
// A product of two f16 values is exact in f32, so fused or not, each step rounds once, in the
// twin's order (p = 0..k): the f32 sum is bit-exact with the CPU. Both conversions are the
// integer ones of cast_f16.wgsl: f16 → f32 is exact either way, but unpack2x16float needs
// wgpu's SHADER_F16_IN_F32 downlevel flag, which Mesa lacks without shader-f16, and WGSL leaves
// pack2x16float's rounding implementation-defined. One invocation per output word (two
// outputs), 256 per workgroup.

struct Params {
    m: u32,
    k: u32,
    n: u32,
    flags: u32, // bit 0: ta, bit 1: tb
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<u32>;
@group(0) @binding(2) var<storage, read> b: array<u32>;
@group(0) @binding(3) var<storage, read_write> c: array<u32>;

fn load_a(idx: u32) -> f32 {
    return bitcast<f32>(f16_to_f32_bits((a[idx >> 1u] >> ((idx & 1u) * 16u)) & 0xffffu));
}

fn load_b(idx: u32) -> f32 {
    return bitcast<f32>(f16_to_f32_bits((b[idx >> 1u] >> ((idx & 1u) * 16u)) & 0xffffu));
}

fn dot(row: u32, col: u32) -> f32 {
    let ta = (p.flags & 1u) != 0u;
    let tb = (p.flags & 2u) != 0u;
    var acc = 0.0;
    for (var i = 0u; i < p.k; i = i + 1u) {
        acc = acc + load_a(select(row * p.k + i, i * p.m + row, ta)) * load_b(select(i * p.n + col, col * p.k + i, tb));
    }
    return acc;
}

@compute @workgroup_size(256, 1, 1)
fn matmul_f16(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let word = (wid.y * groups.x + wid.x) * 256u + lid;
    let first = 2u * word;
    let total = p.m * p.n;
    if (first >= total) {
        return;
    }
    var out = f32_to_f16_bits(bitcast<u32>(dot(first / p.n, first % p.n)));
    if (first + 1u < total) {
        out = out | (f32_to_f16_bits(bitcast<u32>(dot((first + 1u) / p.n, (first + 1u) % p.n))) << 16u);
    }
    c[word] = out;
}
