//! Parity and golden bodies for the conv, batch-norm and fake-quant ops: data movement (reshape,
//! im2col, col2im, rows ↔ NCHW) and int codes exact against the CPU reference; eval BatchNorm
//! and fake quantization bit-exact with torch on the CPU (BatchNorm within F32_CHANNEL_AFFINE on
//! the GPU); the quantized conv composite bit-exact with torch's fbgemm engine.
//!
//! Length: one fixture family (gen_conv.py's batchnorm, fake_quant, qconv and dynamic_linear), read by shared helpers.

use super::assert_agrees;
use super::fixture::{self, f32_of, f32s, i32_of, i32s, i64s, i8s, u8s, usize_of};
use quantplay::backend::Conv2dGeom;
use quantplay::functional::qconv::quantized_conv2d;
use quantplay::functional::quantized_linear_dynamic;
use quantplay::parity::{EXACT, F32_CHANNEL_AFFINE, F32_DYNAMIC_LINEAR, F32_MATMUL};
use quantplay::prelude::*;
use quantplay::quant::{QLinearSpec, QParams, QuantDType};
use quantplay::rules::batchnorm::bn_eval_alpha_beta;
use quantplay::rules::rng::Rng;
use quantplay::{CpuReference, HasShape, HostData};
use serde_json::Value;

const BATCHNORM: &str = include_str!("../fixtures/batchnorm.json");
const FAKE_QUANT: &str = include_str!("../fixtures/fake_quant.json");
const QCONV: &str = include_str!("../fixtures/qconv.json");
const DYNAMIC: &str = include_str!("../fixtures/dynamic_linear.json");

fn geom(n: usize, c: usize, h: usize, w: usize, k: usize, s: usize, p: usize) -> Conv2dGeom {
    Conv2dGeom { n, c, h, w, kh: k, kw: k, stride: (s, s), padding: (p, p) }
}

/// Geometries straddling the edge cases: 1×1 kernels, padding wider than strides, non-square
/// strides, a single output position, rectangular kernels.
fn geometries() -> Vec<Conv2dGeom> {
    vec![
        geom(2, 3, 7, 6, 3, 2, 1),
        geom(1, 1, 5, 5, 3, 1, 1),
        geom(3, 2, 4, 9, 1, 1, 0),
        geom(1, 4, 3, 3, 3, 1, 0),
        geom(2, 2, 6, 5, 2, 2, 1),
        Conv2dGeom { n: 1, c: 3, h: 5, w: 8, kh: 2, kw: 3, stride: (1, 3), padding: (0, 2) },
        geom(1, 2, 1, 1, 3, 1, 1),
    ]
}

async fn read_f32<B: Backend>(b: &B, t: &B::Tensor) -> Vec<f32> {
    b.read(t).await.unwrap()
}

async fn read_u8<B: Backend>(b: &B, t: &B::Tensor) -> Vec<u8> {
    match b.read_data(t).await.unwrap() {
        HostData::U8(v) => v,
        other => panic!("expected uint8, got {:?}", other.dtype()),
    }
}

pub async fn reshape_keeps_the_elements_and_rejects_another_count<B: Backend>(b: &B) {
    let x = b.upload(&[1., 2., 3., 4., 5., 6.], &[2, 3]).unwrap();
    let y = b.reshape(&x, &[3, 1, 2]).unwrap();
    assert_eq!(y.shape(), &[3, 1, 2]);
    assert_eq!(read_f32(b, &y).await, vec![1., 2., 3., 4., 5., 6.]);
    let msg = b.reshape(&x, &[4, 2]).unwrap_err().to_string();
    assert!(msg.contains("reshape") && msg.contains("(2, 3)") && msg.contains("(4, 2)"), "{msg}");
    let q = b.upload_data(HostData::I8(vec![-1, 2, -3, 4]), &[4]).unwrap();
    let q2 = b.reshape(&q, &[2, 2]).unwrap();
    assert_eq!(b.read_data(&q2).await.unwrap(), HostData::I8(vec![-1, 2, -3, 4]));
}

