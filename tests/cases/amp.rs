//! Parity and golden bodies for the mixed-precision ops: the f16 matmul (bit-exact with the
//! CPU, both GPU paths equal) and the GradScaler kernels, which must replay torch's
//! `_amp_foreach_non_finite_check_and_unscale_` / `_amp_update_scale_` timelines exactly with
//! the scale kept on the backend and one read at the end.

use super::fixture;
use quantplay::amp::ScalerConfig;
use quantplay::backend::gpu::F16Path;
use quantplay::nn::SgdConfig;
use quantplay::prelude::*;
use quantplay::rules::rng::Rng;
use quantplay::{CpuReference, DType, GpuBackend, HostData};

const AMP: &str = include_str!("../fixtures/amp_kernels.json");

fn f16s(v: &[f32]) -> HostData {
    HostData::F16(v.iter().map(|&x| quantplay::rules::cast::f32_to_f16(x)).collect())
}

fn f16_bits(d: HostData) -> Vec<u16> {
    match d {
        HostData::F16(v) => v.iter().map(|x| x.to_bits()).collect(),
        other => panic!("expected f16, got {:?}", other.dtype()),
    }
}

/// Random f16 operands with some huge values (so sums overflow f16 to inf) and subnormals.
fn operands(len: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..len)
        .map(|i| match i % 17 {
            0 => rng.uniform(-3e4, 3e4),
            1 => rng.uniform(-1e-6, 1e-6),
            _ => rng.uniform(-2.0, 2.0),
        })
        .collect()
}

pub async fn f16_matmul_agrees_bit_for_bit_with_the_cpu<B: Backend>(b: &B) {
    let cpu = CpuReference;
    for (i, &(m, k, n)) in [(1, 1, 1), (3, 5, 7), (17, 33, 9), (64, 128, 10)].iter().enumerate() {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let (a, w) = (operands(m * k, 1300 + i as u64), operands(k * n, 1400 + i as u64));
            let sa: &[usize] = if ta { &[k, m] } else { &[m, k] };
            let sb: &[usize] = if tb { &[n, k] } else { &[k, n] };
            let got = f16_bits(
                b.read_data(
                    &b.matmul_f16(&b.upload_data(f16s(&a), sa).unwrap(), &b.upload_data(f16s(&w), sb).unwrap(), ta, tb)
                        .unwrap(),
                )
                .await
                .unwrap(),
            );
            let want = f16_bits(
                cpu.read_data(
                    &cpu.matmul_f16(
                        &cpu.upload_data(f16s(&a), sa).unwrap(),
                        &cpu.upload_data(f16s(&w), sb).unwrap(),
                        ta,
                        tb,
                    )
                    .unwrap(),
                )
                .await
                .unwrap(),
            );
            assert_eq!(got, want, "{} matmul_f16 ta={ta} tb={tb} ({m}, {k}, {n})", b.name());
            if m * n > 100 {
                assert!(want.iter().any(|&h| h & 0x7c00 == 0x7c00), "test data should overflow f16 somewhere");
            }
        }
    }
    let f32t = b.upload(&[1.0; 4], &[2, 2]).unwrap();
    let msg = b.matmul_f16(&f32t, &f32t, false, false).unwrap_err().to_string();
    assert!(msg.contains("matmul_f16") && msg.contains("float16"), "{msg}");
}

/// GPU only: `enable f16` and packed-u32 kernels give the same bits where both exist; without
/// shader-f16 the native path is refused with a reason.
pub async fn both_gpu_f16_paths_agree(g: &GpuBackend) {
    let (a, w) = (operands(37 * 70, 1500), operands(70 * 23, 1501));
    let (at, wt) = (g.upload_data(f16s(&a), &[37, 70]).unwrap(), g.upload_data(f16s(&w), &[70, 23]).unwrap());
    let packed =
        f16_bits(g.read_data(&g.matmul_f16_with(&at, &wt, false, false, F16Path::Packed).unwrap()).await.unwrap());
    match g.matmul_f16_with(&at, &wt, false, false, F16Path::Native) {
        Ok(t) => assert_eq!(f16_bits(g.read_data(&t).await.unwrap()), packed, "native vs packed f16 matmul"),
        Err(e) => {
            assert!(!g.info().shader_f16, "{e}");
            assert!(e.to_string().contains("shader-f16"), "{e}");
        }
    }
}

