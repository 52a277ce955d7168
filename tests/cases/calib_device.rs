//! Calibration with the observers' statistics reduced on the backend (issue 11): the
//! reductions (`ObserveOps`) against the CPU reference, bit for bit; calibrated qparams equal
//! where the float activations are equal; and (GPU only) the readbacks a calibration run
//! makes. The qparams budget on real models is `calib_budget.rs`. Shared by every backend (native.rs, wasm_browser.rs);
//! the readback body takes the GPU backend (wired like `gpu_faults.rs`).

use super::eager::{field, model_of, MLP};
use super::fixture::tensor;
use quantplay::model::fuse::fuse_modules;
use quantplay::model::spec::QConfigAttr;
use quantplay::model::{mlp_model, Model};
use quantplay::prelude::*;
use quantplay::quant::eager::{prepare, Prepared, QConfigDict};
use quantplay::quant::observer::minmax::per_channel_symmetric_qint8;
use quantplay::quant::observer::{Observer, PerChannelMinMaxObserver};
use quantplay::rules::histc::HistcRange;
use quantplay::rules::rng::Rng;
use quantplay::rules::stats::{channel_words, AminmaxStats, ChannelStats, AMINMAX_WORDS};
use quantplay::{CpuReference, GpuBackend, HostData, QParams};
use serde_json::Value;

async fn words<B: Backend>(b: &B, t: &B::Tensor) -> Vec<i32> {
    match b.read_data(t).await.unwrap() {
        HostData::I32(w) => w,
        d => panic!("int32 words expected, got {}", d.dtype()),
    }
}

async fn stats_on<B: Backend>(b: &B, x: &[f32]) -> AminmaxStats {
    let t = b.upload(x, &[x.len()]).unwrap();
    let mut out = b.upload_data(HostData::I32(vec![0; AMINMAX_WORDS + 3]), &[AMINMAX_WORDS + 3]).unwrap();
    b.aminmax_into(&t, &mut out, 3).unwrap();
    let w = words(b, &out).await;
    assert_eq!(&w[..3], &[0, 0, 0], "{}: aminmax wrote outside its words", b.name());
    AminmaxStats::decode(&w[3..])
}

async fn counts_on<B: Backend>(b: &B, x: &[f32], r: &HistcRange) -> Vec<i32> {
    let t = b.upload(x, &[x.len()]).unwrap();
    let mut c = b.upload_data(HostData::I32(vec![0; 2 * r.bins]), &[2, r.bins]).unwrap();
    b.histc_accumulate(&t, r, &mut c, 1).unwrap();
    b.histc_accumulate(&t, r, &mut c, 1).unwrap(); // accumulates
    let w = words(b, &c).await;
    assert!(w[..r.bins].iter().all(|&v| v == 0), "{}: histc wrote outside its row", b.name());
    w[r.bins..].to_vec()
}

/// Values that probe the reductions: ±0, subnormals, the largest finite values, and for
/// histc every tabulated bin edge and the float just below it (where a 2.5-ulp division would
/// land in the neighbouring bin).
fn probes(r: &HistcRange, rng: &mut Rng) -> Vec<f32> {
    let mut v = vec![0.0, -0.0, 1e-40, -1e-40, r.left, r.right];
    for &k in &r.lower_edges()[1..r.bins] {
        if k != u32::MAX {
            v.push(quantplay::rules::stats::key_value(k));
            v.push(quantplay::rules::stats::key_value(k - 1));
        }
    }
    for _ in 0..5000 {
        v.push(r.left + (r.right - r.left) * (rng.next_u64() % 1_000_001) as f32 / 1e6);
    }
    v.retain(|x| *x >= r.left && *x <= r.right);
    v
}

