// One torch.optim.Adam step in place (foreach=False, amsgrad=False): g += wd·p;
// m = lerp(m, g, 1 − β1) (ATen lerp_vec); v = v·β2 + (1 − β2)·g·g; p = p − step_size·m / (√v / √bc2 + eps),
// with step_size = lr / (1 − β1^t) and √bc2 = √(1 − β2^t) computed on the host in f64 and
// rounded to f32, as Python does. Shapes: p, g, m, v (len,). Nothing changes when
// skip_if[0] != 0 (GradScaler found an inf), so skipping needs no readback.
// CPU twin: backend/cpu/reference/train.rs :: adam_step
//
// adam_step_counted: the same update, with the step counted on the device (torch counts only
// the steps GradScaler did not skip): count[0] is the number of steps taken before this one, and
// table[2t], table[2t + 1] hold step t + 1's -step_size and √bc2 (computed on the host in f64,
// as Python does). CPU twin: backend/cpu/reference/mod.rs :: adam_step_counted.
//
// Order as nn/optim.rs. WGSL's sqrt, division and fma are not correctly rounded / not surely
// fused (spec, "Floating Point Accuracy"), so results agree within parity::F32_OPTIMIZER.
// One invocation per element, 256 per workgroup, on a 2-D grid (kernels.rs grid_1d).

struct Params {
    len: u32,
    has_weight_decay: u32,
    one_minus_beta1: f32,
    beta2: f32,
    one_minus_beta2: f32,
    eps: f32,
    weight_decay: f32,
    neg_step_size: f32,
    bc2_sqrt: f32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> exp_avg: array<f32>;
@group(0) @binding(4) var<storage, read_write> exp_avg_sq: array<f32>;
@group(0) @binding(5) var<storage, read> skip_if: array<f32>; // GradScaler's found_inf, or 0

fn update(i: u32, neg_step_size: f32, bc2_sqrt: f32) {
    var g = grad[i];
    if (p.has_weight_decay != 0u) {
        g = fma(param[i], p.weight_decay, g);
    }
    let w = p.one_minus_beta1;
    let m0 = exp_avg[i];
    var m = fma(w - 1.0, g - m0, g);
    if (abs(w) < 0.5) {
        m = fma(w, g - m0, m0);
    }
    let v = exp_avg_sq[i] * p.beta2 + p.one_minus_beta2 * g * g;
    let denom = sqrt(v) / bc2_sqrt + p.eps;
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
    param[i] = param[i] + neg_step_size * m / denom;
}

@compute @workgroup_size(256, 1, 1)
fn adam_step(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = (wid.y * groups.x + wid.x) * 256u + lid;
    if (i >= p.len || skip_if[0] != 0.0) {
        return;
    }
    update(i, p.neg_step_size, p.bc2_sqrt);
}

@group(0) @binding(6) var<storage, read> table: array<f32>;
@group(0) @binding(7) var<storage, read> count: array<f32>;

@compute @workgroup_size(256, 1, 1)
fn adam_step_counted(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = (wid.y * groups.x + wid.x) * 256u + lid;
    if (i >= p.len || skip_if[0] != 0.0) {
        return;
    }
    let t = u32(count[0]);
    update(i, table[2u * t], table[2u * t + 1u]);
}
