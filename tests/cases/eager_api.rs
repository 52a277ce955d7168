//! The eager-mode API's seed cases beyond the golden numbers: inplace vs copy, a custom
//! mapping, run_fn receiving run_args, bad inputs (each a named error or torch's warning, with
//! the model left unchanged; torch's own messages are in tests/fixtures/eager_errors.json) and
//! the int8 file round trip.

use super::eager::{field, model_of, MLP, NESTED};
use super::fixture::{self, tensor};
use quantplay::model::forward::Act;
use quantplay::model::fuse::fuse_modules;
use quantplay::model::{int8, spec, Kind, Model};
use quantplay::quant::eager::{convert, prepare, quantize, report, Mapping, Prepared, QConfigDict};
use quantplay::quant::qconfig::qconfig_by_name;
use quantplay::quant::QParams;
use quantplay::Backend;
use serde_json::Value;

fn first_case(text: &str, name: &str) -> (Value, Value) {
    let file: Value = serde_json::from_str(text).unwrap();
    let case = file["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no case {name}"))
        .clone();
    (file, case)
}

fn calib(file: &Value, case: &Value) -> (Vec<f32>, Vec<usize>) {
    tensor(field(file, case, "calib"))
}

fn err_text<T: std::fmt::Debug>(r: quantplay::Result<T>) -> String {
    r.expect_err("expected an error").to_string()
}

pub fn quantize_leaves_the_callers_model_untouched_unless_inplace() {
    let (file, case) = first_case(MLP, "mlp unfused x86");
    let (x, shape) = calib(&file, &case);
    let original = model_of(&file, &case);
    let mut model = original.clone();
    let run = |p: &mut Prepared, (x, s): &(Vec<f32>, Vec<usize>)| p.calibrate(x, s, 8);
    let c = quantize(&mut model, run, &(x.clone(), shape.clone()), &Mapping::default(), &QConfigDict::default(), false)
        .unwrap();
    assert_eq!(model, original, "inplace = false changed the caller's model");
    assert!(c.model.leaves().iter().any(|(_, m)| m.kind.type_name() == "QuantizedLinear"));
    let c2 = quantize(&mut model, run, &(x, shape), &Mapping::default(), &QConfigDict::default(), true).unwrap();
    assert_eq!(model, c2.model, "inplace = true must leave the converted model in the caller's variable");
    assert_ne!(model, original);
}

pub fn run_fn_receives_run_args_and_sees_the_prepared_model() {
    let (file, case) = first_case(MLP, "mlp unfused x86");
    let (x, shape) = calib(&file, &case);
    let mut model = model_of(&file, &case);
    struct Args {
        x: Vec<f32>,
        shape: Vec<usize>,
        batch: usize,
    }
    let mut calls = 0;
    let run_fn = |p: &mut Prepared, a: &Args| {
        calls += 1;
        assert_eq!(a.batch, 4);
        assert_eq!(p.observers.len(), 4, "QuantStub + three Linears observed");
        p.calibrate(&a.x, &a.shape, a.batch)
    };
    quantize(&mut model, run_fn, &Args { x, shape, batch: 4 }, &Mapping::default(), &QConfigDict::default(), false)
        .unwrap();
    assert_eq!(calls, 1);
}

pub async fn a_custom_mapping_leaves_unmapped_modules_float_and_lists_them<B: Backend>(b: &B) {
    let (file, case) = first_case(MLP, "mlp fused x86");
    let (x, shape) = calib(&file, &case);
    let m = model_of(&file, &case);
    let mut p = prepare(&m, &QConfigDict::default()).unwrap();
    p.calibrate(&x, &shape, 8).unwrap();
    // Without Linear, fc3 (a plain Linear after two LinearReLUs) stays float.
    let mapping = Mapping::custom(&[
        ("QuantStub", "Quantize"),
        ("DeQuantStub", "DeQuantize"),
        ("LinearReLU", "QuantizedLinearReLU"),
    ])
    .unwrap();
    let c = convert(&p, &mapping).unwrap();
    assert_eq!(c.float_modules, vec![("fc3".to_string(), "Linear".to_string())]);
    assert_eq!(c.model.get("fc3").unwrap().kind.type_name(), "Linear");
    assert_eq!(c.model.get("fc1").unwrap().kind.type_name(), "QuantizedLinearReLU");
    // fc3 then receives quint8 codes: a readable error, as torch's float Linear cannot take them.
    let e = err_text(quantplay::model::forward::forward(b, &c.model, b.upload(&x, &shape).unwrap()));
    assert!(e.contains("fc3") && e.contains("DeQuantStub"), "{e}");
    let bad = err_text(Mapping::custom(&[("Linear", "ReLU")]));
    assert!(bad.contains("Linear → ReLU") && bad.contains("Linear → QuantizedLinear"), "{bad}");
}

