//! The page's quantize call end to end (the Rust behind `Playground.quantize_mlp`): train a
//! float MLP on spiral and on digits, quantize it with each playground qconfig, and check the
//! int8 model stays within 2 accuracy points of float, with the report, histograms and observer
//! comparison filled in.

use quantplay::app::ptq::{options_from_json, run_for_page};
use quantplay::data;
use quantplay::model::mlp_model;
use quantplay::nn::mlp::{Mlp, Optimizer};
use quantplay::nn::AdamConfig;
use quantplay::prelude::*;
use quantplay::rules::rng::Rng;
use quantplay::{CpuFast, HostData};

/// Trains `sizes` on the CPU fast path with Adam, minibatches of 32, and returns the float MLP
/// (also the page models of `calib_device.rs`).
pub async fn trained(
    name: &str,
    hidden: &[usize],
    steps: usize,
) -> (Vec<usize>, Vec<Vec<f32>>, Vec<Vec<f32>>, data::Dataset, data::Dataset) {
    let cpu = CpuFast;
    let all = data::load(name, 600, 0.1, 3).unwrap();
    let (train, test) = all.split(0.8, 3).unwrap();
    let sizes: Vec<usize> =
        std::iter::once(all.d).chain(hidden.iter().copied()).chain(std::iter::once(all.classes)).collect();
    let mut mlp = Mlp::new(&cpu, &sizes, 3).unwrap();
    let opt = Optimizer::Adam(AdamConfig { lr: 0.01, ..Default::default() });
    let mut rng = Rng::new(5);
    for _ in 0..steps {
        let idx: Vec<usize> = (0..32).map(|_| (rng.next_u64() % train.len() as u64) as usize).collect();
        let x: Vec<f32> = idx.iter().flat_map(|&i| train.x[i * all.d..(i + 1) * all.d].iter().copied()).collect();
        let y: Vec<i32> = idx.iter().map(|&i| train.y[i]).collect();
        mlp.train_step(
            &cpu,
            &cpu.upload(&x, &[32, all.d]).unwrap(),
            &cpu.upload_data(HostData::I32(y), &[32]).unwrap(),
            &opt,
        )
        .unwrap();
    }
    let (w, b) = mlp.params(&cpu).await.unwrap();
    (sizes, w, b, train, test)
}

pub async fn page_quantize_keeps_int8_within_two_points_of_float_on_spiral_and_digits<B: Backend>(b: &B) {
    for (name, hidden, steps) in [("spiral", vec![32, 32], 600), ("digits", vec![32], 300)] {
        let (sizes, w, bias, train, test) = trained(name, &hidden, steps).await;
        let model = mlp_model(&sizes, &w, &bias).unwrap();
        let d = sizes[0];
        let calib_n = 128.min(train.len());
        for qconfig in ["x86", "fbgemm", "qnnpack"] {
            let opt = options_from_json(&format!(r#"{{"qconfig": "{qconfig}", "calib_batch": 32}}"#)).unwrap();
            let out = run_for_page(
                b,
                &model,
                (&train.x[..calib_n * d], &[calib_n, d]),
                (&test.x, &[test.len(), d]),
                &test.y,
                &opt,
            )
            .await
            .unwrap();
            let acc = &out["report"]["accuracy"];
            let (f, q) = (acc["float"].as_f64().unwrap(), acc["int8"].as_f64().unwrap());
            assert!(f > 0.8, "{name}: float accuracy {f} — the model did not train");
            assert!((f - q).abs() <= 0.02, "{}: {name} {qconfig}: float {f} vs int8 {q}", b.name());
            let layers = out["report"]["layers"].as_array().unwrap();
            assert_eq!(layers.len(), sizes.len(), "the QuantStub's Quantize + every Linear");
            assert_eq!(layers[0]["kind"], "Quantize");
            assert!(layers[0]["weight_qscheme"].is_null() && layers[0]["input_scale"].is_null());
            assert!(layers[1..].iter().all(|l| l["bias"].as_array().is_some_and(|b| !b.is_empty())));
            assert!(layers.iter().all(|l| l["sqnr_db"].as_f64().unwrap() > 15.0), "{name} {qconfig}: {layers:?}");
            assert_eq!(out["activations"].as_array().unwrap().len(), sizes.len(), "QuantStub + every layer");
            assert_eq!(out["observers"].as_array().unwrap().len(), 3 * sizes.len());
        }
    }
    let e = options_from_json(r#"{"qconfig": 3}"#).unwrap_err().to_string();
    assert!(e.contains("qconfig") && e.contains("x86"), "{e}");
    assert!(options_from_json(r#"{"colour": "red"}"#).unwrap_err().to_string().contains("calib_batch"));
}
