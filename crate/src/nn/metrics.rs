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
}

impl StepRecord {
    /// A `32-true` step: no scaler, never skipped.
    pub fn fp32(step: usize, loss: f32, accuracy: f32, grad_norm: f32) -> StepRecord {
        StepRecord { step, loss, accuracy, amp_enabled: 0, amp_precision: "32-true", amp_loss_scale: None, skipped: false, grad_norm, overflow_count: 0 }
    }
}

/// The CSV header line.
pub const CSV_HEADER: &str = "step,loss,accuracy,amp/enabled,amp/precision,amp/loss_scale,skipped,grad_norm,overflow_count";

/// One record as a CSV line (empty loss-scale column without a scaler).
pub fn csv_line(r: &StepRecord) -> String {
    let scale = r.amp_loss_scale.map(|s| s.to_string()).unwrap_or_default();
    format!("{},{},{},{},{},{},{},{},{}", r.step, r.loss, r.accuracy, r.amp_enabled, r.amp_precision, scale, r.skipped, r.grad_norm, r.overflow_count)
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
}
