//! The quantization report lists every quantized layer torch's converted model has — the ones
//! without int8 weights too (`QuantizedBatchNorm2d` in the unfused CNN, each `Quantize` of a
//! QuantStub) — in forward order, with torch's output qparams and each layer's float bias.
//! The flow runs on the host (as in `eager.rs`); the report's quantized trace on the backend.

use super::eager::{field, our_flow, CNN, GEMM_ULPS, MLP, NESTED};
use super::fixture::{f32_of, f32s, i32_of, tensor};
use quantplay::quant::eager::report;
use quantplay::Backend;
use serde_json::Value;

fn ulps(a: f32, b: f32) -> u32 {
    (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs() as u32
}

pub async fn the_report_lists_every_quantized_layer_with_torchs_qparams_and_bias<B: Backend>(b: &B) {
    let mut weightless = 0;
    for text in [MLP, CNN, NESTED] {
        let file: Value = serde_json::from_str(text).unwrap();
        for case in file["cases"].as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            let exp = &case["expected"];
            let (p, c) = our_flow(&file, case);
            let (calib, cs) = tensor(field(&file, case, "calib"));
            let (eval, es) = tensor(field(&file, case, "eval"));
            let r =
                report::build(b, &p, &c.model, vec![], vec![], (&calib, &cs), (&eval, &es), None, false).await.unwrap();
            // Each Quantize first, with the QuantStub's qparams; then torch's layers, in order.
            let quantize: Vec<_> = r.layers.iter().filter(|l| l.kind == "Quantize").collect();
            assert!(!quantize.is_empty(), "{name}: no Quantize listed");
            assert_eq!(quantize[0].output_scale.to_bits(), f32_of(&exp["input"]["scale"]).to_bits(), "{name}");
            assert_eq!(quantize[0].output_zero_point, i32_of(&exp["input"]["zero_point"]), "{name}");
            assert!(quantize.iter().all(|l| l.input_scale.is_none() && l.weight_qscheme.is_none()), "{name}");
            let ours: Vec<_> = r.layers.iter().filter(|l| l.kind != "Quantize").collect();
            let torch = exp["layers"].as_array().unwrap();
            let names = |v: Vec<(&str, &str)>| v.into_iter().map(|(a, b)| format!("{a}:{b}")).collect::<Vec<_>>();
            assert_eq!(
                names(ours.iter().map(|l| (l.name.as_str(), l.kind.as_str())).collect()),
                names(torch.iter().map(|l| (l["name"].as_str().unwrap(), l["kind"].as_str().unwrap())).collect()),
                "{name}: layer list"
            );
            for (l, t) in ours.iter().zip(torch) {
                let what = format!("{name} {}", l.name);
                // Output scales sit behind float GEMMs: within GEMM_ULPS of torch's (see eager.rs).
                assert!(ulps(l.output_scale, f32_of(&t["output_scale"])) <= GEMM_ULPS, "{what}: output scale");
                assert!((l.output_zero_point - i32_of(&t["output_zero_point"])).abs() <= 1, "{what}: zero point");
                assert!(l.input_scale.is_some(), "{what}: a quantized op's input is quantized");
                match &t["weight_codes"] {
                    Value::Null => {
                        weightless += 1;
                        assert!(
                            l.weight_qscheme.is_none() && l.weight_histogram.is_empty() && l.bias.is_none(),
                            "{what}"
                        );
                    }
                    _ => {
                        assert!(l.weight_qscheme.is_some() && l.weight_histogram.len() == 256, "{what}");
                        let want = if t["bias"].is_null() { None } else { Some(f32s(&t["bias"])) };
                        let bits = |v: &Option<Vec<f32>>| {
                            v.as_ref().map(|v| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>())
                        };
                        assert_eq!(bits(&l.bias), bits(&want), "{what}: bias");
                    }
                }
            }
        }
    }
    assert!(weightless >= 2, "the fixtures' unfused CNN has QuantizedBatchNorm2d layers; saw {weightless}");
}
