// Library (no entry point): exact int32 → f32 conversion with round-to-nearest-even, appended
// to the int8 GEMM kernels by kernels.rs (qlinear.wgsl, qlinear_dot4.wgsl, qlinear_float.wgsl).
// WGSL leaves inexact i32 → f32 conversion implementation-defined, so it is done in integers.
// CPU twin: rules/qlinear.rs :: requantize
// CPU twin: rules/dynamic.rs :: float_output

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

