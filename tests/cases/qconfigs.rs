//! qconfigs and FakeQuantize state against torch 2.15 (`tests/fixtures/observers.json`, written by
//! `gen_observers.py`): every named qconfig field by field, and FakeQuantize / fused fake-quant
//! timelines (scale, zero_point, enabled flags) step by step. Host numerics, run once per target.

use super::fixture::{f32s, i64_of, i64s, u32s, u64_of};
use super::observers::fixture;
use quantplay::quant::qconfig::{self, FakeQuantKind, ObserverKind, ObserverSpec, QConfig};
use serde_json::Value;

fn field_eq(spec: &ObserverSpec, want: &Value, what: &str) {
    let obs = spec.build().unwrap();
    assert_eq!(obs.kind(), want["class"].as_str().unwrap(), "{what}: class");
    let fq = want.get("fake_quant").and_then(Value::as_str);
    assert_eq!(spec.fake_quant.map(|k| format!("{k:?}")), fq.map(String::from), "{what}: fake-quant class");
    assert_eq!(qconfig::dtype_name(obs.dtype()), want["dtype"].as_str().unwrap(), "{what}: dtype");
    assert_eq!(spec.args.qscheme.name(), want["qscheme"].as_str().unwrap(), "{what}: qscheme");
    assert_eq!(spec.is_dynamic, want["is_dynamic"].as_bool().unwrap(), "{what}: is_dynamic");
    match obs.quant() {
        Some(q) => {
            assert_eq!(spec.args.reduce_range, want["reduce_range"].as_bool().unwrap(), "{what}: reduce_range");
            assert_eq!(q.quant_min as i64, i64_of(&want["quant_min"]), "{what}: quant_min");
            assert_eq!(q.quant_max as i64, i64_of(&want["quant_max"]), "{what}: quant_max");
        }
        None => {
            assert_eq!(spec.args.quant_min.map(i64::from), want["quant_min"].as_i64(), "{what}: quant_min");
            assert_eq!(spec.args.quant_max.map(i64::from), want["quant_max"].as_i64(), "{what}: quant_max");
        }
    }
    if let Some(ax) = want.get("ch_axis") {
        assert_eq!(spec.ch_axis as u64, u64_of(ax), "{what}: ch_axis");
    }
    if let Some(c) = want.get("averaging_constant") {
        assert_eq!(spec.averaging_constant, c.as_f64().unwrap() as f32, "{what}: averaging_constant");
    }
    if let Some(b) = want.get("bins") {
        assert_eq!(spec.bins as u64, u64_of(b), "{what}: bins");
    }
}

pub fn qconfigs_match_torch_field_by_field() {
    let fx = fixture();
    let table = fx["qconfigs"].as_object().unwrap();
    let mut ours: Vec<(String, QConfig)> = vec![
        ("default_qconfig".into(), qconfig::default_qconfig()),
        ("default_qat_qconfig".into(), qconfig::default_qat_qconfig()),
        ("default_dynamic_qconfig".into(), qconfig::default_dynamic_qconfig()),
        ("per_channel_dynamic_qconfig".into(), qconfig::per_channel_dynamic_qconfig()),
    ];
    for b in qconfig::BACKENDS {
        ours.push((format!("get_default_qconfig({b})"), qconfig::get_default_qconfig(b).unwrap()));
        ours.push((format!("get_default_qat_qconfig({b})"), qconfig::get_default_qat_qconfig(b).unwrap()));
    }
    assert_eq!(ours.len(), table.len());
    for (name, q) in &ours {
        let want = &table[name.as_str()];
        field_eq(&q.activation, &want["activation"], &format!("{name}.activation"));
        field_eq(&q.weight, &want["weight"], &format!("{name}.weight"));
    }
    let msg = qconfig::get_default_qconfig("tpu").unwrap_err().to_string();
    assert!(
        msg.contains("tpu")
            && msg.contains("x86")
            && msg.contains("qnnpack")
            && msg.contains("onednn")
            && msg.contains("fbgemm"),
        "{msg}"
    );
    assert!(qconfig::qconfig_by_name("nope").unwrap_err().to_string().contains("default"));
    // CLI overrides keep dtype/qscheme/reduce_range and swap only what they name.
    let x86 = qconfig::get_default_qconfig("x86").unwrap();
    let mm = x86.with_activation_observer("minmax").unwrap();
    assert_eq!(mm.activation.kind, ObserverKind::MinMaxObserver);
    assert_eq!(mm.activation.args, x86.activation.args);
    assert!(x86.with_activation_observer("kl").unwrap_err().to_string().contains("moving_average"));
    let pt = x86.per_tensor_weights();
    assert_eq!(pt.weight, qconfig::default_weight_observer());
    assert!(
        pt.weight.describe().contains("MinMaxObserver(dtype=qint8, qscheme=per_tensor_symmetric"),
        "{}",
        pt.weight.describe()
    );
    let json = serde_json::to_string(&x86).unwrap();
    assert_eq!(serde_json::from_str::<QConfig>(&json).unwrap(), x86, "ObserverSpec round-trips through serde");
}

