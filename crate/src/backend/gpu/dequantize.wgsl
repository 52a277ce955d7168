// Affine dequantize, per tensor or per channel: x = f32(q - zero_point) * scale, from codes
// packed four per u32 word (element 4w in the low byte). Shapes: codes (len,) → x (len,), with
// channel c = (i / inner) % channels; per tensor is channels = 1.
// CPU twin: backend/cpu/reference/math.rs :: dequantize
//
// q - zero_point is an exact integer and f32 multiplication is correctly rounded in WGSL (spec,
// "Floating Point Accuracy"), so the result is bit-exact with the CPU twin.
// One invocation per u32 word of codes, 256 per workgroup, on a 2-D grid (kernels.rs grid_1d).

struct Params {
    len: u32,
    inner: u32,
    channels: u32,
    signed_codes: u32,
    qmin: f32,
    qmax: f32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> codes: array<u32>;
@group(0) @binding(2) var<storage, read> scales: array<f32>;
@group(0) @binding(3) var<storage, read> zero_points: array<i32>;
@group(0) @binding(4) var<storage, read_write> values: array<f32>;

@compute @workgroup_size(256, 1, 1)
fn dequantize(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let w = (wid.y * groups.x + wid.x) * 256u + lid;
    let i = 4u * w;
    if (i >= p.len) {
        return;
    }
    let word = codes[w];
    for (var j = 0u; j < 4u && i + j < p.len; j = j + 1u) {
        let byte = (word >> (8u * j)) & 0xffu;
        // Sign-extend int8 codes with an arithmetic shift; uint8 codes are already non-negative.
        let q = select(i32(byte), i32(byte << 24u) >> 24u, p.signed_codes != 0u);
        let c = ((i + j) / p.inner) % p.channels;
        values[i + j] = f32(q - zero_points[c]) * scales[c];
    }
}