pub async fn grad_scaler_kernels_replay_torch_timelines_without_reading_back<B: Backend>(b: &B) {
    let fx: serde_json::Value = serde_json::from_str(AMP).unwrap();
    for run in fx["runs"].as_array().unwrap() {
        let st = &run["settings"];
        let cfg = ScalerConfig {
            init_scale: st["init_scale"].as_f64().unwrap(),
            growth_factor: st["growth_factor"].as_f64().unwrap(),
            backoff_factor: st["backoff_factor"].as_f64().unwrap(),
            growth_interval: fixture::u32_of(&st["growth_interval"]),
        };
        let mut scale = b.upload(&[cfg.init_scale as f32], &[1]).unwrap();
        let mut tracker = b.upload_data(HostData::I32(vec![0]), &[1]).unwrap();
        // Per step: inv_scale from the device scale, unscale + found_inf, update. The device
        // results are kept and read only after the whole timeline.
        let mut kept = Vec::new();
        for step in run["steps"].as_array().unwrap() {
            let grad_in = fixture::f32s(&step["grad_in"]);
            let mut grad = b.upload(&grad_in, &[grad_in.len()]).unwrap();
            let mut found = b.upload(&[0.0], &[1]).unwrap();
            let inv = b.amp_inv_scale(&scale).unwrap();
            b.amp_unscale(&mut [&mut grad], &inv, &mut found).unwrap();
            b.amp_update_scale(&mut scale, &mut tracker, &found, &cfg).unwrap();
            let scale_after = b.scale(&scale, 1.0).unwrap(); // a copy: `scale` keeps changing
            let tracker_after = b.cast(&tracker, DType::I32).unwrap();
            kept.push((grad, found, inv, scale_after, tracker_after));
        }
        // Bit-exact on the CPU (f64 products) and on the GPU when both factors are f32 values
        // (the defaults, powers of two); otherwise the GPU's f32 hi+lo product may be an ulp
        // off per update (amp_update_scale.wgsl), so it is held to a relative bound instead.
        let representable = |x: f64| (x as f32) as f64 == x;
        let exact =
            b.name().starts_with("cpu") || (representable(cfg.growth_factor) && representable(cfg.backoff_factor));
        let close = |got: f32, want: u32, what: &str| {
            let want = f32::from_bits(want);
            if exact {
                assert_eq!(got.to_bits(), want.to_bits(), "{what}: {got:e} vs {want:e}");
            } else {
                assert!((got - want).abs() <= 4e-6 * want.abs(), "{what}: {got:e} vs {want:e}");
            }
        };
        for (i, (step, (grad, found, inv, scale_after, tracker_after))) in
            run["steps"].as_array().unwrap().iter().zip(kept).enumerate()
        {
            let what = format!("{} vs torch, settings {st}, step {i} ({})", b.name(), step["event"]);
            close(b.read(&inv).await.unwrap()[0], fixture::u32_of(&step["inv_scale"]), &format!("{what}: inv_scale"));
            assert_eq!(
                b.read(&found).await.unwrap()[0] as f64,
                step["found_inf"].as_f64().unwrap(),
                "{what}: found_inf"
            );
            close(
                b.read(&scale_after).await.unwrap()[0],
                fixture::u32_of(&step["scale_after"]),
                &format!("{what}: scale"),
            );
            let HostData::I32(t) = b.read_data(&tracker_after).await.unwrap() else { panic!("int32") };
            assert_eq!(t[0] as i64, fixture::i64_of(&step["growth_tracker"]), "{what}: growth_tracker");
            // Finite gradients must be unscaled exactly; non-finite steps are skipped anyway.
            if step["found_inf"].as_f64().unwrap() == 0.0 {
                let got = b.read(&grad).await.unwrap();
                for (j, want) in step["grad_out"].as_array().unwrap().iter().enumerate() {
                    close(got[j], fixture::u32_of(want), &format!("{what}: unscaled grad {j}"));
                }
            }
        }
    }
}

