//! The seed-listed edge cases of issue 17, each a named error or a defined behaviour, on the
//! CPU reference (the GPU runs the same rules: `rules::scaler`): loss scales 0, 1e10, 1e-10,
//! inf and NaN at init, a scale that would become inf or NaN at run time, a disabled scaler,
//! invalid precision strings and all-zero gradients. docs/reliability.md lists what the user
//! sees for each, and where quantplay differs from torch 2.x's torch/amp/grad_scaler.py.

use quantplay::amp::precision::{parse_precision, parse_precision_number};
use quantplay::amp::schedule::{parse_schedule, run_schedule};
use quantplay::amp::GradScaler;
use quantplay::app::{metrics::StepRecord, trainer};
use quantplay::rules::scaler::{ScalerConfig, MIN_SCALE};
use quantplay::CpuReference;
use std::process::Command;

fn cfg(init_scale: f64) -> ScalerConfig {
    ScalerConfig { init_scale, ..Default::default() }
}

fn train(precision: &str, scaler: &str, steps: usize) -> Vec<StepRecord> {
    let json = format!(
        r#"{{"dataset": "spiral", "samples": 64, "hidden": [8], "precision": "{precision}", "batch": 16, "seed": 3, "scaler": {scaler}}}"#
    );
    let cfg = trainer::config(&json, steps).unwrap();
    pollster::block_on(trainer::train(&CpuReference, &cfg)).unwrap().1
}

#[test]
fn init_scales_that_torch_accepts_but_cannot_train_with_are_named_errors() {
    // torch: 0 → NaN parameters after the first step; inf/NaN → every step skipped forever;
    // 1e39 → torch.full's overflow error on the first scale(); 1e-50 → 0 in f32, as 0.
    for v in [0.0, f64::INFINITY, f64::NAN, -1.0, 1e39, 1e-50] {
        let msg = GradScaler::new(cfg(v), true).unwrap_err().to_string();
        assert!(msg.contains(&format!("invalid init_scale {:?}", v.to_string())), "{v}: {msg}");
        assert!(msg.contains("finite and > 0"), "{msg}");
    }
    assert!(cfg(1e39).validate().unwrap_err().to_string().contains("3.4028235e38"));
    assert!(cfg(MIN_SCALE as f64).validate().is_ok() && cfg(f32::MAX as f64).validate().is_ok());
    let out = Command::new(env!("CARGO_BIN_EXE_quantplay"))
        .args(["scaler", "--schedule", "ok", "--init-scale", "0"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.code() == Some(2) && err.contains("invalid init_scale \"0\""), "{err}");
}

#[test]
fn an_init_scale_of_1e10_backs_off_until_the_f16_gradients_are_finite() {
    let r = train("16-mixed", r#"{"init_scale": 1e10}"#, 40);
    let first = r.iter().position(|s| !s.skipped).expect("a step runs once the scale is small enough");
    assert!(first >= 1, "1e10 overflows f16 at first");
    for (i, s) in r[..first].iter().enumerate() {
        assert_eq!(s.amp_loss_scale, Some(1e10 / 2f32.powi(i as i32)), "step {i} halves the scale");
    }
    assert!(r[first..].iter().all(|s| s.loss.is_finite()));
}

#[test]
fn an_init_scale_of_1e_minus_10_trains_without_skips_and_grows_each_interval() {
    let r = train("16-mixed", r#"{"init_scale": 1e-10, "growth_interval": 1}"#, 8);
    assert!(r.iter().all(|s| !s.skipped && s.loss.is_finite()));
    let scales: Vec<f32> = r.iter().map(|s| s.amp_loss_scale.unwrap()).collect();
    for w in scales.windows(2) {
        assert_eq!(w[1], w[0] * 2.0, "{scales:?}");
    }
    assert_eq!(scales[0], 1e-10f32);
}

#[test]
fn the_scale_never_becomes_inf_or_nan_at_run_time_and_an_underflow_is_a_named_error() {
    let grow = ScalerConfig { init_scale: f32::MAX as f64, growth_interval: 1, ..Default::default() };
    let t = run_schedule(grow, &parse_schedule("ok,ok,ok").unwrap()).unwrap();
    assert!(t.iter().all(|s| s.scale_after == f32::MAX), "growth past f32::MAX keeps the scale, as torch");
    let many = vec!["inf"; 400].join(",");
    let events = parse_schedule(&format!("{many},ok")).unwrap();
    let msg = run_schedule(ScalerConfig::default(), &events).unwrap_err().to_string();
    assert!(msg.contains("invalid loss scale") && msg.contains("2.938737e-39"), "{msg}");
    // 2^16 halves 144 times to 2^-128, below MIN_SCALE: step 145 is the error. Before it, every
    // scale is finite and > 0, and every step is flagged and skipped.
    let before = run_schedule(ScalerConfig::default(), &events[..144]).unwrap();
    assert!(before.iter().all(|s| s.skipped && s.scale_after.is_finite() && s.scale_after > 0.0));
    assert_eq!(before.last().unwrap().scale_after, f32::from_bits(0x0020_0000), "2^-128");
    assert!(run_schedule(ScalerConfig::default(), &events[..145]).is_err());
    assert!(before.last().unwrap().warning.as_ref().unwrap().contains("below 1"));
}

#[test]
fn a_disabled_scaler_reports_scale_one_and_steps_on_every_gradient() {
    let bad = ScalerConfig { growth_factor: 0.5, init_scale: 0.0, ..Default::default() };
    let mut s = GradScaler::new(bad, false).expect("torch checks the config only when enabled");
    assert_eq!((s.get_scale(), s.scale(3.5), s.is_enabled()), (1.0, 3.5, false));
    let mut g = vec![f32::INFINITY, 2.0];
    let mut stepped = false;
    assert!(!s.step(&mut [&mut g], |_| stepped = true).unwrap());
    assert!(stepped, "a disabled scaler always runs the optimizer");
    assert_eq!((g[1], s.update().unwrap().scale), (2.0, 1.0));
    assert!(GradScaler::new(bad, true).is_err());
    let r = train("bf16-mixed", "{}", 2);
    assert!(r.iter().all(|s| s.amp_loss_scale.is_none() && !s.skipped), "bf16-mixed runs no scaler");
}

#[test]
fn invalid_precision_strings_name_the_value_and_the_valid_ones() {
    for bad in ["8", "int8", "invalid", "", "64-true", "16-MIXED"] {
        let msg = parse_precision(bad).unwrap_err().to_string();
        assert!(msg.contains(&format!("invalid precision {bad:?}")), "{msg}");
        assert!(msg.contains("32-true, 16-mixed, bf16-mixed, 16-true, bf16-true"), "{msg}");
    }
    assert!(parse_precision_number(8.0).unwrap_err().to_string().contains("\"8\""));
    let out = Command::new(env!("CARGO_BIN_EXE_quantplay"))
        .args(["train", "--precision", "int8", "--steps", "1"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.code() == Some(2) && err.contains("invalid precision \"int8\""), "{err}");
}

#[test]
fn all_zero_gradients_are_finite_so_the_step_runs_and_counts_toward_growth() {
    let mut s = GradScaler::new(ScalerConfig { growth_interval: 2, ..Default::default() }, true).unwrap();
    for step in 0..2 {
        let mut g = vec![0.0f32; 5];
        let mut seen = vec![];
        assert!(!s.step(&mut [&mut g], |gs| seen = gs[0].to_vec()).unwrap(), "step {step} runs");
        assert_eq!(seen, [0.0; 5]);
        s.update().unwrap();
    }
    assert_eq!((s.get_scale(), s.growth_tracker()), (131072.0, 0));
}
