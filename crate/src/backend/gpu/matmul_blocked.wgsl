// matmul, register-blocked: C = op(A) · op(B) in f32, each invocation computing a 4×4 block of
// C, so every loaded value of A and B feeds four products. Shapes: A (m, k) or (k, m) with ta,
// B (k, n) or (n, k) with tb → C (m, n).
// CPU twin: backend/cpu/reference/train.rs :: matmul_t
//
// Each output still adds its k products in the order p = 0..k, exactly like matmul.wgsl, so
// the kernels give identical bits (checked by a parity test). Workgroups of 8×8 invocations
// cover 32×32 outputs; dispatch (ceil(n / 32), ceil(m / 32), 1). Out-of-range rows and columns
// read index 0 (always valid) and are not written. matmul_t_blocked_v4 is the same for the plain
// form with n % 4 == 0: B and C are read and written as vec4 (four adjacent columns).

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
fn matmul_t_blocked(@builtin(global_invocation_id) gid: vec3<u32>) {
    let ta = (p.flags & 1u) != 0u;
    let tb = (p.flags & 2u) != 0u;
    let row0 = gid.y * 4u;
    let col0 = gid.x * 4u;
    if (row0 >= p.m || col0 >= p.n) {
        return;
    }
    var acc: array<vec4<f32>, 4>;
    for (var i = 0u; i < p.k; i = i + 1u) {
        var av: vec4<f32>;
        var bv: vec4<f32>;
        for (var t = 0u; t < 4u; t = t + 1u) {
            let r = row0 + t;
            let ci = col0 + t;
            av[t] = select(0.0, a[select(select(r * p.k + i, i * p.m + r, ta), 0u, r >= p.m)], r < p.m);
            bv[t] = select(0.0, b[select(select(i * p.n + ci, ci * p.k + i, tb), 0u, ci >= p.n)], ci < p.n);
        }
        for (var t = 0u; t < 4u; t = t + 1u) {
            acc[t] = acc[t] + av[t] * bv;
        }
    }
    for (var t = 0u; t < 4u; t = t + 1u) {
        let r = row0 + t;
        if (r < p.m) {
            for (var u = 0u; u < 4u; u = u + 1u) {
                if (col0 + u < p.n) {
                    c[r * p.n + col0 + u] = acc[t][u];
                }
            }
        }
    }
}
