// Observer aminmax: min and max of the finite elements of an f32 tensor plus the non-finite
// report (count, first index), as order keys (rules/stats.rs), whole or per channel.
// CPU twin: backend/cpu/reference/observe.rs :: aminmax, aminmax_per_channel
// Shapes: aminmax: x (len,) f32 → 6 u32 words at out[at..]: [!key(min), key(max), count,
//         !first_nan, !first_pos_inf, !first_neg_inf].
//         aminmax_per_channel: x (outer, channels, inner) f32 → 2·channels + 4 words at
//         out[at..]: [!key(min_c)…, key(max_c)…, count, !first_nan, !first_pos_inf, !first_neg_inf].
//
// Exact in any order: x is read as u32 bits, so no float op runs (WGSL may assume no NaN or
// inf in float ops; here NaN/inf are found from the bits: exponent all ones). A float's order
// key (negative: all bits inverted, else sign bit set) orders as the floats do, -0 just below
// +0, so atomicMax over keys (and over inverted keys for the min) is the exact min and max,
// whatever the interleaving. Finite keys are never 0, so the zero-filled output reads as
// "nothing seen"; the first NaN / +inf / -inf index is an atomicMax of the inverted index.
// The only difference from the CPU twin: a tie of -0 and +0 resolves to -0 for
// the min and +0 for the max here, to the later element there; the qparams do not change.
// Grid: at most 1024 workgroups of 256 (kernels.rs grid_1d), each invocation a strided loop,
// then workgroup atomics and one global atomic per workgroup (per tensor).

struct Params {
    len: u32,
    channels: u32,
    inner: u32,
    at: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<atomic<u32>>;

var<workgroup> w_min: atomic<u32>;
var<workgroup> w_max: atomic<u32>;
var<workgroup> w_count: atomic<u32>;
var<workgroup> w_first: array<atomic<u32>, 3>;

fn order_key(bits: u32) -> u32 {
    if ((bits & 0x80000000u) != 0u) {
        return ~bits;
    }
    return bits | 0x80000000u;
}

fn non_finite(bits: u32) -> bool {
    return (bits & 0x7f800000u) == 0x7f800000u;
}

// 0 for NaN, 1 for +inf, 2 for -inf (bits already non-finite).
fn non_finite_class(bits: u32) -> u32 {
    if ((bits & 0x007fffffu) != 0u) {
        return 0u;
    }
    return select(1u, 2u, (bits & 0x80000000u) != 0u);
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
    for (var i = (wid.y * groups.x + wid.x) * 256u + lid; i < p.len; i = i + stride) {
        let b = x[i];
        if (non_finite(b)) {
            count = count + 1u;
            atomicMax(&w_first[non_finite_class(b)], ~i); // max of inverted indices = first
        } else {
            let k = order_key(b);
            lo = max(lo, ~k);
            hi = max(hi, k);
        }
    }
    atomicMax(&w_min, lo);
    atomicMax(&w_max, hi);
    atomicAdd(&w_count, count);
    workgroupBarrier();
    if (lid == 0u) {
        atomicMax(&out[p.at], atomicLoad(&w_min));
        atomicMax(&out[p.at + 1u], atomicLoad(&w_max));
        atomicAdd(&out[p.at + 2u], atomicLoad(&w_count));
        for (var k = 0u; k < 3u; k = k + 1u) {
            atomicMax(&out[p.at + 3u + k], atomicLoad(&w_first[k]));
        }
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
            atomicAdd(&out[p.at + 2u * c_n], 1u);
            atomicMax(&out[p.at + 2u * c_n + 1u + non_finite_class(b)], ~i);
        } else {
            let c = (i / p.inner) % c_n;
            let k = order_key(b);
            atomicMax(&out[p.at + c], ~k);
            atomicMax(&out[p.at + c_n + c], k);
        }
    }
}
