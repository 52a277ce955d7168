//! `quantplay quantize --dynamic`: torch's `quantize_dynamic` (Linear and LinearReLU after the
//! spec's fuse groups, `default_dynamic_qconfig` or `--qconfig per_channel`) on a model read from
//! files, with the dynamic report (`app::dynamic_run`) and the int8 file. No calibration: the
//! static-only flags are named errors here. A thin shell: file I/O and printing only.
//!
//! Not here: static quantization (`cli_quantize.rs`).

use crate::cli_files::refuse_overwriting_inputs;
use crate::cli_quantize::{write_int8, QuantizeArgs};
use quantplay::app::dynamic_run::{DynamicJob, DynamicOptions};
use quantplay::{Error, Result};

/// The flags of static quantization that `--dynamic` refuses, with whether each was given.
fn static_only(a: &QuantizeArgs) -> Vec<&'static str> {
    let given = [
        ("--calib", a.calib.is_some()),
        ("--observer", a.observer.is_some()),
        ("--calib-batch", a.calib_batch.is_some()),
        ("--per-tensor", a.per_tensor),
        ("--debug", a.debug.debug),
        ("--sweep", a.debug.sweep),
        ("--keep-float", a.debug.keep_float.is_some()),
    ];
    given.into_iter().filter(|g| g.1).map(|g| g.0).collect()
}

/// Runs `quantize --dynamic`.
pub fn run(a: &QuantizeArgs) -> Result<()> {
    if let Some(flag) = static_only(a).first() {
        return Err(Error::InvalidArgument {
            name: "--dynamic",
            value: format!("with {flag}"),
            valid: "--dynamic calibrates nothing: leave out --calib, --observer, --calib-batch and --per-tensor \
                    (per-channel weights: --qconfig per_channel); the numeric debugger (--debug, --sweep, \
                    --keep-float) is for static quantization"
                .into(),
        });
    }
    if let Some(out) = &a.out {
        let mut inputs = vec![("--spec", a.spec.as_str()), ("--weights", &a.weights)];
        inputs.extend(a.eval.as_deref().map(|e| ("--eval", e)));
        refuse_overwriting_inputs(out, &inputs)?;
    }
    let model = crate::cli_inputs::model(&a.spec, &a.weights)?;
    let eval = a.eval.as_deref().map(|p| crate::cli_inputs::data("--eval", p, &model)).transpose()?;
    let opt = DynamicOptions {
        qconfig: a.qconfig.clone().unwrap_or_else(|| "default".into()),
        fuse: !a.no_fuse,
        dump: a.dump,
    };
    let job = DynamicJob {
        model: &model,
        eval: eval.as_ref().map(|d| (d.x.as_slice(), d.shape.as_slice())),
        labels: eval.as_ref().and_then(|d| d.y.as_deref()),
        opt: &opt,
    };
    let ran = pollster::block_on(quantplay::app::backends::run(a.backend, &job))?;
    if let Some(why) = &ran.fallback {
        eprintln!("note: {why}; running on {} instead", ran.ran_on);
    }
    let result = ran.output;
    let r = &result.report;
    for w in &r.warnings {
        eprintln!("warning: {w}");
    }
    if let Some(out) = &a.out {
        write_int8(out, &result.model)?;
    }
    if a.json {
        println!("{}", serde_json::to_string(r).expect("report serialises"));
        return Ok(());
    }
    println!(
        "{:<16} {:<28} {:<18} {:>12} {:>12} {:>5} {:>9}",
        "layer", "kind", "weight qscheme", "weight scale", "input scale", "zp", "SQNR dB"
    );
    let opt_f = |v: Option<f32>| v.map_or("-".into(), |v| format!("{v:.6e}"));
    for l in &r.layers {
        let ws = if l.weight_scale.len() == 1 {
            format!("{:.6e}", l.weight_scale[0])
        } else {
            format!("{} ch", l.weight_scale.len())
        };
        println!(
            "{:<16} {:<28} {:<18} {:>12} {:>12} {:>5} {:>9}",
            l.name,
            l.kind,
            l.weight_qscheme,
            ws,
            opt_f(l.input_scale),
            l.input_zero_point.map_or("-".into(), |z| z.to_string()),
            l.sqnr_db.map_or("-".into(), |s| format!("{s:.2}"))
        );
    }
    for (p, t) in &r.float_modules {
        println!("float (qconfig None): {p} ({t})");
    }
    if let Some(acc) = &r.accuracy {
        println!("accuracy: float {:.4}  int8 {:.4}  agreement {:.4}", acc.float, acc.int8, acc.agreement);
    }
    Ok(())
}
