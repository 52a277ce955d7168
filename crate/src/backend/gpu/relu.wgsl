// Unary element-wise ops: relu, y = max(x, 0) as torch.relu, and scale, y = x · s.
// Shapes: x (len,) → y (len,).
// CPU twin: backend/cpu/reference/math.rs :: relu
// CPU twin: backend/cpu/reference/train.rs :: scale
//
// One invocation per element, 256 per workgroup, on a 2-D grid of workgroups (kernels.rs
// grid_1d). A select is exact and f32 multiplication correctly rounded, so finite inputs give
// bit-exact results. WGSL lets
// implementations assume no NaN (spec, "Differences from IEEE-754"), so torch's NaN
// propagation is only promised by the CPU twin.

struct Params {
    len: u32,
    s: f32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256, 1, 1)
fn relu(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = (wid.y * groups.x + wid.x) * 256u + lid;
    if (i >= p.len) {
        return;
    }
    let v = x[i];
    y[i] = select(0.0, v, v > 0.0);
}

@compute @workgroup_size(256, 1, 1)
fn scale(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = (wid.y * groups.x + wid.x) * 256u + lid;
    if (i < p.len) {
        y[i] = x[i] * p.s;
    }
}
