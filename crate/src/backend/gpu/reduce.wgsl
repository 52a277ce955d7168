// Reductions. sum_rows: out[j] = Σ_r x[r][j], rows ascending, shapes x (rows, n) → out (n,),
// the bias gradient; same order as the CPU twin, so bit-exact. sum: out[0] = Σ x over x (len,),
// one workgroup of 256: each invocation adds a strided slice, then a tree in workgroup memory.
// CPU twin: backend/cpu/reference/train.rs :: sum_rows, sum
//
// sum's order differs from the CPU twin (which accumulates in f64), so it agrees within
// parity::F32_SUM. sum_rows: one invocation per column, 256 per workgroup, 2-D grid (grid_1d).

struct Params {
    rows: u32,
    n: u32,
    len: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

var<workgroup> partial: array<f32, 256>;

@compute @workgroup_size(256, 1, 1)
fn sum_rows(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let j = (wid.y * groups.x + wid.x) * 256u + lid;
    if (j >= p.n) {
        return;
    }
    var acc = 0.0;
    for (var r = 0u; r < p.rows; r = r + 1u) {
        acc = acc + x[r * p.n + j];
    }
    out[j] = acc;
}

@compute @workgroup_size(256, 1, 1)
fn sum(@builtin(local_invocation_index) lid: u32) {
    var acc = 0.0;
    for (var i = lid; i < p.len; i = i + 256u) {
        acc = acc + x[i];
    }
    partial[lid] = acc;
    workgroupBarrier();
    for (var half = 128u; half > 0u; half = half / 2u) {
        if (lid < half) {
            partial[lid] = partial[lid] + partial[lid + half];
        }
        workgroupBarrier();
    }
    if (lid == 0u) {
        out[0] = partial[0];
    }
}
