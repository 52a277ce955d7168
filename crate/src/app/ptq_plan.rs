//! The plan of a PTQ run (`app::ptq::run`): for each Linear and Conv2d of the float model, in
//! order, its weight and int8 codes, and its output (f32 and quint8) on the calibration set and
//! on the evaluation set, with the im2col matrix of a conv and the f32 matmul of each layer, so
//! the run is refused by name before the calibration forward allocates anything. Shapes follow
//! the modules from the data's shape (`Flatten` joins the trailing dimensions, MaxPool2d pools
//! as torch sizes it; ReLU, BatchNorm, stubs and Dropout keep it).
//!
//! Not here: the arithmetic (`rules::plan`), the training plan (`session_plan`).

use crate::backend::DType;
use crate::model::tree::{Kind, Module};
use crate::model::Model;
use crate::rules::plan::{Phase, Plan};

/// What the user can change when a PTQ run's plan is over a limit.
pub const HINT: &str = "use fewer calibration or evaluation samples, or a smaller model";

fn walk(m: &Module, path: &str, shape: &mut Vec<usize>, on: &str, phase: Phase, p: &mut Plan, weights: bool) {
    let (linear, conv) = match &m.kind {
        Kind::Linear(l) | Kind::LinearReLU(l) => (Some(l), None),
        Kind::Conv2d(c) | Kind::ConvReLU2d(c) => (None, Some(c)),
        Kind::Flatten { start_dim, .. } => {
            let start = (*start_dim).clamp(0, shape.len() as i64) as usize;
            let tail: usize = shape[start..].iter().product();
            shape.truncate(start);
            shape.push(tail);
            (None, None)
        }
        Kind::MaxPool2d(pool) => {
            if let Some(out) = pool.geom(path, shape).ok().and_then(|g| g.output_shape().ok()) {
                p.tensor(format!("output of {path} on {on}"), &out, DType::F32, phase);
                *shape = out.to_vec();
            }
            (None, None)
        }
        _ => (None, None),
    };
    if let Some(l) = linear {
        let rows: usize = shape[..shape.len().saturating_sub(1)].iter().product();
        if weights {
            p.tensor(format!("{path}.weight"), &[l.out_features, l.in_features], DType::F32, Phase::Persistent);
            p.tensor(format!("{path}.weight as int8"), &[l.out_features, l.in_features], DType::I8, Phase::Persistent);
        }
        p.tensor(format!("output of {path} on {on}"), &[rows, l.out_features], DType::F32, phase);
        p.tensor(format!("quantized output of {path} on {on}"), &[rows, l.out_features], DType::U8, phase);
        p.matmul(format!("{path} on {on}"), rows, l.out_features);
        *shape = vec![rows, l.out_features];
    }
    if let (Some(c), [n, _, h, w]) = (conv, shape.as_slice()) {
        let out = |x: usize, k: usize, s: usize, pad: usize| (x + 2 * pad).saturating_sub(k) / s.max(1) + 1;
        let (oh, ow) =
            (out(*h, c.kernel_size.0, c.stride.0, c.padding.0), out(*w, c.kernel_size.1, c.stride.1, c.padding.1));
        let (n, k) = (*n, c.in_channels * c.kernel_size.0 * c.kernel_size.1);
        if weights {
            p.tensor(format!("{path}.weight"), &c.weight_shape(), DType::F32, Phase::Persistent);
            p.tensor(format!("{path}.weight as int8"), &c.weight_shape(), DType::I8, Phase::Persistent);
        }
        p.tensor(format!("im2col of {path} on {on}"), &[n * oh * ow, k], DType::F32, phase);
        p.tensor(format!("output of {path} on {on}"), &[n, c.out_channels, oh, ow], DType::F32, phase);
        p.tensor(format!("quantized output of {path} on {on}"), &[n, c.out_channels, oh, ow], DType::U8, phase);
        p.matmul(format!("{path} on {on}"), n * oh * ow, c.out_channels);
        *shape = vec![n, c.out_channels, oh, ow];
    }
    for child in &m.children {
        let sub = if path.is_empty() { child.name.clone() } else { format!("{path}.{}", child.name) };
        walk(child, &sub, shape, on, phase, p, weights);
    }
}

/// The plan of PTQ on `model` calibrated on `calib_shape` and evaluated on `eval_shape` (batch
/// first); the inputs themselves are the caller's and already in host memory.
pub fn ptq_plan(model: &Model, calib_shape: &[usize], eval_shape: Option<&[usize]>) -> Plan {
    let mut p = Plan::default();
    p.tensor("calibration set", calib_shape, DType::F32, Phase::Step);
    walk(&model.root, "", &mut calib_shape.to_vec(), "the calibration set", Phase::Step, &mut p, true);
    if let Some(e) = eval_shape {
        p.tensor("evaluation set", e, DType::F32, Phase::Eval);
        walk(&model.root, "", &mut e.to_vec(), "the evaluation set", Phase::Eval, &mut p, false);
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_mlps_plan_names_each_layers_weight_codes_and_outputs_on_both_sets() {
        let w = |o: usize, i: usize| vec![0.0; o * i];
        let model =
            crate::model::mlp_model(&[2, 64, 3], &[w(64, 2), w(3, 64)], &[vec![0.0; 64], vec![0.0; 3]]).unwrap();
        let p = ptq_plan(&model, &[100, 2], Some(&[40, 2]));
        let names: Vec<String> = p.tensors.iter().map(|t| t.label()).collect();
        for want in [
            "fc1.weight (64, 2) f32",
            "fc1.weight as int8 (64, 2) int8",
            "output of fc1 on the calibration set (100, 64) f32",
            "quantized output of fc2 on the evaluation set (40, 3) uint8",
        ] {
            assert!(names.iter().any(|n| n == want), "{want} not in {names:?}");
        }
        assert!(p.matmuls.iter().any(|m| (m.m, m.n) == (100, 64)));
    }
}
