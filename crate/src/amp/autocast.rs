//! The autocast op policy: which dtype each op runs in under `torch.autocast`, following the
//! CUDA lists in aten/src/ATen/autocast_mode.cpp (`lower_precision_fp`, `fp32`,
//! `fp32_set_opt_dtype`, `promote`), and an op trace that records, for one step, each op with
//! its input and output dtypes so the playground can show it.
//!
//! - lower_precision_fp: matmul, mm, addmm, linear, conv2d run in the autocast dtype (f16 or
//!   bf16), their inputs cast down;
//! - fp32: softmax, log_softmax, cross_entropy / nll_loss, mse_loss, sum, mean, layer_norm,
//!   batch_norm statistics, exp and log run in f32, inputs cast up;
//! - everything else (add, mul, relu, bias add, …) is not cast and follows type promotion:
//!   the widest floating input wins (f16 + f32 → f32).

use crate::backend::DType;
use crate::rules::error::{Error, Result};

/// An op the training stack runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// `torch.matmul` / `mm`.
    Matmul,
    /// `nn.functional.linear` (addmm).
    Linear,
    /// `nn.functional.conv2d`.
    Conv2d,
    /// `softmax`.
    Softmax,
    /// `log_softmax`.
    LogSoftmax,
    /// `cross_entropy` (log_softmax + nll_loss).
    CrossEntropy,
    /// `mse_loss`.
    MseLoss,
    /// `sum`.
    Sum,
    /// `mean`: on none of autocast_mode.cpp's CUDA lists, so it runs in its input's dtype.
    Mean,
    /// `torch.norm` (the CUDA `fp32_append_dtype` list; `batch_norm` is on no list).
    Norm,
    /// Element-wise `add` (and bias add).
    Add,
    /// Element-wise `mul`.
    Mul,
    /// `relu`.
    Relu,
}

/// How autocast treats an op.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// Runs in the autocast dtype (f16 or bf16).
    LowerPrecision,
    /// Runs in f32.
    Fp32,
    /// Not cast: type promotion over the inputs. The catch-all for ops on none of the lists
    /// ("not listed" on lesson 6's page), not torch's own short `promote` list (addcmul, cat,
    /// stack, index_put…), though both end in type promotion.
    Promote,
}

/// The policy for `op` (autocast_mode.cpp's CUDA lists).
pub fn policy(op: Op) -> Policy {
    match op {
        Op::Matmul | Op::Linear | Op::Conv2d => Policy::LowerPrecision,
        Op::Softmax | Op::LogSoftmax | Op::CrossEntropy | Op::MseLoss | Op::Sum | Op::Norm => Policy::Fp32,
        // Not on any list (not torch's `promote` list either, which names addcmul, cat, stack,
        // index_put…): no cast, so the op runs in its inputs' dtype by type promotion.
        Op::Mean | Op::Add | Op::Mul | Op::Relu => Policy::Promote,
    }
}

fn width(d: DType) -> u8 {
    match d {
        DType::F32 => 3,
        DType::F16 | DType::BF16 => 2,
        _ => 0,
    }
}

/// Type promotion over floating inputs: the widest wins; f16 with bf16 promotes to f32, as in
/// torch.
pub fn promote(inputs: &[DType]) -> DType {
    let floats: Vec<DType> = inputs.iter().copied().filter(|d| width(*d) > 0).collect();
    match floats.as_slice() {
        [] => DType::F32,
        [first, rest @ ..] => rest.iter().fold(*first, |acc, &d| match (acc, d) {
            (a, b) if a == b => a,
            (DType::F16, DType::BF16) | (DType::BF16, DType::F16) => DType::F32,
            (a, b) => {
                if width(a) >= width(b) {
                    a
                } else {
                    b
                }
            }
        }),
    }
}

