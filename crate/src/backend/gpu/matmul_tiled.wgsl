// matmul, tiled: C = op(A) · op(B) in f32 with 16×16 tiles of A and B staged in workgroup
// memory, so each input element is read from storage once per tile instead of once per
// output. Shapes: A (m, k) or (k, m) with ta, B (k, n) or (n, k) with tb → C (m, n).
// CPU twin: backend/cpu/reference/train.rs :: matmul_t
//
// Each invocation still adds its k products in the order p = 0..k, exactly like matmul.wgsl,
// so the two kernels give identical bits (checked by a parity test) and share the CPU tolerance
// parity::F32_MATMUL. Workgroups of 16×16 invocations; dispatch (ceil(n / 16), ceil(m / 16), 1).

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

const TILE: u32 = 16u;
var<workgroup> tile_a: array<f32, 256>;
var<workgroup> tile_b: array<f32, 256>;

@compute @workgroup_size(16, 16, 1)
fn matmul_t_tiled(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let ta = (p.flags & 1u) != 0u;
    let tb = (p.flags & 2u) != 0u;
    let row = wid.y * TILE + lid.y;
    let col = wid.x * TILE + lid.x;
    var acc = 0.0;
    for (var t = 0u; t < p.k; t = t + TILE) {
        // Stage A[row][t + lid.x] and B[t + lid.y][col]; zeros outside the matrices.
        let ak = t + lid.x;
        var av = 0.0;
        if (row < p.m && ak < p.k) {
            av = a[select(row * p.k + ak, ak * p.m + row, ta)];
        }
        tile_a[lid.y * TILE + lid.x] = av;
        let bk = t + lid.y;
        var bv = 0.0;
        if (bk < p.k && col < p.n) {
            bv = b[select(bk * p.n + col, col * p.k + bk, tb)];
        }
        tile_b[lid.y * TILE + lid.x] = bv;
        workgroupBarrier();
        let steps = min(TILE, p.k - t);
        for (var i = 0u; i < steps; i = i + 1u) {
            acc = acc + tile_a[lid.y * TILE + i] * tile_b[i * TILE + lid.x];
        }
        workgroupBarrier();
    }
    if (row < p.m && col < p.n) {
        c[row * p.n + col] = acc;
    }
}
