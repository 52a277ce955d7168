//! Lesson 8, the whole pipeline: train an MLP on the 8×8 digits in a precision string (16-mixed:
//! autocast + GradScaler), quantize it with the eager flow (fuse → prepare → calibrate →
//! convert), find the layer whose quantization costs the most accuracy (the debugger's
//! sensitivity sweep: each layer kept float in turn, `quant::eager::sensitivity`), keep it float,
//! and export the int8 model file.
//!
//! It runs the library's own session (`app::session`, the page's and `quantplay train`'s),
//! PTQ run (`app::ptq`), debugger (`app::ptq_debug`) and int8 file (`model::int8::save`) on the
//! CPU reference, on every target: plain loops, so the page (wasm) and the command (native)
//! do the same arithmetic. Not here: any formula (they live below `app`).

use super::{num, num64, Lesson};
use crate::app::ptq::{self, PtqOptions};
use crate::app::ptq_debug::{extras, DebugOptions};
use crate::app::session::Session;
use crate::app::session_config;
use crate::backend::{cpu::CpuReference, ready};
use crate::rules::error::Error;
use serde::{Deserialize, Serialize};

/// The lesson's inputs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Hidden widths of the MLP `64 → hidden… → 10`.
    pub hidden: Vec<usize>,
    /// A precision string: `32-true`, `16-mixed`, `bf16-mixed`, `16-true`, `bf16-true`.
    pub precision: String,
    /// Training steps (1..=2000), batch 32, Adam.
    pub steps: usize,
    /// Adam's learning rate.
    pub lr: f64,
    /// Seed of the split, the init and the batches.
    pub seed: u64,
    /// Calibration samples (the first of the training split).
    pub calib: usize,
    /// The qconfig of the quantized layers: `x86`, `fbgemm`, `qnnpack`, `onednn`, `default`.
    pub qconfig: String,
    /// Which layer to keep float: `auto` (the sweep's most helpful, when it helps at all),
    /// `none`, or a layer path.
    pub keep_float: String,
}

/// A training step as the page plots it.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// 1-based step.
    pub step: usize,
    /// The minibatch loss (f32).
    pub loss: f32,
    /// The GradScaler's scale used at this step (None without a scaler).
    pub loss_scale: Option<f32>,
    /// The optimizer step was skipped (inf/NaN gradients).
    pub skipped: bool,
}

/// One row of the sensitivity sweep: test accuracy with only `layer` left float.
#[derive(Debug, Clone, Serialize)]
pub struct Sensitivity {
    /// The layer's path (fused name).
    pub layer: String,
    /// Test accuracy with this layer float and the rest int8.
    pub accuracy: f64,
    /// Accuracy gained over the all-int8 model.
    pub gain: f64,
}

/// Every number the page shows.
#[derive(Debug, Clone, Serialize)]
pub struct Output {
    /// Each training step.
    pub steps: Vec<Step>,
    /// Steps skipped by the GradScaler.
    pub skipped_steps: usize,
    /// The precision that ran (after the effective-precision rule).
    pub precision: String,
    /// Test samples.
    pub test_samples: usize,
    /// Float test accuracy.
    pub float_accuracy: f64,
    /// All-int8 test accuracy.
    pub int8_accuracy: f64,
    /// The sweep, most helpful first.
    pub sweep: Vec<Sensitivity>,
    /// The layer kept float (None for `none`).
    pub kept_float: Option<String>,
    /// Test accuracy with that layer float.
    pub final_accuracy: f64,
    /// Size of the exported int8 file (quantplay's int8 safetensors), bytes.
    pub int8_file_bytes: usize,
    /// Size of the float weights as safetensors, bytes.
    pub float_file_bytes: usize,
    /// FNV-1a 64 of the int8 file, hex: the page's download and the CLI's `--out` match it.
    pub int8_file_fnv1a: String,
}

/// Lesson 8 (`quantplay lesson pipeline`).
pub struct Pipeline;

fn bad(name: &'static str, value: impl ToString, valid: &str) -> Error {
    Error::InvalidArgument { name, value: value.to_string(), valid: valid.into() }
}

/// FNV-1a, 64 bits (a short fingerprint of the exported file, not a security hash).
pub fn fnv1a(bytes: &[u8]) -> String {
    let h = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3));
    format!("{h:016x}")
}