pub async fn im2col_and_layout_gathers_agree_bit_for_bit_with_the_cpu<B: Backend>(b: &B) {
    let cpu = CpuReference;
    // Hand case: (1, 1, 2, 2) image [[1, 2], [3, 4]], 2×2 kernel, padding 1, stride 1 → 3×3
    // outputs; the top-left patch is [pad, pad, pad, 1].
    let g = geom(1, 1, 2, 2, 2, 1, 1);
    let cols = b.im2col(&b.upload(&[1., 2., 3., 4.], &[1, 1, 2, 2]).unwrap(), &g, -9.0).unwrap();
    assert_eq!(cols.shape(), &[9, 4]);
    let v = read_f32(b, &cols).await;
    assert_eq!(&v[0..4], &[-9., -9., -9., 1.]);
    assert_eq!(&v[16..20], &[1., 2., 3., 4.]);
    for (i, g) in geometries().into_iter().enumerate() {
        let mut rng = Rng::new(900 + i as u64);
        let len = g.n * g.c * g.h * g.w;
        let x = rng.uniform_vec(len, -2.0, 2.0);
        let codes: Vec<u8> = (0..len).map(|_| (rng.next_u64() % 256) as u8).collect();
        let shape = g.input_shape();
        let got = read_f32(b, &b.im2col(&b.upload(&x, &shape).unwrap(), &g, 0.0).unwrap()).await;
        let want = read_f32(&cpu, &cpu.im2col(&cpu.upload(&x, &shape).unwrap(), &g, 0.0).unwrap()).await;
        assert_eq!(got, want, "{} im2col f32 {g:?}", b.name());
        let (gq, cq) = (
            b.upload_data(HostData::U8(codes.clone()), &shape).unwrap(),
            cpu.upload_data(HostData::U8(codes.clone()), &shape).unwrap(),
        );
        let got = read_u8(b, &b.im2col(&gq, &g, 77.0).unwrap()).await;
        let want = read_u8(&cpu, &cpu.im2col(&cq, &g, 77.0).unwrap()).await;
        assert_eq!(got, want, "{} im2col u8 {g:?}", b.name());
        assert!(g.padding == (0, 0) || want.contains(&77), "padding must show up");
        // NCHW → rows → NCHW is the identity on both dtypes, and agrees with the CPU.
        let rows = b.nchw_to_rows(&gq).unwrap();
        assert_eq!(rows.shape(), &[g.n * g.h * g.w, g.c]);
        assert_eq!(read_u8(b, &rows).await, read_u8(&cpu, &cpu.nchw_to_rows(&cq).unwrap()).await);
        assert_eq!(read_u8(b, &b.rows_to_nchw(&rows, g.n, g.h, g.w).unwrap()).await, codes);
        let xf = b.upload(&x, &shape).unwrap();
        let back = b.rows_to_nchw(&b.nchw_to_rows(&xf).unwrap(), g.n, g.h, g.w).unwrap();
        assert_eq!(read_f32(b, &back).await, x);
    }
}

pub async fn im2col_times_the_weight_is_the_convolution<B: Backend>(b: &B) {
    let (g, out) = (geom(2, 3, 7, 6, 3, 2, 1), 4);
    let (oh, ow) = g.out_hw().unwrap();
    let mut rng = Rng::new(950);
    let x = rng.uniform_vec(g.n * g.c * g.h * g.w, -1.0, 1.0);
    let w = rng.uniform_vec(out * g.c * 9, -1.0, 1.0);
    let cols = b.im2col(&b.upload(&x, &g.input_shape()).unwrap(), &g, 0.0).unwrap();
    let rows = b.matmul_t(&cols, &b.upload(&w, &[out, g.c * 9]).unwrap(), false, true).unwrap();
    let got = read_f32(b, &b.rows_to_nchw(&rows, g.n, oh, ow).unwrap()).await;
    // The textbook definition, in f64.
    let mut want = vec![0f32; g.n * out * oh * ow];
    for (o, v) in want.iter_mut().enumerate() {
        let (ox, oy, co, n) = (o % ow, (o / ow) % oh, (o / (ow * oh)) % out, o / (ow * oh * out));
        let mut acc = 0f64;
        for c in 0..g.c {
            for ky in 0..3 {
                for kx in 0..3 {
                    let (iy, ix) = ((oy * 2 + ky) as isize - 1, (ox * 2 + kx) as isize - 1);
                    if iy >= 0 && ix >= 0 && (iy as usize) < g.h && (ix as usize) < g.w {
                        acc += x[((n * g.c + c) * g.h + iy as usize) * g.w + ix as usize] as f64
                            * w[((co * g.c + c) * 3 + ky) * 3 + kx] as f64;
                    }
                }
            }
        }
        *v = acc as f32;
    }
    assert_agrees(&format!("{} conv via im2col", b.name()), &got, &want, F32_MATMUL);
}

