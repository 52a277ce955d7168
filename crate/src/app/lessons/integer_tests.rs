//! Lesson 4's numbers against torch (tests/fixtures/lessons_integer.json, written by
//! tests/fixtures/gen_lessons_integer.py) and against its own identities.

use super::*;
use serde_json::Value;

const FIXTURE: &str = include_str!("../../../../tests/fixtures/lessons_integer.json");

fn f32s(v: &Value) -> Vec<f32> {
    v.as_array().unwrap().iter().map(|b| f32::from_bits(b.as_u64().unwrap() as u32)).collect()
}

fn ints(v: &Value) -> Vec<i32> {
    v.as_array().unwrap().iter().map(|b| b.as_i64().unwrap() as i32).collect()
}

fn input(m: usize, k: usize, n: usize, per_channel: bool) -> Input {
    Input { seed: 0, batch: m, in_features: k, out_features: n, per_channel, row: m - 1, col: n - 1 }
}

#[test]
fn the_quantized_linear_codes_equal_torch_nnq_linear_bit_for_bit() {
    let fx: Value = serde_json::from_str(FIXTURE).unwrap();
    for c in fx["cases"].as_array().unwrap() {
        let (m, k, n) =
            (c["m"].as_u64().unwrap() as usize, c["k"].as_u64().unwrap() as usize, c["n"].as_u64().unwrap() as usize);
        let per_channel = c["per_channel"].as_bool().unwrap();
        let (x, w, b) = (f32s(&c["x_bits"]), f32s(&c["w_bits"]), f32s(&c["bias_bits"]));
        let y_scale = f32::from_bits(c["y_scale_bits"].as_u64().unwrap() as u32);
        let y_zp = c["y_zero_point"].as_i64().unwrap() as i32;
        let what = format!("m={m} k={k} n={n} per_channel={per_channel}");
        let o = compute(&input(m, k, n, per_channel), &x, &w, &b, Some((y_scale, y_zp))).unwrap();
        assert_eq!(o.x_scale.to_bits() as u64, c["x_scale_bits"].as_u64().unwrap(), "{what}: x_scale");
        assert_eq!(o.x_zero_point as i64, c["x_zero_point"].as_i64().unwrap(), "{what}: x_zero_point");
        let ws: Vec<u32> = o.w_scales.iter().map(|s| s.to_bits()).collect();
        let want: Vec<u32> = f32s(&c["w_scales_bits"]).iter().map(|s| s.to_bits()).collect();
        assert_eq!(ws, want, "{what}: weight scales");
        assert_eq!(o.codes, ints(&c["y_q"]), "{what}: nnq.Linear output codes");
        let e = &o.element;
        assert_eq!(e.x_codes, ints(&c["x_q"])[(m - 1) * k..m * k], "{what}: x codes");
        assert_eq!(e.w_codes, ints(&c["w_q"])[(n - 1) * k..n * k], "{what}: w codes");
        // The observer on our own float output picks torch's output qparams to within one ulp of
        // the scale: F.linear's f32 sums run in another order in torch's sgemm than in the CPU
        // reference, so the output's min/max can differ in the last bit.
        let own = compute(&input(m, k, n, per_channel), &x, &w, &b, None).unwrap();
        assert_eq!(own.y_zero_point, y_zp, "{what}: output zero_point from the float path");
        let ulps = (own.y_scale.to_bits() as i64 - y_scale.to_bits() as i64).abs();
        assert!(ulps <= 1, "{what}: output scale {} vs torch {y_scale} ({ulps} ulps)", own.y_scale);
        let float_y = f32s(&c["y_float_bits"]);
        let worst = own.element.float_y - float_y[m * n - 1];
        assert!(worst.abs() <= 1e-6, "{what}: float output {} vs torch {}", own.element.float_y, float_y[m * n - 1]);
    }
}

#[test]
fn the_shown_element_adds_up_as_the_formulas_say() {
    for per_channel in [false, true] {
        let i = Input { seed: 3, batch: 4, in_features: 24, out_features: 5, per_channel, row: 2, col: 3 };
        let o = Integer::run(&i).unwrap();
        let e = &o.element;
        let (k, zx, zw) = (24i64, o.x_zero_point as i64, e.w_zero_point as i64);
        // Σ(x−zx)(w−zw) = Σxw − zw·Σx − zx·Σw + k·zx·zw.
        assert_eq!(e.acc as i64, e.sum_xw - zw * e.sum_x - zx * e.sum_w + k * zx * zw);
        assert_eq!(e.code, e.backend_code, "requantize of one element = the backend's whole Linear");
        assert_eq!(e.code as i64, e.unclamped.clamp(0, 255));
        assert_eq!(e.multiplier, e.act_scale / o.y_scale);
        assert!((e.code - e.float_code).abs() <= 1, "integer {} vs float {}", e.code, e.float_code);
        assert!((e.dequantized - e.float_y).abs() <= o.y_scale, "within one output step");
        assert_eq!(o.w_scales.len(), if per_channel { 5 } else { 1 });
    }
}

#[test]
fn bad_sizes_and_elements_are_named_with_their_valid_range() {
    let mut i = Input { seed: 0, batch: 2, in_features: 8, out_features: 3, per_channel: false, row: 2, col: 0 };
    let msg = Integer::run(&i).unwrap_err().to_string();
    assert!(msg.contains("row") && msg.contains("0 to 1"), "{msg}");
    i.row = 0;
    i.in_features = 0;
    let msg = Integer::run(&i).unwrap_err().to_string();
    assert!(msg.contains("in_features") && msg.contains("1 to 256"), "{msg}");
}
