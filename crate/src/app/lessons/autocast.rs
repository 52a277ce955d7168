//! Lesson 6, autocast: which ops run in the low-precision dtype under `torch.autocast` and why
//! (aten/src/ATen/autocast_mode.cpp's lists: `lower_precision_fp` for matmul/linear/conv,
//! `fp32` for softmax, losses, sum and norm, everything else by type promotion), and
//! the op trace of one real training step of the playground MLP at the chosen precision.
//!
//! The policy is [`crate::amp::autocast`]; the trace is the one [`Session`] records
//! (`nn/amp_step.rs`), on the CPU reference backend. This file lists the ops and lays out
//! what the library returns. Not here: the policy itself, the step.

use super::Lesson;
use crate::amp::autocast::{output_dtype, policy, Op, Policy};
use crate::amp::parse_precision;
use crate::app::session::Session;
use crate::app::session_config::SessionConfig;
use crate::backend::cpu::CpuReference;
use crate::backend::{ready, DType};
use crate::rules::error::Error;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The lesson's inputs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// A Lightning precision string: `32-true`, `16-mixed`, `bf16-mixed`, `16-true`, `bf16-true`.
    pub precision: String,
    /// Hidden layer widths of the MLP (1 to 8 layers, each 1 to 256).
    pub hidden: Vec<usize>,
}

/// One op's autocast rule.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyRow {
    /// The op (torch's name).
    pub op: Op,
    /// Its list: `lower_precision`, `fp32` or `promote`.
    pub policy: Policy,
    /// Its output dtype from float32 inputs under autocast to the lesson's dtype.
    pub from_float32: &'static str,
    /// Its output dtype from float16/bfloat16 inputs under autocast.
    pub from_low: &'static str,
}

/// Every number the page shows.
#[derive(Debug, Clone, Serialize)]
pub struct Output {
    /// The precision asked for (canonical name).
    pub requested: &'static str,
    /// The precision that ran on the CPU backend.
    pub effective: &'static str,
    /// A note for a legacy name (`16`, `bf16`), or why the effective precision differs.
    pub note: Option<String>,
    /// The autocast dtype: `float16`, `bfloat16`, or null (32-true, or a `*-true` cast model).
    pub autocast: Option<&'static str>,
    /// The dtype the step computes in.
    pub compute: &'static str,
    /// Whether a GradScaler runs (16-mixed only).
    pub grad_scaler: bool,
    /// `[in, hidden…, classes]` of the MLP.
    pub layers: Vec<usize>,
    /// The op lists, for autocast to the lesson's low dtype (float16 for 32-true).
    pub policy: Vec<PolicyRow>,
    /// The real step's trace: `[{name, op, inputs: [dtype], output}]`.
    pub trace: Value,
    /// Ops of the trace whose output is the low dtype.
    pub low_ops: usize,
    /// Ops of the trace whose output is float32.
    pub fp32_ops: usize,
    /// Bytes of weights the step held (master weights and their casts).
    pub weights_bytes: u64,
    /// Bytes of activations the step kept for backward.
    pub activations_bytes: u64,
}

const OPS: [Op; 13] = [
    Op::Matmul,
    Op::Linear,
    Op::Conv2d,
    Op::Softmax,
    Op::LogSoftmax,
    Op::CrossEntropy,
    Op::MseLoss,
    Op::Sum,
    Op::Mean,
    Op::Norm,
    Op::Add,
    Op::Mul,
    Op::Relu,
];

/// Lesson 6 (`quantplay lesson autocast`).
pub struct Autocast;

fn name<T: Serialize>(v: T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
}

impl Lesson for Autocast {
    const NAME: &'static str = "autocast";
    type Input = Input;
    type Output = Output;