pub async fn bad_inputs_get_named_errors_and_leave_the_model_unchanged<B: Backend>(b: &B) {
    let (file, case) = first_case(MLP, "mlp unfused x86");
    let (x, shape) = calib(&file, &case);
    let m = model_of(&file, &case);
    // Fuse groups torch rejects.
    for (group, want) in [
        (vec!["fc1", "fc2"], "did not find fuser method for: (Linear, Linear)"),
        (vec!["relu1", "fc2"], "(ReLU, Linear)"),
        (vec!["fc1", "nope"], "no module at this path"),
    ] {
        let g: Vec<String> = group.iter().map(|s| s.to_string()).collect();
        let mut copy = m.clone();
        let e = err_text(quantplay::model::fuse::fuse_modules_inplace(&mut copy, &[g]));
        assert!(e.contains(want), "{e}");
        assert_eq!(copy, m, "a failed fuse changed the model");
    }
    // Unknown qconfig backend.
    let e = err_text(qconfig_by_name("bogus"));
    assert!(e.contains("bogus") && e.contains("x86") && e.contains("qnnpack"), "{e}");
    let mut bogus = m.clone();
    bogus.root.qconfig = spec::QConfigAttr::Named("bogus".into());
    assert!(err_text(prepare(&bogus, &QConfigDict::default())).contains("bogus"));
    // NaN / inf in calibration data: an error, observers unchanged.
    let mut p = prepare(&m, &QConfigDict::default()).unwrap();
    p.calibrate(&x, &shape, 8).unwrap();
    let before: Vec<(Vec<f32>, Vec<f32>)> = p.observers.values().map(|o| (o.min_val(), o.max_val())).collect();
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let mut y = x.clone();
        y[5] = bad;
        let e = err_text(p.calibrate(&y, &shape, 8));
        assert!(e.contains(&bad.to_string()) && e.contains("finite"), "{e}");
    }
    let after: Vec<(Vec<f32>, Vec<f32>)> = p.observers.values().map(|o| (o.min_val(), o.max_val())).collect();
    assert_eq!(before, after, "a rejected batch changed the observers");
    // Shape mismatch between data and model.
    let e = err_text(p.calibrate(&x[..8 * 15], &[8, 15], 8));
    assert!(e.contains("(8, 15)") && e.contains("16"), "{e}");
    // Empty calibration set.
    assert!(err_text(p.calibrate(&[], &[0, 16], 8)).contains("empty calibration set"));
    // A quantized module fed float input: the QuantStub is missing.
    let c = convert(&p, &Mapping::default()).unwrap();
    let mut no_stub = c.model.clone();
    no_stub.get_mut("quant").unwrap().kind = Kind::Identity;
    let e = err_text(quantplay::model::forward::forward(b, &no_stub, b.upload(&x, &shape).unwrap()));
    assert!(e.contains("fc1") && e.contains("QuantStub missing"), "{e}");
    // No module got a qconfig: torch's warning.
    let mut none = m.clone();
    none.root.qconfig = spec::QConfigAttr::None;
    let pn = prepare(&none, &QConfigDict::default()).unwrap();
    assert!(pn.warnings.iter().any(|w| w.contains("None of the submodule got qconfig applied")));
    assert!(pn.observers.is_empty());
}

