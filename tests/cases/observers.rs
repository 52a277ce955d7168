//! Observers, qconfigs and FakeQuantize state against torch 2.15 (`tests/fixtures/observers.json`,
//! written by `gen_observers.py`): min/max, histograms, scale and zero_point bit for bit, plus the
//! named errors and warnings. Pure host numerics: the bodies take no backend and run once per
//! target (natively and on wasm32 in node), through `host_cases!`.

use super::fixture::{f32_of, f32s, i64s, shape, u32_of, u32s, u64_of, usize_of};
use quantplay::quant::observer::aten::{cumsum, histc, linspace, torch_sum};
use quantplay::quant::observer::{clip_fraction, Observer, ObserverArgs, QScheme};
use quantplay::quant::qconfig::{ObserverKind, ObserverSpec};
use quantplay::quant::{QParams, QuantDType};
use serde_json::Value;

const OBSERVERS: &str = include_str!("../fixtures/observers.json");

pub(super) fn fixture() -> Value {
    serde_json::from_str(OBSERVERS).unwrap()
}

/// The generator's digest: `h = h * 1000003 + bits (mod 2^64)`, as a decimal string.
pub(super) fn checksum(values: &[f32]) -> String {
    values.iter().fold(0u64, |h, v| h.wrapping_mul(1000003).wrapping_add(v.to_bits() as u64)).to_string()
}

/// The generator's `lcg_values(n, seed)`: exact f32 values `(m − 1.5)·2^k`.
pub(super) fn lcg_values(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed;
    let mut next = || {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        s
    };
    (0..n)
        .map(|_| {
            let m = 1.0 + (next() >> 41) as f64 / (1u64 << 23) as f64;
            let k = ((next() >> 59) % 25) as i32 - 12;
            ((m - 1.5) * 2f64.powi(k)) as f32
        })
        .collect()
}

/// The generator's `lcg_uniform(n, seed)`: exact f32 values in [-0.5, 0.5).
pub(super) fn lcg_uniform(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 41) as f64 / (1u64 << 23) as f64 - 0.5) as f32
        })
        .collect()
}

/// The generator's `recipe_batches`: calibration-sized batches rebuilt from a recipe, bit for bit.
pub(super) fn recipe_batches(r: &Value) -> Vec<Vec<f32>> {
    let n = usize_of(&r["n"]);
    let seed = u64_of(&r["seed"]);
    let relu = r["relu"].as_bool().unwrap();
    let (scales, shifts) = (r["scales"].as_array().unwrap(), r["shifts"].as_array().unwrap());
    scales
        .iter()
        .zip(shifts)
        .enumerate()
        .map(|(b, (sc, sh))| {
            let u: Vec<Vec<f32>> = (0..4).map(|i| lcg_uniform(n, seed + 4 * b as u64 + i)).collect();
            let (sc, sh) = (sc.as_f64().unwrap() as f32, sh.as_f64().unwrap() as f32);
            (0..n)
                .map(|j| {
                    let x = ((u[0][j] + u[1][j]) + u[2][j]) + u[3][j];
                    let x = if relu { x.max(0.0) } else { x };
                    x * sc + sh
                })
                .collect()
        })
        .collect()
}

pub(super) fn kind_of(name: &str) -> ObserverKind {
    serde_json::from_value(Value::String(name.into())).unwrap()
}

pub(super) fn spec_of(case: &Value) -> ObserverSpec {
    let a = case["args"].as_array().unwrap();
    let args = ObserverArgs {
        dtype: QuantDType::parse(a[0].as_str().unwrap()).unwrap(),
        qscheme: QScheme::parse(a[1].as_str().unwrap()).unwrap(),
        reduce_range: a[2].as_bool().unwrap(),
        quant_min: a[3].as_i64().map(|v| v as i32),
        quant_max: a[4].as_i64().map(|v| v as i32),
        ..ObserverArgs::default()
    };
    let mut spec = ObserverSpec::new(kind_of(case["observer"].as_str().unwrap()), args);
    spec.ch_axis = a[5].as_u64().unwrap_or(0) as usize;
    spec
}

pub(super) fn scales_and_zps(q: &QParams) -> (Vec<f32>, Vec<i64>) {
    match q {
        QParams::PerTensor { scale, zero_point, .. } => (vec![*scale], vec![*zero_point as i64]),
        QParams::PerChannel { scales, zero_points, .. } => {
            (scales.clone(), zero_points.iter().map(|&z| z as i64).collect())
        }
    }
}

