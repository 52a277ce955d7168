// Quantized Linear with dot4I8Packed (WGSL language feature packed_4x8_integer_dot_product):
// the same result as qlinear.wgsl, four products per instruction. Shapes: x (m, k) uint8,
// w (n, k) int8 → y (m, n) uint8, codes packed four per u32 word; needs k % 4 == 0 so each row
// starts on a word.
// CPU twin: backend/cpu/reference/math.rs :: quantized_linear
//
// uint8 activations become int8 by x' = x − 128 (x ^ 0x80 per byte). With d = Σ x'·w,
// sx = Σ x', sw = Σ w (dot products with 0x01010101):
//   Σ (x − x_zp)(w − w_zp) = d + 128·sw − w_zp·(sx + 128·k) − x_zp·sw + k·x_zp·w_zp,
// all in wrapping int32, so the accumulator equals qlinear.wgsl's exactly. Requantization is
// lib_requant.wgsl, appended as for qlinear.wgsl. One invocation per output word.

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

@compute @workgroup_size(256, 1, 1)
fn quantized_linear_dot4(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let word = (wid.y * groups.x + wid.x) * 256u + lid;
    let first = 4u * word;
    if (first >= p.m * p.n) {
        return;
    }
    let kw = p.k / 4u;
    let k = i32(p.k);
    var out = 0u;
    for (var t = 0u; t < 4u && first + t < p.m * p.n; t = t + 1u) {
        let i = (first + t) / p.n;
        let j = (first + t) % p.n;
        var d = 0i;
        var sx = 0i;
        var sw = 0i;
        for (var q = 0u; q < kw; q = q + 1u) {
            let xs = x[i * kw + q] ^ 0x80808080u;
            let ws = w[j * kw + q];
            d = d + dot4I8Packed(xs, ws);
            sx = sx + dot4I8Packed(xs, 0x01010101u);
            sw = sw + dot4I8Packed(ws, 0x01010101u);
        }
        let xzp = p.x_zero_point;
        let wzp = w_zero_points[j];
        let acc = d + 128 * sw - wzp * (sx + 128 * k) - xzp * sw + k * xzp * wzp;
        out = out | (requant(acc, j) << (8u * t));
    }
    y[word] = out;
}