    fn run(input: &Input) -> Result<Output, Error> {
        if input.hidden.is_empty() || input.hidden.len() > 8 || input.hidden.iter().any(|&w| !(1..=256).contains(&w)) {
            return Err(Error::InvalidArgument {
                name: "hidden",
                value: format!("{:?}", input.hidden),
                valid: "1 to 8 widths, each 1 to 256, comma-separated (e.g. 16,16)".into(),
            });
        }
        let parsed = parse_precision(&input.precision)?;
        let cfg =
            SessionConfig { precision: parsed.precision, hidden: input.hidden.clone(), ..SessionConfig::default() };
        let b = CpuReference;
        let mut s = Session::new(&b, cfg)?;
        // Only dtypes are shown: the lesson is about where each op runs, not the step's values.
        ready(s.run(&b, 1))?;
        let mode = s.mode();
        let low = if mode.dtype == DType::F32 { DType::F16 } else { mode.dtype };
        let autocast = (s.effective.effective.is_mixed()).then(|| mode.dtype.torch_name());
        let policy = OPS
            .iter()
            .map(|&op| {
                let f32_in = [DType::F32, DType::F32];
                let low_in = [low, low];
                Ok(PolicyRow {
                    op,
                    policy: policy(op),
                    from_float32: output_dtype(op, &f32_in, Some(low))?.torch_name(),
                    from_low: output_dtype(op, &low_in, Some(low))?.torch_name(),
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let trace = s.trace();
        let outputs: Vec<&str> =
            trace.as_array().map(|a| a.iter().filter_map(|e| e["output"].as_str()).collect()).unwrap_or_default();
        let memory = s.memory();
        let note = parsed.deprecation.or_else(|| s.effective.reason.clone());
        Ok(Output {
            requested: s.effective.requested.as_str(),
            effective: s.effective.effective.as_str(),
            note,
            autocast,
            compute: mode.dtype.torch_name(),
            grad_scaler: s.effective.effective.uses_grad_scaler(),
            layers: s.mlp.sizes.clone(),
            policy,
            low_ops: outputs.iter().filter(|o| **o == low.torch_name() && mode.dtype != DType::F32).count(),
            fp32_ops: outputs.iter().filter(|o| **o == "float32").count(),
            trace,
            weights_bytes: memory["weights_bytes"].as_u64().unwrap_or(0),
            activations_bytes: memory["activations_bytes"].as_u64().unwrap_or(0),
        })
    }

    fn render(o: &Output) -> String {
        let mut s = format!("requested {}\neffective {}\n", o.requested, o.effective);
        s += &format!("autocast {}\ncompute {}\n", o.autocast.unwrap_or("off"), o.compute);
        s += &format!("grad_scaler {}\n", o.grad_scaler);
        if let Some(n) = &o.note {
            s += &format!("note {n}\n");
        }
        let layers: Vec<String> = o.layers.iter().map(|w| w.to_string()).collect();
        s += &format!("layers {}\n", layers.join(","));
        s += "op policy from_float32 from_low\n";
        for r in &o.policy {
            s += &format!("{} {} {} {}\n", name(r.op), name(r.policy), r.from_float32, r.from_low);
        }
        s += "trace: name op inputs output\n";
        for e in o.trace.as_array().into_iter().flatten() {
            let inputs: Vec<&str> = e["inputs"].as_array().into_iter().flatten().filter_map(|v| v.as_str()).collect();
            let (n, op, out) = (e["name"].as_str(), e["op"].as_str(), e["output"].as_str());
            s += &format!("{} {} {} {}\n", n.unwrap_or("?"), op.unwrap_or("?"), inputs.join(","), out.unwrap_or("?"));
        }
        s += &format!("low_ops {}\nfp32_ops {}\n", o.low_ops, o.fp32_ops);
        s += &format!("weights_bytes {}\nactivations_bytes {}\n", o.weights_bytes, o.activations_bytes);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(precision: &str, hidden: &[usize]) -> Output {
        Autocast::run(&Input { precision: precision.into(), hidden: hidden.to_vec() }).unwrap()
    }

    #[test]
    fn under_16_mixed_the_linears_and_relus_run_in_f16_and_the_loss_in_f32() {
        let o = run("16-mixed", &[8, 4]);
        assert_eq!((o.autocast, o.compute, o.grad_scaler), (Some("float16"), "float16", true));
        assert_eq!(o.layers, [2, 8, 4, 2]);
        let outs: Vec<(&str, &str)> = o
            .trace
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["name"].as_str().unwrap(), e["output"].as_str().unwrap()))
            .collect();
        assert_eq!(outs.first(), Some(&("fc1", "float16")));
        assert_eq!(outs.last(), Some(&("loss", "float32")));
        assert_eq!((o.low_ops, o.fp32_ops), (outs.len() - 1, 1));
        let row = |op: Op| o.policy.iter().find(|r| r.op == op).unwrap();
        assert_eq!((row(Op::Linear).from_float32, row(Op::Softmax).from_low), ("float16", "float32"));
        assert_eq!((row(Op::Add).from_float32, row(Op::Relu).from_low), ("float32", "float16"));
    }

    #[test]
    fn the_op_lists_agree_with_torch_autocast_on_cpu_except_where_cpus_fp32_list_is_shorter() {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/lessons_autocast.json"))
                .unwrap();
        let fx: serde_json::Value = serde_json::from_str(&text).unwrap();
        // torch's CUDA fp32 list (which the library follows) has these; its CPU list does not,
        // so on CPU they keep a low-dtype input's dtype.
        let cpu_differs = ["softmax", "log_softmax", "sum", "norm"];
        for (precision, low) in [("16-mixed", "float16"), ("bf16-mixed", "bfloat16")] {
            let o = run(precision, &[4]);
            for r in &o.policy {
                let op = name(r.op);
                let torch = &fx["ops"][low][op.as_str()];
                assert_eq!(r.from_float32, torch["from_float32"], "{precision} {op} from float32");
                if cpu_differs.contains(&op.as_str()) {
                    assert_eq!((r.from_low, torch["from_low"].as_str()), ("float32", Some(low)), "{precision} {op}");
                } else {
                    assert_eq!(r.from_low, torch["from_low"], "{precision} {op} from {low}");
                }
            }
        }
    }

    #[test]
    fn under_32_true_everything_is_float32_and_bf16_mixed_needs_no_scaler() {
        let o = run("32-true", &[16]);
        assert_eq!((o.autocast, o.low_ops, o.grad_scaler), (None, 0, false));
        assert_eq!(o.fp32_ops, o.trace.as_array().unwrap().len());
        let b = run("bf16-mixed", &[16]);
        assert_eq!((b.autocast, b.grad_scaler), (Some("bfloat16"), false));
        assert!(b.weights_bytes > 0 && b.activations_bytes > 0);
        assert!(run("16", &[4]).note.unwrap().contains("16-mixed"));
        let e = Autocast::run(&Input { precision: "64".into(), hidden: vec![4] }).unwrap_err().to_string();
        assert!(e.contains("16-mixed"), "{e}");
        let e = Autocast::run(&Input { precision: "16-mixed".into(), hidden: vec![0] }).unwrap_err().to_string();
        assert!(e.contains("hidden") && e.contains("1 to 256"), "{e}");
    }
}