pub async fn col2im_is_the_adjoint_of_im2col_and_agrees_bit_for_bit<B: Backend>(b: &B) {
    let cpu = CpuReference;
    for (i, g) in geometries().into_iter().enumerate() {
        let mut rng = Rng::new(970 + i as u64);
        let [rows, k] = g.cols_shape().unwrap();
        let (x, c) = (rng.uniform_vec(g.n * g.c * g.h * g.w, -1.0, 1.0), rng.uniform_vec(rows * k, -1.0, 1.0));
        let got = read_f32(b, &b.col2im(&b.upload(&c, &[rows, k]).unwrap(), &g).unwrap()).await;
        let want = read_f32(&cpu, &cpu.col2im(&cpu.upload(&c, &[rows, k]).unwrap(), &g).unwrap()).await;
        assert_eq!(got, want, "{} col2im {g:?}", b.name());
        // ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩.
        let ix = read_f32(&cpu, &cpu.im2col(&cpu.upload(&x, &g.input_shape()).unwrap(), &g, 0.0).unwrap()).await;
        let lhs: f64 = ix.iter().zip(&c).map(|(a, b)| *a as f64 * *b as f64).sum();
        let rhs: f64 = x.iter().zip(&got).map(|(a, b)| *a as f64 * *b as f64).sum();
        assert!((lhs - rhs).abs() <= 1e-4 * (1.0 + lhs.abs()), "{g:?}: {lhs} vs {rhs}");
    }
}

pub async fn channel_affine_matches_torch_batch_norm_eval<B: Backend>(b: &B) {
    let fx: Value = serde_json::from_str(BATCHNORM).unwrap();
    let cases = fx["cases"].as_array().unwrap();
    assert!(cases.len() >= 5);
    let tol = if b.name().starts_with("cpu") { EXACT } else { F32_CHANNEL_AFFINE };
    for c in cases {
        let shape = fixture::shape(&c["shape"]);
        let (w, bias) =
            (c["weight"].as_array().map(|_| f32s(&c["weight"])), c["bias"].as_array().map(|_| f32s(&c["bias"])));
        let (alpha, beta) = bn_eval_alpha_beta(
            w.as_deref(),
            bias.as_deref(),
            &f32s(&c["mean"]),
            &f32s(&c["var"]),
            c["eps"].as_f64().unwrap(),
        );
        let ch = shape[1];
        let y = b
            .channel_affine(
                &b.upload(&f32s(&c["x"]), &shape).unwrap(),
                &b.upload(&alpha, &[ch]).unwrap(),
                &b.upload(&beta, &[ch]).unwrap(),
            )
            .unwrap();
        assert_agrees(&format!("{} batch_norm eval {shape:?}", b.name()), &read_f32(b, &y).await, &f32s(&c["y"]), tol);
    }
    let x = b.upload(&[0.0; 6], &[2, 3]).unwrap();
    let msg = b
        .channel_affine(&x, &b.upload(&[1.0; 2], &[2]).unwrap(), &b.upload(&[0.0; 2], &[2]).unwrap())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("channel_affine") && msg.contains("(2, 3)") && msg.contains("(2,)"), "{msg}");
}

