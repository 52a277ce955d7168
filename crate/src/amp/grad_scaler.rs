//! `torch.amp.GradScaler` as an object with torch's state machine (torch/amp/grad_scaler.py),
//! on host memory: the CPU training loop and `quantplay scaler` use it. The arithmetic is
//! `scaler.rs`; the device-resident version is the backend's `amp_*` ops.
//!
//! Per step: `scale(loss)` → backward → optionally `unscale_` → `step` (skips the optimizer on
//! inf/NaN and reports it) → `update`. Calling `unscale_` twice before `update`, or after
//! `step`, is an error with torch's message, as is `step` twice or `update` with no inf check.
//! Not in torch, both opt-in or informative: a `min_scale` floor, and a warning when the scale
//! drops below 1. Also not in torch: `unscale_` fails, naming the scale, once backoffs took it
//! below `rules::scaler::MIN_SCALE` (its f32 reciprocal is inf), where torch would go on and
//! unscale finite gradients to inf/NaN without flagging them.

use crate::rules::error::{Error, Result};
use crate::rules::scaler::{inv_scale, unscale_value, update_scale, ScalerConfig, MIN_SCALE};

/// Where the current step is in the scale / unscale / step / update cycle (torch's OptState).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Stage {
    /// Nothing since the last update.
    Ready,
    /// `unscale_` ran; found_inf is known.
    Unscaled,
    /// `step` ran.
    Stepped,
}

/// What `update` did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct UpdateReport {
    /// The scale after the update.
    pub scale: f32,
    /// The growth tracker after the update.
    pub growth_tracker: i32,
    /// Set when the scale is below 1 (gradients are being shrunk, not protected).
    pub warning: Option<String>,
}

/// `torch.amp.GradScaler` with one optimizer.
#[derive(Debug, Clone)]
pub struct GradScaler {
    cfg: ScalerConfig,
    enabled: bool,
    scale: f32,
    growth_tracker: i32,
    stage: Stage,
    found_inf: Option<bool>,
    min_scale: Option<f32>,
}

fn runtime(msg: &str) -> Error {
    Error::Unsupported { op: "GradScaler", detail: msg.into() }
}

impl GradScaler {
    /// A scaler with `cfg`, validated ([`ScalerConfig::validate`]) when enabled. Disabled, every
    /// method is a pass-through and `cfg` is not checked, as torch checks it only when enabled.
    pub fn new(cfg: ScalerConfig, enabled: bool) -> Result<GradScaler> {
        if enabled {
            cfg.validate()?;
        }
        Ok(GradScaler {
            cfg,
            enabled,
            scale: cfg.init_scale as f32,
            growth_tracker: 0,
            stage: Stage::Ready,
            found_inf: None,
            min_scale: None,
        })
    }

    /// Opt-in floor: `update` never lets the scale fall below `min_scale` (torch has none).
    pub fn with_min_scale(mut self, min_scale: f32) -> Result<GradScaler> {
        if !(min_scale.is_finite() && min_scale > 0.0) {
            return Err(Error::InvalidArgument {
                name: "min_scale",
                value: min_scale.to_string(),
                valid: "finite and > 0".into(),
            });
        }
        self.min_scale = Some(min_scale);
        Ok(self)
    }

    /// Whether scaling is on.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// `get_scale()`: the current scale, or 1.0 when disabled.
    pub fn get_scale(&self) -> f32 {
        if self.enabled {
            self.scale
        } else {
            1.0
        }
    }

    /// The growth tracker (successful steps since the last growth or backoff).
    pub fn growth_tracker(&self) -> i32 {
        self.growth_tracker
    }

    /// The stage of the current step.
    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// `scale(loss)`: `loss · scale` in f32 (unchanged when disabled).
    pub fn scale(&self, loss: f32) -> f32 {
        if self.enabled {
            loss * self.scale
        } else {
            loss
        }
    }

