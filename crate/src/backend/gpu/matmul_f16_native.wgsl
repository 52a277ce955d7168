enable f16;

// f16 matmul with WGSL's f16 type (adapters with shader-f16): f16 inputs read as f16 and
// widened to f32, f32 accumulation, f16 output. Shapes: A (m, k) or (k, m) with ta, B (k, n) or
// (n, k) with tb → C (m, n); the same packed layout as matmul_f16.wgsl, whose results it must
// equal bit for bit (checked on adapters that have both paths).
// CPU twin: backend/cpu/reference/math.rs :: matmul_f16
//
// f32(f16) is exact and f16·f16 products are exact in f32, so the order p = 0..k fixes every
// rounding; the f16 output uses the integer round-to-nearest-even (WGSL leaves f32 → f16
// conversion rounding implementation-defined) and is stored as packed u32 words.

struct Params {
    m: u32,
    k: u32,
    n: u32,
    flags: u32, // bit 0: ta, bit 1: tb
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f16>;
@group(0) @binding(2) var<storage, read> b: array<f16>;
@group(0) @binding(3) var<storage, read_write> c: array<u32>;

fn load_a(idx: u32) -> f32 {
    return f32(a[idx]);
}

fn load_b(idx: u32) -> f32 {
    return f32(b[idx]);
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
fn matmul_f16_native(
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
