//! Lesson 2's calibration data: seeded activation-like batches with a few outliers, built only
//! from exact f32 additions and multiplications of [`crate::rules::rng::Rng`] draws, so the torch
//! fixture generator (`tests/fixtures/gen_lessons_observers.py`) rebuilds them bit for bit.
//!
//! Each value, in this order from one SplitMix64 stream seeded with `seed`:
//! `u = ((r1 + r2) + r3) + r4 − 1.5` (four uniforms in `[0, 1)`: a bell over `[−1.5, 2.5)`, mean
//! 0.5), then one more draw `r5`; when `r5 < 1/128` the value is an outlier `u · outlier`.
//! Not here: the observers or the errors (`observers.rs`).

use crate::rules::rng::Rng;

/// The chance that a value is an outlier, 1/128.
pub const OUTLIER_RATE: f32 = 1.0 / 128.0;

/// The recipe: how many batches of how many values, how far outliers reach, the seed.
#[derive(Debug, Clone, Copy)]
pub struct DataSpec {
    /// Number of batches.
    pub batches: usize,
    /// Values per batch.
    pub batch_size: usize,
    /// An outlier is a normal value times this.
    pub outlier: f32,
    /// The generator's seed.
    pub seed: u64,
}

/// The batches, `batches × (batch_size,)`, and how many values are outliers.
#[derive(Debug, Clone)]
pub struct Data {
    /// The calibration batches in order.
    pub batches: Vec<Vec<f32>>,
    /// Number of outliers among all values.
    pub outliers: usize,
}

/// Builds the batches from `spec` (see the file header for the recipe).
pub fn activation_batches(spec: &DataSpec) -> Data {
    let mut rng = Rng::new(spec.seed);
    let mut outliers = 0;
    let batches = (0..spec.batches)
        .map(|_| {
            (0..spec.batch_size)
                .map(|_| {
                    let u = rng.next_f32() + rng.next_f32();
                    let u = u + rng.next_f32();
                    let u = u + rng.next_f32() - 1.5;
                    if rng.next_f32() < OUTLIER_RATE {
                        outliers += 1;
                        u * spec.outlier
                    } else {
                        u
                    }
                })
                .collect()
        })
        .collect();
    Data { batches, outliers }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_batches_and_outliers_reach_further() {
        let spec = DataSpec { batches: 4, batch_size: 512, outlier: 8.0, seed: 3 };
        let a = activation_batches(&spec);
        let b = activation_batches(&spec);
        assert_eq!(a.batches, b.batches);
        let plain = activation_batches(&DataSpec { outlier: 1.0, ..spec });
        let max = |d: &Data| d.batches.iter().flatten().fold(f32::MIN, |m, &x| m.max(x.abs()));
        assert!(max(&plain) <= 2.5, "bell values stay in [-1.5, 2.5)");
        assert!(a.outliers > 0 && max(&a) > 2.5, "{} outliers reach {}", a.outliers, max(&a));
    }
}
