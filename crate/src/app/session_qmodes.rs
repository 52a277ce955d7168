//! A session's training split handed to the page's QAT mode (`page_qmodes`): the samples and
//! labels in the split's order. Glue only; nothing here changes the run.
//!
//! Not here: the PTQ data (`session_quant`), the QAT run (`qat_run`).

use super::session::Session;
use crate::backend::Backend;

impl<B: Backend> Session<B> {
    /// The whole training split: features `(n, in)` row-major, their shape, and labels `(n,)`.
    pub fn train_data(&self) -> (Vec<f32>, Vec<usize>, Vec<i32>) {
        (self.train.x.clone(), vec![self.train.len(), self.train.d], self.train.y.clone())
    }
}
