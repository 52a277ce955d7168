// matmul: C = A · B in f32, row-major. Shapes: A (m, k), B (k, n) → C (m, n), as torch.mm.
// CPU twin: backend/cpu.rs :: matmul
//
// One invocation per output element, 8×8 invocations per workgroup; dispatch
// (ceil(n / 8), ceil(m / 8), 1). The k loop runs in the twin's order (p = 0..k), so the only
// difference from the CPU is the GPU compiler's freedom to fuse acc + a·b into one FMA
// (see parity::F32_MATMUL). A tiled workgroup-memory variant comes with the kernels issue.

struct Params {
    m: u32,
    k: u32,
    n: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(8, 8, 1)
fn matmul(@builtin(global_invocation_id) gid: vec3<u32>) {
    let row = gid.y;
    let col = gid.x;
    if (row >= p.m || col >= p.n) {
        return;
    }
    var acc = 0.0;
    for (var i = 0u; i < p.k; i = i + 1u) {
        acc = acc + a[row * p.k + i] * b[i * p.n + col];
    }
    c[row * p.n + col] = acc;
}
