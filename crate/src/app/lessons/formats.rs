//! Lesson 5, f16 and bf16: a number's float32, float16 and bfloat16 bit layouts (sign,
//! exponent, mantissa), the value each stores after round-to-nearest-even, the rounding step
//! (ulp) at that magnitude, each format's range (max/min normal, min subnormal, the magnitude
//! that overflows to inf), the ulp against the magnitude for both 16-bit formats, and (in
//! `formats_grads.rs`) where a real training run's gradients fall on f16's number line.
//!
//! The casts are [`crate::rules::cast`] (torch's `.half()`, c10/util/Half.h
//! `fp16_ieee_from_fp32_value`; `.bfloat16()`, c10/util/BFloat16.h `round_to_nearest_even`);
//! the ranges are read off the bit patterns, as `torch.finfo` reports them. Non-finite values
//! go to the page as the strings `Infinity`, `-Infinity`, `NaN` (JSON has no such numbers).
//! Not here: the casts themselves, the gradients' training run (`formats_grads.rs`).

#[path = "formats_bits.rs"]
mod bits;

use super::formats_grads::{gradients, Gradients};
use super::{num64, Lesson};
use crate::rules::error::Error;
use bits::{Format, FORMATS};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The lesson's inputs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The number to store (a finite float; it is first rounded to float32, as `torch.tensor`).
    pub value: f64,
    /// Training steps of the MLP before its gradients are read (1 to 500).
    pub grad_steps: usize,
    /// `k` in the loss scale `2^k` the gradients are compared with (-20 to 40).
    pub loss_scale_log2: i32,
}

/// One format's view of the number.
#[derive(Debug, Clone, Serialize)]
pub struct FormatRow {
    /// torch's dtype name: `float32`, `float16` or `bfloat16`.
    pub dtype: &'static str,
    /// Exponent field width in bits.
    pub exponent_bits: u32,
    /// Mantissa (fraction) field width in bits.
    pub mantissa_bits: u32,
    /// The exponent bias `2^(exponent_bits-1) - 1`.
    pub bias: i32,
    /// The stored bit pattern in hex, e.g. `0x3c00`.
    pub hex: String,
    /// The sign bit, `0` or `1`.
    pub sign: String,
    /// The exponent field as binary digits.
    pub exponent: String,
    /// The mantissa field as binary digits.
    pub mantissa: String,
    /// `zero`, `subnormal`, `normal`, `inf` or `nan`.
    pub class: &'static str,
    /// The exponent the value is scaled by: `field - bias` (normal), `1 - bias` (subnormal).
    pub unbiased_exponent: Option<i32>,
    /// The value the bits store (exact, as f64; non-finite as a string).
    pub stored: Value,
    /// `stored - value` (the input as f64), or a string when not finite.
    pub error: Value,
    /// The gap to the next representable magnitude at the stored value (null for inf/NaN).
    pub ulp: Value,
    /// The largest finite value.
    pub max_normal: f64,
    /// The smallest positive normal value (`torch.finfo(d).tiny`).
    pub min_normal: f64,
    /// The smallest positive subnormal value (`torch.nextafter(0, 1)` in the format).
    pub min_subnormal: f64,
    /// Magnitudes at or above this round to inf (`max_normal + ulp(max_normal) / 2`).
    pub overflow_threshold: f64,
}

/// One point of the ulp-vs-magnitude picture: the ulp at `2^log2_x`, as a power of two.
#[derive(Debug, Clone, Serialize)]
pub struct UlpPoint {
    /// `log2 |x|`.
    pub log2_x: i32,
    /// `log2 ulp` in float16 at `2^log2_x`; null where f16 stores 0 or inf.
    pub float16: Option<f64>,
    /// `log2 ulp` in bfloat16.
    pub bfloat16: Option<f64>,
}

/// Every number the page shows.
#[derive(Debug, Clone, Serialize)]
pub struct Output {
    /// The input.
    pub value: f64,
    /// float32, float16, bfloat16.
    pub formats: Vec<FormatRow>,
    /// The ulp against the magnitude, `2^-30` to `2^20`.
    pub ulp_curve: Vec<UlpPoint>,
    /// Where a real gradient falls.
    pub gradients: Gradients,
}

/// `x` for the page: a number, or `Infinity` / `-Infinity` / `NaN` as a string.
pub fn js(x: f64) -> Value {
    if x.is_finite() {
        Value::from(x)
    } else {
        Value::from(num64(x))
    }
}

/// A [`js`] value as the page prints it.
pub fn show(v: &Value) -> String {
    match v {
        Value::Number(n) => num64(n.as_f64().expect("an f64")),
        Value::String(s) => s.clone(),
        _ => "null".into(),
    }
}

