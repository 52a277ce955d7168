//! QAT golden bodies against torch 2.15 (tests/fixtures/eager_qat.json, written by
//! tests/fixtures/gen_eager_extra.py `eager_qat`): fuse_modules_qat → prepare_qat(x86 QAT
//! qconfig) → 3 SGD steps → convert. Training runs on the backend under test (observers,
//! BatchNorm statistics and SGD on the host); losses, fake-quant qparams and trained parameters
//! are compared within `parity::QAT_*` (measured: losses within 1 ulp, scales within 3 ulps,
//! parameters within 1.2e-7); zero points, the converted model's weight codes and its output
//! codes must equal torch's exactly.

use super::eager::state;
use super::fixture::{f32_of, f32s, i32_of, i32s, tensor, usize_of};
use quantplay::model::{spec, Kind, Model};
use quantplay::parity::{QAT_LOSS_RTOL, QAT_PARAM_ATOL, QAT_SCALE_RTOL};
use quantplay::quant::eager::{fuse_modules_qat, prepare_qat, QatModel};
use quantplay::quant::qconfig::get_default_qat_qconfig;
use quantplay::quant::QParams;
use quantplay::rules::optim::SgdConfig;
use quantplay::{Backend, HostData};
use serde_json::Value;

pub const QAT: &str = include_str!("../fixtures/eager_qat.json");

fn rel(a: f32, b: f32) -> f32 {
    (a - b).abs() / b.abs().max(f32::MIN_POSITIVE)
}

