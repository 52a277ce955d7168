//! Datasets for the training loop and the playground, generated from a seed or read from the
//! crate: TensorFlow Playground's four 2-D sets (`playground.rs`) and scikit-learn's 8×8 digits
//! (`digits.rs`). Pure Rust; every random draw comes from `crate::rules::rng::Rng`.

pub mod digits;
pub mod playground;

use crate::rules::error::{Error, Result};
use crate::rules::rng::Rng;

/// A classification dataset: features `x` (n, d) row-major f32, labels `y` (n,) in `0..classes`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Features, row-major (n, d).
    pub x: Vec<f32>,
    /// Class labels in `0..classes`.
    pub y: Vec<i32>,
    /// Features per sample.
    pub d: usize,
    /// Number of classes.
    pub classes: usize,
}

impl Dataset {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// True when there are no samples.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// Shuffles with `seed` (Fisher–Yates) and splits into (train, test) with `train_ratio` of
    /// the samples in train, as the playground's "ratio of training to test data".
    pub fn split(&self, train_ratio: f64, seed: u64) -> Result<(Dataset, Dataset)> {
        if !(train_ratio > 0.0 && train_ratio < 1.0) {
            return Err(Error::InvalidArgument {
                name: "train_ratio",
                value: train_ratio.to_string(),
                valid: "in (0, 1)".into(),
            });
        }
        let mut order: Vec<usize> = (0..self.len()).collect();
        let mut rng = Rng::new(seed);
        for i in (1..order.len()).rev() {
            let j = (rng.next_u64() % (i as u64 + 1)) as usize;
            order.swap(i, j);
        }
        let cut = ((self.len() as f64) * train_ratio).round() as usize;
        let take = |idx: &[usize]| Dataset {
            x: idx.iter().flat_map(|&i| self.x[i * self.d..(i + 1) * self.d].iter().copied()).collect(),
            y: idx.iter().map(|&i| self.y[i]).collect(),
            d: self.d,
            classes: self.classes,
        };
        Ok((take(&order[..cut]), take(&order[cut..])))
    }
}

/// The dataset names `load` accepts.
pub const NAMES: &[&str] = &["circle", "xor", "gauss", "spiral", "digits"];

/// Loads a dataset by name: the playground sets take `samples` and `noise` (0 to 0.5, the
/// playground's percentage / 100); digits ignores both.
pub fn load(name: &str, samples: usize, noise: f64, seed: u64) -> Result<Dataset> {
    if !(0.0..=0.5).contains(&noise) {
        return Err(Error::InvalidArgument { name: "noise", value: noise.to_string(), valid: "0 to 0.5".into() });
    }
    let mut rng = Rng::new(seed);
    match name {
        "circle" => Ok(playground::circle(samples, noise, &mut rng)),
        "xor" => Ok(playground::xor(samples, noise, &mut rng)),
        "gauss" => Ok(playground::gauss(samples, noise, &mut rng)),
        "spiral" => Ok(playground::spiral(samples, noise, &mut rng)),
        "digits" => Ok(digits::load()),
        other => Err(Error::InvalidArgument { name: "dataset", value: other.into(), valid: NAMES.join(", ") }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_seeded_disjoint_and_complete() {
        let d = load("spiral", 200, 0.1, 1).unwrap();
        let (a, b) = d.split(0.7, 5).unwrap();
        assert_eq!((a.len(), b.len()), (140, 60));
        assert_eq!(d.split(0.7, 5).unwrap(), (a.clone(), b.clone()));
        assert_ne!(d.split(0.7, 6).unwrap().0, a);
        let mut all: Vec<(u32, u32)> =
            a.x.chunks(2).chain(b.x.chunks(2)).map(|p| (p[0].to_bits(), p[1].to_bits())).collect();
        let mut orig: Vec<(u32, u32)> = d.x.chunks(2).map(|p| (p[0].to_bits(), p[1].to_bits())).collect();
        all.sort();
        orig.sort();
        assert_eq!(all, orig);
        assert!(d.split(1.0, 0).is_err());
        assert!(load("moons", 10, 0.0, 0).unwrap_err().to_string().contains("circle, xor, gauss, spiral, digits"));
        assert!(load("xor", 10, 0.9, 0).unwrap_err().to_string().contains("0 to 0.5"));
    }
}
