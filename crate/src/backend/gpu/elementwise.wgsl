// Element-wise binary ops on equal shapes: add, mul, and relu_backward (a = grad, b = x:
// x <= 0 ? 0 : grad). Shapes: a (len,), b (len,) → out (len,).
// CPU twin: backend/cpu/reference/math.rs :: add, mul
// CPU twin: backend/cpu/reference/train.rs :: relu_backward
//
// One invocation per element, 256 per workgroup, on a 2-D grid of workgroups (kernels.rs
// grid_1d). f32 add and mul are correctly rounded in WGSL (spec, "Floating Point Accuracy") and
// relu_backward is a select, so results are bit-exact with the CPU twins.

struct Params {
    len: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn index(wid: vec3<u32>, groups: vec3<u32>, lid: u32) -> u32 {
    return (wid.y * groups.x + wid.x) * 256u + lid;
}

@compute @workgroup_size(256, 1, 1)
fn add(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = index(wid, groups, lid);
    if (i < p.len) {
        out[i] = a[i] + b[i];
    }
}

@compute @workgroup_size(256, 1, 1)
fn mul(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = index(wid, groups, lid);
    if (i < p.len) {
        out[i] = a[i] * b[i];
    }
}

@compute @workgroup_size(256, 1, 1)
fn relu_backward(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = index(wid, groups, lid);
    if (i < p.len) {
        out[i] = select(a[i], 0.0, b[i] <= 0.0);
    }
}