pub fn fake_quantize_state_follows_torch_timelines() {
    let fx = fixture();
    let f = &fx["fake_quant"];
    let batches: Vec<Vec<f32>> = f["batches"].as_array().unwrap().iter().map(|b| f32s(&b["data"])).collect();
    assert_eq!(f["timelines"].as_array().unwrap().len(), 8, "4 qconfigs × activation/weight");
    for t in f["timelines"].as_array().unwrap() {
        let name = t["qconfig"].as_str().unwrap();
        let q = match name {
            "default_qat_qconfig" => qconfig::default_qat_qconfig(),
            "get_default_qat_qconfig(x86)" => qconfig::get_default_qat_qconfig("x86").unwrap(),
            "get_default_qat_qconfig(qnnpack)" => qconfig::get_default_qat_qconfig("qnnpack").unwrap(),
            "default_fake_quant+default_per_channel_weight_fake_quant" => QConfig {
                activation: qconfig::default_fake_quant(),
                weight: qconfig::default_per_channel_weight_fake_quant(),
            },
            other => panic!("unknown qconfig {other}"),
        };
        let role = t["role"].as_str().unwrap();
        let spec = if role == "activation" { &q.activation } else { &q.weight };
        let mut fq = spec.build_fake_quant().unwrap();
        assert!(fq.observer_enabled && fq.fake_quant_enabled && fq.scale == [1.0] && fq.zero_point == [0]);
        for (i, (x, want)) in batches.iter().zip(t["steps"].as_array().unwrap()).enumerate() {
            if i == 3 {
                fq.disable_observer();
            }
            let step = fq.forward(x, &[4, 8]).unwrap();
            assert!(step.warning.is_none());
            let what = format!("{name}.{role} ({:?}) step {i}", spec.fake_quant);
            assert_eq!(
                fq.scale.iter().map(|s| s.to_bits()).collect::<Vec<_>>(),
                u32s(&want["scale"]),
                "{what}: scale {:?} vs {:?}",
                fq.scale,
                f32s(&want["scale"])
            );
            let zps: Vec<i64> = fq.zero_point.iter().map(|&z| z as i64).collect();
            let want_zp = i64s(&want["zero_point"]);
            assert_eq!(zps, want_zp, "{what}: zero_point");
            assert_eq!(
                step.qparams,
                Some(fq.qparams()),
                "{what}: the qparams handed to the fake-quant op are the buffers"
            );
        }
    }
    let mut fq = qconfig::default_qat_qconfig().activation.build_fake_quant().unwrap();
    fq.enable_fake_quant(false);
    assert_eq!(fq.forward(&[1.0, 2.0], &[2]).unwrap().qparams, None, "fake quant disabled passes the batch through");
    assert!(qconfig::default_qconfig().activation.build_fake_quant().is_err(), "a PTQ spec has no fake-quant module");
}

/// Keeps the FakeQuantKind import meaningful for readers: both classes build.
pub fn both_fake_quant_classes_build() {
    for k in [FakeQuantKind::FakeQuantize, FakeQuantKind::FusedMovingAvgObsFakeQuantize] {
        let spec = ObserverSpec { fake_quant: Some(k), ..qconfig::default_weight_observer() };
        assert_eq!(spec.build_fake_quant().unwrap().kind, k);
    }
}
