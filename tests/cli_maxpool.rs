//! `quantplay quantize` on a CNN with two nn.MaxPool2d (tests/fixtures/eager_maxpool.json,
//! gen_maxpool.py), from files as a user exports them: the report must carry torch's input
//! qparams and output codes (within the README's ±1 rule), a row per pool on codes with its
//! input's qparams, and `--out` must load back with the same codes.

use quantplay::backend::HostData;
use quantplay::model::int8;
use serde_json::Value;
use std::process::Command;

const MAXPOOL: &str = include_str!("fixtures/eager_maxpool.json");

#[path = "cases/case_files.rs"]
mod case_files;
#[path = "cases/fixture.rs"]
mod fixture;

use case_files::{tensor, write_case, CaseFiles};

#[test]
fn quantize_command_on_a_maxpool_cnn_gives_torchs_codes_and_a_row_per_pool() {
    let file: Value = serde_json::from_str(MAXPOOL).unwrap();
    let case = file["cases"].as_array().unwrap().iter().find(|c| c["name"] == "maxpool cnn fused x86").unwrap();
    let dir = std::env::temp_dir().join(format!("quantplay-cli-maxpool-{}", std::process::id()));
    let CaseFiles { spec, weights, calib, eval } = write_case(&file, case, &dir);
    let out_path = dir.join("model.int8.safetensors");
    let run = Command::new(env!("CARGO_BIN_EXE_quantplay"))
        .args(["quantize", "--spec", spec.to_str().unwrap(), "--weights", &weights, "--calib", &calib])
        .args(["--eval", &eval, "--calib-batch", "8", "--json", "--dump", "--out", out_path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let r: Value = serde_json::from_slice(&run.stdout).unwrap();
    let exp = &case["expected"];
    assert_eq!(r["input"]["scale"].as_f64().unwrap() as f32, fixture::f32_of(&exp["input"]["scale"]));
    assert_eq!(r["input"]["zero_point"], exp["input"]["zero_point"]);
    let want = fixture::i32s(&exp["output_codes"]);
    let got = fixture::i32s(&r["output_codes"]);
    let worst = got.iter().zip(&want).map(|(a, b)| (a - b).abs()).max().unwrap_or(0);
    assert!(got.len() == want.len() && worst <= 1, "output codes off by {worst}");
    let rows: Vec<&str> = r["layers"].as_array().unwrap().iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(
        rows,
        ["Quantize", "QuantizedConvReLU2d", "MaxPool2d", "QuantizedConvReLU2d", "MaxPool2d", "QuantizedLinear"]
    );
    for pool in r["layers"].as_array().unwrap().iter().filter(|l| l["kind"] == "MaxPool2d") {
        assert_eq!(
            (&pool["input_scale"], &pool["input_zero_point"]),
            (&pool["output_scale"], &pool["output_zero_point"])
        );
    }
    let back = int8::load(&std::fs::read(&out_path).unwrap()).unwrap();
    let x = tensor(&file["eval"]);
    let HostData::F32(xv) = &x.data else { unreachable!() };
    let cpu = quantplay::CpuReference;
    let t = pollster::block_on(quantplay::quant::eager::report::quant_trace(&cpu, &back, xv, &x.shape)).unwrap();
    assert_eq!(t.output_codes, got, "the --out file gives the report's codes");
    let _ = std::fs::remove_dir_all(&dir);
}
