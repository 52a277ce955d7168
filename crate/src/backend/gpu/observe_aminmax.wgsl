// Observer aminmax: min and max of the finite elements of an f32 tensor plus the non-finite
// report (count, first index), as order keys (rules/stats.rs), whole or per channel.
// CPU twin: backend/cpu/reference/observe.rs :: aminmax, aminmax_per_channel
// Shapes: aminmax: x (len,) f32 → out (4,) u32 [!key(min), key(max), count, !first].
//         aminmax_per_channel: x (outer, channels, inner) f32 → out (2·channels + 2,) u32
//         [!key(min_c)…, key(max_c)…, count, !first].
//
// Exact in any order: x is read as u32 bits, so no float op runs (WGSL may assume no NaN or
// inf in float ops; here NaN/inf are found from the bits: exponent all ones). A float's order
// key (negative: all bits inverted, else sign bit set) orders as the floats do, -0 just below
// +0, so atomicMax over keys (and over inverted keys for the min) is the exact min and max,
// whatever the interleaving. Finite keys are never 0, so the zero-filled output reads as
// "nothing seen". The only difference from the CPU twin: a tie of -0 and +0 resolves to -0 for
// the min and +0 for the max here, to the later element there; the qparams do not change.
// Grid: at most 1024 workgroups of 256 (kernels.rs grid_1d), each invocation a strided loop,
// then workgroup atomics and one global atomic per workgroup (per tensor).

struct Params {
    len: u32,
    channels: u32,
    inner: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<atomic<u32>>;

var<workgroup> w_min: atomic<u32>;
var<workgroup> w_max: atomic<u32>;
var<workgroup> w_count: atomic<u32>;
var<workgroup> w_first: atomic<u32>;

fn order_key(bits: u32) -> u32 {
    if ((bits & 0x80000000u) != 0u) {
        return ~bits;
    }
    return bits | 0x80000000u;
}

fn non_finite(bits: u32) -> bool {
    return (bits & 0x7f800000u) == 0x7f800000u;
}

@compute @workgroup_size(256, 1, 1)
fn aminmax(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let stride = groups.x * groups.y * 256u;
    var lo = 0u; // max of inverted keys = min
    var hi = 0u;
    var count = 0u;
    var first = 0u; // max of inverted indices = first
    for (var i = (wid.y * groups.x + wid.x) * 256u + lid; i < p.len; i = i + stride) {
        let b = x[i];
        if (non_finite(b)) {
            count = count + 1u;
            first = max(first, ~i);
        } else {
            let k = order_key(b);
            lo = max(lo, ~k);
            hi = max(hi, k);
        }
    }
    atomicMax(&w_min, lo);
    atomicMax(&w_max, hi);
    atomicAdd(&w_count, count);
    atomicMax(&w_first, first);
    workgroupBarrier();
    if (lid == 0u) {
        atomicMax(&out[0], atomicLoad(&w_min));
        atomicMax(&out[1], atomicLoad(&w_max));
        atomicAdd(&out[2], atomicLoad(&w_count));
        atomicMax(&out[3], atomicLoad(&w_first));
    }
}

@compute @workgroup_size(256, 1, 1)
fn aminmax_per_channel(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let stride = groups.x * groups.y * 256u;
    let c_n = p.channels;
    for (var i = (wid.y * groups.x + wid.x) * 256u + lid; i < p.len; i = i + stride) {
        let b = x[i];
        if (non_finite(b)) {
            atomicAdd(&out[2u * c_n], 1u);
            atomicMax(&out[2u * c_n + 1u], ~i);
        } else {
            let c = (i / p.inner) % c_n;
            let k = order_key(b);
            atomicMax(&out[c], ~k);
            atomicMax(&out[c_n + c], k);
        }
    }
}
