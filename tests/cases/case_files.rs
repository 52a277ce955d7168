//! An eager-flow fixture case (eager_mlp.json, eager_maxpool.json) written as the files a user
//! gives `quantplay quantize`: `model.json`, `model.safetensors` (the state_dict), and
//! `calib.safetensors` (`x`) / `eval.safetensors` (`x`, `y`), as `safetensors.torch.save_file`
//! writes them. For the CLI tests (`cli.rs`, `cli_maxpool.rs`), which include it with `#[path]`
//! beside `fixture.rs`. Not here: running the command or checking its output.
#![allow(dead_code)] // each test target uses a subset

use crate::fixture;
use quantplay::backend::HostData;
use quantplay::model::state::{StateDict, Tensor};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A fixture tensor (exact f32 bits) as an F32 state-dict tensor.
pub fn tensor(v: &Value) -> Tensor {
    let (values, shape) = fixture::tensor(v);
    Tensor::f32(&shape, values)
}

/// Writes `tensors` as `dir/name` (safetensors); returns the path.
pub fn write(dir: &Path, name: &str, tensors: Vec<(&str, Tensor)>) -> String {
    let mut sd = StateDict::default();
    for (k, t) in tensors {
        sd.insert(k, t);
    }
    let path = dir.join(name);
    std::fs::write(&path, sd.to_safetensors(None).unwrap()).unwrap();
    path.to_string_lossy().into_owned()
}

/// The paths of one written case.
pub struct CaseFiles {
    /// `model.json`.
    pub spec: PathBuf,
    /// `model.safetensors`.
    pub weights: String,
    /// `calib.safetensors` with `x`.
    pub calib: String,
    /// `eval.safetensors` with `x` and the labels `y`.
    pub eval: String,
}

/// Writes `case`'s spec and `file`'s weights, calibration and evaluation data into `dir`.
pub fn write_case(file: &Value, case: &Value, dir: &Path) -> CaseFiles {
    std::fs::create_dir_all(dir).unwrap();
    let spec = dir.join("model.json");
    std::fs::write(&spec, case["spec"].to_string()).unwrap();
    let weights = write(
        dir,
        "model.safetensors",
        file["weights"].as_object().unwrap().iter().map(|(k, v)| (k.as_str(), tensor(v))).collect(),
    );
    let calib = write(dir, "calib.safetensors", vec![("x", tensor(&file["calib"]))]);
    let y = fixture::i32s(&file["eval_y"]);
    let n = y.len();
    let eval = write(
        dir,
        "eval.safetensors",
        vec![("x", tensor(&file["eval"])), ("y", Tensor { shape: vec![n], data: HostData::I32(y) })],
    );
    CaseFiles { spec, weights, calib, eval }
}
