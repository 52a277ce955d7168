//! torch's error and warning cases for the eager flow (`tests/fixtures/eager_errors.json`,
//! written by `gen_eager_errors.py`), replayed one by one: where torch raises, quantplay returns
//! a named error that carries the bad value (and the valid ones); where torch returns numbers,
//! quantplay returns the same bits. Each fixture case must be handled here by name, so a new
//! case in the generator fails this test until it is mapped. Documented differences (see the
//! README's observer section) are asserted as such, not skipped.

use super::eager::{field, model_of, MLP};
use super::fixture::{i32_of, tensor, u32_of};
use quantplay::model::fuse::fuse_modules;
use quantplay::quant::eager::{convert, prepare, Mapping, QConfigDict};
use quantplay::quant::observer::{MinMaxObserver, ObserverArgs};
use quantplay::quant::qconfig::{qconfig_by_name, ObserverKind, ObserverSpec};
use quantplay::quant::{QParams, QuantDType};
use quantplay::Backend;
use serde_json::Value;

const ERRORS: &str = include_str!("../fixtures/eager_errors.json");

fn range(dtype: QuantDType, quant_min: i32, quant_max: i32) -> ObserverArgs {
    ObserverArgs { dtype, quant_min: Some(quant_min), quant_max: Some(quant_max), ..ObserverArgs::default() }
}

/// (scale, zero_point) of the converted model's Quantize and each quantized layer.
fn converted_qparams(c: &quantplay::quant::eager::Converted) -> Vec<(String, u32, i32)> {
    use quantplay::model::Kind;
    c.model
        .leaves()
        .into_iter()
        .filter_map(|(path, m)| match &m.kind {
            Kind::Quantize(QParams::PerTensor { scale, zero_point, .. }) => {
                Some(("input".to_string(), scale.to_bits(), *zero_point))
            }
            Kind::QuantizedLinear(l) => Some((path, l.scale.to_bits(), l.zero_point)),
            _ => None,
        })
        .collect()
}

fn torch_qparams(r: &Value) -> Vec<(String, u32, i32)> {
    let mut v = vec![("input".to_string(), u32_of(&r["input"]["scale"]), i32_of(&r["input"]["zero_point"]))];
    for l in r["layers"].as_array().unwrap() {
        v.push((l["name"].as_str().unwrap().into(), u32_of(&l["output_scale"]), i32_of(&l["output_zero_point"])));
    }
    v
}

