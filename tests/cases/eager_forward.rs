//! Golden bodies for converted models' forward against torch 2.15 (tests/fixtures/eager_*.json):
//! torch's own converted model rebuilt from its qparams and codes, run on every backend, must give
//! torch's quint8 codes (quantized BatchNorm2d included); the fbgemm-vs-x86 engine difference is
//! bounded.

use super::eager::*;
use super::fixture::{f32_of, f32s, i32_of, i32s, i8s, tensor, u8s};
use quantplay::model::forward::{forward, Act};
use quantplay::model::{Kind, Model};
use quantplay::quant::QParams;
use quantplay::{Backend, HostData};
use serde_json::Value;

/// Rebuilds torch's converted model from a case's expected layers (torch's qparams, codes,
/// biases), so the quantized forward can be checked on its own.
pub fn torch_converted(file: &Value, case: &Value) -> Model {
    let (_, c) = our_flow(file, case);
    let mut m = c.model;
    let exp = &case["expected"];
    for (path, module) in m.clone().leaves() {
        let new = match &module.kind {
            Kind::Quantize(_) => Kind::Quantize(QParams::PerTensor {
                scale: f32_of(&exp["input"]["scale"]),
                zero_point: i32_of(&exp["input"]["zero_point"]),
                dtype: quantplay::quant::QuantDType::QUInt8,
            }),
            k => {
                let Some(l) = exp["layers"].as_array().unwrap().iter().find(|l| l["name"] == path.as_str()) else {
                    continue;
                };
                let (s, z) = (f32_of(&l["output_scale"]), i32_of(&l["output_zero_point"]));
                if let Kind::QuantizedBatchNorm2d { bn, .. } = k {
                    m.get_mut(&path).unwrap().kind =
                        Kind::QuantizedBatchNorm2d { bn: bn.clone(), scale: s, zero_point: z };
                    continue;
                }
                let codes = i8s(&l["weight_codes"]);
                let scales = f32s(&l["weight_scale"]);
                let zps = i32s(&l["weight_zero_point"]);
                let wq = match l["weight_axis"].as_u64() {
                    Some(axis) => QParams::PerChannel {
                        scales,
                        zero_points: zps,
                        axis: axis as usize,
                        dtype: quantplay::quant::QuantDType::QInt8,
                    },
                    None => QParams::PerTensor {
                        scale: scales[0],
                        zero_point: zps[0],
                        dtype: quantplay::quant::QuantDType::QInt8,
                    },
                };
                let bias = (!l["bias"].is_null()).then(|| f32s(&l["bias"]));
                match k.clone() {
                    Kind::QuantizedLinear(mut q) => {
                        (q.weight_codes, q.weight_qparams, q.bias, q.scale, q.zero_point) = (codes, wq, bias, s, z);
                        Kind::QuantizedLinear(q)
                    }
                    Kind::QuantizedConv2d(mut q) => {
                        (q.weight_codes, q.weight_qparams, q.bias, q.scale, q.zero_point) = (codes, wq, bias, s, z);
                        Kind::QuantizedConv2d(q)
                    }
                    other => other,
                }
            }
        };
        m.get_mut(&path).unwrap().kind = new;
    }
    m
}

/// Our quantized conv is fbgemm's arithmetic. Engine x86 runs a conv with symmetric weights
/// through oneDNN, which the fixture's `engine_check` shows differs from fbgemm by one code on a
/// near-tie in exactly one configuration (unfused CNN, qnnpack qconfig): the output code
/// difference torch itself measured between its two engines for this case's config, else 0.
fn fbgemm_vs_x86_output_diff(file: &Value, case: &Value) -> i32 {
    let cfg = &case["config"];
    file["engine_check"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["engine"] == "fbgemm" && e["qconfig"] == cfg["qconfig"] && e["fuse"] == cfg["fuse"])
        .and_then(|e| {
            e["max_code_diff"].as_object().map(|m| m.values().filter_map(|v| v.as_i64()).max().unwrap_or(0) as i32)
        })
        .unwrap_or(0)
}

