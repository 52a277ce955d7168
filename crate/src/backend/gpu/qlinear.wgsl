// Quantized Linear: y = requant(Σ_p (x[i][p] − x_zp)(w[j][p] − w_zp[j])), torch's
// quantized::linear(_relu) with quint8 activations and qint8 weights. Shapes: x (m, k) uint8,
// w (n, k) int8 as nn.Linear.weight → y (m, n) uint8; codes packed four per u32 word.
// CPU twin: backend/cpu/reference/math.rs :: quantized_linear
//
// The formula and its sources are in quant/linear.rs. The accumulator is exact wrapping int32;
// bias_q and mult come from the host in f32; requantization is lib_requant.wgsl (appended):
// bit-exact with the CPU twin. This path reads bytes one at a time and works on every adapter; qlinear_dot4.wgsl
// is the dot4I8Packed path. One invocation per output word (four outputs), 256 per workgroup.

struct Params {
    m: u32,
    k: u32,
    n: u32,
    x_zero_point: i32,
    out_zero_point: i32,
    lo: i32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read> w: array<u32>;
@group(0) @binding(3) var<storage, read> w_zero_points: array<i32>;
@group(0) @binding(4) var<storage, read> bias_scaled: array<f32>;
@group(0) @binding(5) var<storage, read> multiplier: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<u32>;

fn x_code(idx: u32) -> i32 {
    return i32((x[idx >> 2u] >> ((idx & 3u) * 8u)) & 0xffu);
}

fn w_code(idx: u32) -> i32 {
    let byte = (w[idx >> 2u] >> ((idx & 3u) * 8u)) & 0xffu;
    return i32(byte << 24u) >> 24u;
}

@compute @workgroup_size(256, 1, 1)
fn quantized_linear(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let word = (wid.y * groups.x + wid.x) * 256u + lid;
    let first = 4u * word;
    if (first >= p.m * p.n) {
        return;
    }
    var out = 0u;
    for (var t = 0u; t < 4u && first + t < p.m * p.n; t = t + 1u) {
        let i = (first + t) / p.n;
        let j = (first + t) % p.n;
        let wzp = w_zero_points[j];
        var acc = 0i;
        for (var q = 0u; q < p.k; q = q + 1u) {
            acc = acc + (x_code(i * p.k + q) - p.x_zero_point) * (w_code(j * p.k + q) - wzp);
        }
        out = out | (requant(acc, j) << (8u * t));
    }
    y[word] = out;
}