pub fn observers_match_torch_bit_for_bit() {
    let fx = fixture();
    let datasets = &fx["cases"]["datasets"];
    let recipes: std::collections::HashMap<&str, Vec<Vec<f32>>> =
        fx["cases"]["recipes"].as_object().unwrap().iter().map(|(k, r)| (k.as_str(), recipe_batches(r))).collect();
    let cases = fx["cases"]["cases"].as_array().unwrap();
    assert!(cases.len() >= 200, "fixture has {} cases", cases.len());
    let mut kinds = std::collections::BTreeSet::new();
    let mut from_recipes = 0;
    for case in cases {
        let spec = spec_of(case);
        let what = format!("{} {:?} on {}", case["observer"], case["args"], case["dataset"]);
        let mut obs = spec.build().unwrap_or_else(|e| panic!("{what}: {e}"));
        let name = case["dataset"].as_str().unwrap();
        match recipes.get(name) {
            Some(batches) => {
                from_recipes += 1;
                batches.iter().for_each(|x| obs.forward(x, &[x.len()]).unwrap())
            }
            None => {
                for batch in datasets[name].as_array().unwrap() {
                    obs.forward(&f32s(&batch["data"]), &shape(&batch["shape"])).unwrap();
                }
            }
        }
        kinds.insert(obs.kind());
        let bits = |v: Vec<f32>| v.into_iter().map(f32::to_bits).collect::<Vec<_>>();
        // Bit-exact, except that the sign of a zero min/max (a channel of ±0) follows torch's
        // vectorized reduction order, which is not reproduced; it never changes the qparams.
        let unsign = |b: Vec<u32>| b.into_iter().map(|b| if b == 0x8000_0000 { 0 } else { b }).collect::<Vec<_>>();
        assert_eq!(unsign(bits(obs.min_val())), unsign(u32s(&case["min_val"])), "{what}: min_val");
        assert_eq!(unsign(bits(obs.max_val())), unsign(u32s(&case["max_val"])), "{what}: max_val");
        if let Observer::Histogram(h) = &obs {
            assert_eq!(torch_sum(&h.histogram).to_bits(), u32_of(&case["histogram_sum"]), "{what}: histogram sum");
            assert_eq!(checksum(&h.histogram), case["histogram_checksum"].as_str().unwrap(), "{what}: histogram bins");
            let (lo, hi) = h.non_linear_param_search();
            assert_eq!(
                vec![lo.to_bits(), hi.to_bits()],
                u32s(&case["search"]),
                "{what}: _non_linear_param_search ({lo}, {hi})"
            );
        }
        let c = obs.calculate_qparams().unwrap();
        assert!(c.warning.is_none(), "{what}: unexpected warning");
        let (scales, zps) = scales_and_zps(&c.qparams);
        let want_zp = i64s(&case["zero_point"]);
        assert_eq!(
            bits(scales.clone()),
            u32s(&case["scale"]),
            "{what}: scale {scales:?} vs {:?}",
            f32s(&case["scale"])
        );
        assert_eq!(zps, want_zp, "{what}: zero_point");
    }
    assert_eq!(kinds.len(), 5, "every observer class is covered: {kinds:?}");
    assert_eq!(from_recipes, 27, "calibration-sized cases (8 batches of 4096, ...) ran");
}

pub fn histogram_primitives_match_torch_sum_linspace_and_histc() {
    let fx = fixture();
    let p = &fx["primitives"];
    for s in p["sums"].as_array().unwrap() {
        let x = lcg_values(usize_of(&s["n"]), u64_of(&s["seed"]));
        assert_eq!(x.last().unwrap().to_bits(), u32_of(&s["check"]), "lcg_values regenerates the fixture's data");
        let got = torch_sum(&x);
        assert_eq!(got.to_bits(), u32_of(&s["sum"]), "torch.sum of {} values: {got} vs {}", x.len(), f32_of(&s["sum"]));
    }
    for l in p["linspace"].as_array().unwrap() {
        let (a, b) = (f32_of(&l["start"]), f32_of(&l["end"]));
        let v = linspace(a as f64, b as f64, usize_of(&l["steps"]));
        assert_eq!(v[..4].iter().map(|x| x.to_bits()).collect::<Vec<_>>(), u32s(&l["head"]), "linspace({a}, {b}) head");
        assert_eq!(checksum(&v), l["checksum"].as_str().unwrap(), "linspace({a}, {b}, {})", v.len());
    }
    for h in p["histc"].as_array().unwrap() {
        let x = lcg_values(usize_of(&h["n"]), u64_of(&h["seed"]));
        let got = histc(&x, usize_of(&h["bins"]), f32_of(&h["min"]), f32_of(&h["max"]));
        assert_eq!(checksum(&got), h["checksum"].as_str().unwrap(), "histc bins {}", got.len());
    }
    // cumsum accumulates in double: 2^24 + 1 + 1 is exact there, not in f32.
    assert_eq!(cumsum(&[16777216.0, 1.0, 1.0]), vec![16777216.0, 16777216.0, 16777218.0]);
}