    /// `unscale_(optimizer)`: multiplies every gradient by `(float)(1/(double)scale)` and
    /// records whether any is inf or NaN.
    pub fn unscale_(&mut self, grads: &mut [&mut [f32]]) -> Result<()> {
        if !self.enabled {
            return Ok(());
        }
        match self.stage {
            Stage::Unscaled => {
                return Err(runtime("unscale_() has already been called on this optimizer since the last update()."))
            }
            Stage::Stepped => return Err(runtime("unscale_() is being called after step().")),
            Stage::Ready => {}
        }
        let inv = inv_scale(self.scale);
        if !inv.is_finite() {
            // torch multiplies by the inf anyway, and finite gradients turn inf/NaN unflagged.
            return Err(Error::InvalidArgument {
                name: "loss scale",
                value: format!("{:e}", self.scale),
                valid: format!(
                    "at least {MIN_SCALE:e}: it backed off below that, its f32 reciprocal is inf and unscaling would corrupt the gradients unseen (persistent inf/NaN gradients; with_min_scale keeps a floor)"
                ),
            });
        }
        let mut found = false;
        for g in grads.iter_mut() {
            for v in g.iter_mut() {
                let (u, bad) = unscale_value(*v, inv);
                *v = u;
                found |= bad;
            }
        }
        self.found_inf = Some(found);
        self.stage = Stage::Unscaled;
        Ok(())
    }

    /// `step(optimizer)`: unscales if not done yet, then runs `optimizer_step` unless a gradient
    /// was inf or NaN. Returns whether the step was skipped.
    pub fn step(&mut self, grads: &mut [&mut [f32]], optimizer_step: impl FnOnce(&[&mut [f32]])) -> Result<bool> {
        if !self.enabled {
            optimizer_step(grads);
            return Ok(false);
        }
        if self.stage == Stage::Stepped {
            return Err(runtime("step() has already been called since the last update()."));
        }
        if self.stage == Stage::Ready {
            self.unscale_(grads)?;
        }
        let skipped = self.found_inf.expect("unscale_ records found_inf");
        if !skipped {
            optimizer_step(grads);
        }
        self.stage = Stage::Stepped;
        Ok(skipped)
    }

    /// `update()`: torch's `_amp_update_scale_` with this step's found_inf, then a new cycle.
    pub fn update(&mut self) -> Result<UpdateReport> {
        if !self.enabled {
            return Ok(UpdateReport { scale: 1.0, growth_tracker: 0, warning: None });
        }
        let Some(found) = self.found_inf else {
            return Err(runtime("No inf checks were recorded prior to update."));
        };
        (self.scale, self.growth_tracker) = update_scale(self.scale, self.growth_tracker, found, &self.cfg);
        if let Some(floor) = self.min_scale {
            self.scale = self.scale.max(floor);
        }
        self.stage = Stage::Ready;
        self.found_inf = None;
        let warning = (self.scale < 1.0).then(|| {
            format!("the loss scale is {:e}, below 1: scaling now shrinks gradients instead of protecting them from f16 underflow (persistent inf/NaN gradients?)", self.scale)
        });
        Ok(UpdateReport { scale: self.scale, growth_tracker: self.growth_tracker, warning })
    }

    /// `state_dict()`: empty when disabled, as torch.
    pub fn state_dict(&self) -> serde_json::Value {
        if !self.enabled {
            return serde_json::json!({});
        }
        serde_json::json!({
            "scale": self.scale,
            "growth_factor": self.cfg.growth_factor,
            "backoff_factor": self.cfg.backoff_factor,
            "growth_interval": self.cfg.growth_interval,
            "_growth_tracker": self.growth_tracker,
        })
    }

