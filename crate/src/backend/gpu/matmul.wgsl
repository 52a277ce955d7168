// matmul: C = op(A) · op(B) in f32, row-major, op transposing when flagged. Shapes: A (m, k) or
// (k, m) with ta, B (k, n) or (n, k) with tb → C (m, n), as torch.mm on (transposed) views.
// CPU twin: backend/cpu/reference/train.rs :: matmul_t
// CPU twin: backend/cpu/reference/math.rs :: matmul
//
// One invocation per output element, 8×8 invocations per workgroup; dispatch
// (ceil(n / 8), ceil(m / 8), 1). The k loop runs in the twin's order (p = 0..k), so the only
// difference from the CPU is the GPU compiler's freedom to fuse acc + a·b into one FMA
// (see parity::F32_MATMUL). A tiled workgroup-memory variant comes with the kernels issue.

struct Params {
    m: u32,
    k: u32,
    n: u32,
    flags: u32, // bit 0: ta, bit 1: tb
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(8, 8, 1)
fn matmul_t(@builtin(global_invocation_id) gid: vec3<u32>) {
    let row = gid.y;
    let col = gid.x;
    if (row >= p.m || col >= p.n) {
        return;
    }
    let ta = (p.flags & 1u) != 0u;
    let tb = (p.flags & 2u) != 0u;
    var acc = 0.0;
    for (var i = 0u; i < p.k; i = i + 1u) {
        let ai = select(row * p.k + i, i * p.m + row, ta);
        let bi = select(i * p.n + col, col * p.k + i, tb);
        acc = acc + a[ai] * b[bi];
    }
    c[row * p.n + col] = acc;
}
