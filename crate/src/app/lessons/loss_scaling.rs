//! Lesson 7, loss scaling: a `torch.amp.GradScaler` replayed over a schedule of steps whose
//! gradients are finite (`ok`) or hold an inf, -inf or NaN, with the scale, the growth tracker
//! and the skipped steps after each (`torch/amp/grad_scaler.py`, `GradScaler.update` →
//! `aten/src/ATen/native/cpu/AmpGradScalerKernels.cpp`, `_amp_update_scale_cpu_`).
//!
//! The timeline is [`crate::amp::schedule::run_schedule`], the code path of `quantplay scaler`
//! (the real [`crate::amp::GradScaler`]); this file only adds the summary the page shows.
//! Not here: the scaler's rules (`rules/scaler.rs`, `amp/grad_scaler.rs`).

use super::{num, num64, Lesson};
use crate::amp::schedule::{parse_schedule, run_schedule, StepRecord};
use crate::amp::ScalerConfig;
use crate::rules::error::Error;
use serde::{Deserialize, Serialize};

/// The most steps a schedule may have (a page-sized timeline).
pub const MAX_STEPS: usize = 400;

/// The lesson's inputs: the schedule and the GradScaler's four settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Comma-separated events: `ok`, `inf`, `-inf`, `nan` (1 to [`MAX_STEPS`]).
    pub schedule: String,
    /// The starting scale (torch's default 2¹⁶ = 65536).
    pub init_scale: f64,
    /// Factor after `growth_interval` finite steps in a row (> 1).
    pub growth_factor: f64,
    /// Factor on a step whose gradients hold an inf or NaN (in (0, 1)).
    pub backoff_factor: f64,
    /// Finite steps in a row before the scale grows (≥ 1; torch's default 2000).
    pub growth_interval: u32,
}

/// Every number the page shows.
#[derive(Debug, Clone, Serialize)]
pub struct Output {
    /// One record per step, as `quantplay scaler --json` prints them.
    pub steps: Vec<StepRecord>,
    /// `log2(scale_after)` per step, for the chart's y axis (f64 of the f32 scale).
    pub log2_scale_after: Vec<f64>,
    /// Steps whose optimizer step was skipped.
    pub skipped: usize,
    /// The scale after the last step.
    pub final_scale: f32,
    /// The smallest scale the run reached (after any step, or the initial one).
    pub min_scale: f32,
    /// The first step after which the scale is below 1, if any.
    pub first_below_one: Option<usize>,
    /// How many growths happened.
    pub growths: usize,
}

/// Lesson 7 (`quantplay lesson loss-scaling`).
pub struct LossScaling;

impl Lesson for LossScaling {
    const NAME: &'static str = "loss-scaling";
    type Input = Input;
    type Output = Output;

    fn run(input: &Input) -> Result<Output, Error> {
        let events = parse_schedule(&input.schedule)?;
        if events.is_empty() || events.len() > MAX_STEPS {
            return Err(Error::InvalidArgument {
                name: "schedule",
                value: format!("{} steps", events.len()),
                valid: format!("1 to {MAX_STEPS} comma-separated events (ok, inf, -inf, nan)"),
            });
        }
        let cfg = ScalerConfig {
            init_scale: input.init_scale,
            growth_factor: input.growth_factor,
            backoff_factor: input.backoff_factor,
            growth_interval: input.growth_interval,
        };
        let steps = run_schedule(cfg, &events)?;
        let init = steps[0].scale_used;
        let min_scale = steps.iter().map(|r| r.scale_after).fold(init, f32::min);
        Ok(Output {
            log2_scale_after: steps.iter().map(|r| (r.scale_after as f64).log2()).collect(),
            skipped: steps.iter().filter(|r| r.skipped).count(),
            final_scale: steps.last().expect("non-empty").scale_after,
            min_scale,
            first_below_one: steps.iter().find(|r| r.scale_after < 1.0).map(|r| r.step),
            growths: steps.iter().filter(|r| r.scale_after > r.scale_used).count(),
            steps,
        })
    }

