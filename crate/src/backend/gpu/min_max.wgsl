// [min, max] of an f32 tensor, fbgemm's FindMinMax for dynamic quantization ([0, 0] if empty).
// CPU twin: backend/cpu/reference/conv.rs :: min_max
// Shapes: x (len,) f32 → y (2,) f32.
//
// min and max are exact in any order, so the result equals the CPU twin's for finite inputs
// (WGSL may assume no NaN). One workgroup of 256: a strided pass, then a tree in workgroup memory.

struct Params {
    len: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

var<workgroup> lo: array<f32, 256>;
var<workgroup> hi: array<f32, 256>;

@compute @workgroup_size(256, 1, 1)
fn min_max(@builtin(local_invocation_index) lid: u32) {
    var a = 0.0;
    var b = 0.0;
    if (p.len > 0u) {
        a = x[0];
        b = a;
    }
    for (var i = lid; i < p.len; i = i + 256u) {
        a = min(a, x[i]);
        b = max(b, x[i]);
    }
    lo[lid] = a;
    hi[lid] = b;
    workgroupBarrier();
    for (var s = 128u; s > 0u; s = s >> 1u) {
        if (lid < s) {
            lo[lid] = min(lo[lid], lo[lid + s]);
            hi[lid] = max(hi[lid], hi[lid + s]);
        }
        workgroupBarrier();
    }
    if (lid == 0u) {
        y[0] = lo[0];
        y[1] = hi[0];
    }
}