fn row(f: Format, value: f64, x: f32) -> FormatRow {
    let bits = f.bits(x);
    let stored = f.value(bits);
    let e = f.exp_field(bits);
    let man = bits & ((1 << f.man) - 1);
    let all_ones = (1 << f.exp) - 1;
    let class = match (e, man) {
        (0, 0) => "zero",
        (0, _) => "subnormal",
        (e, 0) if e == all_ones => "inf",
        (e, _) if e == all_ones => "nan",
        _ => "normal",
    };
    let max = f.value(f.max_bits());
    let ulp_max = f.ulp(f.max_bits()).expect("finite");
    let width = (f.exp + f.man + 1) as usize;
    let bin = format!("{bits:0width$b}");
    FormatRow {
        dtype: f.dtype,
        exponent_bits: f.exp,
        mantissa_bits: f.man,
        bias: f.bias(),
        hex: format!("0x{bits:0w$x}", w = width / 4),
        sign: bin[..1].into(),
        exponent: bin[1..1 + f.exp as usize].into(),
        mantissa: bin[1 + f.exp as usize..].into(),
        class,
        unbiased_exponent: match class {
            "normal" => Some(e as i32 - f.bias()),
            "subnormal" => Some(1 - f.bias()),
            _ => None,
        },
        stored: js(stored),
        error: js(stored - value),
        ulp: f.ulp(bits).map_or(Value::Null, js),
        max_normal: max,
        min_normal: f.value(1 << f.man),
        min_subnormal: f.value(1),
        overflow_threshold: max + ulp_max / 2.0,
    }
}

/// Lesson 5 (`quantplay lesson formats`).
pub struct Formats;

impl Lesson for Formats {
    const NAME: &'static str = "formats";
    type Input = Input;
    type Output = Output;

    fn run(input: &Input) -> Result<Output, Error> {
        if !input.value.is_finite() {
            return Err(Error::InvalidArgument {
                name: "value",
                value: input.value.to_string(),
                valid: "a finite number (a larger one overflows to inf on its own)".into(),
            });
        }
        let x = input.value as f32; // round to nearest even, as torch.tensor(value) does
        let curve = (-30..=20)
            .map(|k: i32| {
                let p = 2f32.powi(k);
                let at = |f: Format| {
                    let b = f.bits(p);
                    let v = f.value(b);
                    (v != 0.0).then(|| f.ulp(b)).flatten().map(f64::log2)
                };
                UlpPoint { log2_x: k, float16: at(FORMATS[1]), bfloat16: at(FORMATS[2]) }
            })
            .collect();
        Ok(Output {
            value: input.value,
            formats: FORMATS.iter().map(|&f| row(f, input.value, x)).collect(),
            ulp_curve: curve,
            gradients: gradients(input.grad_steps, input.loss_scale_log2)?,
        })
    }

    fn render(o: &Output) -> String {
        let mut s = format!("value {}\n", num64(o.value));
        for f in &o.formats {
            let d = f.dtype;
            s += &format!("{d} bits {} sign {} exponent {} mantissa {}\n", f.hex, f.sign, f.exponent, f.mantissa);
            s += &format!("{d} class {}\n{d} stored {}\n", f.class, show(&f.stored));
            s += &format!("{d} error {}\n{d} ulp {}\n", show(&f.error), show(&f.ulp));
            s += &format!("{d} max_normal {}\n{d} min_normal {}\n", num64(f.max_normal), num64(f.min_normal));
            s += &format!("{d} min_subnormal {}\n", num64(f.min_subnormal));
            s += &format!("{d} overflow_threshold {}\n", num64(f.overflow_threshold));
        }
        s += &o.gradients.render();
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(value: f64) -> Output {
        Formats::run(&Input { value, grad_steps: 2, loss_scale_log2: 16 }).unwrap()
    }

    #[test]
    fn the_lessons_f16_and_bf16_bits_are_torchs_on_every_fixture_value() {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/casts.json")).unwrap();
        let fx: serde_json::Value = serde_json::from_str(&text).unwrap();
        let col = |k: &str| fx[k].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u32).collect::<Vec<_>>();
        let (f32s, f16s, bf16s) = (col("f32"), col("f16"), col("bf16"));
        let mut checked = 0;
        for i in 0..f32s.len() {
            let x = f32::from_bits(f32s[i]);
            if x.is_finite() {
                assert_eq!(FORMATS[1].bits(x), f16s[i], "{x:e}");
                assert_eq!(FORMATS[2].bits(x), bf16s[i], "{x:e}");
                checked += 1;
            }
        }
        assert!(checked > 4000, "{checked}");
    }

