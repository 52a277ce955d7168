// Library (no entry point): the quantized Linear's requantization, appended to qlinear.wgsl and
// qlinear_dot4.wgsl by kernels.rs after lib_i32_to_f32.wgsl. Expects the including kernel's
// globals `p` (with out_zero_point and lo), `bias_scaled` and `multiplier`. The int → float step
// is lib_i32_to_f32.wgsl's; the rest is one correctly rounded add, one multiply and round().
// CPU twin: rules/qlinear.rs :: requantize

fn requant(acc: i32, j: u32) -> u32 {
    let ab = (i32_to_f32(acc) + bias_scaled[j]) * multiplier[j];
    let q = clamp(round(ab) + f32(p.out_zero_point), f32(p.lo), 255.0);
    return u32(q);
}
