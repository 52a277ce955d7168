// Quantized relu: torch.relu on a quint8 tensor, code = max(code, zero_point), qparams kept.
// Shapes: codes (len,) uint8 packed four per u32 word → the same.
// CPU twin: backend/cpu/reference/conv.rs :: quantized_relu
//
// Integer max per byte: exact. One invocation per word, 256 per workgroup, 2-D grid.

struct Params {
    len: u32,
    zero_point: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;

@compute @workgroup_size(256, 1, 1)
fn quantized_relu(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let word = (wid.y * groups.x + wid.x) * 256u + lid;
    if (4u * word >= p.len) {
        return;
    }
    let v = x[word];
    var out = 0u;
    for (var t = 0u; t < 4u; t = t + 1u) {
        out = out | (max((v >> (8u * t)) & 0xffu, p.zero_point) << (8u * t));
    }
    y[word] = out;
}
