//! FP16 mixed-precision training as a library call: `16-mixed` (torch.autocast + GradScaler, as
//! Lightning's precision string names it) on the CPU fast path, printing the loss and the loss
//! scale each step. The initial scale is set too high on purpose (2^24), so the first steps
//! overflow in f16: GradScaler skips them and halves the scale (backoff 0.5) until the gradients
//! fit, then doubles it after every `growth_interval` clean steps — the timeline torch prints.
//!
//! `cargo run --example train_amp [steps]`; `cargo test` runs it and checks the timeline.

use quantplay::app::metrics::StepRecord;
use quantplay::app::trainer;
use quantplay::{CpuFast, Result};

/// The run: spiral data, one hidden layer of 16, SGD, 16-mixed, init_scale 2^24, growth every
/// 5 clean steps.
const CONFIG: &str = r#"{"dataset": "spiral", "samples": 200, "hidden": [16], "precision": "16-mixed",
  "optimizer": "sgd", "lr": 0.1, "batch": 32, "seed": 3,
  "scaler": {"init_scale": 16777216, "growth_factor": 2, "backoff_factor": 0.5, "growth_interval": 5}}"#;

/// `steps` steps of [`CONFIG`] on the CPU fast path.
pub fn run(steps: usize) -> Result<Vec<StepRecord>> {
    let cfg = trainer::config(CONFIG, steps)?;
    let (_note, records) = pollster::block_on(trainer::train(&CpuFast, &cfg))?;
    Ok(records)
}

fn main() -> Result<()> {
    let steps = match std::env::args().nth(1) {
        None => 30,
        Some(s) => s.parse().map_err(|_| quantplay::Error::InvalidArgument {
            name: "steps",
            value: s.clone(),
            valid: "a positive integer".into(),
        })?,
    };
    println!("step  loss      loss_scale  skipped");
    for r in run(steps)? {
        let scale = r.amp_loss_scale.map_or("-".to_string(), |s| s.to_string());
        println!("{:>4}  {:<8.5}  {:>10}  {}", r.step, r.loss, scale, if r.skipped { "yes" } else { "" });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_scale_backs_off_on_overflow_then_grows_after_clean_steps() {
        let recs = super::run(30).unwrap();
        assert!(recs[0].skipped, "2^24 overflows f16 on the first step");
        assert!(recs.iter().any(|r| !r.skipped), "the scale backs off until a step fits");
        // torch's _amp_update_scale_: an overflow halves the scale and resets the tracker; the
        // growth_interval-th clean step in a row doubles it.
        let (mut scale, mut tracker) = (16777216.0f32, 0);
        for r in &recs {
            assert_eq!(r.amp_loss_scale, Some(scale), "step {}", r.step);
            if r.skipped {
                (scale, tracker) = (scale * 0.5, 0);
            } else if tracker + 1 == 5 {
                (scale, tracker) = (scale * 2.0, 0);
            } else {
                tracker += 1;
            }
        }
        assert!(recs.iter().filter(|r| r.skipped).count() >= 6, "2^24 → 2^18 takes six halvings");
        super::main().unwrap();
    }
}
