// Library (no entry point): the quantized Linear's requantization, appended to qlinear.wgsl and
// qlinear_dot4.wgsl by kernels.rs. Expects the including kernel's globals `p` (with
// out_zero_point and lo), `bias_scaled` and `multiplier`. The int → float step is done in
// integers with round-to-nearest-even, because WGSL leaves inexact i32 → f32 conversion
// implementation-defined; the rest is one correctly rounded add, one multiply and round().
// CPU twin: quant/linear.rs :: requantize

// i32 → f32 rounded to nearest, ties to even, as C's (float)int32 on x86.
fn i32_to_f32(v: i32) -> f32 {
    let neg = v < 0;
    let a = select(u32(v), ~u32(v) + 1u, neg);
    if (a < 0x1000000u) {
        return select(f32(a), -f32(a), neg);
    }
    let s = 8u - countLeadingZeros(a); // keep the top 24 significant bits
    let q = a >> s;
    let rem = a & ((1u << s) - 1u);
    let half = 1u << (s - 1u);
    let up = rem > half || (rem == half && (q & 1u) == 1u);
    let r = ldexp(f32(q + select(0u, 1u, up)), i32(s));
    return select(r, -r, neg);
}

fn requant(acc: i32, j: u32) -> u32 {
    let ab = (i32_to_f32(acc) + bias_scaled[j]) * multiplier[j];
    let q = clamp(round(ab) + f32(p.out_zero_point), f32(p.lo), 255.0);
    return u32(q);
}
