//! Resource limits (issue 17 part 4): the plan check that runs before a session, a restore or a
//! PTQ run allocates, on a WebGPU device opened with lowered per-buffer limits (so a modest model
//! meets `max_storage_buffer_binding_size` without gigabytes), on the real adapter's workgroup
//! limit, and on the CPU against a lowered host budget. Without an adapter the GPU tests print
//! SKIP (and fail when `QUANTPLAY_REQUIRE_GPU=1`), as in `tests/native.rs`.
#![cfg(not(target_arch = "wasm32"))]

use quantplay::app::backends::{is_device_error, run_on, Open};
use quantplay::app::ptq::{PageQuantJob, PtqOptions};
use quantplay::app::session::Session;
use quantplay::app::session_config::SessionConfig;
use quantplay::backend::gpu::LowerLimits;
use quantplay::prelude::*;
use quantplay::rules::error::LimitScope;
use quantplay::rules::plan::DeviceLimits;
use quantplay::{BackendKind, CpuFast, CpuReference, Error, GpuBackend};

const MIB: u64 = 1 << 20;

/// A device whose bindings and buffers are at most 1 MiB; `None` after printing SKIP.
fn small_gpu(test: &str) -> Option<GpuBackend> {
    let lower = LowerLimits { max_storage_buffer_binding_size: Some(MIB), max_buffer_size: Some(2 * MIB) };
    match pollster::block_on(GpuBackend::with_lower_limits(lower)) {
        Ok(g) => Some(g),
        Err(e) if std::env::var("QUANTPLAY_REQUIRE_GPU").as_deref() == Ok("1") => panic!("no GPU: {e}"),
        Err(e) => {
            eprintln!("SKIP webgpu::{test}: {e}");
            if let Ok(path) = std::env::var("QUANTPLAY_SKIP_LOG") {
                use std::io::Write;
                let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).expect("skip log");
                writeln!(f, "limits webgpu::{test}: {e}").expect("skip log");
            }
            None
        }
    }
}

fn cfg(hidden: &[usize], batch: usize, samples: usize) -> SessionConfig {
    SessionConfig { dataset: "spiral".into(), hidden: hidden.to_vec(), batch, samples, ..Default::default() }
}

/// The fields of a ResourceLimit, or a panic naming what came instead.
fn limit(e: &Error) -> (&str, u64, &str, u64) {
    match e {
        Error::ResourceLimit { tensor, needs, limit_name, limit, .. } => (tensor, *needs, limit_name, *limit),
        other => panic!("expected a ResourceLimit, got {other:?}"),
    }
}

/// A few steps of a small run on `b`: the backend still works after a refused plan.
fn trains<B: Backend>(b: &B) {
    let mut s = Session::new(b, cfg(&[8], 16, 64)).unwrap();
    let recs = pollster::block_on(s.run(b, 3)).unwrap();
    assert_eq!(recs.len(), 3);
    assert!(recs.iter().all(|r| r.loss.is_finite()), "{recs:?}");
}

#[test]
fn a_weight_over_the_adapters_binding_limit_is_named_before_anything_is_allocated() {
    let Some(g) = small_gpu("a_weight_over_the_adapters_binding_limit") else { return };
    assert_eq!(g.limits().gpu.as_ref().unwrap().max_storage_buffer_binding_size, MIB, "the lowered limit holds");
    // fc2.weight (1024, 512) f32 is 2 MiB; everything before it in the plan is under 1 MiB.
    let e = Session::new(&g, cfg(&[512, 1024], 32, 400)).err().expect("refused");
    assert_eq!(limit(&e), ("fc2.weight (1024, 512) f32", 2 * MIB, "max_storage_buffer_binding_size", MIB));
    let msg = e.to_string();
    let adapter = &g.info().name;
    assert_eq!(
        msg,
        format!(
            "fc2.weight (1024, 512) f32 needs 2097152 bytes; this adapter's max_storage_buffer_binding_size is \
             1048576 ({adapter}) — lower the hidden widths, the batch size or the samples"
        )
    );
    assert!(!is_device_error(&e), "a limit is not a device error: nothing falls back to the CPU");
    assert!(matches!(&e, Error::ResourceLimit { scope: LimitScope::Adapter(a), .. } if a == adapter));
    // Nothing was half-made: the same device trains a small run, with no GPU error pending.
    trains(&g);
}

#[test]
fn a_batch_activation_over_the_limit_is_named_as_the_layer_output_it_is() {
    let Some(g) = small_gpu("a_batch_activation_over_the_limit") else { return };
    // 2560 samples, 0.8 train: a batch of 2048; fc1's output (2048, 256) f32 is 2 MiB.
    let e = Session::new(&g, cfg(&[256], 2048, 2560)).err().expect("refused");
    assert_eq!(
        limit(&e),
        ("output of fc1 on a batch (2048, 256) f32", 2 * MIB, "max_storage_buffer_binding_size", MIB)
    );
    // An evaluation over the training split is planned too: 2048 training samples need a
    // (2048, 256) output there even with a small batch.
    let e = Session::new(&g, cfg(&[256], 64, 2560)).err().expect("refused");
    assert_eq!(limit(&e).0, "output of fc1 on the training split (2048, 256) f32");
    // 1280 samples and batch 1024: every tensor at most 1 MiB (exactly the limit); it trains.
    let mut s = Session::new(&g, cfg(&[256], 1024, 1280)).unwrap();
    assert_eq!(pollster::block_on(s.run(&g, 1)).unwrap().len(), 1);
}

