//! Replays a GradScaler over a schedule of steps whose gradients are finite ("ok") or hold an
//! inf, -inf or NaN: what `quantplay scaler` prints and what the playground's loss-scale
//! timeline teaches. Each step does scale → step (skipped on inf/NaN) → update, exactly as a
//! training loop would with `torch.amp.GradScaler`.

use super::grad_scaler::GradScaler;
use crate::rules::error::{Error, Result};
use crate::rules::scaler::ScalerConfig;

/// What a step's gradients hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Event {
    /// All finite.
    Ok,
    /// One +inf.
    Inf,
    /// One -inf (`"-inf"`).
    #[serde(rename = "-inf")]
    NegInf,
    /// One NaN.
    Nan,
}

impl Event {
    /// Parses `ok`, `inf`, `-inf` or `nan`.
    pub fn parse(s: &str) -> Result<Event> {
        match s.trim() {
            "ok" => Ok(Event::Ok),
            "inf" => Ok(Event::Inf),
            "-inf" => Ok(Event::NegInf),
            "nan" => Ok(Event::Nan),
            other => Err(Error::InvalidArgument {
                name: "schedule event",
                value: other.into(),
                valid: "ok, inf, -inf, nan".into(),
            }),
        }
    }

    fn poison(self) -> f32 {
        match self {
            Event::Ok => 1.0,
            Event::Inf => f32::INFINITY,
            Event::NegInf => f32::NEG_INFINITY,
            Event::Nan => f32::NAN,
        }
    }
}

/// Parses a comma-separated schedule such as `ok,inf,ok,nan,-inf`.
pub fn parse_schedule(s: &str) -> Result<Vec<Event>> {
    s.split(',').filter(|e| !e.trim().is_empty()).map(Event::parse).collect()
}

/// One step of the timeline, as `quantplay scaler --json` prints it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StepRecord {
    /// 1-based step number.
    pub step: usize,
    /// What the gradients held.
    pub event: Event,
    /// The scale the loss was multiplied by.
    pub scale_used: f32,
    /// Whether the optimizer step was skipped.
    pub skipped: bool,
    /// The scale after `update()`.
    pub scale_after: f32,
    /// The growth tracker after `update()`.
    pub growth_tracker: i32,
    /// Set when the scale fell below 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// Runs `events` through a GradScaler with `cfg`.
pub fn run_schedule(cfg: ScalerConfig, events: &[Event]) -> Result<Vec<StepRecord>> {
    let mut scaler = GradScaler::new(cfg, true)?;
    let mut out = Vec::with_capacity(events.len());
    for (i, &event) in events.iter().enumerate() {
        let scale_used = scaler.get_scale();
        // A gradient of the scaled loss: finite values, plus the event's poison.
        let mut grad = vec![scaler.scale(0.5), scaler.scale(-0.25), scaler.scale(1.0) * event.poison()];
        let skipped = scaler.step(&mut [&mut grad], |_| {})?;
        let report = scaler.update()?;
        out.push(StepRecord {
            step: i + 1,
            event,
            scale_used,
            skipped,
            scale_after: report.scale,
            growth_tracker: report.growth_tracker,
            warning: report.warning,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_parses_and_replays_growth_backoff_and_skips() {
        let events = parse_schedule("ok,ok,inf,ok,nan,-inf").unwrap();
        let cfg = ScalerConfig { growth_interval: 2, ..Default::default() };
        let t = run_schedule(cfg, &events).unwrap();
        let scales: Vec<f32> = t.iter().map(|r| r.scale_after).collect();
        assert_eq!(scales, [65536.0, 131072.0, 65536.0, 65536.0, 32768.0, 16384.0]);
        let skipped: Vec<bool> = t.iter().map(|r| r.skipped).collect();
        assert_eq!(skipped, [false, false, true, false, true, true]);
        assert_eq!(t[3].growth_tracker, 1);
        assert!(parse_schedule("ok,boom").unwrap_err().to_string().contains("ok, inf, -inf, nan"));
    }
}
