//! Optimizer steps in place (torch's single-tensor SGD and Adam, rules in `rules::optim`), each
//! with an optional `(1,)` skip flag that keeps GradScaler's decision on the device.

use crate::backend::TensorOps;
use crate::rules::error::Result;
use crate::rules::optim::{AdamConfig, SgdConfig};

/// Optimizer ops.
pub trait OptimOps: TensorOps {
    /// One `torch.optim.SGD` step in place on `p` and its momentum buffer (`first`: the
    /// buffer is new and starts as the gradient). With `skip_if`, a `(1,)` f32 flag such as
    /// GradScaler's found_inf, nothing changes when the flag is non-zero: the decision stays on
    /// the device.
    fn sgd_step(
        &self,
        p: &mut Self::Tensor,
        grad: &Self::Tensor,
        buf: &mut Self::Tensor,
        cfg: &SgdConfig,
        first: bool,
        skip_if: Option<&Self::Tensor>,
    ) -> Result<()>;

    /// One `torch.optim.Adam` step in place on `p`, `exp_avg` and `exp_avg_sq`; `step` ≥ 1.
    /// `skip_if` as for [`Self::sgd_step`].
    #[allow(clippy::too_many_arguments)]
    fn adam_step(
        &self,
        p: &mut Self::Tensor,
        grad: &Self::Tensor,
        m: &mut Self::Tensor,
        v: &mut Self::Tensor,
        cfg: &AdamConfig,
        step: u32,
        skip_if: Option<&Self::Tensor>,
    ) -> Result<()>;

    /// [`Self::adam_step`] with the step counted on the device, so steps GradScaler skips
    /// are not counted (torch's Adam never sees them): `count` `(1,)` f32 holds the steps
    /// taken so far and `table` `(2·N,)` f32 holds, for step t + 1, `table[2t] = -lr / (1 −
    /// β1^(t+1))` and `table[2t + 1] = √(1 − β2^(t+1))` ([`crate::rules::optim::adam_table`]).
    /// The caller advances `count` after all parameters of a step. `count` must be < N.
    #[allow(clippy::too_many_arguments)]
    fn adam_step_counted(
        &self,
        p: &mut Self::Tensor,
        grad: &Self::Tensor,
        m: &mut Self::Tensor,
        v: &mut Self::Tensor,
        cfg: &AdamConfig,
        table: &Self::Tensor,
        count: &Self::Tensor,
        skip_if: Option<&Self::Tensor>,
    ) -> Result<()>;
}
