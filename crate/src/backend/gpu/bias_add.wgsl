// bias_add: y[r][j] = x[r][j] + bias[j]. Shapes: x (rows, n), bias (n,) → y (rows, n).
// CPU twin: backend/cpu/reference/math.rs :: bias_add
//
// One invocation per element, 256 per workgroup, on a 2-D grid of workgroups so more than
// 65535·256 elements fit (kernels.rs grid_1d). f32 addition is correctly rounded in WGSL
// (spec, "Floating Point Accuracy"), so the result is bit-exact with the CPU twin.

struct Params {
    len: u32,
    n: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256, 1, 1)
fn bias_add(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = (wid.y * groups.x + wid.x) * 256u + lid;
    if (i >= p.len) {
        return;
    }
    y[i] = x[i] + bias[i % p.n];
}
