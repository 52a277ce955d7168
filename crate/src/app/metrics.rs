//! Per-step training metrics, as JSON (field names as Lightning logs them, `amp/loss_scale`
//! etc.) and CSV. The CLI prints these records and the page plots the same ones.

use serde::Serialize;

/// One training step's record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepRecord {
    /// 1-based step.
    pub step: usize,
    /// Mean cross-entropy of the batch.
    pub loss: f32,
    /// Batch accuracy before the update, 0 to 1.
    pub accuracy: f32,
    /// 1 when a GradScaler is active, else 0.
    #[serde(rename = "amp/enabled")]
    pub amp_enabled: u8,
    /// The effective precision string.
    #[serde(rename = "amp/precision")]
    pub amp_precision: &'static str,
    /// The loss scale used this step; absent without a GradScaler.
    #[serde(rename = "amp/loss_scale", skip_serializing_if = "Option::is_none")]
    pub amp_loss_scale: Option<f32>,
    /// Whether the optimizer step was skipped (inf/NaN gradients).
    pub skipped: bool,
    /// Global L2 norm of the (unscaled) gradients.
    pub grad_norm: f32,
    /// Steps skipped so far.
    pub overflow_count: usize,
    /// True on a step whose overflow the user injected (`Session::inject_overflow`), so a plot
    /// can tell it from the scaler's own growth overflows; left out of the JSON when false.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub injected: bool,
}

impl StepRecord {
    /// A `32-true` step: no scaler, never skipped.
    pub fn fp32(step: usize, loss: f32, accuracy: f32, grad_norm: f32) -> StepRecord {
        StepRecord {
            step,
            loss,
            accuracy,
            amp_enabled: 0,
            amp_precision: "32-true",
            amp_loss_scale: None,
            skipped: false,
            grad_norm,
            overflow_count: 0,
            injected: false,
        }
    }
}

/// The CSV header line.
pub const CSV_HEADER: &str =
    "step,loss,accuracy,amp/enabled,amp/precision,amp/loss_scale,skipped,grad_norm,overflow_count";

/// One record as a CSV line (empty loss-scale column without a scaler).
pub fn csv_line(r: &StepRecord) -> String {
    let scale = r.amp_loss_scale.map(|s| s.to_string()).unwrap_or_default();
    format!(
        "{},{},{},{},{},{},{},{},{}",
        r.step, r.loss, r.accuracy, r.amp_enabled, r.amp_precision, scale, r.skipped, r.grad_norm, r.overflow_count
    )
}

/// One epoch's summary of step records.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EpochSummary {
    /// 1-based epoch.
    pub epoch: usize,
    /// Steps in the epoch.
    pub steps: usize,
    /// Mean loss over the epoch's steps (the skipped ones too: their loss was computed).
    pub mean_loss: f32,
    /// Mean batch accuracy.
    pub mean_accuracy: f32,
    /// Steps skipped in this epoch.
    pub skipped: usize,
    /// The loss scale of the epoch's last step; absent without a scaler.
    #[serde(rename = "amp/loss_scale", skip_serializing_if = "Option::is_none")]
    pub last_loss_scale: Option<f32>,
}

/// Groups records into epochs of `steps_per_epoch` steps (the last may be shorter).
pub fn epoch_summaries(records: &[StepRecord], steps_per_epoch: usize) -> Vec<EpochSummary> {
    records
        .chunks(steps_per_epoch.max(1))
        .enumerate()
        .map(|(i, c)| EpochSummary {
            epoch: i + 1,
            steps: c.len(),
            mean_loss: c.iter().map(|r| r.loss).sum::<f32>() / c.len() as f32,
            mean_accuracy: c.iter().map(|r| r.accuracy).sum::<f32>() / c.len() as f32,
            skipped: c.iter().filter(|r| r.skipped).count(),
            last_loss_scale: c.last().and_then(|r| r.amp_loss_scale),
        })
        .collect()
}

/// The CSV header line of epoch summaries.
pub const EPOCH_CSV_HEADER: &str = "epoch,steps,mean_loss,mean_accuracy,skipped,amp/loss_scale";

/// One epoch summary as a CSV line.
pub fn epoch_csv_line(e: &EpochSummary) -> String {
    let scale = e.last_loss_scale.map(|s| s.to_string()).unwrap_or_default();
    format!("{},{},{},{},{},{}", e.epoch, e.steps, e.mean_loss, e.mean_accuracy, e.skipped, scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fp32_records_log_amp_disabled_and_no_scale() {
        let r = StepRecord::fp32(3, 0.5, 0.75, 1.25);
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["amp/enabled"], 0);
        assert_eq!(v["amp/precision"], "32-true");
        assert!(v.get("amp/loss_scale").is_none());
        assert_eq!(csv_line(&r), "3,0.5,0.75,0,32-true,,false,1.25,0");
        assert_eq!(CSV_HEADER.split(',').count(), csv_line(&r).split(',').count());
    }

    #[test]
    fn epoch_summaries_average_each_epoch_and_count_its_skips() {
        let mut rs: Vec<StepRecord> = (1..=5).map(|i| StepRecord::fp32(i, i as f32, 0.5, 1.0)).collect();
        rs[3].skipped = true;
        rs[4].amp_loss_scale = Some(8.0);
        let e = epoch_summaries(&rs, 2);
        assert_eq!(
            e.iter().map(|e| (e.epoch, e.steps, e.mean_loss, e.skipped)).collect::<Vec<_>>(),
            vec![(1, 2, 1.5, 0), (2, 2, 3.5, 1), (3, 1, 5.0, 0)]
        );
        assert_eq!(epoch_csv_line(&e[2]), "3,1,5,0.5,0,8");
        assert!(serde_json::to_value(&e[0]).unwrap().get("amp/loss_scale").is_none());
    }
}
