// matmul, register-blocked with vec4 access: C = A · B (no transposes) for n % 4 == 0, each
// invocation computing a 4×4 block of C with B rows and C rows read and written as vec4.
// Shapes: A (m, k), B (k, n), C (m, n).
// CPU twin: backend/cpu/reference/train.rs :: matmul_t
//
// Each output adds its k products in the order p = 0..k, like matmul.wgsl, so the bits are the
// same (checked by a parity test). Workgroups of 8×8 invocations cover 32×32 outputs; rows past
// m read row m − 1 (always valid) and are not written.

struct Params {
    m: u32,
    k: u32,
    n: u32,
    flags: u32, // must be 0: no transposes
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> c: array<vec4<f32>>;

@compute @workgroup_size(8, 8, 1)
fn matmul_t_blocked_v4(@builtin(global_invocation_id) gid: vec3<u32>) {
    let row0 = gid.y * 4u;
    let col0 = gid.x * 4u;
    if (row0 >= p.m || col0 >= p.n) {
        return;
    }
    let n4 = p.n / 4u;
    let last = p.m - 1u;
    let r0 = min(row0, last) * p.k;
    let r1 = min(row0 + 1u, last) * p.k;
    let r2 = min(row0 + 2u, last) * p.k;
    let r3 = min(row0 + 3u, last) * p.k;
    var c0 = vec4<f32>();
    var c1 = vec4<f32>();
    var c2 = vec4<f32>();
    var c3 = vec4<f32>();
    for (var i = 0u; i < p.k; i = i + 1u) {
        let bv = b[i * n4 + gid.x];
        c0 = c0 + a[r0 + i] * bv;
        c1 = c1 + a[r1 + i] * bv;
        c2 = c2 + a[r2 + i] * bv;
        c3 = c3 + a[r3 + i] * bv;
    }
    c[row0 * n4 + gid.x] = c0;
    if (row0 + 1u < p.m) {
        c[(row0 + 1u) * n4 + gid.x] = c1;
    }
    if (row0 + 2u < p.m) {
        c[(row0 + 2u) * n4 + gid.x] = c2;
    }
    if (row0 + 3u < p.m) {
        c[(row0 + 3u) * n4 + gid.x] = c3;
    }
}
