//! A session's float MLP handed to the eager PTQ flow, for the page's Quantize panel: the
//! current parameters read back as a [`Model`] (`quant → fc1 → relu1 → … → fcN → dequant`, the
//! layout of [`crate::model::mlp_spec`]), and the calibration / evaluation data taken from the
//! session's own split. This is glue only: the quantization itself is
//! [`crate::app::ptq`]; nothing here changes the run.

use super::session::Session;
use crate::backend::Backend;
use crate::model::{mlp_model, Model};
use crate::rules::error::{Error, Result};

/// Calibration samples `(n, in)` and evaluation samples `(m, in)` with labels.
pub struct QuantData {
    /// Calibration features, row-major `(calib_size, in)`: the first samples of the training
    /// split, in its order.
    pub calib_x: Vec<f32>,
    /// `[calib_size, in]`.
    pub calib_shape: Vec<usize>,
    /// Evaluation features: the whole test split `(m, in)`, or the training split when the
    /// test split is empty.
    pub eval_x: Vec<f32>,
    /// `[m, in]`.
    pub eval_shape: Vec<usize>,
    /// Evaluation labels `(m,)`.
    pub eval_y: Vec<i32>,
}

impl<B: Backend> Session<B> {
    /// The current float MLP as a [`Model`] (weights `(out, in)` and biases as `nn.Linear`
    /// stores them), read from the device; training state is untouched.
    pub async fn float_model(&self, b: &B) -> Result<Model> {
        let (mut w, mut bias) = (Vec::new(), Vec::new());
        for (pw, pb) in self.mlp.weights.iter().zip(&self.mlp.biases) {
            w.push(b.read(&pw.value).await?);
            bias.push(b.read(&pb.value).await?);
        }
        mlp_model(&self.mlp.sizes, &w, &bias)
    }

    /// Samples in the training split.
    pub fn train_len(&self) -> usize {
        self.train.len()
    }

    /// The page's PTQ data: the first `calib_size` training samples for calibration, the test
    /// split for evaluation. `calib_size` must be in `1..=` the training split's size.
    pub fn quant_data(&self, calib_size: usize) -> Result<QuantData> {
        let n = self.train.len();
        if calib_size == 0 || calib_size > n {
            return Err(Error::InvalidArgument {
                name: "calib_size",
                value: calib_size.to_string(),
                valid: format!("an integer in 1..={n} (the training split's size)"),
            });
        }
        let d = self.train.d;
        let eval = if self.test.is_empty() { &self.train } else { &self.test };
        Ok(QuantData {
            calib_x: self.train.x[..calib_size * d].to_vec(),
            calib_shape: vec![calib_size, d],
            eval_x: eval.x.clone(),
            eval_shape: vec![eval.len(), d],
            eval_y: eval.y.clone(),
        })
    }
}