pub fn convert_without_calibration_warns_and_uses_scale_one_zero_point_zero() {
    let (file, case) = first_case(MLP, "mlp unfused x86");
    let p = prepare(&model_of(&file, &case), &QConfigDict::default()).unwrap();
    let c = convert(&p, &Mapping::default()).unwrap();
    assert!(
        c.warnings.iter().any(|w| w.contains("must run observer before calling calculate_qparams")),
        "{:?}",
        c.warnings
    );
    for (_, m) in c.model.leaves() {
        match &m.kind {
            Kind::Quantize(QParams::PerTensor { scale, zero_point, .. }) => assert_eq!((*scale, *zero_point), (1.0, 0)),
            Kind::QuantizedLinear(l) => assert_eq!((l.scale, l.zero_point), (1.0, 0)),
            _ => {}
        }
    }
}

pub fn nested_models_propagate_qconfig_overrides_as_torch_does() {
    let file: Value = serde_json::from_str(NESTED).unwrap();
    for case in file["cases"].as_array().unwrap() {
        let m = model_of(&file, case);
        let p = prepare(&m, &QConfigDict::default()).unwrap();
        let want: Vec<String> = case["expected"]["observers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["path"].as_str().unwrap().trim_end_matches(".activation_post_process").to_string())
            .collect();
        let mut want = want;
        want.sort();
        assert_eq!(p.observers.keys().cloned().collect::<Vec<_>>(), want, "{}", case["name"]);
    }
}

pub async fn int8_model_files_load_back_and_give_the_same_outputs<B: Backend>(b: &B) {
    let (file, case) = first_case(MLP, "mlp fused x86");
    let (x, shape) = calib(&file, &case);
    let m = fuse_modules(&model_of(&file, &case), &[]).unwrap();
    let mut p = prepare(&m, &QConfigDict::default()).unwrap();
    p.calibrate(&x, &shape, 8).unwrap();
    let c = convert(&p, &Mapping::default()).unwrap();
    let bytes = int8::save(&c.model).unwrap();
    let back: Model = int8::load(&bytes).unwrap();
    assert_eq!(back.leaves().len(), c.model.leaves().len());
    let a = report::quant_trace(b, &c.model, &x, &shape).await.unwrap();
    let r = report::quant_trace(b, &back, &x, &shape).await.unwrap();
    assert_eq!(a.output_codes, r.output_codes);
    assert_eq!(
        a.output.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        r.output.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
    assert!(matches!(
        quantplay::model::forward::forward(b, &back, b.upload(&x, &shape).unwrap()).unwrap(),
        Act::Float(_)
    ));
    assert!(err_text(int8::load(b"not a file")).contains("safetensors"));
}

pub const DYNAMIC: &str = include_str!("../fixtures/eager_dynamic.json");

pub async fn quantize_dynamic_matches_torch_weights_and_outputs<B: Backend>(b: &B) {
    use quantplay::parity::{compare, EXACT, F32_DYNAMIC_LINEAR};
    use quantplay::quant::eager::quantize_dynamic;
    use quantplay::quant::qconfig::{default_dynamic_qconfig, per_channel_dynamic_qconfig};
    let file: Value = serde_json::from_str(DYNAMIC).unwrap();
    for case in file["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let m = model_of(&file, case);
        let qc = if case["config"]["qconfig"] == "per_channel" {
            per_channel_dynamic_qconfig()
        } else {
            default_dynamic_qconfig()
        };
        let (q, swapped) = quantize_dynamic(&m, &qc, &["Linear", "LinearReLU"]).unwrap();
        let layers = case["expected"]["layers"].as_array().unwrap();
        assert_eq!(swapped.len(), layers.len(), "{name}");
        for l in layers {
            let path = l["name"].as_str().unwrap();
            let k = &q.get(path).unwrap().kind;
            assert_eq!(k.type_name(), l["kind"].as_str().unwrap(), "{name}: {path}");
            let Kind::DynamicQuantizedLinear(d) = k else { unreachable!() };
            let codes: Vec<i64> = d.weight_codes.iter().map(|&c| c as i64).collect();
            let want = fixture::i64s(&l["weight_codes"]);
            assert_eq!(codes, want, "{name}: {path} weight codes");
        }
        let (x, shape) = tensor(field(&file, case, "eval"));
        let out = match quantplay::model::forward::forward_async(b, &q, b.upload(&x, &shape).unwrap()).await.unwrap() {
            Act::Float(t) => b.read(&t).await.unwrap(),
            Act::Quant(..) => panic!("{name}: dynamic models output float"),
        };
        let want = fixture::f32s(&case["expected"]["output"]);
        let tol = if b.name() == "cpu" { EXACT } else { F32_DYNAMIC_LINEAR };
        let a = compare(&out, &want, tol);
        assert!(
            a.ok(),
            "{}: {name}: {} of {} outputs off torch's; worst {}",
            b.name(),
            a.mismatches,
            a.len,
            a.max_abs_diff
        );
    }
}

pub fn observer_comparison_reproduces_each_observers_torch_qparams() {
    use quantplay::quant::eager::inspect::{activation_histograms, observer_comparison};
    let file: Value = serde_json::from_str(MLP).unwrap();
    let case = |n: &str| file["cases"].as_array().unwrap().iter().find(|c| c["name"] == n).unwrap().clone();
    let base = case("mlp fused x86");
    let (x, shape) = calib(&file, &base);
    let mut p = prepare(&model_of(&file, &base), &QConfigDict::default()).unwrap();
    for i in 0..4 {
        p.observe(&x[i * 8 * 16..(i + 1) * 8 * 16], &[8, 16]).unwrap();
    }
    let rows = quantplay::backend::ready(observer_comparison(
        &quantplay::CpuFast,
        &p,
        &qconfig_by_name("x86").unwrap(),
        &x,
        &shape,
        8,
    ))
    .unwrap();
    assert_eq!(rows.len(), 4 * 3, "QuantStub + 3 layers, 3 observers each");
    for (obs, name) in [
        ("minmax", "mlp fused x86 observer=minmax"),
        ("moving_average", "mlp fused x86 observer=moving_average"),
        ("histogram", "mlp fused x86"),
    ] {
        let c = case(name);
        for l in c["expected"]["layers"].as_array().unwrap() {
            let r = rows.iter().find(|r| r.name == l["name"].as_str().unwrap() && r.observer == obs).unwrap();
            let (ts, tz) = (fixture::f32_of(&l["output_scale"]), fixture::i32_of(&l["output_zero_point"]));
            if r.name == "quant" {
                // The QuantStub observes the data itself: exact everywhere.
                assert_eq!((r.scale.to_bits(), r.zero_point), (ts.to_bits(), tz), "{obs} {}", r.name);
            } else {
                // Layer outputs come from a float GEMM whose summation order differs between
                // targets (matrixmultiply's AVX/FMA kernel natively, scalar/simd128 in wasm),
                // so, as in the golden flow test, scales are held within GEMM_ULPS of torch's.
                let ulps = (r.scale.to_bits() as i64 - ts.to_bits() as i64).unsigned_abs();
                assert!(
                    ulps <= super::eager::GEMM_ULPS as u64 && (r.zero_point - tz).abs() <= 1,
                    "{obs} {}: {}/{} vs torch {ts}/{tz}",
                    r.name,
                    r.scale,
                    r.zero_point
                );
            }
            assert!(r.sqnr_db.is_finite() && r.sqnr_db > 10.0 && (0.0..=100.0).contains(&r.clip_percent), "{r:?}");
        }
    }
    // MinMax never clips its own calibration data; the histogram observer may.
    assert!(rows.iter().filter(|r| r.observer == "minmax").all(|r| r.clip_percent == 0.0));
    let hists = quantplay::backend::ready(activation_histograms(&quantplay::CpuFast, &p, &x, &shape)).unwrap();
    assert_eq!(hists.len(), 4);
    for h in &hists {
        assert_eq!(
            h.counts.iter().sum::<u32>() as usize,
            if h.name == "quant" { x.len() } else { h.counts.iter().sum::<u32>() as usize }
        );
        assert!(h.clip_lo <= 0.0 && h.clip_hi > 0.0 && h.lo <= h.clip_lo.min(0.0) + 1e-6, "{h:?}");
    }
}
