//! The JSON config of an interactive training session (the page's `Trainer.create`), parsed
//! field by field so every error names the bad field and its valid values.
//!
//! Not here: running the session (`session.rs`).

use crate::amp::precision::{parse_precision, parse_precision_number, Precision};
use crate::backend::{BackendKind, BACKEND_NAMES};
use crate::nn::mlp::Optimizer;
use crate::rules::error::{Error, Result};
use crate::rules::limits;
use crate::rules::optim::{AdamConfig, SgdConfig};
use crate::rules::scaler::ScalerConfig;
use serde_json::Value;

/// The training loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LossKind {
    /// `F.cross_entropy`, mean reduction.
    CrossEntropy,
    /// `F.mse_loss` against one-hot targets, mean reduction.
    Mse,
}

/// Everything a session depends on; the same config gives the same run.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionConfig {
    /// `circle`, `xor`, `gauss`, `spiral` or `digits`.
    pub dataset: String,
    /// Samples to generate (playground sets; digits uses at most 1797).
    pub samples: usize,
    /// Playground noise, 0 to 0.5.
    pub noise: f64,
    /// Fraction of samples in the training set, in (0, 1).
    pub train_ratio: f64,
    /// Hidden layer widths.
    pub hidden: Vec<usize>,
    /// The precision asked for.
    pub precision: Precision,
    /// A deprecation note for a legacy precision name ("16", "bf16").
    pub precision_note: Option<String>,
    /// Optimizer and hyper-parameters.
    pub optimizer: Optimizer,
    /// Minibatch size (clamped to the training set).
    pub batch: usize,
    /// Seed of the data, split, init and batches.
    pub seed: u64,
    /// The loss.
    pub loss: LossKind,
    /// GradScaler settings (used by 16-mixed).
    pub scaler: ScalerConfig,
    /// Multiplies the loss before scaling (1.0 normally; large values force overflow).
    pub loss_multiplier: f64,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            dataset: "circle".into(),
            samples: 400,
            noise: 0.1,
            train_ratio: 0.8,
            hidden: vec![16, 16],
            precision: Precision::Mixed16,
            precision_note: None,
            optimizer: Optimizer::Adam(AdamConfig { lr: 0.03, ..Default::default() }),
            batch: 32,
            seed: 1,
            loss: LossKind::CrossEntropy,
            scaler: ScalerConfig::default(),
            loss_multiplier: 1.0,
        }
    }
}

fn bad(name: &'static str, v: &Value, valid: &str) -> Error {
    Error::InvalidArgument { name, value: v.to_string(), valid: valid.into() }
}

fn num(o: &Value, name: &'static str, valid: &str, ok: impl Fn(f64) -> bool) -> Result<Option<f64>> {
    match o.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_f64().filter(|&x| ok(x)).map(Some).ok_or_else(|| bad(name, v, valid)),
    }
}

fn int(o: &Value, name: &'static str, valid: &str, min: u64) -> Result<Option<u64>> {
    match o.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_u64().filter(|&x| x >= min).map(Some).ok_or_else(|| bad(name, v, valid)),
    }
}

