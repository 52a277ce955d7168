// One torch.optim.SGD step in place (foreach=False): d = g + wd·p; buf = first ? d :
// momentum·buf + (1 − dampening)·d; d = nesterov ? d + momentum·buf : buf; p = p − lr·d.
// Shapes: p, g, buf (len,). Nothing changes when skip_if[0] != 0 (GradScaler found an inf), so
// skipping needs no readback.
// CPU twin: backend/cpu/reference/train.rs :: sgd_step
//
// The order and the fused multiply-adds follow nn/optim.rs (ATen's vectorised add is an FMA);
// the f32 scalars come from SgdConfig::scalars, computed in f64 like Python.
// WGSL's fma may or may not fuse (spec, "Floating Point Accuracy": inherited from x·y + z), so
// results agree within parity::F32_OPTIMIZER. One invocation per element, 2-D grid (grid_1d).

struct Params {
    len: u32,
    flags: u32, // bit 0: first step, bit 1: nesterov, bit 2: momentum != 0, bit 3: weight_decay != 0
    neg_lr: f32,
    momentum: f32,
    one_minus_dampening: f32,
    weight_decay: f32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> buf: array<f32>;
@group(0) @binding(4) var<storage, read> skip_if: array<f32>; // GradScaler's found_inf, or 0

@compute @workgroup_size(256, 1, 1)
fn sgd_step(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = (wid.y * groups.x + wid.x) * 256u + lid;
    if (i >= p.len || skip_if[0] != 0.0) {
        return;
    }
    var d = grad[i];
    if ((p.flags & 8u) != 0u) {
        d = fma(param[i], p.weight_decay, d);
    }
    if ((p.flags & 4u) != 0u) {
        var b = d;
        if ((p.flags & 1u) == 0u) {
            b = fma(d, p.one_minus_dampening, buf[i] * p.momentum);
        }
        buf[i] = b;
        d = select(b, fma(b, p.momentum, d), (p.flags & 2u) != 0u);
    }
    param[i] = fma(d, p.neg_lr, param[i]);
}
