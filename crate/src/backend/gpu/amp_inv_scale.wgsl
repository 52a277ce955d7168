// GradScaler.unscale_'s inverse scale on the device: inv_scale = (float)(1.0 / (double)scale),
// torch's `self._scale.double().reciprocal().float()`. Shapes: scale (1,) → inv_scale (1,).
// CPU twin: backend/cpu/reference/train.rs :: amp_inv_scale
//
// WGSL has no f64 and its division is not correctly rounded, so this is amp/scaler.rs
// inv_scale_bits line for line: the significand's reciprocal by 26-bit integer long division,
// rounded to nearest even, with subnormal and infinite results handled on the bits. It equals
// torch's value for every f32 scale. One invocation.

@group(0) @binding(0) var<storage, read> scale: array<u32>;
@group(0) @binding(1) var<storage, read_write> inv_scale: array<u32>;

var<private> rem: u32;

fn round_at(q: u32, shift: u32) -> u32 {
    let kept = q >> shift;
    let guard = (q >> (shift - 1u)) & 1u;
    let sticky = (q & ((1u << (shift - 1u)) - 1u)) != 0u || rem != 0u;
    return kept + select(0u, 1u, guard == 1u && (sticky || (kept & 1u) == 1u));
}

fn inv_scale_bits(x: u32) -> u32 {
    let sign = x & 0x80000000u;
    var e = i32((x >> 23u) & 0xffu);
    var m = x & 0x7fffffu;
    if (e == 255) {
        return select(sign, x | 0x400000u, m != 0u);
    }
    if (e == 0) {
        if (m == 0u) {
            return sign | 0x7f800000u;
        }
        let sh = countLeadingZeros(m) - 8u;
        m = m << sh;
        e = 1 - i32(sh);
    } else {
        m = m | 0x800000u;
    }
    if (m == 0x800000u) {
        let be = 254 - e;
        if (be >= 255) {
            return sign | 0x7f800000u;
        }
        if (be >= 1) {
            return sign | (u32(be) << 23u);
        }
        return sign | (1u << u32(276 - e));
    }
    rem = 0x800000u;
    var q = 0u;
    for (var i = 0u; i < 26u; i = i + 1u) {
        rem = rem << 1u;
        q = q << 1u;
        if (rem >= m) {
            rem = rem - m;
            q = q | 1u;
        }
    }
    var be = 253 - e;
    if (be >= 1) {
        var r = round_at(q, 2u);
        if (r == 0x1000000u) {
            r = 0x800000u;
            be = be + 1;
        }
        if (be >= 255) {
            return sign | 0x7f800000u;
        }
        return sign | (u32(be) << 23u) | (r & 0x7fffffu);
    }
    return sign | round_at(q, u32(e - 250));
}

@compute @workgroup_size(1, 1, 1)
fn amp_inv_scale() {
    inv_scale[0] = inv_scale_bits(scale[0]);
}
