//! GradScaler's kernels (`_amp_foreach_non_finite_check_and_unscale_`, the inverse scale and
//! `_amp_update_scale_`), rules in `rules::scaler`, with the scale, growth tracker and found-inf
//! flag living on the device so a mixed-precision step reads nothing back.

use crate::backend::TensorOps;
use crate::rules::error::Result;
use crate::rules::scaler::ScalerConfig;

/// GradScaler ops.
pub trait AmpOps: TensorOps {
    /// `GradScaler.unscale_` for one step, in place: every gradient is multiplied by
    /// `inv_scale` (`(1,)` f32) and `found_inf` (`(1,)` f32) is set to 1.0 if any element is
    /// inf or NaN. found_inf is never cleared here, so one flag covers all of a step's grads.
    fn amp_unscale(
        &self,
        grads: &mut [&mut Self::Tensor],
        inv_scale: &Self::Tensor,
        found_inf: &mut Self::Tensor,
    ) -> Result<()>;

    /// `GradScaler.unscale_`'s `inv_scale = (float)(1.0 / (double)scale)` for a `(1,)` f32
    /// scale that lives on the backend.
    fn amp_inv_scale(&self, scale: &Self::Tensor) -> Result<Self::Tensor>;

    /// `GradScaler.update` on the backend: `scale` (`(1,)` f32) and `growth_tracker` (`(1,)`
    /// int32) follow torch's `_amp_update_scale_` given `found_inf`.
    fn amp_update_scale(
        &self,
        scale: &mut Self::Tensor,
        growth_tracker: &mut Self::Tensor,
        found_inf: &Self::Tensor,
        cfg: &ScalerConfig,
    ) -> Result<()>;
}
