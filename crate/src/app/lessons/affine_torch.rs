//! Lesson 1 against torch: for every case of `tests/fixtures/lessons_affine.json` (written by
//! `tests/fixtures/gen_lessons_affine.py`), the lesson's scale, zero point, quant range, codes and
//! dequantized values equal torch's bit for bit, and the worked steps end at the same qparams.

use super::affine::{Affine, Input};
use super::Lesson;
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    values: Vec<u32>,
    dtype: String,
    qscheme: String,
    reduce_range: bool,
    quant_min: i32,
    quant_max: i32,
    scale: u32,
    zero_point: i32,
    codes: Vec<i32>,
    dequantized: Vec<u32>,
}

#[derive(Deserialize)]
struct Fixture {
    cases: Vec<Case>,
}

#[test]
fn lesson_affine_matches_torch_scale_zero_point_and_codes() {
    let fx: Fixture = serde_json::from_str(include_str!("../../../../tests/fixtures/lessons_affine.json")).unwrap();
    assert!(fx.cases.len() >= 30, "{} cases", fx.cases.len());
    for c in &fx.cases {
        let input = Input {
            values: c.values.iter().map(|&b| f32::from_bits(b)).collect(),
            dtype: c.dtype.clone(),
            qscheme: c.qscheme.clone(),
            reduce_range: c.reduce_range,
        };
        let what = format!("{:?} {} {} reduce_range={}", input.values, c.dtype, c.qscheme, c.reduce_range);
        let o = Affine::run(&input).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!((o.quant_min, o.quant_max), (c.quant_min, c.quant_max), "{what}");
        assert_eq!(o.scale.to_bits(), c.scale, "{what}: scale {} vs torch {}", o.scale, f32::from_bits(c.scale));
        assert_eq!(o.zero_point, c.zero_point, "{what}");
        assert_eq!((o.steps.scale.to_bits(), o.steps.zero_point), (c.scale, c.zero_point), "{what}: steps");
        let codes: Vec<i32> = o.rows.iter().map(|r| r.code).collect();
        assert_eq!(codes, c.codes, "{what}");
        let dq: Vec<u32> = o.rows.iter().map(|r| r.dequantized.to_bits()).collect();
        assert_eq!(dq, c.dequantized, "{what}");
    }
}

#[test]
fn symmetric_steps_use_half_the_code_range_and_a_fixed_zero_point() {
    let run = |dtype: &str| {
        Affine::run(&Input {
            values: vec![-1.2, 0.3, 0.8],
            dtype: dtype.into(),
            qscheme: "per_tensor_symmetric".into(),
            reduce_range: false,
        })
        .unwrap()
    };
    let (u, s) = (run("quint8"), run("qint8"));
    assert_eq!((u.steps.denominator, u.steps.zero_point, u.steps.rounded), (127.5, 128, None));
    assert_eq!((s.steps.denominator, s.steps.zero_point), (127.5, 0));
    assert_eq!(u.steps.numerator, 1.2);
    assert!(Affine::render(&u).contains("zero_point_rule quint8: 128\n"));
    assert!(!Affine::render(&u).contains("min_neg/scale"), "no affine zero-point step when symmetric");
}
