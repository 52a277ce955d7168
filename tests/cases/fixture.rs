//! Typed decoders for the JSON fixtures under `tests/fixtures`. The generators store every float
//! as its exact bit pattern (an f32 as a u32, an f16 as a u16), so a fixture value reaches a test
//! bit for bit; integers (codes, zero points, shapes, seeds) are plain JSON numbers. Each decoder
//! panics with what it expected when a value has the wrong type or does not fit, so a malformed
//! fixture fails loudly instead of being truncated.
//!
//! Shared by every test target: `cases/mod.rs` declares it, and `cli.rs` includes the file.
#![allow(dead_code)] // each test target uses a subset

use serde_json::Value;

fn array<'a>(v: &'a Value, what: &str) -> &'a [Value] {
    v.as_array().unwrap_or_else(|| panic!("fixture: expected a list of {what}, got {v}"))
}

/// One u64 (a seed, a count).
pub fn u64_of(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("fixture: expected an unsigned integer, got {v}"))
}

/// One u32: an f32's bit pattern kept as bits, for comparing with `f32::to_bits`.
pub fn u32_of(v: &Value) -> u32 {
    u32::try_from(u64_of(v)).unwrap_or_else(|_| panic!("fixture: {v} does not fit a u32 bit pattern"))
}

/// A list of u32 bit patterns, kept as bits.
pub fn u32s(v: &Value) -> Vec<u32> {
    array(v, "u32 bit patterns").iter().map(u32_of).collect()
}

/// One f32 from its bit pattern.
pub fn f32_of(v: &Value) -> f32 {
    f32::from_bits(u32_of(v))
}

/// f32 values from a list of bit patterns.
pub fn f32s(v: &Value) -> Vec<f32> {
    array(v, "f32 bit patterns").iter().map(f32_of).collect()
}

/// f16 bit patterns from a list.
pub fn f16_bits(v: &Value) -> Vec<u16> {
    array(v, "f16 bit patterns")
        .iter()
        .map(|b| u16::try_from(u64_of(b)).unwrap_or_else(|_| panic!("fixture: {b} does not fit an f16 bit pattern")))
        .collect()
}

/// One signed integer.
pub fn i64_of(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("fixture: expected an integer, got {v}"))
}

/// One i32 (a zero point, a label).
pub fn i32_of(v: &Value) -> i32 {
    i32::try_from(i64_of(v)).unwrap_or_else(|_| panic!("fixture: {v} does not fit an i32"))
}

/// A list of signed integers.
pub fn i64s(v: &Value) -> Vec<i64> {
    array(v, "integers").iter().map(i64_of).collect()
}

/// A list of i32 (zero points, labels, codes).
pub fn i32s(v: &Value) -> Vec<i32> {
    array(v, "i32").iter().map(i32_of).collect()
}

/// A list of int8 codes.
pub fn i8s(v: &Value) -> Vec<i8> {
    array(v, "int8 codes")
        .iter()
        .map(|x| i8::try_from(i64_of(x)).unwrap_or_else(|_| panic!("fixture: {x} is not an int8 code")))
        .collect()
}

/// A list of uint8 codes.
pub fn u8s(v: &Value) -> Vec<u8> {
    array(v, "uint8 codes")
        .iter()
        .map(|x| u8::try_from(i64_of(x)).unwrap_or_else(|_| panic!("fixture: {x} is not a uint8 code")))
        .collect()
}

/// One size or count.
pub fn usize_of(v: &Value) -> usize {
    usize::try_from(u64_of(v)).unwrap_or_else(|_| panic!("fixture: {v} does not fit a usize"))
}

/// A shape (or any list of sizes).
pub fn shape(v: &Value) -> Vec<usize> {
    array(v, "sizes").iter().map(usize_of).collect()
}

/// A `{shape, f32}` tensor → (values, shape), its element count checked against the shape.
pub fn tensor(v: &Value) -> (Vec<f32>, Vec<usize>) {
    let (values, shape) = (f32s(&v["f32"]), shape(&v["shape"]));
    assert_eq!(values.len(), shape.iter().product::<usize>(), "fixture: tensor of shape {shape:?}");
    (values, shape)
}
