// Fake quantization with the straight-through mask, torch.fake_quantize_per_{tensor,channel}_
// affine (_cachemask): s = zero_point + round(x * inv_scale) in f32, y = (clamp(s, qmin, qmax) −
// zero_point) · scale, mask = 1.0 where qmin <= s <= qmax. Channel c = (i / inner) % channels;
// per tensor is channels = 1. Shapes: x (len,) f32 → y, mask (len,) f32.
// CPU twin: backend/cpu/reference/conv.rs :: fake_quantize
//
// inv_scale = 1.0f / scale comes from the host (WGSL division is not correctly rounded); the
// multiply and the add are correctly rounded and round() is ties-to-even, and (q − zp) is an
// exact small integer, so finite inputs give the CPU twin's bits. +inf clamps to qmax and NaN
// fails both compares and lands on qmin, as in torch, where the adapter keeps NaN (WGSL may
// assume none). One invocation per element, 256 per workgroup, 2-D grid.

struct Params {
    len: u32,
    inner: u32,
    channels: u32,
    _pad0: u32,
    qmin: f32,
    qmax: f32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> inv_scales: array<f32>;
@group(0) @binding(3) var<storage, read> scales: array<f32>;
@group(0) @binding(4) var<storage, read> zero_points: array<i32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<storage, read_write> mask: array<f32>;

@compute @workgroup_size(256, 1, 1)
fn fake_quantize(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = (wid.y * groups.x + wid.x) * 256u + lid;
    if (i >= p.len) {
        return;
    }
    let c = (i / p.inner) % p.channels;
    let zp = zero_points[c];
    let s = f32(zp) + round(x[i] * inv_scales[c]);
    var q = p.qmin;
    if (s >= p.qmin) {
        q = min(s, p.qmax);
    }
    y[i] = f32(i32(q) - zp) * scales[c];
    mask[i] = select(0.0, 1.0, s >= p.qmin && s <= p.qmax);
}
