//! scikit-learn's 8×8 hand-written digits (1797 samples, 10 classes; BSD licence, from the UCI
//! ML repository), embedded as crate/data/digits.bin by scripts/make_digits.py: 65 bytes per
//! sample, 64 pixel intensities 0..16 then the label. Features are scaled to [0, 1] (÷ 16).

use super::Dataset;

const RAW: &[u8] = include_bytes!("../../data/digits.bin");

/// Samples in the file.
pub const SAMPLES: usize = 1797;

/// Features per sample (8×8 pixels).
pub const FEATURES: usize = 64;

/// Classes (the digits 0–9).
pub const CLASSES: usize = 10;

/// All 1797 digits, features in [0, 1].
pub fn load() -> Dataset {
    assert_eq!(RAW.len(), SAMPLES * 65, "crate/data/digits.bin is corrupt");
    let mut x = Vec::with_capacity(SAMPLES * 64);
    let mut y = Vec::with_capacity(SAMPLES);
    for rec in RAW.chunks_exact(65) {
        x.extend(rec[..64].iter().map(|&v| v as f32 / 16.0));
        y.push(rec[64] as i32);
    }
    Dataset { x, y, d: 64, classes: 10 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_have_sklearns_class_counts_and_ranges() {
        let d = load();
        let mut counts = [0usize; 10];
        for &l in &d.y {
            counts[l as usize] += 1;
        }
        // sklearn.datasets.load_digits().target counts.
        assert_eq!(counts, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
        assert!(d.x.iter().all(|&v| (0.0..=1.0).contains(&v)));
        assert_eq!(d.x.len(), SAMPLES * 64);
    }
}
