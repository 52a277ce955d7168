//! Calibration on a backend against the CPU reference on real models (issue 11): every eager
//! fixture model (tests/fixtures/eager_*.json, calibrated batch by batch as torch's `run_fn`)
//! and the page's trained MLPs, with each observer kind; the activation qparams must stay
//! within `parity::GPU_CALIBRATION_QPARAMS`, and the measured differences are printed
//! (`CALIBRATION_QPARAMS …` lines, the figures in that constant's doc comment).

use super::calib_device::{calibrate, qparams};
use super::eager::{field, model_of, BOUNDARIES, CNN, MLP, NESTED};
use super::fixture::{tensor, usize_of};
use quantplay::model::fuse::fuse_modules;
use quantplay::model::mlp_model;
use quantplay::prelude::*;
use quantplay::quant::eager::{prepare, Prepared, QConfigDict};
use quantplay::{CpuReference, QParams};
use serde_json::Value;

/// How far one calibration's activation qparams are from another's.
#[derive(Debug, Default, Clone, Copy)]
pub struct QParamsDiff {
    /// Activation observers compared.
    pub observers: usize,
    /// Of those, how many got another scale.
    pub scale_differs: usize,
    /// The largest scale difference, in ulps.
    pub max_scale_ulps: u32,
    /// How many got another zero point.
    pub zero_point_differs: usize,
    /// The largest zero-point difference.
    pub max_zero_point: i32,
}

impl QParamsDiff {
    fn add(&mut self, a: &QParams, b: &QParams) {
        let (
            QParams::PerTensor { scale: sa, zero_point: za, .. },
            QParams::PerTensor { scale: sb, zero_point: zb, .. },
        ) = (a, b)
        else {
            panic!("per-tensor activation qparams expected: {a:?} {b:?}")
        };
        let ulps = (sa.to_bits() as i64 - sb.to_bits() as i64).unsigned_abs() as u32;
        self.observers += 1;
        self.scale_differs += (ulps != 0) as usize;
        self.max_scale_ulps = self.max_scale_ulps.max(ulps);
        self.zero_point_differs += (za != zb) as usize;
        self.max_zero_point = self.max_zero_point.max((za - zb).abs());
    }

    fn merge(&mut self, o: QParamsDiff) {
        self.observers += o.observers;
        self.scale_differs += o.scale_differs;
        self.max_scale_ulps = self.max_scale_ulps.max(o.max_scale_ulps);
        self.zero_point_differs += o.zero_point_differs;
        self.max_zero_point = self.max_zero_point.max(o.max_zero_point);
    }
}

fn diff_of(a: &Prepared, b: &Prepared) -> QParamsDiff {
    let mut d = QParamsDiff::default();
    for (path, o) in &b.observers {
        d.add(&qparams(&a.observers[path]), &qparams(o));
    }
    d
}

/// The eager fixture cases calibrated on `b` and on the CPU reference, batch by batch as
/// torch's `run_fn` does: the qparams difference per fixture file.
pub async fn fixture_calibration_diffs<B: Backend>(b: &B) -> Vec<(&'static str, QParamsDiff)> {
    let mut out = vec![];
    for (name, text) in
        [("eager_mlp", MLP), ("eager_cnn", CNN), ("eager_nested", NESTED), ("eager_boundaries", BOUNDARIES)]
    {
        let file: Value = serde_json::from_str(text).unwrap();
        let mut total = QParamsDiff::default();
        for case in file["cases"].as_array().unwrap() {
            let m = model_of(&file, case);
            let dict = QConfigDict {
                observer: case["config"]["observer"].as_str().map(String::from),
                per_tensor_weights: case["config"]["per_tensor"].as_bool().unwrap_or(false),
                ..Default::default()
            };
            let (x, shape) = tensor(field(&file, case, "calib"));
            let run_fn = field(&file, case, "run_fn");
            let (bs, n) = (usize_of(&run_fn["batch_size"]), usize_of(&run_fn["batches"]));
            let per = x.len() / shape[0];
            let (mut pg, mut pc) = (prepare(&m, &dict).unwrap(), prepare(&m, &dict).unwrap());
            for i in 0..n {
                let mut s = shape.clone();
                s[0] = bs;
                let xb = &x[i * bs * per..(i + 1) * bs * per];
                pg.observe_on(b, xb, &s).await.unwrap();
                pc.observe_on(&CpuReference, xb, &s).await.unwrap();
            }
            total.merge(diff_of(&pg, &pc));
        }
        out.push((name, total));
    }
    out
}

