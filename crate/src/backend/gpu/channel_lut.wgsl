// Per-channel code lookup: y = table[c][x] for uint8 codes x (n, c, rest…) with channel
// c = (i / inner) % channels; table (c, 256) uint8. Runs quantized::batch_norm2d, whose output
// code is a function of (channel, input code) tabulated on the host (quant/qbatchnorm.rs).
// Shapes: codes (len,) uint8 packed four per u32 word, table (c·256,) packed likewise → like x.
// CPU twin: backend/cpu/reference/conv.rs :: channel_lut
//
// Integer gathers only: exact. One invocation per word, 256 per workgroup, 2-D grid.

struct Params {
    len: u32,
    inner: u32,
    channels: u32,
    _pad0: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read> table: array<u32>;
@group(0) @binding(3) var<storage, read_write> y: array<u32>;

fn table_byte(i: u32) -> u32 {
    return (table[i / 4u] >> (8u * (i % 4u))) & 0xffu;
}

@compute @workgroup_size(256, 1, 1)
fn channel_lut(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let word = (wid.y * groups.x + wid.x) * 256u + lid;
    if (4u * word >= p.len) {
        return;
    }
    let v = x[word];
    var out = 0u;
    for (var t = 0u; t < 4u; t = t + 1u) {
        let i = 4u * word + t;
        if (i < p.len) {
            let c = (i / p.inner) % p.channels;
            out = out | (table_byte(c * 256u + ((v >> (8u * t)) & 0xffu)) << (8u * t));
        }
    }
    y[word] = out;
}
