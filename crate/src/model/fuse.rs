//! `torch.ao.quantization.fuse_modules` in eval mode: each group of module paths becomes one
//! fused module in the first slot and `Identity` in the others (torch/ao/quantization/fuse_modules.py,
//! fuser_method_mappings.py). Supported groups, as torch's `_DEFAULT_OP_LIST_TO_FUSER_METHOD`
//! maps them: (Linear, ReLU) → LinearReLU, (Conv2d, ReLU) → ConvReLU2d, (Conv2d, BatchNorm2d) →
//! Conv2d with the BatchNorm folded in, (Conv2d, BatchNorm2d, ReLU) → ConvReLU2d with the fold.
//!
//! The fold is `torch.nn.utils.fusion.fuse_conv_bn_weights`, element by element in f32 with
//! torch's operation order:
//! ```text
//! rsqrt[c] = 1 / sqrt(running_var[c] + (float)eps)            torch.rsqrt (correctly rounded sqrt, then divide)
//! w'[c,…]  = w[c,…] · (bn_w[c] · rsqrt[c])
//! b'[c]    = ((b[c] − running_mean[c]) · rsqrt[c]) · bn_w[c] + bn_b[c]     (b = 0 without a conv bias)
//! ```
//!
//! Not here: QAT fusion (`fuse_modules_qat` keeps ConvBn2d for training; quantplay folds first).

use super::tree::{BatchNorm, Conv2d, Kind, Model};
use crate::rules::error::{Error, Result};

/// The groups quantplay fuses, as torch names the types.
pub const FUSE_PATTERNS: &str = "(Linear, ReLU), (Conv2d, ReLU), (Conv2d, BatchNorm2d), (Conv2d, BatchNorm2d, ReLU)";

/// Folds an eval-mode BatchNorm2d into a Conv2d: `fuse_conv_bn_eval`.
pub fn fold_conv_bn(conv: &Conv2d, bn: &BatchNorm, path: &str) -> Result<Conv2d> {
    if bn.num_features != conv.out_channels {
        return Err(Error::Model {
            path: path.into(),
            detail: format!(
                "cannot fold BatchNorm2d({}) into Conv2d with {} output channels: they must match",
                bn.num_features, conv.out_channels
            ),
        });
    }
    let n = conv.out_channels;
    let per = conv.weight.len() / n.max(1);
    let eps = bn.eps as f32;
    let mut weight = conv.weight.clone();
    let mut bias = vec![0.0f32; n];
    for c in 0..n {
        let rsqrt = 1.0f32 / (bn.running_var[c] + eps).sqrt();
        let bw = bn.weight.as_ref().map_or(1.0, |w| w[c]);
        let bb = bn.bias.as_ref().map_or(0.0, |b| b[c]);
        let k = bw * rsqrt;
        for v in &mut weight[c * per..(c + 1) * per] {
            *v *= k;
        }
        let cb = conv.bias.as_ref().map_or(0.0, |b| b[c]);
        bias[c] = (cb - bn.running_mean[c]) * rsqrt * bw + bb;
    }
    Ok(Conv2d { weight, bias: Some(bias), ..conv.clone() })
}

/// Fuses one group in place (`_fuse_modules_helper`).
fn fuse_group(model: &mut Model, group: &[String]) -> Result<()> {
    let mut kinds = Vec::with_capacity(group.len());
    for p in group {
        let m = model.get(p).ok_or_else(|| {
            let known: Vec<String> =
                model.named_modules().into_iter().map(|(p, _)| p).filter(|p| !p.is_empty()).collect();
            Error::Model {
                path: p.clone(),
                detail: format!("fuse_modules: no module at this path; modules: {}", known.join(", ")),
            }
        })?;
        kinds.push(m.kind.clone());
    }
    let names: Vec<&str> = kinds.iter().map(Kind::type_name).collect();
    let head = &group[0];
    let fused = match kinds.as_slice() {
        [Kind::Linear(l), Kind::ReLU] => Kind::LinearReLU(l.clone()),
        [Kind::Conv2d(c), Kind::ReLU] => Kind::ConvReLU2d(c.clone()),
        [Kind::Conv2d(c), Kind::BatchNorm(b)] if b.dim == 2 => Kind::Conv2d(fold_conv_bn(c, b, head)?),
        [Kind::Conv2d(c), Kind::BatchNorm(b), Kind::ReLU] if b.dim == 2 => Kind::ConvReLU2d(fold_conv_bn(c, b, head)?),
        _ => {
            return Err(Error::Model {
                path: head.clone(),
                detail: format!(
                "fuse_modules: did not find fuser method for: ({}) in group {group:?}; fusable groups: {FUSE_PATTERNS}",
                names.join(", ")
            ),
            })
        }
    };
    model.get_mut(head).expect("checked above").kind = fused;
    for p in &group[1..] {
        model.get_mut(p).expect("checked above").kind = Kind::Identity;
    }
    Ok(())
}

/// `fuse_modules(model, groups, inplace=False)` for a model in eval mode: returns the fused copy;
/// `model` is untouched. An error in any group leaves nothing changed.
pub fn fuse_modules(model: &Model, groups: &[Vec<String>]) -> Result<Model> {
    let mut out = model.clone();
    fuse_modules_inplace(&mut out, groups)?;
    Ok(out)
}

/// `fuse_modules(model, groups, inplace=True)`. On error the model is restored as it was.
pub fn fuse_modules_inplace(model: &mut Model, groups: &[Vec<String>]) -> Result<()> {
    let before = model.clone();
    for g in groups {
        if g.is_empty() {
            *model = before;
            return Err(Error::Model { path: String::new(), detail: "fuse_modules: an empty fuse group".into() });
        }
        if let Err(e) = fuse_group(model, g) {
            *model = before;
            return Err(e);
        }
    }
    Ok(())
}
