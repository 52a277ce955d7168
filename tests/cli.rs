//! The `quantplay quantize` command from files, as a user runs it: a model exported the way
//! `safetensors.torch.save_file(model.state_dict())` writes it (here rebuilt from the torch
//! fixture eager_mlp.json), calibration and evaluation files; the JSON report must carry torch's
//! qparams and codes, `--out` must load back with the same outputs, and bad input must fail with
//! exit code 2 and a message naming it.

use quantplay::backend::HostData;
use quantplay::model::int8;
use quantplay::model::state::{StateDict, Tensor};
use serde_json::Value;
use std::process::Command;

const MLP: &str = include_str!("fixtures/eager_mlp.json");

#[path = "cases/fixture.rs"]
mod fixture;

fn tensor(v: &Value) -> Tensor {
    let (values, shape) = fixture::tensor(v);
    Tensor::f32(&shape, values)
}

fn write(dir: &std::path::Path, name: &str, tensors: Vec<(&str, Tensor)>) -> String {
    let mut sd = StateDict::default();
    for (k, t) in tensors {
        sd.insert(k, t);
    }
    let path = dir.join(name);
    std::fs::write(&path, sd.to_safetensors(None).unwrap()).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn quantize_command_reports_torchs_qparams_and_writes_a_loadable_int8_model() {
    let file: Value = serde_json::from_str(MLP).unwrap();
    let case = file["cases"].as_array().unwrap().iter().find(|c| c["name"] == "mlp fused x86").unwrap();
    let dir = std::env::temp_dir().join(format!("quantplay-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let spec = dir.join("model.json");
    std::fs::write(&spec, case["spec"].to_string()).unwrap();
    let weights = write(
        &dir,
        "model.safetensors",
        file["weights"].as_object().unwrap().iter().map(|(k, v)| (k.as_str(), tensor(v))).collect(),
    );
    let calib = write(&dir, "calib.safetensors", vec![("x", tensor(&file["calib"]))]);
    let y = fixture::i32s(&file["eval_y"]);
    let n = y.len();
    let eval = write(
        &dir,
        "eval.safetensors",
        vec![("x", tensor(&file["eval"])), ("y", Tensor { shape: vec![n], data: HostData::I32(y) })],
    );
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
    for (got, want) in r["layers"].as_array().unwrap().iter().zip(exp["layers"].as_array().unwrap()) {
        assert_eq!((&got["name"], &got["kind"]), (&want["name"], &want["kind"]));
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

#[test]
fn an_out_path_that_is_an_input_is_refused_and_a_failed_write_leaves_no_file() {
    let dir = std::env::temp_dir().join(format!("quantplay-cli-out-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sizes = [2, 3, 2];
    let model = quantplay::model::mlp_model(&sizes, &[vec![0.1; 6], vec![-0.2; 6]], &[vec![0.0; 3], vec![0.1; 2]]);
    let spec = dir.join("model.json");
    std::fs::write(&spec, quantplay::model::spec::to_json(&quantplay::model::mlp_spec(&sizes)).to_string()).unwrap();
    let weights = dir.join("model.safetensors");
    let weight_bytes = model.unwrap().state_dict().to_safetensors(None).unwrap();
    std::fs::write(&weights, &weight_bytes).unwrap();
    let calib = write(
        &dir,
        "calib.safetensors",
        vec![("x", Tensor::f32(&[4, 2], vec![0.5, -0.5, 1.0, 0.0, 0.2, 0.3, -1.0, 0.7]))],
    );
    let quantize = |out: &std::path::Path| {
        let args = ["quantize", "--spec", spec.to_str().unwrap(), "--weights", weights.to_str().unwrap()];
        Command::new(env!("CARGO_BIN_EXE_quantplay"))
            .args(args)
            .args(["--calib", &calib, "--out", out.to_str().unwrap()])
            .output()
            .unwrap()
    };
    let same = quantize(&dir.join(".").join("model.safetensors"));
    let err = String::from_utf8_lossy(&same.stderr);
    assert_eq!(same.status.code(), Some(2), "{err}");
    assert!(err.contains("invalid --out") && err.contains("same file as --weights"), "{err}");
    assert_eq!(std::fs::read(&weights).unwrap(), weight_bytes, "the input is left intact");
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
    // without bound (10^11 steps, 10^12 samples), without its check. Valid flags around each bad
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
        (&["train", "--steps", "1", "--samples", "1000000000000"], "at most 1000000"),
        (&["train", "--steps", "1", "--samples", "2"], "invalid samples \"2\""),
        (&["train", "--steps", "1", "--samples=-5"], "'-5' for '--samples"),
        (&["train", "--steps", "1", "--batch", "0"], "invalid batch \"0\""),
        (&["train", "--steps", "1", "--seed=-1"], "'-1' for '--seed"),
        (&["train", "--steps", "1", "--hidden", "0"], "invalid hidden \"[0]\""),
        (&["train", "--steps", "1", "--hidden", "4096,4096,4096"], "MAX_PARAMETERS"),
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
