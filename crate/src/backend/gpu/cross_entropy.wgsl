// Softmax cross-entropy per row: loss[i] = max + log(Σ_j exp(x[i][j] − max)) − x[i][label[i]]
// and dlogits[i][j] = (softmax(x[i])[j] − [j == label[i]]) · inv_b, the gradient of the mean.
// Shapes: logits (b, c) f32, labels (b,) i32 → losses (b,), dlogits (b, c). The mean loss is
// then sum(losses) · inv_b on the host side of the graph (reduce.wgsl, relu.wgsl scale).
// CPU twin: backend/cpu/reference/train.rs :: cross_entropy
//
// Same max-subtracted order as the CPU twin, but WGSL's exp and log are not correctly rounded
// (spec, "Floating Point Accuracy": exp 3 + 2·|x| ulp, log 3 ulp), so results agree within
// parity::F32_TRANSCENDENTAL. The CPU rejects a label outside 0..c with an error; a kernel
// cannot, so here such a row's loss and gradient are NaN (visible in the mean loss and caught
// by GradScaler's found_inf check), and nothing is read out of bounds.
// One invocation per row, 256 per workgroup, on a 2-D grid (kernels.rs grid_1d).

struct Params {
    b: u32,
    c: u32,
    inv_b: f32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read_write> losses: array<f32>;
@group(0) @binding(4) var<storage, read_write> dlogits: array<f32>;

@compute @workgroup_size(256, 1, 1)
fn cross_entropy(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = (wid.y * groups.x + wid.x) * 256u + lid;
    if (i >= p.b) {
        return;
    }
    let base = i * p.c;
    var mx = logits[base];
    for (var j = 1u; j < p.c; j = j + 1u) {
        mx = max(mx, logits[base + j]);
    }
    var se = 0.0;
    for (var j = 0u; j < p.c; j = j + 1u) {
        se = se + exp(logits[base + j] - mx);
    }
    let raw = labels[i];
    if (raw < 0 || raw >= i32(p.c)) {
        // A runtime bit pattern: WGSL rejects a NaN constant expression (Tint: "value nan cannot
        // be represented"), so the uniform's c (times 0) keeps this out of constant folding.
        let nan = bitcast<f32>(0x7fc00000u | (p.c & 0u));
        losses[i] = nan;
        for (var j = 0u; j < p.c; j = j + 1u) {
            dlogits[base + j] = nan;
        }
        return;
    }
    let label = u32(raw);
    losses[i] = mx + log(se) - logits[base + label];
    for (var j = 0u; j < p.c; j = j + 1u) {
        let prob = exp(logits[base + j] - mx) / se;
        dlogits[base + j] = (prob - select(0.0, 1.0, j == label)) * p.inv_b;
    }
}
