//! Bodies for the MLP's fp32 training (`nn::mlp`): the loss falls on circle and digits, the
//! trajectory agrees with the CPU reference within its named budget, and the first losses match
//! torch (`tests/fixtures/mlp.json`).

use super::assert_agrees;
use super::fixture;
use quantplay::nn::{AdamConfig, SgdConfig};
use quantplay::prelude::*;
use quantplay::{CpuReference, HostData};

fn mlp_data<B: Backend>(b: &B, name: &str, samples: usize) -> (B::Tensor, B::Tensor, usize, usize, usize) {
    let d = quantplay::data::load(name, samples, 0.0, 7).unwrap();
    let n = d.len().min(samples);
    let x = b.upload(&d.x[..n * d.d], &[n, d.d]).unwrap();
    let y = b.upload_data(HostData::I32(d.y[..n].to_vec()), &[n]).unwrap();
    (x, y, n, d.d, d.classes)
}

/// Full-batch training steps; returns the losses read after every step.
async fn train<B: Backend>(
    b: &B,
    name: &str,
    samples: usize,
    hidden: &[usize],
    opt: quantplay::nn::mlp::Optimizer,
    steps: usize,
) -> Vec<f32> {
    let (x, y, _, d, classes) = mlp_data(b, name, samples);
    let sizes: Vec<usize> = std::iter::once(d).chain(hidden.iter().copied()).chain(std::iter::once(classes)).collect();
    let mut mlp = quantplay::nn::mlp::Mlp::new(b, &sizes, 3).unwrap();
    let mut losses = Vec::new();
    for _ in 0..steps {
        let out = mlp.train_step(b, &x, &y, &opt).unwrap();
        losses.push(b.read(&out.loss).await.unwrap()[0]);
    }
    losses
}

pub async fn mlp_training_lowers_the_loss_on_circle_and_digits<B: Backend>(b: &B) {
    use quantplay::nn::mlp::Optimizer;
    let adam = Optimizer::Adam(AdamConfig { lr: 0.03, ..Default::default() });
    let circle = train(b, "circle", 200, &[16, 16], adam, 60).await;
    assert!(circle[59] < 0.5 * circle[0], "{} circle: {} → {}", b.name(), circle[0], circle[59]);
    let sgd = Optimizer::Sgd(SgdConfig { lr: 0.5, momentum: 0.9, ..Default::default() });
    let digits = train(b, "digits", 600, &[32], sgd, 25).await;
    assert!(digits[24] < 0.6 * digits[0], "{} digits: {} → {}", b.name(), digits[0], digits[24]);
    assert!(digits.iter().all(|l| l.is_finite()));
}

pub async fn mlp_loss_trajectory_agrees_with_the_cpu_reference<B: Backend>(b: &B) {
    use quantplay::nn::mlp::Optimizer;
    let cpu = CpuReference;
    for opt in [
        Optimizer::Adam(AdamConfig { lr: 0.01, ..Default::default() }),
        Optimizer::Sgd(SgdConfig { lr: 0.1, momentum: 0.9, ..Default::default() }),
    ] {
        let got = train(b, "spiral", 120, &[16, 16], opt, 10).await;
        let want = train(&cpu, "spiral", 120, &[16, 16], opt, 10).await;
        assert_agrees(
            &format!("{} spiral losses with {opt:?}", b.name()),
            &got,
            &want,
            quantplay::parity::F32_TRAINING_LOSS,
        );
    }
}

const MLP: &str = include_str!("../fixtures/mlp.json");

/// The MLP's first 10 fp32 losses equal torch's (same init, data, optimizer) within
/// F32_TRAINING_LOSS: checks forward, backward and the optimizers end to end.
pub async fn mlp_losses_match_torch<B: Backend>(b: &B) {
    use quantplay::nn::mlp::{Mlp, Optimizer};
    let fx: serde_json::Value = serde_json::from_str(MLP).unwrap();
    let sizes = fixture::shape(&fx["sizes"]);
    let x = fixture::f32s(&fx["x"]);
    let labels = fixture::i32s(&fx["y"]);
    let n = labels.len();
    let (xt, yt) = (b.upload(&x, &[n, sizes[0]]).unwrap(), b.upload_data(HostData::I32(labels), &[n]).unwrap());
    let layers = sizes.len() - 1;
    let p = |key: String| fixture::f32s(&fx["params"][key]);
    let weights: Vec<Vec<f32>> = (0..layers).map(|l| p(format!("{}.weight", 2 * l))).collect();
    let biases: Vec<Vec<f32>> = (0..layers).map(|l| p(format!("{}.bias", 2 * l))).collect();
    for run in fx["runs"].as_array().unwrap() {
        let c = &run["config"];
        let opt = if run["kind"] == "sgd" {
            Optimizer::Sgd(SgdConfig {
                lr: c["lr"].as_f64().unwrap(),
                momentum: c["momentum"].as_f64().unwrap(),
                ..Default::default()
            })
        } else {
            Optimizer::Adam(AdamConfig { lr: c["lr"].as_f64().unwrap(), ..Default::default() })
        };
        let mut mlp = Mlp::from_params(b, &sizes, &weights, &biases).unwrap();
        let mut got = Vec::new();
        for _ in 0..10 {
            got.push(b.read(&mlp.train_step(b, &xt, &yt, &opt).unwrap().loss).await.unwrap()[0]);
        }
        assert_agrees(
            &format!("{} vs torch {} losses {got:?}", b.name(), run["kind"]),
            &got,
            &fixture::f32s(&run["losses"]),
            quantplay::parity::F32_TRAINING_LOSS,
        );
        assert!(got[9] < got[0], "the loss must fall: {got:?}");
    }
}