pub fn observer_errors_and_warnings_name_the_bad_value() {
    let minmax = |args: ObserverArgs| ObserverSpec::new(ObserverKind::MinMaxObserver, args).build();
    // Custom ranges: contains 0, qmin < qmax, at most 256 values.
    for (lo, hi, needle) in [(1, 10, "include 0"), (0, 0, "strictly less"), (-200, 100, "256")] {
        let e = minmax(ObserverArgs { quant_min: Some(lo), quant_max: Some(hi), ..ObserverArgs::default() })
            .unwrap_err()
            .to_string();
        assert!(e.contains(needle) && e.contains(&format!("quant_min={lo}")), "{e}");
    }
    let e =
        minmax(ObserverArgs { qscheme: QScheme::PerTensorSymmetric, reduce_range: true, ..ObserverArgs::default() })
            .unwrap_err()
            .to_string();
    assert!(e.contains("symmetric") && e.contains("quint8"), "{e}");
    let e =
        minmax(ObserverArgs { qscheme: QScheme::PerChannelAffine, ..ObserverArgs::default() }).unwrap_err().to_string();
    assert!(e.contains("per_channel_affine") && e.contains("per_tensor_affine"), "{e}");
    // NaN / inf in calibration data name the observer.
    for kind in
        [ObserverKind::MinMaxObserver, ObserverKind::MovingAverageMinMaxObserver, ObserverKind::HistogramObserver]
    {
        let mut o = ObserverSpec::new(kind, ObserverArgs::default()).build().unwrap();
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let e = o.forward(&[0.5, bad], &[2]).unwrap_err().to_string();
            assert!(e.contains(&format!("{kind:?}")) && e.contains("index 1"), "{e}");
            let mut long = vec![0.25f32; 21];
            long[13] = bad;
            let e = o.forward(&long, &[21]).unwrap_err().to_string();
            assert!(e.contains("index 13"), "{e}");
        }
    }
    // Never calibrated: torch's warning and scale 1.0, zero point 0; an empty batch changes nothing.
    for kind in [ObserverKind::MinMaxObserver, ObserverKind::HistogramObserver, ObserverKind::PerChannelMinMaxObserver]
    {
        let args = if kind == ObserverKind::PerChannelMinMaxObserver {
            ObserverArgs::default().with_qscheme(QScheme::PerChannelAffine)
        } else {
            ObserverArgs::default()
        };
        let mut o = ObserverSpec::new(kind, args).build().unwrap();
        o.forward(&[], &[0, 3]).unwrap();
        let c = o.calculate_qparams().unwrap();
        assert_eq!(c.qparams, QParams::PerTensor { scale: 1.0, zero_point: 0, dtype: QuantDType::QUInt8 });
        assert!(c.warning.unwrap().message.contains("must run observer before calling calculate_qparams"));
    }
    // min > max (e.g. a corrupted state) is an error naming both values.
    let mut o = quantplay::quant::observer::MinMaxObserver::new(ObserverArgs::default()).unwrap();
    (o.min, o.max) = (2.0, 1.0);
    let e = o.calculate_qparams().unwrap_err().to_string();
    assert!(e.contains("min 2") && e.contains("max 1"), "{e}");
    // Shape mismatches.
    let mut o = ObserverSpec::new(
        ObserverKind::PerChannelMinMaxObserver,
        ObserverArgs { dtype: QuantDType::QInt8, qscheme: QScheme::PerChannelSymmetric, ..ObserverArgs::default() },
    )
    .build()
    .unwrap();
    assert!(o.forward(&[1.0; 5], &[2, 3]).unwrap_err().to_string().contains("(2, 3)"));
    o.forward(&[1.0; 6], &[2, 3]).unwrap();
    assert!(o.forward(&[1.0; 6], &[3, 2]).unwrap_err().to_string().contains("3 channels"));
    assert!(ObserverSpec::new(ObserverKind::PlaceholderObserver, ObserverArgs::default())
        .build()
        .unwrap()
        .calculate_qparams()
        .is_err());
}

pub fn clip_fraction_counts_values_outside_the_code_range() {
    // scale 0.1, zp 0, codes 0..=127 cover [0, 12.7]: -1 and 13 clip, 0 and 12.7 do not.
    let q = QParams::PerTensor { scale: 0.1, zero_point: 0, dtype: QuantDType::QUInt8 };
    assert_eq!(clip_fraction(&[-1.0, 0.0, 5.0, 12.7, 13.0], &[5], &q, 0, 127), 0.4);
    // MinMax never clips its own calibration data (its max may sit above (qmax − zp)·scale by an
    // f32 rounding, but its code is qmax); the histogram's L2 search may trim thin tails, a little.
    let mut rng = quantplay::rules::rng::Rng::new(9);
    let x: Vec<f32> = (0..4000).map(|_| (0..4).map(|_| rng.uniform(-1.0, 1.0)).sum::<f32>()).collect();
    for kind in [ObserverKind::MinMaxObserver, ObserverKind::HistogramObserver] {
        let mut o = ObserverSpec::new(kind, ObserverArgs::default()).build().unwrap();
        o.forward(&x, &[x.len()]).unwrap();
        let q = o.calculate_qparams().unwrap().qparams;
        let f = clip_fraction(&x, &[x.len()], &q, 0, 255);
        if kind == ObserverKind::MinMaxObserver {
            assert_eq!(f, 0.0)
        } else {
            assert!(f < 0.01, "histogram clips {f}")
        }
    }
}
