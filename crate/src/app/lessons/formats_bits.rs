//! Lesson 5's formats read off their bit patterns: float32, float16 and bfloat16 as (exponent,
//! mantissa) widths, a value's bits by the library's casts ([`crate::rules::cast`]), the value a
//! bit pattern stores (exact in f64, from the `half` crate), and the gap to the next magnitude.
//! Not here: the page's numbers (`formats.rs`).

use crate::rules::cast::{f32_to_bf16_bits, f32_to_f16_bits};

/// A binary float format: its torch name and field widths.
#[derive(Clone, Copy)]
pub struct Format {
    /// torch's dtype name.
    pub dtype: &'static str,
    /// Exponent field width.
    pub exp: u32,
    /// Mantissa field width.
    pub man: u32,
}

/// float32, float16, bfloat16.
pub const FORMATS: [Format; 3] = [
    Format { dtype: "float32", exp: 8, man: 23 },
    Format { dtype: "float16", exp: 5, man: 10 },
    Format { dtype: "bfloat16", exp: 8, man: 7 },
];

impl Format {
    /// The bits of f32 `x` in this format, by the library's casts.
    pub fn bits(self, x: f32) -> u32 {
        match self.dtype {
            "float16" => f32_to_f16_bits(x.to_bits()) as u32,
            "bfloat16" => f32_to_bf16_bits(x.to_bits()) as u32,
            _ => x.to_bits(),
        }
    }
    /// The value of `bits` (exact in f64).
    pub fn value(self, bits: u32) -> f64 {
        match self.dtype {
            "float16" => half::f16::from_bits(bits as u16).to_f64(),
            "bfloat16" => half::bf16::from_bits(bits as u16).to_f64(),
            _ => f32::from_bits(bits) as f64,
        }
    }
    /// `2^(exp-1) - 1`.
    pub fn bias(self) -> i32 {
        (1 << (self.exp - 1)) - 1
    }
    /// The exponent field of `bits`.
    pub fn exp_field(self, bits: u32) -> u32 {
        (bits >> self.man) & ((1 << self.exp) - 1)
    }
    /// The bits of the largest finite value.
    pub fn max_bits(self) -> u32 {
        (((1 << self.exp) - 2) << self.man) | ((1 << self.man) - 1)
    }
    /// The gap from magnitude `bits` to the next one up (down at the largest finite value).
    pub fn ulp(self, bits: u32) -> Option<f64> {
        let mag = bits & ((1 << (self.exp + self.man)) - 1);
        if self.exp_field(mag) == (1 << self.exp) - 1 {
            return None;
        }
        Some(if mag == self.max_bits() {
            self.value(mag) - self.value(mag - 1)
        } else {
            self.value(mag + 1) - self.value(mag)
        })
    }
}