pub async fn eager_errors_follow_torchs_cases_one_by_one<B: Backend>(b: &B) {
    let file: Value = serde_json::from_str(ERRORS).unwrap();
    let mlp_file: Value = serde_json::from_str(MLP).unwrap();
    let case = |n: &str| mlp_file["cases"].as_array().unwrap().iter().find(|c| c["name"] == n).unwrap().clone();
    let (unfused, default_unfused) = (case("mlp unfused x86"), case("mlp unfused default"));
    let m = model_of(&mlp_file, &unfused);
    let (x, shape) = tensor(field(&mlp_file, &unfused, "calib"));
    let err = |r: quantplay::Result<()>| r.expect_err("torch raises here; quantplay must return an error").to_string();
    let mut seen = 0;
    for c in file["errors"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let torch_raises = !c["error_type"].is_null();
        let groups = |g: &[&str]| vec![g.iter().map(|s| s.to_string()).collect::<Vec<_>>()];
        match name {
            "fuse (Linear, Linear)" | "fuse (ReLU, Linear)" | "fuse missing path" => {
                let g: &[&str] = match name {
                    "fuse (Linear, Linear)" => &["fc1", "fc2"],
                    "fuse (ReLU, Linear)" => &["relu1", "fc2"],
                    _ => &["fc1", "nope"],
                };
                let e = err(fuse_modules(&m, &groups(g)).map(|_| ()));
                let want = if name == "fuse missing path" { "nope" } else { "did not find fuser method for" };
                assert!(e.contains(want), "{name}: {e}");
            }
            // quantplay's module tree has no train/eval flag: fuse_modules always folds as in
            // eval mode (torch's only legal case) and fuse_modules_qat is the training form.
            "fuse Conv-BN in train mode" => assert!(torch_raises),
            "unknown qconfig backend" => {
                let e = err(qconfig_by_name("bogus").map(|_| ()));
                for v in ["bogus", "fbgemm", "x86", "qnnpack", "onednn"] {
                    assert!(e.contains(v), "{name}: {e}");
                }
            }
            "quant_min >= quant_max"
            | "quant_min == quant_max (0, 0)"
            | "quant range without 0"
            | "qint8 range > 256 values" => {
                let (dt, lo, hi) = match name {
                    "quant_min >= quant_max" => (QuantDType::QUInt8, 5, 5),
                    "quant_min == quant_max (0, 0)" => (QuantDType::QUInt8, 0, 0),
                    "quant range without 0" => (QuantDType::QUInt8, 1, 200),
                    _ => (QuantDType::QInt8, -200, 100),
                };
                let e = err(MinMaxObserver::new(range(dt, lo, hi)).map(|_| ()));
                let want = match name {
                    "quant_min == quant_max (0, 0)" => "strictly less",
                    "qint8 range > 256 values" => "256",
                    _ => "include 0",
                };
                assert!(e.contains(&format!("quant_min={lo}, quant_max={hi}")) && e.contains(want), "{name}: {e}");
            }
            // Documented difference: torch lets a quint8 range span 301 values; quantplay
            // holds every dtype to 256 (codes must fit the 8-bit storage).
            "quant range > 256 values (quint8)" => {
                assert!(!torch_raises);
                assert!(err(MinMaxObserver::new(range(QuantDType::QUInt8, 0, 300)).map(|_| ())).contains("256"));
            }
            "convert without calibration"
            | "convert without calibration (default qconfig)"
            | "empty calibration batch" => {
                let model = if name.contains("default") { model_of(&mlp_file, &default_unfused) } else { m.clone() };
                let mut p = prepare(&model, &QConfigDict::default()).unwrap();
                if name == "empty calibration batch" {
                    p.observe(&[], &[0, 16]).unwrap();
                }
                let conv = convert(&p, &Mapping::default()).unwrap();
                assert_eq!(converted_qparams(&conv), torch_qparams(&c["result"]), "{name}");
                assert!(
                    conv.warnings.iter().any(|w| w.contains("must run observer before calling calculate_qparams")),
                    "{name}: {:?}",
                    conv.warnings
                );
            }
            "min > max state" => {
                let mut o = MinMaxObserver::new(ObserverArgs::default()).unwrap();
                (o.min, o.max) = (2.0, 1.0);
                let e = o.calculate_qparams().map(|_| ()).unwrap_err().to_string();
                assert!(e.contains("min 2") && e.contains("max 1"), "{name}: {e}");
            }
            // Documented difference: torch propagates NaN/inf into NaN or inf scales (MinMax)
            // or fails inside histc (Histogram, NaN) or drops inf (Histogram); quantplay refuses
            // non-finite calibration data with an error naming the value and where it sits.
            "NaN in calibration (MinMax)"
            | "inf in calibration (MinMax)"
            | "NaN in calibration (Histogram)"
            | "inf in calibration (Histogram)" => {
                let kind = if name.contains("MinMax") {
                    ObserverKind::MinMaxObserver
                } else {
                    ObserverKind::HistogramObserver
                };
                let mut o = ObserverSpec::new(kind, ObserverArgs::default()).build().unwrap();
                let bad = if name.starts_with("NaN") { f32::NAN } else { f32::INFINITY };
                let e = o.forward(&[0.5, -1.0, bad, 2.0], &[4]).unwrap_err().to_string();
                assert!(e.contains(&bad.to_string()) && e.contains("index 2"), "{name}: {e}");
                if let Some(s) = c["result"]["scale"].as_array() {
                    // torch's own result is what quantplay refuses to produce: non-finite or
                    // silently clipped qparams.
                    assert!(!torch_raises && !s.is_empty());
                }
            }
            "shape mismatch" => {
                let mut p = prepare(&m, &QConfigDict::default()).unwrap();
                let e = err(p.calibrate(&x[..8 * 15], &[8, 15], 8));
                assert!(e.contains("(8, 15)") && e.contains("16"), "{name}: {e}");
            }
            "quantized module fed float (no QuantStub)"
            | "module left float by a custom mapping fed a quantized tensor" => {
                let mut p = prepare(&m, &QConfigDict::default()).unwrap();
                p.calibrate(&x, &shape, 8).unwrap();
                let conv = if name.starts_with("quantized") {
                    let mut c = convert(&p, &Mapping::default()).unwrap();
                    c.model.get_mut("quant").unwrap().kind = quantplay::model::Kind::Identity;
                    c
                } else {
                    convert(
                        &p,
                        &Mapping::custom(&[
                            ("QuantStub", "Quantize"),
                            ("DeQuantStub", "DeQuantize"),
                            ("LinearReLU", "QuantizedLinearReLU"),
                        ])
                        .unwrap(),
                    )
                    .unwrap()
                };
                let e = quantplay::model::forward::forward(b, &conv.model, b.upload(&x, &shape).unwrap())
                    .map(|_| ())
                    .unwrap_err()
                    .to_string();
                let want = if name.starts_with("quantized") { "QuantStub missing" } else { "DeQuantStub" };
                assert!(e.contains("fc") && e.contains(want), "{name}: {e}");
            }
            "unsupported module type in a mapping" => {
                let e = err(Mapping::custom(&[("Linear", "ReLU")]).map(|_| ()));
                assert!(e.contains("Linear → ReLU") && e.contains("Linear → QuantizedLinear"), "{name}: {e}");
            }
            "no module got a qconfig" => {
                let mut none = m.clone();
                none.root.qconfig = quantplay::model::spec::QConfigAttr::None;
                let p = prepare(&none, &QConfigDict::default()).unwrap();
                assert!(p.observers.is_empty());
                let torch_warns = c["warnings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|w| w.as_str().unwrap_or("").contains("None of the submodule got qconfig applied"));
                assert!(
                    torch_warns && p.warnings.iter().any(|w| w.contains("None of the submodule got qconfig applied")),
                    "{:?}",
                    p.warnings
                );
            }
            other => panic!("eager_errors.json case {other:?} has no check here: map it to quantplay's call"),
        }
        seen += 1;
    }
    assert_eq!(seen, 23, "every fixture case checked");
}
