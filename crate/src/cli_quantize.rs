//! `quantplay quantize`: reads a model (JSON spec + safetensors weights) and calibration /
//! evaluation data (safetensors with `x` [N, …] and optional `y`), runs post-training static
//! quantization (`quant::eager::pipeline`), prints the report, optionally writes the int8 model.
//! A thin shell over the library: file I/O and printing only.

use clap::Args;
use quantplay::app::ptq::{self, PtqOptions};
use quantplay::backend::HostData;
use quantplay::model::{int8, StateDict};
use quantplay::{Error, Result};

/// Post-training static quantization with torch.ao.quantization's eager-mode semantics.
#[derive(Args)]
pub struct QuantizeArgs {
    /// The model spec (docs/model-format.md).
    #[arg(long)]
    spec: String,
    /// Float weights, keyed as the model's state_dict.
    #[arg(long)]
    weights: String,
    /// Calibration data: safetensors with `x` [N, ...].
    #[arg(long)]
    calib: String,
    /// Evaluation data: safetensors with `x` and optionally `y` (class labels).
    #[arg(long)]
    eval: Option<String>,
    /// qconfig: default, x86, fbgemm, qnnpack or onednn (default: the spec's, else x86).
    #[arg(long)]
    qconfig: Option<String>,
    /// Activation observer override: minmax, moving_average or histogram.
    #[arg(long)]
    observer: Option<String>,
    /// Per-tensor weights (default_weight_observer) instead of the qconfig's.
    #[arg(long)]
    per_tensor: bool,
    /// Do not apply the spec's fuse groups.
    #[arg(long)]
    no_fuse: bool,
    /// Samples per calibration batch.
    #[arg(long, default_value_t = 32)]
    calib_batch: usize,
    /// cpu (the fast path), cpu-reference (plain loops) or webgpu (alias gpu; a missing or
    /// failing GPU falls back to cpu with the reason).
    #[arg(long, default_value = "cpu")]
    backend: quantplay::BackendKind,
    /// Write the int8 model (safetensors, layout quantplay-int8/1).
    #[arg(long)]
    out: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Add each layer's weight codes and the eval outputs (codes and dequantized) to the report.
    #[arg(long)]
    dump: bool,
}

fn read(path: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::InvalidArgument {
        name: "file",
        value: path.into(),
        valid: format!("a readable file ({e})"),
    })
}

/// `x` as f32 with its shape, and `y` as class indices if present.
#[allow(clippy::type_complexity)] // (x, shape, labels), named in the docs
fn data(path: &str) -> Result<(Vec<f32>, Vec<usize>, Option<Vec<i32>>)> {
    let (sd, _) = StateDict::from_safetensors(&read(path)?)?;
    let x = sd.tensors.get("x").ok_or_else(|| Error::Model {
        path: path.into(),
        detail: format!("no tensor `x`; tensors: {:?}", sd.tensors.keys().collect::<Vec<_>>()),
    })?;
    let xs = match &x.data {
        HostData::F32(v) => v.clone(),
        d => return Err(Error::Model { path: path.into(), detail: format!("`x` is {}; expected float32", d.dtype()) }),
    };
    let y = match sd.tensors.get("y").map(|t| &t.data) {
        None => None,
        Some(HostData::I32(v)) => Some(v.clone()),
        Some(HostData::U8(v)) => Some(v.iter().map(|&c| c as i32).collect()),
        Some(d) => {
            return Err(Error::Model {
                path: path.into(),
                detail: format!("`y` is {}; expected integer class labels", d.dtype()),
            })
        }
    };
    Ok((xs, x.shape.clone(), y))
}

fn run(a: &QuantizeArgs) -> Result<()> {
    let spec = String::from_utf8_lossy(&read(&a.spec)?).into_owned();
    let model = quantplay::model::load(&spec, &read(&a.weights)?)?;
    let (cx, cshape, _) = data(&a.calib)?;
    let eval = a.eval.as_deref().map(data).transpose()?;
    let opt = PtqOptions {
        qconfig: a.qconfig.clone(),
        observer: a.observer.clone(),
        per_tensor: a.per_tensor,
        reduce_range: None,
        fuse: !a.no_fuse,
        calib_batch: a.calib_batch,
        dump: a.dump,
    };
    let ev = eval.as_ref().map(|(x, s, _)| (x.as_slice(), s.as_slice()));
    let labels = eval.as_ref().and_then(|(_, _, y)| y.as_deref());
    struct PtqJob<'a> {
        model: &'a quantplay::model::Model,
        calib: (&'a [f32], &'a [usize]),
        eval: Option<(&'a [f32], &'a [usize])>,
        labels: Option<&'a [i32]>,
        opt: &'a PtqOptions,
    }
    impl quantplay::app::backends::Job for PtqJob<'_> {
        type Output = ptq::PtqRun;
        async fn run<B: quantplay::Backend>(&self, b: &B) -> Result<ptq::PtqRun> {
            ptq::run(b, self.model, self.calib, self.eval, self.labels, self.opt).await
        }
    }
    let job = PtqJob { model: &model, calib: (&cx, &cshape), eval: ev, labels, opt: &opt };
    let ran = pollster::block_on(quantplay::app::backends::run(a.backend, &job))?;
    if let Some(why) = &ran.fallback {
        eprintln!("note: {why}; running on {} instead", ran.ran_on);
    }
    let result = ran.output;
    for w in &result.report.warnings {
        eprintln!("warning: {w}");
    }
    if let Some(out) = &a.out {
        std::fs::write(out, int8::save(&result.converted.model)?).map_err(|e| Error::InvalidArgument {
            name: "--out",
            value: out.clone(),
            valid: format!("a writable path ({e})"),
        })?;
    }
    let r = &result.report;
    if a.json {
        println!("{}", serde_json::to_string(r).expect("report serialises"));
        return Ok(());
    }
    if let Some(i) = &r.input {
        println!("input: scale {} zero_point {}", i.scale, i.zero_point);
    }
    println!(
        "{:<16} {:<22} {:>12} {:>5} {:<18} {:>9} {:>7}",
        "layer", "kind", "out scale", "zp", "weight qscheme", "SQNR dB", "clip %"
    );
    for l in &r.layers {
        println!(
            "{:<16} {:<22} {:>12.6e} {:>5} {:<18} {:>9.2} {:>7.3}",
            l.name, l.kind, l.output_scale, l.output_zero_point, l.weight_qscheme, l.sqnr_db, l.clip_percent
        );
    }
    for (p, t) in &r.float_modules {
        println!("float (not in the mapping): {p} ({t})");
    }
    if let Some(acc) = &r.accuracy {
        println!("accuracy: float {:.4}  int8 {:.4}  agreement {:.4}", acc.float, acc.int8, acc.agreement);
    }
    Ok(())
}

/// Runs the subcommand; errors print as `error: …` with exit code 2.
pub fn main(a: &QuantizeArgs) -> std::process::ExitCode {
    match run(a) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
