//! Parity and golden bodies for the dtype-changing ops: f32 ↔ f16 casts and affine
//! quantize / dequantize. Integer codes and f16 bits must match the CPU reference and the
//! committed torch fixtures exactly, on every backend.

use super::fixture::{f16_bits, f32_of, f32s, i32_of, i32s, shape, u32s, usize_of};
use quantplay::prelude::*;
use quantplay::quant::{QParams, QuantDType};
use quantplay::rules::rng::Rng;
use quantplay::{CpuReference, DType, HostData};

const CASTS: &str = include_str!("../fixtures/casts.json");
const QUANTIZE: &str = include_str!("../fixtures/quantize.json");

fn bits(data: &HostData) -> Vec<u32> {
    match data {
        HostData::F32(v) => v.iter().map(|x| x.to_bits()).collect(),
        HostData::F16(v) => v.iter().map(|x| x.to_bits() as u32).collect(),
        HostData::I8(v) => v.iter().map(|&x| x as i32 as u32).collect(),
        HostData::U8(v) => v.iter().map(|&x| x as u32).collect(),
        other => panic!("unexpected {:?}", other.dtype()),
    }
}

fn first_difference(got: &[u32], want: &[u32]) -> Option<(usize, u32, u32)> {
    if got.len() != want.len() {
        return Some((usize::MAX, got.len() as u32, want.len() as u32));
    }
    got.iter().zip(want).enumerate().find(|(_, (g, w))| g != w).map(|(i, (g, w))| (i, *g, *w))
}

async fn run_cast<B: Backend>(b: &B, data: HostData, to: DType) -> HostData {
    let len = data.len();
    let t = b.upload_data(data, &[len]).unwrap();
    b.read_data(&b.cast(&t, to).unwrap()).await.unwrap()
}

pub async fn f16_casts_agree_bit_for_bit_with_the_cpu<B: Backend>(b: &B) {
    let cpu = CpuReference;
    // Random bit patterns cover every exponent, NaN payloads and subnormals; odd length tests
    // the half-filled last word.
    let mut rng = Rng::new(400);
    let x: Vec<f32> = (0..50_001).map(|_| f32::from_bits(rng.next_u64() as u32)).collect();
    let got = run_cast(b, HostData::F32(x.clone()), DType::F16).await;
    let want = run_cast(&cpu, HostData::F32(x), DType::F16).await;
    assert_eq!(first_difference(&bits(&got), &bits(&want)), None, "{} f32 → f16 (index, got, want)", b.name());
    // Every f16 bit pattern back to f32.
    let all: Vec<half::f16> = (0..=u16::MAX).map(half::f16::from_bits).collect();
    let got = run_cast(b, HostData::F16(all.clone()), DType::F32).await;
    let want = run_cast(&cpu, HostData::F16(all), DType::F32).await;
    assert_eq!(first_difference(&bits(&got), &bits(&want)), None, "{} f16 → f32 (index, got, want)", b.name());
}

pub async fn f16_casts_match_torch_half<B: Backend>(b: &B) {
    let fx: serde_json::Value = serde_json::from_str(CASTS).unwrap();
    let x = f32s(&fx["f32"]);
    let want: Vec<u32> = f16_bits(&fx["f16"]).into_iter().map(u32::from).collect();
    let got = run_cast(b, HostData::F32(x), DType::F16).await;
    assert_eq!(
        first_difference(&bits(&got), &want),
        None,
        "{} vs torch {} .half() (index, got, want)",
        b.name(),
        fx["torch"]
    );
}

fn qparams_cases() -> Vec<(Vec<usize>, QParams)> {
    use QuantDType::*;
    vec![
        (vec![1000], QParams::PerTensor { scale: 0.5, zero_point: 128, dtype: QUInt8 }),
        (vec![7, 13], QParams::PerTensor { scale: 0.0213, zero_point: -7, dtype: QInt8 }),
        (vec![3], QParams::PerTensor { scale: 1e-3, zero_point: 0, dtype: QInt8 }),
        (
            vec![4, 6],
            QParams::PerChannel {
                scales: vec![0.01, 0.02, 0.5, 0.031],
                zero_points: vec![0, -3, 5, 127],
                axis: 0,
                dtype: QInt8,
            },
        ),
        (
            vec![2, 5, 3],
            QParams::PerChannel {
                scales: vec![0.1, 0.2, 0.05, 0.3, 0.07],
                zero_points: vec![128, 0, 255, 3, 90],
                axis: 1,
                dtype: QUInt8,
            },
        ),
    ]
}

