//! The plan of a training session: every tensor that [`crate::app::session::Session::new`], one
//! training step (`nn::amp_step`) and one evaluation pass (`Session::evaluate`) make, named as
//! the user knows them (`fc1.weight`, `Adam exp_avg of fc2.weight`, `activation after fc1 on a
//! batch`), with the f32 matmul dispatches, from the config alone. `Session::new` checks it
//! against the backend's limits before it allocates anything (the data included), so a width or
//! batch the adapter cannot hold is a named error, not a failure halfway through a step.
//!
//! What it lists: the parameters, optimizer state, GradScaler state and Adam's table; the batch,
//! each layer's input, weight copy, output, pre-activation and gradients in the step's dtype
//! (and their f32 upcasts under autocast); each layer's output and activation over the larger
//! data split in an evaluation; the datasets on the host. Short-lived temporaries of the same
//! shape as a listed tensor (a ReLU's f32 input, a bias-added copy) are not listed again, so the
//! host total is an estimate of the peak, not an exact count.
//!
//! Not here: the arithmetic and the comparison (`rules::plan`), the limits (`TensorOps::limits`).

use super::session_config::{LossKind, SessionConfig};
use crate::amp::precision::Precision;
use crate::backend::DType;
use crate::nn::mlp::Optimizer;
use crate::rules::error::Result;
use crate::rules::plan::{short_dtype, Phase, Plan};

/// What the user can change when a session's plan is over a limit.
pub const HINT: &str = "lower the hidden widths, the batch size or the samples";

/// The compute dtype of an effective precision (as `Session::mode`).
pub fn compute_dtype(p: Precision) -> DType {
    match p {
        Precision::True32 => DType::F32,
        Precision::Mixed16 | Precision::True16 => DType::F16,
        Precision::MixedBf16 | Precision::TrueBf16 => DType::BF16,
    }
}

/// The f32 forward of `sizes` on `rows` samples of `on` (`Mlp::forward_all`), in `phase`.
pub fn forward_plan(p: &mut Plan, sizes: &[usize], rows: usize, on: &str, phase: Phase) {
    p.tensor(format!("features of {on}"), &[rows, sizes[0]], DType::F32, phase);
    for (l, pair) in sizes.windows(2).enumerate() {
        let fc = format!("fc{}", l + 1);
        p.tensor(format!("output of {fc} on {on}"), &[rows, pair[1]], DType::F32, phase);
        p.tensor(format!("activation after {fc} on {on}"), &[rows, pair[1]], DType::F32, phase);
        p.matmul(format!("{fc} forward on {on}"), rows, pair[1]);
    }
}

/// One autocast step (`Mlp::train_step_amp`) of `sizes` on `batch` rows in dtype `d`.
fn step_plan(p: &mut Plan, sizes: &[usize], batch: usize, d: DType, loss: LossKind) {
    let (on, s, f32) = ("a batch", Phase::Step, DType::F32);
    let dn = short_dtype(d);
    let classes = *sizes.last().expect("at least two sizes");
    p.tensor("batch features", &[batch, sizes[0]], f32, s);
    p.tensor("batch labels", &[batch], DType::I32, s);
    if loss == LossKind::Mse {
        p.tensor("one-hot targets", &[batch, classes], f32, s);
    }
    for (l, pair) in sizes.windows(2).enumerate() {
        let (fc, inn, out) = (format!("fc{}", l + 1), pair[0], pair[1]);
        p.tensor(format!("input of {fc} on {on}"), &[batch, inn], d, s);
        p.tensor(format!("{fc}.weight in {dn}"), &[out, inn], d, s);
        if d != f32 {
            p.tensor(format!("input of {fc} on {on}, upcast"), &[batch, inn], f32, s);
            p.tensor(format!("{fc}.weight in {dn}, upcast"), &[out, inn], f32, s);
        }
        p.tensor(format!("output of {fc} on {on}"), &[batch, out], f32, s);
        p.tensor(format!("pre-activation of {fc} on {on}"), &[batch, out], d, s);
        p.matmul(format!("{fc} forward on {on}"), batch, out);
    }
    p.tensor(format!("logits on {on}"), &[batch, classes], f32, s);
    p.tensor(format!("gradient of the logits on {on}"), &[batch, classes], f32, s);
    for (l, pair) in sizes.windows(2).enumerate().rev() {
        let (fc, inn, out) = (format!("fc{}", l + 1), pair[0], pair[1]);
        p.tensor(format!("gradient of the output of {fc} on {on}"), &[batch, out], d, s);
        p.tensor(format!("gradient of {fc}.weight"), &[out, inn], d, s);
        p.tensor(format!("gradient of {fc}.weight, upcast"), &[out, inn], f32, s);
        p.tensor(format!("gradient of {fc}.bias"), &[out], f32, s);
        if l > 0 {
            p.tensor(format!("gradient of the input of {fc} on {on}"), &[batch, inn], d, s);
        }
        // f16 backward GEMMs spread their grid like grid_1d; f32 and bf16 ones use matmul_t.
        if d != DType::F16 {
            p.matmul(format!("{fc} weight gradient"), out, inn);
            if l > 0 {
                p.matmul(format!("{fc} input gradient on {on}"), batch, inn);
            }
        }
    }
}

