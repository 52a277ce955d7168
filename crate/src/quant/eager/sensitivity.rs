//! Keeping chosen layers float, and the rows of a sensitivity sweep (one layer kept float at a
//! time), as a torch user does it in eager mode: set `module.qconfig = None` on the layer and
//! wrap it in a `DeQuantStub` before and a `QuantStub` after (eager mode needs the stubs: a
//! float module fed a quantized tensor fails, see `model::forward`). Stub pairs that would only
//! quantize and at once dequantize (a `QuantStub` followed, through layout-only modules, by a
//! `DeQuantStub`) are dropped, so the kept layer sees the float tensor it would see in the float
//! model, as FX mode's convert leaves a `qconfig=None` node's float input alone.
//!
//! Not here: running the flow for each row (`app::ptq_debug`), the per-layer comparison
//! (`debug.rs`).

use super::prepare::{prepare, QConfigDict};
use crate::model::spec::QConfigAttr;
use crate::model::tree::{Kind, Model, Module};
use crate::rules::error::{Error, Result};
use serde::Serialize;

/// The layers [`keep_float`] accepts: the Linear, Conv2d and fused LinearReLU / ConvReLU2d
/// leaves of `model` that `prepare` with `dict` gives a qconfig (those convert quantizes), in
/// forward order.
pub fn quantizable_layers(model: &Model, dict: &QConfigDict) -> Result<Vec<String>> {
    let p = prepare(model, dict)?;
    Ok(model
        .leaves()
        .into_iter()
        .filter(|(path, m)| {
            matches!(m.kind, Kind::Linear(_) | Kind::LinearReLU(_) | Kind::Conv2d(_) | Kind::ConvReLU2d(_))
                && p.qconfigs.contains_key(path)
        })
        .map(|(path, _)| path)
        .collect())
}

fn parent_and_name(path: &str) -> (&str, &str) {
    path.rsplit_once('.').unwrap_or(("", path))
}

fn stub(name: String, kind: Kind) -> Module {
    Module { name, kind, qconfig: QConfigAttr::Inherit, children: Vec::new() }
}

fn unique_name(parent: &Module, want: String) -> String {
    let mut name = want.clone();
    let mut i = 1;
    while parent.children.iter().any(|c| c.name == name) {
        name = format!("{want}_{i}");
        i += 1;
    }
    name
}

/// A copy of `model` (already fused) with each path of `paths` left float: its `qconfig` set to
/// None and, in its parent, a `DeQuantStub` `<name>_dequant` inserted before it and a
/// `QuantStub` `<name>_quant` after it (inheriting the parent's qconfig, so it observes the float
/// layer's output); then every `QuantStub` whose output reaches a `DeQuantStub` through only
/// ReLU, Flatten, Dropout or Identity is removed with that `DeQuantStub`. A path that is not one
/// of [`quantizable_layers`] is an error naming it and the valid ones.
pub fn keep_float(model: &Model, dict: &QConfigDict, paths: &[String]) -> Result<Model> {
    if paths.is_empty() {
        return Ok(model.clone());
    }
    let valid = quantizable_layers(model, dict)?;
    let mut m = model.clone();
    let mut seen = Vec::new();
    for path in paths {
        if seen.contains(&path) {
            continue; // twice the same layer: one pair of stubs
        }
        seen.push(path);
        if !valid.contains(path) {
            return Err(Error::InvalidArgument {
                name: "keep-float layer",
                value: path.clone(),
                valid: if valid.is_empty() { "none (no layer is quantized)".into() } else { valid.join(", ") },
            });
        }
        let named = nearest_named(&m, path);
        let (parent_path, name) = parent_and_name(path);
        let parent = m.get_mut(parent_path).expect("a valid path has a parent");
        let at = parent.children.iter().position(|c| c.name == name).expect("a valid path is a child");
        parent.children[at].qconfig = QConfigAttr::None;
        let dq = unique_name(parent, format!("{name}_dequant"));
        let q = unique_name(parent, format!("{name}_quant"));
        let mut quant = stub(q, Kind::QuantStub);
        // The layer's own qconfig (its attribute or its nearest ancestor's), so the stub observes
        // even where the parent's qconfig is None and the layer had its own.
        quant.qconfig = named;
        parent.children.insert(at + 1, quant);
        parent.children.insert(at, stub(dq, Kind::DeQuantStub));
    }
    drop_redundant_stubs(&mut m);
    Ok(m)
}

/// The qconfig attribute that applies at `path`: its own or its nearest ancestor's `Named` one
/// (`Inherit` when none is set).
fn nearest_named(m: &Model, path: &str) -> QConfigAttr {
    let mut p = path;
    loop {
        if let Some(QConfigAttr::Named(n)) = m.get(p).map(|x| &x.qconfig) {
            return QConfigAttr::Named(n.clone());
        }
        if p.is_empty() {
            return QConfigAttr::Inherit;
        }
        p = parent_and_name(p).0;
    }
}