#[test]
fn restoring_a_snapshot_onto_a_smaller_adapter_is_refused_by_name() {
    let Some(g) = small_gpu("restoring_a_snapshot_onto_a_smaller_adapter") else { return };
    let c = cfg(&[512, 1024], 32, 400);
    let mut s = Session::new(&CpuFast, c.clone()).unwrap();
    pollster::block_on(s.run(&CpuFast, 2)).unwrap();
    let snap = pollster::block_on(s.snapshot(&CpuFast, "{}")).unwrap();
    let e = Session::restore(&g, &snap, c).err().expect("refused");
    assert_eq!(limit(&e).0, "fc2.weight (1024, 512) f32");
    trains(&g);
}

#[test]
fn quantizing_a_model_over_the_limit_is_refused_on_the_gpu_and_does_not_fall_back() {
    let Some(g) = small_gpu("quantizing_a_model_over_the_limit") else { return };
    let w = |o: usize, i: usize| vec![0.01; o * i];
    let model = quantplay::model::mlp_model(
        &[2, 512, 1024, 2],
        &[w(512, 2), w(1024, 512), w(2, 1024)],
        &[vec![0.0; 512], vec![0.0; 1024], vec![0.0; 2]],
    )
    .unwrap();
    let (x, y) = (vec![0.5f32; 64 * 2], vec![0i32; 64]);
    let opt = PtqOptions::default();
    let job = PageQuantJob { model: &model, calib: (&x, &[64, 2]), eval: (&x, &[64, 2]), eval_y: &y, opt: &opt };
    let open = Open { cpu: &CpuFast, reference: &CpuReference, gpu: Ok(&g) };
    // run_on moves device errors to the CPU; a limit must come back as itself instead.
    let e = pollster::block_on(run_on(&open, BackendKind::WebGpu, &job)).expect_err("refused, not run on the CPU");
    assert_eq!(limit(&e), ("fc2.weight (1024, 512) f32", 2 * MIB, "max_storage_buffer_binding_size", MIB));
    // The CPU (no device limits, 8 GiB budget) quantizes the same model.
    assert!(pollster::block_on(run_on(&open, BackendKind::Cpu, &job)).is_ok());
}

#[test]
fn a_matmul_grid_over_the_workgroup_limit_is_a_named_error_not_a_validation_error() {
    let Some(g) = small_gpu("a_matmul_grid_over_the_workgroup_limit") else { return };
    let max = g.limits().gpu.unwrap().max_compute_workgroups_per_dimension as usize;
    let tile = quantplay::backend::gpu::MatmulPath::DEFAULT.outputs_per_workgroup_side() as usize;
    // (rows, 1) · (1, 1) with rows·4 bytes over the lowered 1 MiB: use the adapter's own limits.
    let big = pollster::block_on(GpuBackend::new()).unwrap();
    let rows = max * tile + 1;
    if rows as u64 * 4 > big.limits().gpu.unwrap().max_storage_buffer_binding_size {
        eprintln!("SKIP webgpu::a_matmul_grid_over_the_workgroup_limit: {rows} rows do not fit one binding here");
        return;
    }
    let a = big.upload(&vec![1.0; rows], &[rows, 1]).unwrap();
    let b = big.upload(&[2.0], &[1, 1]).unwrap();
    let e = big.matmul_t(&a, &b, false, false).unwrap_err();
    let (what, needs, name, lim) = limit(&e);
    assert_eq!((needs, name, lim), ((max + 1) as u64, "max_compute_workgroups_per_dimension", max as u64), "{what}");
    assert!(e.to_string().contains("workgroups along y"), "{e}");
    assert!(!is_device_error(&e));
    // One row fewer fits the grid and computes.
    let a = big.upload(&vec![1.0; rows - 1], &[rows - 1, 1]).unwrap();
    let out = pollster::block_on(big.read(&big.matmul_t(&a, &b, false, false).unwrap())).unwrap();
    assert!(out.iter().all(|&v| v == 2.0) && out.len() == rows - 1);
    trains(&g);
}

#[test]
fn a_session_over_a_lowered_host_budget_is_refused_on_the_cpu_with_the_budgets_name() {
    let budget = DeviceLimits::host().with_host_budget(4 * MIB, "TEST_BUDGET", "a test budget");
    // hidden (256, 256): three 256 KiB slots of fc2.weight alone; with the step's copies it is over 4 MiB.
    let e = Session::new_within(&CpuFast, cfg(&[256, 256], 256, 2000), &budget).err().expect("refused");
    let (what, needs, name, lim) = limit(&e);
    assert_eq!((name, lim), ("TEST_BUDGET", 4 * MIB));
    assert!(needs > 4 * MIB, "{needs}");
    assert!(what.starts_with("the host memory of this training session (parameters, gradients"), "{what}");
    assert!(e.to_string().contains("the host memory budget TEST_BUDGET is 4194304 (a test budget)"), "{e}");
    assert!(!is_device_error(&e));
    // Under the same budget a small run is made and trains; the default budget takes the big one.
    let mut s = Session::new_within(&CpuFast, cfg(&[16], 32, 400), &budget).unwrap();
    assert_eq!(pollster::block_on(s.run(&CpuFast, 2)).unwrap().len(), 2);
    assert!(Session::new(&CpuReference, cfg(&[256, 256], 256, 2000)).is_ok());
}

#[test]
fn huge_settings_are_refused_by_the_plan_not_by_an_allocation() {
    // 2^40 samples would be terabytes of data: the plan says so before the data is generated.
    let e = Session::new(&CpuFast, cfg(&[16], 32, 1 << 40)).err().expect("refused");
    let (what, needs, name, _) = limit(&e);
    assert!(what.starts_with("the host memory of this training session") && name == "HOST_BUDGET_NATIVE", "{what}");
    assert!(needs >= (1u64 << 40) * 8, "{needs}");
}