pub async fn quantize_and_dequantize_agree_bit_for_bit_with_the_cpu<B: Backend>(b: &B) {
    let cpu = CpuReference;
    for (i, (shape, q)) in qparams_cases().into_iter().enumerate() {
        let len: usize = shape.iter().product();
        let mut rng = Rng::new(500 + i as u64);
        // Half-step multiples make exact ties after scaling; ±1e30 exercises the clamp.
        let x: Vec<f32> = (0..len)
            .map(|j| match j % 5 {
                0 => (rng.uniform(-300.0, 300.0)).round() * 0.25,
                1 => {
                    if j % 2 == 0 {
                        1e30
                    } else {
                        -1e30
                    }
                }
                _ => rng.uniform(-3.0, 3.0),
            })
            .collect();
        let codes_g = b.quantize(&b.upload(&x, &shape).unwrap(), &q).unwrap();
        let codes_c = cpu.quantize(&cpu.upload(&x, &shape).unwrap(), &q).unwrap();
        let (got, want) = (b.read_data(&codes_g).await.unwrap(), cpu.read_data(&codes_c).await.unwrap());
        assert_eq!(got.dtype(), q.dtype().code_dtype());
        assert_eq!(first_difference(&bits(&got), &bits(&want)), None, "{} quantize {q:?}", b.name());
        let deq_g = b.read_data(&b.dequantize(&codes_g, &q).unwrap()).await.unwrap();
        let deq_c = cpu.read_data(&cpu.dequantize(&codes_c, &q).unwrap()).await.unwrap();
        assert_eq!(first_difference(&bits(&deq_g), &bits(&deq_c)), None, "{} dequantize {q:?}", b.name());
    }
}

pub async fn quantize_matches_torch_quantize_per_tensor_and_per_channel<B: Backend>(b: &B) {
    let fx: serde_json::Value = serde_json::from_str(QUANTIZE).unwrap();
    let mut cases = Vec::new();
    for c in fx["per_tensor"].as_array().unwrap() {
        let x = f32s(&c["x"]);
        let q = QParams::PerTensor {
            scale: f32_of(&c["scale_f32_bits"]),
            zero_point: i32_of(&c["zero_point"]),
            dtype: QuantDType::parse(c["dtype"].as_str().unwrap()).unwrap(),
        };
        cases.push((vec![x.len()], x, q, c));
    }
    for c in fx["per_channel"].as_array().unwrap() {
        let q = QParams::PerChannel {
            scales: f32s(&c["scales_f32_bits"]),
            zero_points: i32s(&c["zero_points"]),
            axis: usize_of(&c["axis"]),
            dtype: QuantDType::parse(c["dtype"].as_str().unwrap()).unwrap(),
        };
        cases.push((shape(&c["shape"]), f32s(&c["x"]), q, c));
    }
    for (shape, x, q, c) in cases {
        // WGSL may assume no inf/NaN, so the GPU checks the finite inputs; the CPU checks all.
        let keep: Vec<bool> = x.iter().map(|v| b.name().starts_with("cpu") || v.is_finite()).collect();
        let codes = b.quantize(&b.upload(&x, &shape).unwrap(), &q).unwrap();
        let got: Vec<u32> = bits(&b.read_data(&codes).await.unwrap());
        let want: Vec<u32> = i32s(&c["int_repr"]).iter().map(|&v| v as u32).collect();
        let sel = |v: &[u32]| -> Vec<u32> { v.iter().zip(&keep).filter(|(_, k)| **k).map(|(v, _)| *v).collect() };
        assert_eq!(first_difference(&sel(&got), &sel(&want)), None, "{} vs torch int_repr, {q:?}", b.name());
        let deq = bits(&b.read_data(&b.dequantize(&codes, &q).unwrap()).await.unwrap());
        let want = u32s(&c["dequantize"]);
        assert_eq!(first_difference(&sel(&deq), &sel(&want)), None, "{} vs torch dequantize(), {q:?}", b.name());
    }
}

pub async fn typed_ops_reject_wrong_dtypes_and_bad_qparams<B: Backend>(b: &B) {
    let q = QParams::PerTensor { scale: 0.1, zero_point: 0, dtype: QuantDType::QInt8 };
    let x = b.upload(&[1.0, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
    let codes = b.quantize(&x, &q).unwrap();
    let msg = b.matmul(&codes, &x).unwrap_err().to_string();
    assert!(msg.contains("matmul") && msg.contains("float32") && msg.contains("int8"), "{msg}");
    let msg = b.quantize(&codes, &q).unwrap_err().to_string();
    assert!(msg.contains("quantize") && msg.contains("int8"), "{msg}");
    let quint = QParams::PerTensor { scale: 0.1, zero_point: 0, dtype: QuantDType::QUInt8 };
    let msg = b.dequantize(&codes, &quint).unwrap_err().to_string();
    assert!(msg.contains("dequantize") && msg.contains("uint8"), "{msg}");
    let msg = b.cast(&codes, DType::F16).unwrap_err().to_string();
    assert!(msg.contains("cast") && msg.contains("int8 → float16"), "{msg}");
    let bad = QParams::PerChannel { scales: vec![0.1; 3], zero_points: vec![0; 3], axis: 1, dtype: QuantDType::QInt8 };
    let msg = b.quantize(&x, &bad).unwrap_err().to_string();
    assert!(msg.contains("2, the size of axis 1"), "{msg}");
    let neg = QParams::PerTensor { scale: -1.0, zero_point: 0, dtype: QuantDType::QInt8 };
    assert!(b.quantize(&x, &neg).unwrap_err().to_string().contains("finite and > 0"));
}
