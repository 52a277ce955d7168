//! Native parity tests: every backend body in `cases/` runs on the CPU reference, the CPU fast
//! path and the wgpu backend (Mesa lavapipe here); the host-side bodies run once (`host::`).
//! Without an adapter the GPU tests print SKIP, append the test name to `$QUANTPLAY_SKIP_LOG` so
//! the test command reports them as skipped (never as passed), and fail instead when
//! `QUANTPLAY_REQUIRE_GPU=1`. A test that needs shader-f16 (the `enable f16` kernels) is skipped
//! the same way on an adapter without it, whatever `QUANTPLAY_REQUIRE_GPU` says.
//!
//! Length: the registration of every case on three backends, plus the checks only a native adapter can run.
#![cfg(not(target_arch = "wasm32"))]

mod cases;

use quantplay::GpuBackend;
use std::sync::OnceLock;

/// The shared GPU backend, opened once per test binary; `None` (after recording a skip) without one.
fn gpu(test: &str) -> Option<&'static GpuBackend> {
    static GPU: OnceLock<quantplay::Result<GpuBackend>> = OnceLock::new();
    match GPU.get_or_init(|| pollster::block_on(GpuBackend::new())) {
        Ok(g) => Some(g),
        Err(e) if std::env::var("QUANTPLAY_REQUIRE_GPU").as_deref() == Ok("1") => {
            panic!("QUANTPLAY_REQUIRE_GPU=1 but the GPU backend is unavailable: {e}")
        }
        Err(e) => {
            skip(test, e);
            None
        }
    }
}

/// Records a skipped GPU test: prints `SKIP webgpu::<test>: <reason>` and appends the test to
/// `$QUANTPLAY_SKIP_LOG`, which the test command counts as skipped rather than passed.
fn skip(test: &str, reason: impl std::fmt::Display) {
    eprintln!("SKIP webgpu::{test}: {reason}");
    if let Ok(path) = std::env::var("QUANTPLAY_SKIP_LOG") {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).expect("skip log");
        writeln!(f, "native webgpu::{test}: {reason}").expect("skip log");
    }
}

macro_rules! on_every_backend {
    ($($case:ident),* $(,)?) => {
        mod cpu { $(
            #[test]
            fn $case() {
                pollster::block_on(crate::cases::$case(&quantplay::CpuReference));
            }
        )* }
        mod cpu_fast { $(
            #[test]
            fn $case() {
                pollster::block_on(crate::cases::$case(&quantplay::CpuFast));
            }
        )* }
        mod webgpu { $(
            #[test]
            fn $case() {
                if let Some(g) = crate::gpu(stringify!($case)) {
                    pollster::block_on(crate::cases::$case(g));
                }
            }
        )* }
    };
}

cases::all_cases!(on_every_backend);

macro_rules! once {
    ($($case:ident),* $(,)?) => {
        mod host { $(
            #[test]
            fn $case() {
                crate::cases::$case();
            }
        )* }
    };
}

cases::host_cases!(once);

#[test]
fn both_gpu_int8_paths_agree() {
    if let Some(g) = gpu("both_gpu_int8_paths_agree") {
        pollster::block_on(cases::both_gpu_int8_paths_agree(g));
    }
}

#[test]
fn both_gpu_f16_paths_agree() {
    let test = "both_gpu_f16_paths_agree";
    if let Some(g) = gpu(test) {
        // Without shader-f16 the body still checks the packed path and that the native one is
        // refused with the reason; the comparison it exists for did not run, so it is a skip.
        pollster::block_on(cases::both_gpu_f16_paths_agree(g));
        let info = g.info();
        if !info.shader_f16 {
            skip(
                test,
                format!(
                    "adapter {:?} ({}) lacks shader-f16, so the `enable f16` kernels were not compared",
                    info.name, info.backend
                ),
            );
        }
    }
}

#[test]
fn a_gradient_nan_only_on_the_gpu_skips_that_step_there_and_not_on_the_cpu() {
    if let Some(g) = gpu("a_gradient_nan_only_on_the_gpu_skips_that_step_there_and_not_on_the_cpu") {
        pollster::block_on(cases::a_gradient_nan_only_on_the_gpu_skips_that_step_there_and_not_on_the_cpu(g));
    }
}

#[test]
fn calibration_reads_back_once_per_observer_and_once_per_batch_for_histograms() {
    if let Some(g) = gpu("calibration_reads_back_once_per_observer_and_once_per_batch_for_histograms") {
        pollster::block_on(cases::calibration_reads_back_once_per_observer_and_once_per_batch_for_histograms(g));
    }
}

