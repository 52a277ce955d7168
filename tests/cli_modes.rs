//! `quantplay quantize --dynamic` and `quantplay qat` against torch, THROUGH THE BINARY: each case
//! of tests/fixtures/cli_modes.json (gen_cli_modes.py) is written to files (spec, safetensors
//! weights and data), the command runs with `--json --dump --out`, and its report must carry
//! torch's numbers: dynamic weight codes, zero points and scales bit for bit, the run-time input
//! qparams and the float outputs exactly (CPU fast path, as tests/cases/eager_api.rs); QAT losses
//! and fake-quant scales within `parity::QAT_*`, zero points, weight codes and output codes
//! exactly. The `--out` file must load back with the same outputs, and bad flags must fail with
//! exit code 2 and a message naming them.

use quantplay::backend::HostData;
use quantplay::model::int8;
use quantplay::model::state::{StateDict, Tensor};
use quantplay::parity::{QAT_LOSS_RTOL, QAT_SCALE_RTOL};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FIXTURE: &str = include_str!("fixtures/cli_modes.json");

#[path = "cases/fixture.rs"]
mod fixture;

fn cases(mode: &str) -> Vec<Value> {
    let file: Value = serde_json::from_str(FIXTURE).unwrap();
    file["cases"].as_array().unwrap().iter().filter(|c| c["mode"] == mode).cloned().collect()
}

fn tensor(v: &Value) -> Tensor {
    let (values, shape) = fixture::tensor(v);
    Tensor::f32(&shape, values)
}

fn labels(v: &Value) -> Tensor {
    let y = fixture::i32s(v);
    Tensor { shape: vec![y.len()], data: HostData::I32(y) }
}

fn write(path: &Path, tensors: Vec<(&str, Tensor)>) -> String {
    let mut sd = StateDict::default();
    for (k, t) in tensors {
        sd.insert(k, t);
    }
    std::fs::write(path, sd.to_safetensors(None).unwrap()).unwrap();
    path.to_string_lossy().into_owned()
}

/// The case's files in a fresh directory: (dir, spec, weights, eval, train).
struct Files {
    dir: PathBuf,
    spec: String,
    weights: String,
    eval: String,
    train: Option<String>,
}

