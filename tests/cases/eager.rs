//! Golden bodies for the eager-mode flow against torch 2.15 (tests/fixtures/eager_*.json, written
//! by tests/fixtures/gen_eager.py): fuse → prepare → calibrate → convert must give torch's
//! observers, qparams and int8 weight codes; the converted model must give torch's quint8 codes
//! on every backend. The flow itself runs on the host (calibration on the CPU); the backend under
//! test runs the quantized forward.

use super::fixture::{f32_of, i32_of, i32s, tensor, u32_of, u32s, usize_of};
use quantplay::model::fuse::fuse_modules;
use quantplay::model::state::{StateDict, Tensor};
use quantplay::model::{spec, Kind, Model};
use quantplay::quant::eager::{convert, prepare, Converted, Mapping, Prepared, QConfigDict};
use quantplay::quant::QParams;
use quantplay::HostData;
use serde_json::Value;

pub const MLP: &str = include_str!("../fixtures/eager_mlp.json");
pub const CNN: &str = include_str!("../fixtures/eager_cnn.json");
pub const NESTED: &str = include_str!("../fixtures/eager_nested.json");
pub const BOUNDARIES: &str = include_str!("../fixtures/eager_boundaries.json");

/// A fixture's `weights` map as a state_dict.
pub fn state(v: &Value) -> StateDict {
    let mut sd = StateDict::default();
    for (k, t) in v.as_object().expect("weights") {
        let (vals, shape) = tensor(t);
        sd.insert(k.clone(), Tensor::f32(&shape, vals));
    }
    sd
}

/// A field of the case, or of the file when the case does not carry its own (boundary cases
/// carry their own weights and data).
pub fn field<'a>(file: &'a Value, case: &'a Value, key: &str) -> &'a Value {
    if case.get(key).is_some() {
        &case[key]
    } else {
        &file[key]
    }
}

/// The case's model, fused when its config says so (checking the fold against torch's
/// `fused_weights` bit for bit).
pub fn model_of(file: &Value, case: &Value) -> Model {
    let s = spec::parse(&case["spec"].to_string()).expect("fixture spec parses");
    let m = Model::from_spec(&s, &state(field(file, case, "weights"))).expect("fixture weights load");
    if !case["config"]["fuse"].as_bool().unwrap_or(false) {
        return m;
    }
    let fused = fuse_modules(&m, &s.fuse).expect("fixture fuse groups fuse");
    let want = state(field(file, case, "fused_weights"));
    let got = fused.state_dict();
    for (k, t) in &want.tensors {
        let g = got.tensors.get(k).unwrap_or_else(|| panic!("{}: fused model lacks {k}", case["name"]));
        let (HostData::F32(a), HostData::F32(b)) = (&g.data, &t.data) else { panic!("f32") };
        let diff = a.iter().zip(b).filter(|(x, y)| x.to_bits() != y.to_bits()).count();
        assert_eq!(diff, 0, "{}: fused {k} differs from torch's in {diff} of {} values", case["name"], a.len());
    }
    fused
}

/// Runs our prepare → calibrate (torch's run_fn batching) → convert on a case.
pub fn our_flow(file: &Value, case: &Value) -> (Prepared, Converted) {
    let m = model_of(file, case);
    let dict = QConfigDict {
        observer: case["config"]["observer"].as_str().map(String::from),
        per_tensor_weights: case["config"]["per_tensor"].as_bool().unwrap_or(false),
        ..Default::default()
    };
    let mut p = prepare(&m, &dict).expect("prepare");
    let (x, shape) = tensor(field(file, case, "calib"));
    let run_fn = field(file, case, "run_fn");
    let bs = usize_of(&run_fn["batch_size"]);
    let n = usize_of(&run_fn["batches"]);
    let per = x.len() / shape[0];
    for i in 0..n {
        let mut s = shape.clone();
        s[0] = bs;
        p.observe(&x[i * bs * per..(i + 1) * bs * per], &s).expect("calibration batch");
    }
    let c = convert(&p, &Mapping::default()).expect("convert");
    (p, c)
}

/// A quantized layer's weight codes, weight qparams, bias, output scale and zero point.
type WeightOf<'a> = (&'a [i8], &'a QParams, &'a Option<Vec<f32>>, f32, i32);

fn weight_of(k: &Kind) -> Option<WeightOf<'_>> {
    match k {
        Kind::QuantizedLinear(l) => Some((&l.weight_codes, &l.weight_qparams, &l.bias, l.scale, l.zero_point)),
        Kind::QuantizedConv2d(c) => Some((&c.weight_codes, &c.weight_qparams, &c.bias, c.scale, c.zero_point)),
        _ => None,
    }
}