    /// `load_state_dict(state)`: an empty dict is an error (it came from a disabled scaler).
    pub fn load_state_dict(&mut self, state: &serde_json::Value) -> Result<()> {
        if !self.enabled {
            return Ok(());
        }
        let obj = state.as_object().filter(|o| !o.is_empty()).ok_or_else(|| {
            runtime(
                "The source state dict is empty, possibly because it was saved from a disabled instance of GradScaler.",
            )
        })?;
        let num = |k: &str| {
            obj.get(k).and_then(|v| v.as_f64()).ok_or_else(|| Error::InvalidArgument {
                name: "state_dict key",
                value: k.into(),
                valid: "scale, growth_factor, backoff_factor, growth_interval, _growth_tracker (numbers)".into(),
            })
        };
        let cfg = ScalerConfig {
            init_scale: num("scale")?,
            growth_factor: num("growth_factor")?,
            backoff_factor: num("backoff_factor")?,
            growth_interval: num("growth_interval")? as u32,
        };
        cfg.validate()?;
        (self.cfg, self.scale, self.growth_tracker) = (cfg, cfg.init_scale as f32, num("_growth_tracker")? as i32);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scaler(interval: u32) -> GradScaler {
        GradScaler::new(ScalerConfig { growth_interval: interval, ..Default::default() }, true).unwrap()
    }

    #[test]
    fn scaler_backs_off_and_skips_on_inf() {
        let mut s = scaler(2000);
        let mut g = vec![1.0, f32::INFINITY];
        let mut stepped = false;
        assert!(s.step(&mut [&mut g], |_| stepped = true).unwrap());
        assert!(!stepped);
        assert_eq!(s.update().unwrap().scale, 32768.0);
    }

    #[test]
    fn scaler_grows_after_growth_interval_clean_steps() {
        let mut s = scaler(2);
        for _ in 0..2 {
            let mut g = vec![65536.0];
            let mut seen = 0.0;
            assert!(!s.step(&mut [&mut g], |gs| seen = gs[0][0]).unwrap());
            assert_eq!(seen, 1.0, "the optimizer sees unscaled gradients");
            s.update().unwrap();
        }
        assert_eq!((s.get_scale(), s.growth_tracker()), (131072.0, 0));
    }

    #[test]
    fn misuse_fails_with_torchs_messages() {
        let mut s = scaler(10);
        let mut g = vec![1.0];
        assert!(s.update().unwrap_err().to_string().contains("No inf checks were recorded"));
        s.unscale_(&mut [&mut g]).unwrap();
        assert!(s.unscale_(&mut [&mut g]).unwrap_err().to_string().contains("already been called on this optimizer"));
        s.step(&mut [&mut g], |_| {}).unwrap();
        assert!(s.unscale_(&mut [&mut g]).unwrap_err().to_string().contains("after step()"));
        assert!(s.step(&mut [&mut g], |_| {}).unwrap_err().to_string().contains("step() has already been called"));
        s.update().unwrap();
        assert_eq!(s.stage(), Stage::Ready);
    }

    #[test]
    fn min_scale_is_opt_in_and_low_scales_warn() {
        let cfg = ScalerConfig { init_scale: 2.0, ..Default::default() };
        let mut plain = GradScaler::new(cfg, true).unwrap();
        let mut floored = GradScaler::new(cfg, true).unwrap().with_min_scale(1.0).unwrap();
        for _ in 0..3 {
            for s in [&mut plain, &mut floored] {
                let mut g = vec![f32::NAN];
                s.step(&mut [&mut g], |_| {}).unwrap();
                s.update().unwrap();
            }
        }
        assert_eq!((plain.get_scale(), floored.get_scale()), (0.25, 1.0));
        let mut g = vec![f32::NAN];
        plain.step(&mut [&mut g], |_| {}).unwrap();
        assert!(plain.update().unwrap().warning.unwrap().contains("below 1"));
    }

    #[test]
    fn state_dict_round_trips_and_an_empty_one_is_rejected() {
        let mut a = scaler(3);
        let mut g = vec![1.0];
        a.step(&mut [&mut g], |_| {}).unwrap();
        a.update().unwrap();
        let mut b = scaler(2000);
        b.load_state_dict(&a.state_dict()).unwrap();
        assert_eq!((b.get_scale(), b.growth_tracker(), b.state_dict()), (a.get_scale(), 1, a.state_dict()));
        let msg = b.load_state_dict(&serde_json::json!({})).unwrap_err().to_string();
        assert!(msg.contains("state dict is empty"), "{msg}");
        let off = GradScaler::new(ScalerConfig::default(), false).unwrap();
        assert_eq!((off.state_dict(), off.get_scale(), off.scale(3.0)), (serde_json::json!({}), 1.0, 3.0));
    }
}
