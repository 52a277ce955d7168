//! Bodies for the training session the page drives (`nn::session`, behind the wasm
//! `Trainer`): logged field values per precision, skip and backoff after an injected
//! overflow, the loss falling in 16-mixed on every dataset, CPU/GPU agreement, snapshots.

use super::fixture;
use quantplay::amp::precision::Precision;
use quantplay::app::metrics::StepRecord;
use quantplay::app::session::Session;
use quantplay::app::session_config::{parse, SessionConfig};
use quantplay::prelude::*;
use quantplay::CpuReference;

fn config(json: &str) -> SessionConfig {
    parse(json).unwrap().0
}

async fn records<B: Backend>(b: &B, json: &str, steps: usize) -> Vec<StepRecord> {
    let mut s = Session::new(b, config(json)).unwrap();
    s.run(b, steps).await.unwrap()
}

pub async fn session_logs_the_scale_in_16_mixed_and_none_in_32_true<B: Backend>(b: &B) {
    let recs = records(b, r#"{"dataset":"circle","samples":100,"precision":"16-mixed","hidden":[8]}"#, 4).await;
    for (i, r) in recs.iter().enumerate() {
        assert_eq!(
            (r.step, r.amp_enabled, r.amp_precision, r.amp_loss_scale, r.skipped, r.overflow_count),
            (i + 1, 1, "16-mixed", Some(65536.0), false, 0),
            "{}: {r:?}",
            b.name()
        );
        assert!(r.loss.is_finite() && r.loss > 0.0 && r.grad_norm.is_finite() && r.grad_norm > 0.0, "{r:?}");
        assert!((0.0..=1.0).contains(&r.accuracy));
    }
    let recs = records(b, r#"{"dataset":"circle","samples":100,"precision":"32-true","hidden":[8]}"#, 3).await;
    for r in &recs {
        assert_eq!((r.amp_enabled, r.amp_precision, r.amp_loss_scale, r.skipped), (0, "32-true", None, false), "{r:?}");
        let v = serde_json::to_value(r).unwrap();
        assert_eq!(v["amp/enabled"], 0);
        assert!(v.get("amp/loss_scale").is_none());
    }
}

pub async fn an_injected_overflow_skips_the_step_and_halves_the_scale<B: Backend>(b: &B) {
    let json = r#"{"dataset":"xor","samples":100,"precision":"16-mixed","hidden":[8],"optimizer":"sgd","scaler":{"init_scale":1024,"growth_interval":2}}"#;
    let mut s = Session::new(b, config(json)).unwrap();
    let mut recs = s.run(b, 1).await.unwrap();
    let before = s.snapshot(b, json).await.unwrap();
    s.inject_overflow();
    recs.extend(s.run(b, 1).await.unwrap());
    let after = s.snapshot(b, json).await.unwrap();
    recs.extend(s.run(b, 3).await.unwrap());
    let got: Vec<(Option<f32>, bool, usize)> =
        recs.iter().map(|r| (r.amp_loss_scale, r.skipped, r.overflow_count)).collect();
    // 1024 (tracker 1) → inf step: skipped, backoff to 512, tracker 0 → 512, 512 → growth to 1024.
    assert_eq!(
        got,
        vec![
            (Some(1024.0), false, 0),
            (Some(1024.0), true, 1),
            (Some(512.0), false, 1),
            (Some(512.0), false, 1),
            (Some(1024.0), false, 1)
        ],
        "{}",
        b.name()
    );
    assert!(!recs[1].grad_norm.is_finite());
    // Only the injected step says so, in the record and in its JSON (the page marks it apart).
    assert_eq!(recs.iter().map(|r| r.injected).collect::<Vec<_>>(), [false, true, false, false, false]);
    assert_eq!(serde_json::to_value(&recs[1]).unwrap()["injected"], true);
    assert!(serde_json::to_value(&recs[0]).unwrap().get("injected").is_none());
    // The skipped step left every parameter as it was.
    let params = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap()["params"].clone();
    assert_eq!(params(&before), params(&after), "{}: a skipped step changed the parameters", b.name());
}

pub async fn loss_falls_in_16_mixed_on_every_dataset<B: Backend>(b: &B) {
    for (name, samples, steps) in
        [("circle", 200, 120), ("xor", 200, 120), ("gauss", 200, 60), ("spiral", 200, 200), ("digits", 400, 60)]
    {
        let json = format!(
            r#"{{"dataset":"{name}","samples":{samples},"precision":"16-mixed","hidden":[32,32],"batch":64,"optimizer":"adam","lr":0.02,"seed":5}}"#
        );
        let recs = records(b, &json, steps).await;
        let mean = |r: &[StepRecord]| r.iter().map(|r| r.loss).sum::<f32>() / r.len() as f32;
        let (first, last) = (mean(&recs[..10]), mean(&recs[steps - 10..]));
        assert!(last < 0.7 * first, "{} {name}: 16-mixed loss {first} → {last}", b.name());
        // Digits' inputs reach 16, so at 2¹⁶ its f16 weight grads may overflow early on, as in
        // torch: a few skipped steps, each halving the scale, and then no more.
        let skips = recs.iter().filter(|r| r.skipped).count();
        assert!(skips <= 4 && recs[steps - 1].overflow_count == skips, "{name}: {skips} skips");
        assert!(
            recs.iter()
                .all(|r| r.amp_loss_scale == Some(65536.0 / (1u32 << (r.overflow_count - r.skipped as usize)) as f32)),
            "{name}"
        );
        assert!(recs[steps - 10..].iter().all(|r| !r.skipped), "{name}: still overflowing at the end");
    }
}

pub async fn mixed_loss_trajectory_agrees_with_the_cpu_reference<B: Backend>(b: &B) {
    let cpu = CpuReference;
    for opt in ["sgd", "adam"] {
        let json = format!(
            r#"{{"dataset":"spiral","samples":150,"precision":"16-mixed","hidden":[16,16],"optimizer":"{opt}","lr":0.02,"batch":40}}"#
        );
        let got: Vec<f32> = records(b, &json, 10).await.iter().map(|r| r.loss).collect();
        let want: Vec<f32> = records(&cpu, &json, 10).await.iter().map(|r| r.loss).collect();
        super::assert_agrees(
            &format!("{} 16-mixed {opt} losses", b.name()),
            &got,
            &want,
            quantplay::parity::F16_MIXED_BACKEND_LOSS,
        );
    }
}

pub async fn a_snapshot_continues_the_run_on_the_cpu<B: Backend>(b: &B) {
    let json = r#"{"dataset":"gauss","samples":100,"precision":"16-mixed","hidden":[8],"optimizer":"adam","scaler":{"init_scale":256,"growth_interval":3}}"#;
    let mut s = Session::new(b, config(json)).unwrap();
    s.run(b, 1).await.unwrap();
    s.inject_overflow(); // a skipped step Adam must not count, also after the move
    let mut first = s.run(b, 3).await.unwrap();
    assert!(first.remove(0).skipped);
    let snap = s.snapshot(b, json).await.unwrap();
    let cont = s.run(b, 3).await.unwrap();
    let cpu = CpuReference;
    let mut moved = Session::restore(&cpu, &snap, config(json)).unwrap();
    let resumed = moved.run(&cpu, 3).await.unwrap();
    assert_eq!(first.len(), 2);
    assert_eq!(
        resumed.iter().map(|r| (r.step, r.amp_loss_scale)).collect::<Vec<_>>(),
        cont.iter().map(|r| (r.step, r.amp_loss_scale)).collect::<Vec<_>>()
    );
    let (a, c): (Vec<f32>, Vec<f32>) =
        (resumed.iter().map(|r| r.loss).collect(), cont.iter().map(|r| r.loss).collect());
    super::assert_agrees(
        &format!("{} → cpu resumed losses", b.name()),
        &a,
        &c,
        quantplay::parity::F16_MIXED_BACKEND_LOSS,
    );
}

pub async fn session_reports_memory_trace_and_precision<B: Backend>(b: &B) {
    let json = r#"{"dataset":"circle","samples":100,"precision":"16-mixed","hidden":[16],"batch":20}"#;
    let mut s = Session::new(b, config(json)).unwrap();
    s.run(b, 1).await.unwrap();
    let m = s.memory();
    // Layer inputs (20,2),(20,16) and pre-activations (20,16),(20,2) in f16; masters f32
    // (16·2+16+2·16+2 = 82 params) plus f16 weight copies (32+32).
    assert_eq!(
        (m["activations_bytes"].as_u64(), m["weights_bytes"].as_u64()),
        (Some(2 * 20 * (2 + 16 + 16 + 2)), Some(4 * 82 + 2 * 64)),
        "{m}"
    );
    let t = s.trace();
    let outs: Vec<&str> = t.as_array().unwrap().iter().map(|e| e["output"].as_str().unwrap()).collect();
    assert_eq!(outs, ["float16", "float16", "float16", "float32"], "{t}");
    let mut s32 = Session::new(b, config(&json.replace("16-mixed", "32-true"))).unwrap();
    s32.run(b, 1).await.unwrap();
    assert_eq!(s32.memory()["activations_bytes"].as_u64(), Some(4 * 20 * (2 + 16 + 16 + 2)));
    assert_eq!(s.effective.effective, Precision::Mixed16);
    // The memory table measures every precision on this backend and says what each ran as.
    let table = quantplay::app::session_io::memory_by_precision(b, &config(json)).unwrap();
    let rows = table.as_array().unwrap();
    let asked: Vec<&str> = rows.iter().map(|r| r["requested"].as_str().unwrap()).collect();
    assert_eq!(asked, ["32-true", "16-mixed", "bf16-mixed", "16-true", "bf16-true"]);
    for r in rows {
        let ran = Session::new(b, config(&json.replace("16-mixed", r["requested"].as_str().unwrap()))).unwrap();
        assert_eq!(r["precision"].as_str(), Some(ran.effective.effective.as_str()), "{}: {r}", b.name());
    }
    assert_eq!(rows[1]["activations_bytes"], m["activations_bytes"], "the 16-mixed row is this run's step");
    let g = s.grad_magnitudes(b).await.unwrap();
    let total = |h: &serde_json::Value| {
        h["counts"].as_array().unwrap().iter().map(|c| c.as_u64().unwrap()).sum::<u64>() + h["zeros"].as_u64().unwrap()
    };
    assert_eq!((total(&g["unscaled"]), total(&g["scaled"]), g["scale"].as_f64()), (82, 82, Some(65536.0)), "{g}");
    let grid = s.predict_grid(b, 5).await.unwrap();
    assert!(grid.len() == 25 && grid.iter().all(|p| (0.0..=1.0).contains(p)));
}

const AMP_TRAIN: &str = include_str!("../fixtures/amp_train.json");

/// The MLP's first 10 16-mixed losses, scales and skips equal torch's CPU autocast(float16) +
/// GradScaler run (amp_train.json): losses within F16_MIXED_TORCH_LOSS, the scale timeline and
/// the skipped steps exactly, including runs whose init_scale overflows f16.
pub async fn mixed_losses_and_scales_match_torch<B: Backend>(b: &B) {
    use quantplay::nn::amp_step::{AmpMode, DeviceScaler};
    use quantplay::nn::mlp::{Mlp, Optimizer};
    use quantplay::nn::{AdamConfig, SgdConfig};
    use quantplay::{DType, HostData};
    let fx: serde_json::Value = serde_json::from_str(AMP_TRAIN).unwrap();
    let sizes = fixture::shape(&fx["sizes"]);
    let x = fixture::f32s(&fx["x"]);
    let labels = fixture::i32s(&fx["y"]);
    let n = labels.len();
    let (xt, yt) = (b.upload(&x, &[n, sizes[0]]).unwrap(), b.upload_data(HostData::I32(labels), &[n]).unwrap());
    let layers = sizes.len() - 1;
    let p = |key: String| fixture::f32s(&fx["params"][key]);
    let weights: Vec<Vec<f32>> = (0..layers).map(|l| p(format!("{}.weight", 2 * l))).collect();
    let biases: Vec<Vec<f32>> = (0..layers).map(|l| p(format!("{}.bias", 2 * l))).collect();
    let mode = AmpMode { dtype: DType::F16, pure: false, loss_multiplier: 1.0, inject_overflow: false };
    for run in fx["runs"].as_array().unwrap() {
        let c = &run["config"];
        let opt = if run["kind"] == "sgd" {
            Optimizer::Sgd(SgdConfig {
                lr: c["lr"].as_f64().unwrap(),
                momentum: c["momentum"].as_f64().unwrap(),
                ..Default::default()
            })
        } else {
            Optimizer::Adam(AdamConfig { lr: c["lr"].as_f64().unwrap(), ..Default::default() })
        };
        let mut mlp = Mlp::from_params(b, &sizes, &weights, &biases).unwrap();
        let cfg =
            quantplay::amp::ScalerConfig { init_scale: run["init_scale"].as_f64().unwrap(), ..Default::default() };
        let mut scaler = DeviceScaler::new(b, cfg).unwrap();
        let (mut losses, mut timeline) = (Vec::new(), Vec::new());
        for _ in 0..10 {
            let out = mlp.train_step_amp(b, &xt, &yt, None, &opt, &mode, Some(&mut scaler)).unwrap();
            losses.push(b.read(&out.loss).await.unwrap()[0]);
            let used = b.read(out.scale_used.as_ref().unwrap()).await.unwrap()[0] as f64;
            let skipped = b.read(out.found_inf.as_ref().unwrap()).await.unwrap()[0] != 0.0;
            timeline.push((used, skipped, b.read(&scaler.scale).await.unwrap()[0] as f64));
        }
        let steps = run["steps"].as_array().unwrap();
        let want: Vec<(f64, bool, f64)> = steps
            .iter()
            .map(|s| {
                (s["scale_used"].as_f64().unwrap(), s["skipped"].as_bool().unwrap(), s["scale_after"].as_f64().unwrap())
            })
            .collect();
        let what = format!("{} vs torch 16-mixed {} init_scale {}", b.name(), run["kind"], run["init_scale"]);
        assert_eq!(timeline, want, "{what}: scale timeline");
        let want_losses: Vec<f32> = steps.iter().map(|s| fixture::f32_of(&s["loss"])).collect();
        super::assert_agrees(
            &format!("{what} losses {losses:?} want {want_losses:?}"),
            &losses,
            &want_losses,
            quantplay::parity::F16_MIXED_TORCH_LOSS,
        );
    }
}

/// The Quantize panel's path (`Trainer.quantize`): a trained session's float MLP, read back from
/// the device, scores what the session scores; its PTQ keeps int8 within 2 points of float; bad
/// calibration sizes are named errors.
pub async fn a_trained_sessions_float_model_quantizes_within_two_points<B: Backend>(b: &B) {
    use quantplay::app::ptq::{options_from_json, run_for_page};
    let json = r#"{"dataset":"circle","samples":300,"precision":"16-mixed","hidden":[16,16],"seed":4}"#;
    let mut s = Session::new(b, config(json)).unwrap();
    s.run(b, 150).await.unwrap();
    let model = s.float_model(b).await.unwrap();
    let data = s.quant_data(64).unwrap();
    assert_eq!(data.calib_shape, vec![64, 2]);
    let opt = options_from_json(r#"{"qconfig": "x86"}"#).unwrap();
    let out = run_for_page(
        b,
        &model,
        (&data.calib_x, &data.calib_shape),
        (&data.eval_x, &data.eval_shape),
        &data.eval_y,
        &opt,
    )
    .await
    .unwrap();
    let (f, q) =
        (out["report"]["accuracy"]["float"].as_f64().unwrap(), out["report"]["accuracy"]["int8"].as_f64().unwrap());
    let json_eval = s.evaluate(b).await.unwrap();
    let session_test = json_eval["test_accuracy"].as_f64().unwrap();
    assert!((f - session_test).abs() < 1e-6, "{}: the exported model scores {f}, the session {session_test}", b.name());
    assert!(f > 0.8 && (f - q).abs() <= 0.02, "{}: float {f} vs int8 {q}", b.name());
    // It says where each part ran: the forwards and the observers' reductions on this backend,
    // the observers' updates from those statistics on the host.
    let p = &out["placement"];
    assert_eq!(
        [&p["calibration_forward"], &p["float_reference"], &p["int8_forward"], &p["observer_statistics"]],
        [b.name(), b.name(), b.name(), b.name()],
        "{p}"
    );
    assert_eq!(p["observer_updates"], "cpu", "{p}");
    for bad in [0, data.eval_shape[0] * 100] {
        let e = s.quant_data(bad).err().expect("out of range").to_string();
        assert!(e.contains("calib_size") && e.contains(&bad.to_string()), "{e}");
    }
}
