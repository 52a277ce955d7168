//! Lesson 2 against torch: on the setting of `tests/fixtures/lessons_observers.json` (written by
//! `tests/fixtures/gen_lessons_observers.py`, which rebuilds the lesson's batches), the first
//! values, the outlier count and, after every batch, all three observers' scale and zero point
//! equal torch's bit for bit.

use super::observers::{Input, Observers};
use super::observers_data::{activation_batches, DataSpec};
use super::Lesson;
use serde::Deserialize;

#[derive(Deserialize)]
struct Setting {
    batches: usize,
    batch_size: usize,
    outlier: f32,
    seed: u64,
    averaging_constant: f32,
}

#[derive(Deserialize)]
struct Point {
    seen: usize,
    scale: Vec<u32>,
    zero_point: Vec<i32>,
    min_val: Vec<u32>,
    max_val: Vec<u32>,
}

#[derive(Deserialize)]
struct Fixture {
    setting: Setting,
    observers: Vec<String>,
    outliers: usize,
    first_values: Vec<u32>,
    curve: Vec<Point>,
}

#[test]
fn lesson_observers_matches_torch_qparams_after_every_batch() {
    let fx: Fixture = serde_json::from_str(include_str!("../../../../tests/fixtures/lessons_observers.json")).unwrap();
    let s = &fx.setting;
    let spec = DataSpec { batches: s.batches, batch_size: s.batch_size, outlier: s.outlier, seed: s.seed };
    let data = activation_batches(&spec);
    let first: Vec<u32> = data.batches[0][..fx.first_values.len()].iter().map(|x| x.to_bits()).collect();
    assert_eq!(first, fx.first_values, "the batches are torch's batches");
    let input = Input {
        batches: s.batches,
        batch_size: s.batch_size,
        outlier: s.outlier,
        seed: s.seed,
        averaging_constant: s.averaging_constant,
    };
    let o = Observers::run(&input).unwrap();
    assert_eq!(o.outliers, fx.outliers);
    let names: Vec<&str> = o.observers.iter().map(|r| r.observer).collect();
    assert_eq!(names, fx.observers);
    assert_eq!(o.curve.len(), fx.curve.len());
    for (mine, torch) in o.curve.iter().zip(&fx.curve) {
        assert_eq!(mine.seen, torch.seen);
        let scale: Vec<u32> = mine.scale.iter().map(|x| x.to_bits()).collect();
        assert_eq!(scale, torch.scale, "scales after {} batches", torch.seen);
        assert_eq!(mine.zero_point, torch.zero_point, "zero points after {} batches", torch.seen);
        let min: Vec<u32> = mine.min_val.iter().map(|x| x.to_bits()).collect();
        let max: Vec<u32> = mine.max_val.iter().map(|x| x.to_bits()).collect();
        assert_eq!((min, max), (torch.min_val.clone(), torch.max_val.clone()), "ranges after {} batches", torch.seen);
    }
    let last = fx.curve.last().unwrap();
    for (i, r) in o.observers.iter().enumerate() {
        assert_eq!(r.min_val.to_bits(), last.min_val[i], "{} min_val", r.observer);
        assert_eq!(r.max_val.to_bits(), last.max_val[i], "{} max_val", r.observer);
        assert_eq!((r.scale.to_bits(), r.zero_point), (last.scale[i], last.zero_point[i]), "{}", r.observer);
    }
}

#[test]
fn clipping_plus_rounding_is_the_whole_error_and_histogram_clips_the_outliers() {
    let input = Input { batches: 16, batch_size: 1024, outlier: 8.0, seed: 1, averaging_constant: 0.01 };
    let o = Observers::run(&input).unwrap();
    let [minmax, moving, hist] = &o.observers[..] else { panic!("three observers") };
    // MinMax covers every value: nothing clipped, all error is rounding (at most (scale/2)²).
    assert_eq!((minmax.clip_fraction, minmax.clipping_error), (0.0, 0.0));
    assert!(minmax.rounding_error <= (minmax.scale as f64 / 2.0).powi(2));
    // The histogram's L2 search trades a few clipped outliers for a finer step.
    assert!(hist.scale < minmax.scale && hist.clip_fraction > 0.0, "{hist:?}");
    assert!(hist.total_error < minmax.total_error, "{} vs {}", hist.total_error, minmax.total_error);
    // The moving average lags the running extremes, so it clips values MinMax keeps.
    assert!(moving.scale < minmax.scale && moving.clip_fraction > 0.0, "{moving:?}");
    for r in &o.observers {
        assert_eq!(r.total_error, r.clipping_error + r.rounding_error);
    }
    // Only HistogramObserver searches; its chosen [min, max] lies inside the data's range, clips
    // the top outlier, and _calculate_qparams turns it into exactly the reported scale.
    assert!(minmax.search_range.is_none() && moving.search_range.is_none());
    let [lo, hi] = hist.search_range.expect("HistogramObserver reports its search");
    assert!(lo >= hist.min_val && hi < hist.max_val, "{lo} {hi} in {} {}", hist.min_val, hist.max_val);
    assert_eq!((hi.max(0.0) - lo.min(0.0)) / 255.0, hist.scale);
    let bad = Input { batches: 0, ..input };
    assert!(Observers::run(&bad).unwrap_err().to_string().contains("batches"));
}