/// aminmax, per-channel aminmax and histc on `b` give the CPU reference's words: min and max
/// exactly (a ±0 tie may pick the other zero), the NaN/inf report exactly, and every histc
/// count exactly, also for values on torch's bin edges, over 2048 bins.
pub async fn observer_reductions_agree_with_the_cpu_reference_bit_for_bit<B: Backend>(b: &B) {
    let mut rng = Rng::new(11);
    let ranges = [(-1.0f32, 1.0f32, 2048usize), (0.0, 3.7, 7), (-1e-3, 5e4, 2048), (2.5, 2.5, 16), (-3.0, 0.0, 2048)];
    for &(lo, hi, bins) in &ranges {
        let r = HistcRange::new(lo, hi, bins);
        let x = probes(&r, &mut rng);
        assert_eq!(counts_on(b, &x, &r).await, counts_on(&CpuReference, &x, &r).await, "{}: histc {r:?}", b.name());
        let (g, c) = (stats_on(b, &x).await, stats_on(&CpuReference, &x).await);
        assert_eq!(g, c, "{}: aminmax over {r:?}", b.name());
    }
    // Non-finite values: count and the first of each kind, whatever the order of the lanes.
    let mut x: Vec<f32> = (0..100_000).map(|i| (i as f32 * 0.37).sin()).collect();
    for (i, v) in [(70_001, f32::INFINITY), (5_003, f32::NAN), (99_999, f32::NEG_INFINITY), (80_000, f32::NAN)] {
        x[i] = v;
    }
    let (g, c) = (stats_on(b, &x).await, stats_on(&CpuReference, &x).await);
    assert_eq!(g, c, "{}", b.name());
    assert_eq!((g.non_finite.count, g.non_finite.first().map(|p| p.0)), (4, Some(5_003)));
    assert_eq!(stats_on(b, &[]).await.min_max, None, "{}: empty", b.name());
    // Per channel, along each axis of an (n, c, h, w) tensor.
    let shape = [3usize, 5, 4, 6];
    let n: usize = shape.iter().product();
    let x: Vec<f32> = (0..n).map(|_| (rng.next_u64() % 2001) as f32 / 100.0 - 10.0).collect();
    for axis in 0..4 {
        let c = shape[axis];
        let one = |t: Vec<i32>| ChannelStats::decode(&t);
        let t = b.upload(&x, &shape).unwrap();
        let mut out = b.upload_data(HostData::I32(vec![0; channel_words(c)]), &[channel_words(c)]).unwrap();
        b.aminmax_per_channel_into(&t, axis, &mut out, 0).unwrap();
        let tc = CpuReference.upload(&x, &shape).unwrap();
        let mut oc = CpuReference.upload_data(HostData::I32(vec![0; channel_words(c)]), &[channel_words(c)]).unwrap();
        CpuReference.aminmax_per_channel_into(&tc, axis, &mut oc, 0).unwrap();
        assert_eq!(one(words(b, &out).await), one(words(&CpuReference, &oc).await), "{}: axis {axis}", b.name());
    }
    let t = b.upload(&x, &shape).unwrap();
    let mut small = b.upload_data(HostData::I32(vec![0; 4]), &[4]).unwrap();
    let e = b.aminmax_into(&t, &mut small, 0).unwrap_err().to_string();
    assert!(e.contains("6 result words") && e.contains("(4,)"), "{e}");
    let e = b.aminmax_per_channel_into(&t, 4, &mut small, 0).unwrap_err().to_string();
    assert!(e.contains("ch_axis 4") && e.contains("0..4"), "{e}");
}

/// A fused 4-8-8-3 MLP with small-integer weights and biases: on integer inputs every f32
/// matmul sum is an integer below 2^24, exact in any order, so every backend computes the
/// same activations bit for bit.
fn integer_mlp() -> Model {
    let sizes = [4usize, 8, 8, 3];
    let mut rng = Rng::new(3);
    let mut int = |n: usize| -> Vec<f32> { (0..n).map(|_| (rng.next_u64() % 5) as f32 - 2.0).collect() };
    let w: Vec<Vec<f32>> = sizes.windows(2).map(|s| int(s[0] * s[1])).collect();
    let bias: Vec<Vec<f32>> = sizes.windows(2).map(|s| int(s[1])).collect();
    let m = mlp_model(&sizes, &w, &bias).unwrap();
    fuse_modules(&m, &m.fuse).unwrap()
}