/// ulps between two positive f32.
fn ulps(a: f32, b: f32) -> u32 {
    (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs() as u32
}

/// Checks observers, qparams and weight codes of our flow against torch's, for every case of
/// one fixture file. Input-side values (the QuantStub's observer, weights) must be bit-exact;
/// outputs of float GEMMs may differ from MKL's summation order by a few ulps, so their
/// observers' min/max and the derived scales are checked within [`GEMM_ULPS`] ulps — and exactly
/// when the min/max agree.
pub fn check_flow_file(text: &str) {
    let file: Value = serde_json::from_str(text).unwrap();
    for case in file["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let exp = &case["expected"];
        let (p, c) = our_flow(&file, case);
        // Observers sit where torch put them, of torch's kinds.
        let torch_obs: Vec<(String, String)> = exp["observers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                (
                    o["path"].as_str().unwrap().trim_end_matches(".activation_post_process").to_string(),
                    o["kind"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let ours: Vec<(String, String)> = p.observers.iter().map(|(k, o)| (k.clone(), o.kind().to_string())).collect();
        let mut sorted = torch_obs.clone();
        sorted.sort();
        assert_eq!(ours, sorted, "{name}: observers");
        let mut exact_minmax = std::collections::BTreeSet::new();
        for o in exp["observers"].as_array().unwrap() {
            let path = o["path"].as_str().unwrap().trim_end_matches(".activation_post_process");
            let (lo, hi) = (p.observers[path].min_val()[0], p.observers[path].max_val()[0]);
            let (tlo, thi) = (f32_of(&o["min_val"]), f32_of(&o["max_val"]));
            if path == "quant" || path.ends_with(".quant") {
                assert_eq!(
                    (lo.to_bits(), hi.to_bits()),
                    (tlo.to_bits(), thi.to_bits()),
                    "{name}: {path} observer min/max (input side) must be exact"
                );
            }
            assert!(
                ulps(lo, tlo) <= GEMM_ULPS && ulps(hi, thi) <= GEMM_ULPS,
                "{name}: {path} min/max {lo}/{hi} vs torch {tlo}/{thi}"
            );
            if lo.to_bits() == tlo.to_bits() && hi.to_bits() == thi.to_bits() {
                exact_minmax.insert(path.to_string());
            }
        }
        let quant = c
            .model
            .leaves()
            .into_iter()
            .find_map(|(_, m)| match &m.kind {
                Kind::Quantize(q) => Some(q.clone()),
                _ => None,
            })
            .expect("a Quantize");
        let QParams::PerTensor { scale, zero_point, .. } = quant else { panic!() };
        assert_eq!(
            (scale.to_bits(), zero_point),
            (u32_of(&exp["input"]["scale"]), i32_of(&exp["input"]["zero_point"])),
            "{name}: input qparams"
        );
        for l in exp["layers"].as_array().unwrap() {
            let path = l["name"].as_str().unwrap();
            let m = c.model.get(path).unwrap_or_else(|| panic!("{name}: no module {path}"));
            assert_eq!(m.kind.type_name(), l["kind"].as_str().unwrap(), "{name}: {path} kind");
            let Some((codes, wq, bias, s, z)) = weight_of(&m.kind) else { continue };
            let (scales, zps) = match wq {
                QParams::PerTensor { scale, zero_point, .. } => (vec![*scale], vec![*zero_point]),
                QParams::PerChannel { scales, zero_points, .. } => (scales.clone(), zero_points.clone()),
            };
            assert_eq!(
                scales.iter().map(|s| s.to_bits()).collect::<Vec<_>>(),
                u32s(&l["weight_scale"]),
                "{name}: {path} weight scales"
            );
            assert_eq!(zps, i32s(&l["weight_zero_point"]), "{name}: {path} weight zero points");
            assert_eq!(
                codes.iter().map(|&c| c as i32).collect::<Vec<_>>(),
                i32s(&l["weight_codes"]),
                "{name}: {path} weight codes"
            );
            assert_eq!(
                bias.as_ref().map(|b| b.iter().map(|v| v.to_bits()).collect::<Vec<_>>()),
                (!l["bias"].is_null()).then(|| u32s(&l["bias"])),
                "{name}: {path} bias"
            );
            let (ts, tz) = (f32_of(&l["output_scale"]), i32_of(&l["output_zero_point"]));
            if exact_minmax.contains(path) {
                assert_eq!(
                    (s.to_bits(), z),
                    (ts.to_bits(), tz),
                    "{name}: {path} output qparams (observer min/max exact)"
                );
            } else {
                assert!(
                    ulps(s, ts) <= GEMM_ULPS && (z - tz).abs() <= 1,
                    "{name}: {path} output qparams {s}/{z} vs torch {ts}/{tz}"
                );
            }
        }
    }
}

/// How far (in f32 ulps) min/max of a float GEMM's output may sit from torch's (MKL sums in
/// another order).
pub const GEMM_ULPS: u32 = 8;
