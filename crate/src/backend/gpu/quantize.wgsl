// Affine quantize, per tensor or per channel: q = clamp(zero_point + round(x * inv_scale),
// qmin, qmax), torch's quantize_val, into codes packed four per u32 word (element 4w in the low
// byte). Shapes: x (len,) f32 → codes (len,) int8/uint8, with channel c = (i / inner) % channels;
// per tensor is channels = 1.
// CPU twin: backend/cpu/reference/math.rs :: quantize
//
// inv_scale = 1.0f / scale comes from the host, computed in f32 as torch does, because WGSL
// division is not correctly rounded (2.5 ulp, spec "Floating Point Accuracy") while f32
// multiplication is; round() is ties-to-even. So codes are bit-exact with the CPU twin for finite
// inputs. One invocation per u32 word, 256 per workgroup, on a 2-D grid (kernels.rs grid_1d).

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
@group(0) @binding(1) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read> scales: array<f32>;
@group(0) @binding(3) var<storage, read> zero_points: array<i32>;
@group(0) @binding(4) var<storage, read_write> codes: array<u32>;

fn word_index(wid: vec3<u32>, groups: vec3<u32>, lid: u32) -> u32 {
    return (wid.y * groups.x + wid.x) * 256u + lid;
}

// `scales` holds 1/scale here (see the header).
fn code(i: u32) -> u32 {
    let c = (i / p.inner) % p.channels;
    let r = round(values[i] * scales[c]);
    let q = i32(clamp(f32(zero_points[c]) + r, p.qmin, p.qmax));
    return u32(q) & 0xffu;
}

@compute @workgroup_size(256, 1, 1)
fn quantize(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let w = word_index(wid, groups, lid);
    let i = 4u * w;
    if (i >= p.len) {
        return;
    }
    var word = 0u;
    for (var j = 0u; j < 4u && i + j < p.len; j = j + 1u) {
        word = word | (code(i + j) << (8u * j));
    }
    codes[w] = word;
}
