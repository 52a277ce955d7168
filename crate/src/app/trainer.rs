//! The training loop behind `quantplay train`: a [`Session`] from the same JSON config the
//! page sends (so the CLI and the page validate alike), run for a number of steps with the
//! metrics read back in batches, then printed per step and summarised per epoch.
//!
//! Not here: argument parsing (main.rs), the step (`amp_step.rs`), the session (`session.rs`).

use super::metrics::StepRecord;
use super::session::Session;
use super::session_config::{self, SessionConfig};
use crate::backend::Backend;
use crate::rules::error::{Error, Result};

/// A parsed run: the session config and the step count.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    /// The session config (dataset, precision, optimizer, scaler, …).
    pub session: SessionConfig,
    /// Steps to run.
    pub steps: usize,
}

/// Parses the page's config JSON plus a step count (≥ 1).
pub fn config(json: &str, steps: usize) -> Result<TrainConfig> {
    if steps == 0 {
        return Err(Error::InvalidArgument { name: "steps", value: "0".into(), valid: ">= 1".into() });
    }
    Ok(TrainConfig { session: session_config::parse(json)?.0, steps })
}

/// Runs `cfg` on `b` and returns the session's effective precision note (if any) and the
/// records.
pub async fn train<B: Backend>(b: &B, cfg: &TrainConfig) -> Result<(Option<String>, Vec<StepRecord>)> {
    let mut s = Session::new(b, cfg.session.clone())?;
    let note = s.effective.reason.clone();
    let records = s.run(b, cfg.steps).await?;
    Ok((note, records))
}

/// Steps per epoch: one pass over the training split in minibatches, rounded up.
pub fn steps_per_epoch(cfg: &SessionConfig) -> Result<usize> {
    let data = crate::data::load(&cfg.dataset, cfg.samples, cfg.noise, cfg.seed)?;
    let (train, _) = data.split(cfg.train_ratio, cfg.seed)?;
    Ok(train.len().div_ceil(cfg.batch.min(train.len()).max(1)))
}
