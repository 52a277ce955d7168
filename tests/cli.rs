//! The `quantplay quantize` command from files, as a user runs it: a model exported the way
//! `safetensors.torch.save_file(model.state_dict())` writes it (here rebuilt from the torch
//! fixture eager_mlp.json), calibration and evaluation files; the JSON report must carry torch's
//! qparams and codes, `--out` must load back with the same outputs, and bad input must fail with
//! exit code 2 and a message naming it.

use quantplay::backend::HostData;
use quantplay::model::int8;
use quantplay::model::state::Tensor;
use serde_json::Value;
use std::process::Command;

const MLP: &str = include_str!("fixtures/eager_mlp.json");

#[path = "cases/case_files.rs"]
mod case_files;
#[path = "cases/fixture.rs"]
mod fixture;

use case_files::{tensor, write, write_case, CaseFiles};

#[test]
fn quantize_command_reports_torchs_qparams_and_writes_a_loadable_int8_model() {
    let file: Value = serde_json::from_str(MLP).unwrap();
    let case = file["cases"].as_array().unwrap().iter().find(|c| c["name"] == "mlp fused x86").unwrap();
    let dir = std::env::temp_dir().join(format!("quantplay-cli-{}", std::process::id()));
    let CaseFiles { spec, weights, calib, eval } = write_case(&file, case, &dir);
    let out_path = dir.join("model.int8.safetensors");
    let exe = env!("CARGO_BIN_EXE_quantplay");
    let run = Command::new(exe)
        .args([
            "quantize",
            "--spec",
            spec.to_str().unwrap(),
            "--weights",
            &weights,
            "--calib",
            &calib,
            "--eval",
            &eval,
            "--calib-batch",
            "8",
            "--json",
            "--dump",
            "--out",
            out_path.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let r: Value = serde_json::from_slice(&run.stdout).unwrap();
    let exp = &case["expected"];
    assert_eq!(r["input"]["scale"].as_f64().unwrap() as f32, fixture::f32_of(&exp["input"]["scale"]));
    assert_eq!(r["input"]["zero_point"], exp["input"]["zero_point"]);
    let got_layers: Vec<&Value> = r["layers"].as_array().unwrap().iter().filter(|l| l["kind"] != "Quantize").collect();
    assert_eq!(got_layers.len(), exp["layers"].as_array().unwrap().len());
    for (got, want) in got_layers.into_iter().zip(exp["layers"].as_array().unwrap()) {
        assert_eq!((&got["name"], &got["kind"]), (&want["name"], &want["kind"]));
        let bias: Vec<f32> = got["bias"].as_array().unwrap().iter().map(|s| s.as_f64().unwrap() as f32).collect();
        assert_eq!(bias, fixture::f32s(&want["bias"]), "{} bias", want["name"]);
        assert_eq!(got["weight_zero_point"], want["weight_zero_point"]);
        assert_eq!(got["weight_codes"], want["weight_codes"], "{}", want["name"]);
        let scales: Vec<f32> =
            got["weight_scale"].as_array().unwrap().iter().map(|s| s.as_f64().unwrap() as f32).collect();
        assert_eq!(scales, fixture::f32s(&want["weight_scale"]));
        assert_eq!(got["output_scale"].as_f64().unwrap() as f32, fixture::f32_of(&want["output_scale"]));
        assert_eq!(got["output_zero_point"], want["output_zero_point"]);
    }
    assert_eq!(r["output_codes"], exp["output_codes"]);
    assert_eq!(r["accuracy"]["int8"].as_f64().unwrap(), exp["accuracy"]["int8"].as_f64().unwrap());
    // The int8 file loads back and gives the same output codes.
    let back = int8::load(&std::fs::read(&out_path).unwrap()).unwrap();
    let cpu = quantplay::CpuReference;
    let x = tensor(&file["eval"]);
    let HostData::F32(xv) = &x.data else { unreachable!() };
    let t = pollster::block_on(quantplay::quant::eager::report::quant_trace(&cpu, &back, xv, &x.shape)).unwrap();
    assert_eq!(serde_json::json!(t.output_codes), exp["output_codes"]);
    // Bad input: exit code 2 and a message naming the problem.
    for (args, want) in [
        (vec!["--qconfig", "bogus"], "bogus"),
        (vec!["--observer", "median"], "median"),
        (vec!["--backend", "tpu"], "tpu"),
    ] {
        let mut a = vec![
            "quantize",
            "--spec",
            spec.to_str().unwrap(),
            "--weights",
            weights.as_str(),
            "--calib",
            calib.as_str(),
        ];
        a.extend(args);
        let bad = Command::new(exe).args(&a).output().unwrap();
        assert_eq!(bad.status.code(), Some(2), "{a:?}");
        assert!(String::from_utf8_lossy(&bad.stderr).contains(want), "{}", String::from_utf8_lossy(&bad.stderr));
    }
    let missing = Command::new(exe)
        .args(["quantize", "--spec", "/nonexistent.json", "--weights", &weights, "--calib", &calib])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent.json"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A tiny (2, 3, 2) MLP's spec, weights and calibration files in `dir`; returns their paths
/// and the weights' bytes.
fn small_inputs(dir: &std::path::Path) -> (String, String, String, Vec<u8>) {
    let sizes = [2, 3, 2];
    let model = quantplay::model::mlp_model(&sizes, &[vec![0.1; 6], vec![-0.2; 6]], &[vec![0.0; 3], vec![0.1; 2]]);
    let spec = dir.join("model.json");
    std::fs::write(&spec, quantplay::model::spec::to_json(&quantplay::model::mlp_spec(&sizes)).to_string()).unwrap();
    let weights = dir.join("model.safetensors");
    let weight_bytes = model.unwrap().state_dict().to_safetensors(None).unwrap();
    std::fs::write(&weights, &weight_bytes).unwrap();
    let calib = write(
        dir,
        "calib.safetensors",
        vec![("x", Tensor::f32(&[4, 2], vec![0.5, -0.5, 1.0, 0.0, 0.2, 0.3, -1.0, 0.7]))],
    );
    let s = |p: std::path::PathBuf| p.to_string_lossy().into_owned();
    (s(spec), s(weights), calib, weight_bytes)
}

/// `quantplay quantize` of [`small_inputs`] to `out`, with `env` set.
fn quantize_cmd(inputs: &(String, String, String, Vec<u8>), out: &std::path::Path, env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_quantplay"));
    c.args(["quantize", "--spec", &inputs.0, "--weights", &inputs.1, "--calib", &inputs.2, "--out"])
        .arg(out)
        .envs(env.iter().copied());
    c
}

#[test]
fn an_out_path_that_is_an_input_is_refused_and_a_failed_write_leaves_no_file() {
    let dir = std::env::temp_dir().join(format!("quantplay-cli-out-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let inputs = small_inputs(&dir);
    let (weights, weight_bytes) = (&inputs.1, &inputs.3);
    let quantize = |out: &std::path::Path| quantize_cmd(&inputs, out, &[]).output().unwrap();
    let same = quantize(&dir.join(".").join("model.safetensors"));
    let err = String::from_utf8_lossy(&same.stderr);
    assert_eq!(same.status.code(), Some(2), "{err}");
    assert!(err.contains("invalid --out") && err.contains("same file as --weights"), "{err}");
    assert_eq!(&std::fs::read(weights).unwrap(), weight_bytes, "the input is left intact");
    let missing = dir.join("no-such-folder").join("m.int8.safetensors");
    let failed = quantize(&missing);
    assert_eq!(failed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&failed.stderr).contains("a writable path"));
    assert!(!missing.exists());
    let ok = quantize(&dir.join("m.int8.safetensors"));
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let mut names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(
        names,
        ["calib.safetensors", "m.int8.safetensors", "model.json", "model.safetensors"],
        "no temporary file"
    );
    assert!(int8::load(&std::fs::read(dir.join("m.int8.safetensors")).unwrap()).is_ok());
}

#[test]
fn bad_numeric_flags_of_train_and_scaler_exit_2_with_a_message_naming_the_flag_or_value() {
    // Each would have trained with a default (serde_json writes NaN as null), or allocated
    // without bound (10^11 steps; 10^12 samples: now the plan check's named error), without its
    // check. Valid flags around each bad
    // one keep a run short if a check were missing.
    let cases: &[(&[&str], &str)] = &[
        (&["train", "--steps=-1"], "'-1' for '--steps"),
        (&["train", "--steps", "abc"], "'abc' for '--steps"),
        (&["train", "--steps", "1.5"], "'1.5' for '--steps"),
        (&["train", "--steps", "1e12"], "'1e12' for '--steps"),
        (&["train", "--steps", "18446744073709551616"], "number too large"),
        (&["train", "--steps", "0"], "invalid steps \"0\""),
        (&["train", "--steps", "100000000000"], "invalid steps \"100000000000\"; valid values: at most 8388608"),
        (&["train", "--steps", "1", "--lr", "nan"], "invalid --lr \"NaN\"; valid values: a finite number"),
        (&["train", "--steps", "1", "--lr", "inf"], "invalid --lr \"inf\""),
        (&["train", "--steps", "1", "--lr=-1"], "invalid lr \"-1.0\""),
        (&["train", "--steps", "1", "--noise", "nan"], "invalid --noise \"NaN\""),
        (&["train", "--steps", "1", "--loss-multiplier=-inf"], "invalid --loss-multiplier \"-inf\""),
        (&["train", "--steps", "1", "--samples", "1000000000000"], "HOST_BUDGET_NATIVE"),
        (&["train", "--steps", "1", "--samples", "2"], "invalid samples \"2\""),
        (&["train", "--steps", "1", "--samples=-5"], "'-5' for '--samples"),
        (&["train", "--steps", "1", "--batch", "0"], "invalid batch \"0\""),
        (&["train", "--steps", "1", "--seed=-1"], "'-1' for '--seed"),
        (&["train", "--steps", "1", "--hidden", "0"], "invalid hidden \"[0]\""),
        (&["train", "--steps", "1", "--growth-interval", "99999999999"], "invalid growth_interval"),
        (&["scaler", "--schedule", "ok", "--init-scale", "nan"], "invalid init_scale \"NaN\""),
        (&["scaler", "--schedule", "ok", "--growth-factor", "nan"], "invalid growth_factor \"NaN\""),
        (&["scaler", "--schedule", "ok", "--growth-interval", "0"], "invalid growth_interval \"0\""),
        (&["scaler", "--schedule", "ok", "--growth-interval", "99999999999"], "'99999999999' for '--growth-interval"),
    ];
    for (args, want) in cases {
        let out = Command::new(env!("CARGO_BIN_EXE_quantplay")).args(*args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

/// The temporary files `.NAME.tmp-…` in `dir`, with their sizes.
fn temps(dir: &std::path::Path) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.metadata().unwrap().len()))
        .collect();
    v.sort();
    v
}

/// Starts a quantize that pauses with half of `out` written, waits until that half is on disk,
/// sends `signal` (`kill -SIGNAL`) and returns the exit status and the half-file's size.
#[cfg(unix)]
fn interrupt_mid_write(
    inputs: &(String, String, String, Vec<u8>),
    out: &std::path::Path,
    signal: &str,
) -> (std::process::ExitStatus, u64) {
    let dir = out.parent().unwrap();
    let mut child = quantize_cmd(inputs, out, &[("QUANTPLAY_FAULT_WRITE_PAUSE_MS", "20000")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    let half = loop {
        if let Some((_, len)) = temps(dir).into_iter().find(|(_, len)| *len > 0) {
            break len;
        }
        assert!(t0.elapsed().as_secs() < 60, "the CLI never started writing {}", out.display());
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let killed = Command::new("kill").arg(format!("-{signal}")).arg(child.id().to_string()).status().unwrap();
    assert!(killed.success());
    (child.wait().unwrap(), half)
}

#[cfg(unix)]
#[test]
fn a_ctrl_c_or_kill_mid_write_leaves_the_old_file_whole_and_no_half_file_behind() {
    use std::os::unix::process::ExitStatusExt;
    let dir = std::env::temp_dir().join(format!("quantplay-cli-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let inputs = small_inputs(&dir);
    let out = dir.join("m.int8.safetensors");
    let old = b"the previous model, which must survive".to_vec();
    std::fs::write(&out, &old).unwrap();
    let whole = {
        let ok = quantize_cmd(&inputs, &dir.join("reference.int8.safetensors"), &[]).output().unwrap();
        assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
        std::fs::read(dir.join("reference.int8.safetensors")).unwrap()
    };

    for (signal, code) in [("INT", 130), ("TERM", 143)] {
        let (status, half) = interrupt_mid_write(&inputs, &out, signal);
        assert_eq!(status.code(), Some(code), "SIG{signal}: {status:?}");
        assert_eq!(half, whole.len() as u64 / 2, "the kill came with half of the file written");
        assert_eq!(std::fs::read(&out).unwrap(), old, "SIG{signal} mid-write changed the target");
        assert_eq!(temps(&dir), [], "SIG{signal}: the half-written temporary file is removed");
    }

    // SIGKILL cannot be caught: the target is still whole, the half file stays until the next
    // write to the same target removes it.
    let (status, _) = interrupt_mid_write(&inputs, &out, "KILL");
    assert_eq!(status.signal(), Some(9));
    assert_eq!(std::fs::read(&out).unwrap(), old, "SIGKILL mid-write changed the target");
    let left = temps(&dir);
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0].1, whole.len() as u64 / 2);
    let ok = quantize_cmd(&inputs, &out, &[]).output().unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert_eq!(std::fs::read(&out).unwrap(), whole, "the next write replaces the target whole");
    assert_eq!(temps(&dir), [], "and removes the dead process's half file");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `quantize --backend gpu --compare-cpu` reports, per activation observer, the qparams
/// calibrated on the GPU and on the CPU (text and `--json`'s `calibration_vs_cpu`) within the
/// named budget, and how many int8 eval codes differ; on the CPU it says there is nothing to
/// compare. Without an adapter (the CLI falls back to cpu) the GPU half prints SKIP.
#[test]
fn quantize_with_compare_cpu_reports_gpu_against_cpu_calibration() {
    let file: Value = serde_json::from_str(MLP).unwrap();
    let dir = std::env::temp_dir().join(format!("quantplay-cli-compare-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let case = file["cases"].as_array().unwrap().iter().find(|c| c["name"] == "mlp fused x86").unwrap();
    let spec = dir.join("model.json");
    std::fs::write(&spec, case["spec"].to_string()).unwrap();
    let weights = write(
        &dir,
        "model.safetensors",
        file["weights"].as_object().unwrap().iter().map(|(k, v)| (k.as_str(), tensor(v))).collect(),
    );
    let calib = write(&dir, "calib.safetensors", vec![("x", tensor(&file["calib"]))]);
    let exe = env!("CARGO_BIN_EXE_quantplay");
    let run = |backend: &str, json: bool| {
        let mut a = vec!["quantize", "--spec", spec.to_str().unwrap(), "--weights", &weights, "--calib", &calib];
        a.extend(["--calib-batch", "8", "--compare-cpu", "--backend", backend]);
        if json {
            a.push("--json");
        }
        let out = Command::new(exe).args(&a).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (text, _) = run("cpu", false);
    assert!(text.contains("--compare-cpu: the run was on cpu, nothing to compare"), "{text}");
    let (json, err) = run("gpu", true);
    if err.contains("instead") {
        assert_ne!(std::env::var("QUANTPLAY_REQUIRE_GPU").as_deref(), Ok("1"), "no GPU: {err}");
        eprintln!("SKIP quantize_with_compare_cpu_reports_gpu_against_cpu_calibration: {err}");
        return;
    }
    let r: Value = serde_json::from_str(&json).unwrap();
    let c = &r["calibration_vs_cpu"];
    assert_eq!(c["backend"], "webgpu", "{c}");
    let obs = c["observers"].as_array().unwrap();
    assert_eq!(obs.len(), 4, "QuantStub and three layers: {c}");
    let budget = quantplay::parity::GPU_CALIBRATION_QPARAMS;
    for o in obs {
        assert!(o["scale_ulps"].as_u64().unwrap() <= budget.scale_ulps as u64, "{o}");
        let dz = (o["zero_point"].as_i64().unwrap() - o["cpu_zero_point"].as_i64().unwrap()).abs();
        assert!(dz <= budget.zero_point as i64, "{o}");
    }
    assert!(c["eval_codes"].as_u64().unwrap() > 0, "{c}");
    let (text, _) = run("gpu", false);
    assert!(text.contains("calibration on webgpu vs cpu:") && text.contains("int8 eval codes differ"), "{text}");
    println!("{text}");
}
