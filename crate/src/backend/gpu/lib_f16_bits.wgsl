// Library (no entry point): f32 ↔ f16 conversions on bit patterns, appended to every kernel
// that needs them (kernels.rs concatenates it after the kernel's own source; WGSL has no
// includes). f32 → f16 rounds to nearest even, overflows to ±inf, keeps subnormals and quiet
// NaN payloads, as torch's `.half()`; f16 → f32 is exact and makes NaN quiet like the half crate.
// Integer operations only, because WGSL leaves float → half rounding implementation-defined.
// CPU twin: rules/cast.rs :: f32_to_f16_bits

// Mirror of cast.rs f32_to_f16_bits; returns the f16 bits in the low 16 bits.
fn f32_to_f16_bits(x: u32) -> u32 {
    let sign = (x >> 16u) & 0x8000u;
    let exp = (x >> 23u) & 0xffu;
    let man = x & 0x7fffffu;
    if (exp == 0xffu) {
        return sign | 0x7c00u | select(0u, 0x200u, man != 0u) | (man >> 13u);
    }
    let half_exp = i32(exp) - 127 + 15;
    if (half_exp >= 0x1f) {
        return sign | 0x7c00u;
    }
    if (half_exp <= 0) {
        let shift = u32(14 - half_exp);
        if (shift > 24u) {
            return sign;
        }
        let m = man | 0x800000u;
        let round_bit = 1u << (shift - 1u);
        let up = (m & round_bit) != 0u && (m & (3u * round_bit - 1u)) != 0u;
        return sign | ((m >> shift) + select(0u, 1u, up));
    }
    let bits = sign | (u32(half_exp) << 10u) | (man >> 13u);
    let up = (man & 0x1000u) != 0u && (man & 0x2fffu) != 0u;
    return bits + select(0u, 1u, up);
}

// f16 bits (low 16) → f32 bits, exact; NaN is made quiet like the half crate.
fn f16_to_f32_bits(h: u32) -> u32 {
    let sign = (h & 0x8000u) << 16u;
    let exp = (h >> 10u) & 0x1fu;
    let man = h & 0x3ffu;
    if (exp == 0x1fu) {
        return sign | 0x7f800000u | select(0u, 0x400000u, man != 0u) | (man << 13u);
    }
    if (exp == 0u) {
        if (man == 0u) {
            return sign;
        }
        // Subnormal man·2⁻²⁴: move the leading 1 to bit 10 and adjust the exponent.
        let shift = countLeadingZeros(man) - 21u;
        return sign | ((113u - shift) << 23u) | (((man << shift) & 0x3ffu) << 13u);
    }
    return sign | ((exp + 112u) << 23u) | (man << 13u);
}
