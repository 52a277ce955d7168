// f32 ↔ f16 casts on packed storage: f16 values two per u32 word, element 2w in the low half.
// Shapes: x (len,) → y (len,). f32 → f16 rounds to nearest even, overflows to ±inf, keeps
// subnormals and quiet NaN payloads, exactly as torch's `.half()`; f16 → f32 is exact.
// CPU twin: backend/cpu/reference/math.rs :: f32_to_f16, f16_to_f32
//
// Both directions are integer operations on the bit patterns (lib_f16_bits.wgsl, appended;
// mirroring cast.rs f32_to_f16_bits and the half crate), because WGSL leaves float→half
// rounding and out-of-range conversion implementation-defined (spec, "Floating Point
// Conversion"). So every adapter, with or without shader-f16, gives the CPU twin's bits.
// One invocation per u32 word of packed f16, 256 per workgroup, on a 2-D grid (kernels.rs grid_1d).

struct Params {
    len: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;

fn word_index(wid: vec3<u32>, groups: vec3<u32>, lid: u32) -> u32 {
    return (wid.y * groups.x + wid.x) * 256u + lid;
}

// dst word w = f16(src[2w]) | f16(src[2w + 1]) << 16 (0 past the end).
@compute @workgroup_size(256, 1, 1)
fn f32_to_f16(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let w = word_index(wid, groups, lid);
    let i = 2u * w;
    if (i >= p.len) {
        return;
    }
    var hi = 0u;
    if (i + 1u < p.len) {
        hi = f32_to_f16_bits(src[i + 1u]);
    }
    dst[w] = f32_to_f16_bits(src[i]) | (hi << 16u);
}

// dst[2w], dst[2w + 1] = f32 of the two halves of src word w.
@compute @workgroup_size(256, 1, 1)
fn f16_to_f32(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let w = word_index(wid, groups, lid);
    let i = 2u * w;
    if (i >= p.len) {
        return;
    }
    let word = src[w];
    dst[i] = f16_to_f32_bits(word & 0xffffu);
    if (i + 1u < p.len) {
        dst[i + 1u] = f16_to_f32_bits(word >> 16u);
    }
}
