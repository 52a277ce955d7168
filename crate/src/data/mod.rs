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

    /// Samples per class: `classes` entries, entry `c` counts the labels equal to `c`.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes];
        for &l in &self.y {
            counts[l as usize] += 1;
        }
        counts
    }

    /// The index of the first sample of each class, in class order; a class with no sample is
    /// left out. The playground's Data panel draws these for the digits.
    pub fn first_of_each_class(&self) -> Vec<usize> {
        (0..self.classes as i32).filter_map(|c| self.y.iter().position(|&l| l == c)).collect()
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
        let cut = split_sizes(self.len(), train_ratio).0;
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

/// `(samples, features, classes)` that [`load`] would make for `name`, without making it, so a
/// plan can size the data first: the playground sets are `(samples, 2, 2)`, digits
/// `(1797, 64, 10)`.
pub fn dims(name: &str, samples: usize) -> Result<(usize, usize, usize)> {
    match name {
        "circle" | "xor" | "gauss" | "spiral" => Ok((samples, 2, 2)),
        "digits" => Ok((digits::SAMPLES, digits::FEATURES, digits::CLASSES)),
        other => Err(Error::InvalidArgument { name: "dataset", value: other.into(), valid: NAMES.join(", ") }),
    }
}

/// `(train, test)` sample counts of [`Dataset::split`] of `n` samples at `train_ratio`.
pub fn split_sizes(n: usize, train_ratio: f64) -> (usize, usize) {
    let cut = ((n as f64) * train_ratio).round() as usize;
    (cut.min(n), n - cut.min(n))
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

    #[test]
    fn dims_and_split_sizes_match_what_load_and_split_make() {
        for (name, n) in [("spiral", 201), ("xor", 40), ("digits", 0)] {
            let data = load(name, n, 0.1, 3).unwrap();
            let (len, d, classes) = dims(name, n).unwrap();
            assert_eq!((len, d, classes), (data.len(), data.d, data.classes), "{name}");
            let (a, b) = data.split(0.7, 3).unwrap();
            assert_eq!(split_sizes(len, 0.7), (a.len(), b.len()), "{name}");
        }
        assert!(dims("moons", 10).is_err());
    }

    #[test]
    fn class_counts_and_first_of_each_class_follow_the_labels() {
        let d = Dataset { x: (0..12).map(|v| v as f32).collect(), y: vec![2, 0, 2, 0, 0, 2], d: 2, classes: 3 };
        assert_eq!(d.class_counts(), [3, 0, 3]);
        assert_eq!(d.first_of_each_class(), [1, 0], "class 1 has no sample and is left out");
        let (train, test) = load("digits", 0, 0.0, 0).unwrap().split(0.8, 1).unwrap();
        let (a, b) = (train.class_counts(), test.class_counts());
        let total: Vec<usize> = a.iter().zip(&b).map(|(p, q)| p + q).collect();
        assert_eq!(total, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
        assert_eq!(a.iter().sum::<usize>(), train.len());
        let firsts = train.first_of_each_class();
        assert_eq!(firsts.len(), 10);
        for (c, &i) in firsts.iter().enumerate() {
            assert_eq!(train.y[i], c as i32);
            assert!(train.y[..i].iter().all(|&l| l != c as i32));
        }
    }
}