/// Removes every QuantStub → (layout-only modules) → DeQuantStub pair, in forward order.
fn drop_redundant_stubs(m: &mut Model) {
    loop {
        let leaves: Vec<(String, Kind)> = m.leaves().into_iter().map(|(p, x)| (p, x.kind.clone())).collect();
        let mut pair = None;
        'outer: for (i, (qp, k)) in leaves.iter().enumerate() {
            if *k != Kind::QuantStub {
                continue;
            }
            for (dp, k2) in &leaves[i + 1..] {
                match k2 {
                    Kind::DeQuantStub => {
                        pair = Some((qp.clone(), dp.clone()));
                        break 'outer;
                    }
                    Kind::ReLU | Kind::Flatten { .. } | Kind::Dropout { .. } | Kind::MaxPool2d(_) | Kind::Identity => {}
                    _ => break,
                }
            }
        }
        let Some((q, dq)) = pair else { return };
        for path in [dq, q] {
            let (parent_path, name) = parent_and_name(&path);
            let parent = m.get_mut(parent_path).expect("a leaf has a parent");
            parent.children.retain(|c| c.name != name);
        }
    }
}

/// One row of a sensitivity sweep: the model's accuracy with only `name` left float.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepRow {
    /// The layer kept float.
    pub name: String,
    /// Accuracy (0–1) of the model quantized except this layer.
    pub accuracy: f64,
    /// `accuracy` minus the fully quantized model's accuracy: what keeping it float gains.
    pub gain: f64,
}

/// Sorts rows so the layer that hurts most (largest gain when kept float) is first; equal gains
/// keep forward order.
pub fn sort_sweep(rows: &mut [SweepRow]) {
    rows.sort_by(|a, b| b.gain.total_cmp(&a.gain));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mlp() -> Model {
        let w = |o: usize, i: usize| vec![0.1; o * i];
        let mut m = crate::model::mlp_model(
            &[2, 4, 4, 3],
            &[w(4, 2), w(4, 4), w(3, 4)],
            &[vec![0.0; 4], vec![0.0; 4], vec![0.0; 3]],
        )
        .unwrap();
        m.root.qconfig = QConfigAttr::Named("x86".into());
        m
    }

    fn names(m: &Model) -> Vec<String> {
        m.leaves().into_iter().map(|(p, x)| format!("{p}:{}", x.kind.type_name())).collect()
    }

    #[test]
    fn a_middle_layer_kept_float_is_wrapped_in_a_dequant_and_a_quant_stub() {
        let m = mlp();
        let layers = quantizable_layers(&m, &QConfigDict::default()).unwrap();
        assert!(layers.len() >= 3, "{layers:?}");
        let mid = layers[1].clone();
        let k = keep_float(&m, &QConfigDict::default(), std::slice::from_ref(&mid)).unwrap();
        let n = names(&k);
        let at = n.iter().position(|s| s.starts_with(&format!("{mid}:"))).unwrap();
        assert!(n[at - 1].ends_with(":DeQuantStub") && n[at + 1].ends_with(":QuantStub"), "{n:?}");
        assert_eq!(k.get(&mid).unwrap().qconfig, QConfigAttr::None);
    }

    #[test]
    fn the_first_layer_kept_float_drops_the_input_quant_and_its_dequant() {
        let m = mlp();
        let first = quantizable_layers(&m, &QConfigDict::default()).unwrap()[0].clone();
        let k = keep_float(&m, &QConfigDict::default(), std::slice::from_ref(&first)).unwrap();
        let n = names(&k);
        let at = n.iter().position(|s| s.starts_with(&format!("{first}:"))).unwrap();
        assert!(n[..at].iter().all(|s| !s.ends_with("QuantStub")), "{n:?}");
        assert!(n[at + 1].ends_with(":QuantStub"), "{n:?}");
    }

    #[test]
    fn a_layer_named_twice_gets_one_pair_of_stubs() {
        let m = mlp();
        let mid = quantizable_layers(&m, &QConfigDict::default()).unwrap()[1].clone();
        let once = keep_float(&m, &QConfigDict::default(), std::slice::from_ref(&mid)).unwrap();
        let twice = keep_float(&m, &QConfigDict::default(), &[mid.clone(), mid]).unwrap();
        assert_eq!(names(&once), names(&twice));
    }

    #[test]
    fn the_quant_stub_after_a_kept_layer_takes_the_qconfig_that_applied_to_it() {
        let mut m = mlp();
        let mid = quantizable_layers(&m, &QConfigDict::default()).unwrap()[1].clone();
        m.root.qconfig = QConfigAttr::None;
        m.get_mut(&mid).unwrap().qconfig = QConfigAttr::Named("qnnpack".into());
        let k = keep_float(&m, &QConfigDict::default(), std::slice::from_ref(&mid)).unwrap();
        let n = names(&k);
        let at = n.iter().position(|s| s.starts_with(&format!("{mid}:"))).unwrap();
        let q = n[at + 1].split(':').next().unwrap().to_string();
        assert_eq!(k.get(&q).unwrap().qconfig, QConfigAttr::Named("qnnpack".into()), "{n:?}");
    }

    #[test]
    fn an_unknown_layer_is_an_error_listing_the_valid_ones() {
        let m = mlp();
        let e = keep_float(&m, &QConfigDict::default(), &["nope".into()]).unwrap_err().to_string();
        for l in quantizable_layers(&m, &QConfigDict::default()).unwrap() {
            assert!(e.contains(&l), "{e}");
        }
        assert!(e.contains("nope"), "{e}");
    }

    #[test]
    fn the_sweep_sorts_the_largest_gain_first() {
        let row = |n: &str, g: f64| SweepRow { name: n.into(), accuracy: 0.5 + g, gain: g };
        let mut rows = vec![row("a", 0.0), row("b", 0.2), row("c", -0.1), row("d", 0.2)];
        sort_sweep(&mut rows);
        let order: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(order, ["b", "d", "a", "c"]);
    }
}
