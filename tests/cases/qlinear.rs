//! Parity and golden bodies for the quantized Linear: output codes must equal the CPU reference
//! and torch's `quantized::linear(_relu)` (engine fbgemm) exactly, on every backend and on both
//! GPU int8 paths.

use super::fixture::{f32_of, f32s, i32_of, i32s, i8s, u8s, usize_of};
use quantplay::backend::gpu::Int8Path;
use quantplay::prelude::*;
use quantplay::quant::{QLinearSpec, QParams, QuantDType};
use quantplay::rules::rng::Rng;
use quantplay::{CpuReference, GpuBackend, HostData};

const QLINEAR: &str = include_str!("../fixtures/qlinear.json");

fn codes(data: HostData) -> Vec<i32> {
    match data {
        HostData::U8(v) => v.into_iter().map(i32::from).collect(),
        HostData::I8(v) => v.into_iter().map(i32::from).collect(),
        other => panic!("expected codes, got {:?}", other.dtype()),
    }
}

/// Random (x, w, spec) for shape (m, k, n); `variant` picks per-channel, bias and relu.
fn random_case(m: usize, k: usize, n: usize, variant: usize, seed: u64) -> (Vec<u8>, Vec<i8>, QLinearSpec) {
    let mut rng = Rng::new(seed);
    let x: Vec<u8> = (0..m * k).map(|_| (rng.next_u64() % 256) as u8).collect();
    let w: Vec<i8> = (0..n * k).map(|_| (rng.next_u64() % 256) as u8 as i8).collect();
    let w_q = if variant.is_multiple_of(2) {
        QParams::PerTensor { scale: rng.uniform(0.001, 0.01), zero_point: 0, dtype: QuantDType::QInt8 }
    } else {
        QParams::PerChannel {
            scales: rng.uniform_vec(n, 0.001, 0.01),
            zero_points: (0..n).map(|j| (j as i32 % 7) - 3).collect(),
            axis: 0,
            dtype: QuantDType::QInt8,
        }
    };
    let spec = QLinearSpec {
        x_scale: 4.0 / 255.0,
        x_zero_point: (rng.next_u64() % 256) as i32,
        w: w_q,
        bias: (!variant.is_multiple_of(3)).then(|| rng.uniform_vec(n, -0.5, 0.5)),
        // Small enough that the outputs use the whole range and clamp at both ends.
        out_scale: rng.uniform(0.02, 0.2) * (k as f32).sqrt() * 0.05,
        out_zero_point: (rng.next_u64() % 256) as i32,
        relu: variant % 4 == 3,
    };
    (x, w, spec)
}

async fn run<B: Backend>(b: &B, x: &[u8], w: &[i8], m: usize, k: usize, n: usize, spec: &QLinearSpec) -> Vec<i32> {
    let xt = b.upload_data(HostData::U8(x.to_vec()), &[m, k]).unwrap();
    let wt = b.upload_data(HostData::I8(w.to_vec()), &[n, k]).unwrap();
    codes(b.read_data(&b.quantized_linear(&xt, &wt, spec).unwrap()).await.unwrap())
}

const SHAPES: [(usize, usize, usize); 6] = [(1, 1, 1), (3, 5, 7), (4, 8, 4), (17, 33, 9), (32, 784, 10), (9, 64, 130)];

pub async fn quantized_linear_agrees_bit_for_bit_with_the_cpu<B: Backend>(b: &B) {
    let cpu = CpuReference;
    for (i, &(m, k, n)) in SHAPES.iter().enumerate() {
        for variant in 0..4 {
            let (x, w, spec) = random_case(m, k, n, variant, 600 + 10 * i as u64 + variant as u64);
            let got = run(b, &x, &w, m, k, n, &spec).await;
            let want = run(&cpu, &x, &w, m, k, n, &spec).await;
            assert_eq!(got, want, "{} quantized_linear ({m}, {k}) x ({n}, {k}) {spec:?}", b.name());
            let spread = want.iter().collect::<std::collections::BTreeSet<_>>().len();
            assert!(m * n < 8 || spread > 2, "test data should spread over many codes: {spread}");
        }
    }
}

pub async fn quantized_linear_matches_torch_fbgemm<B: Backend>(b: &B) {
    let fx: serde_json::Value = serde_json::from_str(QLINEAR).unwrap();
    let cases = fx["cases"].as_array().unwrap();
    assert!(cases.len() >= 20);
    for c in cases {
        let (m, k, n) = (usize_of(&c["m"]), usize_of(&c["k"]), usize_of(&c["n"]));
        let w = if c["per_channel"].as_bool().unwrap() {
            QParams::PerChannel {
                scales: f32s(&c["w_scales_f32_bits"]),
                zero_points: vec![0; n],
                axis: 0,
                dtype: QuantDType::QInt8,
            }
        } else {
            QParams::PerTensor { scale: f32_of(&c["w_scale_f32_bits"]), zero_point: 0, dtype: QuantDType::QInt8 }
        };
        let spec = QLinearSpec {
            x_scale: f32_of(&c["x_scale_f32_bits"]),
            x_zero_point: i32_of(&c["x_zero_point"]),
            w,
            bias: (!c["bias_f32_bits"].is_null()).then(|| f32s(&c["bias_f32_bits"])),
            out_scale: f32_of(&c["out_scale_f32_bits"]),
            out_zero_point: i32_of(&c["out_zero_point"]),
            relu: c["relu"].as_bool().unwrap(),
        };
        let (x, wq, want) = (u8s(&c["x_q"]), i8s(&c["w_q"]), i32s(&c["y_q"]));
        assert_eq!(
            run(b, &x, &wq, m, k, n, &spec).await,
            want,
            "{} vs torch {} quantized.linear, {spec:?}",
            b.name(),
            fx["torch"]
        );
    }
}

/// GPU only: the byte-wise and dot4I8Packed kernels give the same codes wherever both apply.
pub async fn both_gpu_int8_paths_agree(g: &GpuBackend) {
    assert!(g.info().packed_int8_dot, "this adapter lacks dot4I8Packed; only the byte path can run: {:?}", g.info());
    for (i, &(m, k, n)) in SHAPES.iter().filter(|s| s.1 % 4 == 0).enumerate() {
        for variant in 0..4 {
            let (x, w, spec) = random_case(m, k, n, variant, 700 + 10 * i as u64 + variant as u64);
            let xt = g.upload_data(HostData::U8(x), &[m, k]).unwrap();
            let wt = g.upload_data(HostData::I8(w), &[n, k]).unwrap();
            let bytes =
                codes(g.read_data(&g.quantized_linear_with(&xt, &wt, &spec, Int8Path::Bytes).unwrap()).await.unwrap());
            let dot4 =
                codes(g.read_data(&g.quantized_linear_with(&xt, &wt, &spec, Int8Path::Dot4).unwrap()).await.unwrap());
            assert_eq!(bytes, dot4, "({m}, {k}) x ({n}, {k}) {spec:?}");
        }
    }
    let xt = g.upload_data(HostData::U8(vec![0; 6]), &[2, 3]).unwrap();
    let wt = g.upload_data(HostData::I8(vec![0; 6]), &[2, 3]).unwrap();
    let spec = random_case(2, 3, 2, 0, 1).2;
    let msg = g.quantized_linear_with(&xt, &wt, &spec, Int8Path::Dot4).unwrap_err().to_string();
    assert!(msg.contains("in_features % 4 == 0, got 3"), "{msg}");
}