pub async fn quantized_relu_raises_codes_below_the_zero_point_to_it<B: Backend>(b: &B) {
    let codes: Vec<u8> = (0..=255).chain([3, 200, 17]).collect();
    for zp in [0, 1, 128, 255] {
        let y = b.quantized_relu(&b.upload_data(HostData::U8(codes.clone()), &[codes.len()]).unwrap(), zp).unwrap();
        let want: Vec<u8> = codes.iter().map(|&q| q.max(zp as u8)).collect();
        assert_eq!(read_u8(b, &y).await, want, "{} zp {zp}", b.name());
    }
    let msg = b.quantized_relu(&b.upload_data(HostData::U8(vec![1]), &[1]).unwrap(), 256).unwrap_err().to_string();
    assert!(msg.contains("256") && msg.contains("0..=255"), "{msg}");
}

pub async fn channel_lut_maps_each_code_through_its_channels_table<B: Backend>(b: &B) {
    let mut rng = quantplay::rules::rng::Rng::new(77);
    // Ragged lengths (not a multiple of 4), 2-D and 4-D, one channel and many.
    for shape in [vec![2usize, 3, 5, 7], vec![3, 5], vec![1, 1, 3, 3], vec![2, 70, 1, 3]] {
        let (c, inner): (usize, usize) = (shape[1], shape[2..].iter().product());
        let n: usize = shape.iter().product();
        let codes: Vec<u8> = rng.uniform_vec(n, 0.0, 255.99).iter().map(|v| *v as u8).collect();
        // Channel ch maps q to (q · (2ch + 1) + ch) mod 256: a different bijection per channel.
        let table: Vec<u8> =
            (0..c).flat_map(|ch| (0..256usize).map(move |q| ((q * (2 * ch + 1) + ch) % 256) as u8)).collect();
        let y = b
            .quantized_channel_lut(
                &b.upload_data(HostData::U8(codes.clone()), &shape).unwrap(),
                &b.upload_data(HostData::U8(table), &[c, 256]).unwrap(),
            )
            .unwrap();
        let want: Vec<u8> = codes
            .iter()
            .enumerate()
            .map(|(i, &q)| {
                let ch = (i / inner.max(1)) % c;
                ((q as usize * (2 * ch + 1) + ch) % 256) as u8
            })
            .collect();
        assert_eq!(read_u8(b, &y).await, want, "{} channel lut {shape:?}", b.name());
    }
    let msg = b
        .quantized_channel_lut(
            &b.upload_data(HostData::U8(vec![0; 6]), &[2, 3]).unwrap(),
            &b.upload_data(HostData::U8(vec![0; 512]), &[2, 256]).unwrap(),
        )
        .unwrap_err()
        .to_string();
    assert!(msg.contains("(2, 3)") && msg.contains("(2, 256)"), "{msg}");
}

