//! The model and data files a CLI command reads (`--spec`, `--weights`, `--calib`, `--eval`), each
//! error naming the file it comes from: a bad spec names `--spec PATH`, a missing or misshapen
//! weight `--weights PATH`, a data file without `x` or of the wrong width `--calib PATH` /
//! `--eval PATH`. Shapes are checked here, before any work, against the spec's `input_shape`.
//!
//! Not here: reading bytes from disk (`cli_files.rs`), parsing a data file's tensors
//! (`quantplay::app::data_file`).

use crate::cli_files::read_input;
use quantplay::app::data_file::{self, DataFile};
use quantplay::model::{spec, tree::Model, StateDict};
use quantplay::rules::error::{fmt_shape, Error};
use quantplay::Result;

fn in_file(flag: &str, path: &str, e: Error) -> Error {
    match e {
        Error::File { .. } => e,
        e => Error::File { file: format!("{flag} {path}"), detail: e.to_string() },
    }
}

/// Loads `--spec` and `--weights`: spec errors name the spec file, weight errors (missing,
/// wrong shape or dtype, not safetensors) the weights file.
pub fn model(spec_path: &str, weights_path: &str) -> Result<Model> {
    let text = String::from_utf8_lossy(&read_input("--spec", spec_path)?).into_owned();
    let parsed = spec::parse(&text).map_err(|e| in_file("--spec", spec_path, e))?;
    let bytes = read_input("--weights", weights_path)?;
    let (weights, _) = StateDict::from_safetensors(&bytes).map_err(|e| in_file("--weights", weights_path, e))?;
    Model::from_spec(&parsed, &weights).map_err(|e| in_file("--weights", weights_path, e))
}

/// Reads a data file given as `flag path` and checks that its samples have the model's
/// `input_shape` (when the spec gives one): `x` `(N, …input_shape)`.
pub fn data(flag: &'static str, path: &str, model: &Model) -> Result<DataFile> {
    let d = data_file::read(&format!("{flag} {path}"), &read_input(flag, path)?)?;
    if let Some(want) = &model.input_shape {
        if d.shape[1..] != want[..] {
            let want: Vec<String> = want.iter().map(|w| w.to_string()).collect();
            return Err(Error::File {
                file: format!("{flag} {path}"),
                detail: format!(
                    "`x` has shape {}; the model (input_shape in the spec) takes (N, {})",
                    fmt_shape(&d.shape),
                    want.join(", ")
                ),
            });
        }
    }
    Ok(d)
}
