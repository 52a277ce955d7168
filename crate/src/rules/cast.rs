//! f32 → f16 / bf16 conversions, bit for bit as PyTorch's CPU `.half()` and `.bfloat16()`, as
//! integer operations on the bit patterns, so the same algorithm runs identically natively, in
//! wasm and in WGSL (`backend/gpu/cast_f16.wgsl` is its twin). f16 → f32 is exact and comes from
//! the `half` crate (and `unpack` in WGSL).
//!
//! f32 → f16 (c10/util/Half.h `fp16_ieee_from_fp32_value`, IEEE 754 §4.3.1): round to nearest,
//! ties to even; magnitudes ≥ 65520 become ±inf; results below 2⁻¹⁴ become subnormals (ties to
//! even again; 2⁻²⁵ → 0); NaN keeps its sign and top payload bits with the quiet bit set
//! (`sign | 0x7E00 | mantissa >> 13`), as torch and the `half` crate do.
//!
//! f32 → bf16 (c10/util/BFloat16.h `round_to_nearest_even`): add `0x7FFF + lsb` and truncate.
//! NaN becomes `0xFFFF`, which is what torch 2.15's vectorised CPU conversion writes (the scalar
//! tail path would write 0x7FC0; our fixtures pin the vectorised value).

/// f32 bits → f16 bits, round to nearest even. See the module docs.
pub fn f32_to_f16_bits(x: u32) -> u16 {
    let sign = (x >> 16) & 0x8000;
    let exp = (x >> 23) & 0xFF;
    let man = x & 0x007F_FFFF;
    if exp == 0xFF {
        // inf stays inf; NaN keeps the top 10 payload bits and is made quiet.
        let quiet = if man != 0 { 0x0200 } else { 0 };
        return (sign | 0x7C00 | quiet | (man >> 13)) as u16;
    }
    let half_exp = exp as i32 - 127 + 15;
    if half_exp >= 0x1F {
        return (sign | 0x7C00) as u16; // overflow → inf
    }
    if half_exp <= 0 {
        // Subnormal or zero: shift the full significand right by 14 - half_exp.
        let shift = (14 - half_exp) as u32;
        if shift > 24 {
            return sign as u16;
        }
        let man = man | 0x0080_0000;
        let half_man = man >> shift;
        let round_bit = 1u32 << (shift - 1);
        // Round up when past half, or exactly half with an odd result (ties to even).
        let up = (man & round_bit) != 0 && (man & (3 * round_bit - 1)) != 0;
        return (sign | (half_man + up as u32)) as u16;
    }
    let bits = sign | ((half_exp as u32) << 10) | (man >> 13);
    let round_bit = 0x1000;
    let up = (man & round_bit) != 0 && (man & (3 * round_bit - 1)) != 0;
    // A carry out of the mantissa increments the exponent, and 0x7BFF + 1 is inf: both correct.
    (bits + up as u32) as u16
}

/// f32 → f16 value. See [`f32_to_f16_bits`].
pub fn f32_to_f16(x: f32) -> half::f16 {
    half::f16::from_bits(f32_to_f16_bits(x.to_bits()))
}

/// f32 bits → bf16 bits, round to nearest even; NaN → `0xFFFF` (see the module docs).
pub fn f32_to_bf16_bits(x: u32) -> u16 {
    if (x & 0x7FFF_FFFF) > 0x7F80_0000 {
        return 0xFFFF;
    }
    let lsb = (x >> 16) & 1;
    ((x + 0x7FFF + lsb) >> 16) as u16
}

/// f32 → bf16 value. See [`f32_to_bf16_bits`].
pub fn f32_to_bf16(x: f32) -> half::bf16 {
    half::bf16::from_bits(f32_to_bf16_bits(x.to_bits()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f16_rounds_ties_to_even_overflows_to_inf_and_keeps_subnormals() {
        let h = |x: f32| f32_to_f16_bits(x.to_bits());
        assert_eq!(h(1.0 + 2f32.powi(-11)), 0x3C00); // tie → even (1.0)
        assert_eq!(h(1.0 + 3.0 * 2f32.powi(-11)), 0x3C02); // tie → even (1 + 2⁻⁹)
        assert_eq!(h(65504.0), 0x7BFF);
        assert_eq!(h(65519.99), 0x7BFF);
        assert_eq!(h(65520.0), 0x7C00);
        assert_eq!(h(-1e30), 0xFC00);
        assert_eq!(h(2f32.powi(-24)), 0x0001); // smallest subnormal
        assert_eq!(h(2f32.powi(-25)), 0x0000); // tie → even (0)
        assert_eq!(h(3.0 * 2f32.powi(-26)), 0x0001);
        assert_eq!(h(1.5 * 2f32.powi(-24)), 0x0002); // tie between 1 and 2 ulps → 2
        assert_eq!(h(-0.0), 0x8000);
        assert_eq!(h(f32::NAN), 0x7E00);
    }

    #[test]
    fn f16_matches_the_half_crate_on_every_non_nan_input_we_try() {
        let mut rng = crate::rules::rng::Rng::new(5);
        for _ in 0..200_000 {
            let bits = rng.next_u64() as u32;
            let x = f32::from_bits(bits);
            if !x.is_nan() {
                assert_eq!(f32_to_f16_bits(bits), half::f16::from_f32(x).to_bits(), "{x:e} ({bits:#x})");
            }
        }
    }

    #[test]
    fn bf16_rounds_ties_to_even_and_maps_nan_to_ffff() {
        let b = |x: f32| f32_to_bf16_bits(x.to_bits());
        assert_eq!(b(1.0), 0x3F80);
        assert_eq!(f32_to_bf16_bits(0x3F80_8000), 0x3F80); // tie → even
        assert_eq!(f32_to_bf16_bits(0x3F81_8000), 0x3F82); // tie → even
        assert_eq!(b(f32::MAX), 0x7F80); // rounds up to inf
        assert_eq!(b(f32::NAN), 0xFFFF);
    }
}
