// Per-channel affine, eval-mode BatchNorm: y = fma(x, alpha[c], beta[c]) with channel
// c = (i / inner) % channels. Shapes: x (n, c, rest…) f32, alpha and beta (c,) → y like x.
// CPU twin: backend/cpu/reference/conv.rs :: channel_affine
//
// alpha and beta come from the host (nn/batchnorm.rs, bit-exact with torch). WGSL's fma may or
// may not be fused (its accuracy is "inherited from e1 * e2 + e3"), so against the CPU's fused
// multiply-add the result may differ by one extra rounding of x·alpha: parity tolerance
// F32_CHANNEL_AFFINE. One invocation per element, 256 per workgroup, 2-D grid.

struct Params {
    len: u32,
    inner: u32,
    channels: u32,
    _pad0: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> alpha: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256, 1, 1)
fn channel_affine(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = (wid.y * groups.x + wid.x) * 256u + lid;
    if (i >= p.len) {
        return;
    }
    let c = (i / p.inner) % p.channels;
    y[i] = fma(x[i], alpha[c], beta[c]);
}