fn files(case: &Value, tag: &str) -> Files {
    let dir = std::env::temp_dir().join(format!("quantplay-cli-modes-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let spec = dir.join("model.json");
    std::fs::write(&spec, case["spec"].to_string()).unwrap();
    let weights = write(
        &dir.join("model.safetensors"),
        case["weights"].as_object().unwrap().iter().map(|(k, v)| (k.as_str(), tensor(v))).collect(),
    );
    let eval = write(&dir.join("eval.safetensors"), vec![("x", tensor(&case["eval"])), ("y", labels(&case["eval_y"]))]);
    let train = case
        .get("train")
        .map(|t| write(&dir.join("train.safetensors"), vec![("x", tensor(t)), ("y", labels(&case["train_y"]))]));
    Files { spec: spec.to_string_lossy().into_owned(), dir, weights, eval, train }
}

fn quantplay(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quantplay")).args(args).output().unwrap()
}

fn f32_list(v: &Value) -> Vec<f32> {
    v.as_array().unwrap().iter().map(|s| s.as_f64().unwrap() as f32).collect()
}

fn rel(a: f32, b: f32) -> f32 {
    (a - b).abs() / b.abs().max(f32::MIN_POSITIVE)
}

fn eval_output_codes(model_file: &Path, case: &Value) -> (Vec<i32>, Vec<f32>) {
    let back = int8::load(&std::fs::read(model_file).unwrap()).unwrap();
    let (x, shape) = fixture::tensor(&case["eval"]);
    let t = pollster::block_on(quantplay::quant::eager::report::quant_trace(&quantplay::CpuFast, &back, &x, &shape))
        .unwrap();
    (t.output_codes, t.output)
}

/// Whether `--backend webgpu` fell back to the CPU (no adapter): prints SKIP and logs it to
/// `$QUANTPLAY_SKIP_LOG` as tests/native.rs does, or fails when `QUANTPLAY_REQUIRE_GPU=1`.
fn fell_back(backend: &str, run: &Output, test: &str) -> bool {
    let err = String::from_utf8_lossy(&run.stderr);
    if backend != "webgpu" || !err.contains("instead") {
        return false;
    }
    assert!(std::env::var("QUANTPLAY_REQUIRE_GPU").as_deref() != Ok("1"), "QUANTPLAY_REQUIRE_GPU=1 but: {err}");
    eprintln!("SKIP webgpu::{test}: {err}");
    if let Ok(path) = std::env::var("QUANTPLAY_SKIP_LOG") {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).expect("skip log");
        writeln!(f, "cli_modes webgpu::{test}: {}", err.trim()).expect("skip log");
    }
    true
}

/// Runs `first` (the subcommand and its own flags) on the case's files with its `args`,
/// `--backend`, `--json --dump --out out`; the report, or `None` after a SKIP (see [`fell_back`]).
fn run_case(case: &Value, first: &[&str], f: &Files, backend: &str, out: &Path) -> Option<Value> {
    let mut args = first.to_vec();
    args.extend(["--spec", &f.spec, "--weights", &f.weights, "--eval", &f.eval, "--backend", backend]);
    args.extend(case["args"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()));
    args.extend(["--json", "--dump", "--out", out.to_str().unwrap()]);
    let run = quantplay(&args);
    assert!(run.status.success(), "{}: {}", case["name"], String::from_utf8_lossy(&run.stderr));
    if fell_back(backend, &run, first[0]) {
        return None;
    }
    Some(serde_json::from_slice(&run.stdout).unwrap())
}

#[test]
fn quantize_dynamic_from_files_reports_torchs_weight_codes_qparams_and_outputs_bit_for_bit() {
    check_dynamic("cpu");
}

#[test]
fn quantize_dynamic_on_webgpu_gives_torchs_codes_and_qparams_and_outputs_within_the_dynamic_budget() {
    check_dynamic("webgpu");
}

/// The dynamic cases through the binary on `backend`: codes, zero points and weight scales
/// exactly; input scales and float outputs exactly on `cpu`, on WebGPU within
/// `parity::DYNAMIC_CHAINED_INPUT_SCALE_RTOL` (after the first layer) and `F32_DYNAMIC_LINEAR`.
fn check_dynamic(backend: &str) {
    use quantplay::parity::{compare, DYNAMIC_CHAINED_INPUT_SCALE_RTOL, EXACT, F32_DYNAMIC_LINEAR};
    for (i, case) in cases("dynamic").iter().enumerate() {
        let name = case["name"].as_str().unwrap();
        let f = files(case, &format!("dyn{i}{backend}"));
        let out = f.dir.join("model.int8.safetensors");
        let Some(r) = run_case(case, &["quantize"], &f, backend, &out) else { return };
        let exp = &case["expected"];
        assert_eq!(r["mode"], "dynamic");
        let (got, want) = (r["layers"].as_array().unwrap(), exp["layers"].as_array().unwrap());
        assert_eq!(got.len(), want.len(), "{name}: swapped layers");
        for (g, w) in got.iter().zip(want) {
            let path = w["name"].as_str().unwrap();
            assert_eq!((&g["name"], &g["kind"]), (&w["name"], &w["kind"]), "{name}");
            assert_eq!(g["weight_qscheme"], w["weight_qscheme"], "{name}: {path}");
            assert_eq!(g["weight_axis"], w["weight_axis"], "{name}: {path}");
            assert_eq!(g["weight_zero_point"], w["weight_zero_point"], "{name}: {path}");
            assert_eq!(g["weight_codes"], w["weight_codes"], "{name}: {path} weight codes");
            let bits = |v: Vec<f32>| v.iter().map(|s| s.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(f32_list(&g["weight_scale"])), bits(fixture::f32s(&w["weight_scale"])), "{name}: {path}");
            let (in_scale, want_scale) =
                (g["input_scale"].as_f64().unwrap() as f32, fixture::f32_of(&w["input_scale"]));
            // The model's input is the same bits everywhere; a later layer's input is the float
            // output before it, which WebGPU computes within F32_DYNAMIC_LINEAR of torch's.
            if backend == "cpu" || g == &got[0] {
                assert_eq!(in_scale.to_bits(), want_scale.to_bits(), "{backend}: {name}: {path} input scale");
            } else {
                let r = rel(in_scale, want_scale);
                assert!(
                    r <= DYNAMIC_CHAINED_INPUT_SCALE_RTOL,
                    "{backend}: {name}: {path} input scale {in_scale} vs {want_scale}"
                );
            }
            assert_eq!(g["input_zero_point"], w["input_zero_point"], "{name}: {path} input zero point");
        }
        let want_out = fixture::f32s(&exp["output"]);
        let got_out = f32_list(&r["output"]);
        let a = compare(&got_out, &want_out, if backend == "cpu" { EXACT } else { F32_DYNAMIC_LINEAR });
        assert!(
            got_out.len() == want_out.len() && a.ok(),
            "{backend}: {name}: {} of {} outputs off torch's; worst {}",
            a.mismatches,
            a.len,
            a.max_abs_diff
        );
        for k in ["float", "int8", "agreement"] {
            assert_eq!(r["accuracy"][k].as_f64(), exp["accuracy"][k].as_f64(), "{name}: accuracy {k}");
        }
        // The int8 file holds the same dynamic model: same float outputs.
        let (_, back) = eval_output_codes(&out, case);
        assert_eq!(
            back.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            want_out.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        let _ = std::fs::remove_dir_all(&f.dir);
    }
}

#[test]
fn quantize_dynamic_refuses_static_only_flags_and_static_needs_calib_by_name() {
    let case = &cases("dynamic")[0];
    let f = files(case, "dynflags");
    let base = ["quantize", "--spec", f.spec.as_str(), "--weights", f.weights.as_str()];
    for (extra, want) in [
        (vec!["--dynamic", "--observer", "minmax"], "--observer"),
        (vec!["--dynamic", "--calib-batch", "4"], "--calib-batch"),
        (vec!["--dynamic", "--calib", f.eval.as_str()], "--calib"),
        (vec!["--dynamic", "--per-tensor"], "--per-tensor"),
        (vec!["--dynamic", "--qconfig", "x86"], "per_channel"),
        (vec![], "--calib"),
    ] {
        let mut a = base.to_vec();
        a.extend(extra.iter().copied());
        let run = quantplay(&a);
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{a:?}: {err}");
        assert!(err.contains(want), "{a:?}: {err}");
    }
    // Without --eval the report still has every layer's weight qparams, and no accuracy.
    let run = quantplay(&[&base[..], &["--dynamic", "--json"]].concat());
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let r: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(r["layers"].as_array().unwrap().len(), case["expected"]["layers"].as_array().unwrap().len());
    assert!(r["accuracy"].is_null() && r["layers"][0]["sqnr_db"].is_null());
    let _ = std::fs::remove_dir_all(&f.dir);
}

#[test]
fn qat_from_files_follows_torchs_losses_fake_quant_scales_and_converted_codes() {
    check_qat("cpu");
}

#[test]
fn qat_on_webgpu_follows_torchs_losses_fake_quant_scales_and_converted_codes() {
    check_qat("webgpu");
}

/// The QAT cases through the binary on `backend`: losses and scales within `parity::QAT_*`
/// (their budgets were measured on the CPU paths and lavapipe), zero points and codes exactly.
fn check_qat(backend: &str) {
    for (i, case) in cases("qat").iter().enumerate() {
        let name = case["name"].as_str().unwrap();
        let f = files(case, &format!("qat{i}{backend}"));
        let out = f.dir.join("model.int8.safetensors");
        let train = f.train.clone().unwrap();
        let Some(r) = run_case(case, &["qat", "--data", &train], &f, backend, &out) else { return };
        let exp = &case["expected"];
        assert_eq!(r["mode"], "qat");
        let want_losses = fixture::f32s(&exp["steps"]);
        let steps = r["steps"].as_array().unwrap();
        assert_eq!(steps.len(), want_losses.len(), "{name}: steps");
        for (s, &w) in steps.iter().zip(&want_losses) {
            let l = s["loss"].as_f64().unwrap() as f32;
            assert!(rel(l, w) <= QAT_LOSS_RTOL, "{name}: step {} loss {l} vs torch {w}", s["step"]);
        }
        let (got_fq, want_fq) = (r["fake_quant"].as_array().unwrap(), exp["fake_quant"].as_array().unwrap());
        assert_eq!(got_fq.len(), want_fq.len(), "{name}: fake-quant modules");
        for (g, w) in got_fq.iter().zip(want_fq) {
            let path = w["path"].as_str().unwrap();
            assert_eq!(g["path"], w["path"], "{name}");
            assert_eq!(g["zero_point"], w["zero_point"], "{name}: {path} zero points");
            for (a, t) in f32_list(&g["scale"]).into_iter().zip(fixture::f32s(&w["scale"])) {
                assert!(rel(a, t) <= QAT_SCALE_RTOL, "{name}: {path} scale {a} vs torch {t}");
            }
        }
        let in_scale = r["input"]["scale"].as_f64().unwrap() as f32;
        assert!(rel(in_scale, fixture::f32_of(&exp["input"]["scale"])) <= QAT_SCALE_RTOL, "{name}: input scale");
        assert_eq!(r["input"]["zero_point"], exp["input"]["zero_point"], "{name}");
        // The report's Quantize rows (the QuantStub, checked as `input` above) are not in torch's list.
        let got: Vec<&Value> = r["layers"].as_array().unwrap().iter().filter(|l| l["kind"] != "Quantize").collect();
        let want = exp["layers"].as_array().unwrap();
        assert_eq!(got.len(), want.len(), "{name}: layers");
        for (g, w) in got.into_iter().zip(want) {
            let path = w["name"].as_str().unwrap();
            assert_eq!((&g["name"], &g["kind"]), (&w["name"], &w["kind"]), "{name}");
            assert_eq!(g["weight_zero_point"], w["weight_zero_point"], "{name}: {path}");
            assert_eq!(g["weight_codes"], w["weight_codes"], "{name}: {path} weight codes");
            for (a, t) in f32_list(&g["weight_scale"]).into_iter().zip(fixture::f32s(&w["weight_scale"])) {
                assert!(rel(a, t) <= QAT_SCALE_RTOL, "{name}: {path} weight scale {a} vs torch {t}");
            }
            let os = g["output_scale"].as_f64().unwrap() as f32;
            assert!(rel(os, fixture::f32_of(&w["output_scale"])) <= QAT_SCALE_RTOL, "{name}: {path} output scale");
            assert_eq!(g["output_zero_point"], w["output_zero_point"], "{name}: {path}");
        }
        assert_eq!(r["output_codes"], exp["output_codes"], "{name}: output codes");
        for k in ["float", "int8", "agreement"] {
            assert_eq!(r["accuracy"][k].as_f64(), exp["accuracy"][k].as_f64(), "{name}: accuracy {k}");
        }
        let (codes, _) = eval_output_codes(&out, case);
        assert_eq!(serde_json::json!(codes), exp["output_codes"], "{name}: the --out file's output codes");
        let _ = std::fs::remove_dir_all(&f.dir);
    }
}

#[test]
fn qat_refuses_bad_flags_and_a_training_file_without_labels_by_name() {
    let case = &cases("qat")[0];
    let f = files(case, "qatflags");
    let train = f.train.clone().unwrap();
    let no_y = write(&f.dir.join("no_y.safetensors"), vec![("x", tensor(&case["train"]))]);
    let base = ["qat", "--spec", f.spec.as_str(), "--weights", f.weights.as_str()];
    for (extra, want) in [
        (vec!["--data", no_y.as_str()], "no tensor `y`"),
        (vec!["--data", train.as_str(), "--steps", "0"], "steps"),
        (vec!["--data", train.as_str(), "--lr", "nan"], "lr"),
        (vec!["--data", train.as_str(), "--qconfig", "tpu"], "tpu"),
        (vec!["--data", "/nonexistent.safetensors"], "/nonexistent.safetensors"),
    ] {
        let mut a = base.to_vec();
        a.extend(extra.iter().copied());
        let run = quantplay(&a);
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{a:?}: {err}");
        assert!(err.contains(want), "{a:?}: {err}");
    }
    // Without --json each step's loss goes to stderr as it is taken.
    let run = quantplay(&[&base[..], &["--data", train.as_str(), "--steps", "3", "--batch", "8"]].concat());
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(err.lines().filter(|l| l.starts_with("step ")).count(), 3, "{err}");
    assert!(String::from_utf8_lossy(&run.stdout).contains("accuracy: float"));
    let _ = std::fs::remove_dir_all(&f.dir);
}