/// Everything a session of `cfg` running `effective` makes (see the module docs). Fails only
/// on an unknown dataset.
pub fn training_plan(cfg: &SessionConfig, effective: Precision) -> Result<Plan> {
    let (n, d_in, classes) = crate::data::dims(&cfg.dataset, cfg.samples)?;
    let (n_train, n_test) = crate::data::split_sizes(n, cfg.train_ratio);
    let sizes: Vec<usize> =
        std::iter::once(d_in).chain(cfg.hidden.iter().copied()).chain(std::iter::once(classes)).collect();
    let mut p = Plan::default();
    p.host("dataset features", &[n, d_in], DType::F32);
    p.host("dataset labels", &[n], DType::I32);
    p.host("training split features", &[n_train, d_in], DType::F32);
    p.host("test split features", &[n_test, d_in], DType::F32);
    for (l, pair) in sizes.windows(2).enumerate() {
        for (name, shape) in
            [(format!("fc{}.weight", l + 1), vec![pair[1], pair[0]]), (format!("fc{}.bias", l + 1), vec![pair[1]])]
        {
            p.tensor(name.clone(), &shape, DType::F32, Phase::Persistent);
            // Every parameter has two optimizer slots (`nn::mlp::Param`); SGD uses one.
            let slots = match cfg.optimizer {
                Optimizer::Adam(_) => ["Adam exp_avg", "Adam exp_avg_sq"],
                Optimizer::Sgd(_) => ["SGD momentum_buffer", "the unused second optimizer slot"],
            };
            for slot in slots {
                p.tensor(format!("{slot} of {name}"), &shape, DType::F32, Phase::Persistent);
            }
        }
    }
    if let Optimizer::Adam(_) = cfg.optimizer {
        // 2·n entries for n = max(256, 2·steps) (`nn::amp_step`): 512 at the start.
        p.tensor("Adam bias-correction table", &[512], DType::F32, Phase::Persistent);
    }
    if effective.uses_grad_scaler() {
        p.tensor("GradScaler scale", &[1], DType::F32, Phase::Persistent);
        p.tensor("GradScaler growth_tracker", &[1], DType::I32, Phase::Persistent);
    }
    step_plan(&mut p, &sizes, cfg.batch.min(n_train), compute_dtype(effective), cfg.loss);
    let (rows, on) = if n_train >= n_test { (n_train, "the training split") } else { (n_test, "the test split") };
    forward_plan(&mut p, &sizes, rows, on, Phase::Eval);
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::plan::tensor_bytes;

    fn find<'a>(p: &'a Plan, name: &str) -> &'a crate::rules::plan::PlannedTensor {
        p.tensors.iter().find(|t| t.name == name).unwrap_or_else(|| panic!("{name} not in the plan"))
    }

    #[test]
    fn the_plan_names_parameters_optimizer_state_and_activations_with_their_shapes() {
        let cfg = SessionConfig { dataset: "digits".into(), hidden: vec![512], batch: 4096, ..Default::default() };
        let p = training_plan(&cfg, Precision::Mixed16).unwrap();
        // digits: 1797 samples of 64 features, 10 classes; 0.8 of them train, so the batch is 1438.
        assert_eq!(find(&p, "fc1.weight").label(), "fc1.weight (512, 64) f32");
        assert_eq!(find(&p, "Adam exp_avg of fc2.weight").label(), "Adam exp_avg of fc2.weight (10, 512) f32");
        assert_eq!(
            find(&p, "pre-activation of fc1 on a batch").label(),
            "pre-activation of fc1 on a batch (1438, 512) f16"
        );
        assert_eq!(find(&p, "fc1.weight in f16").label(), "fc1.weight in f16 (512, 64) f16");
        assert_eq!(find(&p, "activation after fc1 on the training split").shape, [1438, 512]);
        assert!(p.tensors.iter().any(|t| t.name == "GradScaler scale"));
        let sgd = SessionConfig { optimizer: Optimizer::Sgd(Default::default()), ..cfg.clone() };
        let p32 = training_plan(&sgd, Precision::True32).unwrap();
        assert!(p32.tensors.iter().all(|t| t.dtype != DType::F16 && t.name != "GradScaler scale"));
        assert_eq!(find(&p32, "SGD momentum_buffer of fc1.bias").shape, [512]);
        // Persistent device bytes on the host (a CPU run): 3 slots of every parameter + the table.
        let params = (512 * 64 + 512 + 10 * 512 + 10) as u64 * 4;
        let persistent: u64 = p
            .tensors
            .iter()
            .filter(|t| t.phase == Phase::Persistent && !t.host_only)
            .map(|t| tensor_bytes(&t.shape, t.dtype).unwrap())
            .sum();
        assert_eq!(persistent, 3 * params + 512 * 4 + 8);
    }
}