/// Integer calibration data whose range grows batch by batch (so histograms are re-binned).
fn integer_data(n: usize, d: usize, batch: usize) -> Vec<f32> {
    let mut rng = Rng::new(9);
    (0..n * d).map(|i| ((rng.next_u64() % 7) as f32 - 3.0) * (1 + i / (batch * d)) as f32).collect()
}

/// Prepares `m` (root qconfig x86 unless it has one, as `app::ptq` does) with `observer` as
/// every activation observer and calibrates it on `b`.
pub async fn calibrate<B: Backend>(
    b: &B,
    m: &Model,
    observer: &str,
    x: &[f32],
    shape: &[usize],
    batch: usize,
) -> Prepared {
    let dict = QConfigDict { observer: Some(observer.into()), ..Default::default() };
    let mut m = m.clone();
    if m.root.qconfig == QConfigAttr::Inherit {
        m.root.qconfig = QConfigAttr::Named("x86".into());
    }
    let mut p = prepare(&m, &dict).unwrap();
    assert!(!p.observers.is_empty(), "no observers prepared");
    p.calibrate_on(b, x, shape, batch).await.unwrap();
    p
}

pub fn qparams(o: &Observer) -> QParams {
    o.calculate_qparams().unwrap().qparams
}

/// Where the float activations are equal (integer weights and inputs: exact matmuls), the
/// qparams calibrated on `b` equal the CPU reference's for MinMax, MovingAverage and
/// Histogram observers (histograms too, bin for bin), and a per-channel observer fed the
/// backend's per-channel statistics equals one fed the host `forward`.
pub async fn where_activations_are_equal_calibrated_qparams_are_equal<B: Backend>(b: &B) {
    let m = integer_mlp();
    let (n, d, batch) = (64, 4, 16);
    let x = integer_data(n, d, batch);
    for observer in ["minmax", "moving_average", "histogram"] {
        let g = calibrate(b, &m, observer, &x, &[n, d], batch).await;
        let c = calibrate(&CpuReference, &m, observer, &x, &[n, d], batch).await;
        assert_eq!(g.batches_observed, 4);
        for (path, o) in &c.observers {
            let go = &g.observers[path];
            assert_eq!(qparams(go), qparams(o), "{}: {observer} at {path}", b.name());
            assert_eq!((go.min_val(), go.max_val()), (o.min_val(), o.max_val()), "{}: {observer} {path}", b.name());
            if let (Observer::Histogram(a), Observer::Histogram(h)) = (go, o) {
                assert_eq!(a.histogram, h.histogram, "{}: histogram at {path}", b.name());
                assert!(h.histogram.iter().sum::<f32>() > 0.0);
            }
        }
    }
    let shape = [2usize, 3, 5];
    let mut host = PerChannelMinMaxObserver::new(1, per_channel_symmetric_qint8()).unwrap();
    let mut dev = host.clone();
    for k in 0..3 {
        let v: Vec<f32> = (0..30).map(|i| ((i * 7 + k * 3) % 11) as f32 - 5.0 * (k + 1) as f32).collect();
        host.forward(&v, &shape).unwrap();
        let t = b.upload(&v, &shape).unwrap();
        let mut out = b.upload_data(HostData::I32(vec![0; channel_words(3)]), &[channel_words(3)]).unwrap();
        b.aminmax_per_channel_into(&t, 1, &mut out, 0).unwrap();
        let s = ChannelStats::decode(&words(b, &out).await);
        dev.forward_channel_min_max(s.min, s.max).unwrap();
    }
    assert_eq!(dev, host, "{}: per-channel observer", b.name());
}