pub async fn optimizer_steps_are_skipped_on_the_device_when_found_inf_is_set<B: Backend>(b: &B) {
    let cfg = SgdConfig { lr: 0.5, momentum: 0.9, ..Default::default() };
    let mut p = b.upload(&[1.0, 2.0, 3.0], &[3]).unwrap();
    let mut buf = b.upload(&[0.0; 3], &[3]).unwrap();
    let g = b.upload(&[1.0, 1.0, 1.0], &[3]).unwrap();
    let set = b.upload(&[1.0], &[1]).unwrap();
    let clear = b.upload(&[0.0], &[1]).unwrap();
    b.sgd_step(&mut p, &g, &mut buf, &cfg, true, Some(&set)).unwrap();
    assert_eq!(b.read(&p).await.unwrap(), vec![1.0, 2.0, 3.0], "{}: skipped step changed p", b.name());
    assert_eq!(b.read(&buf).await.unwrap(), vec![0.0; 3], "{}: skipped step changed the buffer", b.name());
    b.sgd_step(&mut p, &g, &mut buf, &cfg, true, Some(&clear)).unwrap();
    assert_eq!(b.read(&p).await.unwrap(), vec![0.5, 1.5, 2.5]);
    let (mut m, mut v) = (b.upload(&[0.0; 3], &[3]).unwrap(), b.upload(&[0.0; 3], &[3]).unwrap());
    b.adam_step(&mut p, &g, &mut m, &mut v, &Default::default(), 1, Some(&set)).unwrap();
    assert_eq!(b.read(&p).await.unwrap(), vec![0.5, 1.5, 2.5], "{}: skipped Adam step changed p", b.name());
    let bad = b.upload(&[0.0; 2], &[2]).unwrap();
    let msg = b.sgd_step(&mut p, &g, &mut buf, &cfg, false, Some(&bad)).unwrap_err().to_string();
    assert!(msg.contains("skip_if must be (1,)"), "{msg}");
}

const SCALER: &str = include_str!("../fixtures/grad_scaler.json");

/// Host-side: `quantplay scaler`'s replay (amp::schedule) equals torch.amp.GradScaler("cpu")
/// step for step, bit for bit. Not backend-specific; run once per target.
pub fn grad_scaler_timelines_match_torch() {
    use quantplay::amp::schedule::{parse_schedule, run_schedule};
    let fx: serde_json::Value = serde_json::from_str(SCALER).unwrap();
    for run in fx["runs"].as_array().unwrap() {
        let st = &run["settings"];
        let get = |k: &str, d: f64| st.get(k).and_then(|v| v.as_f64()).unwrap_or(d);
        let cfg = ScalerConfig {
            init_scale: get("init_scale", 65536.0),
            growth_factor: get("growth_factor", 2.0),
            backoff_factor: get("backoff_factor", 0.5),
            growth_interval: get("growth_interval", 2000.0) as u32,
        };
        let steps = run_schedule(cfg, &parse_schedule(run["schedule"].as_str().unwrap()).unwrap()).unwrap();
        for (got, want) in steps.iter().zip(run["steps"].as_array().unwrap()) {
            let what = format!("settings {st} step {}", got.step);
            assert_eq!(got.scale_used.to_bits(), fixture::u32_of(&want["scale_used"]), "{what}: scale_used");
            assert_eq!(got.skipped, want["skipped"].as_bool().unwrap(), "{what}: skipped");
            assert_eq!(
                got.scale_after.to_bits(),
                fixture::u32_of(&want["scale_after"]),
                "{what}: scale_after {} vs {}",
                got.scale_after,
                fixture::f32_of(&want["scale_after"])
            );
            assert_eq!(got.growth_tracker as i64, fixture::i64_of(&want["growth_tracker"]), "{what}: growth_tracker");
        }
        assert_eq!(steps.len(), run["steps"].as_array().unwrap().len());
    }
}