/// The page's models (trained MLPs on spiral and digits, as `eager_page.rs` trains them)
/// calibrated with 128 samples in batches of 32 on `b` and on the CPU reference, with each
/// observer kind: the qparams difference per dataset.
pub async fn page_calibration_diffs<B: Backend>(b: &B) -> Vec<(String, QParamsDiff)> {
    let mut out = vec![];
    for (name, hidden, steps) in
        [("spiral", vec![16, 16], 600), ("circle", vec![16, 16], 300), ("digits", vec![32], 300)]
    {
        let (sizes, w, bias, train, _) = super::eager_page::trained(name, &hidden, steps).await;
        let m = mlp_model(&sizes, &w, &bias).unwrap();
        let m = fuse_modules(&m, &m.fuse).unwrap();
        let (n, d) = (128.min(train.len()), sizes[0]);
        for observer in ["minmax", "moving_average", "histogram"] {
            let g = calibrate(b, &m, observer, &train.x[..n * d], &[n, d], 32).await;
            let c = calibrate(&CpuReference, &m, observer, &train.x[..n * d], &[n, d], 32).await;
            out.push((format!("{name} {observer}"), diff_of(&g, &c)));
        }
    }
    out
}

/// Calibration on `b` keeps every eager fixture model's and the page's models' activation
/// qparams within `parity::GPU_CALIBRATION_QPARAMS` of the CPU reference's (the float
/// forward's summation order is the only difference; the statistics themselves are exact).
pub async fn calibration_on_the_backend_keeps_qparams_within_the_named_budget<B: Backend>(b: &B) {
    let budget = quantplay::parity::GPU_CALIBRATION_QPARAMS;
    let mut all = fixture_calibration_diffs(b).await.into_iter().map(|(n, d)| (n.to_string(), d)).collect::<Vec<_>>();
    all.extend(page_calibration_diffs(b).await);
    for (name, d) in &all {
        println!("CALIBRATION_QPARAMS {} {name}: {d:?}", b.name());
        assert!(d.observers > 0, "{name}: nothing compared");
        assert!(
            d.max_scale_ulps <= budget.scale_ulps && d.max_zero_point <= budget.zero_point,
            "{}: {name}: {d:?} over the budget {budget:?}",
            b.name()
        );
    }
}

/// The page's PTQ JSON with `compare_cpu: true`: on a backend other than the CPU fast path the
/// report carries `calibration_vs_cpu` (per observer both qparams within the budget, and the
/// differing int8 eval codes), on the fast path itself none; without the option none.
pub async fn the_page_json_carries_the_cpu_comparison_when_asked<B: Backend>(b: &B) {
    use quantplay::app::ptq::{options_from_json, run_for_page};
    let (sizes, w, bias, train, test) = super::eager_page::trained("circle", &[8], 100).await;
    let model = mlp_model(&sizes, &w, &bias).unwrap();
    let d = sizes[0];
    for (opts, asked) in [(r#"{"compare_cpu": true, "observer": "histogram"}"#, true), (r#"{}"#, false)] {
        let opt = options_from_json(opts).unwrap();
        let out = run_for_page(b, &model, (&train.x[..64 * d], &[64, d]), (&test.x, &[test.len(), d]), &test.y, &opt)
            .await
            .unwrap();
        let c = &out["report"]["calibration_vs_cpu"];
        if !asked || b.name() == "cpu" {
            assert!(c.is_null(), "{}: {opts}: {c}", b.name());
            continue;
        }
        assert_eq!(c["backend"], b.name());
        let obs = c["observers"].as_array().unwrap();
        assert_eq!(obs.len(), sizes.len(), "QuantStub and every layer: {c}");
        let budget = quantplay::parity::GPU_CALIBRATION_QPARAMS;
        assert!(obs.iter().all(|o| o["scale_ulps"].as_u64().unwrap() <= budget.scale_ulps as u64), "{c}");
        let codes = c["eval_codes"].as_u64().unwrap();
        // Every quantized output's codes: the QuantStub's (the input, sizes[0] per sample) and each layer's.
        assert_eq!(codes, (test.len() * sizes.iter().sum::<usize>()) as u64, "{c}");
        assert!(c["eval_codes_differ"].as_u64().unwrap() <= codes);
    }
    assert!(options_from_json(r#"{"compare_cpu": 1}"#).unwrap_err().to_string().contains("compare_cpu: true or false"));
}