/// nnq.BatchNorm2d fed torch's own input codes (the preceding conv's `output_codes` on eval rows
/// [0:2]) gives torch's output codes bit for bit on `b`, for every unfused CNN case.
pub async fn check_quantized_batchnorm_file<B: Backend>(b: &B, text: &str) -> usize {
    let file: Value = serde_json::from_str(text).unwrap();
    let mut checked = 0;
    for case in file["cases"].as_array().unwrap() {
        let layers = case["expected"]["layers"].as_array().unwrap();
        let m = torch_converted(&file, case);
        for (i, l) in layers.iter().enumerate() {
            let Some(Kind::QuantizedBatchNorm2d { bn, .. }) = m.get(l["name"].as_str().unwrap()).map(|m| &m.kind)
            else {
                continue;
            };
            let prev = &layers[i - 1];
            let codes = u8s(&prev["output_codes"]);
            let c = bn.num_features;
            let hw = codes.len() / 2 / c;
            let side = (hw as f64).sqrt() as usize;
            let q = QParams::PerTensor {
                scale: f32_of(&prev["output_scale"]),
                zero_point: i32_of(&prev["output_zero_point"]),
                dtype: quantplay::quant::QuantDType::QUInt8,
            };
            let module = quantplay::model::Module {
                name: "bn".into(),
                kind: m.get(l["name"].as_str().unwrap()).unwrap().kind.clone(),
                qconfig: quantplay::model::spec::QConfigAttr::Inherit,
                children: vec![],
            };
            let x = b.upload_data(HostData::U8(codes), &[2, c, side, side]).unwrap();
            let Act::Quant(y, _) =
                quantplay::model::forward::run_leaf(b, "bn", &module, Act::Quant(x, q)).expect("qbn")
            else {
                panic!("quantized output")
            };
            let HostData::U8(got) = b.read_data(&y).await.unwrap() else { panic!("u8") };
            let got: Vec<i32> = got.iter().map(|&v| v as i32).collect();
            assert_eq!(got, i32s(&l["output_codes"]), "{}: {}: {} codes", b.name(), case["name"], l["name"]);
            checked += 1;
        }
    }
    checked
}

pub async fn quantized_batchnorm_gives_torch_codes_bit_for_bit<B: Backend>(b: &B) {
    assert_eq!(check_quantized_batchnorm_file(b, CNN).await, 6, "the three unfused CNN cases have two BatchNorms each");
}

async fn out_codes<B: Backend>(b: &B, m: &Model, x: &[f32], shape: &[usize]) -> Vec<i32> {
    let t = quantplay::quant::eager::report::quant_trace(b, m, x, shape).await.expect("quantized forward");
    t.output_codes
}

/// torch's converted model gives torch's output codes on `b`, for every case of a file.
pub async fn check_quantized_forward_file<B: Backend>(b: &B, text: &str) {
    let file: Value = serde_json::from_str(text).unwrap();
    for case in file["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (x, shape) = tensor(field(&file, case, "eval"));
        let m = torch_converted(&file, case);
        let got = out_codes(b, &m, &x, &shape).await;
        let want = i32s(&case["expected"]["output_codes"]);
        let diff = got.iter().zip(&want).filter(|(a, b)| a != b).count();
        let worst = got.iter().zip(&want).map(|(a, b)| (a - b).abs()).max().unwrap_or(0);
        let allowed = fbgemm_vs_x86_output_diff(&file, case);
        assert!(
            got.len() == want.len() && (diff == 0 || worst <= allowed),
            "{}: {name}: {diff} of {} output codes differ from torch's (worst {worst}, allowed {allowed})",
            b.name(),
            want.len()
        );
        let _ = forward(b, &m, b.upload(&x, &shape).unwrap()).map(|a| matches!(a, Act::Float(_))).expect("forward");
    }
}

pub fn eager_flow_matches_torch_on_mlp_cnn_and_nested_models() {
    for text in [MLP, CNN, NESTED, BOUNDARIES] {
        check_flow_file(text);
    }
}

pub async fn converted_models_give_torch_codes_on_every_backend<B: Backend>(b: &B) {
    for text in [MLP, CNN, NESTED, BOUNDARIES] {
        check_quantized_forward_file(b, text).await;
    }
}
