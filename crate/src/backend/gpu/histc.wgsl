// torch.histc counts of an f32 tensor added into one row of a u32 count buffer that stays on
// the device for a whole calibration run (HistogramObserver).
// CPU twin: backend/cpu/reference/observe.rs :: histc_accumulate
// CPU twin: rules/histc.rs :: bin, lower_edges
// (the bin rule is torch's aten/src/ATen/native/cpu/HistogramKernel.cpp LINEAR_INTERPOLATION)
// Shapes: x (len,) f32 (finite: the caller's aminmax checked it), edges (bins + 1,) u32 order
//         keys, counts (rows, bins) u32; row `row` gets the counts.
//
// What is exact and why: torch's bin is ((v − left)·bins / width) truncated, in f32. WGSL's
// subtraction and multiplication are correctly rounded but its division is not (2.5 ulp), and
// a shader compiler may contract or reassociate, so the float bin below is only a first guess.
// The bin itself comes from integer comparisons: the host tabulates, for every k in 1..bins,
// the order key of the smallest f32 whose CPU bin is ≥ k (rules/histc.rs :: lower_edges; the
// CPU bin is monotone in v, so bin(v) = #{k : key(v) ≥ edges[k]}), and the guess is walked up
// and down until edges[k] ≤ key(v) < edges[k + 1]. Keys are compared as u32 from the bits
// (-0 as +0), so neither subnormal flushing nor the no-NaN assumption can change a bin; a bad
// guess only costs steps. The in-range test (edges[0] ≤ key ≤ edges[bins]) is the same integer
// comparison. Counts are atomicAdd, exact in any order (below 2^32 per bin).
// One invocation per element, 256 per workgroup (kernels.rs grid_1d).

struct Params {
    len: u32,
    bins: u32,
    row: u32,
    _pad0: u32,
    left: f32,
    width: f32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read> edges: array<u32>;
@group(0) @binding(3) var<storage, read_write> counts: array<atomic<u32>>;

fn canonical_key(bits: u32) -> u32 {
    if ((bits & 0x7fffffffu) == 0u) {
        return 0x80000000u;
    }
    if ((bits & 0x80000000u) != 0u) {
        return ~bits;
    }
    return bits | 0x80000000u;
}

@compute @workgroup_size(256, 1, 1)
fn histc_accumulate(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = (wid.y * groups.x + wid.x) * 256u + lid;
    if (i >= p.len) {
        return;
    }
    let bits = x[i];
    let kv = canonical_key(bits);
    if (kv < edges[0] || kv > edges[p.bins]) {
        return;
    }
    let last = p.bins - 1u;
    let guess = (bitcast<f32>(bits) - p.left) * f32(p.bins) / p.width;
    var k = min(u32(clamp(guess, 0.0, f32(last))), last);
    loop {
        if (k >= last || kv < edges[k + 1u]) {
            break;
        }
        k = k + 1u;
    }
    loop {
        if (k == 0u || kv >= edges[k]) {
            break;
        }
        k = k - 1u;
    }
    atomicAdd(&counts[p.row * p.bins + k], 1u);
}
