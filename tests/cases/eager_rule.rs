//! The README's exactness rule for the whole eager flow against torch, measured on every eager
//! fixture (MLP, CNN, nested, boundaries): weights, biases and the QuantStub's qparams are
//! bit-exact (asserted in `eager.rs`); an output scale behind a float Linear or Conv may sit up to
//! [`GEMM_ULPS`] ulps from torch's (MKL / oneDNN sum in another, CPU-dependent order), its zero
//! point ±1, and the model's output codes ±1. The figures actually seen are printed, so the
//! README's numbers can be re-measured with `--nocapture`.

use super::eager::*;
use super::fixture::{f32_of, i32_of, i32s, tensor};
use quantplay::model::Kind;

fn ulps(a: f32, b: f32) -> u32 {
    (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs() as u32
}

fn output_qparams(k: &Kind) -> Option<(f32, i32)> {
    match k {
        Kind::QuantizedLinear(l) => Some((l.scale, l.zero_point)),
        Kind::QuantizedConv2d(c) => Some((c.scale, c.zero_point)),
        _ => None,
    }
}

pub fn our_flow_stays_within_the_readme_rule_of_torchs_scales_and_codes() {
    let (mut layers, mut exact, mut worst_ulps, mut zp_off) = (0, 0, 0, 0);
    let (mut codes, mut codes_off, mut worst_code, mut cases) = (0, 0, 0, 0);
    for text in [MLP, CNN, NESTED, BOUNDARIES] {
        let file: serde_json::Value = serde_json::from_str(text).unwrap();
        for case in file["cases"].as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            let exp = &case["expected"];
            let (_, c) = our_flow(&file, case);
            for l in exp["layers"].as_array().unwrap() {
                let path = l["name"].as_str().unwrap();
                let Some((s, z)) = c.model.get(path).and_then(|m| output_qparams(&m.kind)) else { continue };
                let (d, dz) = (ulps(s, f32_of(&l["output_scale"])), z - i32_of(&l["output_zero_point"]));
                assert!(d <= GEMM_ULPS && dz.abs() <= 1, "{name}: {path}: scale {d} ulps, zero point {dz} off");
                layers += 1;
                exact += usize::from(d == 0 && dz == 0);
                worst_ulps = worst_ulps.max(d);
                zp_off += usize::from(dz != 0);
            }
            let (x, shape) = tensor(field(&file, case, "eval"));
            let t = quantplay::backend::ready(quantplay::quant::eager::report::quant_trace(
                &quantplay::CpuReference,
                &c.model,
                &x,
                &shape,
            ))
            .unwrap();
            let want = i32s(&exp["output_codes"]);
            assert_eq!(t.output_codes.len(), want.len(), "{name}");
            for (a, b) in t.output_codes.iter().zip(&want) {
                let d = (a - b).abs();
                assert!(d <= 1, "{name}: an output code {a} vs torch's {b}");
                codes_off += usize::from(d != 0);
                worst_code = worst_code.max(d);
            }
            codes += want.len();
            cases += 1;
        }
    }
    println!(
        "eager flow vs torch, {cases} cases: {exact} of {layers} output qparams bit-exact, worst scale {worst_ulps} ulp(s), \
         {zp_off} zero points off; {codes_off} of {codes} output codes differ (worst {worst_code})"
    );
    assert!(layers > 50 && codes > 1000, "the fixtures were read");
}