/// The trained model, its int8 file and the lesson's numbers.
pub fn run_with_file(input: &Input) -> Result<(Output, Vec<u8>), Error> {
    if !(1..=2000).contains(&input.steps) {
        return Err(bad("steps", input.steps, "an integer in 1..=2000"));
    }
    let b = CpuReference;
    let cfg = serde_json::json!({
        "dataset": "digits", "hidden": input.hidden, "precision": input.precision, "optimizer": "adam",
        "lr": input.lr, "batch": 32, "seed": input.seed,
    });
    let cfg = session_config::parse(&cfg.to_string())?.0;
    let mut s = Session::new(&b, cfg)?;
    let precision = s.effective.effective.as_str().to_string();
    let records = ready(s.run(&b, input.steps))?;
    let float = ready(s.float_model(&b))?;
    if input.calib == 0 || input.calib > s.train_len() {
        return Err(bad("calib", input.calib, &format!("an integer in 1..={} (the training split)", s.train_len())));
    }
    let q = s.quant_data(input.calib)?;
    let data = ((&q.calib_x[..], &q.calib_shape[..]), Some((&q.eval_x[..], &q.eval_shape[..])), Some(&q.eval_y[..]));
    let opt = PtqOptions { qconfig: Some(input.qconfig.clone()), ..PtqOptions::default() };
    let sweep_opts = DebugOptions { debug: false, sweep: true };
    let report = ready(extras(&b, &float, data, &opt, sweep_opts, None, &mut |_, _, _| {}))?;
    let sweep = report.sweep.expect("the sweep ran");
    let kept = match input.keep_float.as_str() {
        "none" => None,
        // The most helpful layer, if keeping it float helps at all.
        "auto" => sweep.rows.first().filter(|r| r.gain > 0.0).map(|r| r.name.clone()),
        path if sweep.rows.iter().any(|r| r.name == path) => Some(path.to_string()),
        other => {
            let names: Vec<&str> = sweep.rows.iter().map(|r| r.name.as_str()).collect();
            return Err(bad("keep_float", other, &format!("auto, none, {}", names.join(", "))));
        }
    };
    let last = PtqOptions { keep_float: kept.iter().cloned().collect(), ..opt };
    let run = ready(ptq::run(&b, &float, data.0, data.1, data.2, &last))?;
    let file = crate::model::int8::save(&run.converted.model)?;
    let float_file = float.state_dict().to_safetensors(None)?;
    let steps: Vec<Step> = records
        .iter()
        .map(|r| Step { step: r.step, loss: r.loss, loss_scale: r.amp_loss_scale, skipped: r.skipped })
        .collect();
    let out = Output {
        skipped_steps: steps.iter().filter(|s| s.skipped).count(),
        steps,
        precision,
        test_samples: q.eval_y.len(),
        float_accuracy: sweep.float,
        int8_accuracy: sweep.int8,
        sweep: sweep
            .rows
            .iter()
            .map(|r| Sensitivity { layer: r.name.clone(), accuracy: r.accuracy, gain: r.gain })
            .collect(),
        kept_float: kept,
        final_accuracy: run.report.accuracy.expect("labels given").int8,
        int8_file_bytes: file.len(),
        float_file_bytes: float_file.len(),
        int8_file_fnv1a: fnv1a(&file),
    };
    Ok((out, file))
}

impl Lesson for Pipeline {
    const NAME: &'static str = "pipeline";
    type Input = Input;
    type Output = Output;

    fn run(input: &Input) -> Result<Output, Error> {
        run_with_file(input).map(|(o, _)| o)
    }

    fn render(o: &Output) -> String {
        let last = o.steps.last().expect("at least one step");
        let mut s = format!("precision {}\nsteps {}\nfinal_loss {}\n", o.precision, last.step, num(last.loss));
        if let Some(scale) = last.loss_scale {
            s += &format!("final_loss_scale {}\n", num(scale));
        }
        s += &format!("skipped_steps {}\ntest_samples {}\n", o.skipped_steps, o.test_samples);
        s += &format!("float_accuracy {}\nint8_accuracy {}\n", num64(o.float_accuracy), num64(o.int8_accuracy));
        s += "layer accuracy_if_float gain\n";
        for r in &o.sweep {
            s += &format!("{} {} {}\n", r.layer, num64(r.accuracy), num64(r.gain));
        }
        s += &format!("kept_float {}\n", o.kept_float.as_deref().unwrap_or("none"));
        s += &format!("final_accuracy {}\n", num64(o.final_accuracy));
        s += &format!("int8_file_bytes {}\nfloat_file_bytes {}\n", o.int8_file_bytes, o.float_file_bytes);
        s += &format!("int8_file_fnv1a {}\n", o.int8_file_fnv1a);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(keep_float: &str) -> Input {
        Input {
            hidden: vec![16],
            precision: "16-mixed".into(),
            steps: 40,
            lr: 0.01,
            seed: 3,
            calib: 8,
            qconfig: "x86".into(),
            keep_float: keep_float.into(),
        }
    }

    #[test]
    fn pipeline_lesson_keeps_a_layer_float_only_when_it_helps_and_exports_that_model() {
        let (auto, file) = run_with_file(&input("auto")).unwrap();
        assert_eq!(auto.steps.len(), 40);
        let gains: Vec<f64> = auto.sweep.iter().map(|r| r.gain).collect();
        assert!(gains.windows(2).all(|w| w[0] >= w[1]), "sorted by gain: {gains:?}");
        assert_eq!(auto.kept_float, auto.sweep.first().filter(|r| r.gain > 0.0).map(|r| r.layer.clone()));
        // The exported file: int8 weights except the layer kept float.
        let st = safetensors::SafeTensors::deserialize(&file).unwrap();
        for r in &auto.sweep {
            let float = auto.kept_float.as_deref() == Some(r.layer.as_str());
            let dtype = st
                .names()
                .iter()
                .find(|n| n.starts_with(&format!("{}.", r.layer)) && n.ends_with("weight"))
                .map(|n| st.tensor(n).unwrap().dtype());
            assert_eq!(
                dtype,
                Some(if float { safetensors::Dtype::F32 } else { safetensors::Dtype::I8 }),
                "{}",
                r.layer
            );
        }
        crate::model::int8::load(&file).unwrap();
        // Naming a layer keeps exactly that one; an unknown one is refused with the valid names.
        let name = auto.sweep[1].layer.clone();
        let (named, _) = run_with_file(&input(&name)).unwrap();
        assert_eq!(named.kept_float.as_deref(), Some(name.as_str()));
        assert_eq!(named.final_accuracy, auto.sweep[1].accuracy);
        let e = run_with_file(&input("fc9")).unwrap_err().to_string();
        assert!(e.contains("fc9") && e.contains("auto, none") && e.contains(&name), "{e}");
        let (none, _) = run_with_file(&input("none")).unwrap();
        assert_eq!((none.kept_float, none.final_accuracy), (None, none.int8_accuracy));
    }
}