pub async fn fake_quantize_matches_torch_cachemask_bit_for_bit<B: Backend>(b: &B) {
    let fx: Value = serde_json::from_str(FAKE_QUANT).unwrap();
    let cases = fx["cases"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for c in cases {
        let shape = fixture::shape(&c["shape"]);
        let (scales, zps) = (f32s(&c["scale"]), i32s(&c["zero_point"]));
        let q = if c["per_channel"].as_bool().unwrap() {
            QParams::PerChannel { scales, zero_points: zps, axis: usize_of(&c["axis"]), dtype: QuantDType::QInt8 }
        } else {
            QParams::PerTensor { scale: scales[0], zero_point: zps[0], dtype: QuantDType::QUInt8 }
        };
        let (lo, hi) = (i32_of(&c["quant_min"]), i32_of(&c["quant_max"]));
        let (y, m) = b.fake_quantize(&b.upload(&f32s(&c["x"]), &shape).unwrap(), &q, lo, hi).unwrap();
        let want_mask: Vec<f32> = i64s(&c["mask"]).into_iter().map(|v| v as f32).collect();
        assert_agrees(
            &format!("{} fake_quantize {q:?} [{lo}, {hi}]", b.name()),
            &read_f32(b, &y).await,
            &f32s(&c["y"]),
            EXACT,
        );
        assert_eq!(read_f32(b, &m).await, want_mask, "{} mask {q:?}", b.name());
    }
    let x = b.upload(&[0.0; 4], &[4]).unwrap();
    let q = QParams::PerTensor { scale: 0.1, zero_point: 200, dtype: QuantDType::QUInt8 };
    let msg = b.fake_quantize(&x, &q, 0, 127).unwrap_err().to_string();
    assert!(msg.contains("200") && msg.contains("0..=127"), "{msg}");
    assert!(b.fake_quantize(&x, &q, 255, 0).unwrap_err().to_string().contains("quant_min <= quant_max"));
}

pub async fn quantized_conv2d_matches_torch_fbgemm_bit_for_bit<B: Backend>(b: &B) {
    let fx: Value = serde_json::from_str(QCONV).unwrap();
    let cases = fx["cases"].as_array().unwrap();
    assert!(cases.len() >= 20);
    let mut x86_off = 0;
    for c in cases {
        let (n, ch, h, w, out, k) = (
            usize_of(&c["n"]),
            usize_of(&c["c"]),
            usize_of(&c["h"]),
            usize_of(&c["w"]),
            usize_of(&c["out"]),
            usize_of(&c["k"]),
        );
        let g = geom(n, ch, h, w, k, usize_of(&c["stride"]), usize_of(&c["padding"]));
        let ws = f32s(&c["w_scales"]);
        let wq = if c["per_channel"].as_bool().unwrap() {
            QParams::PerChannel { zero_points: vec![0; out], scales: ws, axis: 0, dtype: QuantDType::QInt8 }
        } else {
            QParams::PerTensor { scale: ws[0], zero_point: 0, dtype: QuantDType::QInt8 }
        };
        let spec = QLinearSpec {
            x_scale: f32_of(&c["x_scale"]),
            x_zero_point: i32_of(&c["x_zero_point"]),
            w: wq,
            bias: c["bias"].as_array().map(|_| f32s(&c["bias"])),
            out_scale: f32_of(&c["out_scale"]),
            out_zero_point: i32_of(&c["out_zero_point"]),
            relu: c["relu"].as_bool().unwrap(),
        };
        let x = b.upload_data(HostData::U8(u8s(&c["x"])), &g.input_shape()).unwrap();
        let wt = b.upload_data(HostData::I8(i8s(&c["weight"])), &[out, ch, k, k]).unwrap();
        let y = quantized_conv2d(b, &x, &wt, &g, &spec).unwrap();
        let (oh, ow) = g.out_hw().unwrap();
        assert_eq!(y.shape(), &[n, out, oh, ow]);
        let got: Vec<i64> = read_u8(b, &y).await.into_iter().map(i64::from).collect();
        assert_eq!(got, i64s(&c["fbgemm"]), "{} qconv {g:?} {spec:?}", b.name());
        // The 'x86' engine sends symmetric-weight convs to oneDNN on AVX512-VNNI CPUs
        // (should_use_onednn_quant), whose requantization rounds differently on rare ties.
        for (a, x) in got.iter().zip(i64s(&c["x86"])) {
            x86_off += (*a != x) as usize;
            assert!((a - x).abs() <= 1, "x86 engine off by more than one code");
        }
    }
    assert!(x86_off <= 2, "{x86_off} codes differ from the x86 engine (1 when the fixture was written)");
}

pub async fn conv_ops_reject_bad_geometry_shapes_and_dtypes<B: Backend>(b: &B) {
    let g = geom(1, 2, 4, 4, 3, 1, 0);
    let x = b.upload(&[0.0; 2 * 16], &[1, 2, 4, 4]).unwrap();
    let msg = b.im2col(&x, &geom(1, 3, 4, 4, 3, 1, 0), 0.0).unwrap_err().to_string();
    assert!(msg.contains("(1, 2, 4, 4)") && msg.contains("(1, 3, 4, 4)"), "{msg}");
    assert!(b.im2col(&x, &geom(1, 2, 4, 4, 5, 1, 0), 0.0).unwrap_err().to_string().contains("kernel (5, 5)"));
    let q = b.upload_data(HostData::U8(vec![0; 32]), &[1, 2, 4, 4]).unwrap();
    assert!(b.im2col(&q, &g, 0.5).unwrap_err().to_string().contains("0..=255"));
    let i8s = b.upload_data(HostData::I8(vec![0; 32]), &[1, 2, 4, 4]).unwrap();
    assert!(b.im2col(&i8s, &g, 0.0).unwrap_err().to_string().contains("float32 or uint8"));
    let cols = b.upload(&[0.0; 4 * 17], &[4, 17]).unwrap();
    assert!(b.col2im(&cols, &g).unwrap_err().to_string().contains("(4, 18)"));
    assert!(b.rows_to_nchw(&cols, 1, 2, 3).unwrap_err().to_string().contains("(4, 17)"));
    assert!(b.nchw_to_rows(&cols).unwrap_err().to_string().contains("(n, c, h, w)"));
}

pub async fn dynamic_quantized_linear_matches_torch_fbgemm<B: Backend>(b: &B) {
    let fx: Value = serde_json::from_str(DYNAMIC).unwrap();
    let cases = fx["cases"].as_array().unwrap();
    assert!(cases.len() >= 10);
    let tol = if b.name().starts_with("cpu") { EXACT } else { F32_DYNAMIC_LINEAR };
    for c in cases {
        let (m, k, n) = (usize_of(&c["m"]), usize_of(&c["k"]), usize_of(&c["n"]));
        let (ws, wz) = (f32s(&c["w_scales"]), i32s(&c["w_zero_points"]));
        let w_q = if c["per_channel"].as_bool().unwrap() {
            QParams::PerChannel { scales: ws, zero_points: wz, axis: 0, dtype: QuantDType::QInt8 }
        } else {
            QParams::PerTensor { scale: ws[0], zero_point: wz[0], dtype: QuantDType::QInt8 }
        };
        let bias = c["bias"].as_array().map(|_| f32s(&c["bias"]));
        let x = b.upload(&f32s(&c["x"]), &[m, k]).unwrap();
        let w = b.upload_data(HostData::I8(i8s(&c["weight"])), &[n, k]).unwrap();
        let y = quantized_linear_dynamic(b, &x, &w, &w_q, bias.as_deref(), c["reduce_range"].as_bool().unwrap())
            .await
            .unwrap();
        assert_eq!(y.shape(), &[m, n]);
        assert_agrees(
            &format!("{} linear_dynamic ({m}, {k}) x ({n}, {k}) {w_q:?}", b.name()),
            &read_f32(b, &y).await,
            &f32s(&c["y"]),
            tol,
        );
    }
    let x = b.upload(&[1.0, f32::NAN], &[1, 2]).unwrap();
    let mm = read_f32(b, &b.min_max(&b.upload(&[3.0, -1.5, 7.25, 0.5], &[2, 2]).unwrap()).unwrap()).await;
    assert_eq!(mm, vec![-1.5, 7.25]);
    let w = b.upload_data(HostData::I8(vec![1, 2]), &[1, 2]).unwrap();
    let w_q = QParams::PerTensor { scale: 0.1, zero_point: 0, dtype: QuantDType::QInt8 };
    if b.name().starts_with("cpu") {
        // The GPU's min/max may drop NaN (WGSL assumes none), so only the CPU promises the error.
        let msg = quantized_linear_dynamic(b, &x, &w, &w_q, None, true).await.unwrap_err().to_string();
        assert!(msg.contains("NaN"), "{msg}");
    }
    let msg = b
        .quantized_linear_float(&b.upload_data(HostData::U8(vec![0; 3]), &[1, 3]).unwrap(), &w, &w_q, &w_q, None)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("quantized_linear_float") && msg.contains("(1, 3)") && msg.contains("(1, 2)"), "{msg}");
}