    fn render(o: &Output) -> String {
        let mut s = String::from("step event scale_used skipped scale_after growth_tracker\n");
        for r in &o.steps {
            let ev = serde_json::to_value(r.event).expect("event serialises");
            let ev = ev.as_str().unwrap_or("?");
            s += &format!(
                "{} {ev} {} {} {} {}\n",
                r.step,
                num(r.scale_used),
                if r.skipped { "skipped" } else { "stepped" },
                num(r.scale_after),
                r.growth_tracker
            );
        }
        s += &format!("skipped {}\ngrowths {}\n", o.skipped, o.growths);
        s += &format!("final_scale {}\nmin_scale {}\n", num(o.final_scale), num(o.min_scale));
        s += &format!("log2_final_scale {}\n", num64(*o.log2_scale_after.last().expect("non-empty")));
        match o.first_below_one {
            Some(step) => s += &format!("below_one_after_step {step}\n"),
            None => s += "below_one_after_step none\n",
        }
        // The scaler's own warning (as `quantplay scaler` prints it), once.
        if let Some(w) = o.steps.iter().find_map(|r| r.warning.as_ref()) {
            s += &format!("warning {w}\n");
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(schedule: &str, settings: &serde_json::Value) -> Input {
        let d = ScalerConfig::default();
        let f = |k: &str, v: f64| settings.get(k).and_then(|x| x.as_f64()).unwrap_or(v);
        Input {
            schedule: schedule.into(),
            init_scale: f("init_scale", d.init_scale),
            growth_factor: f("growth_factor", d.growth_factor),
            backoff_factor: f("backoff_factor", d.backoff_factor),
            growth_interval: f("growth_interval", d.growth_interval as f64) as u32,
        }
    }

    #[test]
    fn every_torch_gradscaler_timeline_in_the_fixture_is_replayed_bit_for_bit() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/grad_scaler.json"))
            .expect("fixture");
        let fx: serde_json::Value = serde_json::from_str(&text).unwrap();
        for run in fx["runs"].as_array().unwrap() {
            let out = LossScaling::run(&input(run["schedule"].as_str().unwrap(), &run["settings"])).unwrap();
            for (got, want) in out.steps.iter().zip(run["steps"].as_array().unwrap()) {
                let bits = |k: &str| want[k].as_u64().unwrap() as u32;
                assert_eq!(got.scale_used.to_bits(), bits("scale_used"), "{run}");
                assert_eq!(got.scale_after.to_bits(), bits("scale_after"), "{run}");
                assert_eq!(got.skipped, want["skipped"].as_bool().unwrap());
                assert_eq!(got.growth_tracker as i64, want["growth_tracker"].as_i64().unwrap());
            }
        }
    }

    #[test]
    fn four_overflows_from_scale_two_take_the_scale_below_one() {
        let out = LossScaling::run(&input("inf,inf,inf,nan,ok", &serde_json::json!({"init_scale": 2.0}))).unwrap();
        let scales: Vec<f32> = out.steps.iter().map(|r| r.scale_after).collect();
        assert_eq!(scales, [1.0, 0.5, 0.25, 0.125, 0.125]);
        assert_eq!((out.first_below_one, out.skipped, out.min_scale), (Some(2), 4, 0.125));
        assert_eq!(out.log2_scale_after[3], -3.0);
        let text = LossScaling::render(&out);
        assert!(text.contains("4 nan 0.25 skipped 0.125 0\n"), "{text}");
        assert!(text.contains("below_one_after_step 2\n"), "{text}");
        assert!(text.contains("warning the loss scale is 5e-1, below 1"), "{text}");
    }

    #[test]
    fn a_bad_event_or_an_empty_schedule_is_named() {
        let d = serde_json::json!({});
        let e = LossScaling::run(&input("ok,boom", &d)).unwrap_err().to_string();
        assert!(e.contains("boom") && e.contains("ok, inf, -inf, nan"), "{e}");
        let e = LossScaling::run(&input(" , ", &d)).unwrap_err().to_string();
        assert!(e.contains("0 steps") && e.contains("1 to 400"), "{e}");
        let e = LossScaling::run(&input("ok", &serde_json::json!({"growth_factor": 1.0}))).unwrap_err().to_string();
        assert!(e.contains("growth_factor"), "{e}");
    }
}