/// Builds the case's QAT model and trains it as the fixture did; checks the prepared modules,
/// every step's loss and fake-quant qparams, and the trained parameters.
pub async fn trained_case<B: Backend>(b: &B, case: &Value) -> QatModel {
    let name = case["name"].as_str().unwrap();
    let s = spec::parse(&case["spec"].to_string()).expect("spec parses");
    let model = Model::from_spec(&s, &state(&case["weights"])).expect("weights load");
    let ops = fuse_modules_qat(&model, &s.fuse).expect("fuse_modules_qat");
    let mut q = prepare_qat(&model, ops, &get_default_qat_qconfig("x86").unwrap()).expect("prepare_qat");
    let exp = &case["expected"];
    // Leaves and fake-quants where torch put them, of torch's types.
    let torch: Vec<(String, String)> = exp["prepared_modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_str().unwrap().to_string(), p[1].as_str().unwrap().to_string()))
        .collect();
    for l in &q.layers {
        let t = torch.iter().find(|(p, _)| *p == l.path).unwrap_or_else(|| panic!("{name}: torch has no {}", l.path));
        assert_eq!(l.op.type_name(), t.1, "{name}: {} type", l.path);
    }
    let fq_names: Vec<String> = q.fake_quants().into_iter().map(|(n, _)| n).collect();
    let torch_fq: Vec<String> =
        torch.iter().filter(|(_, t)| t == "FusedMovingAvgObsFakeQuantize").map(|(p, _)| p.clone()).collect();
    assert_eq!(fq_names, torch_fq, "{name}: fake-quant modules");
    let (x, shape) = tensor(&case["train"]["x"]);
    let y = i32s(&case["train"]["y"]);
    let bs = usize_of(&case["train"]["batch_size"]);
    let per = x.len() / shape[0];
    let cfg = SgdConfig { lr: case["train"]["optimizer"]["lr"].as_f64().unwrap(), ..SgdConfig::default() };
    for (s_i, step) in exp["steps"].as_array().unwrap().iter().enumerate() {
        let mut sh = shape.clone();
        sh[0] = bs;
        let loss = q
            .train_step(b, &x[s_i * bs * per..(s_i + 1) * bs * per], &sh, &y[s_i * bs..(s_i + 1) * bs], &cfg)
            .await
            .expect("train step");
        let tl = f32_of(&step["loss"]);
        assert!(rel(loss, tl) <= QAT_LOSS_RTOL, "{}: {name}: step {s_i} loss {loss} vs torch {tl}", b.name());
        for fqj in step["fake_quant"].as_array().unwrap() {
            let path = fqj["path"].as_str().unwrap();
            let fqs = q.fake_quants();
            let (_, fq) = fqs.iter().find(|(n, _)| n == path).unwrap();
            let ts = f32s(&fqj["scale"]);
            let tz = i32s(&fqj["zero_point"]);
            assert_eq!(fq.scale.len(), ts.len(), "{name}: {path} scale count");
            for (k, (&a, &t)) in fq.scale.iter().zip(&ts).enumerate() {
                assert!(
                    rel(a, t) <= QAT_SCALE_RTOL,
                    "{}: {name}: step {s_i} {path} scale[{k}] {a} vs torch {t}",
                    b.name()
                );
            }
            for (k, (&a, &t)) in fq.zero_point.iter().zip(&tz).enumerate() {
                assert!(a == t, "{}: {name}: step {s_i} {path} zero_point[{k}] {a} vs torch {t}", b.name());
            }
        }
    }
    let sd = q.state_dict();
    for (k, t) in exp["trained_state"].as_object().unwrap() {
        let (want, _) = tensor(t);
        let got = sd.tensors.get(k).unwrap_or_else(|| panic!("{name}: no {k} in the trained state"));
        let HostData::F32(got) = &got.data else { panic!("f32") };
        let worst = got.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        assert!(
            got.len() == want.len() && worst <= QAT_PARAM_ATOL,
            "{}: {name}: trained {k} differs from torch's by up to {worst}",
            b.name()
        );
    }
    q
}

fn qparams_of(q: &QParams) -> (Vec<f32>, Vec<i32>) {
    match q {
        QParams::PerTensor { scale, zero_point, .. } => (vec![*scale], vec![*zero_point]),
        QParams::PerChannel { scales, zero_points, .. } => (scales.clone(), zero_points.clone()),
    }
}

/// Compares our converted model with torch's; returns (weight codes differing, codes compared).
fn check_converted(name: &str, m: &Model, exp: &Value) -> (usize, usize) {
    let quant = m
        .leaves()
        .into_iter()
        .find_map(|(_, l)| match &l.kind {
            Kind::Quantize(q) => Some(q.clone()),
            _ => None,
        })
        .expect("a Quantize");
    let (s, z) = qparams_of(&quant);
    let (ts, tz) = (f32_of(&exp["input"]["scale"]), i32_of(&exp["input"]["zero_point"]));
    assert!(
        rel(s[0], ts) <= QAT_SCALE_RTOL && z[0] == tz,
        "{name}: input qparams {}/{} vs torch {ts}/{tz}",
        s[0],
        z[0]
    );
    let (mut differ, mut total) = (0, 0);
    for l in exp["layers"].as_array().unwrap() {
        let path = l["name"].as_str().unwrap();
        let module = m.get(path).unwrap_or_else(|| panic!("{name}: no {path}"));
        assert_eq!(module.kind.type_name(), l["kind"].as_str().unwrap(), "{name}: {path} kind");
        let (codes, wq, scale, zp) = match &module.kind {
            Kind::QuantizedLinear(q) => (&q.weight_codes, &q.weight_qparams, q.scale, q.zero_point),
            Kind::QuantizedConv2d(q) => (&q.weight_codes, &q.weight_qparams, q.scale, q.zero_point),
            k => panic!("{name}: {path} is {}", k.type_name()),
        };
        let (ws, wz) = qparams_of(wq);
        for (k, (&a, &t)) in ws.iter().zip(&f32s(&l["weight_scale"])).enumerate() {
            assert!(rel(a, t) <= QAT_SCALE_RTOL, "{name}: {path} weight_scale[{k}] {a} vs torch {t}");
        }
        assert_eq!(wz, i32s(&l["weight_zero_point"]), "{name}: {path} weight zero points");
        let tc = i32s(&l["weight_codes"]);
        differ += codes.iter().zip(&tc).filter(|(&a, &t)| a as i32 != t).count();
        total += tc.len();
        let (ts, tz) = (f32_of(&l["output_scale"]), i32_of(&l["output_zero_point"]));
        assert!(
            rel(scale, ts) <= QAT_SCALE_RTOL && zp == tz,
            "{name}: {path} output qparams {scale}/{zp} vs torch {ts}/{tz}"
        );
    }
    (differ, total)
}

pub async fn qat_training_follows_torch_losses_and_fake_quant_qparams<B: Backend>(b: &B) {
    let file: Value = serde_json::from_str(QAT).unwrap();
    for case in file["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let q = trained_case(b, case).await;
        let m = q.convert().expect("convert");
        let (differ, total) = check_converted(name, &m, &case["expected"]);
        assert_eq!(differ, 0, "{}: {name}: {differ} of {total} weight codes differ from torch's", b.name());
        let (x, shape) = tensor(&case["eval"]);
        let got = quantplay::quant::eager::report::quant_trace(b, &m, &x, &shape)
            .await
            .expect("quantized forward")
            .output_codes;
        let want = i32s(&case["expected"]["output_codes"]);
        let n = got.iter().zip(&want).filter(|(a, b)| a != b).count();
        assert!(
            got.len() == want.len() && n == 0,
            "{}: {name}: {n} of {} output codes differ from torch's",
            b.name(),
            want.len()
        );
    }
}
