//! Bodies for the training session the page drives (`nn::session`, behind the wasm
//! `Trainer`): logged field values per precision, skip and backoff after an injected
//! overflow, the loss falling in 16-mixed on every dataset, CPU/GPU agreement, snapshots.

use quantplay::amp::precision::{BackendKind, Capabilities, Precision};
use quantplay::nn::metrics::StepRecord;
use quantplay::nn::session::Session;
use quantplay::nn::session_config::{parse, SessionConfig};
use quantplay::{Backend, CpuBackend};

fn caps<B: Backend>(b: &B) -> Capabilities {
    // The packed-u32 f16 path runs on every adapter, so claim no shader-f16 on WebGPU.
    Capabilities { backend: if b.name() == "webgpu" { BackendKind::WebGpu } else { BackendKind::Cpu }, shader_f16: false }
}

fn config(json: &str) -> SessionConfig {
    parse(json).unwrap().0
}

async fn records<B: Backend>(b: &B, json: &str, steps: usize) -> Vec<StepRecord> {
    let mut s = Session::new(b, config(json), caps(b)).unwrap();
    s.run(b, steps).await.unwrap()
}

pub async fn session_logs_the_scale_in_16_mixed_and_none_in_32_true<B: Backend>(b: &B) {
    let recs = records(b, r#"{"dataset":"circle","samples":100,"precision":"16-mixed","hidden":[8]}"#, 4).await;
    for (i, r) in recs.iter().enumerate() {
        assert_eq!((r.step, r.amp_enabled, r.amp_precision, r.amp_loss_scale, r.skipped, r.overflow_count), (i + 1, 1, "16-mixed", Some(65536.0), false, 0), "{}: {r:?}", b.name());
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
    let mut s = Session::new(b, config(json), caps(b)).unwrap();
    let mut recs = s.run(b, 1).await.unwrap();
    let before = s.snapshot(b, json).await.unwrap();
    s.inject_overflow();
    recs.extend(s.run(b, 1).await.unwrap());
    let after = s.snapshot(b, json).await.unwrap();
    recs.extend(s.run(b, 3).await.unwrap());
    let got: Vec<(Option<f32>, bool, usize)> = recs.iter().map(|r| (r.amp_loss_scale, r.skipped, r.overflow_count)).collect();
    // 1024 (tracker 1) → inf step: skipped, backoff to 512, tracker 0 → 512, 512 → growth to 1024.
    assert_eq!(got, vec![(Some(1024.0), false, 0), (Some(1024.0), true, 1), (Some(512.0), false, 1), (Some(512.0), false, 1), (Some(1024.0), false, 1)], "{}", b.name());
    assert!(!recs[1].grad_norm.is_finite());
    // The skipped step left every parameter as it was.
    let params = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap()["params"].clone();
    assert_eq!(params(&before), params(&after), "{}: a skipped step changed the parameters", b.name());
}

pub async fn loss_falls_in_16_mixed_on_every_dataset<B: Backend>(b: &B) {
    for (name, samples, steps) in [("circle", 200, 120), ("xor", 200, 120), ("gauss", 200, 60), ("spiral", 200, 200), ("digits", 400, 60)] {
        let json = format!(r#"{{"dataset":"{name}","samples":{samples},"precision":"16-mixed","hidden":[32,32],"batch":64,"optimizer":"adam","lr":0.02,"seed":5}}"#);
        let recs = records(b, &json, steps).await;
        let mean = |r: &[StepRecord]| r.iter().map(|r| r.loss).sum::<f32>() / r.len() as f32;
        let (first, last) = (mean(&recs[..10]), mean(&recs[steps - 10..]));
        assert!(last < 0.7 * first, "{} {name}: 16-mixed loss {first} → {last}", b.name());
        // Digits' inputs reach 16, so at 2¹⁶ its f16 weight grads may overflow early on, as in
        // torch: a few skipped steps, each halving the scale, and then no more.
        let skips = recs.iter().filter(|r| r.skipped).count();
        assert!(skips <= 4 && recs[steps - 1].overflow_count == skips, "{name}: {skips} skips");
        assert!(recs.iter().all(|r| r.amp_loss_scale == Some(65536.0 / (1u32 << r.overflow_count - r.skipped as usize) as f32)), "{name}");
        assert!(recs[steps - 10..].iter().all(|r| !r.skipped), "{name}: still overflowing at the end");
    }
}

pub async fn mixed_loss_trajectory_agrees_with_the_cpu_reference<B: Backend>(b: &B) {
    let cpu = CpuBackend::new();
    for opt in ["sgd", "adam"] {
        let json = format!(r#"{{"dataset":"spiral","samples":150,"precision":"16-mixed","hidden":[16,16],"optimizer":"{opt}","lr":0.02,"batch":40}}"#);
        let got: Vec<f32> = records(b, &json, 10).await.iter().map(|r| r.loss).collect();
        let want: Vec<f32> = records(&cpu, &json, 10).await.iter().map(|r| r.loss).collect();
        super::assert_agrees(&format!("{} 16-mixed {opt} losses", b.name()), &got, &want, quantplay::parity::F16_MIXED_BACKEND_LOSS);
    }
}

pub async fn a_snapshot_continues_the_run_on_the_cpu<B: Backend>(b: &B) {
    let json = r#"{"dataset":"gauss","samples":100,"precision":"16-mixed","hidden":[8],"optimizer":"adam","scaler":{"init_scale":256,"growth_interval":3}}"#;
    let mut s = Session::new(b, config(json), caps(b)).unwrap();
    let first = s.run(b, 4).await.unwrap();
    let snap = s.snapshot(b, json).await.unwrap();
    let cont = s.run(b, 3).await.unwrap();
    let cpu = CpuBackend::new();
    let mut moved = Session::restore(&cpu, &snap, config(json), caps(&cpu)).unwrap();
    let resumed = moved.run(&cpu, 3).await.unwrap();
    assert_eq!(first.len(), 4);
    assert_eq!(resumed.iter().map(|r| (r.step, r.amp_loss_scale)).collect::<Vec<_>>(), cont.iter().map(|r| (r.step, r.amp_loss_scale)).collect::<Vec<_>>());
    let (a, c): (Vec<f32>, Vec<f32>) = (resumed.iter().map(|r| r.loss).collect(), cont.iter().map(|r| r.loss).collect());
    super::assert_agrees(&format!("{} → cpu resumed losses", b.name()), &a, &c, quantplay::parity::F16_MIXED_BACKEND_LOSS);
}

pub async fn session_reports_memory_trace_and_precision<B: Backend>(b: &B) {
    let json = r#"{"dataset":"circle","samples":100,"precision":"16-mixed","hidden":[16],"batch":20}"#;
    let mut s = Session::new(b, config(json), caps(b)).unwrap();
    s.run(b, 1).await.unwrap();
    let m = s.memory();
    // Layer inputs (20,2),(20,16) and pre-activations (20,16),(20,2) in f16; masters f32
    // (16·2+16+2·16+2 = 82 params) plus f16 weight copies (32+32).
    assert_eq!((m["activations_bytes"].as_u64(), m["weights_bytes"].as_u64()), (Some(2 * 20 * (2 + 16 + 16 + 2)), Some(4 * 82 + 2 * 64)), "{m}");
    let t = s.trace();
    let outs: Vec<&str> = t.as_array().unwrap().iter().map(|e| e["output"].as_str().unwrap()).collect();
    assert_eq!(outs, ["float16", "float16", "float16", "float32"], "{t}");
    let mut s32 = Session::new(b, config(&json.replace("16-mixed", "32-true")), caps(b)).unwrap();
    s32.run(b, 1).await.unwrap();
    assert_eq!(s32.memory()["activations_bytes"].as_u64(), Some(4 * 20 * (2 + 16 + 16 + 2)));
    assert_eq!(s.effective.effective, Precision::Mixed16);
    let g = s.grad_magnitudes(b).await.unwrap();
    let total = |h: &serde_json::Value| h["counts"].as_array().unwrap().iter().map(|c| c.as_u64().unwrap()).sum::<u64>() + h["zeros"].as_u64().unwrap();
    assert_eq!((total(&g["unscaled"]), total(&g["scaled"]), g["scale"].as_f64()), (82, 82, Some(65536.0)), "{g}");
    let grid = s.predict_grid(b, 5).await.unwrap();
    assert!(grid.len() == 25 && grid.iter().all(|p| (0.0..=1.0).contains(p)));
}