/// Parses the page's config JSON (every field optional, defaults as [`SessionConfig::default`])
/// and returns it with the `backend` field (default `"cpu"`, names as [`BackendKind::parse`]).
pub fn parse(json: &str) -> Result<(SessionConfig, BackendKind)> {
    let o: Value = serde_json::from_str(json).map_err(|e| Error::InvalidArgument {
        name: "config",
        value: e.to_string(),
        valid: "a JSON object".into(),
    })?;
    if !o.is_object() {
        return Err(bad("config", &o, "a JSON object"));
    }
    let mut c = SessionConfig::default();
    if let Some(v) = o.get("dataset") {
        let s = v.as_str().filter(|s| ["circle", "xor", "gauss", "spiral", "digits"].contains(s));
        c.dataset =
            s.ok_or_else(|| bad("dataset", v, "\"circle\", \"xor\", \"gauss\", \"spiral\", \"digits\""))?.into();
    }
    // Counts are converted with `usize::try_from`, not `as`: on wasm32, 2³² + 4 would become 4.
    // How large a session may be is the plan check's call (`Session::check`).
    let count = |name: &'static str, min: u64| -> Result<Option<usize>> {
        let valid = format!("an integer in {min}..={}", usize::MAX);
        int(&o, name, &valid, min)?.map(|v| usize::try_from(v).map_err(|_| bad(name, &o[name], &valid))).transpose()
    };
    c.samples = count("samples", 4)?.unwrap_or(c.samples);
    c.noise = num(&o, "noise", "a number in [0, 0.5]", |x| (0.0..=0.5).contains(&x))?.unwrap_or(c.noise);
    c.train_ratio = num(&o, "train_ratio", "a number in (0, 1)", |x| x > 0.0 && x < 1.0)?.unwrap_or(c.train_ratio);
    if let Some(v) = o.get("hidden") {
        let h: Option<Vec<usize>> = v.as_array().and_then(|a| {
            a.iter().map(|x| x.as_u64().filter(|&n| (1..=8192).contains(&n)).map(|n| n as usize)).collect()
        });
        c.hidden = h
            .filter(|h| h.len() <= limits::MAX_LAYERS)
            .ok_or_else(|| bad("hidden", v, "an array of at most 64 widths in 1..=8192, e.g. [16, 16]"))?;
    }
    if let Some(v) = o.get("precision") {
        let p = match v {
            Value::String(s) => parse_precision(s)?,
            Value::Number(n) => parse_precision_number(n.as_f64().unwrap_or(f64::NAN))?,
            _ => {
                return Err(bad(
                    "precision",
                    v,
                    "\"32-true\", \"16-mixed\", \"bf16-mixed\", \"16-true\", \"bf16-true\", 16 or 32",
                ))
            }
        };
        c.precision = p.precision;
        c.precision_note = p.deprecation.map(|s| s.to_string());
    }
    let lr = num(&o, "lr", "a finite number >= 0", |x| x.is_finite() && x >= 0.0)?;
    let momentum = num(&o, "momentum", "a number in [0, 1)", |x| (0.0..1.0).contains(&x))?;
    c.optimizer = match o.get("optimizer").map(|v| (v, v.as_str())) {
        None | Some((_, Some("adam"))) => Optimizer::Adam(AdamConfig { lr: lr.unwrap_or(0.03), ..Default::default() }),
        Some((_, Some("sgd"))) => {
            Optimizer::Sgd(SgdConfig { lr: lr.unwrap_or(0.1), momentum: momentum.unwrap_or(0.9), ..Default::default() })
        }
        Some((v, _)) => return Err(bad("optimizer", v, "\"sgd\", \"adam\"")),
    };
    c.batch = count("batch", 1)?.unwrap_or(c.batch);
    c.seed = int(&o, "seed", "an integer >= 0", 0)?.unwrap_or(c.seed);
    if let Some(v) = o.get("loss") {
        c.loss = match v.as_str() {
            Some("cross_entropy") => LossKind::CrossEntropy,
            Some("mse") => LossKind::Mse,
            _ => return Err(bad("loss", v, "\"cross_entropy\", \"mse\"")),
        };
    }
    if let Some(s) = o.get("scaler") {
        let d = ScalerConfig::default();
        c.scaler = ScalerConfig {
            init_scale: num(s, "init_scale", "a finite number > 0", |x| x.is_finite() && x > 0.0)?
                .unwrap_or(d.init_scale),
            growth_factor: num(s, "growth_factor", "a number > 1", |x| x > 1.0 && x.is_finite())?
                .unwrap_or(d.growth_factor),
            backoff_factor: num(s, "backoff_factor", "a number in (0, 1)", |x| x > 0.0 && x < 1.0)?
                .unwrap_or(d.backoff_factor),
            growth_interval: int(s, "growth_interval", "an integer in 1..=2147483647", 1)?.map_or(
                Ok(d.growth_interval),
                |v| {
                    u32::try_from(v)
                        .map_err(|_| bad("growth_interval", &s["growth_interval"], "an integer in 1..=2147483647"))
                },
            )?,
        };
        c.scaler.validate()?;
    }
    c.loss_multiplier = num(&o, "loss_multiplier", "a finite number > 0", |x| x.is_finite() && x > 0.0)?.unwrap_or(1.0);
    let backend = match o.get("backend") {
        None => BackendKind::Cpu,
        Some(v) => match v.as_str().map(BackendKind::parse) {
            Some(Ok(k)) => k,
            _ => return Err(bad("backend", v, BACKEND_NAMES)),
        },
    };
    Ok((c, backend))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_config_parses_and_bad_fields_are_named_with_valid_values() {
        let (c, be) = parse(r#"{"dataset":"spiral","samples":200,"noise":0.2,"train_ratio":0.5,"hidden":[8],"precision":16,
            "optimizer":"sgd","lr":0.2,"momentum":0.5,"batch":10,"seed":7,"backend":"webgpu","loss":"mse",
            "scaler":{"init_scale":1024,"growth_factor":4,"backoff_factor":0.25,"growth_interval":3},"loss_multiplier":2}"#).unwrap();
        assert_eq!(
            (c.dataset.as_str(), c.samples, c.hidden.clone(), c.precision, be),
            ("spiral", 200, vec![8], Precision::Mixed16, BackendKind::WebGpu)
        );
        assert_eq!(c.optimizer, Optimizer::Sgd(SgdConfig { lr: 0.2, momentum: 0.5, ..Default::default() }));
        assert_eq!(
            (c.scaler.init_scale, c.scaler.growth_factor, c.scaler.backoff_factor, c.scaler.growth_interval),
            (1024.0, 4.0, 0.25, 3)
        );
        assert_eq!((c.loss, c.loss_multiplier, c.batch, c.seed), (LossKind::Mse, 2.0, 10, 7));
        assert!(parse(r#"{"precision":"16"}"#).unwrap().0.precision_note.unwrap().contains("16-mixed"));
        for (json, field, valid) in [
            (r#"{"dataset":"moons"}"#, "dataset", "spiral"),
            (r#"{"optimizer":"lbfgs"}"#, "optimizer", "\"sgd\", \"adam\""),
            (r#"{"backend":"cuda"}"#, "backend", "\"cpu-reference\""),
            (r#"{"loss":"l1"}"#, "loss", "\"mse\""),
            (r#"{"precision":"64"}"#, "64", "16-mixed"),
            (r#"{"scaler":{"growth_factor":1}}"#, "growth_factor", "> 1"),
            (r#"{"scaler":{"backoff_factor":1.5}}"#, "backoff_factor", "(0, 1)"),
            (r#"{"scaler":{"init_scale":0}}"#, "init_scale", "> 0"),
            (r#"{"scaler":{"growth_interval":0}}"#, "growth_interval", "1..=2147483647"),
            (r#"{"hidden":[0]}"#, "hidden", "1..=8192"),
            (r#"{"batch":0}"#, "batch", "an integer in 1.."),
            (r#"{"samples":2}"#, "samples", "an integer in 4.."),
            (r#"{"samples":1e12}"#, "samples", "an integer in 4.."),
            (
                r#"{"hidden":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]}"#,
                "hidden",
                "at most 64",
            ),
        ] {
            let msg = parse(json).unwrap_err().to_string();
            assert!(msg.contains(field) && msg.contains(valid), "{json}: {msg}");
        }
    }
}
