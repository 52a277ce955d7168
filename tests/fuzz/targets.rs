//! The fuzz targets: one function per reader of outside bytes, each taking any bytes. A target
//! must return for every input, never panic, never allocate over 1 GiB in one piece and never
//! take over 1 s; what it returns is the outcome's class (`ok …` or the error's first words,
//! digits dropped), which the stable driver (`driver.rs`) uses as feedback. The libFuzzer
//! driver (`fuzz/`) calls the same functions.
//!
//! Where a reader accepts a file, the target also uses the result the way the CLI would (a
//! forward pass of one sample on the CPU reference, a re-encode), so a file that loads but
//! cannot be used safely counts as a reader bug. Not here: mutation, timing, crash files.

use quantplay::amp::schedule;
use quantplay::model::{forward, int8, spec, StateDict};
use quantplay::{CpuReference, Model, TensorOps};

/// A target: bytes in, outcome class out.
pub type Target = fn(&[u8]) -> String;

/// Every target, by the name `scripts/fuzz` and the corpus folders use.
pub const TARGETS: &[(&str, Target)] = &[
    ("safetensors_weights", safetensors_weights),
    ("data_file", data_file),
    ("model_spec", model_spec),
    ("int8_model", int8_model),
    ("schedule", schedule_arg),
];

/// The two model specs the weights target loads weights into: an MLP and a small CNN.
pub const MLP_SPEC: &str = r#"{"format": "quantplay-model/1", "input_shape": [4],
  "model": {"type": "Sequential", "children": [
    {"name": "quant", "type": "QuantStub"},
    {"name": "fc1", "type": "Linear", "in_features": 4, "out_features": 8},
    {"name": "relu1", "type": "ReLU"},
    {"name": "fc2", "type": "Linear", "in_features": 8, "out_features": 3},
    {"name": "dequant", "type": "DeQuantStub"}]},
  "fuse": [["fc1", "relu1"]]}"#;

/// See [`MLP_SPEC`].
pub const CNN_SPEC: &str = r#"{"format": "quantplay-model/1", "input_shape": [1, 6, 6],
  "model": {"type": "Sequential", "children": [
    {"name": "quant", "type": "QuantStub"},
    {"name": "conv", "type": "Conv2d", "in_channels": 1, "out_channels": 2, "kernel_size": 3, "padding": 1},
    {"name": "bn", "type": "BatchNorm2d", "num_features": 2},
    {"name": "relu", "type": "ReLU"},
    {"name": "flat", "type": "Flatten"},
    {"name": "fc", "type": "Linear", "in_features": 72, "out_features": 3},
    {"name": "dequant", "type": "DeQuantStub"}]},
  "fuse": [["conv", "bn", "relu"]]}"#;

fn class(e: impl std::fmt::Display) -> String {
    let s: String = e.to_string().chars().filter(|c| !c.is_ascii_digit()).take(48).collect();
    format!("err {s}")
}

/// Runs `model` on one sample of its input shape (all 0.5), when the shape is known and small.
fn run_one(model: &Model) -> String {
    let Some(shape) = model.input_shape.clone() else { return "ok (no input shape)".into() };
    let n = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    if !matches!(n, Some(1..=4096)) {
        return "ok (input shape too large to run)".into();
    }
    let full: Vec<usize> = std::iter::once(1).chain(shape).collect();
    let b = CpuReference;
    let x = match b.upload(&vec![0.5; n.unwrap()], &full) {
        Ok(x) => x,
        Err(e) => return class(e),
    };
    match pollster::block_on(forward::forward_async(&b, model, x)) {
        Ok(_) => "ok ran".into(),
        Err(e) => format!("ok, forward {}", class(e)),
    }
}

/// `StateDict::from_safetensors` (float weights, as `safetensors.torch.save_file` writes them),
/// then a re-encode that must read back bit for bit, then loading into [`MLP_SPEC`] and
/// [`CNN_SPEC`] and a forward pass where they fit.
pub fn safetensors_weights(bytes: &[u8]) -> String {
    let (sd, _) = match StateDict::from_safetensors(bytes) {
        Ok(r) => r,
        Err(e) => return class(e),
    };
    let again = sd.to_safetensors(None).expect("a state dict that was read encodes");
    let (back, _) = StateDict::from_safetensors(&again).expect("an encoded state dict reads back");
    for (k, t) in &sd.tensors {
        let b = &back.tensors[k];
        assert!(b.shape == t.shape && b.data.to_le_bytes() == t.data.to_le_bytes(), "{k} changed on re-encode");
    }
    let mut out = String::from("ok");
    for text in [MLP_SPEC, CNN_SPEC] {
        let s = spec::parse(text).expect("the built-in specs parse");
        match Model::from_spec(&s, &sd) {
            Ok(m) => out = run_one(&m),
            Err(e) => out.extend(class(e).chars().take(10)),
        }
    }
    out
}

/// `app::data_file::read`: the `--calib` / `--eval` file.
pub fn data_file(bytes: &[u8]) -> String {
    match quantplay::app::data_file::read("fuzz", bytes) {
        Ok(d) => {
            let n: usize = d.shape.iter().product();
            assert_eq!(n, d.x.len(), "x's values match its shape");
            format!("ok {} dims, labels {}", d.shape.len(), d.y.is_some())
        }
        Err(e) => class(e),
    }
}

/// `model::spec::parse` (the `--spec` file, read as lossy UTF-8 as the CLI does); an accepted
/// spec must parse again from its own JSON, and build (and run) when it needs no weights.
pub fn model_spec(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let s = match spec::parse(&text) {
        Ok(s) => s,
        Err(e) => return class(e),
    };
    let again = spec::to_json(&s).to_string();
    if let Err(e) = spec::parse(&again) {
        panic!("an accepted spec does not parse from its own JSON: {e}\n{again}");
    }
    match Model::from_spec(&s, &StateDict::default()) {
        Ok(m) => run_one(&m),
        Err(e) => format!("ok, needs weights {}", class(e)),
    }
}

/// `model::int8::load` (the int8 model file `--out` writes), then a forward pass of one sample.
pub fn int8_model(bytes: &[u8]) -> String {
    match int8::load(bytes) {
        Ok(m) => run_one(&m),
        Err(e) => class(e),
    }
}

/// `amp::schedule::parse_schedule` (`quantplay scaler --schedule`), then the replay.
pub fn schedule_arg(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    match schedule::parse_schedule(&text) {
        Ok(ev) => {
            // Over 144 straight inf/NaN steps the scale underflows: a named error, not a panic.
            let steps = match schedule::run_schedule(Default::default(), &ev) {
                Ok(steps) => steps,
                Err(e) => return format!("ok, replay {}", class(e)),
            };
            assert_eq!(steps.len(), ev.len());
            assert!(steps.iter().all(|s| s.scale_after.is_finite() && s.scale_after >= 0.0));
            format!("ok {}", ev.len().min(3))
        }
        Err(e) => class(e),
    }
}