    #[test]
    fn the_bits_ulps_and_ranges_are_torchs_for_the_lessons_fixture_inputs() {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/lessons_formats.json"))
                .unwrap();
        let fx: serde_json::Value = serde_json::from_str(&text).unwrap();
        let o = run(1.0);
        for f in &o.formats {
            let want = &fx["finfo"][f.dtype];
            let got = [f.max_normal, f.min_normal, f.min_subnormal];
            let want = ["max", "tiny", "smallest_subnormal"].map(|k| f64::from_bits(want[k].as_u64().unwrap()));
            assert_eq!(got, want, "{}", f.dtype);
        }
        for case in fx["values"].as_array().unwrap() {
            let o = run(case["x"].as_f64().unwrap());
            for (f, key, width) in [(&o.formats[0], "f32", 8), (&o.formats[1], "f16", 4), (&o.formats[2], "bf16", 4)] {
                let bits = case[key].as_u64().unwrap();
                assert_eq!(f.hex, format!("0x{bits:0width$x}"), "{case}");
                match case["ulp_log2"][f.dtype].as_i64() {
                    Some(e) => assert_eq!(f.ulp.as_f64(), Some(2f64.powi(e as i32)), "{case} {}", f.dtype),
                    // torch's next value is inf: inf itself (no ulp) or the largest finite value,
                    // where the lesson gives the step below instead.
                    None => assert!(f.ulp.is_null() || f.stored.as_f64() == Some(f.max_normal), "{case}"),
                }
            }
        }
    }

    #[test]
    fn the_ranges_are_torch_finfos() {
        let o = run(1.0);
        // torch.finfo(torch.float16): max 65504, tiny 6.103515625e-05, smallest_subnormal 2**-24.
        let h = &o.formats[1];
        assert_eq!((h.max_normal, h.min_normal, h.min_subnormal), (65504.0, 2f64.powi(-14), 2f64.powi(-24)));
        assert_eq!(h.overflow_threshold, 65520.0);
        // torch.finfo(torch.bfloat16): max 3.3895313892515355e+38, tiny 2**-126, smallest_subnormal 2**-133.
        let b = &o.formats[2];
        assert_eq!(
            (b.max_normal, b.min_normal, b.min_subnormal),
            (3.3895313892515355e38, 2f64.powi(-126), 2f64.powi(-133))
        );
        assert_eq!(o.formats[0].max_normal, f32::MAX as f64);
        assert_eq!((h.hex.as_str(), h.exponent.as_str(), h.ulp.as_f64()), ("0x3c00", "01111", Some(2f64.powi(-10))));
        assert_eq!((b.hex.as_str(), b.ulp.as_f64()), ("0x3f80", Some(2f64.powi(-7))));
    }

    #[test]
    fn a_tenth_rounds_differently_in_each_format_and_big_values_overflow_f16_only() {
        let o = run(0.1);
        assert_eq!(o.formats[0].stored.as_f64(), Some(0.1f32 as f64));
        assert_eq!(o.formats[1].stored.as_f64(), Some(0.0999755859375)); // torch.tensor(0.1).half()
        assert_eq!(o.formats[2].stored.as_f64(), Some(0.10009765625)); // torch.tensor(0.1).bfloat16()
        let o = run(70000.0);
        assert_eq!((o.formats[1].class, show(&o.formats[1].stored)), ("inf", "Infinity".to_string()));
        assert_eq!(o.formats[1].ulp, Value::Null);
        assert_eq!(o.formats[2].stored.as_f64(), Some(70144.0));
        let o = run(1e-6);
        assert_eq!((o.formats[1].class, o.formats[1].unbiased_exponent), ("subnormal", Some(-14)));
        assert_eq!(o.formats[1].ulp.as_f64(), Some(2f64.powi(-24)));
        let curve = &o.ulp_curve;
        assert_eq!(curve.iter().find(|p| p.log2_x == -20).unwrap().float16, Some(-24.0)); // subnormal step
        assert_eq!(curve.iter().find(|p| p.log2_x == 0).unwrap().float16, Some(-10.0));
        assert_eq!(curve.iter().find(|p| p.log2_x == 16).unwrap().float16, None); // 65536 → inf
        assert_eq!(curve.iter().find(|p| p.log2_x == 0).unwrap().bfloat16, Some(-7.0));
        let e = Formats::run(&Input { value: f64::NAN, grad_steps: 1, loss_scale_log2: 0 });
        assert!(e.unwrap_err().to_string().contains("finite number"));
    }
}
