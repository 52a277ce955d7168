//! The observers' update from statistics a backend reduced (`backend` `ObserveOps`): a batch's
//! min and max instead of the batch itself, so calibration on a GPU reads back a few words per
//! observer. The formulas are the ones `forward` uses (it calls these after its own host
//! reduction), so both routes give the same state for the same statistics.
//!
//! Not here: the reductions (`backend`), the histogram's device counts and their replay
//! (`quant::eager::calib_device`).

use super::minmax::{max_f32, min_f32, MinMaxObserver};

impl MinMaxObserver {
    /// The update half of [`MinMaxObserver::forward`] for a non-empty batch whose finite
    /// `torch.aminmax` is `(lo, hi)`: MinMax keeps the running min/max; MovingAverage sets them
    /// on the first batch, then `min = min + c·(lo − min)` (f32, three roundings, no FMA: torch's
    /// tensor ops in observer.py `MovingAverageMinMaxObserver.forward`).
    pub fn forward_min_max(&mut self, lo: f32, hi: f32) {
        match self.averaging_constant {
            Some(c) if !(self.min == f32::INFINITY && self.max == f32::NEG_INFINITY) => {
                self.min += c * (lo - self.min);
                self.max += c * (hi - self.max);
            }
            Some(_) => (self.min, self.max) = (lo, hi),
            None => (self.min, self.max) = (min_f32(self.min, lo), max_f32(self.max, hi)),
        }
    }
}
