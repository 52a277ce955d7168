//! GPU-only bodies for faults that exist only on the device: a gradient that is NaN on the GPU
//! while the same step on the CPU reference is finite (`GpuBackend::inject_nan_gradient`
//! poisons one element of the device's gradient buffer, as a faulty kernel or driver would).
//! Wired in `native.rs` (lavapipe) and `wasm_browser.rs` (the browser's adapter).
//!
//! Not here: faults both backends see (`session.rs`'s injected overflow), device loss.

use quantplay::app::session::Session;
use quantplay::app::session_config::parse;
use quantplay::{CpuReference, GpuBackend};
use serde_json::Value;

/// The GPU run's GradScaler finds the NaN on the device (torch's
/// `_amp_foreach_non_finite_check_and_unscale_`), so that step is skipped and the scale backs
/// off there, while the CPU run of the same step steps normally; the NaN never reaches the
/// parameters or Adam's moments, and the GPU run goes on from the halved scale.
pub async fn a_gradient_nan_only_on_the_gpu_skips_that_step_there_and_not_on_the_cpu(g: &GpuBackend) {
    let json = r#"{"dataset":"circle","samples":100,"precision":"16-mixed","hidden":[8],"optimizer":"adam","scaler":{"init_scale":1024,"growth_interval":1000}}"#;
    let cfg = || parse(json).unwrap().0;
    let (mut gs, mut cs) = (Session::new(g, cfg()).unwrap(), Session::new(&CpuReference, cfg()).unwrap());
    gs.run(g, 3).await.unwrap();
    cs.run(&CpuReference, 3).await.unwrap();
    let before: Value = serde_json::from_str(&gs.snapshot(g, json).await.unwrap()).unwrap();

    g.inject_nan_gradient();
    let on_gpu = gs.run(g, 1).await.unwrap().remove(0);
    let on_cpu = cs.run(&CpuReference, 1).await.unwrap().remove(0);
    assert_eq!(
        (on_gpu.step, on_gpu.skipped, on_gpu.injected, on_gpu.overflow_count, on_gpu.amp_loss_scale),
        (4, true, false, 1, Some(1024.0)),
        "the GPU step with the NaN gradient: {on_gpu:?}"
    );
    assert!(!on_gpu.grad_norm.is_finite(), "the GPU's grad norm includes the NaN: {on_gpu:?}");
    assert_eq!((on_cpu.step, on_cpu.skipped, on_cpu.overflow_count), (4, false, 0), "the CPU step: {on_cpu:?}");
    assert!(on_cpu.grad_norm.is_finite() && on_cpu.loss.is_finite(), "{on_cpu:?}");

    let after: Value = serde_json::from_str(&gs.snapshot(g, json).await.unwrap()).unwrap();
    assert_eq!(after["params"], before["params"], "the skipped step changed a parameter or an Adam moment");
    assert_eq!(after["adam_count"], before["adam_count"], "Adam's step count moved on a skipped step");
    assert_eq!(after["steps_done"], 4, "the batch is consumed, as torch's loop consumes it");
    let scale = |v: &Value| f32::from_bits(v["scaler"]["scale"].as_u64().unwrap() as u32);
    assert_eq!((scale(&before), scale(&after)), (1024.0, 512.0), "backoff_factor 0.5 after the skip");
    assert_eq!(after["scaler"]["growth_tracker"], 0);

    // The fault was one-shot: the GPU run trains on from the halved scale, all finite.
    for r in gs.run(g, 3).await.unwrap() {
        assert!(!r.skipped && r.loss.is_finite() && r.grad_norm.is_finite(), "{r:?}");
        assert_eq!((r.amp_loss_scale, r.overflow_count), (Some(512.0), 1), "{r:?}");
    }
    let end: Value = serde_json::from_str(&gs.snapshot(g, json).await.unwrap()).unwrap();
    let finite =
        |v: &Value| v.as_array().unwrap().iter().all(|b| f32::from_bits(b.as_u64().unwrap() as u32).is_finite());
    for p in end["params"].as_array().unwrap() {
        assert!(finite(&p["value"]) && finite(&p["s1"]) && finite(&p["s2"]), "a NaN reached the state: {p}");
    }
}