/// (GPU) The readbacks of one calibration run: MinMax-type observers read their statistics
/// once per run (one read per observer), Histogram observers once per batch for all of them
/// together (the grown range) plus once per observer for the counts. Checked on the page's
/// MLP (spiral 2-16-16-2, 128 samples in batches of 32) and on the eager MLP fixture's model.
pub async fn calibration_reads_back_once_per_observer_and_once_per_batch_for_histograms(g: &GpuBackend) {
    let mut rng = Rng::new(4);
    let sizes = [2usize, 16, 16, 2];
    let w: Vec<Vec<f32>> =
        sizes.windows(2).map(|s| (0..s[0] * s[1]).map(|_| rng.uniform(-1.0, 1.0)).collect()).collect();
    let bias: Vec<Vec<f32>> = sizes.windows(2).map(|s| vec![0.1; s[1]]).collect();
    let page = mlp_model(&sizes, &w, &bias).unwrap();
    let page = fuse_modules(&page, &page.fuse).unwrap();
    let px: Vec<f32> = rng.uniform_vec(128 * 2, -2.0, 2.0);
    let file: Value = serde_json::from_str(MLP).unwrap();
    let case = &file["cases"][0];
    let fx = model_of(&file, case);
    let (fxx, fxs) = tensor(field(&file, case, "calib"));
    for (name, m, x, shape, batch) in
        [("page MLP 2-16-16-2", &page, &px, vec![128, 2], 32), ("eager_mlp fixture", &fx, &fxx, fxs, 8)]
    {
        let batches = shape[0].div_ceil(batch);
        for observer in ["minmax", "moving_average", "histogram"] {
            let before = g.readback_count();
            let p = calibrate(g, m, observer, x, &shape, batch).await;
            let reads = g.readback_count() - before;
            let obs = p.observers.len() as u64;
            let want = if observer == "histogram" { batches as u64 + obs } else { obs };
            println!(
                "CALIBRATION_READBACKS {name} {observer}: {batches} batches, {obs} observers: {reads} readbacks \
                 (reading every observed output, as before: {})",
                batches as u64 * obs
            );
            assert_eq!(reads, want, "{name} {observer}: {batches} batches × {obs} observers");
        }
    }
}

/// An inf that appears only in a later batch (a sample of 3e38s overflows a Linear) is
/// the same named error on every backend, although the statistics of that batch are read only
/// at the end of the run; the observers hold exactly the batches before it.
pub async fn an_overflow_in_a_later_batch_is_named_and_the_earlier_batches_stay_observed<B: Backend>(b: &B) {
    let m = integer_mlp();
    let (n, d, batch) = (48, 4, 16);
    let mut x = integer_data(n, d, batch);
    for v in &mut x[(2 * batch + 1) * d..(2 * batch + 2) * d] {
        *v = 3e38; // one sample of the third batch: |Σ w·x| overflows f32
    }
    for observer in ["minmax", "moving_average", "histogram"] {
        let dict = QConfigDict { observer: Some(observer.into()), ..Default::default() };
        let mut mm = m.clone();
        mm.root.qconfig = QConfigAttr::Named("x86".into());
        let (mut p, mut want, mut reference) =
            (prepare(&mm, &dict).unwrap(), prepare(&mm, &dict).unwrap(), prepare(&mm, &dict).unwrap());
        let e = p.calibrate_on(b, &x, &[n, d], batch).await.unwrap_err().to_string();
        let e_ref = reference.calibrate_on(&CpuReference, &x, &[n, d], batch).await.unwrap_err().to_string();
        assert_eq!(e, e_ref, "{}: {observer}", b.name());
        assert!(e.contains("output contains") && e.contains("inf at index") && e.contains("during calibration"), "{e}");
        want.calibrate_on(&CpuReference, &x[..2 * batch * d], &[2 * batch, d], batch).await.unwrap();
        assert_eq!(p.batches_observed, 2, "{}: {observer}", b.name());
        for (path, o) in &want.observers {
            assert_eq!(qparams(&p.observers[path]), qparams(o), "{}: {observer} at {path}", b.name());
        }
    }
}
