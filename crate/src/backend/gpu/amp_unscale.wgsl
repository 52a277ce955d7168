// GradScaler.unscale_ for one gradient tensor, in place: g = g · inv_scale (skipped when
// inv_scale is 1), and found_inf = 1.0 if any element is inf or NaN — torch's
// _amp_foreach_non_finite_check_and_unscale_. Shapes: grad (len,), inv_scale (1,),
// found_inf (1,) f32, shared by every gradient of the step so no readback is needed.
// CPU twin: backend/cpu/reference/train.rs :: amp_unscale
//
// inf/NaN are detected on the bit pattern (exponent all ones), because WGSL lets
// implementations assume floats are finite (spec, "Differences from IEEE-754"); found_inf is
// written with an atomic store of 1.0f's bits, so concurrent writers are well defined.
// inv_scale is read as bits: for scales above 2¹²⁶ it is subnormal, and adapters may flush
// subnormal operands (SwiftShader does), so it is applied as a normal significand and an exact
// ldexp, which gives torch's product whenever that product is a normal number.
// One invocation per element, 256 per workgroup, on a 2-D grid (kernels.rs grid_1d).

struct Params {
    len: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> grad: array<u32>;
@group(0) @binding(2) var<storage, read> inv_scale: array<u32>;
@group(0) @binding(3) var<storage, read_write> found_inf: array<atomic<u32>>;

// g · s for s given by its bits, correct even when s is subnormal (see the header).
fn mul_by(g: f32, s_bits: u32) -> f32 {
    if (((s_bits >> 23u) & 0xffu) != 0u || (s_bits & 0x7fffffu) == 0u) {
        return g * bitcast<f32>(s_bits);
    }
    // s = man·2⁻¹⁴⁹ = norm·2^(−126 − sh) with norm = 1.xxx in [1, 2).
    let man = s_bits & 0x7fffffu;
    let sh = countLeadingZeros(man) - 8u;
    let norm = bitcast<f32>((s_bits & 0x80000000u) | 0x3f800000u | ((man << sh) & 0x7fffffu));
    return ldexp(ldexp(g, -1) * norm, -125 - i32(sh));
}

@compute @workgroup_size(256, 1, 1)
fn amp_unscale(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = (wid.y * groups.x + wid.x) * 256u + lid;
    if (i >= p.len) {
        return;
    }
    let bits = grad[i];
    if ((bits & 0x7f800000u) == 0x7f800000u) {
        atomicStore(&found_inf[0], 0x3f800000u);
    }
    let s = inv_scale[0];
    if (s != 0x3f800000u) {
        grad[i] = bitcast<u32>(mul_by(bitcast<f32>(bits), s));
    }
}
