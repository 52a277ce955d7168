//! What the page asks a [`Session`] for besides steps: evaluation, a probability grid over the
//! 2-D playground extent, the memory report (from real buffer sizes), gradient magnitudes for
//! the f16 number line, and snapshots that move a run between backends.
//!
//! Not here: the steps and metrics (`session.rs`).

use super::session::Session;
use super::session_config::SessionConfig;
use crate::amp::precision::Precision;
use crate::backend::{Backend, HasShape, HostData};
use crate::nn::amp_step::{AdamCounter, DeviceScaler};
use crate::nn::mlp::Param;
use crate::rules::error::{Error, Result};
use crate::rules::limits::{check_at_most, MAX_RUN_STEPS};
use serde_json::{json, Value};

/// `log2|g|` bins of the gradient histogram: `[LOG2_MIN, LOG2_MAX]`, clamped.
pub const LOG2_MIN: i32 = -40;
/// Upper end of the histogram bins.
pub const LOG2_MAX: i32 = 40;

fn histogram(values: impl Iterator<Item = f32>) -> Value {
    let mut bins = vec![0usize; (LOG2_MAX - LOG2_MIN + 1) as usize];
    let (mut zeros, mut nonfinite) = (0usize, 0usize);
    for v in values {
        if !v.is_finite() {
            nonfinite += 1;
        } else if v == 0.0 {
            zeros += 1;
        } else {
            let e = (v.abs().log2().floor() as i32).clamp(LOG2_MIN, LOG2_MAX);
            bins[(e - LOG2_MIN) as usize] += 1;
        }
    }
    json!({ "log2_min": LOG2_MIN, "counts": bins, "zeros": zeros, "nonfinite": nonfinite })
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn from_bits(v: &Value, what: &str) -> Result<Vec<f32>> {
    v.as_array().and_then(|a| a.iter().map(|x| x.as_u64().map(|u| f32::from_bits(u as u32))).collect()).ok_or_else(
        || Error::InvalidArgument {
            name: "snapshot",
            value: what.into(),
            valid: "an array of f32 bit patterns".into(),
        },
    )
}

impl<B: Backend> Session<B> {
    /// `{"train_accuracy","test_accuracy","loss"}` (loss: mean cross-entropy on the test set)
    /// from an f32 forward pass.
    pub async fn evaluate(&self, b: &B) -> Result<Value> {
        let (train_acc, _) = self.score(b, &self.train).await?;
        let (test_acc, loss) = self.score(b, &self.test).await?;
        Ok(json!({ "train_accuracy": train_acc, "test_accuracy": test_acc, "loss": loss }))
    }

    /// Class-1 probability on a `res × res` grid over the data's 2-D extent (rows from the
    /// lowest x₂ up, x₁ ascending in a row); an error for data that is not 2-D.
    pub async fn predict_grid(&self, b: &B, res: usize) -> Result<Vec<f32>> {
        if self.train.d != 2 || res == 0 || res > 512 {
            return Err(Error::InvalidArgument {
                name: "predict_grid",
                value: format!("{}-D data, res {res}", self.train.d),
                valid: "2-D data (circle, xor, gauss, spiral) and res in 1..=512".into(),
            });
        }
        let (lo, hi) = self.extent();
        let at = |i: usize, k: usize| {
            if res == 1 {
                (lo[k] + hi[k]) / 2.0
            } else {
                lo[k] + (hi[k] - lo[k]) * i as f32 / (res - 1) as f32
            }
        };
        let x: Vec<f32> = (0..res * res).flat_map(|i| [at(i % res, 0), at(i / res, 1)]).collect();
        let p = self.probabilities(b, &x).await?;
        Ok(p.chunks(self.train.classes).map(|row| row[1.min(row.len() - 1)]).collect())
    }

    /// `(lo, hi)` per input dimension over train and test data.
    pub fn extent(&self) -> (Vec<f32>, Vec<f32>) {
        let d = self.train.d;
        let (mut lo, mut hi) = (vec![f32::INFINITY; d], vec![f32::NEG_INFINITY; d]);
        for row in self.train.x.chunks(d).chain(self.test.x.chunks(d)) {
            for k in 0..d {
                lo[k] = lo[k].min(row[k]);
                hi[k] = hi[k].max(row[k]);
            }
        }
        (lo, hi)
    }

    /// `{precision, requested, weights_bytes, activations_bytes}` of the last step, from the
    /// sizes of the buffers it held (0 before the first step). `precision` is what ran (the
    /// effective precision), `requested` the string asked for; they differ e.g. for bf16 on
    /// WebGPU, which runs as 32-true.
    pub fn memory(&self) -> Value {
        json!({
            "precision": self.effective.effective.as_str(),
            "requested": self.effective.requested.as_str(),
            "weights_bytes": self.last_weight_bytes,
            "activations_bytes": self.last_activation_bytes,
        })
    }

    /// The autocast op trace of the last step: `[{name, op, inputs:[dtype], output}]`.
    pub fn trace(&self) -> Value {
        serde_json::to_value(&self.last_trace.entries).expect("trace serialises")
    }

    /// log2 histograms of the last step's |grad|, unscaled and times the scale it used (what
    /// the f16 backward saw), with the f16 range for the number line.
    pub async fn grad_magnitudes(&self, b: &B) -> Result<Value> {
        let mut g = Vec::new();
        for t in &self.last_grads {
            g.extend(b.read(t).await?);
        }
        let scale = match &self.last_scale {
            Some(s) => Some(b.read(s).await?[0]),
            None => None,
        };
        let s = scale.unwrap_or(1.0);
        Ok(json!({
            "scale": scale,
            "unscaled": histogram(g.iter().copied()),
            "scaled": histogram(g.iter().map(|&v| v * s)),
            "f16": { "min_subnormal_log2": -24, "min_normal_log2": -14, "max": 65504.0 },
        }))
    }

    /// The run's state as JSON (parameters and optimizer state as f32 bits, scaler, counters),
    /// to continue it with [`Session::restore`] on any backend. Call between runs (nothing
    /// pending: [`Session::run`] always ends with a flush).
    pub async fn snapshot(&self, b: &B, config_json: &str) -> Result<String> {
        let mut params = Vec::new();
        for p in self.mlp.weights.iter().chain(&self.mlp.biases) {
            params.push(json!({ "shape": p.value.shape(), "value": bits(&b.read(&p.value).await?), "s1": bits(&b.read(&p.s1).await?), "s2": bits(&b.read(&p.s2).await?) }));
        }
        let scaler = match &self.scaler {
            Some(s) => {
                let t = b.read_data(&s.growth_tracker).await?;
                let HostData::I32(t) = t else { unreachable!("growth_tracker is int32") };
                json!({ "scale": b.read(&s.scale).await?[0].to_bits(), "growth_tracker": t[0] })
            }
            None => Value::Null,
        };
        let adam_count = match &self.mlp.adam_dev {
            Some(a) => Some(b.read(&a.count).await?[0]),
            None => None,
        };
        Ok(json!({ "config": config_json, "steps_done": self.steps_done, "optimizer_step": self.mlp.step, "adam_count": adam_count, "overflow_count": self.overflow_count, "params": params, "scaler": scaler }).to_string())
    }

    /// A session from [`Session::snapshot`]'s JSON on backend `b`; the next step continues
    /// from the last finished one (same batches, same state).
    pub fn restore(b: &B, snapshot: &str, cfg: SessionConfig) -> Result<Session<B>> {
        let bad = |what: &str| Error::InvalidArgument {
            name: "snapshot",
            value: what.into(),
            valid: "the JSON Trainer.snapshot() returned".into(),
        };
        let s: Value = serde_json::from_str(snapshot).map_err(|e| bad(&e.to_string()))?;
        let mut sess = Session::new(b, cfg)?;
        let params = s["params"].as_array().ok_or_else(|| bad("no params"))?;
        let layers = sess.mlp.weights.len();
        if params.len() != 2 * layers {
            return Err(bad(&format!("{} parameter tensors for {layers} layers", params.len())));
        }
        for (i, p) in params.iter().enumerate() {
            let dst = if i < layers { &mut sess.mlp.weights[i] } else { &mut sess.mlp.biases[i - layers] };
            let shape = dst.value.shape().to_vec();
            let (v, s1, s2) =
                (from_bits(&p["value"], "value")?, from_bits(&p["s1"], "s1")?, from_bits(&p["s2"], "s2")?);
            *dst = Param { value: b.upload(&v, &shape)?, s1: b.upload(&s1, &shape)?, s2: b.upload(&s2, &shape)? };
        }
        // Counts are checked before they are used: each step of steps_done replays the batch
        // RNG, and the Adam table below has two entries per optimizer step.
        let count = |key: &str, default: Option<u64>| -> Result<u64> {
            let v = match (&s[key], default) {
                (Value::Null, Some(d)) => d,
                (v, _) => v.as_u64().ok_or_else(|| bad(&format!("{key} {v}")))?,
            };
            check_at_most("snapshot step count", v, MAX_RUN_STEPS, "MAX_RUN_STEPS")?;
            Ok(v)
        };
        let steps = count("steps_done", None)? as usize;
        let optimizer_step = count("optimizer_step", Some(steps as u64))?;
        let overflow_count = count("overflow_count", Some(0))?;
        for _ in 0..steps {
            sess.next_indices();
        }
        sess.steps_done = steps;
        sess.mlp.step = optimizer_step as u32;
        sess.overflow_count = overflow_count as usize;
        let adam_count = s["adam_count"].as_f64();
        if adam_count.is_some_and(|c| !(0.0..=optimizer_step as f64).contains(&c)) {
            return Err(bad(&format!("adam_count {} above optimizer_step {optimizer_step}", s["adam_count"])));
        }
        if let (Some(count), crate::nn::mlp::Optimizer::Adam(c)) = (adam_count, &sess.cfg.optimizer) {
            let n = crate::nn::amp_step::adam_table_len(sess.mlp.step as usize);
            sess.mlp.adam_dev = Some(AdamCounter {
                count: b.upload(&[count as f32], &[1])?,
                table: b.upload(&crate::rules::optim::adam_table(c, n), &[2 * n])?,
                n,
            });
        }
        // `Value` indexing (a missing key is Null); indexing the `Map` itself panics on one.
        if let (Some(sc), Some(_)) = (sess.scaler.as_mut(), s["scaler"].as_object()) {
            let v = &s["scaler"];
            let scale = v["scale"].as_u64().and_then(|u| u32::try_from(u).ok()).map(f32::from_bits);
            let scale = scale.ok_or_else(|| bad("scaler.scale"))?;
            let tracker = match &v["growth_tracker"] {
                Value::Null => 0,
                t => t.as_i64().and_then(|t| i32::try_from(t).ok()).ok_or_else(|| bad("scaler.growth_tracker"))?,
            };
            *sc = DeviceScaler {
                scale: b.upload(&[scale], &[1])?,
                growth_tracker: b.upload_data(HostData::I32(vec![tracker]), &[1])?,
                cfg: sc.cfg,
            };
        }
        Ok(sess)
    }
}

/// Every precision's memory on one step of `cfg` on `b` (weights and activations from the
/// buffers the step held; the page passes the backend its run is on, so a precision that falls
/// back there is measured as what it runs): `[{precision, requested, weights_bytes,
/// activations_bytes}]`.
pub fn memory_by_precision<B: Backend>(b: &B, cfg: &SessionConfig) -> Result<Value> {
    let mut out = Vec::new();
    for p in [Precision::True32, Precision::Mixed16, Precision::MixedBf16, Precision::True16, Precision::TrueBf16] {
        let mut s = Session::new(b, SessionConfig { precision: p, ..cfg.clone() })?;
        s.step(b)?;
        out.push(s.memory());
    }
    Ok(Value::Array(out))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::app::session_config::parse;
    use crate::backend::cpu::CpuReference;

    const JSON: &str = r#"{"samples":20,"hidden":[4],"batch":4,"precision":"16-mixed"}"#;

    fn session() -> Session<CpuReference> {
        let mut s = Session::new(&CpuReference, parse(JSON).unwrap().0).unwrap();
        pollster::block_on(s.run(&CpuReference, 2)).unwrap();
        s
    }

    fn restore(edit: impl Fn(&mut Value)) -> Result<Session<CpuReference>> {
        let mut v: Value =
            serde_json::from_str(&pollster::block_on(session().snapshot(&CpuReference, JSON)).unwrap()).unwrap();
        edit(&mut v);
        Session::restore(&CpuReference, &v.to_string(), parse(JSON).unwrap().0)
    }

    #[test]
    fn a_snapshot_claiming_huge_counts_is_a_named_error_and_a_missing_tracker_is_not_a_panic() {
        for (key, value, want) in [
            (
                "steps_done",
                json!(1u64 << 40),
                "invalid snapshot step count \"1099511627776\"; valid values: at most 8388608",
            ),
            ("optimizer_step", json!((1u64 << 32) + 5), "\"4294967301\""),
            ("overflow_count", json!(1u64 << 60), "MAX_RUN_STEPS"),
            ("adam_count", json!(1e30), "adam_count 1e+30 above optimizer_step 2"),
        ] {
            let msg = restore(|v| v[key] = value.clone()).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(msg.contains(want), "{key}: {msg}");
        }
        // Indexing the scaler's JSON object panicked on a missing key (a wasm trap); now the
        // tracker defaults to 0 and a missing or out-of-range scale is named.
        assert!(restore(|v| v["scaler"].as_object_mut().unwrap().retain(|k, _| k != "growth_tracker")).is_ok());
        for scale in [Value::Null, json!(1u64 << 32)] {
            let msg = restore(|v| v["scaler"]["scale"] = scale.clone()).err().unwrap().to_string();
            assert!(msg.contains("scaler.scale"), "{msg}");
        }
    }

    #[test]
    fn a_run_or_an_adam_table_past_max_run_steps_is_a_named_error_before_it_allocates() {
        let mut s = session();
        s.steps_done = MAX_RUN_STEPS - 1;
        let msg = pollster::block_on(s.run(&CpuReference, 2)).unwrap_err().to_string();
        assert!(msg.contains("invalid steps \"8388609\"") && msg.contains("MAX_RUN_STEPS"), "{msg}");
        assert_eq!(s.steps_done, MAX_RUN_STEPS - 1, "refused before any step");
        // The step itself refuses to grow Adam's table past the limit (2 f32 a step).
        s.mlp.step = MAX_RUN_STEPS as u32;
        s.mlp.adam_dev = None;
        let msg = s.step(&CpuReference).unwrap_err().to_string();
        assert!(msg.contains("invalid Adam step \"8388609\"") && msg.contains("MAX_RUN_STEPS"), "{msg}");
    }
}