/// The dtype `op` produces from `inputs` with autocast to `autocast` (F16 or BF16), or with
/// autocast off (`None`).
pub fn output_dtype(op: Op, inputs: &[DType], autocast: Option<DType>) -> Result<DType> {
    if let Some(d) = autocast {
        if d != DType::F16 && d != DType::BF16 {
            return Err(Error::InvalidArgument {
                name: "autocast dtype",
                value: d.to_string(),
                valid: "float16, bfloat16".into(),
            });
        }
    }
    Ok(match (autocast, policy(op)) {
        (Some(d), Policy::LowerPrecision) => d,
        (Some(_), Policy::Fp32) => DType::F32,
        _ => promote(inputs),
    })
}

/// One op of a traced step.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TraceEntry {
    /// A label such as `"fc1"` or `"loss"`.
    pub name: String,
    /// The op.
    pub op: Op,
    /// Input dtypes as torch names.
    pub inputs: Vec<&'static str>,
    /// Output dtype as a torch name.
    pub output: &'static str,
}

/// The ops of one step, in order, with their dtypes.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Trace {
    /// The entries, in execution order.
    pub entries: Vec<TraceEntry>,
}

impl Trace {
    /// Records `op` on `inputs` under `autocast` and returns its output dtype.
    pub fn record(&mut self, name: &str, op: Op, inputs: &[DType], autocast: Option<DType>) -> Result<DType> {
        let out = output_dtype(op, inputs, autocast)?;
        self.entries.push(TraceEntry {
            name: name.into(),
            op,
            inputs: inputs.iter().map(|d| d.torch_name()).collect(),
            output: out.torch_name(),
        });
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DType::*;

    #[test]
    fn matmuls_go_to_f16_reductions_and_losses_to_f32_and_elementwise_ops_promote() {
        let f16 = Some(F16);
        assert_eq!(output_dtype(Op::Linear, &[F32, F32], f16).unwrap(), F16);
        assert_eq!(output_dtype(Op::Matmul, &[F32, F16], Some(BF16)).unwrap(), BF16);
        assert_eq!(output_dtype(Op::CrossEntropy, &[F16], f16).unwrap(), F32);
        assert_eq!(output_dtype(Op::Sum, &[F16], f16).unwrap(), F32);
        assert_eq!(output_dtype(Op::Softmax, &[F16], f16).unwrap(), F32);
        assert_eq!(output_dtype(Op::Relu, &[F16], f16).unwrap(), F16);
        // torch's CUDA fp32 list has no `mean`: an f16 mean stays f16; `norm` goes to f32.
        assert_eq!(output_dtype(Op::Mean, &[F16], f16).unwrap(), F16);
        assert_eq!(output_dtype(Op::Norm, &[F16], f16).unwrap(), F32);
        assert_eq!(output_dtype(Op::Add, &[F16, F32], f16).unwrap(), F32);
        assert_eq!(output_dtype(Op::Add, &[F16, BF16], None).unwrap(), F32);
        assert_eq!(output_dtype(Op::Linear, &[F32, F32], None).unwrap(), F32);
        assert!(output_dtype(Op::Linear, &[F32], Some(I8)).unwrap_err().to_string().contains("float16, bfloat16"));
    }

    #[test]
    fn a_traced_mlp_step_shows_where_f16_starts_and_stops() {
        let mut t = Trace::default();
        let f16 = Some(F16);
        let h = t.record("fc1", Op::Linear, &[F32, F32], f16).unwrap();
        let h = t.record("relu1", Op::Relu, &[h], f16).unwrap();
        let z = t.record("fc2", Op::Linear, &[h, F32], f16).unwrap();
        let l = t.record("loss", Op::CrossEntropy, &[z], f16).unwrap();
        let outs: Vec<&str> = t.entries.iter().map(|e| e.output).collect();
        assert_eq!(outs, ["float16", "float16", "float16", "float32"]);
        assert_eq!(l, F32);
        let json = serde_json::to_value(&t).unwrap();
        assert_eq!(json["entries"][3]["op"], "cross_entropy");
        assert_eq!(json["entries"][2]["inputs"][0], "float16");
    }
}