#[test]
fn simple_and_tiled_gpu_matmuls_are_identical() {
    if let Some(g) = gpu("simple_and_tiled_gpu_matmuls_are_identical") {
        pollster::block_on(cases::simple_and_tiled_gpu_matmuls_are_identical(g));
    }
}

#[test]
fn scaler_command_prints_the_timeline_as_json_and_rejects_bad_settings() {
    let exe = env!("CARGO_BIN_EXE_quantplay");
    let out = std::process::Command::new(exe)
        .args(["scaler", "--schedule", "ok,inf,ok,nan,-inf", "--growth-interval", "2", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let steps = v["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 5);
    let skipped: Vec<bool> = steps.iter().map(|s| s["skipped"].as_bool().unwrap()).collect();
    assert_eq!(skipped, [false, true, false, true, true]);
    assert_eq!(steps[1]["scale_used"], 65536.0);
    assert_eq!(steps[4]["scale_after"], 8192.0);
    for key in ["step", "event", "scale_used", "skipped", "scale_after", "growth_tracker"] {
        assert!(!steps[0][key].is_null(), "{key}");
    }
    assert_eq!(steps[4]["event"], "-inf");
    let bad = std::process::Command::new(exe)
        .args(["scaler", "--schedule", "ok", "--backoff-factor", "1.5"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("backoff_factor"));
}

/// CSV text as one map per data row, column name → cell, keyed by the header row (so a test
/// names the columns it reads instead of counting them); every row has the header's width.
fn csv_by_header(text: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("a CSV header row").split(',').collect();
    lines
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            assert_eq!(
                cells.len(),
                header.len(),
                "a row of {} cells under a header of {}: {line}",
                cells.len(),
                header.len()
            );
            header.iter().zip(cells).map(|(h, c)| (h.to_string(), c.to_string())).collect()
        })
        .collect()
}

#[test]
fn train_command_prints_a_record_per_step_and_the_loss_falls() {
    let exe = env!("CARGO_BIN_EXE_quantplay");
    for backend in ["cpu", "gpu"] {
        let out = std::process::Command::new(exe)
            .args(["train", "--dataset", "circle", "--steps", "60", "--lr", "0.03", "--backend", backend, "--json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let recs: Vec<serde_json::Value> =
            String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(recs.len(), 60);
        assert_eq!(recs[59]["step"], 60);
        assert_eq!(
            (recs[0]["amp/enabled"].clone(), recs[0]["amp/precision"].clone()),
            (serde_json::json!(0), serde_json::json!("32-true"))
        );
        assert!(recs[0].get("amp/loss_scale").is_none(), "32-true logs no scale");
        let loss = |r: &serde_json::Value| r["loss"].as_f64().unwrap();
        let first: f64 = recs[..10].iter().map(loss).sum::<f64>() / 10.0;
        let last: f64 = recs[50..].iter().map(loss).sum::<f64>() / 10.0;
        assert!(last < 0.7 * first, "{backend}: loss {first} -> {last}");
        assert!(recs.iter().all(|r| r["grad_norm"].as_f64().unwrap() > 0.0 && !r["skipped"].as_bool().unwrap()));
    }
    let bad = std::process::Command::new(exe).args(["train", "--precision", "64"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("16-mixed"), "the error lists valid precisions");
    for backend in ["cpu", "gpu"] {
        let out = std::process::Command::new(exe)
            .args([
                "train",
                "--dataset",
                "xor",
                "--precision",
                "16-mixed",
                "--steps",
                "12",
                "--backend",
                backend,
                "--init-scale",
                "1024",
                "--growth-interval",
                "4",
                "--loss-multiplier",
                "2",
                "--optimizer",
                "sgd",
                "--lr",
                "0.05",
                "--batch",
                "16",
                "--json",
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let recs: Vec<serde_json::Value> =
            String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let scales: Vec<f64> = recs.iter().map(|r| r["amp/loss_scale"].as_f64().unwrap()).collect();
        assert_eq!(
            scales,
            [1024., 1024., 1024., 1024., 2048., 2048., 2048., 2048., 4096., 4096., 4096., 4096.],
            "{backend}: growth every 4 finite steps"
        );
        assert!(recs
            .iter()
            .all(|r| r["amp/enabled"] == 1 && r["amp/precision"] == "16-mixed" && r["skipped"] == false));
        let csv = std::process::Command::new(exe)
            .args([
                "train",
                "--dataset",
                "xor",
                "--precision",
                "16-mixed",
                "--steps",
                "12",
                "--backend",
                backend,
                "--init-scale",
                "1e30",
                "--batch",
                "16",
                "--csv",
            ])
            .output()
            .unwrap();
        assert!(csv.status.success(), "{}", String::from_utf8_lossy(&csv.stderr));
        let text = String::from_utf8_lossy(&csv.stdout);
        assert_eq!(text.lines().next(), Some(quantplay::app::metrics::CSV_HEADER));
        let rows = csv_by_header(&text);
        let cells = |row: usize, names: &[&str]| -> Vec<String> {
            names.iter().map(|n| rows[row].get(*n).unwrap_or_else(|| panic!("no CSV column {n}")).clone()).collect()
        };
        // 1e30 overflows f16 at once: the first steps are skipped and the scale halves each time.
        assert_eq!(
            cells(0, &["amp/precision", "amp/loss_scale", "skipped", "overflow_count"]),
            ["16-mixed", "1000000000000000000000000000000", "true", "1"],
            "{backend}: {:?}",
            rows[0]
        );
        assert_eq!(cells(1, &["amp/loss_scale", "overflow_count"]), ["500000000000000000000000000000", "2"]);
    }
    let ep = std::process::Command::new(exe)
        .args([
            "train",
            "--dataset",
            "circle",
            "--samples",
            "100",
            "--batch",
            "20",
            "--steps",
            "9",
            "--precision",
            "16-mixed",
            "--epochs",
        ])
        .output()
        .unwrap();
    let eps: Vec<serde_json::Value> =
        String::from_utf8_lossy(&ep.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    // 80 training samples in batches of 20: 4 steps per epoch, so 9 steps are 4 + 4 + 1.
    assert_eq!(eps.iter().map(|e| e["steps"].as_u64().unwrap()).collect::<Vec<_>>(), [4, 4, 1]);
    assert_eq!(eps[2]["amp/loss_scale"], 65536.0);
}

#[test]
fn gpu_info_reports_the_adapter_and_its_features() {
    let Some(g) = gpu("gpu_info_reports_the_adapter_and_its_features") else { return };
    let info = g.info();
    assert!(!info.name.is_empty(), "{info:?}");
    assert!(!info.backend.is_empty() && !info.device_type.is_empty(), "{info:?}");
    assert!(info.max_storage_buffer_binding_size >= 1 << 27, "WebGPU guarantees 128 MiB: {info:?}");
}

#[test]
fn info_command_prints_json_with_cpu_and_gpu_sections() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_quantplay")).args(["info", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("info --json prints JSON");
    assert_eq!(v["cpu"]["arch"], std::env::consts::ARCH);
    assert!(v["cpu"]["simd"].is_array());
    let has_gpu = v["gpu"].is_object();
    assert_eq!(v["active_backend"], if has_gpu { "webgpu" } else { "cpu" });
    if has_gpu {
        for key in ["name", "vendor", "backend", "device_type", "shader_f16", "packed_int8_dot"] {
            assert!(!v["gpu"][key].is_null(), "gpu.{key} missing: {v}");
        }
    } else {
        assert!(v["gpu_unavailable_reason"].as_str().is_some_and(|r| !r.is_empty()), "{v}");
    }
}

#[test]
fn info_command_text_names_both_backends_and_unknown_commands_fail() {
    let exe = env!("CARGO_BIN_EXE_quantplay");
    let out = std::process::Command::new(exe).arg("info").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success()
            && text.contains("CPU")
            && text.contains("WebGPU")
            && text.contains("SHADER_F16") == text.contains("packed int8"),
        "{text}"
    );
    let bad = std::process::Command::new(exe).arg("frobnicate").output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("info"), "the error lists valid subcommands");
}

#[test]
fn a_16_mixed_gpu_step_reads_nothing_back() {
    // A fresh device, so other tests' reads on the shared one do not count here.
    if gpu("a_16_mixed_gpu_step_reads_nothing_back").is_none() {
        return;
    }
    use quantplay::app::session::Session;
    let g = pollster::block_on(GpuBackend::new()).unwrap();
    for opt in ["sgd", "adam"] {
        let json = format!(
            r#"{{"dataset":"digits","samples":200,"precision":"16-mixed","hidden":[32,32],"optimizer":"{opt}","batch":64}}"#
        );
        let mut s = Session::new(&g, quantplay::app::session_config::parse(&json).unwrap().0).unwrap();
        let before = g.readback_count();
        for _ in 0..6 {
            s.step(&g).unwrap();
        }
        assert_eq!(g.readback_count() - before, 0, "{opt}: 16-mixed steps read back");
        let recs = pollster::block_on(s.flush(&g)).unwrap();
        assert_eq!(recs.len(), 6);
        assert!(g.readback_count() > before, "{opt}: the metrics flush is counted, so the counter works");
    }
}
